"""A fake-but-honest LTI 1.3 platform for tests.

It signs real RS256 id_tokens with its own keys, serves its JWKS over real HTTP on
127.0.0.1 (counting fetches, with Cache-Control), and drives the tool's login and
launch endpoints through a Flask test client the way a browser would. Launch claims
start from the shapes real Canvas and Moodle send (../shared/fixtures).
"""

from __future__ import annotations

import copy
import functools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
TOOL_BASE_URL = "https://pods.test"


def load_shape(name: str) -> dict[str, Any]:
    """Claims of a real launch shape, without the fixture's notes."""
    data = json.loads((SHARED_FIXTURES / f"{name}_resource_link_claims.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


_KEY_POOL: list[bytes] = []
_POOL_SIZE = 6
_next_key = 0


def _pooled_private_pem() -> bytes:
    """RSA key material from a small pool: generating 2048-bit keys per test is slow.
    Consecutive keys always differ, so a "forger" key never equals the platform's."""
    global _next_key
    if len(_KEY_POOL) < _POOL_SIZE:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY_POOL.append(private.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return _KEY_POOL[-1]
    _next_key = (_next_key + 1) % _POOL_SIZE
    return _KEY_POOL[_next_key]


class PlatformKey:
    def __init__(self, kid: str | None = None) -> None:
        self.pem = _pooled_private_pem()
        self.kid = kid or f"{time.strftime('%Y-%m-%dT%H:%M:%SZ')}_{uuid.uuid4().hex[:4]}"

    @functools.cached_property
    def private_key(self) -> Any:
        """The parsed key (parsing a PEM is slow: do it once per key)."""
        return serialization.load_pem_private_key(self.pem, password=None)

    @functools.cached_property
    def _public_jwk(self) -> dict[str, Any]:
        jwk = dict(JWK.from_pem(self.pem).export_public(as_dict=True))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return jwk

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._public_jwk)

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class TestPlatform:
    """One LMS registration: issuer, client id, deployment, keys and an HTTP endpoint."""

    __test__ = False

    def __init__(self, *, issuer: str = "https://canvas.instructure.com",
                 client_id: str = "10000000000042",
                 deployment_id: str = "42:9c8f0e1b7d6a5c4b3a2918f7e6d5c4b3a2918f7e",
                 shape: str = "canvas") -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.shape = shape
        self.keys = [PlatformKey()]
        self.jwks_fetches = 0
        self.jwks_cache_control = "max-age=3600"
        self.jwks_available = True
        self.base_url = ""  # set when served
        self.extra_routes: dict[str, Callable[[Request], Response]] = {}
        #: a WSGI app for every other path (e.g. support.platform_services.PlatformServices)
        self.services: Callable[..., Any] | None = None

    # -- the platform's own HTTP endpoints ---------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            self.jwks_fetches += 1
            if not self.jwks_available:
                response = Response("unavailable", status=503)
            else:
                response = Response(json.dumps({"keys": [k.public_jwk() for k in self.keys]}),
                                    mimetype="application/json")
                response.headers["Cache-Control"] = self.jwks_cache_control
        elif request.path in self.extra_routes:
            response = self.extra_routes[request.path](request)
        elif self.services is not None:
            return self.services(environ, start_response)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    @property
    def key(self) -> PlatformKey:
        return self.keys[-1]

    def rotate_key(self, drop_old: bool = True) -> PlatformKey:
        new = PlatformKey()
        self.keys = [new] if drop_old else [*self.keys, new]
        return new

    # -- registration with the tool ----------------------------------------------------
    def registration(self) -> dict[str, str]:
        return {"issuer": self.issuer, "client_id": self.client_id,
                "auth_login_url": self.base_url + "/authorize",
                "auth_token_url": self.base_url + "/token",
                "key_set_url": self.base_url + "/jwks"}

    # -- id_tokens ---------------------------------------------------------------------
    def claims(self, *, nonce: str, role: str = "Learner", pod: str | None = "budget-balancing",
               message_type: str = "LtiResourceLinkRequest",
               overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        claims = copy.deepcopy(load_shape(self.shape))
        now = int(time.time())
        claims.update({
            "iss": self.issuer, "nonce": nonce, "iat": now,
            "exp": now + (60 if self.shape == "moodle" else 3600),
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": TOOL_BASE_URL + "/lti/launch",
            LTI + "message_type": message_type,
            LTI + "roles": [MEMBERSHIP + role] if "/" not in role else [role],
        })
        claims["aud"] = self.client_id if self.shape == "moodle" else self.client_id
        if "azp" in claims:
            claims["azp"] = self.client_id
        custom = dict(claims.get(LTI + "custom") or {})
        if pod:
            custom["pod"] = pod
        claims[LTI + "custom"] = custom
        if message_type == "LtiDeepLinkingRequest":
            claims.pop(LTI + "resource_link", None)
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": "https://lms.example.edu/courses/311/deep_linking_response?modal=true",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-platform-data-123",
            }
        for key, value in (overrides or {}).items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(self, claims: Mapping[str, Any], *, key: PlatformKey | None = None,
             headers: Mapping[str, Any] | None = None, algorithm: str = "RS256") -> str:
        key = key or self.key
        header = {"kid": key.kid, **(headers or {})}
        signing_key = key.private_key if algorithm.startswith("RS") else key.pem
        return jwt.encode(dict(claims), signing_key, algorithm=algorithm, headers=header)

    # -- driving the tool like a browser -----------------------------------------------
    def login_params(self, **extra: str) -> dict[str, str]:
        params = {"iss": self.issuer, "login_hint": "hint-" + uuid.uuid4().hex[:6],
                  "target_link_uri": TOOL_BASE_URL + "/lti/launch",
                  "client_id": self.client_id, "lti_deployment_id": self.deployment_id,
                  "lti_message_hint": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.hint.sig"}
        params.update(extra)
        return {k: v for k, v in params.items() if v is not None}

    def login(self, client: Any, method: str = "GET", **extra: str) -> dict[str, str]:
        """Start a login at the tool; returns the authentication request's parameters."""
        params = self.login_params(**extra)
        if method == "POST":
            response = client.post("/lti/login", data=params, base_url=TOOL_BASE_URL)
        else:
            response = client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL)
        assert response.status_code in (200, 302), response.get_data(as_text=True)
        if response.status_code == 302:
            location = response.headers["Location"]
        else:  # platform storage page: the auth URL is in data-auth-url
            text = response.get_data(as_text=True)
            start = text.index('data-auth-url="') + len('data-auth-url="')
            location = text[start:text.index('"', start)].replace("&amp;", "&")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        query["_location"] = location
        return query

    def post_launch(self, client: Any, id_token: str, state: str, **extra: str) -> Any:
        return client.post("/lti/launch", data={"id_token": id_token, "state": state, **extra},
                           base_url=TOOL_BASE_URL)

    def launch(self, client: Any, *, role: str = "Learner", pod: str | None = "budget-balancing",
               message_type: str = "LtiResourceLinkRequest",
               overrides: Mapping[str, Any] | None = None) -> Any:
        """A whole login + launch; returns the tool's response to the launch POST."""
        auth = self.login(client)
        claims = self.claims(nonce=auth["nonce"], role=role, pod=pod,
                             message_type=message_type, overrides=overrides)
        return self.post_launch(client, self.sign(claims), auth["state"])
