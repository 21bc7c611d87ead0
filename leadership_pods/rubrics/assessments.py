"""The assessment service: scoring a submitted attempt with its course's rubric, and the
grader's steps after that. The grading queue and the grade passback build on this API.

An *assessment* is the scoring of one attempt with one rubric version. Its life:

- :meth:`AssessmentService.on_submit` — when the resident submits: the course's current
  version, the attempt's metrics (the player's, plus the simulation plug-in's when the pod
  has one) and the automatic criteria scored at once. Status ``needs_grading`` when the
  rubric has faculty criteria, else ``draft``. A resubmission (after a return) scores the
  same assessment again, from scratch, with the then-current version.
- :meth:`~AssessmentService.save_draft` — faculty choose levels, comment, give feedback;
  partial is fine. Status ``draft``.
- :meth:`~AssessmentService.release` — needs every faculty criterion scored. Status
  ``released``; the ``on_released`` hook is called (the passback enqueues the LMS score).
- :meth:`~AssessmentService.return_for_revision` — status ``returned``; the attempt opens
  again for the resident (``AttemptService.return_for_revision``).

Services flush; the request commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..pods.answers import player_metrics
from ..pods.attempts import AttemptService
from ..pods.models import STATUS_SUBMITTED, Attempt, Placement
from ..pods.simulations import plugin_for
from ..pods.validation_model import PodPackage, SimulationSection
from . import document
from .errors import RubricError
from .grading import record_score, score_with
from .models import (
    STATUS_DRAFT,
    STATUS_NEEDS_GRADING,
    STATUS_RELEASED,
    STATUS_RETURNED,
    Assessment,
    RubricVersion,
)
from .scoring import Score
from .versions import Packages, ReleasedHook, RubricService

log = logging.getLogger(__name__)

MAX_COMMENT = 5_000
MAX_FEEDBACK = 10_000


def attempt_metrics(package: PodPackage, answers: Mapping[str, Any]) -> dict[str, float]:
    """The metrics an attempt gives its rubric: the player's (every pod) and, when the pod
    runs a simulation, the plug-in's from the simulation section's answer."""
    metrics = player_metrics(package, answers)
    plugin = plugin_for(package.metadata.simulation)
    section = next((s.ref.id for s in package.sections
                    if isinstance(s.content, SimulationSection)), None)
    if plugin is not None and section is not None:
        metrics.update(plugin.metrics(answers.get(section) or {}, answers))
    elif package.metadata.simulation:
        log.warning("no plug-in is registered for the %s simulation of %s: its metrics score "
                    "the lowest level", package.metadata.simulation, package.metadata.slug)
    return metrics


class AssessmentService:
    def __init__(self, session: Session, packages: Packages | None = None, *,
                 on_released: ReleasedHook | None = None) -> None:
        self.session = session
        self.rubrics = RubricService(session, packages, on_released=on_released)
        self.on_released = on_released

    def for_attempt(self, attempt: Attempt) -> Assessment | None:
        return self.session.scalar(select(Assessment).where(Assessment.attempt_id == attempt.id))

    def version_of(self, assessment: Assessment) -> RubricVersion:
        version = self.session.get(RubricVersion, assessment.rubric_version_id)
        assert version is not None  # a foreign key
        return version

    def score_of(self, assessment: Assessment) -> Score:
        """The assessment's score, criterion by criterion, with the version it records."""
        return score_with(self.version_of(assessment).data, assessment.metrics,
                          assessment.choices)

    def on_submit(self, attempt: Attempt, package: PodPackage) -> Assessment:
        """Score a just-submitted attempt with its course's current rubric version."""
        if attempt.status != STATUS_SUBMITTED:
            raise RubricError("only a submitted attempt is scored", check="status")
        placement = self.session.get(Placement, attempt.placement_id)
        assert placement is not None  # a foreign key
        version = self.rubrics.version_for(package, placement.context_pk)
        assessment = self.for_attempt(attempt)
        if assessment is None:
            assessment = Assessment(attempt_id=attempt.id, comments={}, feedback="")
            self.session.add(assessment)
        assessment.rubric_version_id = version.id
        assessment.metrics = attempt_metrics(package, attempt.answers)
        assessment.choices = {}
        assessment.status = (STATUS_NEEDS_GRADING if document.faculty_criteria(version.data)
                             else STATUS_DRAFT)
        assessment.released_at = None
        record_score(assessment, version.data)
        self.session.flush()
        log.info("attempt %s scored with rubric version %s: %s%% so far (%s)", attempt.id,
                 version.id, assessment.percent, assessment.status)
        return assessment

    def save_draft(self, assessment: Assessment, choices: Mapping[str, str | None],
                   comments: Mapping[str, str], feedback: str, grader: int) -> Assessment:
        """Faculty's levels (faculty criterion id -> level id; None or "" for not yet),
        comments (criterion id -> text) and overall feedback. Partial is fine."""
        if assessment.status == STATUS_RETURNED:
            raise RubricError("this attempt was returned for revision; it is graded again "
                              "when the resident resubmits", check="status")
        data = self.version_of(assessment).data
        criteria = document.criteria_by_id(data)
        faculty = {str(c["id"]): c for c in document.faculty_criteria(data)}
        chosen: dict[str, str] = {}
        for cid, level in choices.items():
            if not level:
                continue
            if cid not in faculty:
                raise RubricError(f"the rubric has no criterion {cid!r} scored by faculty")
            if level not in {lv["id"] for lv in faculty[cid]["levels"]}:
                raise RubricError(f"{faculty[cid]['title']} has no level {level!r}")
            chosen[cid] = level
        notes = {cid: text.strip() for cid, text in comments.items()
                 if cid in criteria and text and text.strip()}
        if any(len(text) > MAX_COMMENT for text in notes.values()):
            raise RubricError(f"keep each comment under {MAX_COMMENT:,} characters")
        if len(feedback.strip()) > MAX_FEEDBACK:
            raise RubricError(f"keep the feedback under {MAX_FEEDBACK:,} characters")
        assessment.choices, assessment.comments = chosen, notes
        assessment.feedback = feedback.strip()
        assessment.grader_id = grader
        assessment.status = STATUS_DRAFT
        assessment.released_at = None
        assessment.updated_at = utcnow()
        record_score(assessment, data)
        self.session.flush()
        return assessment

    def release(self, assessment: Assessment, grader: int) -> Assessment:
        """Release the score to the resident (and, through ``on_released``, the LMS)."""
        if assessment.status == STATUS_RETURNED:
            raise RubricError("this attempt was returned for revision; it is graded again "
                              "when the resident resubmits", check="status")
        data = self.version_of(assessment).data
        result = record_score(assessment, data)
        if not result.complete:
            missing = [str(c["title"]) for c in document.faculty_criteria(data)
                       if c["id"] not in assessment.choices]
            raise RubricError("choose a level for every criterion scored by faculty before "
                              f"releasing: {'; '.join(missing)}", check="incomplete")
        assessment.status = STATUS_RELEASED
        assessment.grader_id = grader
        assessment.released_at = assessment.updated_at = utcnow()
        self.session.flush()
        if self.on_released:
            self.on_released(assessment)
        log.info("assessment %s released by user %s: %s%%", assessment.id, grader,
                 assessment.percent)
        return assessment

    def return_for_revision(self, assessment: Assessment, message: str,
                            grader: int) -> Assessment:
        """Send the attempt back to the resident with ``message``."""
        attempt = self.session.get(Attempt, assessment.attempt_id)
        assert attempt is not None  # a foreign key
        AttemptService(self.session).return_for_revision(attempt, message)
        assessment.status = STATUS_RETURNED
        assessment.grader_id = grader
        assessment.released_at = None
        assessment.updated_at = utcnow()
        self.session.flush()
        return assessment
