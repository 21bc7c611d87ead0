"""Grading from the queue, from real LTI launches, with the grades passed back to a fake
AGS that records every score body; drafts, release, return for revision, permissions and
a failed delivery retried."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from leadership_pods.lti_tool.claims import AGS_ENDPOINT
from leadership_pods.lti_tool.keys import ToolKeyService
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt
from leadership_pods.rubrics import document
from leadership_pods.rubrics.models import Assessment, RubricVersion
from tests.support.answers import complete_answers
from tests.support.platform import TOOL_BASE_URL
from tests.support.platform_services import ALL_SCOPES, SCORE_TYPE
from tests.unit.passport_sync.support import serve_lms

POD = "governance"
RESIDENT = "resident-42"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


@pytest.fixture
def lms(app, db, platform):
    with db.transaction() as s:
        key = ToolKeyService(s, app.extensions["leadership_pods"]["cipher"]).signing_key()
    lms = serve_lms(db, platform, key, line_item=False)
    lms.line_item = lms.services.add_line_item("Governance", 100)
    lms.services.add_member(RESIDENT)
    return lms


def launch(client, lms, role: str = "Learner", sub: str = RESIDENT) -> str:
    ags = {"scope": list(ALL_SCOPES[:4]), "lineitems": lms.services.lineitems_url,
           "lineitem": lms.line_item}
    response = lms.platform.launch(client, pod=POD, role=role,
                                   overrides={AGS_ENDPOINT: ags, "sub": sub})
    assert response.status_code == 303, response.get_data(as_text=True)
    return parse_qs(urlsplit(response.headers["Location"]).query)["lt"][0]


def get(client, path: str, lt: str, **query):
    return client.get(path, query_string={"lt": lt, **query}, base_url=TOOL_BASE_URL)


def post(client, path: str, lt: str, data: dict):
    return client.post(path, data={"lt": lt, **data}, base_url=TOOL_BASE_URL)


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def submit_pod(client, lms) -> str:
    lt = launch(client, lms)
    overview = get(client, f"/pods/{POD}", lt).get_data(as_text=True)
    assert post(client, f"/pods/{POD}/start", lt, {"csrf_token": csrf(overview)}).status_code == 303
    version = 0
    for section_id, answer in complete_answers(load_catalogue().package(POD)).items():
        saved = client.post(f"/pods/{POD}/save", data=json.dumps({
            "save_id": f"s-{section_id}", "version": version, "section": section_id,
            "answer": answer, "position": section_id, "active_ms": 1000}),
            content_type="application/json", headers={"X-Launch-Token": lt},
            base_url=TOOL_BASE_URL)
        assert saved.status_code == 200, saved.get_data(as_text=True)
        version = saved.get_json()["version"]
    review = get(client, f"/pods/{POD}/submit", lt).get_data(as_text=True)
    assert post(client, f"/pods/{POD}/submit", lt, {"csrf_token": csrf(review)}).status_code == 303
    return lt


def faculty_levels(session) -> dict[str, tuple[str, int]]:
    """Each faculty criterion's top level and its points."""
    assessment = session.scalar(select(Assessment))
    data = session.get(RubricVersion, assessment.rubric_version_id).data
    return {str(c["id"]): (str(c["levels"][-1]["id"]), int(c["levels"][-1]["points"]))
            for c in document.faculty_criteria(data)}


def grading_data(page: str, levels: dict[str, tuple[str, int]], **extra) -> dict:
    data = {"csrf_token": csrf(page), "feedback": "A valid vote and a clear memo."}
    data.update({f"level-{cid}": level for cid, (level, _) in levels.items()})
    data.update({f"comment-{cid}": f"Good on {cid}" for cid in levels})
    data.update(extra)
    return data


def run_worker(runner) -> str:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def score_bodies(lms) -> list[dict]:
    posts = lms.score_posts()
    assert all(p.headers["Content-Type"].startswith(SCORE_TYPE) for p in posts)
    return [json.loads(p.body) for p in posts]


def assessment_id(session) -> int:
    return session.scalar(select(Assessment.id))


