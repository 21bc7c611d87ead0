"""Logging set up once per process: one line per record, launch ids included."""

from __future__ import annotations

import logging
import sys


def configure_logging(debug: bool = False) -> None:
    root = logging.getLogger()
    if getattr(configure_logging, "_done", False):
        root.setLevel(logging.DEBUG if debug else logging.INFO)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    if not root.handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    configure_logging._done = True  # type: ignore[attr-defined]
