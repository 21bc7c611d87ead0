"""Autosave: one resident's answer, applied to their attempt many times a minute.

Saves are idempotent (a retried save with the same ``save_id`` is answered, not applied
again) and versioned (a save made from an older version, e.g. by a second tab, is refused
with the current version, so nothing is silently overwritten; of two workers racing from
one version, one UPDATE matches and the other answers a conflict).

This is the hottest write of the tool, so it works on the request's
:class:`~sqlalchemy.engine.Connection` (the same transaction the request commits) with two
statements run on the driver (:mod:`..config.driver_sql`) -- the attempt's row found from
the launch, in the column order of :class:`SaveState`, and the version-guarded UPDATE --
and never opens an ORM session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from ..config.database import utcnow
from ..config.driver_sql import DriverStatement
from ..lti_tool.claims import LaunchContext
from .answers import AnswerError, clean_answer
from .attempts import ReadOnly, SaveConflict, hooks_for, progress, section_of
from .errors import PodError
from .models import STATUS_SUBMITTED, Attempt, Placement
from .validation_model import PodPackage

_ATTEMPT = cast(Table, Attempt.__table__)
_PLACEMENT = cast(Table, Placement.__table__)
#: just the columns a save needs, found from the launch's link and user
_ATTEMPT_FOR_LAUNCH = DriverStatement(
    select(_ATTEMPT.c.id, _ATTEMPT.c.status, _ATTEMPT.c.version, _ATTEMPT.c.answers,
           _ATTEMPT.c.position, _ATTEMPT.c.active_seconds, _ATTEMPT.c.last_save_id,
           _ATTEMPT.c.last_activity_at)
    .select_from(_ATTEMPT.join(_PLACEMENT, _PLACEMENT.c.id == _ATTEMPT.c.placement_id))
    .where(_PLACEMENT.c.platform_id == bindparam("platform_id"),
           _PLACEMENT.c.context_key == bindparam("context_key"),
           _PLACEMENT.c.resource_link_id == bindparam("resource_link_id"),
           _ATTEMPT.c.user_id == bindparam("user_id"))
)
_VERSION = DriverStatement(
    select(_ATTEMPT.c.version).where(_ATTEMPT.c.id == bindparam("attempt_id")))
#: applied only if nobody saved since the version the save was made from
_SAVE = DriverStatement(
    update(_ATTEMPT)
    .where(_ATTEMPT.c.id == bindparam("attempt_id"),
           _ATTEMPT.c.version == bindparam("base_version"))
    .values({name: bindparam(name) for name in (
        "answers", "version", "last_save_id", "position", "last_activity_at", "active_seconds")})
)

#: the most active time one save may add (a tab left open is not time on task)
MAX_ACTIVE_PER_SAVE = 600
MAX_SAVE_ID = 64


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


class Autosaves:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def attempt_for(self, context: LaunchContext) -> SaveState | None:
        """The launch's own attempt at its link's pod, in one query."""
        key = context.course.context_id if context.course else ""
        row = _ATTEMPT_FOR_LAUNCH.execute(self.connection, {
            "platform_id": context.platform_id, "context_key": key,
            "resource_link_id": context.resource_link_id, "user_id": context.user_pk}).first()
        return None if row is None else SaveState(*row)

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
            return _result(package, attempt.answers, attempt.version, attempt.last_activity_at,
                           str(payload.get("section")))
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
        result = _SAVE.execute(self.connection, {
            "answers": answers, "version": version + 1, "last_save_id": save_id,
            "position": position or attempt.position, "last_activity_at": now,
            "active_seconds": attempt.active_seconds + max(active, 0),
            "attempt_id": attempt.id, "base_version": version})
        if result.rowcount != 1:  # another worker saved first
            current = _VERSION.execute(self.connection, {"attempt_id": attempt.id}).scalar()
            raise SaveConflict(current if current is not None else attempt.version)
        return _result(package, answers, version + 1, now, section.ref.id)


def _result(package: PodPackage, answers: dict[str, Any], version: int, saved_at: datetime,
            section_id: str) -> SaveResult:
    done = progress(package, answers)
    return SaveResult(version=version, saved_at=saved_at,
                      section_complete=done.get(section_id, False),
                      completed=sum(done.values()), total=len(done))
