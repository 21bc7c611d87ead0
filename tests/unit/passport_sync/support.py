"""Helpers for outbox tests: graded attempts with their launches, a settable clock, and
an LMS (``PlatformServices``) served over real HTTP for the tool's registration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadership_pods.config.database import Database, utcnow
from leadership_pods.lti_tool.claims import AgsEndpoint, CourseInfo, LaunchContext, UserInfo
from leadership_pods.lti_tool.keys import SigningKey
from leadership_pods.lti_tool.models import (
    Deployment,
    LaunchRecord,
    LmsContext,
    LmsUser,
    Platform,
)
from leadership_pods.passport_sync.models import OutboxEvent
from leadership_pods.passport_sync.retry import Backoff
from leadership_pods.passport_sync.worker import Worker, make_worker
from leadership_pods.pods.models import STATUS_SUBMITTED, Attempt, Placement
from tests.support.platform import TestPlatform
from tests.support.platform_services import ALL_SCOPES, PlatformServices

POD = "budget-balancing"
LINK = "rl-budget-1"


class Clock:
    """A settable clock for the worker (the token service keeps the real one). It starts a
    minute ahead, so what a test queues (at the real time) is due for it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or utcnow() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> datetime:
        self.moment += timedelta(seconds=seconds)
        return self.moment


@dataclass
class Lms:
    """The LMS side of a test: its services, and what the tool needs to reach them."""

    platform: TestPlatform
    services: PlatformServices
    platform_id: int
    deployment_pk: int
    line_item: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def score_posts(self) -> list[Any]:
        return [c for c in self.services.calls_to("scores") if c.method == "POST"]

    def results(self, number: int = 1) -> dict[str, tuple[float, float, str | None]]:
        return dict(self.services.line_items[number].results)


def serve_lms(db: Database, platform: TestPlatform, signing_key: SigningKey, *,
              shape: str = "canvas", course_id: str = "311", line_item: bool = True,
              **options: Any) -> Lms:
    services = PlatformServices(client_id=platform.client_id,
                                jwks=lambda: {"keys": [signing_key.public_jwk]}, shape=shape,
                                course_id=course_id, **options).mount(platform)
    with db.transaction() as s:
        row = s.scalars(select(Platform).where(Platform.issuer == platform.issuer,
                                               Platform.client_id == platform.client_id)).one()
        deployment = s.scalars(select(Deployment).where(Deployment.platform_id == row.id)).first()
        assert deployment is not None
        platform_id, deployment_pk = row.id, deployment.id
    url = services.add_line_item("Budget Balancing pod", 10) if line_item else None
    return Lms(platform, services, platform_id, deployment_pk, url)


def launch_context(lms: Lms, *, user_pk: int, sub: str, course_pk: int | None,
                   context_id: str, role: str = "resident", link: str = LINK,
                   lineitem: str | None | bool = True, lineitems: bool = True,
                   scopes: tuple[str, ...] = ALL_SCOPES[:4], ags: bool = True) -> LaunchContext:
    item = lms.line_item if lineitem is True else (lineitem or None)
    return LaunchContext(
        launch_id=str(uuid.uuid4()), platform_id=lms.platform_id, issuer=lms.platform.issuer,
        client_id=lms.platform.client_id, deployment_id=lms.platform.deployment_id,
        deployment_pk=lms.deployment_pk, message_type="LtiResourceLinkRequest", role=role,
        lti_roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",),
        user=UserInfo(sub=sub, name=f"Resident {sub}"), user_pk=user_pk,
        course=CourseInfo(context_id=context_id, title="Leadership"), course_pk=course_pk,
        resource_link_id=link, resource_link_title="Budget Balancing pod",
        ags=AgsEndpoint(scopes=scopes, lineitems=lms.services.lineitems_url if lineitems else None,
                        lineitem=item) if ags else None,
        pod_slug=POD,
    )


def seed_attempt(session: Session, lms: Lms, *, sub: str = "resident-1", member: bool = True,
                 link: str = LINK, launched: bool = True, **launch: Any) -> int:
    """A submitted attempt of resident ``sub`` on the link, with their latest launch."""
    context_id = lms.services.course_id
    user = session.scalar(select(LmsUser).where(LmsUser.platform_id == lms.platform_id,
                                                LmsUser.sub == sub))
    if user is None:
        user = LmsUser(platform_id=lms.platform_id, sub=sub, name=f"Resident {sub}")
        session.add(user)
    course = session.scalar(select(LmsContext).where(LmsContext.platform_id == lms.platform_id,
                                                     LmsContext.context_id == context_id))
    if course is None:
        course = LmsContext(platform_id=lms.platform_id, context_id=context_id, title="Leadership")
        session.add(course)
    session.flush()
    placement = session.scalar(select(Placement).where(
        Placement.platform_id == lms.platform_id, Placement.context_key == context_id,
        Placement.resource_link_id == link))
    if placement is None:
        placement = Placement(platform_id=lms.platform_id, context_key=context_id,
                              context_pk=course.id, resource_link_id=link, pod_slug=POD,
                              title="Budget Balancing pod", video_overrides={})
        session.add(placement)
        session.flush()
    now = utcnow()
    attempt = Attempt(placement_id=placement.id, user_id=user.id, answers={},
                      status=STATUS_SUBMITTED, version=3, active_seconds=0, started_at=now,
                      last_activity_at=now, submitted_at=now)
    session.add(attempt)
    if launched:
        context = launch_context(lms, user_pk=user.id, sub=sub, course_pk=course.id,
                                 context_id=context_id, link=link, **launch)
        session.add(LaunchRecord(id=context.launch_id, platform_id=lms.platform_id,
                                 deployment_pk=lms.deployment_pk, user_id=user.id,
                                 context_pk=course.id, message_type=context.message_type,
                                 role=context.role, context_data=context.to_data(),
                                 created_at=now))
    session.flush()
    if member:
        lms.services.add_member(sub)
    return attempt.id


def worker_for(db: Database, http: requests.Session, signing_key: SigningKey, clock: Clock, *,
               timeout: float = 5.0, rng_value: float = 0.5, **options: Any) -> Worker:
    options.setdefault("backoff", Backoff())
    return make_worker(db, http, lambda: signing_key, timeout=timeout, now=clock,
                       rng=lambda: rng_value, **options)


def event_row(db: Database, event_id: int) -> OutboxEvent:
    with db.transaction() as s:
        row = s.get(OutboxEvent, event_id)
        assert row is not None
        s.expunge(row)
        return row
