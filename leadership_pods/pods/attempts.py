"""The attempt service: the placement, start and resume, submit, return for revision.

Autosave, the one path taken many times a minute, is :mod:`.autosave`. Every change of an
attempt raises its ``version``, so a save made from an older one is refused there.
Services flush; the request commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..lti_tool.claims import LaunchContext
from .answers import SimulationHooks, is_complete
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
