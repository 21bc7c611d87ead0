"""LTI Dynamic Registration through ``GET /lti/register``, against LMSs served over real
HTTP on 127.0.0.1: a Moodle-shaped and a Canvas-shaped platform that publish an OpenID
configuration and check what the tool posts to their registration endpoint. After a
registration, the same platform launches the tool through the real validation code.
"""

from __future__ import annotations

import html
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from leadership_pods.lti_tool.cli import platforms_group
from leadership_pods.lti_tool.models import Deployment, Platform
from tests.support.http_server import LocalServer
from tests.support.platform import TOOL_BASE_URL, TestPlatform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
SHAPES = {
    # Moodle 4.5 under a sub-folder: the issuer is the site URL, wwwroot
    "moodle": {"site": "/moodle", "config": "/moodle/mod/lti/openid-configuration.php",
               "registration": "/moodle/mod/lti/openid-registration.php"},
    "canvas": {"site": "", "config": "/api/lti/security/openid-configuration",
               "registration": "/api/lti/registrations"},
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class FakeLms:
    """The registration side of an LMS, on top of a signing :class:`TestPlatform`."""

    def __init__(self, platform: TestPlatform, family: str, *,
                 deployment_id: str | None) -> None:
        self.platform = platform
        self.family = family
        self.paths = SHAPES[family]
        self.token = f"{family}-registration-token"
        self.deployment_id = deployment_id
        self.issuer_override: str | None = None
        self.refusal: tuple[int, Any] | None = None
        self.config_headers: list[dict[str, str]] = []
        self.registrations: list[dict[str, Any]] = []
        platform.extra_routes[self.paths["config"]] = self.openid_configuration
        platform.extra_routes[self.paths["registration"]] = self.register

    @property
    def issuer(self) -> str:
        return self.platform.base_url + self.paths["site"]

    @property
    def config_url(self) -> str:
        url = self.platform.base_url + self.paths["config"]
        return url + "?registration_token=x" if self.family == "canvas" else url

    def openid_configuration(self, request: Request) -> Response:
        self.config_headers.append(dict(request.headers))
        if self.family == "canvas" and request.headers.get("Authorization") != \
                f"Bearer {self.token}":
            return _json({"errorMessage": "JWT did not include expected contents"}, 401)
        base = self.platform.base_url
        messages: list[Any] = [{"type": "LtiResourceLinkRequest"},
                               {"type": "LtiDeepLinkingRequest",
                                "placements": ["ContentArea"] if self.family == "moodle"
                                else ["assignment_selection", "link_selection"]}]
        return _json({
            "issuer": self.issuer_override or self.issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "jwks_uri": base + "/jwks",
            "registration_endpoint": base + self.paths["registration"],
            "scopes_supported": sorted(SCOPES) + ["openid"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {"product_family_code": self.family, "version": "4.5",
                                     "messages_supported": messages},
        })

    def register(self, request: Request) -> Response:
        """Checks what Moodle's registration_helper checks, then answers like the LMS."""
        if request.method != "POST":
            return Response("method not allowed", status=405)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"error": "invalid_token"}, 401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json({"error": "invalid_request", "error_description": "not JSON"}, 400)
        self.registrations.append(body)
        problems = [key for key in ("response_types", "initiate_login_uri", "redirect_uris",
                                    "client_name", "jwks_uri", "token_endpoint_auth_method",
                                    TOOL_CONFIGURATION) if not body.get(key)]
        if "id_token" not in body.get("response_types", []):
            problems.append("invalid_response_types")
        if body.get("token_endpoint_auth_method") != "private_key_jwt":
            problems.append("invalid_token_endpoint_auth_method")
        if problems:
            return _json({"error": "invalid_client_metadata",
                          "error_description": ", ".join(problems)}, 400)
        if self.refusal:
            return _json(self.refusal[1], self.refusal[0])
        tool = dict(body[TOOL_CONFIGURATION])
        if self.deployment_id is not None:
            tool["deployment_id"] = self.deployment_id
        return _json({**body, "client_id": self.platform.client_id, TOOL_CONFIGURATION: tool},
                     200 if self.family == "moodle" else 201)


def _serve(family: str, **platform_args: Any) -> Iterator[FakeLms]:
    platform = TestPlatform(shape=family, **platform_args)
    deployment = platform.deployment_id if family == "moodle" else None
    lms = FakeLms(platform, family, deployment_id=deployment)
    with LocalServer(platform.wsgi) as server:
        platform.base_url = server.url
        platform.issuer = lms.issuer
        yield lms


@pytest.fixture
def moodle_lms(app) -> Iterator[FakeLms]:
    yield from _serve("moodle", client_id="Xq7PzR2mKd9LwT4", deployment_id="1")


@pytest.fixture
def canvas_lms(app) -> Iterator[FakeLms]:
    yield from _serve("canvas")


def start_registration(client: Any, lms: FakeLms, **params: str | None) -> Any:
    query = {"openid_configuration": lms.config_url, "registration_token": lms.token}
    query.update(params)
    return client.get("/lti/register", base_url=TOOL_BASE_URL,
                      query_string={k: v for k, v in query.items() if v is not None})


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def platforms_list(runner: Any) -> str:
    result = runner.invoke(platforms_group, args=["list"])
    assert result.exit_code == 0, result.output
    return result.output


def assert_tool_metadata(body: dict[str, Any]) -> dict[str, Any]:
    assert body["redirect_uris"] == [TOOL_BASE_URL + "/lti/launch"]
    assert body["initiate_login_uri"] == TOOL_BASE_URL + "/lti/login"
    assert body["jwks_uri"] == TOOL_BASE_URL + "/lti/jwks"
    assert body["application_type"] == "web"
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert set(body["scope"].split()) == SCOPES
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == "pods.test"
    assert tool["target_link_uri"] == TOOL_BASE_URL + "/lti/launch"
    assert all(m["target_link_uri"] == TOOL_BASE_URL + "/lti/launch" for m in tool["messages"])
    return tool


# -- Moodle ------------------------------------------------------------------------------
def test_moodle_registers_and_then_launches(client, runner, session, moodle_lms: FakeLms):
    response = start_registration(client, moodle_lms)
    page = text_of(response)
    assert response.status_code == 200, page
    assert "Leadership Pods is registered with Moodle at 127.0.0.1" in page
    assert "Xq7PzR2mKd9LwT4" in page
    assert 'src="/static/registration_close.js"' in page
    assert "<script>" not in page  # the CSP allows no inline script

    (body,) = moodle_lms.registrations
    tool = assert_tool_metadata(body)
    assert tool["messages"] == [{"type": "LtiDeepLinkingRequest",
                                 "target_link_uri": TOOL_BASE_URL + "/lti/launch",
                                 "label": "Leadership Pods", "placements": ["ContentArea"]}]
    assert "custom_parameters" not in tool
    assert moodle_lms.config_headers[0]["Authorization"] == "Bearer moodle-registration-token"

    platform = session.scalar(select(Platform))
    assert (platform.issuer, platform.client_id) == (moodle_lms.issuer, "Xq7PzR2mKd9LwT4")
    assert platform.auth_login_url == moodle_lms.platform.base_url + "/authorize"
    assert platform.auth_token_url == moodle_lms.platform.base_url + "/token"
    assert platform.key_set_url == moodle_lms.platform.base_url + "/jwks"
    assert platform.deployment_policy == "strict"
    assert platform.product_family == "moodle"
    assert [d.deployment_id for d in platform.deployments] == ["1"]

    listing = platforms_list(runner)
    assert f"issuer:      {moodle_lms.issuer}" in listing
    assert "client id:   Xq7PzR2mKd9LwT4" in listing
    assert "deployment:  1\t(registered)" in listing
    assert "policy=strict" in listing

    launch = moodle_lms.platform.launch(client)
    assert launch.status_code == 303, launch.get_data(as_text=True)


def test_registering_again_adds_the_new_deployment(client, runner, session,
                                                   moodle_lms: FakeLms):
    assert start_registration(client, moodle_lms).status_code == 200
    moodle_lms.deployment_id = "2"
    response = start_registration(client, moodle_lms)
    assert response.status_code == 200, text_of(response)
    assert "already saved" in text_of(response)
    (platform,) = session.scalars(select(Platform)).all()
    assert sorted(d.deployment_id for d in platform.deployments) == ["1", "2"]
    listing = platforms_list(runner)
    assert "deployment:  1\t" in listing and "deployment:  2\t" in listing


# -- Canvas ------------------------------------------------------------------------------
def test_canvas_registers_with_course_installs_accepted(client, runner, session,
                                                        canvas_lms: FakeLms):
    response = start_registration(client, canvas_lms)
    page = text_of(response)
    assert response.status_code == 200, page
    assert "recorded at the first launch" in page
    # a test LMS on plain http is worth a note, so the page waits for the administrator
    assert "uses plain http://" in page
    assert 'data-auto-close="false"' in page

    (body,) = canvas_lms.registrations
    tool = assert_tool_metadata(body)
    deep_link, passport = tool["messages"]
    assert deep_link["type"] == "LtiDeepLinkingRequest"
    assert deep_link["placements"] == ["assignment_selection", "link_selection"]
    assert passport["type"] == "LtiResourceLinkRequest"
    assert passport["placements"] == ["course_navigation"]
    assert passport["label"] == "Leadership Passport"
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert tool["custom_parameters"]["canvas_course_id"] == "$Canvas.course.id"

    platform = session.scalar(select(Platform))
    assert platform.client_id == canvas_lms.platform.client_id
    assert platform.issuer == canvas_lms.platform.base_url
    assert platform.deployment_policy == "accept_new"
    assert platform.deployments == []
    listing = platforms_list(runner)
    assert "policy=accept_new" in listing
    assert f"client id:   {canvas_lms.platform.client_id}" in listing

    # the first course launch records Canvas's deployment
    launch = canvas_lms.platform.launch(client)
    assert launch.status_code == 303, launch.get_data(as_text=True)
    deployment = session.scalar(select(Deployment))
    assert deployment.deployment_id == canvas_lms.platform.deployment_id
    assert "(recorded from a launch)" in platforms_list(runner)


def test_canvas_needs_the_token_for_its_configuration(client, session, canvas_lms: FakeLms):
    response = start_registration(client, canvas_lms, registration_token="stale")
    text = text_of(response)
    assert response.status_code == 400
    assert "HTTP 401" in text and "JWT did not include expected contents" in text
    assert session.scalar(select(Platform)) is None


def test_fewer_scopes_granted_keeps_the_page_open(client, canvas_lms: FakeLms):
    original = canvas_lms.register

    def narrower(request: Request) -> Response:
        response = original(request)
        data = json.loads(response.get_data())
        data["scope"] = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
        return _json(data, response.status_code)

    canvas_lms.platform.extra_routes[canvas_lms.paths["registration"]] = narrower
    page = text_of(start_registration(client, canvas_lms))
    assert "did not grant the service scopes lineitem" in page
    assert 'data-auto-close="false"' in page


# -- refusals ----------------------------------------------------------------------------
def test_missing_openid_configuration(client, session):
    response = client.get("/lti/register", base_url=TOOL_BASE_URL)
    text = text_of(response)
    assert response.status_code == 400
    assert "The registration could not be completed" in text
    assert "no openid_configuration parameter" in text
    assert "/lti/register" in text  # what the administrator should do
    assert session.scalar(select(Platform)) is None


def test_issuer_mismatch(client, session, moodle_lms: FakeLms):
    moodle_lms.issuer_override = "https://moodle.elsewhere.example.edu"
    response = start_registration(client, moodle_lms)
    text = text_of(response)
    assert response.status_code == 400
    assert "does not start with that issuer" in text
    assert moodle_lms.registrations == []
    assert session.scalar(select(Platform)) is None


def test_platform_refuses_with_its_error(client, session, moodle_lms: FakeLms):
    moodle_lms.refusal = (400, {"error": "invalid_client_metadata",
                                "error_description": "tool domain pods.test is not allowed"})
    response = start_registration(client, moodle_lms)
    text = text_of(response)
    assert response.status_code == 400
    assert "refused the registration (HTTP 400)" in text
    assert "invalid_client_metadata: tool domain pods.test is not allowed" in text
    assert "start the registration again" in text
    assert session.scalar(select(Platform)) is None


def test_wrong_registration_token_is_refused_by_the_platform(client, moodle_lms: FakeLms):
    response = start_registration(client, moodle_lms, registration_token="expired")
    assert response.status_code == 400
    assert "HTTP 401" in text_of(response)


def test_unreachable_configuration(client, session):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    response = client.get("/lti/register", base_url=TOOL_BASE_URL, query_string={
        "openid_configuration": f"http://127.0.0.1:{port}/mod/lti/openid-configuration.php",
        "registration_token": "t"})
    text = text_of(response)
    assert response.status_code == 400
    assert "could not reach the lms" in text.lower()
    assert "DNS, firewall, proxy" in text


def test_errors_as_json_for_api_clients(client):
    response = client.get("/lti/register", base_url=TOOL_BASE_URL,
                          headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["check"] == "registration"


# -- the Canvas JSON and the close script ------------------------------------------------
def test_canvas_json(client):
    response = client.get("/lti/canvas.json", base_url=TOOL_BASE_URL)
    assert response.status_code == 200
    data = response.get_json()
    assert data["oidc_initiation_url"] == TOOL_BASE_URL + "/lti/login"
    assert data["target_link_uri"] == TOOL_BASE_URL + "/lti/launch"
    assert data["public_jwk_url"] == TOOL_BASE_URL + "/lti/jwks"
    assert set(data["scopes"]) == SCOPES


def test_close_script_posts_the_lti_close_message(client):
    response = client.get("/static/registration_close.js", base_url=TOOL_BASE_URL)
    assert response.status_code == 200
    assert "org.imsglobal.lti.close" in text_of(response)
    response.close()


def test_a_clean_registration_hands_straight_back(app):
    from flask import render_template

    from leadership_pods.lti_tool.dynamic_registration import RegistrationOutcome

    outcome = RegistrationOutcome(
        platform_id=1, platform_name="Test University", issuer="https://canvas.instructure.com",
        client_id="10000000000042", deployment_id=None, deployment_policy="accept_new",
        product_family="canvas", created=True, warnings=())
    with app.test_request_context("/lti/register", base_url=TOOL_BASE_URL):
        page = render_template("lti_tool/registration_done.html", outcome=outcome)
    assert 'data-auto-close="true"' in page
    assert "Please check" not in page
    assert "developer key is on" in page
