"""Delivering one queued score to the LMS over real HTTP (Canvas and Moodle shapes)."""

from __future__ import annotations

import json

import pytest

from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.models import Platform
from leadership_pods.passport_sync import enqueue_score
from leadership_pods.passport_sync.delivery import AgsScoreDelivery, DeliveryError, delivery_error
from leadership_pods.passport_sync.outbox import ClaimedEvent, claim
from leadership_pods.passport_sync.scores import ScorePayload
from leadership_pods.passport_sync.worker import Worker

from .support import LINK, POD, Lms, seed_attempt


def _claimed(db, lms: Lms, *, sub: str = "resident-1", launch=None, **score) -> ClaimedEvent:
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms, sub=sub, **(launch or {}))
        enqueue_score(s, attempt_id=attempt_id, **score)
    with db.transaction() as s:
        (event,) = claim(s, limit=1)
    return event


def _deliverer(worker: Worker):
    return worker.deliverers["ags_score"]


SUBMITTED = {"activity_progress": "Submitted", "grading_progress": "PendingManual"}
RELEASED = {"activity_progress": "Completed", "grading_progress": "FullyGraded",
            "score_given": 7, "score_maximum": 10, "comment": "Strong case for the second NP."}


def test_a_submitted_score_goes_to_the_launchs_line_item_as_queued(db, lms, make_worker):
    event = _claimed(db, lms, **SUBMITTED)
    delivered = _deliverer(make_worker()).deliver(event)
    assert delivered.http_status == 200 and delivered.target == lms.line_item
    (post,) = lms.score_posts()
    assert post.status == 200
    assert post.raw_uri == "/api/lti/courses/311/line_items/1/scores"
    assert post.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert post.headers["User-Agent"].startswith("LeadershipPods/")
    assert json.loads(post.body) == {
        "userId": "resident-1", "activityProgress": "Submitted",
        "gradingProgress": "PendingManual", "timestamp": event.payload["timestamp"]}
    assert lms.services.calls_to("lineitems") == []


def test_a_released_grade_carries_score_maximum_and_feedback(db, lms, make_worker):
    event = _claimed(db, lms, **RELEASED)
    _deliverer(make_worker()).deliver(event)
    body = json.loads(lms.score_posts()[0].body)
    assert (body["scoreGiven"], body["scoreMaximum"], body["comment"]) == (
        7, 10, "Strong case for the second NP.")
    assert "https://canvas.instructure.com/lti/submission" not in body  # never new_submission
    assert lms.results() == {"resident-1": (7.0, 10.0, "Strong case for the second NP.")}


def test_without_the_lineitem_claim_the_column_is_created_once_by_link_and_pod(db, lms,
                                                                            make_worker):
    deliverer = _deliverer(make_worker())
    first = _claimed(db, lms, sub="resident-1", launch={"lineitem": None}, **RELEASED)
    second = _claimed(db, lms, sub="resident-2", launch={"lineitem": None}, **RELEASED)
    assert deliverer.deliver(first).target == deliverer.deliver(second).target
    created = [c for c in lms.services.calls_to("lineitems") if c.method == "POST"]
    assert len(created) == 1
    assert json.loads(created[0].body) == {"scoreMaximum": 10, "label": "Budget Balancing pod",
                                           "resourceLinkId": LINK, "resourceId": POD}
    item = lms.services.line_items[2]
    assert (item.resource_link_id, item.resource_id) == (LINK, POD)
    assert set(item.results) == {"resident-1", "resident-2"}


def test_an_existing_column_for_the_link_and_pod_is_found_not_duplicated(db, lms, make_worker):
    url = lms.services.add_line_item("Budget pod", 10, resource_link_id=LINK, resource_id=POD)
    event = _claimed(db, lms, launch={"lineitem": None}, **RELEASED)
    assert _deliverer(make_worker()).deliver(event).target == url
    assert [c.method for c in lms.services.calls_to("lineitems")] == ["GET"]


