"""The one place a request commits or rolls back (as indico's request handler does).

A request that touched the database has one transaction: on the connection it asked for
first (``scope.db_connection``), with an ORM session joined to it if a view also needed
one, or on the ORM session it asked for first (``scope.db_session``), whose connection the
hot paths then share. A response under 400 commits it, after the session has flushed; any
other response, or an exception, rolls it back.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g

log = logging.getLogger(__name__)


def register_transactions(app: Flask) -> None:
    @app.after_request
    def commit(response: Response) -> Response:
        session = g.pop("db_session", None)
        connection = g.pop("db_connection", None)
        ok = response.status_code < 400
        try:
            if connection is not None:  # the connection came first and owns the transaction
                if ok and session is not None:
                    session.flush()
                if ok:
                    connection.commit()
                else:
                    connection.rollback()
            elif session is not None and session.in_transaction():
                if ok:
                    session.commit()
                else:
                    session.rollback()
        finally:
            if session is not None:
                session.close()
            if connection is not None:
                connection.close()
        return response

    @app.teardown_request
    def close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        connection = g.pop("db_connection", None)
        if connection is not None:
            connection.rollback()
            connection.close()
