"""Launch validation: every check of the 1EdTech Security Framework on an id_token.

pylti1p3's ``MessageLaunch`` parses the token, finds the registration and runs its
message validators; this module closes its gaps: ``aud``/``azp`` are checked (pylti1p3
turns audience verification off), only RS256 is accepted, ``exp`` and ``iat`` are
required with a leeway, the state is a signed token bound to the browser that
started the login (cookie or platform storage), the nonce it carries must be the
id_token's and is single-use across workers (an atomic insert), ``target_link_uri``
is checked, and platform keys come from the shared JWKS cache.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config.database import utcnow
from ..config.driver_sql import DriverStatement
from ..config.settings import Settings
from .claims import LaunchContext, build_launch_context, check_required_claims
from .context import LaunchRecorder
from .errors import LaunchError
from .id_token import check_registered_claims, verify_signature
from .login import LoginState, LoginStates, state_fingerprint
from .models import Platform, UsedNonce
from .platform_keys import PlatformKeyService
from .registry import PlatformInfo, PlatformRegistry
from .tool_conf import DatabaseToolConf, ParamsRequest

log = logging.getLogger(__name__)

MAX_ID_TOKEN_LENGTH = 64 * 1024


#: share of launches that also forget nonces no id_token can still carry
PRUNE_RATE = 0.01
NONCE_MEMORY = timedelta(days=1)
#: Core statements on the session's connection (the ORM's bulk-insert path costs more)
_NONCES = cast(Table, UsedNonce.__table__)
#: run on the driver (config/driver_sql): one row, every column given
_RECORD_NONCE = DriverStatement(_NONCES.insert().values(
    {column.name: bindparam(column.name) for column in _NONCES.columns}))


def state_cookie_name(state: str) -> str:
    """The cookie that binds a login state to the browser that started the login."""
    return "lp_state_" + state_fingerprint(state)[:16]


class _Launch(MessageLaunch):  # type: ignore[type-arg]
    """pylti1p3's launch, used for parsing, registration lookup and message validators."""

    def _get_request_param(self, key: str) -> str:
        return str(self._request.get_param(key))


@dataclass(frozen=True)
class BindingProof:
    """What the browser showed that it started this login."""

    state_cookie: str | None = None
    platform_storage_state: str | None = None


class NeedsPlatformStorage(Exception):
    """The state must be read back from the platform's storage before the launch is accepted."""


