"""The one place a request commits or rolls back (as indico's request handler does).

A request that touched the database holds one connection with one transaction
(``scope.db_connection``), and perhaps an ORM session joined to it (``scope.db_session``).
A response under 400 commits it, after the session has flushed; any other response, or an
exception, rolls it back.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g

log = logging.getLogger(__name__)


def register_transactions(app: Flask) -> None:
    @app.after_request
    def commit(response: Response) -> Response:
        connection = g.pop("db_connection", None)
        if connection is None:
            return response  # nothing was read or written: no transaction to end
        session = g.pop("db_session", None)
        try:
            if response.status_code < 400:
                if session is not None:
                    session.flush()
                connection.commit()
            else:
                connection.rollback()
        finally:
            if session is not None:
                session.close()
            connection.close()
        return response

    @app.teardown_request
    def close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
        connection = g.pop("db_connection", None)
        if connection is not None:
            connection.rollback()
            connection.close()
