"""The attempt service: start, resume, autosave with versions, submit, return.

Saves are idempotent (a retried save with the same ``save_id`` is answered, not applied
again) and versioned (a save made from an older version, e.g. by a second tab, is
refused with the current version, so nothing is silently overwritten). Services flush;
the request commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..lti_tool.claims import LaunchContext
from .answers import AnswerError, SimulationHooks, clean_answer, is_complete
from .errors import PodError
from .models import (
    STATUS_IN_PROGRESS,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    Attempt,
    Placement,
)
from .simulations import plugin_for
from .validation_model import PodPackage, Section

log = logging.getLogger(__name__)

#: the autosave path runs as Core statements on the session's connection (same
#: transaction): just the columns a save needs, no ORM instance loaded or tracked; built
#: once so SQLAlchemy reuses their compiled form
_ATTEMPT = cast(Table, Attempt.__table__)
_PLACEMENT = cast(Table, Placement.__table__)
_ATTEMPT_FOR_LAUNCH = (
    select(_ATTEMPT.c.id, _ATTEMPT.c.status, _ATTEMPT.c.version, _ATTEMPT.c.answers,
           _ATTEMPT.c.position, _ATTEMPT.c.active_seconds, _ATTEMPT.c.last_save_id,
           _ATTEMPT.c.last_activity_at)
    .select_from(_ATTEMPT.join(_PLACEMENT, _PLACEMENT.c.id == _ATTEMPT.c.placement_id))
    .where(_PLACEMENT.c.platform_id == bindparam("platform_id"),
           _PLACEMENT.c.context_key == bindparam("context_key"),
           _PLACEMENT.c.resource_link_id == bindparam("resource_link_id"),
           _ATTEMPT.c.user_id == bindparam("user_id"))
)
_VERSION = select(_ATTEMPT.c.version).where(_ATTEMPT.c.id == bindparam("attempt_id"))
#: applied only if nobody saved since the version the save was made from (two workers
#: racing: one UPDATE matches, the other matches no row and answers a conflict)
_SAVE = (
    update(_ATTEMPT)
    .where(_ATTEMPT.c.id == bindparam("attempt_id"),
           _ATTEMPT.c.version == bindparam("base_version"))
    .values({name: bindparam(name) for name in (
        "answers", "version", "last_save_id", "position", "last_activity_at", "active_seconds")})
)

#: the most active time one save may add (a tab left open is not time on task)
MAX_ACTIVE_PER_SAVE = 600
MAX_SAVE_ID = 64


class SaveConflict(PodError):
    status = 409
    check = "version"

    def __init__(self, version: int) -> None:
        super().__init__("this pod was changed in another tab or window since this page "
                         "loaded; reload the page to continue with the latest version")
        self.version = version


class ReadOnly(PodError):
    status = 409
    check = "submitted"
    hint = "Faculty can return the attempt to you for revision."


@dataclass(frozen=True, slots=True)
class SaveState:
    """What an autosave needs of an attempt, as its row holds it (not an ORM instance)."""

    id: int
    status: str
    version: int
    answers: dict[str, Any]
    position: str | None
    active_seconds: int
    last_save_id: str | None
    last_activity_at: datetime


@dataclass(frozen=True)
class SaveResult:
    version: int
    saved_at: datetime
    section_complete: bool
    completed: int
    total: int


def hooks_for(package: PodPackage) -> SimulationHooks | None:
    plugin = plugin_for(package.metadata.simulation)
    return plugin.hooks if plugin else None


def progress(package: PodPackage, answers: Mapping[str, Any]) -> dict[str, bool]:
    hooks = hooks_for(package)
    return {s.ref.id: is_complete(s, answers.get(s.ref.id), hooks) for s in package.sections}


def section_of(package: PodPackage, section_id: str) -> Section:
    for section in package.sections:
        if section.ref.id == section_id:
            return section
    raise PodError(f"this pod has no section {section_id!r}", status=404, check="section")


class AttemptService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def placement(self, context: LaunchContext, slug: str, title: str | None) -> Placement:
        """The placement of the launch's link, made on first use."""
        if context.resource_link_id is None:
            raise PodError("this launch is not from a link to a pod", check="placement")
        key = context.course.context_id if context.course else ""
        placement = self.session.scalar(select(Placement).where(
            Placement.platform_id == context.platform_id, Placement.context_key == key,
            Placement.resource_link_id == context.resource_link_id))
        if placement is None:
            placement = Placement(platform_id=context.platform_id, context_key=key,
                                  context_pk=context.course_pk,
                                  resource_link_id=context.resource_link_id, pod_slug=slug,
                                  title=title, video_overrides={})
            self.session.add(placement)
            self.session.flush()
        return placement

    def attempt_for(self, context: LaunchContext) -> SaveState | None:
        """The launch's own attempt at its link's pod, in one query (the autosave path)."""
        key = context.course.context_id if context.course else ""
        row = self.session.connection().execute(_ATTEMPT_FOR_LAUNCH, {
            "platform_id": context.platform_id, "context_key": key,
            "resource_link_id": context.resource_link_id, "user_id": context.user_pk}).first()
        return None if row is None else SaveState(**row._mapping)

    def find(self, placement: Placement, user_pk: int) -> Attempt | None:
        return self.session.scalar(select(Attempt).where(
            Attempt.placement_id == placement.id, Attempt.user_id == user_pk))

    def start(self, placement: Placement, user_pk: int, first_section: str) -> Attempt:
        """The resident's attempt: the open one, or a new one."""
        attempt = self.find(placement, user_pk)
        if attempt is None:
            now = utcnow()
            attempt = Attempt(placement_id=placement.id, user_id=user_pk, answers={},
                              position=first_section, status=STATUS_IN_PROGRESS, version=0,
                              active_seconds=0, started_at=now, last_activity_at=now)
            self.session.add(attempt)
            self.session.flush()
            log.info("attempt %s started on placement %s", attempt.id, placement.id)
        return attempt

    def save(self, attempt: SaveState, package: PodPackage, payload: Any) -> SaveResult:
        """Apply one autosave: ``{save_id, version, section, answer, position, active_ms}``."""
        if not isinstance(payload, dict):
            raise PodError("the save is not a JSON object", check="save")
        save_id = payload.get("save_id")
        version = payload.get("version")
        if not isinstance(save_id, str) or not 0 < len(save_id) <= MAX_SAVE_ID:
            raise PodError("the save has no save_id", check="save")
        if isinstance(version, bool) or not isinstance(version, int):
            raise PodError("the save has no version", check="save")
        if attempt.last_save_id == save_id and attempt.version == version + 1:
            return self._result(package, attempt.answers, attempt.version,
                                attempt.last_activity_at, str(payload.get("section")))
        if attempt.status == STATUS_SUBMITTED:
            raise ReadOnly("this attempt has been submitted and can no longer be changed")
        if version != attempt.version:
            raise SaveConflict(attempt.version)
        section = section_of(package, str(payload.get("section")))
        answers = dict(attempt.answers)
        if "answer" in payload:
            try:
                answers[section.ref.id] = clean_answer(section, payload["answer"],
                                                       hooks_for(package))
            except AnswerError as exc:
                raise PodError(f"{section.ref.title}: {exc}", check="answer") from exc
        position = payload.get("position")
        if position is not None:
            position = section_of(package, str(position)).ref.id
        active_ms = payload.get("active_ms", 0)
        if isinstance(active_ms, bool) or not isinstance(active_ms, int) or active_ms < 0:
            raise PodError("active_ms must be a whole number of milliseconds", check="save")
        now = utcnow()
        elapsed = (now - attempt.last_activity_at).total_seconds()
        active = int(min(active_ms / 1000, elapsed + 5, MAX_ACTIVE_PER_SAVE))
        connection = self.session.connection()
        result = connection.execute(_SAVE, {
            "answers": answers, "version": version + 1, "last_save_id": save_id,
            "position": position or attempt.position, "last_activity_at": now,
            "active_seconds": attempt.active_seconds + max(active, 0),
            "attempt_id": attempt.id, "base_version": version})
        if result.rowcount != 1:  # another worker saved first
            current = connection.execute(_VERSION, {"attempt_id": attempt.id}).scalar()
            raise SaveConflict(current if current is not None else attempt.version)
        return self._result(package, answers, version + 1, now, section.ref.id)

    def _result(self, package: PodPackage, answers: Mapping[str, Any], version: int,
                saved_at: datetime, section_id: str) -> SaveResult:
        done = progress(package, answers)
        return SaveResult(version=version, saved_at=saved_at,
                          section_complete=done.get(section_id, False),
                          completed=sum(done.values()), total=len(done))

    def submit(self, attempt: Attempt, package: PodPackage) -> Attempt:
        if attempt.status == STATUS_SUBMITTED:
            raise ReadOnly("this attempt has already been submitted")
        missing = [s.ref.title for s in package.sections
                   if not progress(package, attempt.answers)[s.ref.id]]
        if missing:
            raise PodError("finish these sections before submitting: " + "; ".join(missing),
                           check="incomplete")
        attempt.status = STATUS_SUBMITTED
        attempt.submitted_at = utcnow()
        attempt.version += 1
        self.session.flush()
        log.info("attempt %s submitted", attempt.id)
        return attempt

    def return_for_revision(self, attempt: Attempt, message: str) -> Attempt:
        if attempt.status != STATUS_SUBMITTED:
            raise PodError("only a submitted attempt can be returned", check="status")
        attempt.status = STATUS_RETURNED
        attempt.returned_at = utcnow()
        attempt.return_message = message.strip() or None
        attempt.version += 1
        self.session.flush()
        return attempt