def test_grading_from_the_queue_passes_the_grade_back(client, runner, lms, db):
    resident_lt = submit_pod(client, lms)
    run_worker(runner)
    [submitted] = score_bodies(lms)
    assert submitted["activityProgress"] == "Submitted"
    assert submitted["gradingProgress"] == "PendingManual"
    assert submitted["userId"] == RESIDENT and "scoreGiven" not in submitted

    faculty_lt = launch(client, lms, role="Instructor", sub="faculty-1")
    queue = text(get(client, "/grading", faculty_lt))
    with db.transaction() as s:
        aid, levels = assessment_id(s), faculty_levels(s)
    assert f'data-assessment="{aid}"' in queue and 'data-count="needs_grading">1<' in queue
    page = get(client, f"/grading/{aid}", faculty_lt)
    assert page.status_code == 200
    body = text(page)
    assert "The submission" in body and "word" in body and 'id="running-total"' in body

    # a draft: saved, not visible to the resident
    draft = post(client, f"/grading/{aid}", faculty_lt,
                 grading_data(body, levels, action="draft"))
    assert draft.status_code == 303
    result = text(get(client, f"/pods/{POD}/result", resident_lt))
    assert "not released yet" in result and "Good on" not in result
    assert "A valid vote" not in result

    # release needs every faculty criterion
    first = next(iter(levels))
    partial = grading_data(body, levels, action="release")
    partial.pop(f"level-{first}")
    refused = post(client, f"/grading/{aid}", faculty_lt, partial)
    assert refused.status_code == 422 and "before releasing" in text(refused)

    released = post(client, f"/grading/{aid}", faculty_lt,
                    grading_data(body, levels, action="release"))
    assert released.status_code == 303
    with db.transaction() as s:
        assessment = s.get(Assessment, aid)
        assert assessment.status == "released"
        total, maximum = assessment.total, assessment.maximum
    run_worker(runner)
    bodies = score_bodies(lms)
    assert len(bodies) == 2
    graded = bodies[1]
    assert graded["activityProgress"] == "Completed"
    assert graded["gradingProgress"] == "FullyGraded"
    assert graded["scoreMaximum"] == 100
    assert graded["scoreGiven"] == pytest.approx(round(float(total / maximum * 100), 2))
    assert graded["comment"] == "A valid vote and a clear memo."
    stamps = [datetime.fromisoformat(b["timestamp"]) for b in bodies]
    assert stamps[0] < stamps[1]

    result = text(get(client, f"/pods/{POD}/result", resident_lt))
    assert "A valid vote and a clear memo." in result and f"Good on {first}" in result
    assert f"{float(total):g} of {float(maximum):g} points" in result
    queue = text(get(client, "/grading", faculty_lt))
    assert "in gradebook" in queue


def test_return_for_revision_reopens_the_attempt(client, runner, lms, db):
    resident_lt = submit_pod(client, lms)
    faculty_lt = launch(client, lms, role="Instructor", sub="faculty-1")
    with db.transaction() as s:
        aid = assessment_id(s)
    page = text(get(client, f"/grading/{aid}", faculty_lt))
    empty = post(client, f"/grading/{aid}", faculty_lt,
                 {"csrf_token": csrf(page), "action": "return", "message": " "})
    assert empty.status_code == 422
    returned = post(client, f"/grading/{aid}", faculty_lt, {
        "csrf_token": csrf(page), "action": "return",
        "message": "Record the minority view in the memo."})
    assert returned.status_code == 303
    with db.transaction() as s:
        assert s.scalar(select(Attempt.status)) == "returned"
        assert s.get(Assessment, aid).status == "returned"
    overview = text(get(client, f"/pods/{POD}", resident_lt))
    assert "Record the minority view in the memo." in overview and "Resume" in overview
    assert "not released yet" in text(get(client, f"/pods/{POD}/result", resident_lt))


def test_who_may_grade(client, lms, db):
    resident_lt = submit_pod(client, lms)
    with db.transaction() as s:
        aid = assessment_id(s)
    assert get(client, "/grading", resident_lt).status_code == 403
    assert get(client, f"/grading/{aid}", resident_lt).status_code == 403
    faculty_lt = launch(client, lms, role="Instructor", sub="faculty-1")
    assert get(client, f"/grading/{aid + 1000}", faculty_lt).status_code == 404
    page = text(get(client, f"/grading/{aid}", faculty_lt))
    no_token = post(client, f"/grading/{aid}", faculty_lt, {"action": "draft"})
    assert no_token.status_code >= 400
    admin_lt = launch(client, lms, role=ADMIN, sub="admin-1")
    assert get(client, "/grading", admin_lt).status_code == 200
    admin_page = get(client, f"/grading/{aid}", admin_lt)
    assert admin_page.status_code == 200 and "Release to the resident" not in text(admin_page)
    refused = post(client, f"/grading/{aid}", admin_lt,
                   {"csrf_token": csrf(text(admin_page)), "action": "draft"})
    assert refused.status_code == 403
    assert "Release to the resident" in page
    with db.transaction() as s:
        assert s.get(Assessment, aid).status == "needs_grading"


def test_a_failed_delivery_shows_and_is_retried(client, runner, lms, db):
    submit_pod(client, lms)
    run_worker(runner)
    faculty_lt = launch(client, lms, role="Instructor", sub="faculty-1")
    with db.transaction() as s:
        aid, levels = assessment_id(s), faculty_levels(s)
    page = text(get(client, f"/grading/{aid}", faculty_lt))
    assert post(client, f"/grading/{aid}", faculty_lt,
                grading_data(page, levels, action="release")).status_code == 303
    lms.services.inject(422, endpoint="scores", body=json.dumps(
        {"errors": {"message": "User not found in course"}}))
    run_worker(runner)
    queue = text(get(client, "/grading", faculty_lt))
    assert "failed — " in queue
    event_id = re.search(r'/grading/retry/(\d+)', queue).group(1)
    retried = post(client, f"/grading/retry/{event_id}", faculty_lt, {"csrf_token": csrf(queue)})
    assert retried.status_code == 303
    assert "failed — " not in text(get(client, "/grading", faculty_lt))
    run_worker(runner)
    assert "in gradebook" in text(get(client, "/grading", faculty_lt))
    assert score_bodies(lms)[-1]["gradingProgress"] == "FullyGraded"
