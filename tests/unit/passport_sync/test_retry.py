"""The retry schedule and the words for waits: pure, no fixtures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadership_pods.passport_sync.retry import Backoff, describe_wait, is_retryable_status


@settings(deadline=None)
@given(attempts=st.integers(1, 40), draw=st.floats(0, 1, exclude_max=True))
def test_full_jitter_stays_between_the_floor_and_the_capped_exponential(attempts, draw):
    backoff = Backoff(base=10, cap=3600, min_delay=1)
    delay = backoff.delay(attempts, rng=lambda: draw)
    assert 1 <= delay <= min(3600, 10 * 2 ** (attempts - 1))


def test_the_ceiling_doubles_per_try_up_to_the_cap():
    backoff = Backoff(base=10, cap=3600)
    almost_one = 0.999999
    assert [round(backoff.delay(n, rng=lambda: almost_one)) for n in (1, 2, 3, 4, 9, 10, 12)] == [
        10, 20, 40, 80, 2560, 3600, 3600]
    assert backoff.delay(5, rng=lambda: 0.0) == 1.0  # never a busy loop


def test_retry_after_is_honoured_not_jittered_and_capped():
    backoff = Backoff(base=10, cap=3600)
    assert backoff.delay(1, retry_after=120, rng=lambda: 0.0) == 120
    assert backoff.delay(7, retry_after=0, rng=lambda: 0.9) == 1.0
    assert backoff.delay(1, retry_after=86400) == 3600


def test_it_gives_up_after_the_last_try():
    backoff = Backoff(max_attempts=12)
    assert not backoff.gives_up(11)
    assert backoff.gives_up(12)


@pytest.mark.parametrize(("status", "retryable"), [
    (500, True), (502, True), (503, True), (504, True), (408, True), (429, True),
    (400, False), (401, False), (403, False), (404, False), (409, False), (422, False),
])
def test_only_network_busy_and_server_errors_are_retried(status, retryable):
    assert is_retryable_status(status) is retryable


@pytest.mark.parametrize(("seconds", "words"), [
    (-3, "a moment"), (0, "a moment"), (0.2, "1 s"), (40, "40 s"), (59.5, "60 s"),
    (60, "1 min"), (61, "2 min"), (120, "2 min"), (3599, "60 min"), (3600, "1 h"),
    (5400, "1.5 h"), (12 * 3600, "12 h"),
])
def test_waits_are_said_in_rounded_up_units(seconds, words):
    assert describe_wait(seconds) == words
