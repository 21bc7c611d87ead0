"""The platform registry: LMS registrations and their deployments, in the database.

A new registration takes effect at once: lookups that miss go to the database. The
launch path keeps what it found in a small per-process snapshot for
``SNAPSHOT_SECONDS``, so a change to an existing registration (disabled, new URLs)
reaches every worker within that time; the process that made it sees it at once.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any
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
SNAPSHOT_SECONDS = 10.0


@dataclass(frozen=True)
class PlatformInfo:
    """A registration as the launch path needs it: plain data, safe to keep between requests."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    key_set_url: str
    deployment_policy: str
    active: bool

    @classmethod
    def of(cls, platform: Platform) -> PlatformInfo:
        return cls(id=platform.id, issuer=platform.issuer, client_id=platform.client_id,
                   auth_login_url=platform.auth_login_url, key_set_url=platform.key_set_url,
                   deployment_policy=platform.deployment_policy, active=platform.active)


class _Snapshots:
    """Positive lookups only, per process, for a few seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._platforms: dict[tuple[str, str], tuple[float, PlatformInfo]] = {}
        self._deployments: dict[tuple[int, str], tuple[float, int]] = {}

    def platform(self, issuer: str, client_id: str) -> PlatformInfo | None:
        hit = self._platforms.get((issuer, client_id))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def deployment(self, platform_id: int, deployment_id: str) -> int | None:
        hit = self._deployments.get((platform_id, deployment_id))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def keep_platform(self, info: PlatformInfo) -> None:
        with self._lock:
            self._platforms[(info.issuer, info.client_id)] = (
                time.monotonic() + SNAPSHOT_SECONDS, info)

    def keep_deployment(self, platform_id: int, deployment_id: str, pk: int) -> None:
        with self._lock:
            self._deployments[(platform_id, deployment_id)] = (
                time.monotonic() + SNAPSHOT_SECONDS, pk)

    def clear(self) -> None:
        with self._lock:
            self._platforms.clear()
            self._deployments.clear()


_by_engine: weakref.WeakKeyDictionary[Any, _Snapshots] = weakref.WeakKeyDictionary()


def snapshots_for(session: Session) -> _Snapshots:
    """The snapshots of the database this session talks to (one set per engine, also for
    a session bound to one of the engine's connections, as a request's is)."""
    engine = session.get_bind().engine
    found = _by_engine.get(engine)
    if found is None:
        found = _by_engine.setdefault(engine, _Snapshots())
    return found


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
        snapshots_for(self.session).clear()
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
        snapshots_for(self.session).clear()
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

    def info(self, issuer: str, client_id: str) -> PlatformInfo | None:
        """The registration for a launch, from the snapshot or the database."""
        cached = snapshots_for(self.session).platform(issuer, client_id)
        if cached is not None:
            return cached
        platform = self.find(issuer, client_id)
        if platform is None:
            return None
        info = PlatformInfo.of(platform)
        snapshots_for(self.session).keep_platform(info)
        return info

    def find(self, issuer: str, client_id: str) -> Platform | None:
        return self.session.scalar(
            select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
        )

    def for_login(self, issuer: str, client_id: str | None) -> PlatformInfo:
        """The registration a login initiation names; unique by issuer when no client_id."""
        if client_id:
            info = self.info(issuer, client_id)
            if info is None:
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
            info = PlatformInfo.of(candidates[0])
        if not info.active:
            raise LoginError(f"the registration for {issuer} is disabled", check="registration",
                             status=403)
        return info

    def deployment_for_launch(self, platform: PlatformInfo, deployment_id: str) -> int:
        """The deployment of a launch (its primary key): known, or recorded under the
        accept-new policy."""
        cached = snapshots_for(self.session).deployment(platform.id, deployment_id)
        if cached is not None:
            return cached
        pk = self.session.scalar(
            select(Deployment.id).where(Deployment.platform_id == platform.id,
                                        Deployment.deployment_id == deployment_id)
        )
        if pk is None:
            if platform.deployment_policy != DEPLOYMENT_POLICY_ACCEPT_NEW:
                raise LaunchError(
                    f"deployment {deployment_id!r} is not registered for this platform",
                    check="deployment",
                    hint="Add the deployment id with `leadership-pods platforms add "
                         "--deployment-id` or switch the registration to the accept-new "
                         "deployment policy.",
                    status=403,
                )
            log.info("recording new deployment %s for platform %s", deployment_id, platform.id)
            row = self.get(platform.id)
            pk = self.add_deployment(row, deployment_id, auto_recorded=True).id
        snapshots_for(self.session).keep_deployment(platform.id, deployment_id, pk)
        return pk
