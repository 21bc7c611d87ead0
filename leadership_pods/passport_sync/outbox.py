"""The transactional outbox: enqueue in the caller's transaction, claim, record outcomes.

Service ring: functions take a ``Session`` and ``flush()``, never commit. The worker
calls :func:`claim` and the ``record_*`` functions each in a transaction of its own,
and delivers between them, outside any transaction.

A *claim* marks due events ``delivering`` until a lease expires and stamps them with
a fresh claim token; only the holder of that token can record the outcome, so a
worker that outlived its lease cannot overwrite what another one recorded. On
PostgreSQL the due rows are picked ``FOR UPDATE SKIP LOCKED``; on SQLite (one writer
at a time) one conditional ``UPDATE`` does the picking, so concurrent workers never
claim the same event. Events of the same kind for the same attempt go out in order:
one waits while an earlier one is being delivered.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ..config.database import utcnow
from .errors import OutboxError
from .models import (
    STATUS_DELIVERED,
    STATUS_DELIVERING,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SUPERSEDED,
    OutboxEvent,
)

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class ClaimedEvent:
    """A snapshot of a claimed event: what the worker delivers outside the transaction."""

    id: int
    kind: str
    dedupe_key: str
    payload: Mapping[str, Any]
    attempts: int
    claim_token: str
    attempt_id: int | None


def enqueue(session: Session, *, kind: str, dedupe_key: str, payload: Mapping[str, Any],
            attempt_id: int | None = None, now: datetime | None = None) -> OutboxEvent:
    """Add an event to the outbox, in the caller's transaction (flush only)."""
    moment = now or utcnow()
    event = OutboxEvent(kind=kind, dedupe_key=dedupe_key, payload=dict(payload),
                        status=STATUS_PENDING, attempts=0, next_attempt_at=moment,
                        created_at=moment, updated_at=moment, attempt_id=attempt_id)
    session.add(event)
    session.flush()
    log.info("outbox event %s queued (%s, %s)", event.id, kind, dedupe_key)
    return event


def supersede_earlier(session: Session, *, kind: str, attempt_id: int) -> int:
    """Mark the attempt's undelivered events of ``kind`` (not in flight) superseded."""
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.kind == kind, OutboxEvent.attempt_id == attempt_id,
               OutboxEvent.status.in_((STATUS_PENDING, STATUS_FAILED)))
        .values(status=STATUS_SUPERSEDED, lease_until=None, claim_token=None,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _due(due_at: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxEvent.status == STATUS_PENDING, OutboxEvent.next_attempt_at <= due_at),
        # a claim whose worker died (or hangs): its lease ran out
        and_(OutboxEvent.status == STATUS_DELIVERING, OutboxEvent.lease_until <= due_at),
    )


def _waits_for_earlier(due_at: datetime) -> ColumnElement[bool]:
    earlier = aliased(OutboxEvent)
    return exists().where(
        earlier.kind == OutboxEvent.kind,
        earlier.attempt_id == OutboxEvent.attempt_id,
        earlier.id < OutboxEvent.id,
        earlier.status == STATUS_DELIVERING,
        earlier.lease_until > due_at,
    )


def claim(session: Session, *, limit: int, now: datetime | None = None,
          due_at: datetime | None = None, lease: timedelta = DEFAULT_LEASE,
          kinds: Sequence[str] | None = None) -> list[ClaimedEvent]:
    """Claim up to ``limit`` events due at ``due_at`` (default: now), oldest first."""
    moment = now or utcnow()
    due_at = due_at or moment
    token = secrets.token_hex(16)
    conditions = [_due(due_at), ~_waits_for_earlier(due_at)]
    if kinds is not None:
        conditions.append(OutboxEvent.kind.in_(tuple(kinds)))
    candidates = (select(OutboxEvent.id).where(*conditions)
                  .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id).limit(limit))
    values = {"status": STATUS_DELIVERING, "lease_until": moment + lease,
              "claim_token": token, "attempts": OutboxEvent.attempts + 1,
              "updated_at": moment}
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True,
                                                              of=OutboxEvent)))
        if not ids:
            return []
        picked = update(OutboxEvent).where(OutboxEvent.id.in_(ids))
    else:
        # one statement: SQLite takes the write lock first, so no other worker
        # can claim the same rows between a read and this write
        picked = update(OutboxEvent).where(OutboxEvent.id.in_(candidates.scalar_subquery()),
                                           _due(due_at))
    session.execute(picked.values(**values).execution_options(synchronize_session=False))
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.kind, OutboxEvent.dedupe_key, OutboxEvent.payload,
               OutboxEvent.attempts, OutboxEvent.attempt_id)
        .where(OutboxEvent.claim_token == token).order_by(OutboxEvent.id)
    ).all()
    return [ClaimedEvent(id=r.id, kind=r.kind, dedupe_key=r.dedupe_key, payload=r.payload,
                         attempts=r.attempts, claim_token=token, attempt_id=r.attempt_id)
            for r in rows]


