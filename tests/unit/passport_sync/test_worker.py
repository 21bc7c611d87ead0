"""The worker against an LMS that fails the ways real ones do: every grade ends delivered
exactly once, or visibly failed with the reason; a worker that dies loses nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from leadership_pods.passport_sync import delivery_status, enqueue_score, retry_failed
from leadership_pods.passport_sync.delivery import Delivered
from leadership_pods.passport_sync.outbox import ClaimedEvent, claim
from leadership_pods.passport_sync.retry import Backoff
from leadership_pods.passport_sync.worker import RunStats, Worker

from .support import event_row, seed_attempt

RELEASED = {"activity_progress": "Completed", "grading_progress": "FullyGraded",
            "score_given": 8, "score_maximum": 10, "comment": "Well argued."}


def queue(db, lms, *, n: int = 1, **score) -> list[tuple[int, int]]:
    """``n`` residents' released grades queued; (attempt id, event id) each."""
    queued = []
    with db.transaction() as s:
        for i in range(n):
            attempt_id = seed_attempt(s, lms, sub=f"resident-{i}")
            event = enqueue_score(s, attempt_id=attempt_id, **(score or RELEASED))
            queued.append((attempt_id, event.id))
    return queued


def status(db, attempt_id, clock):
    with db.transaction() as s:
        return delivery_status(s, attempt_id, now=clock())


def bodies(lms) -> list[dict]:
    return [json.loads(c.body) for c in lms.score_posts()]


def test_a_grade_is_delivered_once_and_not_again(db, lms, make_worker, clock):
    [(attempt_id, event_id)] = queue(db, lms)
    worker = make_worker()
    assert worker.run_once().delivered == 1
    assert worker.run_once().processed == 0
    clock.advance(3600)
    assert worker.run_once().processed == 0
    assert len(lms.score_posts()) == 1
    assert lms.results() == {"resident-0": (8.0, 10.0, "Well argued.")}
    row = event_row(db, event_id)
    assert (row.status, row.attempts, row.last_http_status) == ("delivered", 1, 200)
    assert status(db, attempt_id, clock).text == "in gradebook"


@pytest.mark.parametrize(("fault", "text"), [
    ({"status": 500, "body": "Internal Server Error"},
     "retrying — the LMS answered 500 (next try in 5 s)"),
    ({"status": 503, "headers": {"Retry-After": "120"}},
     "retrying — the LMS answered 503 (next try in 2 min)"),
    ({"status": 429, "headers": {"Retry-After": "30"}, "body": "Rate limit exceeded"},
     "retrying — the LMS answered 429 (next try in 30 s)"),
    ({"status": 502, "times": 3}, "retrying — the LMS answered 502 (next try in 5 s)"),
])
def test_busy_or_broken_lms_answers_are_retried_until_delivered_once(db, lms, make_worker, clock,
                                                                     fault, text):
    [(attempt_id, event_id)] = queue(db, lms)
    times = fault.pop("times", 1)
    lms.services.inject(endpoint="scores", times=times, **fault)
    worker = make_worker()  # rng 0.5: half of the 10 s first ceiling, then 10 s, 20 s
    first = worker.run_once()
    assert (first.retrying, first.delivered) == (1, 0)
    assert status(db, attempt_id, clock).text == text
    retry_after = fault.get("headers", {}).get("Retry-After")
    if retry_after:  # honoured exactly
        assert event_row(db, event_id).next_attempt_at == clock() + timedelta(
            seconds=int(retry_after))
        clock.advance(int(retry_after) - 1)
        assert worker.run_once().processed == 0  # not yet
    for _ in range(times + 1):
        clock.advance(120)
        worker.run_once()
    row = event_row(db, event_id)
    assert (row.status, row.attempts, row.last_error) == ("delivered", times + 1, None)
    sent = bodies(lms)
    assert len(sent) == times + 1 and all(b == sent[0] for b in sent)  # the same score
    assert lms.results() == {"resident-0": (8.0, 10.0, "Well argued.")}
    assert status(db, attempt_id, clock).text == "in gradebook"


def test_a_timeout_is_retried_and_the_lms_counts_the_score_once(db, lms, make_worker, clock):
    [(attempt_id, event_id)] = queue(db, lms)
    # the LMS is slow, not down: it stores the score after the tool gave up waiting (the
    # timeout leaves the token request, on a machine busy with other tests, time enough)
    lms.services.inject(endpoint="scores", delay=4.0)
    worker = make_worker(timeout=1.5)
    assert worker.run_once().retrying == 1
    line = status(db, attempt_id, clock)
    assert line.text == "retrying — the LMS did not answer within 1.5 s (next try in 5 s)"
    assert line.http_status is None
    clock.advance(10)
    assert worker.run_once().delivered == 1
    deadline = time.monotonic() + 10
    while not all(c.status for c in lms.score_posts()) and time.monotonic() < deadline:
        time.sleep(0.02)  # the slow first answer is still on its way
    first, again = bodies(lms)
    assert first == again  # same timestamp: the LMS sees one score, not two
    assert lms.results() == {"resident-0": (8.0, 10.0, "Well argued.")}
    assert event_row(db, event_id).attempts == 2


