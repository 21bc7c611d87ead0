from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from leadership_pods.config.database import Database, utcnow
from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.keys import SigningKey
from leadership_pods.lti_tool.models import ServiceToken
from leadership_pods.lti_tool.services.tokens import (
    CLIENT_ASSERTION_TYPE,
    TokenService,
    cache_lifetime,
    client_assertion,
    scope_key,
)
from tests.support.platform import TestPlatform

from .conftest import Clients

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
RESULTS = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
ROSTER = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def test_the_client_assertion_is_what_the_token_endpoint_checks(canvas: Clients,
                                                                 signing_key: SigningKey):
    canvas.tokens.access_token(canvas.endpoints, [SCORE, RESULTS])
    canvas.tokens.invalidate(canvas.endpoints, [SCORE, RESULTS])
    canvas.tokens.access_token(canvas.endpoints, [SCORE, RESULTS])

    assert canvas.services.token_requests == 2
    (header, claims), (_, again) = canvas.services.assertions
    assert header["alg"] == "RS256" and header["kid"] == signing_key.kid
    assert claims["iss"] == claims["sub"] == canvas.endpoints.client_id
    assert claims["aud"] == canvas.services.token_url == canvas.endpoints.auth_token_url
    assert claims["exp"] == claims["iat"] + 300
    assert claims["jti"] != again["jti"]
    form = canvas.services.calls_to("token")[0].body
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert form["scope"] == f"{RESULTS} {SCORE}"


def test_the_assertion_audience_is_the_registered_one_when_set(canvas: Clients,
                                                               signing_key: SigningKey):
    endpoints = dataclasses.replace(canvas.endpoints, auth_audience="https://canvas.example/aud")
    canvas.services.audience = "https://canvas.example/aud"
    canvas.tokens.access_token(endpoints, [SCORE])
    assert canvas.services.assertions[0][1]["aud"] == "https://canvas.example/aud"
    assert endpoints.assertion_audience == "https://canvas.example/aud"


def test_a_pure_assertion_verifies_with_the_public_key(signing_key: SigningKey, canvas: Clients):
    token = client_assertion(canvas.endpoints, signing_key, now=utcnow())
    key = jwt.PyJWK(signing_key.public_jwk).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=canvas.endpoints.auth_token_url)
    assert claims["sub"] == canvas.endpoints.client_id


def test_one_token_request_serves_many_calls_and_other_workers(canvas: Clients, db: Database,
                                                               signing_key: SigningKey,
                                                               session_http):
    tokens = {canvas.tokens.access_token(canvas.endpoints, [SCORE, RESULTS]) for _ in range(5)}
    # the same set in another order is the same cache entry
    tokens.add(canvas.tokens.access_token(canvas.endpoints, [RESULTS, SCORE, SCORE]))
    assert len(tokens) == 1 and canvas.services.token_requests == 1

    TokenService.forget()  # another worker: no memo, same database
    other = TokenService(db, lambda: signing_key, session_http, 5.0)
    assert other.access_token(canvas.endpoints, [SCORE, RESULTS]) in tokens
    assert canvas.services.token_requests == 1

    with db.transaction() as s:
        row = s.scalars(select(ServiceToken)).one()
    assert row.scopes == scope_key([SCORE, RESULTS]) == f"{RESULTS} {SCORE}"
    assert row.access_token in tokens
    remaining = (row.expires_at - utcnow()).total_seconds()
    assert 3500 < remaining <= 3540


def test_each_scope_set_has_its_own_token(canvas: Clients):
    score = canvas.tokens.access_token(canvas.endpoints, [SCORE])
    roster = canvas.tokens.access_token(canvas.endpoints, [ROSTER])
    assert score != roster and canvas.services.token_requests == 2
    assert canvas.tokens.access_token(canvas.endpoints, [SCORE]) == score
    assert canvas.services.token_requests == 2


