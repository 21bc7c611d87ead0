"""Grade passback events: a score for the LMS gradebook, queued with the grade itself.

On submit the grading code queues ``activityProgress: Submitted`` /
``gradingProgress: PendingManual``; on release ``FullyGraded`` with ``scoreGiven`` /
``scoreMaximum`` and the feedback as ``comment``. The *line item* (the gradebook
column) is the launch's ``lineitem`` claim, or else the one found or created in the
``lineitems`` container by resource link and pod.

Everything delivery needs is fixed in the payload when queued, the score's
``timestamp`` included: a resend after a crash carries the same timestamp and values,
so Canvas and Moodle store it as the same score, not a second one. Timestamps of one
attempt's scores strictly increase. Canvas's ``new_submission`` extension is never
sent: a resend of it would count as a second submission.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..lti_tool.claims import LaunchContext
from ..lti_tool.models import LaunchRecord, LmsUser
from ..lti_tool.services.ags import SCOPE_SCORE, ScoreClock, ScoreSubmission, format_timestamp
from ..pods.models import Attempt, Placement
from .errors import OutboxError
from .models import KIND_AGS_SCORE, OutboxEvent
from .outbox import enqueue, supersede_earlier

log = logging.getLogger(__name__)

#: the gradebook column's maximum when a score carries none (Submitted, PendingManual)
DEFAULT_LINE_ITEM_MAXIMUM = 100.0
#: launches looked at, newest first, to find the one of the attempt's link
_LAUNCHES_SCANNED = 50


@dataclass(frozen=True)
class ScorePayload:
    """An ``ags_score`` event's payload: a score and where it goes, self-contained."""

    platform_id: int
    user_id: str  # the LTI ``sub`` of the resident
    timestamp: str  # ISO 8601, fixed at enqueue time
    activity_progress: str
    grading_progress: str
    lineitem: str | None = None
    lineitems: str | None = None
    resource_link_id: str | None = None
    pod_slug: str | None = None
    label: str | None = None
    line_item_maximum: float = DEFAULT_LINE_ITEM_MAXIMUM
    score_given: float | None = None
    score_maximum: float | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if not self.lineitem and not (self.lineitems and self.resource_link_id and self.pod_slug):
            raise ValueError("a score needs the line item URL, or the line items URL with "
                             "the resource link and pod to find or create it by")
        self.submission()  # checks the score fields

    def submission(self) -> ScoreSubmission:
        return ScoreSubmission(user_id=self.user_id, score_given=self.score_given,
                               score_maximum=self.score_maximum,
                               activity_progress=self.activity_progress,
                               grading_progress=self.grading_progress, comment=self.comment)

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.timestamp)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ScorePayload:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def latest_launch(session: Session, placement: Placement, user_pk: int) -> LaunchContext | None:
    """The newest launch of the placement's link with AGS: the resident's own, else anyone's.

    Every launch of one link carries the same AGS endpoint claim.
    """
    for user_filter in (LaunchRecord.user_id == user_pk, None):
        query = select(LaunchRecord.context_data).where(
            LaunchRecord.platform_id == placement.platform_id,
            LaunchRecord.context_pk.is_(None) if placement.context_pk is None
            else LaunchRecord.context_pk == placement.context_pk)
        if user_filter is not None:
            query = query.where(user_filter)
        query = query.order_by(LaunchRecord.created_at.desc()).limit(_LAUNCHES_SCANNED)
        for data in session.scalars(query):
            context = LaunchContext.from_data(data)
            if context.resource_link_id == placement.resource_link_id and context.ags:
                return context
    return None


def _context_of(launch: LaunchContext | Mapping[str, Any]) -> LaunchContext:
    return launch if isinstance(launch, LaunchContext) else LaunchContext.from_data(launch)


def enqueue_score(session: Session, *, attempt_id: int, activity_progress: str,
                  grading_progress: str, score_given: float | None = None,
                  score_maximum: float | None = None, comment: str | None = None,
                  launch: LaunchContext | Mapping[str, Any] | None = None,
                  label: str | None = None, line_item_maximum: float | None = None,
                  now: datetime | None = None) -> OutboxEvent | None:
    """Queue the attempt's score for the LMS gradebook, in the caller's transaction.

    ``launch`` (a LaunchContext or its stored data) gives the AGS endpoints; without
    it they come from the latest launch of the attempt's link. The score is always
    for the attempt's resident, whoever launched. Returns None when the link takes no
    grades (no AGS endpoint or no score scope). Earlier scores of the attempt not yet
    sent are superseded: only the latest one goes out.
    """
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise OutboxError(f"there is no attempt {attempt_id}", status=404)
    placement = session.get(Placement, attempt.placement_id)
    resident = session.get(LmsUser, attempt.user_id)
    if placement is None or resident is None:
        raise OutboxError(f"attempt {attempt_id} has no placement or resident", status=404)
    context = _context_of(launch) if launch is not None else latest_launch(
        session, placement, attempt.user_id)
    if context is not None and (context.platform_id != placement.platform_id
                                or context.resource_link_id != placement.resource_link_id):
        raise OutboxError("the launch given is not from the attempt's link")
    ags = context.ags if context is not None else None
    if context is None or ags is None or not (ags.lineitem or ags.lineitems) or (
            ags.scopes and SCOPE_SCORE not in ags.scopes):
        log.info("attempt %s: its link takes no grades (no AGS score endpoint); no score "
                 "queued", attempt_id)
        return None
    moment = now or utcnow()
    sequence, floor = _previous(session, attempt_id)
    # strictly after the attempt's previous score, whatever the clocks did
    stamp = ScoreClock(now=lambda: moment).next(f"attempt:{attempt_id}", resident.sub,
                                                 after=floor)
    payload = ScorePayload(
        platform_id=placement.platform_id, user_id=resident.sub, timestamp=format_timestamp(stamp),
        activity_progress=activity_progress, grading_progress=grading_progress,
        lineitem=ags.lineitem, lineitems=ags.lineitems,
        resource_link_id=placement.resource_link_id, pod_slug=placement.pod_slug,
        label=label or placement.title or context.resource_link_title or placement.pod_slug,
        line_item_maximum=line_item_maximum or score_maximum or DEFAULT_LINE_ITEM_MAXIMUM,
        score_given=score_given, score_maximum=score_maximum, comment=comment,
    )
    superseded = supersede_earlier(session, kind=KIND_AGS_SCORE, attempt_id=attempt_id)
    if superseded:
        log.info("attempt %s: %d unsent score(s) superseded by the new one", attempt_id,
                 superseded)
    return enqueue(session, kind=KIND_AGS_SCORE, dedupe_key=f"ags:{attempt_id}:{sequence + 1}",
                   payload=payload.to_data(), attempt_id=attempt_id, now=moment)


def _previous(session: Session, attempt_id: int) -> tuple[int, datetime | None]:
    """How many scores the attempt has queued, and the timestamp of the latest."""
    count = session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.kind == KIND_AGS_SCORE, OutboxEvent.attempt_id == attempt_id)) or 0
    latest = session.scalar(select(OutboxEvent.payload).where(
        OutboxEvent.kind == KIND_AGS_SCORE, OutboxEvent.attempt_id == attempt_id)
        .order_by(OutboxEvent.id.desc()).limit(1))
    floor = None
    if isinstance(latest, Mapping) and isinstance(latest.get("timestamp"), str):
        floor = datetime.fromisoformat(latest["timestamp"])
    return int(count), floor