def _holding(event: ClaimedEvent) -> list[ColumnElement[bool]]:
    return [OutboxEvent.id == event.id, OutboxEvent.claim_token == event.claim_token,
            OutboxEvent.status == STATUS_DELIVERING]


def _newer_exists() -> ColumnElement[bool]:
    newer = aliased(OutboxEvent)
    return exists().where(newer.kind == OutboxEvent.kind,
                          newer.attempt_id == OutboxEvent.attempt_id,
                          newer.id > OutboxEvent.id, newer.status != STATUS_SUPERSEDED)


def _record(session: Session, event: ClaimedEvent, values: dict[str, Any]) -> str | None:
    """Apply an outcome if the claim is still held; the status it left, else None."""
    result = session.execute(update(OutboxEvent).where(*_holding(event)).values(**values)
                             .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        log.warning("outbox event %s: the claim was lost (lease expired?); outcome not "
                    "recorded", event.id)
        return None
    return session.scalar(select(OutboxEvent.status).where(OutboxEvent.id == event.id))


def record_delivered(session: Session, event: ClaimedEvent, *, http_status: int | None,
                     now: datetime | None = None) -> str | None:
    """The LMS took it. Like every ``record_*``: the status left, None if the claim was lost."""
    moment = now or utcnow()
    return _record(session, event, {
        "status": STATUS_DELIVERED, "delivered_at": moment, "updated_at": moment,
        "lease_until": None, "last_http_status": http_status, "last_error": None,
    })


def record_retry(session: Session, event: ClaimedEvent, *, error: str, http_status: int | None,
                 delay: float, now: datetime | None = None) -> str | None:
    """Schedule another try in ``delay`` seconds (or supersede, if a newer event exists)."""
    moment = now or utcnow()
    return _record(session, event, {
        "status": case((_newer_exists(), STATUS_SUPERSEDED), else_=STATUS_PENDING),
        "next_attempt_at": moment + timedelta(seconds=delay), "lease_until": None,
        "last_error": error, "last_http_status": http_status, "updated_at": moment,
    })


def record_failed(session: Session, event: ClaimedEvent, *, error: str, http_status: int | None,
                  now: datetime | None = None) -> str | None:
    """Fail for good (or supersede, if a newer event for the same attempt exists)."""
    moment = now or utcnow()
    return _record(session, event, {
        "status": case((_newer_exists(), STATUS_SUPERSEDED), else_=STATUS_FAILED),
        "lease_until": None, "last_error": error, "last_http_status": http_status,
        "updated_at": moment,
    })


def release(session: Session, events: Sequence[ClaimedEvent], *,
            now: datetime | None = None) -> int:
    """Hand back claimed events not tried (a worker stopping): pending again, try uncounted."""
    released = 0
    for event in events:
        result = session.execute(
            update(OutboxEvent).where(*_holding(event))
            .values(status=STATUS_PENDING, lease_until=None, claim_token=None,
                    attempts=OutboxEvent.attempts - 1, updated_at=now or utcnow())
            .execution_options(synchronize_session=False))
        released += int(getattr(result, "rowcount", 0) or 0)
    return released


def retry_failed(session: Session, event_id: int, *, now: datetime | None = None) -> OutboxEvent:
    """Queue a failed event again, due now, with a full set of tries (flush only)."""
    moment = now or utcnow()
    result = session.execute(
        update(OutboxEvent).where(OutboxEvent.id == event_id, OutboxEvent.status == STATUS_FAILED)
        .values(status=STATUS_PENDING, attempts=0, next_attempt_at=moment, lease_until=None,
                claim_token=None, last_error=None, last_http_status=None, updated_at=moment)
        .execution_options(synchronize_session=False))
    event = session.get(OutboxEvent, event_id, populate_existing=True)
    if event is None:
        raise OutboxError("there is no such grade delivery", status=404)
    if not getattr(result, "rowcount", 0):
        raise OutboxError(f"only a failed delivery can be retried; this one is {event.status}",
                          status=409)
    log.info("outbox event %s queued again by hand after failing", event_id)
    return event
