"""Faculty pages from LTI launches: a link's settings (due date, video overrides) and the
roster of residents' progress, read from the platform's NRPS or, failing that, from
the residents who launched."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from leadership_pods.lti_tool.claims import NRPS_CLAIM
from leadership_pods.lti_tool.keys import ToolKeyService
from leadership_pods.lti_tool.models import LmsUser
from leadership_pods.lti_tool.platform_keys import PlatformKeyService
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt, Placement
from tests.conftest import make_app, register
from tests.integration.test_pods_cli import sample_as
from tests.support.answers import complete_answers
from tests.support.http_server import LocalServer
from tests.support.platform import TOOL_BASE_URL, TestPlatform
from tests.support.platform_services import PlatformServices

POD = "governance"
INSTRUCTOR = {"sub": "faculty-1", "name": "Dr Faye Faculty"}


def launch(client, platform: TestPlatform, *, role: str = "Learner", pod: str = POD,
           **overrides) -> str:
    response = platform.launch(client, pod=pod, role=role, overrides=overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    return parse_qs(urlsplit(response.headers["Location"]).query)["lt"][0]


def faculty(client, platform, pod: str = POD, **overrides) -> str:
    return launch(client, platform, role="Instructor", pod=pod, **{**INSTRUCTOR, **overrides})


def resident(client, platform, sub: str, name: str, pod: str = POD, **overrides) -> str:
    return launch(client, platform, pod=pod, sub=sub, name=name, **overrides)


def get(client, path: str, lt: str, **query):
    return client.get(path, query_string={"lt": lt, **query}, base_url=TOOL_BASE_URL)


def post(client, path: str, data: dict):
    return client.post(path, data=data, base_url=TOOL_BASE_URL)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_html).group(1)


def save_settings(client, lt: str, pod: str = POD, **fields):
    page = get(client, f"/pods/{pod}/settings", lt).get_data(as_text=True)
    return post(client, f"/pods/{pod}/settings", {"lt": lt, "csrf_token": csrf(page), **fields})


def field_error(page: str, field_id: str) -> str:
    """The error shown next to a field, checking the field points to it."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert match, f"no error shown for {field_id}"
    assert re.search(rf'aria-describedby="[^"]*{re.escape(field_id)}-error"[^>]*id="{re.escape(field_id)}"',
                     page)
    return match.group(1)


def start(client, lt: str, pod: str = POD):
    overview = get(client, f"/pods/{pod}", lt).get_data(as_text=True)
    response = post(client, f"/pods/{pod}/start", {"lt": lt, "csrf_token": csrf(overview)})
    assert response.status_code == 303
    return response


def save(client, lt: str, version: int, section: str, answer, pod: str = POD):
    body = {"save_id": uuid.uuid4().hex, "version": version, "section": section,
            "answer": answer, "position": section, "active_ms": 1000}
    response = client.post(f"/pods/{pod}/save", data=json.dumps(body),
                           content_type="application/json", headers={"X-Launch-Token": lt},
                           base_url=TOOL_BASE_URL)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["version"]


# -- settings ---------------------------------------------------------------------------
def test_saved_due_date_shows_on_the_residents_overview(client, platform, session):
    lt = faculty(client, platform)
    page = text(get(client, f"/pods/{POD}/settings", lt))
    assert "Due date (UTC)" in page and "Due time (UTC, 24-hour)" in page
    assert "No due date" in page
    response = save_settings(client, lt, due_date="2026-05-01", due_time="17:30")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/pods/{POD}/settings"
    assert parse_qs(location.query)["saved"] == ["1"] and parse_qs(location.query)["lt"]
    after = text(client.get(response.headers["Location"], base_url=TOOL_BASE_URL))
    assert "Settings saved." in after
    assert 'value="2026-05-01"' in after and 'value="17:30"' in after
    assert "Due Friday 1 May 2026, 17:30 UTC" in after
    placement = session.scalar(select(Placement))
    assert placement.due_at == datetime(2026, 5, 1, 17, 30, tzinfo=UTC)

    lt_resident = resident(client, platform, "resident-a", "Ana Resident")
    overview = text(get(client, f"/pods/{POD}", lt_resident))
    assert "Friday 1 May 2026, 17:30 UTC" in overview
    assert "Settings for this link" not in overview


def test_a_date_without_time_is_due_at_end_of_day_and_clearing_removes_it(client, platform,
                                                                          session):
    lt = faculty(client, platform)
    assert save_settings(client, lt, due_date="2026-06-30", due_time="").status_code == 303
    session.expire_all()
    assert session.scalar(select(Placement)).due_at == datetime(2026, 6, 30, 23, 59, tzinfo=UTC)
    assert save_settings(client, lt, due_date="", due_time="").status_code == 303
    session.expire_all()
    assert session.scalar(select(Placement)).due_at is None


