"""Short-lived signed launch tokens carried by the tool's pages (never a cookie).

Inside an LMS iframe the browser may drop every cookie of the tool, so after the
launch each page carries ``lt`` (a link parameter, a hidden form field or the
``X-Launch-Token`` header) naming the stored launch. Being unknowable to other sites,
it also protects the state-changing requests that carry it against CSRF.

A token is the launch id signed with its issue time (:mod:`.signing`); every request inside
the tool checks one.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import LaunchSessionError
from .signing import BadToken, ExpiredToken, TimedSigner, now

PURPOSE = "leadership-pods/launch-token"


class LaunchTokens:
    def __init__(self, secret_key: str, ttl: int,
                 clock: Callable[[], float] = now) -> None:
        self._signer = TimedSigner(secret_key, PURPOSE, clock)
        self.ttl = ttl

    def issue(self, launch_id: str) -> str:
        return self._signer.sign(launch_id)

    def open(self, token: str | None) -> tuple[str, str]:
        """Check a token once: its launch id, and the token the page should carry next —
        the same one while it is young (under a tenth of its lifetime), a fresh one after
        that, so active pages never expire."""
        if not token:
            raise LaunchSessionError(
                "this page needs a launch from the LMS; open the activity from your course"
            )
        try:
            launch_id, age = self._signer.unsign(token, self.ttl)
        except ExpiredToken:
            raise LaunchSessionError(
                "your session in this activity has expired; open it again from the LMS "
                "(your work is saved)"
            ) from None
        except BadToken:
            raise LaunchSessionError("the launch token of this page is not valid") from None
        return launch_id, (token if age < self.ttl / 10 else self.issue(launch_id))
