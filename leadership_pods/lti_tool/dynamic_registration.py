"""LTI Dynamic Registration (1EdTech LTI-DR 1.0), the tool's side.

An LMS administrator gives the LMS the tool's registration URL. The LMS opens it with
``openid_configuration`` (the URL of the platform's *OpenID configuration*: issuer,
endpoints, and an ``lti-platform-configuration`` naming the product and the messages
it supports) and usually a ``registration_token`` (a short-lived bearer token for the
two calls that follow). The tool reads the configuration, posts its *client metadata*
(addresses, keys, services, messages and placements) to the platform's
``registration_endpoint``, and gets back a ``client_id`` and often a ``deployment_id``.
That pair, with the platform's endpoints, becomes a registration in the
:class:`~leadership_pods.lti_tool.registry.PlatformRegistry`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from .canvas_config import (
    CANVAS_EXTENSION,
    DEEP_LINKING_REQUEST,
    SERVICE_SCOPES,
    TOOL_CONFIGURATION,
    ToolUrls,
    client_metadata,
)
from .errors import RegistrationError
from .models import DEPLOYMENT_POLICY_ACCEPT_NEW, DEPLOYMENT_POLICY_STRICT, Deployment
from .registry import PlatformRegistry, PlatformSpec

log = logging.getLogger(__name__)

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY_BYTES = 1_000_000

START_HINT = ("Start the registration from the LMS (Canvas: Developer Keys, LTI Registration; "
              "Moodle: Manage tools, Tool URL) with this tool's /lti/register address; the LMS "
              "adds openid_configuration and registration_token itself.")
MANUAL_HINT = ("This LMS may not support LTI dynamic registration: register the tool by hand "
               "(`leadership-pods platforms add`, or /lti/canvas.json in Canvas).")
RETRY_HINT = ("Registration tokens are short-lived: start the registration again from the LMS. "
              "If it fails again, send this message to the tool's support.")


@dataclass(frozen=True)
class PlatformConfiguration:
    """What the tool needs from a platform's OpenID configuration."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str | None = None
    messages_supported: tuple[str, ...] = ()
    account_name: str | None = None

    @property
    def family(self) -> str:
        return (self.product_family_code or "").strip().lower()

    def supports(self, message_type: str) -> bool:
        """Whether the platform takes a message type (assumed when it lists none)."""
        return not self.messages_supported or message_type in self.messages_supported


@dataclass(frozen=True)
class RegistrationOutcome:
    """What a dynamic registration stored, for the page that reports it."""

    platform_id: int
    platform_name: str
    issuer: str
    client_id: str
    deployment_id: str | None
    deployment_policy: str
    product_family: str | None
    created: bool
    warnings: tuple[str, ...]


