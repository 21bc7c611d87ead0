"""How an LMS administrator installs the tool: Canvas JSON and LTI Dynamic Registration."""

from __future__ import annotations

import logging
import uuid

from flask import Blueprint, Response, jsonify, render_template, request

from ..web.errors import render_error
from ..web.scope import db_session, http, settings
from .canvas_config import ToolUrls, canvas_developer_key
from .dynamic_registration import DynamicRegistrationService
from .errors import RegistrationError

log = logging.getLogger(__name__)
blueprint = Blueprint("lti_registration", __name__, url_prefix="/lti",
                      template_folder="templates")


@blueprint.get("/canvas.json")
def canvas_json() -> Response:
    urls = ToolUrls(settings().base_url)
    response = jsonify(canvas_developer_key(urls.base, jwks_url=urls.jwks))
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/register")
def register() -> str:
    cfg = settings()
    service = DynamicRegistrationService(
        db_session(), http(), ToolUrls(cfg.base_url), timeout=cfg.http_timeout,
        # plain-http LMSs on this machine only while developing or testing
        allow_insecure=cfg.testing or cfg.debug or not cfg.is_https,
    )
    outcome = service.register(request.args.get("openid_configuration"),
                               request.args.get("registration_token"))
    return render_template("lti_tool/registration_done.html", outcome=outcome)


@blueprint.errorhandler(RegistrationError)
def registration_refused(exc: RegistrationError) -> Response:
    error_id = uuid.uuid4().hex[:12]
    log.warning("registration refused [%s]: %s", error_id, exc.message)
    return render_error(exc.status, "The registration could not be completed", exc.message,
                        check=exc.check, hint=exc.hint, error_id=error_id)
