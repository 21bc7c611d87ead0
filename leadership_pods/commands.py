"""The operator commands, registered on the app's CLI by the app factory."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from flask import Flask
from flask.cli import with_appcontext
from werkzeug.serving import make_server

from .config.migrate import upgrade
from .web.scope import database, settings

log = logging.getLogger(__name__)


def prepare_database() -> None:
    """Migrate to the newest schema and make sure the tool has a signing key."""
    from .lti_tool.keys import ToolKeyService
    from .web.scope import key_cipher

    upgrade(database().engine)
    with database().transaction() as session:
        ToolKeyService(session, key_cipher()).ensure_key()


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply migrations (Alembic) up to the newest schema."""
    prepare_database()
    click.echo("database is at the newest schema")


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the tool with the development server (see the README for production)."""
    from flask import current_app

    cfg = settings()
    if cfg.demo:
        prepare_database()
        from .demo.seed import seed_demo_platform

        with database().transaction() as session:
            seed_demo_platform(session, cfg)
        click.echo(f"Leadership Pods demo: open {cfg.base_url}/ in a browser")
    expected = f":{port}"
    if not cfg.base_url.rstrip("/").endswith(expected):
        click.echo(f"warning: LEADERSHIP_PODS_BASE_URL is {cfg.base_url}, but the server "
                   f"listens on port {port}; LMS launches use the base URL", err=True)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit) as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: the port is in use or "
                                   "not allowed") from exc
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    log.info("serving on http://%s:%d", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        database().dispose()
        log.info("server stopped")


def register_commands(app: Flask) -> None:
    from .lti_tool.cli import keys_group, platforms_group
    from .passport_sync.cli import worker_command
    from .pods.cli import pods_group

    for command in (run_command, db_group, platforms_group, keys_group, pods_group, worker_command):
        app.cli.add_command(command)
