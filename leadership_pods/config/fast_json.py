"""JSON for the hot paths: orjson, with the standard library behind it for what orjson
does not take.

Used by the app's JSON provider (request bodies, JSON responses) and by the database's JSON
columns (a pod attempt's answers are read and written on every autosave). orjson is several
times faster than :mod:`json` in both directions; its output is compact UTF-8. What it
refuses -- integers beyond 64 bits, non-string keys, types it does not know -- goes to
:mod:`json` as before, and text it cannot parse is parsed by :mod:`json` too, so what is
accepted and how errors read is unchanged (a number too large for 64 bits is read as a
float, as JavaScript reads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


def dumps_bytes(obj: Any, default: Callable[[Any], Any] | None = None, *,
                sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``obj``; ``default`` for types neither library knows."""
    option = orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(obj, default=default, option=option)
    except TypeError:
        return json.dumps(obj, default=default, sort_keys=sort_keys, ensure_ascii=False,
                          separators=(",", ":")).encode()


def dumps(obj: Any) -> str:
    """Compact JSON text of ``obj`` (the database's JSON columns)."""
    return dumps_bytes(obj).decode()


def loads(text: str | bytes | bytearray) -> Any:
    """The value of a JSON text; raises :class:`ValueError` (``json.JSONDecodeError``) for
    text that is not JSON, with the standard library's message."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
