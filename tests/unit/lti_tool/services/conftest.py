"""Service clients against ``PlatformServices`` over real HTTP (the ``platform`` and
``moodle`` fixtures serve it on 127.0.0.1), with the app's database and tool key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from leadership_pods.config.database import Database
from leadership_pods.lti_tool.keys import SigningKey
from leadership_pods.lti_tool.models import Platform
from leadership_pods.lti_tool.services import (
    AgsClient,
    NrpsClient,
    PlatformEndpoints,
    RetryPolicy,
    ScoreClock,
    ServiceHttp,
    TokenService,
)
from tests.support.platform import TestPlatform
from tests.support.platform_services import PlatformServices


@dataclass
class Clients:
    """Everything a test needs to talk to one platform."""

    services: PlatformServices
    endpoints: PlatformEndpoints
    tokens: TokenService
    http: ServiceHttp
    ags: AgsClient
    nrps: NrpsClient
    sleeps: list[float]


@pytest.fixture
def session_http(app: Flask) -> requests.Session:
    return app.extensions["leadership_pods"]["http"]  # type: ignore[no-any-return]


def endpoints_of(db: Database, test_platform: TestPlatform) -> PlatformEndpoints:
    with db.transaction() as s:
        row = s.scalars(select(Platform).where(Platform.issuer == test_platform.issuer,
                                               Platform.client_id == test_platform.client_id)).one()
        return PlatformEndpoints.from_platform(row)


@pytest.fixture
def make_clients(db: Database, signing_key: SigningKey, session_http: requests.Session
                 ) -> Callable[..., Clients]:
    def make(test_platform: TestPlatform, *, shape: str = "canvas", course_id: str = "311",
             timeout: float = 5.0, now: Callable[[], datetime] | None = None,
             clock: ScoreClock | None = None, http: requests.Session | None = None,
             **service_options: Any) -> Clients:
        services = PlatformServices(client_id=test_platform.client_id,
                                    jwks={"keys": [signing_key.public_jwk]}, shape=shape,
                                    course_id=course_id, **service_options).mount(test_platform)
        sleeps: list[float] = []
        session = http or session_http
        extra = {"now": now} if now else {}
        tokens = TokenService(db, lambda: signing_key, session, timeout, sleep=sleeps.append,
                              **extra)
        calls = ServiceHttp(tokens, session, timeout=timeout, retry=RetryPolicy(),
                            sleep=sleeps.append)
        endpoints = endpoints_of(db, test_platform)
        return Clients(services, endpoints, tokens, calls,
                       AgsClient(calls, endpoints, clock=clock or ScoreClock()),
                       NrpsClient(calls, endpoints), sleeps)

    return make


@pytest.fixture
def canvas(platform: TestPlatform, make_clients: Callable[..., Clients]) -> Clients:
    return make_clients(platform)


@pytest.fixture
def moodle_clients(moodle: TestPlatform, make_clients: Callable[..., Clients]) -> Clients:
    return make_clients(moodle, shape="moodle", course_id="2")
