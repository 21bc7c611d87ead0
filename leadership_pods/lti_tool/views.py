"""The LMS-facing endpoints: login, launch, JWKS, relaunch and the deep-linking return."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..web.scope import (
    current_launch,
    db_session,
    key_cipher,
    launch_tokens,
    login_states,
    platform_keys,
    settings,
)
from .claims import DEEP_LINKING_REQUEST, SUBMISSION_REVIEW_REQUEST, LaunchContext
from .errors import LaunchError, LoginError, LtiError
from .keys import ToolKeyService
from .launch import (
    BindingProof,
    LaunchService,
    NeedsNewWindow,
    NeedsPlatformStorage,
    state_cookie_name,
)
from .login import LoginService, state_fingerprint

log = logging.getLogger(__name__)
blueprint = Blueprint("lti", __name__, url_prefix="/lti", template_folder="templates")


def _utf8_params(error: type[LtiError]) -> dict[str, str]:
    """The form (POST) or query (GET) parameters, refusing bytes that are not UTF-8.

    Werkzeug keeps a percent-escape that does not decode as UTF-8 literally, so only a
    request with a ``%`` left in some value needs its raw bytes checked."""
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        raw = request.get_data(cache=True)  # read before the form, which then parses the cache
    else:
        raw = request.query_string
    source: Mapping[str, str] = request.form if request.method == "POST" else request.args
    params = {k: v for k, v in source.items()}
    if any("%" in k or "%" in v for k, v in params.items()):
        try:
            for part in raw.split(b"&"):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            params = {"": "\ufffd"}
    if any("\ufffd" in k or "\ufffd" in v for k, v in params.items()):
        raise error("the request is not valid UTF-8", check="encoding",
                    hint="The LMS must send form parameters encoded as UTF-8.")
    return params


def _request_params() -> dict[str, str]:
    return _utf8_params(LoginError)


def _set_state_cookie(response: Response | WerkzeugResponse, state: str) -> None:
    """Bind the login to this browser: a partitioned, cross-site cookie with the state's
    fingerprint (a partitioned cookie survives third-party cookie blocking in Chromium
    and Firefox; where it does not, platform storage or a new window takes over)."""
    cfg = settings()
    local = request.host.split(":")[0] in ("localhost", "127.0.0.1")
    secure = cfg.is_https or request.is_secure or local
    response.set_cookie(
        state_cookie_name(state), state_fingerprint(state), max_age=cfg.login_state_ttl, path="/lti/",
        httponly=True, secure=secure, samesite="None" if secure else "Lax",
        partitioned=secure,
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | WerkzeugResponse | str:
    g.launch_log_id = uuid.uuid4().hex[:12]
    outcome = LoginService(db_session(), settings(), login_states()).begin(_request_params())
    response: WerkzeugResponse
    if outcome.storage_target:
        response = Response(render_template(
            "lti_tool/platform_storage_login.html", outcome=outcome,
        ))
    else:
        response = redirect(outcome.auth_url, code=302)
    _set_state_cookie(response, outcome.state)
    return response


@blueprint.post("/launch")
def launch() -> Response | WerkzeugResponse | str:
    g.launch_log_id = uuid.uuid4().hex[:12]
    form = _utf8_params(LaunchError)
    state = form.get("state", "")
    proof = BindingProof(
        state_cookie=request.cookies.get(state_cookie_name(state)) if state else None,
        platform_storage_state=form.get("lti_storage_state"),
    )
    service = LaunchService(db_session(), settings(), platform_keys(), login_states())
    try:
        context = service.validate(form, proof)
    except NeedsPlatformStorage:
        target, origin = LoginService(db_session(), settings(),
                                      login_states()).platform_storage(state)
        return render_template(
            "lti_tool/platform_storage_launch.html", id_token=form.get("id_token", ""),
            state=state, fingerprint=state_fingerprint(state), storage_target=target,
            platform_origin=origin,
        )
    except NeedsNewWindow as needs:
        return Response(render_template(
            "lti_tool/new_window.html",
            relaunch_url=url_for("lti.relaunch", state=needs.state, _external=True),
        ), status=409)
    g.launch = context
    token = launch_tokens().issue(context.launch_id)
    response = redirect(landing_url(context, token), code=303)
    response.delete_cookie(state_cookie_name(state), path="/lti/", secure=True, samesite="None")
    return response


def landing_url(context: LaunchContext, token: str) -> str:
    """Where a launch lands: the pod of the link, the deep-linking picker, or the course."""
    if context.message_type == DEEP_LINKING_REQUEST:
        return url_for("lti.deep_link_picker", lt=token)
    if context.message_type == SUBMISSION_REVIEW_REQUEST and context.pod_slug:
        return url_for("pods.overview", slug=context.pod_slug, lt=token)
    if context.pod_slug:
        return url_for("pods.overview", slug=context.pod_slug, lt=token)
    return url_for("pods.course_home", lt=token)


@blueprint.get("/relaunch")
def relaunch() -> WerkzeugResponse:
    """Restart a login in a top-level window, where the tool's cookies are first-party."""
    return redirect(LoginService(db_session(), settings(), login_states()).relaunch_url(
        request.args.get("state", ""), url_for("lti.login")), code=303)


@blueprint.get("/jwks")
def jwks() -> Response:
    service = ToolKeyService(db_session(), key_cipher())
    service.ensure_key()
    response = jsonify(service.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blueprint.get("/deep-link")
def deep_link_picker() -> str:
    from ..pods.catalogue import load_catalogue
    from .deep_linking import DeepLinkForm

    context = current_launch("faculty", "administrator")
    if context.deep_link is None:
        raise LaunchError("this launch is not a deep-linking request", check="message-type")
    pods = load_catalogue(settings().extra_pods_path).pods
    form = DeepLinkForm(launch_id=context.launch_id,
                        accept_multiple=context.deep_link.accept_multiple)
    form.pods.choices = [(p.slug, p.title) for p in pods]
    return render_template("lti_tool/deep_link_picker.html", context=context, pods=pods,
                           form=form, lt=g.launch_token)


@blueprint.post("/deep-link")
def deep_link_return() -> str | tuple[str, int]:
    from ..pods.catalogue import load_catalogue
    from .deep_linking import DeepLinkForm, DeepLinkResponder

    context = current_launch("faculty", "administrator")
    if context.deep_link is None:
        raise LaunchError("this launch is not a deep-linking request", check="message-type")
    catalogue = load_catalogue(settings().extra_pods_path)
    form = DeepLinkForm(request.form, launch_id=context.launch_id,
                        accept_multiple=context.deep_link.accept_multiple)
    form.pods.choices = [(p.slug, p.title) for p in catalogue.pods]
    if not form.validate():
        return render_template("lti_tool/deep_link_picker.html", context=context,
                               pods=catalogue.pods, form=form, lt=g.launch_token), 400
    chosen = [catalogue.get(slug) for slug in form.pods.data]
    responder = DeepLinkResponder(db_session(), key_cipher(), settings())
    jwt_value = responder.response_jwt(context, chosen)
    return render_template("lti_tool/deep_link_return.html",
                           return_url=context.deep_link.return_url, jwt=jwt_value,
                           titles=[p.title for p in chosen])
