"""OIDC third-party login initiation: the first leg of every LTI 1.3 launch.

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and usually
``client_id``, ``lti_message_hint``, ``lti_deployment_id``); the tool answers with an
authentication request to the platform carrying a fresh ``state`` and ``nonce``.

The state is self-contained: a signed, timed token holding the nonce, the
registration and the login's parameters, so any worker can check the launch that
comes back without a database round trip. It is bound to the browser that started
the login by a cookie (or LTI platform storage) holding its fingerprint, and made
single-use at launch by recording its nonce (``UsedNonce``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from ..config import fast_json
from ..config.settings import Settings
from .errors import LaunchError, LoginError
from .registry import PlatformRegistry
from .signing import BadToken, ExpiredToken, TimedSigner, now

log = logging.getLogger(__name__)

LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id",
                "lti_deployment_id", "lti_storage_target")
MAX_PARAM_LENGTH = 4096
#: a login can be restarted in a new window for this long after it began
RELAUNCH_WINDOW = 24 * 3600


@dataclass(frozen=True)
class LoginState:
    """What the tool remembers of a login, carried inside the signed ``state``."""

    nonce: str
    platform_id: int
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def target_link_uri(self) -> str:
        return self.params.get("target_link_uri", "")

    @property
    def storage_target(self) -> str | None:
        """The ``lti_storage_target`` frame, when the platform offered platform storage."""
        return self.params.get("lti_storage_target")


def state_fingerprint(state: str) -> str:
    """A short digest of a state: the value kept in the cookie or the platform's storage."""
    return hashlib.blake2b(state.encode(), digest_size=16).hexdigest()  # no OpenSSL lookup


class LoginStates:
    """Issues and reads signed login states: the login's nonce, platform and parameters as
    base64url JSON, signed with the time (:mod:`.signing`)."""

    def __init__(self, secret_key: str, ttl: int,
                 clock: Callable[[], float] = now) -> None:
        self._signer = TimedSigner(secret_key, "leadership-pods/login-state", clock)
        self.ttl = ttl

    def issue(self, login: LoginState) -> str:
        data = fast_json.dumps_bytes({"n": login.nonce, "p": login.platform_id,
                                      "q": dict(login.params)})
        return self._signer.sign(base64.urlsafe_b64encode(data).rstrip(b"=").decode())

    def read(self, state: str, *, max_age: int | None = None) -> LoginState:
        if not state:
            raise LaunchError("the launch has no state parameter", check="state")
        try:
            payload, _ = self._signer.unsign(state, max_age or self.ttl)
        except ExpiredToken as exc:
            raise LaunchError("the login for this launch has expired", check="state",
                              hint="Start the launch again from the LMS.") from exc
        except BadToken as exc:
            raise LaunchError("the launch's state was not issued by this tool's login",
                              check="state", hint="Start the launch again from the LMS.") from exc
        try:
            padded = payload + "=" * (-len(payload) % 4)
            data: Any = fast_json.loads(base64.urlsafe_b64decode(padded))
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("q"), dict):
            raise LaunchError("the launch's state is not one this tool issues", check="state")
        return LoginState(nonce=str(data["n"]), platform_id=int(data["p"]),
                          params={str(k): str(v) for k, v in data["q"].items()})


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser next, and what to remember while it goes."""

    auth_url: str
    state: str
    nonce: str
    #: the ``lti_storage_target`` frame name when the platform offers platform storage
    storage_target: str | None
    platform_origin: str

    @property
    def fingerprint(self) -> str:
        return state_fingerprint(self.state)


def clean_login_params(raw: Mapping[str, str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name in LOGIN_PARAMS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if len(value) > MAX_PARAM_LENGTH:
            raise LoginError(f"the login parameter {name} is longer than {MAX_PARAM_LENGTH} "
                             "characters", check="login-params")
        params[name] = value
    for required in ("iss", "login_hint", "target_link_uri"):
        if required not in params:
            raise LoginError(
                f"the login initiation has no {required}",
                check="login-params",
                hint="Start the launch from the LMS; the login URL is not opened directly.",
            )
    return params


def _same_site_url(url: str, base_url: str) -> bool:
    target, base = urlsplit(url), urlsplit(base_url)
    return (target.scheme, target.netloc.lower()) == (base.scheme, base.netloc.lower())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class LoginService:
    def __init__(self, session: Session, settings: Settings, states: LoginStates) -> None:
        self.session = session
        self.settings = settings
        self.states = states

    def begin(self, raw: Mapping[str, str]) -> LoginRedirect:
        params = clean_login_params(raw)
        platform = PlatformRegistry(self.session).for_login(params["iss"],
                                                            params.get("client_id"))
        target = params["target_link_uri"]
        if not _same_site_url(target, self.settings.base_url):
            raise LoginError(
                f"target_link_uri {target} is not an address of this tool "
                f"({self.settings.base_url})",
                check="target-link-uri",
                hint="Set the tool's launch URL in the LMS to "
                     f"{self.settings.launch_url}, or LEADERSHIP_PODS_BASE_URL to the "
                     "address the LMS uses.",
            )
        nonce = secrets.token_urlsafe(24)
        state = self.states.issue(LoginState(nonce=nonce, platform_id=platform.id, params=params))
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": self.settings.launch_url,
            "login_hint": params["login_hint"],
            "state": state,
            "nonce": nonce,
        }
        if "lti_message_hint" in params:
            query["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if urlsplit(platform.auth_login_url).query else "?"
        log.info("login for platform %s (%s): state %s", platform.id, platform.issuer,
                 state_fingerprint(state)[:8])
        return LoginRedirect(
            auth_url=platform.auth_login_url + separator + urlencode(query),
            state=state, nonce=nonce, storage_target=params.get("lti_storage_target"),
            platform_origin=_origin(platform.auth_login_url),
        )

    def platform_storage(self, state: str) -> tuple[str, str]:
        """The platform-storage frame and the origin to post to, for a login that offered it."""
        login = self.states.read(state)
        platform = PlatformRegistry(self.session).get(login.platform_id)
        if login.storage_target is None:
            raise LoginError("that login did not offer platform storage", check="state")
        return login.storage_target, _origin(platform.auth_login_url)

    def relaunch_url(self, state: str, login_url: str) -> str:
        """Where a new top-level window restarts an earlier login.

        Moodle's ``lti_message_hint`` works once, so a Moodle activity is restarted from
        Moodle's own launch page; other platforms get the login replayed.
        """
        login = self.states.read(state, max_age=RELAUNCH_WINDOW)
        params = {k: v for k, v in login.params.items() if k != "lti_storage_target"}
        cmid = moodle_activity(params.get("lti_message_hint"))
        if cmid is not None:
            return f"{params['iss'].rstrip('/')}/mod/lti/launch.php?{urlencode({'id': cmid})}"
        return login_url + "?" + urlencode(params)


def moodle_activity(message_hint: str | None) -> str | None:
    """The course module id in a Moodle login hint (``{"cmid": 2, "launchid": …}``)."""
    if not message_hint or not message_hint.startswith("{"):
        return None
    try:
        hint = json.loads(message_hint)
    except ValueError:
        return None
    cmid = hint.get("cmid") if isinstance(hint, dict) else None
    if isinstance(cmid, int) or (isinstance(cmid, str) and cmid.isdigit()):
        return str(cmid)
    return None
