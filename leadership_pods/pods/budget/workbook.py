"""The workbook round trip: 'Download as Excel' and 'Upload'.

* :func:`export_workbook` -- the scenario with the resident's plan as a real ``.xlsx``:
  unlocked, validated input cells and live, protected formulas for everything computed
  (:mod:`.workbook_write`, :mod:`.workbook_formulas`);
* :func:`read_workbook` -- the plan in an uploaded workbook of our template: only the input
  cells are read, cached values are ignored and the plan is recomputed by the model. Anything
  not ours, malformed, tampered or hostile raises :class:`WorkbookError` with one plain
  sentence (:mod:`.workbook_guard`, :mod:`.workbook_read`); nothing of the attempt changes,
  because nothing here touches it;
* :func:`plan_differences` -- what applying the uploaded plan would change, for the page
  that shows the differences before applying them.

An empty value cell means 0 (unchanged). A lever at 0 with no justification and no
recurring label is not stored in the plan, as in the web grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import InvalidPlan, UnsafePlan
from .model import evaluate
from .plan import LeverChange, Plan, validate_plan
from .scenario import Lever, Scenario
from .workbook_guard import FRESH
from .workbook_layout import (
    FIRST_INPUT_ROW,
    MAX_CELL_TEXT,
    ONE_TIME,
    RECURRING,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    WorkbookError,
    last_input_row,
)
from .workbook_read import RawCell, read_raw
from .workbook_write import export_workbook

NOT_OURS = ("This is not a Leadership Pods budget workbook; upload the workbook you downloaded "
            "with 'Download as Excel'.")
_ONE_TIME_WORDS = {ONE_TIME, "one time", "one_time", "onetime"}


def read_workbook(data: bytes, scenario: Scenario, *, max_bytes: int = 2_000_000,
                  timeout: float = 5.0) -> Plan:
    """The plan in the uploaded workbook ``data``, checked against ``scenario`` and the model;
    raises :class:`WorkbookError` (status 400) with a sentence for the resident."""
    raw = read_raw(data, last_input_row(scenario), max_bytes=max_bytes, timeout=timeout)
    _check_marker(raw, scenario)
    rows: list[list[RawCell]] = raw["inputs"]
    changes: dict[str, LeverChange] = {}
    for index, lever in enumerate(scenario.levers):
        cells = rows[index] if index < len(rows) else []
        cells = cells + [["n", None]] * (4 - len(cells))
        value, nature, justification, lever_id = cells[:4]
        if lever_id[1] != lever.id:
            raise WorkbookError(f"The Inputs sheet has been rearranged: row "
                                f"{FIRST_INPUT_ROW + index} should hold the lever '{lever.id}'; "
                                f"{FRESH}.")
        change = LeverChange(_value(lever, value), _justification(lever, justification),
                             _recurring(lever, nature))
        if change.value != 0 or change.justification or change.recurring is not None:
            changes[lever.id] = change
    plan = Plan(changes)
    try:
        validate_plan(scenario, plan)
        evaluate(scenario, plan)
    except InvalidPlan as exc:
        raise WorkbookError(exc.message, getattr(exc, "lever_id", None)) from None
    except UnsafePlan as exc:
        raise WorkbookError(exc.message, exc.refusals[0].lever_id) from None
    return plan


def _check_marker(raw: dict[str, Any], scenario: Scenario) -> None:
    values = [value for _, value in raw["marker"]] + [None] * 4
    template, version, scenario_id, levers = values[:4]
    if template != TEMPLATE_ID or not raw["inputs"]:
        raise WorkbookError(NOT_OURS)
    if version != TEMPLATE_VERSION:
        raise WorkbookError(f"This workbook was made with an older or newer template "
                            f"(version {version}); {FRESH}.")
    if scenario_id != scenario.id:
        raise WorkbookError(f"This workbook is for another budget ('{scenario_id}'), not "
                            f"'{scenario.title}'; download this budget's workbook and enter "
                            "your changes there.")
    if levers != len(scenario.levers):
        raise WorkbookError(f"The workbook's list of levers has been changed; {FRESH}.")


def _named(lever: Lever) -> str:
    return f"{lever.label} ({lever.id})"


def _refuse_formula(lever: Lever, cell: RawCell, column: str) -> None:
    kind, value = cell
    if kind == "f":
        raise WorkbookError(f"{_named(lever)}: the {column} is a formula ({str(value)[:40]}); "
                            f"type {'a number' if column == 'value' else 'text'} instead.",
                            lever.id)
    if kind == "e":
        raise WorkbookError(f"{_named(lever)}: the {column} shows an error ({value}); type "
                            f"{'a number' if column == 'value' else 'text'} instead.", lever.id)
    if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
        raise WorkbookError(f"{_named(lever)}: the {column} is longer than a spreadsheet cell "
                            f"can hold; {FRESH}.", lever.id)


def _value(lever: Lever, cell: RawCell) -> Decimal:
    _refuse_formula(lever, cell, "value")
    kind, raw = cell
    if raw is None or raw == "":
        return Decimal(0)
    if isinstance(raw, str) and raw.strip().startswith("="):
        raise WorkbookError(f"{_named(lever)}: the value is a formula ({raw.strip()[:40]}); "
                            "type a number instead.", lever.id)
    if kind == "d":
        raise WorkbookError(f"{_named(lever)}: the value must be a number, not a date.",
                            lever.id)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise WorkbookError(f"{_named(lever)}: the value must be a number, not {raw!r}.",
                            lever.id)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise WorkbookError(f"{_named(lever)}: the value must be a finite number.", lever.id)
    try:
        value = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
    except InvalidOperation:
        raise WorkbookError(f"{_named(lever)}: the value must be a number, not "
                            f"'{str(raw)[:40]}'.", lever.id) from None
    if not value.is_finite():
        raise WorkbookError(f"{_named(lever)}: the value must be a finite number.", lever.id)
    return value


def _recurring(lever: Lever, cell: RawCell) -> bool | None:
    _refuse_formula(lever, cell, "recurring or one-time label")
    raw = cell[1]
    text = "" if raw is None else str(raw).strip().lower()
    if not text:
        return None
    if text == RECURRING:
        return True
    if text in _ONE_TIME_WORDS:
        return False
    raise WorkbookError(f"{_named(lever)}: '{str(raw)[:40]}' is not a label; choose "
                        f"{RECURRING} or {ONE_TIME}, or leave it blank.", lever.id)


def _justification(lever: Lever, cell: RawCell) -> str:
    _refuse_formula(lever, cell, "justification")
    raw = cell[1]
    if raw is None:
        return ""
    if isinstance(raw, float):
        raw = repr(raw).removesuffix(".0")
    return str(raw).strip()


@dataclass(frozen=True)
class Difference:
    """One lever that the uploaded plan changes: its value, justification or label.

    ``margin_before`` and ``margin_after`` are the operating margins of the whole plan before
    and after applying the upload (the same on every row), from :func:`~.model.evaluate`.
    """

    lever_id: str
    label: str
    unit: str
    old_value: Decimal
    new_value: Decimal
    old_justification: str
    new_justification: str
    old_recurring: bool | None
    new_recurring: bool | None
    margin_before: Decimal
    margin_after: Decimal

    @property
    def value_changed(self) -> bool:
        return self.old_value != self.new_value


def plan_differences(scenario: Scenario, before: Plan, after: Plan) -> list[Difference]:
    """The levers whose value, justification or recurring label differ, in lever order.

    Both plans must be valid and safe (an applied plan and a :func:`read_workbook` result
    are); otherwise the model's error propagates.
    """
    margin_before = evaluate(scenario, before).totals.operating_margin
    margin_after = evaluate(scenario, after).totals.operating_margin
    differences = []
    for lever in scenario.levers:
        old = before.changes.get(lever.id, LeverChange(Decimal(0)))
        new = after.changes.get(lever.id, LeverChange(Decimal(0)))
        if (old.value, old.justification, old.recurring) != \
                (new.value, new.justification, new.recurring):
            differences.append(Difference(
                lever.id, lever.label, lever.unit, old.value, new.value, old.justification,
                new.justification, old.recurring, new.recurring, margin_before, margin_after))
    return differences


__all__ = ["NOT_OURS", "TEMPLATE_ID", "TEMPLATE_VERSION", "Difference", "WorkbookError",
           "export_workbook", "plan_differences", "read_workbook"]
