"""Fixtures: ``app`` (fresh database per test), ``session``, ``client``, ``runner`` and
``platform`` — a signing LTI platform served over real HTTP on 127.0.0.1.

The suite runs on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set (each
test then gets a schema of its own).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from leadership_pods import models  # noqa: F401
from leadership_pods.app import create_app
from leadership_pods.config.database import Base, Database
from leadership_pods.lti_tool.keys import SigningKey, ToolKeyService
from leadership_pods.lti_tool.platform_keys import PlatformKeyService
from leadership_pods.lti_tool.registry import PlatformRegistry, PlatformSpec
from leadership_pods.lti_tool.services import TokenService
from tests.support.http_server import LocalServer
from tests.support.platform import TOOL_BASE_URL, TestPlatform

# timing varies on shared 2-core CI machines: property tests are judged on results only
hypothesis_settings.register_profile("leadership-pods", deadline=None)
hypothesis_settings.load_profile("leadership-pods")


def _database_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    base = base.replace("postgres://", "postgresql://", 1)
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote('-csearch_path=' + schema)}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield from _database_url(tmp_path)


def make_app(database_url: str, tmp_path: Path, *, create_schema: bool = True,
             **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "testing": True, "database_url": database_url, "secret_key": "test-secret-" + "x" * 20,
        "base_url": TOOL_BASE_URL, "instance_path": tmp_path / "instance", "demo": False,
    }
    settings.update(overrides)
    app = create_app(settings)
    if create_schema:
        Base.metadata.create_all(app.extensions["leadership_pods"]["db"].engine)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    PlatformKeyService.forget()
    TokenService.forget()  # per-process caches of the last test's platforms and tokens
    app = make_app(database_url, tmp_path)
    yield app
    app.extensions["leadership_pods"]["db"].dispose()
    TokenService.forget()


@pytest.fixture
def db(app: Flask) -> Database:
    """The app's database (for transactions of a test's own)."""
    return app.extensions["leadership_pods"]["db"]  # type: ignore[no-any-return]


@pytest.fixture
def signing_key(app: Flask, db: Database) -> SigningKey:
    """The tool's current signing key."""
    with db.transaction() as s:
        return ToolKeyService(s, app.extensions["leadership_pods"]["cipher"]).signing_key()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        yield s


def register(app: Flask, platform: TestPlatform, **spec: Any) -> None:
    values = {**platform.registration(), "deployment_ids": (platform.deployment_id,), **spec}
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        PlatformRegistry(s).add(PlatformSpec(**values))


@pytest.fixture
def platform(app: Flask) -> Iterator[TestPlatform]:
    """Hosted Canvas, registered with the tool, serving its JWKS on 127.0.0.1."""
    test_platform = TestPlatform()
    with LocalServer(test_platform.wsgi) as server:
        test_platform.base_url = server.url
        register(app, test_platform)
        yield test_platform


@pytest.fixture
def moodle(app: Flask) -> Iterator[TestPlatform]:
    """Moodle 4.5, registered with the tool, serving its JWKS on 127.0.0.1."""
    test_platform = TestPlatform(issuer="https://moodle.example.edu", client_id="Xq7PzR2mKd9LwT4",
                                 deployment_id="1", shape="moodle")
    with LocalServer(test_platform.wsgi) as server:
        test_platform.base_url = server.url
        register(app, test_platform)
        yield test_platform
