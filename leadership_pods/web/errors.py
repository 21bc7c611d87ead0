"""Errors people see: a plain sentence and a 4xx, or a 500 page with an error id."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..lti_tool.errors import LtiError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    if request.path.startswith(("/lti/jwks", "/healthz", "/api/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    accept = request.accept_mimetypes
    return best == "application/json" and accept[best] > accept["text/html"]


def render_error(status: int, title: str, message: str, *, check: str | None = None,
                 hint: str | None = None, error_id: str | None = None) -> Response:
    if _wants_json():
        body = {"error": title, "message": message, "check": check, "hint": hint,
                "error_id": error_id}
        response = jsonify({k: v for k, v in body.items() if v is not None})
    else:
        response = Response(render_template(
            "error.html", status=status, title=title, message=message, check=check,
            hint=hint, error_id=error_id,
        ), mimetype="text/html")
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(LtiError)
    def lti_error(exc: LtiError) -> Response:
        error_id = getattr(g, "launch_log_id", None) or uuid.uuid4().hex[:12]
        log.warning("refused [%s] %s %s: check=%s: %s", error_id, request.method, request.path,
                    exc.check, exc.message)
        title = exc.title if exc.status < 500 else "Service problem"
        return render_error(exc.status, title, exc.message, check=exc.check, hint=exc.hint,
                            error_id=error_id)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            413: "The request is larger than this tool accepts.",
        }
        return render_error(status, exc.name, messages.get(status, exc.description or exc.name))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        error_id = getattr(g, "launch_log_id", None) or uuid.uuid4().hex[:12]
        launch = getattr(g, "launch", None)
        log.exception("unexpected error [%s] on %s %s (launch %s)", error_id, request.method,
                      request.path, getattr(launch, "launch_id", "-"))
        return render_error(
            500, "Something went wrong",
            "The tool hit an unexpected problem and nothing was saved from this request.",
            hint="Try again; if it keeps happening, give this error id to your administrator.",
            error_id=error_id,
        )
