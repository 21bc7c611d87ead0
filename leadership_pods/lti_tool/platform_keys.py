"""The platform JWKS cache, shared by all workers through the database.

A key set is fetched once and kept for the platform's ``Cache-Control: max-age``
(clamped to sane bounds). An id_token signed with an unknown ``kid`` forces one
refetch, at most once per interval per key set across every worker, so a platform's
key rotation never breaks launches. When the platform cannot be reached, the keys
already known keep working.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from jwt import PyJWK
from jwt.exceptions import InvalidKeyError, PyJWKError

from ..config.database import Database, utcnow
from .errors import LaunchError
from .models import PlatformKeySet

log = logging.getLogger(__name__)

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)
DEFAULT_TTL = 3600


@dataclass
class _Memo:
    expires_at: datetime
    keys: dict[str, PyJWK]


def parse_max_age(cache_control: str | None, *, minimum: int, maximum: int) -> int:
    """Seconds to keep a key set, from its Cache-Control header, within bounds."""
    ttl = DEFAULT_TTL
    if cache_control:
        if "no-store" in cache_control or "no-cache" in cache_control:
            ttl = minimum
        elif match := _MAX_AGE.search(cache_control):
            ttl = int(match.group(1))
    return max(minimum, min(maximum, ttl))


def rsa_keys(jwks: Any) -> dict[str, PyJWK]:
    """The RS256-usable keys of a JWKS document, by kid; others are ignored."""
    result: dict[str, PyJWK] = {}
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        return result
    for raw in jwks["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") != "RSA" or not raw.get("kid"):
            continue
        if raw.get("alg", "RS256") != "RS256" or raw.get("use", "sig") != "sig":
            continue
        try:
            result[str(raw["kid"])] = PyJWK(raw, algorithm="RS256")
        except (PyJWKError, InvalidKeyError, ValueError, TypeError):
            log.warning("ignoring an unusable key %s in a platform JWKS", raw.get("kid"))
    return result


class PlatformKeyService:
    """Find the platform public key for a kid, through the process memo and the DB cache."""

    _memo: dict[str, _Memo] = {}
    _lock = threading.Lock()

    def __init__(self, db: Database, http: requests.Session, *, min_ttl: int, max_ttl: int,
                 refetch_interval: int, timeout: float) -> None:
        self.db = db
        self.http = http
        self.min_ttl = min_ttl
        self.max_ttl = max_ttl
        self.refetch_interval = refetch_interval
        self.timeout = timeout

    @classmethod
    def forget(cls) -> None:
        with cls._lock:
            cls._memo.clear()

    def key_for(self, key_set_url: str, kid: str) -> PyJWK:
        now = utcnow()
        memo = self._memo.get(key_set_url)
        if memo and memo.expires_at > now and kid in memo.keys:
            return memo.keys[kid]
        with self.db.transaction() as session:
            row = session.get(PlatformKeySet, key_set_url, with_for_update=False)
            if row is not None and row.expires_at > now and kid in rsa_keys(row.keys):
                return self._remember(row)[kid]
            fresh = row is not None and row.expires_at > now
            if fresh and row is not None:
                if row.forced_at and now - row.forced_at < timedelta(seconds=self.refetch_interval):
                    raise LaunchError(
                        f"the id_token is signed with key {kid!r}, which the platform's key set "
                        "does not publish (it was refetched moments ago)",
                        check="signature-key",
                        hint="Check the registration's key set URL (JWKS) in the tool.",
                    )
                row.forced_at = now
                session.flush()
            try:
                document, ttl = self._fetch(key_set_url)
            except LaunchError:
                if row is not None and kid in rsa_keys(row.keys):
                    log.warning("platform JWKS %s unreachable; using the keys known", key_set_url)
                    return rsa_keys(row.keys)[kid]
                raise
            if row is None:
                row = PlatformKeySet(key_set_url=key_set_url, keys=document,
                                     expires_at=now + timedelta(seconds=ttl))
                session.add(row)
            row.keys = document
            row.fetched_at = now
            row.expires_at = now + timedelta(seconds=ttl)
            row.fetch_count = (row.fetch_count or 0) + 1
            session.flush()
            keys = self._remember(row)
        if kid not in keys:
            raise LaunchError(
                f"the id_token is signed with key {kid!r}, which the platform's key set does "
                "not publish",
                check="signature-key",
                hint="Check the registration's key set URL (JWKS) in the tool.",
            )
        return keys[kid]

    def _remember(self, row: PlatformKeySet) -> dict[str, PyJWK]:
        keys = rsa_keys(row.keys)
        with self._lock:
            self._memo[row.key_set_url] = _Memo(expires_at=row.expires_at, keys=keys)
        return keys

    def _fetch(self, url: str) -> tuple[dict[str, Any], int]:
        try:
            response = self.http.get(url, timeout=self.timeout,
                                     headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LaunchError(
                f"the platform's key set at {url} could not be fetched ({exc.__class__.__name__})",
                check="signature-key",
                hint="Check that the key set URL (JWKS) of the registration is reachable.",
                status=502,
            ) from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise LaunchError(f"the platform's key set at {url} is not a JWKS document",
                              check="signature-key", status=502)
        ttl = parse_max_age(response.headers.get("Cache-Control"),
                            minimum=self.min_ttl, maximum=self.max_ttl)
        log.info("fetched platform JWKS %s (%d keys, kept %ds)", url, len(document["keys"]), ttl)
        return document, ttl
