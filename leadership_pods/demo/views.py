"""The demo LMS pages: a course with the pods as assignments, and its OIDC endpoint."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jwt
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from ..lti_tool.errors import LtiError
from ..lti_tool.keys import ToolKeyService
from ..pods.catalogue import load_catalogue
from ..web.scope import db_session, key_cipher, settings
from .platform import DEMO_CLIENT_ID, DEMO_USERS
from .seed import demo_platform

blueprint = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")


def _login_url(role: str, pod: str | None, deep_link: bool = False) -> str:
    cfg = settings()
    hint = json.dumps({"role": role, "pod": pod, "deep_link": deep_link})
    params = {"iss": cfg.base_url + "/demo", "login_hint": DEMO_USERS[role]["sub"],
              "target_link_uri": cfg.launch_url, "client_id": DEMO_CLIENT_ID,
              "lti_message_hint": hint, "lti_deployment_id": "demo-deployment-1"}
    return url_for("lti.login") + "?" + urlencode(params)


@blueprint.get("/")
def lms() -> str:
    role = request.args.get("role", "resident")
    if role not in DEMO_USERS:
        role = "resident"
    pods = load_catalogue(settings().extra_pods_path).pods
    opened = request.args.get("open")
    pod = opened if opened in {p.slug for p in pods} else None
    frame = None
    if opened == "deep-link" and role != "resident":
        frame = _login_url(role, None, deep_link=True)
    elif pod:
        frame = _login_url(role, pod)
    return render_template("demo/lms.html", role=role, users=DEMO_USERS, pods=pods,
                           frame=frame, pod=pod)


@blueprint.get("/authorize")
def authorize() -> str:
    """The demo LMS's OIDC authorization endpoint: answers with a signed id_token."""
    cfg = settings()
    args = request.args
    if args.get("redirect_uri") != cfg.launch_url or args.get("client_id") != DEMO_CLIENT_ID:
        raise LtiError("the demo LMS only launches this tool", check="demo")
    try:
        hint = json.loads(args.get("lti_message_hint") or "{}")
    except ValueError as exc:
        raise LtiError("the demo launch hint is not valid", check="demo") from exc
    role = hint.get("role") if hint.get("role") in DEMO_USERS else "resident"
    return_url = url_for("demo.deep_link_return", _external=False) if hint.get("deep_link") else None
    token = demo_platform(cfg).id_token(
        role=role, nonce=args.get("nonce", ""), pod=hint.get("pod"),
        deep_link_return=(cfg.base_url + return_url) if return_url else None,
    )
    return render_template("demo/form_post.html", action=cfg.launch_url, id_token=token,
                           state=args.get("state", ""))


@blueprint.get("/jwks")
def jwks() -> Response:
    return jsonify(demo_platform(settings()).jwks())


@blueprint.post("/deep-link-return")
def deep_link_return() -> str:
    """Where the tool returns the faculty member's chosen pods; verified like a real LMS."""
    token = request.form.get("JWT", "")
    tool_keys = ToolKeyService(db_session(), key_cipher()).jwks()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next(jwt.PyJWK(k) for k in tool_keys["keys"] if k["kid"] == kid)
        message = jwt.decode(token, key, algorithms=["RS256"],
                             audience=settings().base_url + "/demo")
    except (jwt.PyJWTError, StopIteration) as exc:
        raise LtiError("the demo LMS could not verify the deep-linking response",
                       check="demo") from exc
    items = message.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items", [])
    return render_template("demo/deep_link_received.html", items=items)
