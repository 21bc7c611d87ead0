"""Persisting a launch: users, courses and memberships upserted, the LaunchContext stored.

Later requests inside the tool resume the stored context by its launch id (carried by
the page in a signed launch token), so they never depend on third-party cookies.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config.database import Base
from .claims import LaunchContext
from .errors import LaunchSessionError
from .models import LaunchRecord, LmsContext, LmsUser, Membership

M = TypeVar("M", bound=Base)


class LaunchRecorder:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _upsert(self, model: type[M], keys: dict[str, Any], values: dict[str, Any]) -> M:
        """Find by keys and update, or insert; a concurrent insert is retried as an update."""
        query = select(model).filter_by(**keys)
        row = self.session.scalar(query)
        if row is None:
            try:
                with self.session.begin_nested():
                    row = model(**keys, **values)
                    self.session.add(row)
                return row
            except IntegrityError:
                row = self.session.scalar(query)
                if row is None:
                    raise
        for name, value in values.items():
            if value is not None and getattr(row, name) != value:
                setattr(row, name, value)
        return row

    def record(self, context: LaunchContext) -> LaunchContext:
        user = self._upsert(
            LmsUser, {"platform_id": context.platform_id, "sub": context.user.sub},
            {"name": context.user.name, "given_name": context.user.given_name,
             "family_name": context.user.family_name, "email": context.user.email,
             "person_sourcedid": context.user.person_sourcedid},
        )
        course_pk = None
        if context.course is not None:
            course = self._upsert(
                LmsContext,
                {"platform_id": context.platform_id, "context_id": context.course.context_id},
                {"label": context.course.label, "title": context.course.title,
                 "nrps_url": context.nrps_url},
            )
            self.session.flush()
            course_pk = course.id
            self._upsert(
                Membership, {"user_id": user.id, "context_id": course.id},
                {"role": context.role, **{k: context.program.get(k)
                                          for k in ("cohort", "specialty", "pgy", "stage")}},
            )
        self.session.flush()
        recorded = dataclasses.replace(context, user_pk=user.id, course_pk=course_pk)
        self.session.add(LaunchRecord(
            id=context.launch_id, platform_id=context.platform_id,
            deployment_pk=context.deployment_pk, user_id=user.id, context_pk=course_pk,
            message_type=context.message_type, role=context.role,
            context_data=recorded.to_data(),
        ))
        self.session.flush()
        return recorded


def load_launch(session: Session, launch_id: str) -> LaunchContext:
    record = session.get(LaunchRecord, launch_id)
    if record is None:
        raise LaunchSessionError("this launch is unknown; open the activity again from the LMS")
    return LaunchContext.from_data(record.context_data)
