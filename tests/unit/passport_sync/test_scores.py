"""Queueing scores with the grade, and what faculty read about them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadership_pods.lti_tool.services.ags import SCOPE_LINEITEM
from leadership_pods.passport_sync import delivery_status, enqueue_score, retry_failed
from leadership_pods.passport_sync.errors import OutboxError
from leadership_pods.passport_sync.models import OutboxEvent
from leadership_pods.passport_sync.scores import ScorePayload
from leadership_pods.pods.models import Attempt

from .support import LINK, POD, launch_context, seed_attempt

MOMENT = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)


def test_a_submitted_score_is_queued_with_everything_delivery_needs(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms, sub="resident-7")
        event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                              grading_progress="PendingManual", now=MOMENT)
        assert event is not None
        event_id, key, payload = event.id, event.dedupe_key, dict(event.payload)
        assert event.status == "pending" and event.attempts == 0
        assert event.next_attempt_at == MOMENT and event.attempt_id == attempt_id
    assert key == f"ags:{attempt_id}:1"
    assert payload == {
        "platform_id": lms.platform_id, "user_id": "resident-7",
        "timestamp": "2026-11-22T09:30:15.123+00:00",
        "activity_progress": "Submitted", "grading_progress": "PendingManual",
        "lineitem": lms.line_item, "lineitems": lms.services.lineitems_url,
        "resource_link_id": LINK, "pod_slug": POD, "label": "Budget Balancing pod",
        "line_item_maximum": 100.0, "score_given": None, "score_maximum": None, "comment": None,
    }
    with db.transaction() as s:
        assert delivery_status(s, attempt_id).text == "waiting to send"
        assert delivery_status(s, attempt_id).event_id == event_id


def test_the_event_joins_the_callers_transaction(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
    with pytest.raises(RuntimeError), db.transaction() as s:
        enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                      grading_progress="FullyGraded", score_given=8, score_maximum=10)
        raise RuntimeError("the grade could not be saved")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert delivery_status(s, attempt_id).text == "not sent to the LMS"


def test_a_release_supersedes_the_unsent_submit_and_is_strictly_later(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        first = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                              grading_progress="PendingManual", now=MOMENT)
        # the same millisecond (or a clock stepping back): still strictly later
        second = enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                               grading_progress="FullyGraded", score_given=7.5, score_maximum=10,
                               comment="Clear case; quantify the savings.",
                               now=MOMENT - timedelta(seconds=1))
        assert first is not None and second is not None
        s.refresh(first)
        assert first.status == "superseded"
        assert second.dedupe_key == f"ags:{attempt_id}:2"
        assert second.payload["timestamp"] == "2026-11-22T09:30:15.124+00:00"
        assert second.payload["line_item_maximum"] == 10
        assert second.payload["comment"] == "Clear case; quantify the savings."
        assert delivery_status(s, attempt_id).event_id == second.id


def test_the_score_is_the_residents_even_when_faculty_launch_gives_the_endpoints(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms, sub="resident-9", launched=False)
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        faculty = launch_context(lms, user_pk=attempt.user_id, sub="faculty-1", course_pk=None,
                                 context_id="311", role="faculty")
        event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                              grading_progress="FullyGraded", score_given=9, score_maximum=10,
                              launch=faculty.to_data())
        assert event is not None and event.payload["user_id"] == "resident-9"


def test_without_a_launch_of_their_own_anyones_launch_of_the_link_serves(db, lms):
    with db.transaction() as s:
        seed_attempt(s, lms, sub="resident-1")
        attempt_id = seed_attempt(s, lms, sub="resident-2", launched=False)
        event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                              grading_progress="PendingManual")
        assert event is not None
        assert event.payload["user_id"] == "resident-2"
        assert event.payload["lineitem"] == lms.line_item


def test_without_the_lineitem_claim_the_container_link_and_pod_are_kept(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms, lineitem=None)
        event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                              grading_progress="FullyGraded", score_given=3, score_maximum=4,
                              label="Budget pod (PGY-2)")
        assert event is not None
    payload = ScorePayload.from_data(event.payload)
    assert payload.lineitem is None and payload.lineitems == lms.services.lineitems_url
    assert (payload.resource_link_id, payload.pod_slug, payload.label) == (
        LINK, POD, "Budget pod (PGY-2)")
    assert payload.line_item_maximum == 4


@pytest.mark.parametrize("launch", [
    {"ags": False},
    {"lineitem": None, "lineitems": False},
    {"scopes": (SCOPE_LINEITEM,)},
])
def test_a_link_that_takes_no_grades_queues_nothing(db, lms, launch):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms, **launch)
        assert enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                             grading_progress="PendingManual") is None
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_refusals_say_what_is_wrong(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        with pytest.raises(OutboxError, match="no attempt 999"):
            enqueue_score(s, attempt_id=999, activity_progress="Submitted",
                          grading_progress="PendingManual")
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        elsewhere = launch_context(lms, user_pk=attempt.user_id, sub="resident-1",
                                   course_pk=None, context_id="311", link="another-link")
        with pytest.raises(OutboxError, match="not from the attempt's link"):
            enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                          grading_progress="PendingManual", launch=elsewhere)
        with pytest.raises(ValueError, match="both or neither"):
            enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                          grading_progress="FullyGraded", score_given=5)


def test_a_payload_needs_somewhere_to_go():
    with pytest.raises(ValueError, match="line item URL"):
        ScorePayload(platform_id=1, user_id="u", timestamp=MOMENT.isoformat(),
                     activity_progress="Submitted", grading_progress="PendingManual",
                     lineitems="https://lms.test/line_items")


def _set(db, event_id, **values):
    with db.transaction() as s:
        event = s.get(OutboxEvent, event_id)
        for name, value in values.items():
            setattr(event, name, value)


@pytest.fixture
def queued(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                              grading_progress="PendingManual", now=MOMENT)
        assert event is not None
        return attempt_id, event.id


@pytest.mark.parametrize(("values", "state", "text"), [
    ({}, "waiting", "waiting to send"),
    ({"status": "delivering", "attempts": 1}, "sending", "sending to the LMS"),
    ({"status": "delivered", "attempts": 1, "last_http_status": 200}, "delivered",
     "in gradebook"),
    ({"attempts": 1, "last_http_status": 503, "last_error": "the LMS answered 503: busy",
      "next_attempt_at": MOMENT + timedelta(seconds=120)}, "retrying",
     "retrying — the LMS answered 503 (next try in 2 min)"),
    ({"attempts": 2, "last_error": "the LMS did not answer within 10 s",
      "next_attempt_at": MOMENT + timedelta(seconds=40)}, "retrying",
     "retrying — the LMS did not answer within 10 s (next try in 40 s)"),
    ({"status": "failed", "attempts": 1, "last_http_status": 422,
      "last_error": "the LMS answered 422: User not found in course or is not a student"},
     "failed", "failed — the LMS answered 422: User not found in course or is not a student"),
])
def test_faculty_read_where_each_grade_stands(db, queued, values, state, text):
    attempt_id, event_id = queued
    _set(db, event_id, **values)
    with db.transaction() as s:
        line = delivery_status(s, attempt_id, now=MOMENT)
    assert (line.state, line.text, str(line)) == (state, text, text)
    assert line.can_retry is (state == "failed")


def test_a_failed_grade_can_be_retried_and_only_a_failed_one(db, queued):
    attempt_id, event_id = queued
    with db.transaction() as s, pytest.raises(OutboxError, match="only a failed delivery"):
        retry_failed(s, event_id)
    _set(db, event_id, status="failed", attempts=1, last_http_status=422, last_error="no")
    with db.transaction() as s:
        event = retry_failed(s, event_id, now=MOMENT + timedelta(hours=1))
        assert (event.status, event.attempts) == ("pending", 0)
        assert event.next_attempt_at == MOMENT + timedelta(hours=1)
    with db.transaction() as s:
        assert delivery_status(s, attempt_id).text == "waiting to send"
        with pytest.raises(OutboxError, match="no such grade delivery") as refused:
            retry_failed(s, 12345)
        assert refused.value.status == 404
