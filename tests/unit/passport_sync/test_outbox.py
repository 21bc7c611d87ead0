"""Claims, leases and recorded outcomes of the outbox (no delivery here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from leadership_pods.config.database import utcnow
from leadership_pods.passport_sync import enqueue_score
from leadership_pods.passport_sync.models import OutboxEvent
from leadership_pods.passport_sync.outbox import (
    claim,
    enqueue,
    record_delivered,
    record_failed,
    record_retry,
    release,
)

from .support import event_row, seed_attempt

LEASE = timedelta(minutes=5)


def _queue(db, lms, n=1, **score):
    ids = []
    with db.transaction() as s:
        for i in range(n):
            attempt_id = seed_attempt(s, lms, sub=f"resident-{i}")
            event = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                                  grading_progress="PendingManual", **score)
            ids.append(event.id)
    return ids


def test_a_claim_takes_due_events_oldest_first_under_a_lease(db, lms):
    ids = _queue(db, lms, 3)
    now = utcnow()
    with db.transaction() as s:
        first = claim(s, limit=2, now=now, lease=LEASE)
    assert [e.id for e in first] == ids[:2]
    assert all(e.attempts == 1 and e.kind == "ags_score" for e in first)
    assert len({e.claim_token for e in first}) == 1
    row = event_row(db, ids[0])
    assert (row.status, row.lease_until, row.attempts) == ("delivering", now + LEASE, 1)
    with db.transaction() as s:
        rest = claim(s, limit=5, now=now, lease=LEASE)
        assert [e.id for e in rest] == ids[2:]
        assert claim(s, limit=5, now=now + LEASE - timedelta(seconds=1)) == []


def test_an_expired_claim_is_taken_again_and_the_old_holder_cannot_record(db, lms):
    (event_id,) = _queue(db, lms)
    now = utcnow()
    with db.transaction() as s:
        (stale,) = claim(s, limit=1, now=now, lease=LEASE)
    with db.transaction() as s:
        (fresh,) = claim(s, limit=1, now=now + LEASE, lease=LEASE)
    assert fresh.id == event_id and fresh.attempts == 2 and fresh.claim_token != stale.claim_token
    with db.transaction() as s:
        assert record_delivered(s, stale, http_status=200) is None
        assert record_failed(s, stale, error="late", http_status=500) is None
        assert record_delivered(s, fresh, http_status=200) == "delivered"
    row = event_row(db, event_id)
    assert row.status == "delivered" and row.last_http_status == 200 and row.lease_until is None


def test_a_retry_is_due_only_after_its_delay(db, lms):
    (event_id,) = _queue(db, lms)
    now = utcnow()
    with db.transaction() as s:
        (event,) = claim(s, limit=1, now=now)
        assert record_retry(s, event, error="the LMS answered 500", http_status=500, delay=30,
                            now=now) == "pending"
    row = event_row(db, event_id)
    assert row.next_attempt_at == now + timedelta(seconds=30) and row.claim_token == event.claim_token
    with db.transaction() as s:
        assert claim(s, limit=1, now=now + timedelta(seconds=29)) == []
        assert [e.id for e in claim(s, limit=1, now=now + timedelta(seconds=30))] == [event_id]


def test_due_at_leaves_out_what_became_due_after_a_run_started(db, lms):
    (event_id,) = _queue(db, lms)
    later = utcnow() + timedelta(minutes=1)
    with db.transaction() as s:
        assert claim(s, limit=1, now=later, due_at=later - timedelta(minutes=2)) == []
        assert claim(s, limit=1, now=later, kinds=("passport",)) == []
        assert [e.id for e in claim(s, limit=1, now=later, kinds=("ags_score",))] == [event_id]


def test_an_attempts_newer_score_waits_while_an_older_one_is_in_flight(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        submitted = enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                                  grading_progress="PendingManual")
    now = utcnow()
    with db.transaction() as s:
        (in_flight,) = claim(s, limit=5, now=now)
        released = enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                                 grading_progress="FullyGraded", score_given=1, score_maximum=2)
    assert in_flight.id == submitted.id
    assert event_row(db, submitted.id).status == "delivering"  # in flight: not superseded
    later = utcnow()
    with db.transaction() as s:
        assert claim(s, limit=5, now=later) == []  # due, but waits for the older one
        # the older one fails: the newer one replaces it instead of retrying it
        assert record_retry(s, in_flight, error="x", http_status=503, delay=60,
                            now=later) == "superseded"
        assert [e.id for e in claim(s, limit=5, now=later)] == [released.id]


def test_a_final_failure_of_a_replaced_score_is_superseded_not_failed(db, lms):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                      grading_progress="PendingManual")
    with db.transaction() as s:
        (old,) = claim(s, limit=1)
        enqueue_score(s, attempt_id=attempt_id, activity_progress="Completed",
                      grading_progress="FullyGraded", score_given=2, score_maximum=2)
    with db.transaction() as s:
        assert record_failed(s, old, error="the LMS answered 400: timestamp before last",
                             http_status=400) == "superseded"


def test_a_stopping_worker_hands_back_what_it_did_not_try(db, lms):
    ids = _queue(db, lms, 2)
    with db.transaction() as s:
        batch = claim(s, limit=2)
    with db.transaction() as s:
        assert release(s, batch[1:]) == 1
    row = event_row(db, ids[1])
    assert (row.status, row.attempts, row.lease_until, row.claim_token) == ("pending", 0, None, None)
    assert event_row(db, ids[0]).status == "delivering"


def test_a_dedupe_key_is_queued_once(db):
    with db.transaction() as s:
        enqueue(s, kind="passport", dedupe_key="passport:completion:1", payload={"a": 1})
    with pytest.raises(IntegrityError), db.transaction() as s:
        enqueue(s, kind="passport", dedupe_key="passport:completion:1", payload={"a": 2})
    with db.transaction() as s:
        assert s.scalars(select(OutboxEvent.payload)).all() == [{"a": 1}]
