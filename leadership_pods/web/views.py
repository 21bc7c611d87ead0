"""Tool-wide pages: the landing page and the health check."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, redirect, render_template, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as WerkzeugResponse

from .scope import database, settings

log = logging.getLogger(__name__)
blueprint = Blueprint("web", __name__)


@blueprint.get("/")
def index() -> WerkzeugResponse | str:
    if settings().demo:
        return redirect(url_for("demo.lms"))
    return render_template("index.html", base_url=settings().base_url)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: database unreachable: %s", exc.__class__.__name__)
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
