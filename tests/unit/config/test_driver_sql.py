"""DriverStatement stores and reads exactly what a Core execute would, on SQLite and
PostgreSQL (``TEST_DATABASE_URL``), inside the connection's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, exc, insert, select, update

from leadership_pods.config.database import Database
from leadership_pods.config.driver_sql import DriverStatement
from leadership_pods.lti_tool.models import Platform

_PLATFORMS = cast(Table, Platform.__table__)


def _platform(db: Database) -> int:
    with db.engine.begin() as connection:
        return int(connection.execute(insert(_PLATFORMS).values(
            issuer="https://lms.example", client_id="c-1", name="LMS",
            auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/jwks", deployment_policy="strict",
        ).returning(_PLATFORMS.c.id)).scalar_one())


def test_a_select_reads_what_core_reads(db: Database) -> None:
    pk = _platform(db)
    statement = select(_PLATFORMS.c.id, _PLATFORMS.c.issuer, _PLATFORMS.c.created_at).where(
        _PLATFORMS.c.id == bindparam("pk"))
    with db.engine.connect() as connection:
        core = connection.execute(statement, {"pk": pk}).one()
        driver = DriverStatement(statement).execute(connection, {"pk": pk})
        assert driver.rows == [tuple(core)]
        assert driver.first() == tuple(core)
        assert driver.scalar() == pk
        assert driver.first()[2].tzinfo is not None  # the UTC column's result processor ran
        assert DriverStatement(statement).execute(connection, {"pk": pk + 1}).first() is None


def test_an_update_binds_through_the_column_types_and_joins_the_transaction(db: Database) -> None:
    pk = _platform(db)
    when = datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    statement = DriverStatement(update(_PLATFORMS).where(_PLATFORMS.c.id == bindparam("pk"))
                                .values(name=bindparam("name"), created_at=bindparam("at")))
    with db.engine.connect() as connection:
        connection.begin()
        assert statement.execute(connection, {"pk": pk, "name": "Renamed", "at": when}
                                 ).rowcount == 1
        connection.rollback()  # the driver's statement was in the connection's transaction
    with db.engine.connect() as connection:
        assert connection.execute(select(_PLATFORMS.c.name)).scalar_one() == "LMS"
        connection.commit()
        connection.begin()
        statement.execute(connection, {"pk": pk, "name": "Renamed", "at": when})
        connection.commit()
        name, at = connection.execute(select(_PLATFORMS.c.name, _PLATFORMS.c.created_at)).one()
    assert name == "Renamed"
    assert at == when.astimezone(UTC)  # stored as UTC by the column's bind processor


def test_driver_errors_are_raised_as_sqlalchemys(db: Database) -> None:
    _platform(db)
    columns = ("issuer", "client_id", "name", "auth_login_url", "auth_token_url",
               "key_set_url", "auth_audience", "deployment_policy", "product_family", "active",
               "created_at")
    statement = DriverStatement(insert(_PLATFORMS).values(
        {name: bindparam(name) for name in columns}))
    again = {"issuer": "https://lms.example", "client_id": "c-1", "name": "Again",
             "auth_login_url": "x", "auth_token_url": "x", "key_set_url": "x",
             "auth_audience": None, "deployment_policy": "strict", "product_family": None,
             "active": True, "created_at": datetime.now(UTC)}
    with db.engine.connect() as connection:
        connection.begin()
        with pytest.raises(exc.ArgumentError, match="no value for 'active'"):
            statement.execute(connection, {k: v for k, v in again.items() if k != "active"})
        with pytest.raises(exc.IntegrityError):
            statement.execute(connection, again)