def shown(url: str) -> str:
    """A URL for pages and logs, without its query (Canvas puts the registration token there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def check_endpoint(label: str, url: object, *, allow_insecure: bool) -> str:
    """``url`` if it is an absolute https URL (plain http only for a loopback test LMS)."""
    if not isinstance(url, str) or not url.strip():
        raise RegistrationError(f"the LMS's OpenID configuration has no {label}",
                                hint=MANUAL_HINT)
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and allow_insecure and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise RegistrationError(
        f"the {label} {shown(url)!r} is not an https:// URL",
        hint="The LMS must be reached over https (plain http only for a test LMS on this "
             "machine); check the LMS's configured site address.",
    )


def issuer_matches(openid_configuration_url: str, issuer: str) -> bool:
    """LTI-DR: the configuration URL must start with the issuer (same scheme, host, port)."""
    config, iss = urlsplit(openid_configuration_url), urlsplit(issuer)
    try:
        same_origin = (config.scheme, config.hostname, config.port) == (
            iss.scheme, iss.hostname, iss.port)
    except ValueError:  # a malformed port
        return False
    prefix = iss.path.rstrip("/")
    return same_origin and (config.path == prefix or config.path.startswith(prefix + "/"))


def parse_platform_configuration(data: Mapping[str, Any], openid_configuration_url: str, *,
                                 allow_insecure: bool = False) -> PlatformConfiguration:
    """Check a platform's OpenID configuration and keep what registration needs."""
    issuer = check_endpoint("issuer", data.get("issuer"), allow_insecure=allow_insecure)
    if not issuer_matches(openid_configuration_url, issuer):
        raise RegistrationError(
            f"the OpenID configuration at {shown(openid_configuration_url)} names the issuer "
            f"{issuer}, but its address does not start with that issuer",
            hint="The LMS must publish its OpenID configuration under its own issuer URL; "
                 "check the LMS's site address (Moodle: wwwroot; Canvas: the lti_iss setting).",
        )
    endpoints = {
        name: check_endpoint(name, data.get(name), allow_insecure=allow_insecure)
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri",
                     "registration_endpoint")
    }
    lti = data.get(PLATFORM_CONFIGURATION)
    lti = lti if isinstance(lti, Mapping) else {}
    messages: list[str] = []
    for item in lti.get("messages_supported") or ():  # objects per the spec, strings in old Moodle
        kind = item.get("type") if isinstance(item, Mapping) else item
        if isinstance(kind, str):
            messages.append(kind)
    family = lti.get("product_family_code")
    account = lti.get(CANVAS_EXTENSION + "account_name")
    return PlatformConfiguration(
        issuer=issuer, **endpoints,
        product_family_code=family if isinstance(family, str) and family else None,
        messages_supported=tuple(messages),
        account_name=account if isinstance(account, str) and account else None,
    )


def _identifier(value: object) -> str | None:
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
        return str(value)
    return None


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return None


def _describe_refusal(body: bytes) -> str:
    """The platform's own words from an error body, short and on one line."""
    text, data = body.decode("utf-8", "replace"), _loads(body)
    if isinstance(data, Mapping):
        parts = [str(data[k]) for k in ("error", "error_description", "errorMessage", "message")
                 if data.get(k)]
        text = ": ".join(parts) or text
    text = " ".join(text.split())
    return (text[:300] + "…") if len(text) > 300 else text or "(no details)"


