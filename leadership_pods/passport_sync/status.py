"""A grade's delivery status in words for faculty: "in gradebook", "retrying — …", "failed — …"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config.database import utcnow
from .models import (
    KIND_AGS_SCORE,
    STATUS_DELIVERED,
    STATUS_DELIVERING,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SUPERSEDED,
    OutboxEvent,
)
from .retry import describe_wait

STATE_NONE = "none"
STATE_WAITING = "waiting"
STATE_SENDING = "sending"
STATE_RETRYING = "retrying"
STATE_DELIVERED = "delivered"
STATE_FAILED = "failed"

TEXT_NONE = "not sent to the LMS"
TEXT_DELIVERED = "in gradebook"
TEXT_WAITING = "waiting to send"
TEXT_SENDING = "sending to the LMS"


@dataclass(frozen=True)
class StatusLine:
    """One grade's passback status; ``text`` is what faculty read."""

    state: str
    text: str
    event_id: int | None = None
    can_retry: bool = False
    http_status: int | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    def __str__(self) -> str:
        return self.text


def _problem(event: OutboxEvent) -> str:
    if event.last_http_status is not None:
        return f"the LMS answered {event.last_http_status}"
    return event.last_error or "the LMS could not be reached"


def _line(event: OutboxEvent, state: str, text: str, *, can_retry: bool = False) -> StatusLine:
    return StatusLine(state, text, event_id=event.id, can_retry=can_retry,
                      http_status=event.last_http_status, attempts=event.attempts,
                      next_attempt_at=event.next_attempt_at, delivered_at=event.delivered_at)


def status_of(event: OutboxEvent | None, *, now: datetime | None = None) -> StatusLine:
    """The status line of one outbox event (None: nothing was queued)."""
    if event is None:
        return StatusLine(STATE_NONE, TEXT_NONE)
    if event.status == STATUS_DELIVERED:
        return _line(event, STATE_DELIVERED, TEXT_DELIVERED)
    if event.status == STATUS_FAILED:
        return _line(event, STATE_FAILED, f"failed — {event.last_error or 'the LMS refused it'}",
                     can_retry=True)
    if event.status == STATUS_DELIVERING:
        return _line(event, STATE_SENDING, TEXT_SENDING)
    if event.status == STATUS_PENDING and (event.attempts or event.last_error):
        wait = (event.next_attempt_at - (now or utcnow())).total_seconds()
        return _line(event, STATE_RETRYING,
                     f"retrying — {_problem(event)} (next try in {describe_wait(wait)})")
    return _line(event, STATE_WAITING, TEXT_WAITING)


def latest_score_event(session: Session, attempt_id: int) -> OutboxEvent | None:
    return session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.kind == KIND_AGS_SCORE, OutboxEvent.attempt_id == attempt_id,
               OutboxEvent.status != STATUS_SUPERSEDED)
        .order_by(OutboxEvent.id.desc()).limit(1))


def delivery_status(session: Session, attempt_id: int, *,
                    now: datetime | None = None) -> StatusLine:
    """Where the attempt's latest score stands on its way to the LMS gradebook."""
    return status_of(latest_score_event(session, attempt_id), now=now)