def test_moodle_scores_go_into_the_path_before_the_query(db, moodle_lms, make_worker):
    event = _claimed(db, moodle_lms, **RELEASED)
    _deliverer(make_worker()).deliver(event)
    (post,) = moodle_lms.score_posts()
    assert post.raw_uri == "/mod/lti/services.php/2/lineitems/1/lineitem/scores?type_id=1"
    assert post.status == 200
    assert moodle_lms.results()["resident-1"][:2] == (7.0, 10.0)


def test_a_refusal_carries_the_lms_message_and_is_final(db, lms, make_worker):
    event = _claimed(db, lms, **SUBMITTED)
    lms.services.members.clear()  # no longer a student of the course
    with pytest.raises(DeliveryError) as refused:
        _deliverer(make_worker()).deliver(event)
    assert refused.value.retryable is False and refused.value.http_status == 422
    assert refused.value.message == (
        "the LMS answered 422: User not found in course or is not a student")


def test_a_removed_registration_fails_the_event(db, lms, make_worker):
    event = _claimed(db, lms, **SUBMITTED)
    with db.transaction() as s:
        s.get(Platform, lms.platform_id).active = False
    with pytest.raises(DeliveryError, match="registration was removed or disabled"):
        _deliverer(make_worker()).deliver(event)


def test_a_malformed_payload_is_final():
    event = ClaimedEvent(id=1, kind="ags_score", dedupe_key="ags:1:1", payload={"x": 1},
                         attempts=1, claim_token="t", attempt_id=None)
    with pytest.raises(DeliveryError, match="cannot be sent") as refused:
        AgsScoreDelivery(None, None).deliver(event)  # type: ignore[arg-type]
    assert refused.value.retryable is False


@pytest.mark.parametrize(("error", "message", "retryable"), [
    (PlatformServiceError("platform 1: POST https://lms/scores answered 503 (busy): "
                          "Service Unavailable", http_status=503, retryable=True,
                          retry_after=120),
     "the LMS answered 503: Service Unavailable", True),
    (PlatformServiceError("platform 1: POST https://lms/scores answered 500: boom",
                          http_status=500, retryable=True), "the LMS answered 500: boom", True),
    (PlatformServiceError("platform 1: POST https://lms/scores answered 408: slow",
                          http_status=408), "the LMS answered 408: slow", True),
    (PlatformServiceError("platform 1: POST https://lms/scores answered 400: Provided "
                          "timestamp is before", http_status=400),
     "the LMS answered 400: Provided timestamp is before", False),
    (PlatformServiceError("token request to platform 1: POST https://lms/token answered 401: "
                          "invalid_client: unknown kid", http_status=401),
     "the LMS refused the tool's access token request (401): invalid_client: unknown kid",
     False),
    (PlatformServiceError("platform 1: POST https://lms/scores timed out after 10s",
                          retryable=True), "the LMS did not answer within 10 s", True),
    (PlatformServiceError("platform 1: POST https://lms/scores failed (ConnectionError)",
                          retryable=True), "could not reach the LMS (ConnectionError)", True),
    (PlatformServiceError("https://lms/line_items answered 200 with a body that is not JSON"),
     "https://lms/line_items answered 200 with a body that is not JSON", False),
])
def test_platform_failures_in_words_for_faculty(error, message, retryable):
    mapped = delivery_error(error)
    assert (mapped.message, mapped.retryable) == (message, retryable)
    assert mapped.retry_after == error.retry_after


def test_payload_round_trip():
    payload = ScorePayload(platform_id=1, user_id="u", timestamp="2026-11-22T09:00:00.000+00:00",
                           activity_progress="Completed", grading_progress="FullyGraded",
                           lineitem="https://lms/li/1", score_given=1, score_maximum=2)
    assert ScorePayload.from_data({**payload.to_data(), "later_field": True}) == payload
