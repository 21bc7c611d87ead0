"""Every id_token check of the 1EdTech Security Framework refuses with its own message.

Each refusal is a 4xx page that names the failed check, and the tool still serves the
next good launch.
"""

from __future__ import annotations

import base64
import html
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.support.platform import LTI, TOOL_BASE_URL, PlatformKey, TestPlatform

Case = Callable[[TestPlatform, Any], Any]


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def launch_with(claims_change: Callable[[dict[str, Any]], None] | None = None, *,
                sign: Callable[[TestPlatform, dict[str, Any]], str] | None = None,
                state: Callable[[dict[str, str]], str] | None = None) -> Case:
    def run(platform: TestPlatform, client: Any) -> Any:
        auth = platform.login(client)
        claims = platform.claims(nonce=auth["nonce"])
        if claims_change:
            claims_change(claims)
        token = sign(platform, claims) if sign else platform.sign(claims)
        return platform.post_launch(client, token, state(auth) if state else auth["state"])
    return run


def set_claim(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(claims: dict[str, Any]) -> None:
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return change


def unsigned_none(platform: TestPlatform, claims: dict[str, Any]) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': platform.key.kid})}.{b64(claims)}."


def hs256_with_public_key(platform: TestPlatform, claims: dict[str, Any]) -> str:
    header = b64({"alg": "HS256", "typ": "JWT", "kid": platform.key.kid})
    body = b64(claims)
    import hashlib
    import hmac
    signature = hmac.new(platform.key.public_pem(), f"{header}.{body}".encode(),
                         hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def other_key(platform: TestPlatform, claims: dict[str, Any]) -> str:
    forger = PlatformKey(kid=platform.key.kid)  # same kid, different key
    return platform.sign(claims, key=forger)


def replayed(platform: TestPlatform, client: Any) -> Any:
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    first = platform.post_launch(client, token, auth["state"])
    assert first.status_code == 303
    return platform.post_launch(client, token, auth["state"])


def replayed_with_fresh_state(platform: TestPlatform, client: Any) -> Any:
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    assert platform.post_launch(client, token, auth["state"]).status_code == 303
    fresh = platform.login(client)
    return platform.post_launch(client, token, fresh["state"])


def foreign_state(platform: TestPlatform, client: Any) -> Any:
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    return platform.post_launch(client, token, "state-this-tool-never-issued")


def post(data: dict[str, Any] | bytes, content_type: str | None = None) -> Case:
    def run(platform: TestPlatform, client: Any) -> Any:
        if isinstance(data, bytes):
            return client.post("/lti/launch", data=data, content_type=content_type,
                               base_url=TOOL_BASE_URL)
        return client.post("/lti/launch", data=data, base_url=TOOL_BASE_URL)
    return run


def unknown_deployment(platform: TestPlatform, client: Any) -> Any:
    return launch_with(set_claim(LTI + "deployment_id", "42:someothercourse"))(platform, client)


now = int(time.time())

CASES: dict[str, tuple[Case, int, str, str]] = {
    # name: (case, status, check, words in the message)
    "bad signature": (launch_with(sign=other_key), 401, "signature", "signature does not verify"),
    "alg none": (launch_with(sign=unsigned_none), 400, "alg", "only RS256"),
    "HS256 with the public key": (launch_with(sign=hs256_with_public_key), 400, "alg",
                                  "only RS256"),
    "expired": (launch_with(set_claim("exp", now - 600)), 400, "exp", "expired"),
    "iat beyond leeway": (launch_with(set_claim("iat", now + 600)), 400, "iat",
                          "issued in the future"),
    "missing exp": (launch_with(set_claim("exp", None)), 400, "exp", "no exp claim"),
    "missing iat": (launch_with(set_claim("iat", None)), 400, "iat", "no iat claim"),
    "wrong aud": (launch_with(set_claim("aud", "someone-else")), 403, "aud",
                  "does not include a client id"),
    "untrusted extra audience": (launch_with(set_claim("aud", ["10000000000042", "evil-client"])),
                                 403, "aud", "untrusted extra audiences"),
    "wrong azp": (launch_with(set_claim("azp", "evil-client")), 403, "azp", "azp"),
    "replayed launch": (replayed, 400, "nonce", "already been used"),
    "replayed id_token, new state": (replayed_with_fresh_state, 400, "nonce",
                                     "not the one issued at login"),
    "missing state": (launch_with(state=lambda auth: ""), 400, "state", "no state"),
    "foreign state": (foreign_state, 400, "state", "not issued by this tool"),
    "unknown issuer": (launch_with(set_claim("iss", "https://evil.example")), 403, "iss",
                       "not registered"),
    "unknown deployment (strict)": (unknown_deployment, 403, "deployment", "is not registered"),
    "wrong version": (launch_with(set_claim(LTI + "version", "1.1")), 400, "version",
                      "not '1.3.0'"),
    "unknown message type": (launch_with(set_claim(LTI + "message_type", "LtiStartProctoring")),
                             400, "message-type", "not one this tool handles"),
    "missing message type": (launch_with(set_claim(LTI + "message_type", None)), 400,
                             "message-type", "missing"),
    "missing deployment_id": (launch_with(set_claim(LTI + "deployment_id", None)), 400,
                              "claims", "deployment_id"),
    "missing roles": (launch_with(set_claim(LTI + "roles", None)), 400, "claims", "roles"),
    "missing resource_link id": (launch_with(set_claim(LTI + "resource_link", {"title": "x"})),
                                 400, "claims", "resource_link"),
    "missing sub": (launch_with(set_claim("sub", None)), 400, "claims", "sub"),
    "wrong target_link_uri": (launch_with(set_claim(LTI + "target_link_uri",
                                                    "https://evil.example/lti/launch")),
                              400, "target-link-uri", "differs"),
    "no role the tool serves": (launch_with(set_claim(LTI + "roles", [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Observer"])), 403, "role",
        "gives no access"),
    "garbage id_token": (post({"id_token": "not-a-jwt", "state": "x"}), 400, "id-token-format",
                         "not a well-formed JWT"),
    "garbage JSON in a JWT": (post({"id_token": "e30.bm90IGpzb24.c2ln", "state": "x"}), 400,
                              "id-token-format", "not a well-formed JWT"),
    "no id_token": (post({"state": "x"}), 400, "id-token", "no id_token"),
    "platform error": (post({"error": "login_required", "error_description": "no session",
                             "state": "x"}), 400, "platform-error", "login_required"),
    "non-UTF-8 body": (post(b"id_token=%ff%fe%fd&state=%c3%28",
                            "application/x-www-form-urlencoded"), 400, "encoding", "UTF-8"),
    "oversized body": (post({"id_token": "a" * (3 * 1024 * 1024), "state": "x"}), 413, "",
                       "larger than this tool accepts"),
    "oversized id_token": (post({"id_token": "a." * 40000, "state": "x"}), 413,
                           "id-token-format", "too large"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_refusal_names_its_check_and_the_next_launch_works(name, client, platform):
    case, status, check, words = CASES[name]
    response = case(platform, client)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, body
    assert words in body
    if check:
        assert f"<code>{check}</code>" in body
    assert "Traceback" not in body
    assert platform.launch(client).status_code == 303


def test_unknown_issuer_is_refused_at_login(client, platform):
    response = client.get("/lti/login", query_string=platform.login_params(iss="https://evil.example"),
                          base_url=TOOL_BASE_URL)
    assert response.status_code == 400
    assert "registration for issuer https://evil.example" in response.get_data(as_text=True)


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_login_without_required_parameter(client, platform, missing):
    params = platform.login_params()
    params.pop(missing)
    response = client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL)
    assert response.status_code == 400
    assert f"has no {missing}" in response.get_data(as_text=True)


def test_login_with_target_elsewhere_is_refused(client, platform):
    params = platform.login_params(target_link_uri="https://evil.example/lti/launch")
    response = client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL)
    assert response.status_code == 400
    assert "not an address of this tool" in response.get_data(as_text=True)


def test_refusals_are_json_for_json_clients(client, platform):
    response = client.post("/lti/launch", data={"state": "x"}, base_url=TOOL_BASE_URL,
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["check"] == "id-token"


def test_expired_login_state(app, client, platform, monkeypatch):
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    later = time.time() + 3600
    monkeypatch.setattr("leadership_pods.lti_tool.signing.time.time", lambda: later)
    response = platform.post_launch(client, token, auth["state"])
    assert response.status_code == 400
    assert "login for this launch has expired" in response.get_data(as_text=True)


def test_state_of_another_platform_is_refused(app, client, platform, moodle):
    auth = moodle.login(client)
    mine = platform.login(client)
    token = platform.sign(platform.claims(nonce=mine["nonce"]))
    response = platform.post_launch(client, token, auth["state"])
    assert response.status_code == 400
    assert "issued for another platform" in response.get_data(as_text=True)


def test_tampered_state_is_refused(client, platform):
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]))
    response = platform.post_launch(client, token, auth["state"][:-2] + "xx")
    assert response.status_code == 400
    assert "not issued by this tool" in html.unescape(response.get_data(as_text=True))


def test_pyjwt_rejects_what_we_sign_with_other_algorithms(platform):
    """Guard for the test itself: HS256 tokens really are HS256."""
    token = hs256_with_public_key(platform, {"a": 1})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
