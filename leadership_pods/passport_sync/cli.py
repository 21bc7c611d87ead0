"""``leadership-pods worker [--once]``: deliver the outbox (LMS grade passback, …)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect

from ..lti_tool.keys import SigningKey, ToolKeyService
from ..web.scope import database, http, key_cipher, settings
from .models import OutboxEvent
from .worker import Worker, make_worker

log = logging.getLogger(__name__)


def _signing_key_source() -> Callable[[], SigningKey]:
    db, cipher = database(), key_cipher()

    def signing_key() -> SigningKey:
        with db.transaction() as session:
            return ToolKeyService(session, cipher).signing_key()

    return signing_key


@contextmanager
def _stop_on_signals(worker: Worker) -> Iterator[None]:
    """SIGTERM and SIGINT stop the worker after the event in hand (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("outbox worker: %s received; stopping after the current event",
                 signal.Signals(signum).name)
        worker.stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("worker")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@click.option("--batch-size", default=10, show_default=True, type=click.IntRange(1, 500),
              help="events claimed at a time")
@click.option("--poll-interval", default=2.0, show_default=True,
              type=click.FloatRange(0.05, 300), help="seconds to idle when nothing is due")
@with_appcontext
def worker_command(once: bool, batch_size: int, poll_interval: float) -> None:
    """Deliver the outbox: LMS grade passback (and passport sync), with retries.

    Stops cleanly on SIGTERM or Ctrl-C, after the event it is delivering.
    """
    db = database()
    if not inspect(db.engine).has_table(OutboxEvent.__tablename__):
        raise click.ClickException("the database has no outbox yet: run "
                                   "`leadership-pods db upgrade` first")
    worker = make_worker(db, http(), _signing_key_source(), timeout=settings().http_timeout,
                         batch_size=batch_size)
    with _stop_on_signals(worker):
        if once:
            stats = worker.run_once()
        else:
            log.info("outbox worker started (polling every %gs)", poll_interval)
            stats = worker.run_forever(poll_interval=poll_interval)
    log.info("outbox worker stopped: %s", stats)
    click.echo(f"outbox: {stats}")
