"""Tables of rubrics: a course's rubric for a pod, its immutable versions, the assessment
of each submitted attempt, and the audit log of changes.

A *rubric* is one pod's rubric in one course (``context_pk``; the pod package's rubric is
the default and is copied into the course's version 1 on first use). A *rubric version*
is never updated: every save makes a new one, and ``Rubric.current_version_id`` points at
the newest. ``RubricVersion.data`` has the shape of a package's ``rubric.yaml`` (see
``rubrics/document.py``). An *assessment* is the scoring of one submitted attempt with
one version, which it records; its ``metrics`` are the attempt's numbers at scoring
time, so it can be rescored with another version without the attempt's answers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..config.database import Base, UTCDateTime, utcnow

#: scored automatically; faculty criteria wait for a grader
STATUS_NEEDS_GRADING = "needs_grading"
#: every criterion scored (or partly, by a grader), not yet released to the resident / LMS
STATUS_DRAFT = "draft"
STATUS_RELEASED = "released"
#: sent back to the resident for revision; scored again on resubmission
STATUS_RETURNED = "returned"
ASSESSMENT_STATUSES = (STATUS_NEEDS_GRADING, STATUS_DRAFT, STATUS_RELEASED, STATUS_RETURNED)


class Rubric(Base):
    __tablename__ = "rubric"
    __table_args__ = (UniqueConstraint("pod_slug", "context_pk", name="uq_rubric_pod_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pod_slug: Mapped[str] = mapped_column(String(60))
    #: the course (None for links outside a course, which use the package rubric as is)
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), default=None)
    #: the newest version's id. Not a foreign key: versions belong to the rubric, and a key
    #: each way would be a cycle that SQLite cannot migrate. RubricService keeps it right.
    current_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RubricVersion(Base):
    __tablename__ = "rubric_version"
    __table_args__ = (UniqueConstraint("rubric_id", "number", name="uq_rubric_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    #: 1, 2, 3 … within the rubric; 1 is the pod package's rubric
    number: Mapped[int] = mapped_column(Integer)
    #: the rubric in the shape of rubric.yaml (rubrics/document.py)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the faculty member who saved it; None for version 1 (copied from the package)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("lms_user.id", ondelete="SET NULL"), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class Assessment(Base):
    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_version_status", "rubric_version_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("pod_attempt.id", ondelete="CASCADE"), unique=True)
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=STATUS_NEEDS_GRADING)
    #: metric name -> value (0-100), as the attempt gave them when it was scored
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: faculty criterion id -> chosen level id
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: criterion id -> the grader's comment
    comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    feedback: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    maximum: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    percent: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(0))
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    grader_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_user.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RubricAudit(Base):
    """Who changed a rubric, when, and what: one row per change, never updated."""

    __tablename__ = "rubric_audit"
    __table_args__ = (Index("ix_rubric_audit_rubric_at", "rubric_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    #: None when the tool did it (version 1 copied from the package)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_user.id", ondelete="SET NULL"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: "created" (version 1 from the package) or "saved" (a new version)
    action: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
