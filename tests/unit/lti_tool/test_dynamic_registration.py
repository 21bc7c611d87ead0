"""Dynamic registration's pure parts, and its HTTP handling against a stub session."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from leadership_pods.lti_tool.canvas_config import (
    SERVICE_SCOPES,
    TOOL_CONFIGURATION,
    ToolUrls,
    client_metadata,
)
from leadership_pods.lti_tool.dynamic_registration import (
    PLATFORM_CONFIGURATION,
    DynamicRegistrationService,
    PlatformConfiguration,
    issuer_matches,
    parse_platform_configuration,
)
from leadership_pods.lti_tool.errors import RegistrationError
from leadership_pods.lti_tool.registry import PlatformRegistry

URLS = ToolUrls("https://pods.test")
MOODLE = "https://lms.example.edu/moodle"
MOODLE_CONFIG_URL = MOODLE + "/mod/lti/openid-configuration.php"


def openid_configuration(issuer: str = MOODLE, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/mod/lti/auth.php",
        "token_endpoint": issuer + "/mod/lti/token.php",
        "jwks_uri": issuer + "/mod/lti/certs.php",
        "registration_endpoint": issuer + "/mod/lti/openid-registration.php",
        PLATFORM_CONFIGURATION: {
            "product_family_code": "moodle",
            "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                   {"type": "LtiDeepLinkingRequest",
                                    "placements": ["ContentArea"]}],
        },
    }
    data.update(extra)
    return data


def platform(family: str | None, messages: tuple[str, ...] = ()) -> PlatformConfiguration:
    return PlatformConfiguration(
        issuer="https://lms.test", authorization_endpoint="https://lms.test/auth",
        token_endpoint="https://lms.test/token", jwks_uri="https://lms.test/jwks",
        registration_endpoint="https://lms.test/register", product_family_code=family,
        messages_supported=messages)


def metadata_for(config: PlatformConfiguration) -> dict[str, Any]:
    return client_metadata(URLS, config.family,
                           deep_linking=config.supports("LtiDeepLinkingRequest"))


# -- the platform's OpenID configuration ---------------------------------------------------
def test_moodle_configuration_is_read():
    config = parse_platform_configuration(openid_configuration(), MOODLE_CONFIG_URL)
    assert config.issuer == MOODLE
    assert config.token_endpoint == MOODLE + "/mod/lti/token.php"
    assert config.registration_endpoint == MOODLE + "/mod/lti/openid-registration.php"
    assert config.family == "moodle"
    assert config.messages_supported == ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")


def test_old_moodle_lists_messages_as_strings():
    data = openid_configuration()
    data[PLATFORM_CONFIGURATION]["messages_supported"] = ["LtiResourceLink",
                                                          "LtiDeepLinkingRequest"]
    config = parse_platform_configuration(data, MOODLE_CONFIG_URL)
    assert config.supports("LtiDeepLinkingRequest")


def test_canvas_account_name_names_the_platform():
    data = openid_configuration("https://canvas.instructure.com")
    data[PLATFORM_CONFIGURATION] = {
        "product_family_code": "canvas",
        "https://canvas.instructure.com/lti/account_name": "Test University"}
    config = parse_platform_configuration(
        data, "https://canvas.instructure.com/api/lti/security/openid-configuration?x=1")
    assert config.account_name == "Test University"
    assert config.family == "canvas"


@pytest.mark.parametrize(("url", "issuer", "ok"), [
    (MOODLE_CONFIG_URL, MOODLE, True),
    (MOODLE_CONFIG_URL, MOODLE + "/", True),
    ("https://LMS.example.edu/moodle/x", MOODLE, True),
    ("https://lms.example.edu/moodle2/x", MOODLE, False),
    ("https://lms.example.edu/x", MOODLE, False),
    ("https://evil.example/moodle/x", MOODLE, False),
    ("https://lms.example.edu:8443/moodle/x", MOODLE, False),
    ("http://lms.example.edu/moodle/x", MOODLE, False),
    ("https://lms.example.edu.evil.example/moodle/x", MOODLE, False),
    ("https://lms.example.edu:99999/moodle/x", MOODLE, False),
])
def test_issuer_must_prefix_the_configuration_url(url, issuer, ok):
    assert issuer_matches(url, issuer) is ok


def test_issuer_mismatch_is_refused():
    with pytest.raises(RegistrationError, match="does not start with that issuer"):
        parse_platform_configuration(openid_configuration("https://other.example.edu"),
                                     MOODLE_CONFIG_URL)


def test_issuer_must_be_https():
    data = openid_configuration("http://lms.example.edu/moodle")
    with pytest.raises(RegistrationError, match="not an https:// URL"):
        parse_platform_configuration(data, "http://lms.example.edu/moodle/x",
                                     allow_insecure=True)


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost"])
def test_plain_http_only_for_a_loopback_test_lms(host):
    issuer = f"http://{host}"
    data = openid_configuration(issuer)
    with pytest.raises(RegistrationError):
        parse_platform_configuration(data, issuer + "/config")
    assert parse_platform_configuration(data, issuer + "/config",
                                        allow_insecure=True).issuer == issuer


@pytest.mark.parametrize("field", ["issuer", "authorization_endpoint", "token_endpoint",
                                   "jwks_uri", "registration_endpoint"])
def test_missing_fields_are_named(field):
    data = openid_configuration()
    del data[field]
    with pytest.raises(RegistrationError, match=f"has no {field}") as info:
        parse_platform_configuration(data, MOODLE_CONFIG_URL)
    assert "by hand" in info.value.hint


def test_a_relative_endpoint_is_refused():
    data = openid_configuration(token_endpoint="/mod/lti/token.php")
    with pytest.raises(RegistrationError, match="token_endpoint"):
        parse_platform_configuration(data, MOODLE_CONFIG_URL)


# -- the tool's client metadata ------------------------------------------------------------
def test_client_metadata_core_fields():
    metadata = metadata_for(platform("moodle"))
    assert metadata["application_type"] == "web"
    assert metadata["response_types"] == ["id_token"]
    assert metadata["grant_types"] == ["implicit", "client_credentials"]
    assert metadata["initiate_login_uri"] == "https://pods.test/lti/login"
    assert metadata["redirect_uris"] == ["https://pods.test/lti/launch"]
    assert metadata["jwks_uri"] == "https://pods.test/lti/jwks"
    assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
    assert metadata["client_name"] == "Leadership Pods"
    assert metadata["scope"].split() == list(SERVICE_SCOPES)
    tool = metadata[TOOL_CONFIGURATION]
    assert tool["domain"] == "pods.test"
    assert tool["target_link_uri"] == "https://pods.test/lti/launch"
    assert {"iss", "sub", "name", "email"} <= set(tool["claims"])


def test_moodle_gets_deep_linking_in_the_content_area():
    tool = metadata_for(platform("moodle"))[TOOL_CONFIGURATION]
    assert tool["messages"] == [{"type": "LtiDeepLinkingRequest",
                                 "target_link_uri": "https://pods.test/lti/launch",
                                 "label": "Leadership Pods", "placements": ["ContentArea"]}]
    assert "custom_parameters" not in tool


def test_canvas_gets_selection_placements_and_the_passport():
    tool = metadata_for(platform("canvas"))[TOOL_CONFIGURATION]
    deep_link, passport = tool["messages"]
    assert deep_link["type"] == "LtiDeepLinkingRequest"
    assert deep_link["placements"] == ["assignment_selection", "link_selection"]
    assert passport["type"] == "LtiResourceLinkRequest"
    assert passport["placements"] == ["course_navigation"]
    assert passport["label"] == "Leadership Passport"
    assert passport["target_link_uri"] == "https://pods.test/lti/launch"
    assert passport["https://canvas.instructure.com/lti/visibility"] == "members"
    assert passport["https://canvas.instructure.com/lti/course_navigation/default_enabled"]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert tool["custom_parameters"] == {"canvas_course_id": "$Canvas.course.id",
                                         "section_sourcedid": "$CourseSection.sourcedId"}


def test_other_platforms_get_deep_linking_without_placements():
    (message,) = metadata_for(platform("sakai"))[TOOL_CONFIGURATION]["messages"]
    assert message["type"] == "LtiDeepLinkingRequest"
    assert "placements" not in message


def test_no_deep_linking_message_when_the_platform_cannot_take_it():
    metadata = metadata_for(platform(None, ("LtiResourceLinkRequest",)))
    assert metadata[TOOL_CONFIGURATION]["messages"] == []


# -- HTTP handling, against a stub session --------------------------------------------------
class StubHttp(requests.Session):
    def __init__(self, *answers: Any) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response._content_consumed = True
        return response


def service(http: requests.Session, session: Any = None) -> DynamicRegistrationService:
    return DynamicRegistrationService(session, http, URLS, timeout=3.0)


def test_missing_openid_configuration():
    with pytest.raises(RegistrationError, match="no openid_configuration") as info:
        service(StubHttp()).register(None, "token")
    assert info.value.status == 400
    assert "/lti/register" in info.value.hint


def test_timeout_and_token_are_passed_and_redirects_not_followed():
    http = StubHttp(requests.ConnectTimeout("slow"))
    with pytest.raises(RegistrationError, match="no answer within 3 seconds"):
        service(http).register(MOODLE_CONFIG_URL, "tok-1")
    method, url, kwargs = http.calls[0]
    assert (method, url) == ("GET", MOODLE_CONFIG_URL)
    assert kwargs["timeout"] == 3.0
    assert kwargs["allow_redirects"] is False
    assert kwargs["headers"]["Authorization"] == "Bearer tok-1"


def test_no_token_no_authorization_header():
    http = StubHttp((404, b"gone"))
    with pytest.raises(RegistrationError, match="answered HTTP 404: gone"):
        service(http).register(MOODLE_CONFIG_URL, "")
    assert "Authorization" not in http.calls[0][2]["headers"]


def test_a_redirect_is_not_a_configuration():
    with pytest.raises(RegistrationError, match="HTTP 302"):
        service(StubHttp((302, b""))).register(MOODLE_CONFIG_URL, "t")


def test_configuration_that_is_not_json():
    with pytest.raises(RegistrationError, match="not a JSON object"):
        service(StubHttp((200, b"<html>login</html>"))).register(MOODLE_CONFIG_URL, "t")


def test_an_oversized_answer_is_refused():
    with pytest.raises(RegistrationError, match="more than 1000 kB"):
        service(StubHttp((200, b" " * 1_100_000))).register(MOODLE_CONFIG_URL, "t")


def test_plain_http_configuration_url_is_refused_outside_development():
    http = StubHttp()
    with pytest.raises(RegistrationError, match="not an https:// URL"):
        service(http).register("http://127.0.0.1:9/config", "t")
    assert http.calls == []


def test_platform_refusal_carries_its_own_words():
    http = StubHttp((200, openid_configuration()),
                    (400, {"error": "invalid_redirect_uris", "error_description": "bad uri"}))
    with pytest.raises(RegistrationError) as info:
        service(http).register(MOODLE_CONFIG_URL, "t")
    assert "refused the registration (HTTP 400): invalid_redirect_uris: bad uri" in str(info.value)
    assert "start the registration again" in info.value.hint


def test_registration_without_client_id():
    http = StubHttp((200, openid_configuration()), (200, {"client_name": "x"}))
    with pytest.raises(RegistrationError, match="no client_id"):
        service(http).register(MOODLE_CONFIG_URL, "t")


def test_the_metadata_is_posted_with_the_token():
    http = StubHttp((200, openid_configuration()), (400, b"no"))
    with pytest.raises(RegistrationError):
        service(http).register(MOODLE_CONFIG_URL, "tok-2")
    method, url, kwargs = http.calls[1]
    assert (method, url) == ("POST", MOODLE + "/mod/lti/openid-registration.php")
    assert kwargs["headers"]["Authorization"] == "Bearer tok-2"
    assert kwargs["json"]["redirect_uris"] == ["https://pods.test/lti/launch"]


# -- storing, against the database ---------------------------------------------------------
def test_no_deployment_id_means_accept_new_and_fewer_scopes_warn(session):
    answer = {"client_id": 77, "scope": SERVICE_SCOPES[3]}
    http = StubHttp((200, openid_configuration()), (201, answer))
    outcome = service(http, session).register(MOODLE_CONFIG_URL, "t")
    assert outcome.client_id == "77"
    assert outcome.deployment_id is None
    assert outcome.deployment_policy == "accept_new"
    assert outcome.platform_name == "Moodle at lms.example.edu"
    (warning,) = outcome.warnings
    assert "lineitem, lineitem.readonly, result.readonly, contextmembership.readonly" in warning


def test_a_known_registration_gains_the_new_deployment(session):
    def answer(deployment: str) -> tuple[int, dict[str, Any]]:
        return 200, {"client_id": "abc", "scope": " ".join(SERVICE_SCOPES),
                     TOOL_CONFIGURATION: {"deployment_id": deployment}}

    http = StubHttp((200, openid_configuration()), answer("1"),
                    (200, openid_configuration()), answer("2"),
                    (200, openid_configuration()), answer("2"))
    first = service(http, session).register(MOODLE_CONFIG_URL, "t")
    second = service(http, session).register(MOODLE_CONFIG_URL, "t")
    third = service(http, session).register(MOODLE_CONFIG_URL, "t")
    assert (first.created, second.created, third.created) == (True, False, False)
    assert first.deployment_policy == "strict"
    assert first.warnings == ()
    (registered,) = PlatformRegistry(session).list()
    assert [d.deployment_id for d in registered.deployments] == ["1", "2"]


def test_messages_never_show_a_token_carried_in_the_url():
    url = "https://canvas.test/api/lti/security/openid-configuration?registration_token=SECRET"
    with pytest.raises(RegistrationError) as info:
        service(StubHttp(requests.ConnectionError("refused"))).register(url, "SECRET")
    assert "SECRET" not in info.value.message
    assert "https://canvas.test/api/lti/security/openid-configuration" in info.value.message
    with pytest.raises(RegistrationError) as info:
        parse_platform_configuration(openid_configuration("https://other.test"), url)
    assert "SECRET" not in info.value.message