def test_a_422_fails_at_once_with_the_lms_message_and_can_be_retried(db, lms, make_worker, clock):
    [(attempt_id, event_id)] = queue(db, lms)
    lms.services.members.clear()  # the LMS no longer has them as a student
    worker = make_worker()
    assert worker.run_once().failed == 1
    line = status(db, attempt_id, clock)
    assert line.text == ("failed — the LMS answered 422: User not found in course or is not a "
                         "student")
    assert (line.state, line.can_retry, line.http_status, line.attempts) == (
        "failed", True, 422, 1)
    clock.advance(24 * 3600)
    assert worker.run_once().processed == 0  # failed for good: not retried by itself
    lms.services.add_member("resident-0")  # faculty fix the enrolment, then retry
    with db.transaction() as s:
        retry_failed(s, event_id, now=clock())
    assert worker.run_once().delivered == 1
    assert status(db, attempt_id, clock).text == "in gradebook"
    assert len(lms.score_posts()) == 2 and lms.results()["resident-0"][0] == 8.0


def test_a_refused_token_request_fails_with_the_registration_problem(db, lms, make_worker, clock):
    [(attempt_id, _)] = queue(db, lms)
    lms.services.inject(400, endpoint="token", body=json.dumps(
        {"error": "invalid_client", "error_description": "unknown client"}))
    assert make_worker().run_once().failed == 1
    assert status(db, attempt_id, clock).text == (
        "failed — the LMS refused the tool's access token request (400): invalid_client: "
        "unknown client")
    assert lms.score_posts() == []


def test_it_gives_up_after_the_last_try(db, lms, make_worker, clock):
    [(attempt_id, _)] = queue(db, lms)
    lms.services.inject(500, endpoint="scores", times=3, body="still broken")
    worker = make_worker(backoff=Backoff(max_attempts=3))
    outcomes = []
    for _ in range(4):
        outcomes.append(worker.run_once())
        clock.advance(3600)
    assert [(o.retrying, o.failed) for o in outcomes] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    assert status(db, attempt_id, clock).text == (
        "failed — gave up after 3 tries: the LMS answered 500: still broken")


def test_a_worker_killed_after_the_lms_took_the_score_loses_nothing(db, lms, make_worker, clock):
    """Claim, deliver, die before recording; the claim expires; the next run resends the
    very same score, which the LMS stores as the one it has."""
    [(attempt_id, event_id)] = queue(db, lms)
    dying = make_worker()
    with db.transaction() as s:
        (event,) = claim(s, limit=1, now=clock(), lease=dying.lease)
    dying.deliverers["ags_score"].deliver(event)  # the LMS accepted it ... and the worker died
    assert status(db, attempt_id, clock).text == "sending to the LMS"

    restarted = make_worker()
    assert restarted.run_once().processed == 0  # the claim still holds
    clock.advance(dying.lease.total_seconds())
    assert restarted.run_once().delivered == 1
    first, resent = bodies(lms)
    assert first == resent
    assert lms.results() == {"resident-0": (8.0, 10.0, "Well argued.")}
    item = lms.services.line_items[1]
    assert item.timestamps["resident-0"].isoformat(timespec="milliseconds") == first["timestamp"]
    row = event_row(db, event_id)
    assert (row.status, row.attempts) == ("delivered", 2)


def test_a_release_after_a_failed_submit_replaces_it(db, lms, make_worker, clock):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        enqueue_score(s, attempt_id=attempt_id, activity_progress="Submitted",
                      grading_progress="PendingManual")
    lms.services.inject(503, endpoint="scores", headers={"Retry-After": "600"})
    worker = make_worker()
    assert worker.run_once().retrying == 1
    with db.transaction() as s:
        enqueue_score(s, attempt_id=attempt_id, **RELEASED)
    clock.advance(1)
    stats = worker.run_once()
    assert (stats.delivered, stats.superseded) == (1, 0)
    assert [b["gradingProgress"] for b in bodies(lms)] == ["PendingManual", "FullyGraded"]
    clock.advance(3600)
    assert worker.run_once().processed == 0  # the superseded submit is never sent
    assert status(db, attempt_id, clock).text == "in gradebook"


def test_one_access_token_serves_every_score_in_its_lifetime(db, lms, make_worker):
    queue(db, lms, n=25)
    worker = make_worker(batch_size=4)
    assert worker.run_once().delivered == 25
    assert lms.services.token_requests == 1
    assert len(lms.results()) == 25


def test_an_unexpected_error_is_retried_like_a_network_one(db, lms, clock):
    [(attempt_id, _)] = queue(db, lms)

    class Broken:
        def deliver(self, event: ClaimedEvent) -> Delivered:
            raise KeyError("surprise")

    worker = Worker(db, {"ags_score": Broken()}, now=clock, rng=lambda: 0.5)
    assert worker.run_once().retrying == 1
    assert status(db, attempt_id, clock).text == (
        "retrying — the tool hit an unexpected error (KeyError) (next try in 5 s)")


def test_stopping_finishes_the_event_in_hand_and_hands_back_the_rest(db, lms, make_worker):
    queued = queue(db, lms, n=3)
    worker = make_worker(batch_size=3)
    real = worker.deliverers["ags_score"]

    class StopAfterFirst:
        def deliver(self, event: ClaimedEvent) -> Delivered:
            worker.stop()  # SIGTERM arrives while the first score is being sent
            return real.deliver(event)

    worker.deliverers["ags_score"] = StopAfterFirst()
    assert worker.run_once().delivered == 1
    rows = [event_row(db, event_id) for _, event_id in queued]
    assert [(r.status, r.attempts) for r in rows] == [
        ("delivered", 1), ("pending", 0), ("pending", 0)]


def test_the_loop_idles_when_nothing_is_due_and_stops_when_told(db, lms, make_worker):
    queue(db, lms, n=2)
    worker = make_worker()
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            worker.stop()

    total = worker.run_forever(poll_interval=0.5, wait=wait)
    assert total.delivered == 2 and waits == [0.5, 0.5]
    assert isinstance(total, RunStats) and str(total) == (
        "delivered 2, retrying 0, failed 0, superseded 0")
