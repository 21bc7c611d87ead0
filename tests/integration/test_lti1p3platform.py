"""A launch driven by lti1p3platform (PyPI), a platform implementation written by others."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from werkzeug.wrappers import Request, Response

from tests.conftest import register
from tests.support.http_server import LocalServer
from tests.support.platform import TOOL_BASE_URL, PlatformKey, TestPlatform

ISSUER = "https://lms.independent.example"
CLIENT_ID = "independent-client-7"
DEPLOYMENT_ID = "independent-deployment-1"


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        key: PlatformKey = kwargs["key"]
        public = serialization.load_pem_private_key(key.pem, password=None).public_key()
        self._registration = (
            Registration()
            .set_iss(ISSUER).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(TOOL_BASE_URL + "/lti/login")
            .set_launch_url(TOOL_BASE_URL + "/lti/launch")
            .set_platform_private_key(key.pem.decode())
            .set_platform_public_key(public.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        )

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


def test_launch_from_lti1p3platform(app, client):
    conf = PlatformConf(key=PlatformKey())
    registration = conf.get_registration()

    def jwks(environ: dict[str, Any], start_response: Any) -> Any:
        body = json.dumps({"keys": registration.get_jwks()})
        return Response(body, mimetype="application/json")(environ, start_response)

    with LocalServer(jwks) as server:
        platform = TestPlatform(issuer=ISSUER, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID)
        platform.base_url = server.url
        register(app, platform)

        # 1. the platform starts the login at the tool
        login = Login(Request({}), conf)
        login.set_lti_message_hint(resource="budget-balancing")
        login_url = login.initiate_login("user-42")
        tool_login = client.get(login_url.replace(TOOL_BASE_URL, ""), base_url=TOOL_BASE_URL)
        assert tool_login.status_code == 302, tool_login.get_data(as_text=True)

        # 2. the tool's authentication request comes back to the platform, which launches
        auth_request = dict(parse_qsl(urlsplit(tool_login.headers["Location"]).query))
        launch = Launch(SimpleNamespace(method="GET", get_data=auth_request, form_data={}), conf)
        launch.set_user_data("user-42", ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                             full_name="Lee Independent", email_address="lee@independent.example")
        launch.set_resource_link_claim("link-1", title="Budget Balancing")
        launch.set_launch_context_claim("course-1", context_title="Leadership 101")
        launch.set_custom_parameters_claim({"pod": "budget-balancing", "cohort": "PGY1"})
        launch.set_ags(lineitems_url="https://lms.independent.example/course/1/lineitems")
        launch.set_nrps(context_memberships_url="https://lms.independent.example/course/1/members")
        form = launch.lti_launch()
        assert form["launch_url"] == TOOL_BASE_URL + "/lti/launch"

        # 3. the browser posts the form to the tool
        response = client.post("/lti/launch", data={"id_token": form["id_token"],
                                                    "state": form["state"]},
                               base_url=TOOL_BASE_URL)
        assert response.status_code == 303, response.get_data(as_text=True)
        assert urlsplit(response.headers["Location"]).path == "/pods/budget-balancing"
        page = client.get(response.headers["Location"], base_url=TOOL_BASE_URL)
        assert page.status_code == 200
        assert "Lee Independent" in page.get_data(as_text=True)
