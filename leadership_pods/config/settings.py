"""Settings read once from the environment into a frozen dataclass.

Every name a deployment sets lives here (see INTERFACES.md). Overrides passed to the
app factory (tests, the demo) win over the environment.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

log = logging.getLogger(__name__)

PREFIX = "LEADERSHIP_PODS_"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Settings:
    """The tool's configuration; build it with :func:`load_settings`."""

    instance_path: Path
    database_url: str
    secret_key: str
    base_url: str = DEFAULT_BASE_URL
    debug: bool = False
    testing: bool = False
    #: the embedded default: SQLite, demo platform seeded, migrations applied on `run`
    demo: bool = False
    #: seconds of clock skew tolerated on id_token `exp`/`iat`
    jwt_leeway: int = 60
    #: seconds a login state (and its nonce) may wait for its launch
    login_state_ttl: int = 600
    #: seconds a launch token carried by the tool's pages stays valid
    launch_token_ttl: int = 3 * 3600
    #: JWKS cache lifetime bounds when honouring the platform's Cache-Control
    jwks_min_ttl: int = 300
    jwks_max_ttl: int = 24 * 3600
    #: seconds between forced JWKS refetches for an unknown kid, per key set URL
    jwks_refetch_interval: int = 60
    #: seconds for any outbound HTTP call to a platform
    http_timeout: float = 10.0
    #: trust this many proxies' X-Forwarded-* headers (0 = none)
    proxy_count: int = 0
    passport_webhook_url: str | None = None
    passport_webhook_secret: str | None = None
    #: folder of institution-provided pod packages, in addition to the built-in ones
    extra_pods_path: Path | None = None
    #: key that encrypts tool private keys at rest; derived from secret_key when unset
    key_encryption_key: str | None = None
    max_request_bytes: int = 2 * 1024 * 1024
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def launch_url(self) -> str:
        return self.base_url.rstrip("/") + "/lti/launch"


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style ``postgres://`` and pick the psycopg 3 driver for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _instance_secret(instance_path: Path) -> str:
    """The embedded default's signing key, generated once into ``instance/``."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    log.info("generated a secret key for the embedded default at %s", path)
    return key


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the environment (and overrides) into :class:`Settings`.

    Outside debug, testing and the embedded default, a missing ``SECRET_KEY`` stops
    start-up with a clear message.
    """
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    instance_path = Path(
        overrides.pop("instance_path", None) or env.get(PREFIX + "INSTANCE_PATH") or "instance"
    ).resolve()
    debug = _bool(env.get(PREFIX + "DEBUG")) or _bool(env.get("FLASK_DEBUG"))
    testing = bool(overrides.get("testing", False))
    env_db = env.get("DATABASE_URL")
    demo_default = not env_db
    demo = bool(overrides.get("demo", _bool(env.get(PREFIX + "DEMO", "1" if demo_default else "0"))))
    database_url = overrides.pop("database_url", None) or env_db or (
        "sqlite:///" + str(instance_path / "leadership_pods.sqlite3")
    )
    secret_key = overrides.pop("secret_key", None) or env.get("SECRET_KEY")
    if not secret_key:
        if demo and not env_db:
            secret_key = _instance_secret(instance_path)
        elif debug or testing:
            secret_key = secrets.token_urlsafe(32)
        else:
            raise ConfigurationError(
                "SECRET_KEY is not set: set it to a long random string "
                "(for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
    extra_pods = env.get(PREFIX + "PODS_PATH")
    values: dict[str, Any] = {
        "instance_path": instance_path,
        "database_url": normalise_database_url(database_url),
        "secret_key": secret_key,
        "base_url": (env.get(PREFIX + "BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        "debug": debug,
        "demo": demo,
        "passport_webhook_url": env.get(PREFIX + "PASSPORT_WEBHOOK_URL") or None,
        "passport_webhook_secret": env.get(PREFIX + "PASSPORT_WEBHOOK_SECRET") or None,
        "extra_pods_path": Path(extra_pods) if extra_pods else None,
        "key_encryption_key": env.get(PREFIX + "KEY_ENCRYPTION_KEY") or None,
    }
    for name, kind in (
        ("jwt_leeway", int),
        ("login_state_ttl", int),
        ("launch_token_ttl", int),
        ("proxy_count", int),
        ("http_timeout", float),
    ):
        raw = env.get(PREFIX + name.upper())
        if raw:
            try:
                values[name] = kind(raw)
            except ValueError as exc:
                raise ConfigurationError(f"{PREFIX}{name.upper()} must be a number") from exc
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigurationError(f"unknown settings: {', '.join(sorted(unknown))}")
    settings = Settings(**values)
    return replace(settings, **overrides)
