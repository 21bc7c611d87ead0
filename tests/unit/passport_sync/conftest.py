"""Fixtures: the app's database and tool key, an LMS with AGS served over real HTTP
(``lms``: hosted Canvas; ``moodle_lms``), a settable clock and a worker factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from leadership_pods.config.database import Database
from leadership_pods.lti_tool.keys import SigningKey, ToolKeyService
from leadership_pods.lti_tool.services import TokenService
from leadership_pods.passport_sync.worker import Worker
from tests.support.platform import TestPlatform

from .support import Clock, Lms, serve_lms, worker_for


@pytest.fixture(autouse=True)
def _fresh_token_memo() -> Iterator[None]:
    TokenService.forget()
    yield
    TokenService.forget()


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["leadership_pods"]["db"]  # type: ignore[no-any-return]


@pytest.fixture
def http(app: Flask) -> requests.Session:
    return app.extensions["leadership_pods"]["http"]  # type: ignore[no-any-return]


@pytest.fixture
def signing_key(app: Flask, db: Database) -> SigningKey:
    with db.transaction() as s:
        return ToolKeyService(s, app.extensions["leadership_pods"]["cipher"]).signing_key()


@pytest.fixture
def lms(db: Database, platform: TestPlatform, signing_key: SigningKey) -> Lms:
    return serve_lms(db, platform, signing_key)


@pytest.fixture
def moodle_lms(db: Database, moodle: TestPlatform, signing_key: SigningKey) -> Lms:
    return serve_lms(db, moodle, signing_key, shape="moodle", course_id="2")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_worker(db: Database, http: requests.Session, signing_key: SigningKey,
                clock: Clock) -> Callable[..., Worker]:
    def make(**options: Any) -> Worker:
        return worker_for(db, http, signing_key, clock, **options)

    return make
