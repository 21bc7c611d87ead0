"""The pod player from an LTI launch: start, autosave, resume, conflicts, submit."""

from __future__ import annotations

import html
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from leadership_pods.pods.attempts import SaveConflict
from leadership_pods.pods.autosave import Autosaves, SaveState
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt
from tests.support.answers import complete_answers
from tests.support.platform import TOOL_BASE_URL, TestPlatform

POD = "governance"


def launch(client, platform: TestPlatform, pod: str = POD, role: str = "Learner") -> str:
    response = platform.launch(client, pod=pod, role=role)
    assert response.status_code == 303, response.get_data(as_text=True)
    return parse_qs(urlsplit(response.headers["Location"]).query)["lt"][0]


def get(client, path: str, lt: str, **query):
    return client.get(path, query_string={"lt": lt, **query}, base_url=TOOL_BASE_URL)


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_html).group(1)


def start(client, lt: str, pod: str = POD):
    overview = get(client, f"/pods/{pod}", lt).get_data(as_text=True)
    return client.post(f"/pods/{pod}/start", data={"lt": lt, "csrf_token": csrf(overview)},
                       base_url=TOOL_BASE_URL)


def save(client, lt: str, body, pod: str = POD, raw: bytes | None = None):
    return client.post(f"/pods/{pod}/save", data=raw if raw is not None else json.dumps(body),
                       content_type="application/json", headers={"X-Launch-Token": lt},
                       base_url=TOOL_BASE_URL)


def body(version: int, section: str, answer, **extra):
    return {"save_id": uuid.uuid4().hex, "version": version, "section": section,
            "answer": answer, "position": section, "active_ms": 0, **extra}


def package(pod: str = POD):
    return load_catalogue().package(pod)


def test_start_lands_on_the_first_section(client, platform):
    lt = launch(client, platform)
    overview = get(client, f"/pods/{POD}", lt).get_data(as_text=True)
    assert "Start the pod" in overview
    response = start(client, lt)
    assert response.status_code == 303
    first = package().sections[0].ref.id
    assert urlsplit(response.headers["Location"]).path == f"/pods/{POD}/s/{first}"
    page = client.get(response.headers["Location"], base_url=TOOL_BASE_URL)
    assert page.status_code == 200
    assert 'data-version="0"' in page.get_data(as_text=True)


def test_autosave_then_resume_on_a_new_launch(client, platform, session):
    lt = launch(client, platform)
    start(client, lt)
    sections = package().sections
    confidence = sections[0]
    answer = {"items": {item.id: 4 for item in confidence.content.items}}
    first = save(client, lt, body(0, confidence.ref.id, answer))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["version"] == 1 and first.get_json()["section_complete"] is True
    reflection = next(s for s in sections if s.ref.type == "reflection")
    typed = "Half a thought, typed just before the connection dropped"
    second = save(client, lt, body(1, reflection.ref.id, {"responses": {
        reflection.content.prompts[0].id: typed}}))
    assert second.status_code == 200
    # the next day: a new launch of the same link resumes where the resident was
    lt2 = launch(client, platform)
    assert "Resume" in get(client, f"/pods/{POD}", lt2).get_data(as_text=True)
    resumed = start(client, lt2)
    assert urlsplit(resumed.headers["Location"]).path == f"/pods/{POD}/s/{reflection.ref.id}"
    page = html.unescape(client.get(resumed.headers["Location"],
                                    base_url=TOOL_BASE_URL).get_data(as_text=True))
    assert typed in page and 'data-version="2"' in page


def test_a_second_tab_cannot_silently_overwrite(client, platform):
    lt = launch(client, platform)
    start(client, lt)
    reflection = next(s for s in package().sections if s.ref.type == "reflection")
    pid = reflection.content.prompts[0].id
    assert save(client, lt, body(0, reflection.ref.id, {"responses": {pid: "tab one"}})).status_code == 200
    stale = save(client, lt, body(0, reflection.ref.id, {"responses": {pid: "tab two"}}))
    assert stale.status_code == 409
    assert stale.get_json() == {"error": "conflict", "version": 1, "message": stale.get_json()["message"]}
    assert "another tab" in stale.get_json()["message"]


def test_two_workers_racing_from_one_version_cannot_both_win(client, platform, db):
    lt = launch(client, platform)
    start(client, lt)
    pod = package()
    reflection = next(s for s in pod.sections if s.ref.type == "reflection")
    pid = reflection.content.prompts[0].id

    def read(session):
        a = session.scalar(select(Attempt))
        return SaveState(a.id, a.status, a.version, dict(a.answers), a.position,
                         a.active_seconds, a.last_save_id, a.last_activity_at)

    with db.session_factory() as first, db.session_factory() as second:
        mine, theirs = read(first), read(second)  # both workers read version 0
        saved = Autosaves(first.connection()).save(
            mine, pod, body(0, reflection.ref.id, {"responses": {pid: "worker one"}}))
        assert saved.version == 1
        first.commit()
        with pytest.raises(SaveConflict) as lost:
            Autosaves(second.connection()).save(
                theirs, pod, body(0, reflection.ref.id, {"responses": {pid: "worker two"}}))
        assert lost.value.version == 1
        second.rollback()
    with db.transaction() as session:
        attempt = session.scalar(select(Attempt))
        assert attempt.version == 1
        assert attempt.answers[reflection.ref.id] == {"responses": {pid: "worker one"}}


