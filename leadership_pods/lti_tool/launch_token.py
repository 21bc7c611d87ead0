"""Short-lived signed launch tokens carried by the tool's pages (never a cookie).

Inside an LMS iframe the browser may drop every cookie of the tool, so after the
launch each page carries ``lt`` (a link parameter, a hidden form field or the
``X-Launch-Token`` header) naming the stored launch. Being unknowable to other sites,
it also protects the state-changing requests that carry it against CSRF.
"""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import LaunchSessionError

SALT = "leadership-pods/launch-token"


class LaunchTokens:
    def __init__(self, secret_key: str, ttl: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.ttl = ttl

    def issue(self, launch_id: str) -> str:
        return self._serializer.dumps(launch_id)

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
        try:
            launch_id, issued = self._serializer.loads(token, max_age=self.ttl,
                                                       return_timestamp=True)
        except SignatureExpired as exc:
            raise LaunchSessionError(
                "your session in this activity has expired; open it again from the LMS "
                "(your work is saved)"
            ) from exc
        except BadSignature as exc:
            raise LaunchSessionError("the launch token of this page is not valid") from exc
        if not isinstance(launch_id, str):
            raise LaunchSessionError("the launch token of this page is not valid")
        age = (datetime.now(UTC) - issued).total_seconds()
        return launch_id, (token if age < self.ttl / 10 else self.issue(launch_id))
