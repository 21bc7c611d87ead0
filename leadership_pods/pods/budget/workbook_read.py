"""'Upload', the hostile part: from bytes to the raw input cells, under guard.

Only the input cells are read -- each lever's value, recurring or one-time, and justification
on the Inputs sheet, at their known addresses -- plus the hidden marker and the lever-id
column that prove the workbook is ours and unrearranged. Cached values of formula cells are
never read (``data_only=False``); :mod:`.workbook` recomputes the plan with the model.

The upload is hostile input, so:

1. :func:`~.workbook_guard.check_upload` runs first, in this process, on the zip's central
   directory and bounded reads: the size cap, the zip-bomb checks, no DTD or entity;
2. openpyxl parses in a **separate process** (:mod:`.workbook_worker`, a fresh ``python -I``)
   that is killed at the time limit. A thread cannot be stopped once the parser is busy; a
   process can, and a fresh interpreter inherits no locks or threads from the web server (a
   bare ``fork`` could) and needs no ``__main__`` guard in the caller (``spawn`` and
   ``forkserver`` would). It costs an interpreter start, about a quarter of a second, which
   counts towards ``timeout``. The worker also caps its address space
   (:data:`WORKER_MEMORY`);
3. the worker makes openpyxl parse through ``defusedxml`` (a dependency; openpyxl uses it
   when it is installed, ``openpyxl.xml.DEFUSEDXML``) and the standard library parser, and
   refuses to parse if it cannot -- so entity expansion and external entities are refused
   even by a file that slipped past the guard;
4. ``read_only=True`` streams the sheet and stops after the last input row, so a sheet of a
   million rows is never walked (and the size checks refuse it long before).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from .workbook_guard import DAMAGED, ENTITIES, check_upload
from .workbook_layout import (
    FIRST_INPUT_ROW,
    INPUTS_SHEET,
    LEVER_ID_COLUMN,
    MARKER_KEYS,
    MARKER_SHEET,
    MAX_CELL_TEXT,
    VALUE_COLUMN,
    WorkbookError,
)

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("workbook_worker.py")
WORKER_MEMORY = 1 << 30   #: address-space limit of the parsing process (1 GiB)

#: one cell as read: [openpyxl data type, value]; ``f`` is a formula, ``s`` text, ``n`` number
RawCell = list[Any]


def worker_request(last_row: int) -> dict[str, Any]:
    """What the worker reads: the marker, and the Inputs rows up to ``last_row``."""
    return {"marker_sheet": MARKER_SHEET, "marker_rows": len(MARKER_KEYS),
            "inputs_sheet": INPUTS_SHEET, "first_row": FIRST_INPUT_ROW, "last_row": last_row,
            "first_col": VALUE_COLUMN, "last_col": LEVER_ID_COLUMN, "max_text": MAX_CELL_TEXT,
            "memory": WORKER_MEMORY}


def parse_in_worker(data: bytes, last_row: int, timeout: float) -> dict[str, Any]:
    """The worker's cells, or :class:`WorkbookError` when it fails or overruns ``timeout``."""
    command = [sys.executable, "-I", str(WORKER), json.dumps(worker_request(last_row))]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout,  # noqa: S603
                              check=False, env={"LC_ALL": "C.UTF-8"})
    except subprocess.TimeoutExpired:
        log.warning("workbook parse killed after %gs", timeout)
        raise WorkbookError(f"This workbook took too long to read (over {timeout:g} seconds), "
                            "so it was refused; upload the workbook you downloaded with "
                            "'Download as Excel'.") from None
    try:
        answer: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        log.warning("the workbook parser failed (exit %s): %s", done.returncode,
                    done.stderr[-500:].decode(errors="replace"))
        raise WorkbookError(DAMAGED) from None
    if "ok" in answer:
        cells: dict[str, Any] = answer["ok"]
        return cells
    log.info("the workbook parser refused the file: %s (%s)", answer.get("error"),
             answer.get("name"))
    if answer.get("error") == "entities":
        raise WorkbookError(ENTITIES)
    if answer.get("error") == "unsafe_parser":
        log.error("defusedxml is not installed: workbook uploads are refused")
        raise WorkbookError("Workbook uploads are unavailable right now; please tell the "
                            "course administrator.")
    raise WorkbookError(DAMAGED)


def read_raw(data: bytes, last_row: int, *, max_bytes: int, timeout: float) -> dict[str, Any]:
    """The guards, then the parse: the raw input cells of an upload."""
    check_upload(data, max_bytes)
    return parse_in_worker(data, last_row, timeout)
