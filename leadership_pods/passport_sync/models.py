"""The outbox table: what must reach the LMS (or the passport), and how far it got.

An *outbox event* is written in the same transaction as the change it reports (a
grade, a completion), so one never exists without the other. The worker delivers it
afterwards and records the outcome on the row: a sync record with a status, the
last error and a bounded number of tries (the shape of hypothesis/lms's
``grading_sync``).

Statuses: ``pending`` (due at ``next_attempt_at``), ``delivering`` (claimed by a
worker until ``lease_until``; an expired claim is picked up again, so a killed
worker loses nothing), ``delivered``, ``failed`` (for good, with the reason; faculty
may retry it) and ``superseded`` (a newer event of the same kind for the same
attempt replaced it before it went out: only the latest grade matters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..config.database import Base, UTCDateTime, utcnow

KIND_AGS_SCORE = "ags_score"

STATUS_PENDING = "pending"
STATUS_DELIVERING = "delivering"
STATUS_DELIVERED = "delivered"
STATUS_FAILED = "failed"
STATUS_SUPERSEDED = "superseded"
STATUSES = (STATUS_PENDING, STATUS_DELIVERING, STATUS_DELIVERED, STATUS_FAILED,
            STATUS_SUPERSEDED)


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_due", "status", "next_attempt_at"),
        Index("ix_outbox_event_attempt", "attempt_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what to deliver: "ags_score" (a score for an LMS gradebook), later "passport"
    kind: Mapped[str] = mapped_column(String(30))
    #: one event per change, e.g. ``ags:<attempt id>:<n>``; enqueueing it twice fails
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: everything delivery needs, fixed when enqueued (a resend sends the same thing)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_PENDING)
    #: tries so far, counted when a worker claims the event
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: set per claim; an outcome is recorded only by the worker still holding the claim
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    #: the last failure in words for people ("the LMS answered 422: …")
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: the pod attempt the event reports on, if any (the payload stands on its own)
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("pod_attempt.id", ondelete="SET NULL"), default=None)
