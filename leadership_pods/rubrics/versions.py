"""The rubric service: a course's rubric for a pod, its versions, and saving a change safely.

A course's rubric starts as a copy of the pod package's (version 1, made on first use).
Faculty change it by saving a new version; versions are never updated, so every
assessment keeps the version it was scored with. Before a change to a rubric that has
been used, faculty see its *impact* ("12 graded attempts used version 3") and choose
what happens to those assessments (:data:`CHOICES`):

- ``keep``: untouched; they stay on the version they used.
- ``rescore``: their automatic criteria are scored again with the new version from the
  metrics stored with them; faculty choices are kept for criteria that still exist (and
  still have the chosen level); they move to the new version. A released one that is no
  longer complete goes back to the grading queue.
- ``requeue``: they move to the new version with status ``needs_grading``; faculty
  choices are cleared for criteria the change touched (``diff.RubricDiff.regrade``).

Assessments returned for revision are left alone by all three: resubmission scores them
with the newest version. Every save writes an audit row saying who changed what.
Services flush; the request commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..lti_tool.models import LmsUser
from ..pods.catalogue import load_catalogue
from ..pods.validation_model import PodPackage
from . import document
from .diff import RubricDiff, diff
from .errors import RubricConflict, RubricError, RubricInvalid
from .grading import record_score, valid_choices
from .models import (
    ASSESSMENT_STATUSES,
    STATUS_DRAFT,
    STATUS_NEEDS_GRADING,
    STATUS_RELEASED,
    STATUS_RETURNED,
    Assessment,
    Rubric,
    RubricAudit,
    RubricVersion,
)
from .validation import validate

log = logging.getLogger(__name__)

KEEP, RESCORE, REQUEUE = "keep", "rescore", "requeue"
CHOICES = (KEEP, RESCORE, REQUEUE)
CHOICE_WORDS = {
    KEEP: "keep their scores on version {old}",
    RESCORE: "rescore their automatic criteria with version {new}",
    REQUEUE: "send them back to the grading queue on version {new}",
}
_STATUS_WORDS = {STATUS_RELEASED: ("released", "released"),
                 STATUS_DRAFT: ("draft", "drafts"),
                 STATUS_NEEDS_GRADING: ("awaiting grading", "awaiting grading"),
                 STATUS_RETURNED: ("returned for revision", "returned for revision")}

#: called with an assessment whose released score was set or changed (the grade passback
#: enqueues the LMS score here)
ReleasedHook = Callable[[Assessment], None]


class Packages(Protocol):
    """Where pod packages come from (``pods.catalogue.Catalogue``)."""

    def package(self, slug: str) -> PodPackage: ...


def impact_sentence(version: int, counts: Mapping[str, int]) -> str:
    """"12 graded attempts used version 3 (3 awaiting grading, 4 drafts, 5 released)." """
    total = sum(counts.values())
    if not total:
        return f"No attempts have been graded with version {version}, so saving changes no one's score."
    parts = [f"{n} {_STATUS_WORDS[s][n != 1]}" for s in ASSESSMENT_STATUSES
             if (n := counts.get(s, 0))]
    return (f"{total} graded attempt{'' if total == 1 else 's'} used version {version} "
            f"({', '.join(parts)}).")


@dataclass(frozen=True)
class Impact:
    """Who a change to the current version touches: its assessments by status."""

    version: int
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def needs_choice(self) -> bool:
        return self.total > 0

    @property
    def sentence(self) -> str:
        return impact_sentence(self.version, self.counts)


class RubricService:
    def __init__(self, session: Session, packages: Packages | None = None, *,
                 on_released: ReleasedHook | None = None) -> None:
        self.session = session
        self.packages: Packages = packages if packages is not None else load_catalogue()
        self.on_released = on_released

    # -- finding ------------------------------------------------------------------------
    def find(self, pod_slug: str, context_pk: int | None) -> Rubric | None:
        where = (Rubric.context_pk.is_(None) if context_pk is None
                 else Rubric.context_pk == context_pk)
        return self.session.scalar(select(Rubric).where(Rubric.pod_slug == pod_slug, where)
                                   .order_by(Rubric.id))

    def find_current(self, pod_slug: str, context_pk: int | None) -> RubricVersion | None:
        """The course's current version, or None when the course still uses the package's
        rubric untouched (nothing is created)."""
        rubric = self.find(pod_slug, context_pk)
        return self.current_of(rubric) if rubric else None

    def rubric_for(self, package: PodPackage, context_pk: int | None) -> Rubric:
        """The course's rubric for the pod, with version 1 copied from the package on
        first use."""
        rubric = self.find(package.metadata.slug, context_pk)
        if rubric is not None:
            return rubric
        try:
            with self.session.begin_nested():
                rubric = self._create(package, context_pk)
        except IntegrityError:  # another request made it first (e.g. two first submissions)
            rubric = self.find(package.metadata.slug, context_pk)
            if rubric is None:
                raise
        return rubric

    def _create(self, package: PodPackage, context_pk: int | None) -> Rubric:
        rubric = Rubric(pod_slug=package.metadata.slug, context_pk=context_pk)
        self.session.add(rubric)
        self.session.flush()
        first = RubricVersion(rubric_id=rubric.id, number=1,
                              data=document.from_package(package.rubric),
                              note="The pod package's rubric.")
        self.session.add(first)
        self.session.flush()
        rubric.current_version_id = first.id
        self.session.add(RubricAudit(rubric_id=rubric.id, action="created", detail={"to": 1},
                                     summary="Version 1 copied from the pod package's rubric."))
        self.session.flush()
        log.info("rubric %s for %s (course %s) created from the package", rubric.id,
                 rubric.pod_slug, context_pk)
        return rubric

    def version_for(self, package: PodPackage, context_pk: int | None) -> RubricVersion:
        return self.current_of(self.rubric_for(package, context_pk))

    def current(self, pod_slug: str, context_pk: int | None) -> RubricVersion:
        """The course's current version of the pod's rubric (version 1 made on first use)."""
        return self.version_for(self.packages.package(pod_slug), context_pk)

    def current_of(self, rubric: Rubric) -> RubricVersion:
        version = (self.session.get(RubricVersion, rubric.current_version_id)
                   if rubric.current_version_id else None)
        if version is None:
            raise RubricError(f"the rubric of {rubric.pod_slug} has no current version")
        return version

    def versions(self, rubric: Rubric) -> list[RubricVersion]:
        """Every version, newest first."""
        return list(self.session.scalars(select(RubricVersion).where(
            RubricVersion.rubric_id == rubric.id).order_by(RubricVersion.number.desc())))

    def audit(self, rubric: Rubric) -> list[RubricAudit]:
        """The audit log, newest first."""
        return list(self.session.scalars(select(RubricAudit).where(
            RubricAudit.rubric_id == rubric.id).order_by(RubricAudit.at.desc(),
                                                         RubricAudit.id.desc())))

    def usage(self, rubric: Rubric) -> dict[int, int]:
        """Version id -> how many assessments use it."""
        rows = self.session.execute(
            select(Assessment.rubric_version_id, func.count()).join(
                RubricVersion, RubricVersion.id == Assessment.rubric_version_id)
            .where(RubricVersion.rubric_id == rubric.id)
            .group_by(Assessment.rubric_version_id))
        return {version_id: count for version_id, count in rows}

    def people(self, user_ids: Iterable[int | None]) -> dict[int, str]:
        """User id -> the name the history shows."""
        wanted = {i for i in user_ids if i is not None}
        if not wanted:
            return {}
        users = self.session.scalars(select(LmsUser).where(LmsUser.id.in_(wanted)))
        return {u.id: u.name or " ".join(p for p in (u.given_name, u.family_name) if p)
                or u.email or f"LMS user {u.sub}" for u in users}

    # -- changing -----------------------------------------------------------------------
    @staticmethod
    def validate(data: Mapping[str, Any], pod: PodPackage) -> dict[str, str]:
        """Problems of rubric data for the pod, by field path (``rubrics/validation.py``)."""
        return validate(data, pod)

    def impact(self, rubric: Rubric) -> Impact:
        current = self.current_of(rubric)
        rows = self.session.execute(
            select(Assessment.status, func.count()).where(
                Assessment.rubric_version_id == current.id).group_by(Assessment.status))
        return Impact(current.number, {status: count for status, count in rows})

    def save(self, rubric: Rubric, data: Mapping[str, Any], user: int | None,
             choice: str | None, note: str = "", *, base_version: int | None = None
             ) -> RubricVersion:
        """Save ``data`` as the rubric's next version; apply ``choice`` to the assessments
        of the version it replaces (see the module docstring). ``base_version`` is the
        version number the edit started from: a newer one means someone else saved first.
        """
        current = self.current_of(rubric)
        if base_version is not None and base_version != current.number:
            raise RubricConflict(f"version {current.number} was saved while you were editing "
                                 f"version {base_version}")
        problems = validate(data, self.packages.package(rubric.pod_slug))
        if problems:
            raise RubricInvalid(problems)
        clean = document.clean(data)
        changes = diff(current.data, clean)
        if changes.empty:
            raise RubricError("the rubric is the same as version "
                              f"{current.number}; change something before saving")
        impact = self.impact(rubric)
        if impact.needs_choice and choice not in CHOICES:
            raise RubricError(f"{impact.sentence} Choose whether to keep their scores, rescore "
                              "their automatic criteria or send them back to the grading queue.",
                              check="rubric-choice", status=422)
        choice = choice if impact.needs_choice and choice else KEEP
        new = RubricVersion(rubric_id=rubric.id, number=current.number + 1, data=clean,
                            created_by=user, note=note.strip() or None)
        self.session.add(new)
        self.session.flush()
        rubric.current_version_id = new.id
        moved = self._apply(choice, current, new, changes)
        self._audit(rubric, user, current, new, changes, impact, choice, moved)
        self.session.flush()
        log.info("rubric %s: version %s saved by user %s (%s, %s assessments)", rubric.id,
                 new.number, user, choice, len(moved))
        return new

    def _apply(self, choice: str, old: RubricVersion, new: RubricVersion,
               changes: RubricDiff) -> list[int]:
        """Apply the choice to the old version's assessments; return the ids moved."""
        if choice == KEEP:
            return []
        assessments = list(self.session.scalars(select(Assessment).where(
            Assessment.rubric_version_id == old.id, Assessment.status != STATUS_RETURNED)
            .order_by(Assessment.id)))
        drop = changes.regrade if choice == REQUEUE else frozenset()
        for assessment in assessments:
            before = (assessment.status, assessment.total)
            assessment.rubric_version_id = new.id
            assessment.choices = valid_choices(new.data, assessment.choices, drop)
            criteria = document.criteria_by_id(new.data)
            assessment.comments = {k: v for k, v in assessment.comments.items() if k in criteria}
            result = record_score(assessment, new.data)
            if choice == REQUEUE or (assessment.status == STATUS_RELEASED and not result.complete):
                assessment.status = STATUS_NEEDS_GRADING
                assessment.released_at = None
            assessment.updated_at = utcnow()
            if (self.on_released and assessment.status == STATUS_RELEASED
                    and before != (STATUS_RELEASED, assessment.total)):
                self.on_released(assessment)
        return [a.id for a in assessments]

    def _audit(self, rubric: Rubric, user: int | None, old: RubricVersion, new: RubricVersion,
               changes: RubricDiff, impact: Impact, choice: str, moved: list[int]) -> None:
        summary = [f"Saved version {new.number} (replacing version {old.number})."]
        summary += changes.sentences()
        if impact.needs_choice:
            summary.append(f"{impact.sentence} Chose to "
                           f"{CHOICE_WORDS[choice].format(old=old.number, new=new.number)}.")
        if new.note:
            summary.append(f"Note: {new.note}")
        self.session.add(RubricAudit(
            rubric_id=rubric.id, user_id=user, action="saved", summary=" ".join(summary),
            detail={"from": old.number, "to": new.number, "choice": choice,
                    "changes": changes.sentences(), "impact": dict(impact.counts),
                    "assessments": moved}))
