"""The parsing process of an upload: ``python -I workbook_worker.py '<request json>'``.

Reads the ``.xlsx`` bytes from stdin and writes one JSON object to stdout: ``{"ok": cells}``
or ``{"error": kind, "name": exception class}`` (``kind``: ``entities``, ``malformed``,
``memory``, ``unsafe_parser``). Standalone on purpose -- it imports only the standard
library, openpyxl and defusedxml -- so it starts in a fresh, isolated interpreter that
:mod:`.workbook_read` can kill at its time limit. Before parsing it caps its own address
space (``memory`` in the request) and makes sure openpyxl parses through defusedxml (and the
standard library parser, not lxml), refusing to parse otherwise.

``cells``: the sheet names; the marker sheet's column B (``marker_rows`` rows); and for each
Inputs row from ``first_row`` to ``last_row`` the cells from ``first_col`` to ``last_col``,
each as ``[data type, value]`` (``f`` formula, ``s`` text, ``n`` number, ``b`` boolean,
``e`` error, ``d`` date as text); text is cut at ``max_text + 1`` characters.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any


def limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def safe_openpyxl() -> bool:
    """Import openpyxl with defusedxml and without lxml; True when that is what it uses."""
    os.environ["OPENPYXL_DEFUSEDXML"] = "True"
    os.environ["OPENPYXL_LXML"] = "False"
    import openpyxl.xml

    return bool(openpyxl.xml.DEFUSEDXML) and not openpyxl.xml.LXML


def _raw(cell: Any, max_text: int) -> list[Any]:
    value = getattr(cell, "value", None)
    if isinstance(value, datetime | date | time | timedelta):
        return ["d", str(value)]
    if isinstance(value, str):
        value = value[: max_text + 1]
    return [str(getattr(cell, "data_type", "n")), value]


def read_cells(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """Parse ``data`` (read-only, formulas as text, never cached values) and return the raw
    cells named in ``request``. Raises whatever the parser raises."""
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(data), read_only=True, data_only=False, keep_links=False,
                       keep_vba=False)
    try:
        sheets = list(wb.sheetnames)
        marker: list[list[Any]] = []
        inputs: list[list[list[Any]]] = []
        if request["marker_sheet"] in sheets:
            for row in wb[request["marker_sheet"]].iter_rows(
                    min_row=1, max_row=request["marker_rows"], min_col=2, max_col=2):
                marker.extend(_raw(cell, request["max_text"]) for cell in row)
        if request["inputs_sheet"] in sheets:
            for row in wb[request["inputs_sheet"]].iter_rows(
                    min_row=request["first_row"], max_row=request["last_row"],
                    min_col=request["first_col"], max_col=request["last_col"]):
                inputs.append([_raw(cell, request["max_text"]) for cell in row])
        return {"sheets": sheets, "marker": marker, "inputs": inputs}
    finally:
        wb.close()


def run(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """Everything but the process: limits, the parser check, the parse, the verdict."""
    limit_memory(int(request["memory"]))
    if not safe_openpyxl():
        return {"error": "unsafe_parser", "name": "defusedxml is not in use"}
    try:
        return {"ok": read_cells(data, request)}
    except MemoryError:
        return {"error": "memory", "name": "MemoryError"}
    except Exception as exc:  # noqa: BLE001 - every parser failure is a refusal
        kind = "entities" if defused(exc) else "malformed"
        return {"error": kind, "name": type(exc).__name__}


def defused(exc: BaseException | None) -> bool:
    """True when defusedxml refused the XML, even wrapped (openpyxl re-raises parse errors
    as ``ValueError`` from the original)."""
    from defusedxml import DefusedXmlException

    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def main() -> None:
    request = json.loads(sys.argv[1])
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(run(data, request)))


if __name__ == "__main__":
    main()