@pytest.mark.parametrize(("fields", "field_id", "words"), [
    ({"due_date": "2026-13-45"}, "due_date", "Not a valid date"),
    ({"due_date": "1999-12-31"}, "due_date", "between 2000 and 2100"),
    ({"due_date": "2026-05-01", "due_time": "25:00"}, "due_time", "Not a valid time"),
    ({"due_time": "09:00"}, "due_time", "Give the due date this time belongs to"),
])
def test_invalid_settings_are_explained_next_to_the_field(client, platform, session, fields,
                                                         field_id, words):
    lt = faculty(client, platform)
    response = save_settings(client, lt, **{"due_date": "", "due_time": "", **fields})
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was saved" in page
    assert words in field_error(page, field_id)
    assert 'aria-invalid="true"' in page
    assert session.scalar(select(Placement.due_at)) is None


def test_settings_refuse_a_post_without_a_valid_csrf_token(client, platform, session):
    lt = faculty(client, platform)
    missing = post(client, f"/pods/{POD}/settings", {"lt": lt, "due_date": "2026-05-01"})
    assert missing.status_code == 400 and "expired" in text(missing)
    other_lt = faculty(client, platform)  # a token of another launch does not do
    other = get(client, f"/pods/{POD}/settings", other_lt).get_data(as_text=True)
    forged = post(client, f"/pods/{POD}/settings", {"lt": lt, "csrf_token": csrf(other),
                                                    "due_date": "2026-05-01"})
    assert forged.status_code == 400
    assert session.scalar(select(Placement.due_at)) is None


def test_residents_get_403_on_both_faculty_pages(client, platform, session):
    lt = resident(client, platform, "resident-a", "Ana Resident")
    assert get(client, f"/pods/{POD}/settings", lt).status_code == 403
    assert post(client, f"/pods/{POD}/settings", {"lt": lt, "due_date": "2026-05-01"}
                ).status_code == 403
    assert get(client, f"/pods/{POD}/roster", lt).status_code == 403
    assert session.scalar(select(Placement.due_at)) is None


def test_faculty_pages_open_only_for_the_launched_pods_link(client, platform):
    lt = faculty(client, platform)
    assert get(client, "/pods/budget-balancing/settings", lt).status_code == 404
    assert get(client, "/pods/budget-balancing/roster", lt).status_code == 404
    assert get(client, "/pods/no-such-pod/roster", lt).status_code == 404
    overview = text(get(client, f"/pods/{POD}", lt))
    assert "Settings for this link" in overview and "Roster and progress" in overview
    assert get(client, "/pods/settings", lt).status_code == 404  # no pod called settings


def test_a_pod_without_video_sections_says_so(client, platform):
    lt = faculty(client, platform)
    assert "no video segments" in text(get(client, f"/pods/{POD}/settings", lt))


@pytest.fixture
def video_app(database_url, tmp_path):
    """The app with an institution pod ("local-pod", from the sample) that has a video."""
    PlatformKeyService.forget()
    sample_as(tmp_path / "institution-pods" / "local-pod", "Local Pod")
    app = make_app(database_url, tmp_path, extra_pods_path=tmp_path / "institution-pods")
    yield app
    app.extensions["leadership_pods"]["db"].dispose()


def test_a_video_override_plays_in_the_player(video_app):
    client = video_app.test_client()
    platform = TestPlatform()
    with LocalServer(platform.wsgi) as server:
        platform.base_url = server.url
        register(video_app, platform)
        lt = faculty(client, platform, pod="local-pod")
        page = text(get(client, "/pods/local-pod/settings", lt))
        assert "Video URL for “Video”" in page
        bad = save_settings(client, lt, pod="local-pod", **{"video-video": "http://cdn.example.edu/v.mp4"})
        assert bad.status_code == 422
        assert "https://" in field_error(text(bad), "video-video")
        not_video = save_settings(client, lt, pod="local-pod",
                                  **{"video-video": "https://cdn.example.edu/v.mov"})
        assert ".mp4 or .webm" in field_error(text(not_video), "video-video")
        url = "https://media.example.edu/pods/levers.mp4"
        ok = save_settings(client, lt, pod="local-pod", **{"video-video": f"  {url} ",
                                                           "video-nope": "https://x.test/y.mp4"})
        assert ok.status_code == 303
        assert f'value="{url}"' in text(client.get(ok.headers["Location"], base_url=TOOL_BASE_URL))
        preview = text(get(client, "/pods/local-pod/preview/video", lt))
        assert f'src="{url}"' in preview

        lt_resident = resident(client, platform, "resident-v", "Vic Viewer", pod="local-pod")
        start(client, lt_resident, pod="local-pod")
        player = text(get(client, "/pods/local-pod/s/video", lt_resident))
        assert f'<video controls preload="metadata" data-video src="{url}">' in player


