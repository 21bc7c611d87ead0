"""Tables of the pod player: where a pod is placed, and each resident's attempt at it.

A *placement* is one LMS link to a pod (a resource link in a course); its settings
(due date, video overrides) belong to faculty of that course. An *attempt* is one
resident's work on one placement: there is exactly one per resident and placement,
open until submitted and read-only until faculty return it for revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..config.database import Base, UTCDateTime, utcnow

STATUS_IN_PROGRESS = "in_progress"
STATUS_SUBMITTED = "submitted"
STATUS_RETURNED = "returned"


class Placement(Base):
    __tablename__ = "pod_placement"
    __table_args__ = (
        UniqueConstraint("platform_id", "context_key", "resource_link_id",
                         name="uq_pod_placement_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    #: the LMS course id ("" for a link outside a course)
    context_key: Mapped[str] = mapped_column(String(255))
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), default=None)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    pod_slug: Mapped[str] = mapped_column(String(60))
    title: Mapped[str | None] = mapped_column(String(500), default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: section id -> video URL chosen by the institution for this placement
    video_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Attempt(Base):
    __tablename__ = "pod_attempt"
    __table_args__ = (
        UniqueConstraint("placement_id", "user_id", name="uq_pod_attempt_placement_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("pod_placement.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=STATUS_IN_PROGRESS)
    #: bumped by every accepted save; a save made from an older version is refused
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: section id -> the resident's answer for it (shape per section type: pods/answers.py)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the section the resident was last on
    position: Mapped[str | None] = mapped_column(String(100), default=None)
    active_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: the last save applied, so a retried save is answered, not applied twice
    last_save_id: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    return_message: Mapped[str | None] = mapped_column(Text, default=None)
