"""Persisting a launch: users, courses and memberships upserted, the LaunchContext stored.

Later requests inside the tool resume the stored context by its launch id (carried by
the page in a signed launch token), so they never depend on third-party cookies.
Upserts are single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statements (SQLite
and PostgreSQL both have them), so concurrent first launches of a user cannot collide.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..config.driver_sql import DriverStatement
from .claims import LaunchContext
from .errors import LaunchSessionError
from .models import LaunchRecord, LmsContext, LmsUser, Membership

_statements: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], DriverStatement] = {}


def _upsert_statement(dialect: str, table: Table, keys: tuple[str, ...],
                      values: tuple[str, ...]) -> DriverStatement:
    """Built once per table, columns and dialect; run on the driver (config/driver_sql)."""
    cache_key = (dialect, table.name, keys, values)
    statement = _statements.get(cache_key)
    if statement is None:
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = dialect_insert(table).values(
            {name: bindparam(name) for name in (*keys, *values, "updated_at")})
        changes: dict[str, Any] = {
            name: func.coalesce(base.excluded[name], table.c[name]) for name in values}
        changes["updated_at"] = base.excluded.updated_at
        statement = DriverStatement(base.on_conflict_do_update(
            index_elements=list(keys), set_=changes).returning(table.c.id))
        _statements[cache_key] = statement
    return statement


_USERS = cast(Table, LmsUser.__table__)
_COURSES = cast(Table, LmsContext.__table__)
_MEMBERSHIPS = cast(Table, Membership.__table__)
_LAUNCHES = cast(Table, LaunchRecord.__table__)
#: one row per launch, every column given, run on the driver (config/driver_sql)
_RECORD_LAUNCH = DriverStatement(_LAUNCHES.insert().values(
    {column.name: bindparam(column.name) for column in _LAUNCHES.columns}))


def upsert(connection: Connection, table: Table, keys: dict[str, Any],
           values: dict[str, Any]) -> int:
    """Insert a row or update it by its unique keys; returns its id. ``None`` values in
    ``values`` do not overwrite what is stored. ``connection`` is the session's (its
    transaction), so the request's one commit or rollback covers the row."""
    statement = _upsert_statement(connection.dialect.name, table, tuple(keys), tuple(values))
    params = {**keys, **values, "updated_at": utcnow()}
    return int(statement.execute(connection, params).scalar())


class LaunchRecorder:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, context: LaunchContext) -> LaunchContext:
        # Core statements on the session's connection: the same transaction as the ORM
        connection = self.session.connection()
        user = context.user
        user_pk = upsert(
            connection, _USERS,
            {"platform_id": context.platform_id, "sub": user.sub},
            {"name": user.name, "given_name": user.given_name, "family_name": user.family_name,
             "email": user.email, "person_sourcedid": user.person_sourcedid},
        )
        course_pk = None
        if context.course is not None:
            course_pk = upsert(
                connection, _COURSES,
                {"platform_id": context.platform_id, "context_id": context.course.context_id},
                {"label": context.course.label, "title": context.course.title,
                 "nrps_url": context.nrps_url},
            )
            upsert(
                connection, _MEMBERSHIPS,
                {"user_id": user_pk, "context_id": course_pk},
                {"role": context.role, **{k: context.program.get(k)
                                          for k in ("cohort", "specialty", "pgy", "stage")}},
            )
        recorded = LaunchContext(**{**vars(context), "user_pk": user_pk, "course_pk": course_pk})
        _RECORD_LAUNCH.execute(connection, {
            "id": context.launch_id, "platform_id": context.platform_id,
            "deployment_pk": context.deployment_pk, "user_id": user_pk, "context_pk": course_pk,
            "message_type": context.message_type, "role": context.role,
            "context_data": recorded.to_data(), "created_at": utcnow(),
        })
        return recorded


_recent: OrderedDict[str, LaunchContext] = OrderedDict()
RECENT_LAUNCHES = 2048


def load_launch(session: Callable[[], Session], launch_id: str) -> LaunchContext:
    """The stored context of a launch. Launch records never change, so recently used ones
    are kept in memory (per process) and later requests of the same launch skip the read
    (``session`` gives the request's session, and is only called for a read)."""
    cached = _recent.get(launch_id)
    if cached is not None:
        _recent.move_to_end(launch_id)
        return cached
    record = session().get(LaunchRecord, launch_id)
    if record is None:
        raise LaunchSessionError("this launch is unknown; open the activity again from the LMS")
    context = LaunchContext.from_data(record.context_data)
    _recent[launch_id] = context
    if len(_recent) > RECENT_LAUNCHES:
        _recent.popitem(last=False)
    return context