# -- roster -----------------------------------------------------------------------------
@pytest.fixture
def lms(app, platform):
    """The platform's NRPS and token endpoint, trusting the tool's signing key."""
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        key = ToolKeyService(s, app.extensions["leadership_pods"]["cipher"]).signing_key()
    services = PlatformServices(client_id=platform.client_id,
                                jwks={"keys": [key.public_jwk]}).mount(platform)
    services.add_member(INSTRUCTOR["sub"], ("Instructor",), name=INSTRUCTOR["name"])
    services.add_member("ta-1", ("TeachingAssistant",), name="Tom Assistant")
    services.add_member("resident-b", name="Bea Busy")
    services.add_member("resident-a", name="Ana Resident")
    services.add_member("resident-d", name="Dan Absent")
    services.add_member("resident-c", given_name="Cal", family_name="Curious")
    services.add_member("resident-x", status="Inactive", name="Xena Dropped")
    return services


def nrps(services: PlatformServices) -> dict:
    return {NRPS_CLAIM: {"context_memberships_url": services.memberships_url,
                         "service_versions": ["2.0"]}}


def residents_work(app, client, platform):
    """Ana saves one section; Bea does all and submits; Cal only opens the pod."""
    package = load_catalogue().package(POD)
    lt_a = resident(client, platform, "resident-a", "Ana Resident")
    start(client, lt_a)
    first = package.sections[0]
    save(client, lt_a, 0, first.ref.id, complete_answers(package)[first.ref.id])
    lt_b = resident(client, platform, "resident-b", "Bea Busy")
    start(client, lt_b)
    version = 0
    for section_id, answer in complete_answers(package).items():
        version = save(client, lt_b, version, section_id, answer)
    review = get(client, f"/pods/{POD}/submit", lt_b).get_data(as_text=True)
    assert post(client, f"/pods/{POD}/submit", {"lt": lt_b, "csrf_token": csrf(review)}
                ).status_code == 303
    resident(client, platform, "resident-c", "Cal Curious")
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        ana = s.scalar(select(Attempt).join(LmsUser, LmsUser.id == Attempt.user_id)
                       .where(LmsUser.sub == "resident-a"))
        ana.active_seconds = 3723
    return package


def row_names(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", name).strip()
            for name in re.findall(r'<th scope="row">(.*?)</th>', page, re.S)]


def count(page: str, status: str) -> int:
    return int(re.search(rf'data-count="{status}">(\d+)<', page).group(1))


def test_roster_from_nrps_shows_each_residents_status(app, client, platform, lms):
    package = residents_work(app, client, platform)
    lt = faculty(client, platform, **nrps(lms))
    response = get(client, f"/pods/{POD}/roster", lt)
    assert response.status_code == 200
    page = text(response)
    assert row_names(page) == ["Cal Curious", "Dan Absent", "Ana Resident", "Bea Busy"]
    assert "Only residents who have opened" not in page
    assert (count(page, "not_started"), count(page, "in_progress"), count(page, "submitted"),
            count(page, "returned")) == (2, 1, 1, 0)
    total = len(package.sections)
    rows = dict(zip(row_names(page), re.findall(r"<tr data-status=.*?</tr>", page, re.S),
                    strict=True))
    assert "Not started" in rows["Dan Absent"] and f"0 of {total}" in rows["Dan Absent"]
    assert "In progress" in rows["Ana Resident"] and f"1 of {total}" in rows["Ana Resident"]
    assert "1:02" in rows["Ana Resident"] and " UTC</time>" in rows["Ana Resident"]
    assert "Submitted" in rows["Bea Busy"] and f"{total} of {total}" in rows["Bea Busy"]
    assert "Tom Assistant" not in page and "Xena Dropped" not in page
    assert '<caption id="roster-caption">' in page and '<th scope="col">Status</th>' in page
    assert 'class="table-scroll"' in page
    assert len(lms.calls_to("memberships")) == 4  # 7 members, 2 a page, links followed


def test_roster_falls_back_to_launches_when_nrps_fails(app, client, platform, lms):
    residents_work(app, client, platform)
    lms.inject(500, endpoint="memberships", body="database on fire")
    lt = faculty(client, platform, **nrps(lms))
    response = get(client, f"/pods/{POD}/roster", lt)
    assert response.status_code == 200
    page = text(response)
    assert "Only residents who have opened this pod are listed" in page
    assert "The course roster could not be read from the LMS" in page
    assert "answered 500: database on fire" in page
    assert "Traceback" not in page
    assert row_names(page) == ["Cal Curious", "Ana Resident", "Bea Busy"]
    assert count(page, "not_started") == 1 and count(page, "submitted") == 1


def test_roster_without_an_nrps_claim_says_why(app, client, platform):
    residents_work(app, client, platform)
    lt = faculty(client, platform, **{NRPS_CLAIM: None})
    page = text(get(client, f"/pods/{POD}/roster", lt))
    assert "did not send a roster link (Names and Role Provisioning Services)" in page
    assert row_names(page) == ["Cal Curious", "Ana Resident", "Bea Busy"]


def test_an_empty_roster_says_so(client, platform):
    lt = faculty(client, platform, **{NRPS_CLAIM: None})
    page = text(get(client, f"/pods/{POD}/roster", lt))
    assert "No residents yet." in page and count(page, "not_started") == 0
