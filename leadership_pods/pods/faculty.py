"""Faculty's side of a pod link: its settings, and the roster of residents' progress on it.

A placement's *settings* are the due date residents see (stored in UTC) and, per video
segment, a video URL the institution hosts. The *roster* comes from NRPS (LTI Names and
Role Provisioning Services): the course's members, each with the LMS ``user_id`` that is
also the ``sub`` of their launches, so members match attempts by ``LmsUser.sub`` on the
same platform. When the LMS gives no roster, the residents who launched stand in for it.

Pure functions first (no Flask, no database); then the two services, which only flush.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config.database import Database
from ..lti_tool.claims import ROLE_RESIDENT
from ..lti_tool.errors import PlatformServiceError
from ..lti_tool.keys import KeyCipher, SigningKey, ToolKeyService
from ..lti_tool.models import LmsUser, Membership, Platform
from ..lti_tool.services import (
    Member,
    NrpsClient,
    PlatformEndpoints,
    RetryPolicy,
    ServiceHttp,
    TokenService,
)
from .attempts import progress
from .errors import PodError
from .models import STATUS_IN_PROGRESS, STATUS_RETURNED, STATUS_SUBMITTED, Attempt, Placement
from .validation_model import MicroLearningSection, PodPackage, Section

log = logging.getLogger(__name__)

STATUS_NOT_STARTED = "not_started"
#: roster order of the counts; rows put not-started first, then sort by name
STATUSES = (STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_SUBMITTED, STATUS_RETURNED)
STATUS_LABELS = {STATUS_NOT_STARTED: "Not started", STATUS_IN_PROGRESS: "In progress",
                 STATUS_SUBMITTED: "Submitted", STATUS_RETURNED: "Returned for revision"}
VIDEO_FILES = (".mp4", ".webm")
MAX_URL = 1000
DEFAULT_DUE_TIME = time(23, 59)
#: a roster page waits for a busy LMS briefly; the fallback list is better than a hang
ROSTER_RETRY = RetryPolicy(max_retries=1, backoff_max=2.0, max_retry_after=2.0)
NO_NRPS_NOTICE = (
    "The LMS did not send a roster link (Names and Role Provisioning Services) with this "
    "launch, so only residents who have opened this pod are listed. Ask the LMS "
    "administrator to enable that service for the tool to see who has not started.")


# -- pure: settings ---------------------------------------------------------------------
def video_sections(package: PodPackage) -> tuple[Section, ...]:
    """The micro-learning sections in video format: the ones a placement may override."""
    return tuple(s for s in package.sections
                 if isinstance(s.content, MicroLearningSection) and s.content.format == "video")


def video_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a video override, or None. Empty means "no override".

    Only https: the pages' content security policy (web/security.py) and browsers'
    mixed-content rules block plain-http media inside an https LMS.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        return f"Give a URL of at most {MAX_URL} characters, without spaces."
    if parts.scheme != "https" or not parts.netloc:
        return "Give an https:// link (browsers block plain-http video inside the LMS)."
    if not parts.path.lower().endswith(VIDEO_FILES):
        return "Give a link to an .mp4 or .webm file."
    return None


def due_at_from(day: date | None, at: time | None) -> datetime | None:
    """The due moment in UTC; a day without a time is due at 23:59."""
    if day is None:
        return None
    return datetime.combine(day, (at or DEFAULT_DUE_TIME).replace(tzinfo=None), tzinfo=UTC)


@dataclass(frozen=True)
class PlacementSettings:
    due_at: datetime | None
    #: section id -> https URL of an .mp4/.webm; absent sections use the package's video
    video_overrides: Mapping[str, str]


# -- pure: the roster -------------------------------------------------------------------
def format_duration(seconds: int) -> str:
    """Time on task as h:mm (minutes rounded down)."""
    minutes = max(0, seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Person:
    """Someone who may appear on the roster: LMS user id (``sub``) and display name."""

    sub: str
    name: str


def display_name(sub: str, name: str | None, given: str | None, family: str | None,
                 email: str | None) -> str:
    return name or " ".join(p for p in (given, family) if p) or email or f"LMS user {sub}"


def residents_of(members: Iterable[Member]) -> list[Person]:
    """Active members whose roles make them residents in the tool (faculty are left out)."""
    return [Person(m.user_id, display_name(m.user_id, m.name, m.given_name, m.family_name,
                                           m.email))
            for m in members if m.active and m.tool_role == ROLE_RESIDENT]


@dataclass(frozen=True)
class AttemptSummary:
    """What the roster shows of one attempt."""

    sub: str
    name: str
    status: str
    done: int
    active_seconds: int
    last_activity_at: datetime


@dataclass(frozen=True)
class RosterRow:
    sub: str
    name: str
    status: str
    done: int
    total: int
    active_seconds: int
    last_activity_at: datetime | None
    #: False for an attempt by someone not (or no longer) an active resident on the roster
    on_roster: bool = True

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def time_on_task(self) -> str:
        return format_duration(self.active_seconds)


def roster_rows(people: Sequence[Person], attempts: Mapping[str, AttemptSummary], total: int,
                *, complete: bool = True) -> list[RosterRow]:
    """One row per person, plus one per attempt of someone not among them.

    ``complete`` says ``people`` is the LMS roster; an attempt by someone not on it is
    still shown (the work exists), marked as off the roster. Not started comes first,
    then by name.
    """
    rows: dict[str, RosterRow] = {}
    for person in people:
        attempt = attempts.get(person.sub)
        rows.setdefault(person.sub, _row(person.sub, person.name, attempt, total, True))
    for sub, attempt in attempts.items():
        if sub not in rows:
            rows[sub] = _row(sub, attempt.name, attempt, total, not complete)
    return sorted(rows.values(), key=lambda r: (r.status != STATUS_NOT_STARTED,
                                               r.name.casefold(), r.sub))


def _row(sub: str, name: str, attempt: AttemptSummary | None, total: int,
         on_roster: bool) -> RosterRow:
    if attempt is None:
        return RosterRow(sub, name, STATUS_NOT_STARTED, 0, total, 0, None, on_roster)
    status = attempt.status if attempt.status in STATUS_LABELS else STATUS_IN_PROGRESS
    return RosterRow(sub, name, status, attempt.done, total, attempt.active_seconds,
                     attempt.last_activity_at, on_roster)


def status_counts(rows: Iterable[RosterRow]) -> dict[str, int]:
    counted = Counter(r.status for r in rows)
    return {status: counted.get(status, 0) for status in STATUSES}


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    counts: dict[str, int]
    #: "lms" (NRPS) or "launches" (the fallback); ``notice`` says why it fell back
    source: str
    notice: str | None = None


# -- reading the roster from the LMS ----------------------------------------------------
def nrps_client_for(session: Session, db: Database, cipher: KeyCipher, http: requests.Session,
                    platform_id: int, timeout: float) -> NrpsClient:
    """An NRPS client for the launch's registration, signing with the tool's current key."""
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise PlatformServiceError("this launch's LMS registration no longer exists")

    def signing_key() -> SigningKey:
        # its own short transaction: the token cache writes from another connection
        with db.transaction() as key_session:
            return ToolKeyService(key_session, cipher).signing_key()

    tokens = TokenService(db, signing_key, http, timeout, retry=ROSTER_RETRY)
    calls = ServiceHttp(tokens, http, timeout=timeout, retry=ROSTER_RETRY)
    return NrpsClient(calls, PlatformEndpoints.from_platform(platform))


def read_members(nrps_url: str | None, connect: Callable[[], NrpsClient]
                 ) -> tuple[list[Member] | None, str | None]:
    """The course's members, or None and a sentence saying why they are missing."""
    if not nrps_url:
        return None, NO_NRPS_NOTICE
    try:
        return connect().members(nrps_url), None
    except PlatformServiceError as exc:
        log.warning("roster from %s unavailable: %s", nrps_url, exc.message)
        return None, (f"The course roster could not be read from the LMS ({exc.message}), so "
                      f"only residents who have opened this pod are listed. {exc.hint}")