class NeedsNewWindow(Exception):
    """No cookie and no platform storage: the launch must be restarted in a top-level window."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _refuse(check: str, message: str, hint: str | None = None, status: int = 400) -> LaunchError:
    return LaunchError(message, check=check, hint=hint, status=status)


class LaunchService:
    def __init__(self, session: Session, settings: Settings, keys: PlatformKeyService,
                 states: LoginStates) -> None:
        self.session = session
        self.settings = settings
        self.keys = keys
        self.states = states

    def _parse(self, id_token: str, state: str) -> tuple[_Launch, dict[str, Any], dict[str, Any]]:
        launch = _Launch(
            ParamsRequest({"id_token": id_token, "state": state}, self.settings.is_https),
            DatabaseToolConf(self.session), session_service=object(), cookie_service=object(),
            requests_session=self.keys.http,  # pylti1p3 would otherwise build one per launch
        )
        launch.set_auto_validation(False)
        try:
            launch.validate_jwt_format()
        except LtiException as exc:
            raise _refuse("id-token-format", "the id_token is not a well-formed JWT",
                          "The LMS sent something that is not a signed id_token.") from exc
        header: Any = launch._jwt.get("header")
        body: Any = launch._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise _refuse("id-token-format", "the id_token header or body is not a JSON object")
        return launch, header, body

    def _platform(self, body: Mapping[str, Any]) -> PlatformInfo:
        issuer = body.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise _refuse("iss", "the id_token has no iss (issuer)")
        aud = body.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        audiences = [a for a in audiences if isinstance(a, str)]
        if not audiences:
            raise _refuse("aud", "the id_token has no aud (audience)")
        registry = PlatformRegistry(self.session)
        platforms = [p for a in dict.fromkeys(audiences) if (p := registry.info(issuer, a))]
        if not platforms:
            known = self.session.scalar(select(Platform.id).where(Platform.issuer == issuer))
            if known is None:
                raise _refuse("iss", f"issuer {issuer} is not registered with this tool",
                              "Register the LMS with `leadership-pods platforms add`.", 403)
            raise _refuse("aud", f"the id_token's audience {audiences} does not include a client "
                          f"id registered for {issuer}",
                          "Check the client id of the registration in the tool.", 403)
        if len(platforms) > 1:
            raise _refuse("aud", "the id_token is addressed to several registered clients; "
                          "refusing an ambiguous audience", status=403)
        platform = platforms[0]
        if not platform.active:
            raise _refuse("registration", f"the registration for {issuer} is disabled",
                          status=403)
        return platform

    def validate(self, form: Mapping[str, str], proof: BindingProof) -> LaunchContext:
        id_token = form.get("id_token") or ""
        state = form.get("state") or ""
        if not id_token:
            error = form.get("error")
            if error:
                description = form.get("error_description") or ""
                raise _refuse("platform-error", f"the LMS refused the login: {error} "
                              f"{description}".strip(),
                              "The LMS could not authenticate the user for this tool; check "
                              "the tool's redirect URI and that the user is signed in.")
            raise _refuse("id-token", "the launch has no id_token",
                          "The launch URL must be opened by the LMS, not directly.")
        if len(id_token) > MAX_ID_TOKEN_LENGTH:
            raise _refuse("id-token-format", "the id_token is too large", status=413)
        launch, header, body = self._parse(id_token, state)
        if header.get("alg") != "RS256":
            raise _refuse("alg", f"the id_token is signed with {header.get('alg')!r}; only "
                          "RS256 is accepted", "The platform must sign id_tokens with RS256.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _refuse("kid", "the id_token header has no kid (key id)")
        platform = self._platform(body)  # stricter than pylti1p3's lookup: iss and aud

        login = self._login_state(state, platform)
        claims = self._verify_signature(id_token, body, platform, kid)
        self._check_audience(claims, platform)
        if claims.get("nonce") != login.nonce:
            raise _refuse("nonce", "the id_token's nonce is not the one issued at login",
                          "The launch does not belong to the login that started it.")
        target = claims.get("https://purl.imsglobal.org/spec/lti/claim/target_link_uri")
        if target != login.target_link_uri:
            raise _refuse("target-link-uri", f"target_link_uri {target!r} differs from the one "
                          f"the login named ({login.target_link_uri})")
        message_type = check_required_claims(claims)
        try:
            launch.validate_message()
        except LtiException as exc:
            raise _refuse("claims", f"message validation failed: {exc}") from exc
        self._check_binding(state, login, proof, platform)
        self._consume(platform, login.nonce)
        deployment_pk = PlatformRegistry(self.session).deployment_for_launch(
            platform, str(claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"])
        )
        context = build_launch_context(
            claims, launch_id=str(uuid.uuid4()), platform_id=platform.id,
            client_id=platform.client_id, deployment_pk=deployment_pk,
        )
        recorded = LaunchRecorder(self.session).record(context)
        log.info("launch %s accepted: %s %s as %s on platform %s", recorded.launch_id,
                 message_type, recorded.user.sub, recorded.role, platform.id)
        return recorded

    def _login_state(self, state: str, platform: PlatformInfo) -> LoginState:
        login = self.states.read(state)
        if login.platform_id != platform.id:
            raise _refuse("state", "the launch's state was issued for another platform",
                          "Start the launch again from the LMS.")
        return login

    def _verify_signature(self, id_token: str, body: dict[str, Any], platform: PlatformInfo,
                          kid: str) -> dict[str, Any]:
        key = self.keys.key_for(platform.key_set_url, kid)
        verify_signature(id_token, key.key)
        check_registered_claims(body, issuer=platform.issuer, client_id=platform.client_id,
                                leeway=self.settings.jwt_leeway)
        return body

    @staticmethod
    def _check_audience(claims: Mapping[str, Any], platform: PlatformInfo) -> None:
        aud = claims.get("aud")
        azp = claims.get("azp")
        if isinstance(aud, list) and len(aud) > 1:
            extra = [a for a in aud if a != platform.client_id]
            raise _refuse("aud", f"the id_token names untrusted extra audiences {extra}",
                          "The platform must address the id_token to this tool only.", 403)
        if azp is not None and azp != platform.client_id:
            raise _refuse("azp", f"the id_token's azp {azp!r} is not this tool's client id",
                          status=403)

    def _check_binding(self, state: str, login: LoginState, proof: BindingProof,
                       platform: PlatformInfo) -> None:
        fingerprint = state_fingerprint(state)
        if proof.state_cookie and proof.state_cookie == fingerprint:
            return
        if self.session.get(UsedNonce, (platform.id, login.nonce)) is not None:
            raise _refuse("nonce", "this launch has already been used (a replayed id_token "
                          "or state)", "Start the launch again from the LMS.")
        if login.storage_target is not None:
            if proof.platform_storage_state is None:
                raise NeedsPlatformStorage()
            if proof.platform_storage_state == fingerprint:
                return
            raise _refuse("state", "the state kept in the LMS's storage for this browser does "
                          "not match the launch", "Start the launch again from the LMS.")
        raise NeedsNewWindow(state)

    def _consume(self, platform: PlatformInfo, nonce: str) -> None:
        """Record the nonce: its primary key makes a second use fail, on every worker."""
        connection = self.session.connection()  # the request's transaction
        try:
            _RECORD_NONCE.execute(connection, {"platform_id": platform.id, "nonce": nonce,
                                               "used_at": utcnow()})
        except IntegrityError as exc:
            raise _refuse("nonce", "this launch has already been used (a replayed id_token "
                          "or state)", "Start the launch again from the LMS.") from exc
        if random.random() < PRUNE_RATE:
            connection.execute(delete(_NONCES).where(
                _NONCES.c.used_at < utcnow() - NONCE_MEMORY))