def test_a_token_is_refreshed_after_its_lifetime_less_the_margin(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    now = [utcnow()]
    clients = make_clients(platform, now=lambda: now[0])
    first = clients.tokens.access_token(clients.endpoints, [SCORE])
    now[0] += timedelta(seconds=3539)
    assert clients.tokens.access_token(clients.endpoints, [SCORE]) == first
    assert clients.services.token_requests == 1
    now[0] += timedelta(seconds=2)  # 3541 s: inside the 60 s margin
    TokenService.forget()  # the database row has expired as well
    assert clients.tokens.access_token(clients.endpoints, [SCORE]) != first
    assert clients.services.token_requests == 2


def test_the_memo_expires_too(platform: TestPlatform, make_clients: Callable[..., Clients]):
    now = [utcnow()]
    clients = make_clients(platform, now=lambda: now[0], token_lifetime=60)
    first = clients.tokens.access_token(clients.endpoints, [SCORE])
    now[0] += timedelta(seconds=29)
    assert clients.tokens.access_token(clients.endpoints, [SCORE]) == first
    now[0] += timedelta(seconds=2)
    assert clients.tokens.access_token(clients.endpoints, [SCORE]) != first
    assert clients.services.token_requests == 2


@pytest.mark.parametrize(("expires_in", "kept"), [(3600, 3540), (121, 61), (60, 30), (1, 0.5),
                                                  (0, 0)])
def test_cache_lifetime_keeps_a_margin_and_never_passes_expiry(expires_in: float, kept: float):
    assert cache_lifetime(expires_in) == kept
    assert cache_lifetime(expires_in) <= expires_in


def test_scope_key_refuses_nothing_and_bare_strings():
    with pytest.raises(ValueError):
        scope_key([])
    with pytest.raises(TypeError):
        scope_key(SCORE)


def test_invalidate_drops_only_the_token_it_names(canvas: Clients, db: Database):
    first = canvas.tokens.access_token(canvas.endpoints, [SCORE])
    canvas.tokens.invalidate(canvas.endpoints, [SCORE], first)
    second = canvas.tokens.access_token(canvas.endpoints, [SCORE])
    assert second != first and canvas.services.token_requests == 2

    canvas.tokens.invalidate(canvas.endpoints, [SCORE], first)  # stale: keeps the new one
    assert canvas.tokens.access_token(canvas.endpoints, [SCORE]) == second
    with db.transaction() as s:
        assert s.scalars(select(ServiceToken.access_token)).all() == [second]

    canvas.tokens.invalidate(canvas.endpoints, [SCORE])
    with db.transaction() as s:
        assert s.scalars(select(ServiceToken)).all() == []
    assert canvas.tokens.access_token(canvas.endpoints, [SCORE]) not in (first, second)


def test_a_refused_assertion_is_a_final_error_with_the_platforms_words(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    clients = make_clients(platform)
    clients.services.client_id = "someone-else"
    with pytest.raises(PlatformServiceError) as caught:
        clients.tokens.access_token(clients.endpoints, [SCORE])
    error = caught.value
    assert error.http_status == 401 and not error.retryable
    assert "invalid_client" in error.message
    assert "iss and sub must be the client id" in error.message
    assert "JWKS" in error.hint


def test_a_busy_token_endpoint_is_waited_for(canvas: Clients):
    canvas.services.inject(503, endpoint="token", headers={"Retry-After": "3"})
    assert canvas.tokens.access_token(canvas.endpoints, [SCORE])
    assert canvas.sleeps == [3.0] and canvas.services.token_requests == 1


def test_tokens_and_assertions_are_never_logged(canvas: Clients, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    canvas.services.add_member("u1")
    token = canvas.tokens.access_token(canvas.endpoints, [SCORE])
    canvas.services.revoke_tokens()
    url = canvas.services.add_line_item("Budget", 10)
    canvas.ags.post_score(url, _score("u1"))
    assert canvas.services.token_requests == 2
    assertions = [c.body["client_assertion"] for c in canvas.services.calls_to("token")]
    new_token = canvas.tokens.access_token(canvas.endpoints, [SCORE])
    assert caplog.records
    for secret in (token, new_token, *assertions):
        assert secret not in caplog.text


def _score(user_id: str):
    from leadership_pods.lti_tool.services import ScoreSubmission

    return ScoreSubmission(user_id=user_id, score_given=7, score_maximum=10)
