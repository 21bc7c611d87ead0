"""Request-scoped access to the app's settings, database session and launch.

Views call these; services receive what they need as arguments, never Flask.
"""

from __future__ import annotations

import requests
from flask import current_app, g, request
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..config.database import Database
from ..config.settings import Settings
from ..lti_tool.claims import LaunchContext
from ..lti_tool.context import load_launch
from ..lti_tool.errors import AccessDenied
from ..lti_tool.keys import KeyCipher
from ..lti_tool.launch_token import LaunchTokens
from ..lti_tool.login import LoginStates
from ..lti_tool.platform_keys import PlatformKeyService

EXTENSION = "leadership_pods"


def settings() -> Settings:
    return current_app.extensions[EXTENSION]["settings"]  # type: ignore[no-any-return]


def database() -> Database:
    return current_app.extensions[EXTENSION]["db"]  # type: ignore[no-any-return]


def http() -> requests.Session:
    return current_app.extensions[EXTENSION]["http"]  # type: ignore[no-any-return]


def db_connection() -> Connection:
    """The request's connection, in the request's one transaction, which the request
    commits or rolls back (web/transactions.py). The hot paths (autosave, the launch's
    records) run their statements on it; autosave never needs an ORM session."""
    if "db_session" in g:  # the session came first: its connection, its transaction
        return g.db_session.connection()  # type: ignore[no-any-return]
    if "db_connection" not in g:
        connection = database().engine.connect()
        connection.begin()
        g.db_connection = connection
    return g.db_connection  # type: ignore[no-any-return]


def db_session() -> Session:
    """The request's ORM session. Made first, it connects only when it first needs the
    database (a login answered from the registration snapshot never does); made after
    :func:`db_connection`, it joins that connection's transaction. Either way the request
    ends the one transaction."""
    if "db_session" not in g:
        connection = g.get("db_connection")
        g.db_session = (database().session_factory() if connection is None
                        else database().session_on(connection))
    return g.db_session  # type: ignore[no-any-return]


def key_cipher() -> KeyCipher:
    return current_app.extensions[EXTENSION]["cipher"]  # type: ignore[no-any-return]


def launch_tokens() -> LaunchTokens:
    return current_app.extensions[EXTENSION]["launch_tokens"]  # type: ignore[no-any-return]


def login_states() -> LoginStates:
    return current_app.extensions[EXTENSION]["login_states"]  # type: ignore[no-any-return]


def platform_keys() -> PlatformKeyService:
    s = settings()
    return PlatformKeyService(
        database(), http(), min_ttl=s.jwks_min_ttl, max_ttl=s.jwks_max_ttl,
        refetch_interval=s.jwks_refetch_interval, timeout=s.http_timeout,
    )


def launch_token_from_request() -> str | None:
    return (request.headers.get("X-Launch-Token") or request.form.get("lt")
            or request.args.get("lt"))


def current_launch(*roles: str) -> LaunchContext:
    """The launch this request belongs to (from its launch token), optionally by role."""
    if "launch" not in g:
        launch_id, g.launch_token = launch_tokens().open(launch_token_from_request())
        g.launch = load_launch(db_session, launch_id)
    launch: LaunchContext = g.launch
    if roles and launch.role not in roles:
        raise AccessDenied(f"this page is for {' or '.join(roles)}s; you launched as {launch.role}")
    return launch