def test_a_retried_save_is_not_applied_twice(client, platform, session):
    lt = launch(client, platform)
    start(client, lt)
    confidence = package().sections[0]
    request = body(0, confidence.ref.id, {"items": {confidence.content.items[0].id: 2}},
                   active_ms=20_000)
    assert save(client, lt, request).get_json()["version"] == 1
    again = save(client, lt, request)
    assert again.status_code == 200 and again.get_json()["version"] == 1
    attempt = session.scalar(select(Attempt))
    assert attempt.version == 1


def test_bad_saves_are_refused_and_nothing_is_stored(client, platform, session):
    lt = launch(client, platform)
    start(client, lt)
    confidence = package().sections[0]
    item = confidence.content.items[0].id
    cases = [
        (save(client, lt, None, raw=b"{not json"), 400, "not valid JSON"),
        (save(client, lt, None, raw=json.dumps(body(0, confidence.ref.id, {
            "items": {item: "x" * 300_000}})).encode()), 413, "larger than"),
        (save(client, lt, body(0, confidence.ref.id, {"items": {item: 9}})), 400, "must be 1 to 5"),
        (save(client, lt, body(0, confidence.ref.id, {"items": {"nope": 1}})), 400, "unknown item"),
        (save(client, lt, body(0, "no-such-section", {})), 404, "no section"),
        (save(client, lt, {"version": 0, "section": confidence.ref.id}), 400, "save_id"),
        (save(client, lt, [1, 2]), 400, "not a JSON object"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.get_data(as_text=True)
        assert words in response.get_json()["message"]
    attempt = session.scalar(select(Attempt))
    assert attempt.version == 0 and attempt.answers == {}


def test_submit_needs_every_section_then_is_read_only(client, platform, session):
    lt = launch(client, platform)
    start(client, lt)
    review = get(client, f"/pods/{POD}/submit", lt).get_data(as_text=True)
    assert "Finish these sections first" in review
    version = 0
    for section_id, answer in complete_answers(package()).items():
        response = save(client, lt, body(version, section_id, answer, active_ms=60_000))
        assert response.status_code == 200, (section_id, response.get_data(as_text=True))
        version = response.get_json()["version"]
    assert response.get_json()["completed"] == response.get_json()["total"]
    review = get(client, f"/pods/{POD}/submit", lt).get_data(as_text=True)
    submitted = client.post(f"/pods/{POD}/submit", data={"lt": lt, "csrf_token": csrf(review)},
                            base_url=TOOL_BASE_URL)
    assert submitted.status_code == 303
    confirmation = client.get(submitted.headers["Location"], base_url=TOOL_BASE_URL)
    assert "What happens next" in confirmation.get_data(as_text=True)
    late = save(client, lt, body(version, package().sections[0].ref.id, {"items": {}}))
    assert late.status_code == 409 and "submitted" in late.get_json()["message"]
    attempt = session.scalar(select(Attempt))
    assert attempt.status == "submitted" and attempt.active_seconds > 0
    page = get(client, f"/pods/{POD}/s/{package().sections[-1].ref.id}", lt).get_data(as_text=True)
    assert 'data-readonly="true"' in page


def test_residents_never_reach_another_pod_or_attempt(client, platform):
    lt = launch(client, platform)
    start(client, lt)
    assert get(client, "/pods/budget-balancing", lt).status_code == 404
    assert get(client, "/pods/budget-balancing/s/confidence-before", lt).status_code == 404
    assert save(client, lt, body(0, "x", {}), pod="budget-balancing").status_code == 404
    assert get(client, "/pods/budget-balancing/preview/confidence-before", lt).status_code == 403


def test_faculty_preview_saves_nothing(client, platform, session):
    lt = launch(client, platform, role="Instructor")
    first = package().sections[0].ref.id
    page = get(client, f"/pods/{POD}/preview/{first}", lt)
    assert page.status_code == 200
    assert "Nothing you enter here is saved" in page.get_data(as_text=True)
    assert session.scalar(select(Attempt)) is None


def test_every_section_of_every_pod_renders(client, platform):
    for slug, pkg in load_catalogue().packages.items():
        lt = launch(client, platform, pod=slug, role="Instructor")
        for section in pkg.sections:
            page = get(client, f"/pods/{slug}/preview/{section.ref.id}", lt)
            assert page.status_code == 200, (slug, section.ref.id, page.get_data(as_text=True)[-500:])
