"""Fixtures: the app's database and tool key, an LMS with AGS served over real HTTP
(``lms``: hosted Canvas; ``moodle_lms``), a settable clock and a worker factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask

from leadership_pods.config.database import Database
from leadership_pods.lti_tool.keys import SigningKey
from leadership_pods.passport_sync.worker import Worker
from tests.support.platform import TestPlatform

from .support import Clock, Lms, serve_lms, worker_for


@pytest.fixture
def http(app: Flask) -> requests.Session:
    return app.extensions["leadership_pods"]["http"]  # type: ignore[no-any-return]


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