# -- services ---------------------------------------------------------------------------
class PlacementSettingsService:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def current(placement: Placement) -> PlacementSettings:
        overrides = {k: v for k, v in (placement.video_overrides or {}).items()
                     if isinstance(v, str) and v}
        return PlacementSettings(placement.due_at, overrides)

    def update(self, placement: Placement, package: PodPackage,
               settings: PlacementSettings) -> Placement:
        allowed = {s.ref.id for s in video_sections(package)}
        overrides: dict[str, str] = {}
        for section_id, url in settings.video_overrides.items():
            if section_id not in allowed:
                raise PodError(f"this pod has no video section {section_id!r}", check="section")
            if problem := video_url_problem(url.strip()):
                raise PodError(f"video URL for {section_id}: {problem}", check="settings")
            if url.strip():
                overrides[section_id] = url.strip()
        if settings.due_at is not None and settings.due_at.tzinfo is None:
            raise PodError("the due date has no time zone", check="settings")
        placement.due_at = settings.due_at
        placement.video_overrides = overrides  # a new dict, so the JSON column is written
        self.session.flush()
        log.info("placement %s settings saved: due %s, %d video override(s)", placement.id,
                 placement.due_at.isoformat() if placement.due_at else "none", len(overrides))
        return placement


class RosterService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def attempts(self, placement: Placement, package: PodPackage) -> dict[str, AttemptSummary]:
        """Every attempt on the placement, by the LMS user id of its resident."""
        found: dict[str, AttemptSummary] = {}
        for attempt, user in self.session.execute(
                select(Attempt, LmsUser).join(LmsUser, LmsUser.id == Attempt.user_id)
                .where(Attempt.placement_id == placement.id,
                       LmsUser.platform_id == placement.platform_id)):
            found[user.sub] = AttemptSummary(
                sub=user.sub, name=_user_name(user), status=attempt.status,
                done=sum(progress(package, attempt.answers).values()),
                active_seconds=attempt.active_seconds, last_activity_at=attempt.last_activity_at)
        return found

    def launched_residents(self, placement: Placement) -> list[Person]:
        """Residents of the placement's course who have launched the tool from it."""
        if placement.context_pk is None:
            return []
        users = self.session.scalars(
            select(LmsUser).join(Membership, Membership.user_id == LmsUser.id)
            .where(Membership.context_id == placement.context_pk,
                   Membership.role == ROLE_RESIDENT))
        return [Person(u.sub, _user_name(u)) for u in users]

    def roster(self, placement: Placement, package: PodPackage,
               members: Sequence[Member] | None, notice: str | None = None) -> Roster:
        """From the LMS's ``members`` when given; else from launches, with ``notice``."""
        attempts = self.attempts(placement, package)
        total = len(package.sections)
        if members is not None:
            rows = roster_rows(residents_of(members), attempts, total)
            return Roster(rows, status_counts(rows), "lms")
        rows = roster_rows(self.launched_residents(placement), attempts, total, complete=False)
        return Roster(rows, status_counts(rows), "launches", notice)


def _user_name(user: LmsUser) -> str:
    return display_name(user.sub, user.name, user.given_name, user.family_name, user.email)
