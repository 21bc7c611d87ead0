"""The tool keeps no Flask session.

Inside an LMS iframe the browser may drop every cookie of the tool, so nothing may depend
on one: after the launch, every page carries its signed launch token (``lt``), and forms
are protected by a CSRF token bound to the launch (:mod:`.forms`). Flask would still open
and sign a cookie session on every request; this interface opens none. Reading
``flask.session`` gives an empty mapping, and writing to it raises, so a cookie dependency
cannot creep in unnoticed.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface


class NoSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None
