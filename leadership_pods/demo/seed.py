"""Registers the demo LMS with the tool on the embedded default (idempotent)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session

from ..config.settings import Settings
from ..lti_tool.models import PlatformKeySet
from ..lti_tool.registry import PlatformRegistry, PlatformSpec
from .platform import DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID, DemoPlatform, new_private_key_pem

log = logging.getLogger(__name__)


def demo_platform(settings: Settings) -> DemoPlatform:
    path: Path = settings.instance_path / "demo_platform_key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(new_private_key_pem())
        path.chmod(0o600)
    return DemoPlatform(issuer=settings.base_url + "/demo", tool_launch_url=settings.launch_url,
                        private_key_pem=path.read_bytes())


def seed_demo_platform(session: Session, settings: Settings) -> None:
    platform = demo_platform(settings)
    registry = PlatformRegistry(session)
    if registry.find(platform.issuer, DEMO_CLIENT_ID) is None:
        registry.add(PlatformSpec(
            issuer=platform.issuer, client_id=DEMO_CLIENT_ID, name="Demo LMS",
            auth_login_url=settings.base_url + "/demo/authorize",
            auth_token_url=settings.base_url + "/demo/token",
            key_set_url=settings.base_url + "/demo/jwks",
            deployment_ids=(DEMO_DEPLOYMENT_ID,), product_family="leadership-pods-demo",
        ))
        log.info("demo LMS registered as %s", platform.issuer)
    from datetime import timedelta

    from ..config.database import utcnow

    row = session.get(PlatformKeySet, settings.base_url + "/demo/jwks")
    if row is None:  # known up front, so the first launch needs no HTTP call to itself
        session.add(PlatformKeySet(key_set_url=settings.base_url + "/demo/jwks",
                                   keys=platform.jwks(), expires_at=utcnow() + timedelta(hours=1)))
    else:
        row.keys = platform.jwks()
    session.flush()
