"""The request's one transaction: whichever of the connection and the ORM session a view
asks for first holds it, the other joins it, and the response decides commit or rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select

from leadership_pods.lti_tool.models import Deployment, Platform
from leadership_pods.web.scope import db_connection, db_session
from tests.conftest import make_app


def _platform(name: str) -> Platform:
    return Platform(name=name, issuer=f"https://{name}.example", client_id=name,
                    auth_login_url="https://x.example/a", auth_token_url="https://x.example/t",
                    key_set_url="https://x.example/k")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Any:
    app = make_app(database_url, tmp_path)

    def write(order: str, status: int) -> tuple[str, int]:
        first, second = (db_connection, db_session) if order == "connection" else (
            db_session, db_connection)
        first()
        platform = _platform(f"{order}-{status}")
        db_session().add(platform)
        db_session().flush()  # the session's row, then a Core row on the connection
        second()
        db_connection().execute(insert(Deployment).values(
            platform_id=platform.id, deployment_id="d-1", auto_recorded=False))
        assert db_connection() is db_session().connection()
        return "done", status

    app.add_url_rule("/write/<order>/<int:status>", "write", write, methods=["POST"])
    yield app
    app.extensions["leadership_pods"]["db"].dispose()


def _count(app: Flask, model: Any) -> int:
    with app.extensions["leadership_pods"]["db"].transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


@pytest.mark.parametrize("order", ["connection", "session"])
def test_a_good_response_commits_both_an_error_response_neither(app: Flask, order: str) -> None:
    client = app.test_client()
    assert client.post(f"/write/{order}/200").status_code == 200
    assert (_count(app, Platform), _count(app, Deployment)) == (1, 1)
    assert client.post(f"/write/{order}/409").status_code == 409
    assert (_count(app, Platform), _count(app, Deployment)) == (1, 1)


def test_a_request_that_never_touched_the_database_opens_no_connection(app: Flask) -> None:
    app.add_url_rule("/idle", "idle", lambda: (db_session() and "idle"), methods=["GET"])
    checkouts: list[object] = []
    engine = app.extensions["leadership_pods"]["db"].engine
    event.listen(engine, "checkout", lambda *args: checkouts.append(args))
    assert app.test_client().get("/idle").status_code == 200
    assert checkouts == []
    assert app.test_client().post("/write/session/200").status_code == 200
    assert len(checkouts) == 1  # one connection for the session and the Core statement
