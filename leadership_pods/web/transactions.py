"""The one place a request commits or rolls back (as indico's request handler does)."""

from __future__ import annotations

import logging

from flask import Flask, Response, g

log = logging.getLogger(__name__)


def register_transactions(app: Flask) -> None:
    @app.after_request
    def commit(response: Response) -> Response:
        session = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if not session.in_transaction():
                pass  # nothing was read or written: no transaction to end
            elif response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
        return response

    @app.teardown_request
    def close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
