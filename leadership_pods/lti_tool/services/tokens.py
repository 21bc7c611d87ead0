"""OAuth2 client-credentials access tokens for the LTI Advantage services.

Before it may call AGS or NRPS, the tool asks the platform's token endpoint for an
*access token* for a set of *scopes*. It authenticates with a *client assertion*: a
short-lived JWT signed with the tool's own key (RS256, ``kid`` of a key published at
``/lti/jwks``), with ``iss = sub = client_id`` and ``aud`` the registration's
``auth_audience`` or else the token URL itself (what Canvas checks).

Tokens are cached per (registration, sorted scope set): in ``lti_service_token``,
shared by every worker, and in a per-process memo. A cached token is used until its
``expires_in`` less a safety margin (60 s, or half the lifetime for very short-lived
tokens), never past its expiry. The row's ``expires_at`` is that use-until time.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import jwt
import requests
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ...config.database import Database, utcnow
from ..errors import PlatformServiceError
from ..keys import SigningKey
from ..models import Platform, ServiceToken
from .http import RetryPolicy, Sleep, send

log = logging.getLogger(__name__)

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300
EXPIRY_MARGIN = 60.0
#: assumed when a token response has no ``expires_in`` (it is only RECOMMENDED)
DEFAULT_EXPIRES_IN = 3600.0
_REGISTRATION_HINT = (
    "Check the registration: the client id, the token URL (and audience), and that the "
    "platform knows the tool's public keys (its JWKS URL, /lti/jwks)."
)


@dataclass(frozen=True)
class PlatformEndpoints:
    """What a service call needs to know of a registration: who we are, where tokens come from."""

    platform_id: int
    client_id: str
    auth_token_url: str
    auth_audience: str | None = None

    @classmethod
    def from_platform(cls, platform: Platform) -> PlatformEndpoints:
        return cls(platform_id=platform.id, client_id=platform.client_id,
                   auth_token_url=platform.auth_token_url,
                   auth_audience=platform.auth_audience or None)

    @property
    def assertion_audience(self) -> str:
        return self.auth_audience or self.auth_token_url


def scope_key(scopes: Sequence[str]) -> str:
    """The cache key of a scope set: its distinct scopes, sorted, space-separated."""
    if isinstance(scopes, str):
        raise TypeError("scopes must be a sequence of scope strings, not one string")
    key = " ".join(sorted({s.strip() for s in scopes if s.strip()}))
    if not key:
        raise ValueError("an access token needs at least one scope")
    return key


def client_assertion(platform: PlatformEndpoints, key: SigningKey, *, now: datetime) -> str:
    """The signed JWT that authenticates the tool at the platform's token endpoint."""
    issued = int(now.timestamp())
    claims = {
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.assertion_audience,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
        "jti": secrets.token_urlsafe(24),
    }
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def cache_lifetime(expires_in: float) -> float:
    """Seconds to keep using a token that lives ``expires_in`` seconds."""
    return max(0.0, expires_in - min(EXPIRY_MARGIN, expires_in / 2))


@dataclass(frozen=True)
class _Cached:
    token: str
    use_until: datetime


_CacheKey = tuple[int, str]


class TokenService:
    """Access tokens for (registration, scopes), cached in the database and in-process."""

    _memo: WeakKeyDictionary[Database, dict[_CacheKey, _Cached]] = WeakKeyDictionary()
    _lock = threading.Lock()

    def __init__(self, db: Database, signing_key_source: Callable[[], SigningKey],
                 http: requests.Session, timeout: float, *, retry: RetryPolicy | None = None,
                 sleep: Sleep = time.sleep, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.signing_key_source = signing_key_source
        self.http = http
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.now = now

    @classmethod
    def forget(cls) -> None:
        """Drop the per-process memo (the database cache stays)."""
        with cls._lock:
            cls._memo.clear()

    def access_token(self, platform: PlatformEndpoints, scopes: Sequence[str]) -> str:
        key = (platform.platform_id, scope_key(scopes))
        now = self.now()
        with self._lock:
            cached = self._memo.get(self.db, {}).get(key)
        if cached is not None and cached.use_until > now:
            return cached.token
        with self.db.transaction() as session:
            row = session.get(ServiceToken, key)
            if row is not None and row.expires_at > now:
                self._remember(key, _Cached(row.access_token, row.expires_at))
                return row.access_token
        token, use_until = self._request(platform, key[1])
        if use_until > now:
            self._remember(key, _Cached(token, use_until))
            self._store(key, token, use_until)
        return token

    def invalidate(self, platform: PlatformEndpoints, scopes: Sequence[str],
                   token: str | None = None) -> None:
        """Drop a cached token; with ``token``, only if that is still the one cached."""
        key = (platform.platform_id, scope_key(scopes))
        with self._lock:
            memo = self._memo.get(self.db, {})
            cached = memo.get(key)
            if cached is not None and (token is None or cached.token == token):
                del memo[key]
        statement = delete(ServiceToken).where(ServiceToken.platform_id == key[0],
                                               ServiceToken.scopes == key[1])
        if token is not None:
            statement = statement.where(ServiceToken.access_token == token)
        with self.db.transaction() as session:
            session.execute(statement)

    # -- internals ---------------------------------------------------------------------
    def _remember(self, key: _CacheKey, cached: _Cached) -> None:
        with self._lock:
            self._memo.setdefault(self.db, {})[key] = cached

    def _store(self, key: _CacheKey, token: str, use_until: datetime) -> None:
        try:
            with self.db.transaction() as session:
                row = session.get(ServiceToken, key)
                if row is None:
                    session.add(ServiceToken(platform_id=key[0], scopes=key[1],
                                             access_token=token, expires_at=use_until))
                else:
                    row.access_token = token
                    row.expires_at = use_until
        except IntegrityError:
            # another worker cached a token for the same scopes at the same moment (or the
            # registration was just deleted); this one still serves this process
            log.info("token for platform %s not cached: a concurrent write won", key[0])

    def _request(self, platform: PlatformEndpoints, scopes: str) -> tuple[str, datetime]:
        now = self.now()
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            # the platform checks iat/exp against its own clock: always the real time here
            "client_assertion": client_assertion(platform, self.signing_key_source(),
                                                 now=utcnow()),
            "scope": scopes,
        }
        what = f"token request to platform {platform.platform_id}"
        try:
            response = send(self.http, "POST", platform.auth_token_url,
                            headers={"Accept": "application/json"}, data=form,
                            timeout=self.timeout, retry=self.retry, sleep=self.sleep, what=what)
        except PlatformServiceError as exc:
            if not exc.retryable:
                exc.hint = _REGISTRATION_HINT
            raise
        token, expires_in = _read_token_response(response, what)
        log.info("platform %s issued an access token for %s (expires in %gs)",
                 platform.platform_id, scopes, expires_in)
        return token, now + timedelta(seconds=cache_lifetime(expires_in))


def _read_token_response(response: requests.Response, what: str) -> tuple[str, float]:
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise PlatformServiceError(f"{what}: the answer has no access_token",
                                   http_status=response.status_code)
    token_type = data.get("token_type", "Bearer") if isinstance(data, dict) else "Bearer"
    if str(token_type).lower() != "bearer":
        raise PlatformServiceError(f"{what}: token type {token_type!r} is not Bearer",
                                   http_status=response.status_code)
    raw = data.get("expires_in") if isinstance(data, dict) else None
    try:
        expires_in = float(raw) if raw is not None else DEFAULT_EXPIRES_IN
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    return token, max(0.0, expires_in)
