"""Fixtures for the rubric services: a course on a platform, faculty, and residents'
submitted attempts at a pod placed in the course."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from leadership_pods.lti_tool.models import LmsContext, LmsUser, Platform
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import STATUS_SUBMITTED, Attempt, Placement
from leadership_pods.pods.validation_model import PodPackage
from tests.support.answers import complete_answers


def package(slug: str) -> PodPackage:
    return load_catalogue().package(slug)


@pytest.fixture
def course(session: Session) -> LmsContext:
    platform = Platform(name="Canvas", issuer="https://canvas.instructure.com", client_id="1",
                        auth_login_url="https://lms/auth", auth_token_url="https://lms/token",
                        key_set_url="https://lms/jwks")
    session.add(platform)
    session.flush()
    row = LmsContext(platform_id=platform.id, context_id="course-1", title="Residency 2026")
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def faculty(session: Session, course: LmsContext) -> LmsUser:
    user = LmsUser(platform_id=course.platform_id, sub="faculty-1", name="Dr Faye Faculty")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def submitted(session: Session, course: LmsContext) -> Callable[..., Attempt]:
    """A resident's submitted attempt at ``slug`` in the course (complete answers unless
    ``answers`` are given)."""
    placements: dict[str, Placement] = {}
    count = iter(range(1, 1000))

    def make(slug: str = "governance", answers: dict[str, Any] | None = None) -> Attempt:
        if slug not in placements:
            placements[slug] = Placement(platform_id=course.platform_id,
                                         context_key=course.context_id, context_pk=course.id,
                                         resource_link_id=f"link-{slug}", pod_slug=slug,
                                         video_overrides={})
            session.add(placements[slug])
            session.flush()
        n = next(count)
        user = LmsUser(platform_id=course.platform_id, sub=f"resident-{n}", name=f"Resident {n}")
        session.add(user)
        session.flush()
        attempt = Attempt(placement_id=placements[slug].id, user_id=user.id,
                          status=STATUS_SUBMITTED,
                          answers=complete_answers(package(slug)) if answers is None else answers)
        session.add(attempt)
        session.flush()
        return attempt

    return make
