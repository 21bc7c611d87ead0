"""The outbox worker end to end: from a real LTI launch to the LMS gradebook through
``leadership-pods worker``; two workers at once; a worker process killed mid-delivery;
a looping worker stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from leadership_pods.config.database import utcnow
from leadership_pods.lti_tool.claims import AGS_ENDPOINT
from leadership_pods.passport_sync import delivery_status, enqueue_score
from leadership_pods.passport_sync.models import OutboxEvent
from leadership_pods.pods.models import Attempt
from tests.conftest import make_app
from tests.support.platform import TOOL_BASE_URL
from tests.support.platform_services import ALL_SCOPES
from tests.unit.passport_sync.support import Clock, event_row, seed_attempt, serve_lms, worker_for

REPO = Path(__file__).resolve().parents[2]
SECRET = "test-secret-" + "x" * 20  # what tests/conftest.py's make_app sets
POD = "governance"
RELEASED = {"activity_progress": "Completed", "grading_progress": "FullyGraded",
            "score_given": 9, "score_maximum": 10, "comment": "A clear escalation path."}


@pytest.fixture
def lms(db, platform, signing_key):
    return serve_lms(db, platform, signing_key)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_a_launch_to_the_gradebook_through_the_worker_command(app, client, runner, db, lms,
                                                              platform):
    ags = {"scope": list(ALL_SCOPES[:4]), "lineitems": lms.services.lineitems_url,
           "lineitem": lms.line_item}
    response = platform.launch(client, pod=POD, overrides={AGS_ENDPOINT: ags,
                                                           "sub": "resident-42"})
    assert response.status_code == 303, response.get_data(as_text=True)
    lt = parse_qs(urlsplit(response.headers["Location"]).query)["lt"][0]
    overview = client.get(f"/pods/{POD}", query_string={"lt": lt}, base_url=TOOL_BASE_URL)
    token = overview.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    started = client.post(f"/pods/{POD}/start", data={"lt": lt, "csrf_token": token.split('"')[0]},
                          base_url=TOOL_BASE_URL)
    assert started.status_code == 303
    lms.services.add_member("resident-42")
    with db.transaction() as s:
        attempt_id = s.scalar(select(Attempt.id))
        # the grading code's call: the grade and its event in one transaction
        assert enqueue_score(s, attempt_id=attempt_id, **RELEASED) is not None

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "outbox: delivered 1, retrying 0, failed 0" in result.output
    assert lms.results() == {"resident-42": (9.0, 10.0, "A clear escalation path.")}
    with db.transaction() as s:
        assert delivery_status(s, attempt_id).text == "in gradebook"
    again = runner.invoke(args=["worker", "--once"])
    assert "outbox: delivered 0" in again.output and len(lms.score_posts()) == 1


def test_the_worker_refuses_a_database_without_the_outbox(database_url, tmp_path):
    bare = make_app(database_url, tmp_path, create_schema=False)
    try:
        result = bare.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        bare.extensions["leadership_pods"]["db"].dispose()
    assert result.exit_code == 1
    assert "run `leadership-pods db upgrade` first" in result.output
    assert "Traceback" not in result.output


def test_two_workers_at_once_never_deliver_the_same_score_twice(db, lms, signing_key):
    residents = [f"resident-{i}" for i in range(40)]
    with db.transaction() as s:
        for sub in residents:
            enqueue_score(s, attempt_id=seed_attempt(s, lms, sub=sub), **RELEASED)
    lms.services.inject(endpoint="scores", delay=0.005, times=len(residents))
    clock = Clock()
    workers = []
    for _ in range(2):
        session = requests.Session()
        session.headers["User-Agent"] = "LeadershipPods/test"
        workers.append(worker_for(db, session, signing_key, clock, batch_size=3))
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(index: int) -> None:
        barrier.wait()
        outcomes[index] = workers[index].run_once()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(o is not None for o in outcomes)
    assert sum(o.delivered for o in outcomes) == len(residents)
    assert all(o.delivered > 0 for o in outcomes), outcomes  # both took part
    posted = [json.loads(c.body)["userId"] for c in lms.score_posts()]
    assert sorted(posted) == sorted(residents)  # each score sent exactly once
    with db.transaction() as s:
        rows = s.scalars(select(OutboxEvent)).all()
        assert {(r.status, r.attempts) for r in rows} == {("delivered", 1)}


def _worker_process(database_url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
           "LEADERSHIP_PODS_DEMO": "0", "LEADERSHIP_PODS_INSTANCE_PATH": str(tmp_path / "instance"),
           "LEADERSHIP_PODS_BASE_URL": TOOL_BASE_URL}
    return subprocess.Popen([sys.executable, "-m", "leadership_pods.cli", "worker", *args],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_a_worker_process_killed_mid_delivery_loses_nothing(db, lms, signing_key, database_url,
                                                             tmp_path):
    with db.transaction() as s:
        attempt_id = seed_attempt(s, lms)
        event_id = enqueue_score(s, attempt_id=attempt_id, **RELEASED).id
    # the LMS takes its time, then stores the score whether or not the tool still waits
    lms.services.inject(endpoint="scores", delay=1.5)
    process = _worker_process(database_url, tmp_path, "--once")
    try:
        wait_until(lambda: len(lms.score_posts()) == 1)
    finally:
        process.kill()  # SIGKILL: no chance to record anything
        process.communicate(timeout=10)
    wait_until(lambda: lms.score_posts()[0].status == 200)  # the LMS has the score
    row = event_row(db, event_id)
    assert (row.status, row.attempts) == ("delivering", 1)

    session = requests.Session()
    session.headers["User-Agent"] = "LeadershipPods/test"
    restarted = worker_for(db, session, signing_key, Clock(utcnow() + timedelta(minutes=5, seconds=1)))
    assert restarted.run_once().delivered == 1
    first, resent = (json.loads(c.body) for c in lms.score_posts())
    assert first == resent  # the same timestamp and values: one score to the LMS
    assert lms.results() == {"resident-1": (9.0, 10.0, "A clear escalation path.")}
    assert (event_row(db, event_id).status, event_row(db, event_id).attempts) == ("delivered", 2)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_a_looping_worker_after_the_score_in_hand(db, lms, database_url, tmp_path):
    with db.transaction() as s:
        event_id = enqueue_score(s, attempt_id=seed_attempt(s, lms), **RELEASED).id
    lms.services.inject(endpoint="scores", delay=1.0)
    process = _worker_process(database_url, tmp_path, "--poll-interval", "0.1")
    try:
        wait_until(lambda: len(lms.score_posts()) == 1)
        process.send_signal(signal.SIGTERM)  # while the score is on its way
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "outbox: delivered 1" in out
    assert "SIGTERM received; stopping after the current event" in err
    assert event_row(db, event_id).status == "delivered"
