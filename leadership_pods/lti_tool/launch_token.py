"""Short-lived signed launch tokens carried by the tool's pages (never a cookie).

Inside an LMS iframe the browser may drop every cookie of the tool, so after the
launch each page carries ``lt`` (a link parameter, a hidden form field or the
``X-Launch-Token`` header) naming the stored launch. Being unknowable to other sites,
it also protects the state-changing requests that carry it against CSRF.

A token is ``<launch id>.<issued, hex seconds>.<HMAC-SHA256, base64url>`` under a key
derived from the app's secret. Every request inside the tool checks one, so it is a single
keyed hash each way (a few microseconds), compared in constant time.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable

from .errors import LaunchSessionError

SALT = "leadership-pods/launch-token"
#: a token issued this far in the future is refused (clocks of several workers)
CLOCK_SKEW = 60


class LaunchTokens:
    def __init__(self, secret_key: str, ttl: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = hmac.digest(secret_key.encode(), SALT.encode(), "sha256")
        self.ttl = ttl
        self._clock = clock

    def issue(self, launch_id: str) -> str:
        body = f"{launch_id}.{int(self._clock()):x}"
        return f"{body}.{self._sign(body)}"

    def read(self, token: str | None) -> str:
        """The launch id a token names (raises LaunchSessionError)."""
        return self.open(token)[0]

    def open(self, token: str | None) -> tuple[str, str]:
        """Check a token once: its launch id, and the token the page should carry next —
        the same one while it is young (under a tenth of its lifetime), a fresh one after
        that, so active pages never expire."""
        if not token:
            raise LaunchSessionError(
                "this page needs a launch from the LMS; open the activity from your course"
            )
        body, _, signature = token.rpartition(".")
        launch_id, _, issued_hex = body.rpartition(".")
        if not launch_id or not hmac.compare_digest(signature.encode(),
                                                    self._sign(body).encode()):
            raise LaunchSessionError("the launch token of this page is not valid")
        try:
            age = self._clock() - int(issued_hex, 16)
        except ValueError:
            raise LaunchSessionError("the launch token of this page is not valid") from None
        if age > self.ttl:
            raise LaunchSessionError(
                "your session in this activity has expired; open it again from the LMS "
                "(your work is saved)"
            )
        if age < -CLOCK_SKEW:
            raise LaunchSessionError("the launch token of this page is not valid")
        return launch_id, (token if age < self.ttl / 10 else self.issue(launch_id))

    def _sign(self, body: str) -> str:
        digest = hmac.digest(self._key, body.encode(), "sha256")
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
