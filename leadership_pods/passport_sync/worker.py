"""The outbox worker: claim due events, deliver each, record what happened.

Each batch is claimed in a transaction of its own, each event delivered outside any
transaction and its outcome recorded in another, so a slow LMS holds no database
locks, and a worker killed mid-delivery leaves a claim that expires and is taken up
again (the resend is the same score: see ``scores.py``). Failures are retried with
exponential backoff and full jitter, honouring Retry-After, a bounded number of
times (``retry.py``); an answer that will never succeed fails the event at once with
the LMS's message.

One worker shares one ``TokenService``: an access token serves every score until it
expires, instead of one token request per grade. Clock, randomness and waiting are
injected, so tests never sleep.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy.exc import OperationalError

from ..config.database import Database, utcnow
from ..lti_tool.keys import SigningKey
from ..lti_tool.services import RetryPolicy, ServiceHttp, TokenService
from .delivery import AgsScoreDelivery, Deliverer, DeliveryError
from .models import (
    KIND_AGS_SCORE,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SUPERSEDED,
)
from .outbox import (
    DEFAULT_LEASE,
    ClaimedEvent,
    claim,
    record_delivered,
    record_failed,
    record_retry,
    release,
)
from .retry import Backoff

log = logging.getLogger(__name__)


@dataclass
class RunStats:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    #: outcomes not recorded because the claim had expired and was taken by another worker
    lost_claims: int = 0

    @property
    def processed(self) -> int:
        return self.delivered + self.retrying + self.failed + self.superseded + self.lost_claims

    def add(self, other: RunStats) -> None:
        for name in ("delivered", "retrying", "failed", "superseded", "lost_claims"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (f"delivered {self.delivered}, retrying {self.retrying}, failed {self.failed}, "
                f"superseded {self.superseded}")


class Worker:
    """Delivers the outbox with ``deliverers`` (one per event kind)."""

    def __init__(self, db: Database, deliverers: Mapping[str, Deliverer], *,
                 backoff: Backoff | None = None, batch_size: int = 10,
                 lease: timedelta = DEFAULT_LEASE, now: Callable[[], datetime] = utcnow,
                 rng: Callable[[], float] = random.random) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.db = db
        self.deliverers = dict(deliverers)
        self.backoff = backoff or Backoff()
        self.batch_size = batch_size
        self.lease = lease
        self.now = now
        self.rng = rng
        self._stop = threading.Event()

    # -- control -------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the event in hand, hand back the rest of the batch, and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_once(self) -> RunStats:
        """Deliver every event due now (not those whose next try comes later), then return."""
        stats = RunStats()
        due_at = self.now()
        while not self.stopping:
            with self.db.transaction() as session:
                batch = claim(session, limit=self.batch_size, now=self.now(), due_at=due_at,
                              lease=self.lease, kinds=tuple(self.deliverers))
            if not batch:
                break
            for index, event in enumerate(batch):
                if self.stopping:
                    with self.db.transaction() as session:
                        release(session, batch[index:], now=self.now())
                    break
                self.process(event, stats)
        return stats

    def run_forever(self, *, poll_interval: float = 2.0,
                    wait: Callable[[float], object] | None = None) -> RunStats:
        """Deliver until :meth:`stop`; idle ``poll_interval`` seconds when nothing is due."""
        pause = wait or self._stop.wait
        total = RunStats()
        while not self.stopping:
            try:
                stats = self.run_once()
            except OperationalError as exc:  # the database went away: keep trying
                log.error("outbox worker: database unavailable (%s); trying again in %gs",
                          exc.__class__.__name__, poll_interval)
                pause(poll_interval)
                continue
            total.add(stats)
            if not stats.processed and not self.stopping:
                pause(poll_interval)
        return total

    # -- one event -----------------------------------------------------------------------
    def process(self, event: ClaimedEvent, stats: RunStats) -> None:
        error: DeliveryError | None = None
        http_status: int | None = None
        try:
            http_status = self.deliverers[event.kind].deliver(event).http_status
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug or the unforeseen: retried, bounded like the rest
            log.exception("outbox event %s: unexpected error while delivering", event.id)
            error = DeliveryError(f"the tool hit an unexpected error ({exc.__class__.__name__})",
                                  retryable=True)
        with self.db.transaction() as session:
            moment = self.now()
            if error is None:
                status = record_delivered(session, event, http_status=http_status, now=moment)
            elif error.retryable and not self.backoff.gives_up(event.attempts):
                delay = self.backoff.delay(event.attempts, retry_after=error.retry_after,
                                           rng=self.rng)
                status = record_retry(session, event, error=error.message,
                                      http_status=error.http_status, delay=delay, now=moment)
                if status == STATUS_PENDING:
                    log.warning("outbox event %s (%s): %s; try %d of %d, next in %.0fs",
                                event.id, event.dedupe_key, error.message, event.attempts,
                                self.backoff.max_attempts, delay)
            else:
                message = error.message if not error.retryable else (
                    f"gave up after {event.attempts} tries: {error.message}")
                status = record_failed(session, event, error=message,
                                       http_status=error.http_status, now=moment)
                if status == STATUS_FAILED:
                    log.error("outbox event %s (%s) failed: %s", event.id, event.dedupe_key,
                              message)
        if status is None:
            stats.lost_claims += 1
        elif status == STATUS_SUPERSEDED:
            log.info("outbox event %s superseded by a newer one", event.id)
            stats.superseded += 1
        elif status == STATUS_DELIVERED:
            stats.delivered += 1
        elif status == STATUS_PENDING:
            stats.retrying += 1
        else:
            stats.failed += 1


def make_worker(db: Database, http: requests.Session,
                signing_key_source: Callable[[], SigningKey], *, timeout: float,
                backoff: Backoff | None = None, batch_size: int = 10,
                lease: timedelta = DEFAULT_LEASE, now: Callable[[], datetime] = utcnow,
                rng: Callable[[], float] = random.random) -> Worker:
    """A worker with the LMS grade passback deliverer and a token service of its own.

    Waiting for a busy LMS (429, 503) is the outbox's job, so the HTTP layer does not
    retry in-process: the event is scheduled again and the worker moves on.
    """
    no_wait = RetryPolicy(max_retries=0)
    tokens = TokenService(db, signing_key_source, http, timeout, retry=no_wait)
    calls = ServiceHttp(tokens, http, timeout=timeout, retry=no_wait)
    deliverers: dict[str, Deliverer] = {KIND_AGS_SCORE: AgsScoreDelivery(db, calls)}
    return Worker(db, deliverers, backoff=backoff, batch_size=batch_size, lease=lease, now=now,
                  rng=rng)
