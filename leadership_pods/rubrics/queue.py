"""The grading queue of a course, and the grade passback of a release.

The *queue* is the course's assessments waiting for faculty (``needs_grading`` and
``draft``), oldest submission first, with counts by status and by pod; released ones are
listed with their delivery status ("in gradebook", "retrying — …", "failed — …").
Every lookup is scoped to the course of the launch: an assessment of another course is
not found (404), whatever id the URL carries.

On release the LMS score is queued in the same transaction: ``Completed`` /
``FullyGraded``, ``scoreGiven`` on the line item's scale (``scoreMaximum``
:data:`LINE_ITEM_MAXIMUM`, as deep linking creates it) and the feedback as ``comment``.
Services flush; the request commits.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..lti_tool.models import LmsUser
from ..passport_sync import StatusLine, delivery_status, enqueue_score, retry_failed
from ..passport_sync.models import OutboxEvent
from ..pods.models import Attempt, Placement
from . import document
from .assessments import AssessmentService
from .errors import RubricError
from .models import (
    STATUS_DRAFT,
    STATUS_NEEDS_GRADING,
    STATUS_RELEASED,
    STATUS_RETURNED,
    Assessment,
)
from .scoring import Score
from .versions import Packages, ReleasedHook

log = logging.getLogger(__name__)

#: the gradebook column's scoreMaximum (deep linking creates line items out of 100)
LINE_ITEM_MAXIMUM = 100
WAITING = (STATUS_NEEDS_GRADING, STATUS_DRAFT)
STATUS_LABELS = {STATUS_NEEDS_GRADING: "awaiting grading", STATUS_DRAFT: "draft",
                 STATUS_RELEASED: "released", STATUS_RETURNED: "returned for revision"}
NOT_FOUND = "there is no such submission to grade in this course"


@dataclass(frozen=True)
class QueueRow:
    assessment_id: int
    attempt_id: int
    status: str
    resident: str
    pod_slug: str
    link_title: str
    submitted_at: datetime | None
    percent: Decimal
    delivery: StatusLine | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class GradingQueue:
    waiting: tuple[QueueRow, ...]
    released: tuple[QueueRow, ...]
    by_status: Mapping[str, int]
    by_pod: Mapping[str, int]


@dataclass(frozen=True)
class Submission:
    """One assessment with what the grading page needs around it."""

    assessment: Assessment
    attempt: Attempt
    placement: Placement
    resident: str


def resident_name(user: LmsUser | None) -> str:
    if user is None:
        return "a resident"
    full = " ".join(p for p in (user.given_name, user.family_name) if p)
    return user.name or full or user.email or f"resident {user.sub}"


def passback_on_release(session: Session) -> ReleasedHook:
    """The ``on_released`` hook: queue the released score for the LMS gradebook."""

    def queue_score(assessment: Assessment) -> None:
        service = AssessmentService(session)
        score: Score = service.score_of(assessment)
        event = enqueue_score(
            session, attempt_id=assessment.attempt_id, activity_progress="Completed",
            grading_progress="FullyGraded",
            score_given=float(score.scaled(LINE_ITEM_MAXIMUM)),
            score_maximum=float(LINE_ITEM_MAXIMUM), comment=assessment.feedback or None)
        log.info("assessment %s: LMS score %s", assessment.id,
                 "queued" if event is not None else "not queued (the link takes no grades)")

    return queue_score


class GradingService:
    """Faculty's grading of one course: the queue, a submission, release and retry."""

    def __init__(self, session: Session, packages: Packages | None = None) -> None:
        self.session = session
        self.assessments = AssessmentService(session, packages,
                                             on_released=passback_on_release(session))

    def _rows(self, course_pk: int, statuses: tuple[str, ...]) -> list[
            tuple[Assessment, Attempt, Placement, LmsUser | None]]:
        query = (select(Assessment, Attempt, Placement, LmsUser)
                 .join(Attempt, Attempt.id == Assessment.attempt_id)
                 .join(Placement, Placement.id == Attempt.placement_id)
                 .outerjoin(LmsUser, LmsUser.id == Attempt.user_id)
                 .where(Placement.context_pk == course_pk, Assessment.status.in_(statuses))
                 .order_by(Attempt.submitted_at, Assessment.id))
        return [(a, t, p, u) for a, t, p, u in self.session.execute(query)]

    def queue(self, course_pk: int) -> GradingQueue:
        """The course's queue: waiting oldest first; released newest first with status."""
        waiting = tuple(self._row(a, t, p, u)
                        for a, t, p, u in self._rows(course_pk, WAITING))
        released = tuple(self._row(a, t, p, u, delivery=delivery_status(self.session, t.id))
                         for a, t, p, u in reversed(self._rows(course_pk, (STATUS_RELEASED,))))
        by_status = Counter({status: 0 for status in WAITING})
        by_status.update(row.status for row in waiting)
        by_status[STATUS_RELEASED] = len(released)
        by_pod = Counter(row.pod_slug for row in waiting)
        return GradingQueue(waiting, released, dict(by_status), dict(sorted(by_pod.items())))

    @staticmethod
    def _row(assessment: Assessment, attempt: Attempt, placement: Placement,
             user: LmsUser | None, delivery: StatusLine | None = None) -> QueueRow:
        return QueueRow(assessment.id, attempt.id, assessment.status, resident_name(user),
                        placement.pod_slug, placement.title or placement.pod_slug,
                        attempt.submitted_at, assessment.percent, delivery)

    def submission(self, course_pk: int | None, assessment_id: int) -> Submission:
        """The assessment, if its attempt was made at a link of this course (else 404)."""
        found = None if course_pk is None else self.session.execute(
            select(Assessment, Attempt, Placement)
            .join(Attempt, Attempt.id == Assessment.attempt_id)
            .join(Placement, Placement.id == Attempt.placement_id)
            .where(Assessment.id == assessment_id, Placement.context_pk == course_pk)
        ).first()
        if found is None:
            raise RubricError(NOT_FOUND, status=404, check="assessment",
                              hint="Open the submission from the grading queue of its course.")
        assessment, attempt, placement = found
        user = self.session.get(LmsUser, attempt.user_id)
        return Submission(assessment, attempt, placement, resident_name(user))

    def missing(self, assessment: Assessment) -> list[str]:
        """Ids of the faculty criteria still without a level."""
        data = self.assessments.version_of(assessment).data
        return [str(c["id"]) for c in document.faculty_criteria(data)
                if c["id"] not in assessment.choices]

    def save(self, assessment: Assessment, choices: Mapping[str, str | None],
             comments: Mapping[str, str], feedback: str, grader: int,
             *, release: bool = False) -> Assessment:
        """Save faculty's grading as a draft and, with ``release``, release it (the LMS
        score is queued with it). A release with criteria missing saves the draft and
        raises ``RubricError`` (check ``incomplete``)."""
        self.assessments.save_draft(assessment, choices, comments, feedback, grader)
        if release:
            self.assessments.release(assessment, grader)
        return assessment

    def return_for_revision(self, assessment: Assessment, message: str,
                            grader: int) -> Assessment:
        if not message.strip():
            raise RubricError("write a message telling the resident what to revise",
                              check="message", status=422)
        if assessment.status == STATUS_RELEASED:
            raise RubricError("this score is released; it cannot be returned for revision",
                              check="status", status=409)
        return self.assessments.return_for_revision(assessment, message.strip(), grader)

    def retry(self, course_pk: int | None, event_id: int) -> OutboxEvent:
        """Queue a failed delivery again, if it is a grade of this course."""
        event = self.session.get(OutboxEvent, event_id)
        attempt = (self.session.get(Attempt, event.attempt_id)
                   if event is not None and event.attempt_id is not None else None)
        placement = self.session.get(Placement, attempt.placement_id) if attempt else None
        if placement is None or course_pk is None or placement.context_pk != course_pk:
            raise RubricError("there is no such grade delivery in this course", status=404,
                              check="delivery")
        return retry_failed(self.session, event_id)
