"""When to try an undelivered event again, and what to tell people about it. Pure.

*Exponential backoff with full jitter*: after the n-th failed try the next one waits a
random time between ``min_delay`` and ``min(cap, base * 2**(n-1))``, so workers that
failed together do not all come back at the same moment. A ``Retry-After`` from the
LMS (429, 503) is honoured instead, up to the cap. After ``max_attempts`` tries the
event is failed for good.

Retryable: network errors and timeouts, 408, 429 and every 5xx. Any other 4xx will
never succeed as it is (a user who is not a student, a deleted line item, a refused
token request): it fails at once with the LMS's own message.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

RETRYABLE_4XX = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_4XX


@dataclass(frozen=True)
class Backoff:
    """The retry schedule of outbox events (seconds)."""

    base: float = 10.0
    cap: float = 3600.0
    min_delay: float = 1.0
    max_attempts: int = 12

    def delay(self, attempts: int, *, retry_after: float | None = None,
              rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``attempts`` failed tries (``attempts`` >= 1)."""
        if retry_after is not None:
            return min(self.cap, max(self.min_delay, retry_after))
        ceiling = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        return max(self.min_delay, rng() * ceiling)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def describe_wait(seconds: float) -> str:
    """``"40 s"``, ``"2 min"``, ``"1 h"`` — rounded up, for people."""
    if seconds <= 0:
        return "a moment"
    if seconds < 60:
        return f"{int(-(-seconds // 1))} s"
    if seconds < 3600:
        return f"{int(-(-seconds // 60))} min"
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 10 or hours.is_integer() else f"{hours:.1f} h"
