"""Platform key rotation never breaks launches; tool key rotation keeps old keys published."""

from __future__ import annotations

from datetime import timedelta

import jwt
from sqlalchemy import select

from leadership_pods.config.database import utcnow
from leadership_pods.lti_tool.models import PlatformKeySet
from leadership_pods.lti_tool.platform_keys import PlatformKeyService
from tests.support.platform import TOOL_BASE_URL, TestPlatform


def test_jwks_is_fetched_once_while_keys_are_stable(client, platform: TestPlatform):
    for _ in range(5):
        assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 1


def test_jwks_cache_is_shared_through_the_database(client, platform: TestPlatform):
    assert platform.launch(client).status_code == 303
    PlatformKeyService.forget()  # another worker: an empty process memo
    assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 1


def test_platform_key_rotation_refetches_once_for_an_unknown_kid(client, platform: TestPlatform):
    assert platform.launch(client).status_code == 303
    platform.rotate_key()
    assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 2
    assert platform.launch(client).status_code == 303
    assert platform.jwks_fetches == 2


def test_unknown_kid_refetch_is_rate_limited(client, platform: TestPlatform):
    assert platform.launch(client).status_code == 303
    stranger = platform.rotate_key(drop_old=True)
    platform.keys = [platform.keys[0].__class__("published-later")]  # the platform lags
    auth = platform.login(client)
    token = platform.sign(platform.claims(nonce=auth["nonce"]), key=stranger)
    first = platform.post_launch(client, token, auth["state"])
    assert first.status_code == 400 and "does not publish" in first.get_data(as_text=True)
    assert platform.jwks_fetches == 2
    for _ in range(3):  # an attacker spraying unknown kids cannot make us hammer the LMS
        auth = platform.login(client)
        token = platform.sign(platform.claims(nonce=auth["nonce"]), key=stranger)
        assert platform.post_launch(client, token, auth["state"]).status_code == 400
    assert platform.jwks_fetches == 2


def test_known_keys_keep_working_when_the_platform_is_unreachable(app, client, platform):
    assert platform.launch(client).status_code == 303
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        row = s.scalar(select(PlatformKeySet))
        row.expires_at = utcnow() - timedelta(seconds=1)
    PlatformKeyService.forget()
    platform.jwks_available = False
    assert platform.launch(client).status_code == 303


def test_unreachable_platform_without_known_keys_is_a_clear_refusal(client, platform):
    platform.jwks_available = False
    response = platform.launch(client)
    assert response.status_code == 502
    assert "could not be fetched" in response.get_data(as_text=True)


def test_cache_control_sets_the_cache_lifetime(app, client, platform):
    platform.jwks_cache_control = "public, max-age=900"
    assert platform.launch(client).status_code == 303
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        row = s.scalar(select(PlatformKeySet))
        lifetime = (row.expires_at - row.fetched_at).total_seconds()
    assert 899 <= lifetime <= 901


def test_tool_jwks_is_never_empty_and_kids_are_stable(client):
    first = client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()
    second = client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()
    assert len(first["keys"]) == 1 and first == second
    key = first["keys"][0]
    assert key["kid"] and key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key


def test_tool_key_rotation_publishes_both_and_signs_with_the_new(app, client, platform, runner):
    old = client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()["keys"][0]["kid"]
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    keys = client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()["keys"]
    kids = [k["kid"] for k in keys]
    assert old in kids and len(kids) == 2
    new = kids[0]
    assert new != old
    # a deep-linking response is now signed with the new key
    response = platform.launch(client, role="Instructor", pod=None,
                               message_type="LtiDeepLinkingRequest")
    location = response.headers["Location"]
    picker = client.get(location, base_url=TOOL_BASE_URL).get_data(as_text=True)
    csrf = picker.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    lt = location.split("lt=")[1]
    page = client.post("/lti/deep-link", data={"lt": lt, "csrf_token": csrf,
                                               "pods": ["governance"]}, base_url=TOOL_BASE_URL)
    token = page.get_data(as_text=True).split('name="JWT" value="')[1].split('"')[0]
    assert jwt.get_unverified_header(token)["kid"] == new
    # retiring the old key unpublishes it; the current key cannot be retired
    # "--": a key id (a base64url thumbprint) may start with "-"
    assert runner.invoke(args=["keys", "retire", "--", new]).exit_code == 1
    assert runner.invoke(args=["keys", "retire", "--", old]).exit_code == 0
    kids = [k["kid"] for k in client.get("/lti/jwks", base_url=TOOL_BASE_URL).get_json()["keys"]]
    assert kids == [new]


def test_private_keys_are_encrypted_at_rest(app, client):
    from leadership_pods.lti_tool.models import ToolKey

    client.get("/lti/jwks", base_url=TOOL_BASE_URL)
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        stored = s.scalar(select(ToolKey)).private_key_encrypted
    assert "PRIVATE KEY" not in stored and stored.startswith("gAAAA")
