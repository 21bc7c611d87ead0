"""The platform registry: LMS registrations and their deployments, in the database.

A registration takes effect at once (every lookup reads the database), so adding a
platform needs no restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .errors import LaunchError, LoginError, RegistrationError
from .models import (
    DEPLOYMENT_POLICY_ACCEPT_NEW,
    DEPLOYMENT_POLICY_STRICT,
    Deployment,
    Platform,
)

log = logging.getLogger(__name__)

POLICIES = (DEPLOYMENT_POLICY_STRICT, DEPLOYMENT_POLICY_ACCEPT_NEW)


@dataclass(frozen=True)
class PlatformSpec:
    """What an operator (or dynamic registration) gives to register an LMS."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = ()
    name: str | None = None
    auth_audience: str | None = None
    deployment_policy: str = DEPLOYMENT_POLICY_STRICT
    product_family: str | None = None


def check_url(label: str, url: str) -> list[str]:
    """Errors for a registration URL; plain http is allowed, with a warning returned."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistrationError(f"{label} must be an absolute http(s) URL, got {url!r}")
    if parts.scheme == "http":
        return [f"{label} uses plain http:// ({url}); use https:// for a real LMS"]
    return []


class PlatformRegistry:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, spec: PlatformSpec) -> tuple[Platform, list[str]]:
        """Register an LMS; returns the platform and any warnings (plain http URLs)."""
        warnings: list[str] = []
        if not spec.issuer.strip() or not spec.client_id.strip():
            raise RegistrationError("issuer and client id must not be empty")
        warnings += check_url("issuer", spec.issuer)
        for label, url in (("auth login URL", spec.auth_login_url),
                           ("auth token URL", spec.auth_token_url),
                           ("key set URL", spec.key_set_url)):
            warnings += check_url(label, url)
        if spec.deployment_policy not in POLICIES:
            raise RegistrationError(
                f"deployment policy must be one of {', '.join(POLICIES)}"
            )
        if self.find(spec.issuer, spec.client_id) is not None:
            raise RegistrationError(
                f"a platform with issuer {spec.issuer} and client id {spec.client_id} "
                "is already registered"
            )
        platform = Platform(
            name=spec.name or urlsplit(spec.issuer).netloc or spec.issuer,
            issuer=spec.issuer,
            client_id=spec.client_id,
            auth_login_url=spec.auth_login_url,
            auth_token_url=spec.auth_token_url,
            key_set_url=spec.key_set_url,
            auth_audience=spec.auth_audience,
            deployment_policy=spec.deployment_policy,
            product_family=spec.product_family,
        )
        self.session.add(platform)
        self.session.flush()
        for deployment_id in dict.fromkeys(spec.deployment_ids):
            self.add_deployment(platform, deployment_id)
        log.info("registered platform %s (%s, client %s)", platform.name, spec.issuer,
                 spec.client_id)
        return platform, warnings

    def add_deployment(self, platform: Platform, deployment_id: str, *,
                       auto_recorded: bool = False) -> Deployment:
        if not deployment_id.strip():
            raise RegistrationError("a deployment id must not be empty")
        deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id,
                                auto_recorded=auto_recorded)
        self.session.add(deployment)
        self.session.flush()
        return deployment

    def get(self, platform_id: int) -> Platform:
        platform = self.session.get(Platform, platform_id)
        if platform is None:
            raise LoginError("the registration of this launch no longer exists",
                             check="registration", status=404)
        return platform

    def list(self) -> list[Platform]:
        return list(self.session.scalars(
            select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)
        ))

    def find(self, issuer: str, client_id: str) -> Platform | None:
        return self.session.scalar(
            select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
        )

    def for_login(self, issuer: str, client_id: str | None) -> Platform:
        """The registration a login initiation names; unique by issuer when no client_id."""
        if client_id:
            platform = self.find(issuer, client_id)
            if platform is None:
                raise LoginError(
                    f"no registration for issuer {issuer} with client id {client_id}",
                    check="registration",
                    hint="Register the LMS with `leadership-pods platforms add` "
                         "(or dynamic registration) using this issuer and client id.",
                )
        else:
            candidates = list(self.session.scalars(
                select(Platform).where(Platform.issuer == issuer).limit(2)
            ))
            if not candidates:
                raise LoginError(
                    f"no registration for issuer {issuer}", check="registration",
                    hint="Register the LMS with `leadership-pods platforms add`.",
                )
            if len(candidates) > 1:
                raise LoginError(
                    f"issuer {issuer} has several registrations and the login did not say "
                    "which (no client_id)",
                    check="registration",
                    hint="Configure the LMS to send client_id in the login initiation.",
                )
            platform = candidates[0]
        if not platform.active:
            raise LoginError(f"the registration for {issuer} is disabled", check="registration",
                             status=403)
        return platform

    def deployment_for_launch(self, platform: Platform, deployment_id: str) -> Deployment:
        """The deployment of a launch: known, or recorded under the accept-new policy."""
        deployment = self.session.scalar(
            select(Deployment).where(Deployment.platform_id == platform.id,
                                     Deployment.deployment_id == deployment_id)
        )
        if deployment is not None:
            return deployment
        if platform.deployment_policy == DEPLOYMENT_POLICY_ACCEPT_NEW:
            log.info("recording new deployment %s for platform %s", deployment_id, platform.id)
            return self.add_deployment(platform, deployment_id, auto_recorded=True)
        raise LaunchError(
            f"deployment {deployment_id!r} is not registered for this platform",
            check="deployment",
            hint="Add the deployment id with `leadership-pods platforms add --deployment-id` "
                 "or switch the registration to the accept-new deployment policy.",
            status=403,
        )
