"""OIDC third-party login initiation: the first leg of every LTI 1.3 launch.

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and usually
``client_id``, ``lti_message_hint``, ``lti_deployment_id``); the tool answers with an
authentication request to the platform carrying a fresh ``state`` and ``nonce``. The
pair is stored server side, so any worker can check the launch that comes back.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..config.settings import Settings
from .errors import LoginError
from .models import LoginState, Platform, UsedNonce
from .registry import PlatformRegistry

log = logging.getLogger(__name__)

LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id",
                "lti_deployment_id", "lti_storage_target")
MAX_PARAM_LENGTH = 4096
#: how long an accepted nonce is remembered: longer than any id_token lives
NONCE_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser next, and what to remember while it goes."""

    auth_url: str
    state: str
    nonce: str
    #: the ``lti_storage_target`` frame name when the platform offers platform storage
    storage_target: str | None
    platform_origin: str


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


class LoginService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

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
        self._prune()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        self.session.add(LoginState(
            state=state, nonce=nonce, platform_id=platform.id, target_link_uri=target,
            login_params=params, platform_storage=bool(params.get("lti_storage_target")),
        ))
        self.session.flush()
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
        auth_url = platform.auth_login_url + separator + urlencode(query)
        origin = urlsplit(platform.auth_login_url)
        log.info("login for platform %s (%s): state %s…", platform.id, platform.issuer, state[:8])
        return LoginRedirect(
            auth_url=auth_url, state=state, nonce=nonce,
            storage_target=params.get("lti_storage_target"),
            platform_origin=f"{origin.scheme}://{origin.netloc}",
        )

    def _prune(self) -> None:
        """Forget logins long past their lifetime, and nonces no id_token can still carry."""
        now = utcnow()
        state_cutoff = now - timedelta(seconds=max(3600, self.settings.login_state_ttl * 6))
        self.session.execute(delete(LoginState).where(LoginState.created_at < state_cutoff))
        self.session.execute(delete(UsedNonce).where(UsedNonce.used_at < now - NONCE_MEMORY))

    def platform_storage(self, state: str) -> tuple[str, str]:
        """The platform-storage frame and the origin to post to, for a login that offered it."""
        row = self.session.get(LoginState, state)
        platform = self.session.get(Platform, row.platform_id) if row else None
        if row is None or platform is None or not row.platform_storage:
            raise LoginError("that launch is unknown or has expired", check="state",
                             hint="Open the activity again from the LMS.")
        origin = urlsplit(platform.auth_login_url)
        return str(row.login_params["lti_storage_target"]), f"{origin.scheme}://{origin.netloc}"

    def relaunch_url(self, state: str, login_url: str) -> str:
        """Where a new top-level window restarts an earlier login.

        Moodle's ``lti_message_hint`` works once, so a Moodle activity is restarted from
        Moodle's own launch page; other platforms get the login replayed.
        """
        row = self.session.get(LoginState, state)
        if row is None:
            raise LoginError("that launch is unknown or has expired", check="state",
                             hint="Open the activity again from the LMS.", status=404)
        params = {k: str(v) for k, v in row.login_params.items() if k != "lti_storage_target"}
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