class DynamicRegistrationService:
    """Registers the tool with an LMS that started LTI Dynamic Registration."""

    def __init__(self, session: Session, http: requests.Session, urls: ToolUrls, *,
                 timeout: float, allow_insecure: bool = False) -> None:
        self.session = session
        self.http = http
        self.urls = urls
        self.timeout = timeout
        self.allow_insecure = allow_insecure

    def register(self, openid_configuration: str | None,
                 registration_token: str | None) -> RegistrationOutcome:
        if not openid_configuration:
            raise RegistrationError("the request has no openid_configuration parameter",
                                    hint=START_HINT)
        check_endpoint("openid_configuration URL", openid_configuration,
                       allow_insecure=self.allow_insecure)
        token = registration_token or None
        status, body = self._call("GET", openid_configuration, token=token,
                                  what="OpenID configuration")
        if status != 200:
            raise RegistrationError(
                f"the LMS's OpenID configuration at {shown(openid_configuration)} answered HTTP "
                f"{status}: {_describe_refusal(body)}", hint=RETRY_HINT)
        config = parse_platform_configuration(
            self._json(body, "OpenID configuration"), openid_configuration,
            allow_insecure=self.allow_insecure)
        status, body = self._call("POST", config.registration_endpoint, token=token,
                                  what="registration endpoint",
                                  payload=client_metadata(
                                      self.urls, config.family,
                                      deep_linking=config.supports(DEEP_LINKING_REQUEST)))
        if status not in (200, 201):
            raise RegistrationError(
                f"the LMS refused the registration (HTTP {status}): {_describe_refusal(body)}",
                hint=RETRY_HINT)
        return self._store(config, self._json(body, "registration response"))

    def _call(self, method: str, url: str, *, token: str | None, what: str,
              payload: Mapping[str, Any] | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            with self.http.request(method, url, headers=headers, json=payload, stream=True,
                                   timeout=self.timeout, allow_redirects=False) as response:
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise RegistrationError(
                            f"the LMS's {what} at {shown(url)} sent more than "
                            f"{MAX_BODY_BYTES // 1000} kB", hint=MANUAL_HINT)
                return response.status_code, bytes(body)
        except requests.Timeout as exc:
            reason = f"no answer within {self.timeout:g} seconds"
            raise self._unreachable(what, url, reason) from exc
        except requests.RequestException as exc:
            reason = "the connection failed (refused, or the name did not resolve)"
            raise self._unreachable(what, url, reason) from exc

    @staticmethod
    def _unreachable(what: str, url: str, reason: str) -> RegistrationError:
        return RegistrationError(
            f"could not reach the LMS's {what} at {shown(url)}: {reason}",
            hint="Check that this tool's server can reach the LMS (DNS, firewall, proxy), "
                 "then start the registration again from the LMS.")

    @staticmethod
    def _json(body: bytes, what: str) -> Mapping[str, Any]:
        data = _loads(body)
        if not isinstance(data, Mapping):
            raise RegistrationError(f"the LMS's {what} is not a JSON object", hint=MANUAL_HINT)
        return data

    def _store(self, config: PlatformConfiguration,
               response: Mapping[str, Any]) -> RegistrationOutcome:
        client_id = _identifier(response.get("client_id"))
        if client_id is None:
            raise RegistrationError("the LMS accepted the registration but sent no client_id",
                                    hint=RETRY_HINT)
        tool = response.get(TOOL_CONFIGURATION)
        deployment_id = _identifier(tool.get("deployment_id")) if isinstance(tool, Mapping) \
            else None
        warnings = self._scope_warnings(response.get("scope"))
        registry = PlatformRegistry(self.session)
        platform = registry.find(config.issuer, client_id)
        created = platform is None
        if platform is None:
            # Canvas makes a new deployment per course install; an LMS that named no
            # deployment will name it at the first launch.
            accept_new = config.family == "canvas" or deployment_id is None
            platform, registry_warnings = registry.add(PlatformSpec(
                issuer=config.issuer, client_id=client_id,
                auth_login_url=config.authorization_endpoint,
                auth_token_url=config.token_endpoint, key_set_url=config.jwks_uri,
                deployment_ids=(deployment_id,) if deployment_id else (),
                name=config.account_name or (f"{config.product_family_code.capitalize()} at "
                                             f"{urlsplit(config.issuer).netloc}"
                                             if config.product_family_code else None),
                deployment_policy=(DEPLOYMENT_POLICY_ACCEPT_NEW if accept_new
                                   else DEPLOYMENT_POLICY_STRICT),
                product_family=config.product_family_code,
            ))
            warnings += registry_warnings
        elif deployment_id and self.session.scalar(select(Deployment.id).where(
                Deployment.platform_id == platform.id,
                Deployment.deployment_id == deployment_id)) is None:
            registry.add_deployment(platform, deployment_id)
        log.info("dynamic registration: %s platform %s (%s, client %s, deployment %s)",
                 "registered" if created else "updated", platform.id, config.issuer,
                 client_id, deployment_id)
        return RegistrationOutcome(
            platform_id=platform.id, platform_name=platform.name, issuer=config.issuer,
            client_id=client_id, deployment_id=deployment_id,
            deployment_policy=platform.deployment_policy,
            product_family=config.product_family_code, created=created,
            warnings=tuple(warnings))

    @staticmethod
    def _scope_warnings(scope: object) -> list[str]:
        granted = set(scope.split()) if isinstance(scope, str) else set(SERVICE_SCOPES)
        missing = [s.rsplit("/", 1)[-1] for s in SERVICE_SCOPES if s not in granted]
        return [f"The LMS did not grant the service scopes {', '.join(missing)}: grade "
                "passback or the course roster may not work until an administrator allows "
                "them for this tool."] if missing else []
