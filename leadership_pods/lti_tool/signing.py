"""Signed, timestamped tokens: what the tool hands out and must recognise later (launch
tokens, login states).

``<payload>.<issued, hex seconds>.<MAC, base64url>``: the MAC is keyed BLAKE2b-256 (the
MAC mode of RFC 7693) over payload and time, under a key derived from the app's secret and
a purpose (so a token of one kind is never taken for another), compared in constant time.
It is Python's own BLAKE2: one call of a few microseconds, without OpenSSL's per-call
algorithm lookup, which costs ten times that inside a request. The payload must be
URL-safe text; it may contain dots.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

#: a token issued this far in the future is refused (clocks of several workers)
CLOCK_SKEW = 60


class BadToken(ValueError):
    """Not a token this signer issued (tampered, foreign, garbled)."""


class ExpiredToken(ValueError):
    """A token this signer issued, older than allowed."""


def now() -> float:
    """The clock of every signer (looked up on each call, so tests can move it)."""
    return time.time()


class TimedSigner:
    def __init__(self, secret_key: str, purpose: str, clock: Callable[[], float] = now) -> None:
        self._key = hmac.digest(secret_key.encode(), purpose.encode(), "sha256")
        self._clock = clock

    def sign(self, payload: str) -> str:
        body = f"{payload}.{int(self._clock()):x}"
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str, max_age: float) -> tuple[str, float]:
        """The payload of ``token`` and its age in seconds; raises :class:`BadToken` or
        :class:`ExpiredToken`."""
        body, _, mac = token.rpartition(".")
        payload, _, issued = body.rpartition(".")
        if not payload or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            raise BadToken("the token's signature does not match")
        try:
            age = self._clock() - int(issued, 16)
        except ValueError:
            raise BadToken("the token has no issue time") from None
        if age < -CLOCK_SKEW:
            raise BadToken("the token was issued in the future")
        if age > max_age:
            raise ExpiredToken("the token has expired")
        return payload, age

    def _mac(self, body: str) -> str:
        digest = hashlib.blake2b(body.encode(), key=self._key, digest_size=32).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
