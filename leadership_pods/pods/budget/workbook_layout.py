"""Where things live in the budget workbook, shared by the writer and the reader.

The workbook has three sheets:

* ``Inputs`` -- one row per lever (in :attr:`Scenario.levers` order, from
  :data:`FIRST_INPUT_ROW`): label, unit, allowed range, then the three **input cells** the
  resident may change -- the value (column :data:`VALUE_COLUMN`), recurring or one-time
  (:data:`NATURE_COLUMN`) and the justification (:data:`JUSTIFICATION_COLUMN`) -- and the
  lever id (:data:`LEVER_ID_COLUMN`, locked) that the reader checks row by row.
* ``Service line`` -- every computed cell of :func:`~.model.evaluate` as a live formula
  (:mod:`.workbook_formulas`), in the sections of :func:`sections`; :func:`cell_map` names
  where each number lands (``"total:operating_margin" -> "B11"``).
* ``_leadership_pods`` -- hidden: the mark that the workbook is ours (:data:`TEMPLATE_ID`),
  the template version and the scenario id, one per row in columns A (key) and B (value).

Only the input cells are ever read back; everything else is recomputed by the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import BudgetError
from .scenario import Scenario

TEMPLATE_ID = "leadership-pods/budget-workbook"
TEMPLATE_VERSION = 1

INPUTS_SHEET = "Inputs"
SERVICE_LINE_SHEET = "Service line"
MARKER_SHEET = "_leadership_pods"

#: the marker sheet's keys, one per row from row 1 in column A; the values are in column B
MARKER_KEYS = ("template", "version", "scenario", "levers")

HEADER_ROW = 5
FIRST_INPUT_ROW = 6
#: Inputs columns, A to H
INPUT_HEADERS = ("Lever", "Unit", "Allowed", "Value", "Recurring or one-time", "Justification",
                 "Lever id", "About this lever")
VALUE_COLUMN = 4
NATURE_COLUMN = 5
JUSTIFICATION_COLUMN = 6
LEVER_ID_COLUMN = 7

RECURRING = "recurring"
ONE_TIME = "one-time"

#: the longest text a spreadsheet cell can hold; anything longer was not made by one
MAX_CELL_TEXT = 32_767


class WorkbookError(BudgetError):
    """An uploaded workbook cannot be read: not ours, malformed, tampered, hostile or holding
    a plan that is not allowed. ``message`` is one plain sentence for the resident; nothing
    of the attempt changes."""

    status = 400

    def __init__(self, message: str, lever_id: str | None = None) -> None:
        super().__init__(message)
        self.lever_id = lever_id


def input_row(scenario: Scenario, lever_id: str) -> int:
    """The Inputs row of a lever."""
    ids = [lever.id for lever in scenario.levers]
    return FIRST_INPUT_ROW + ids.index(lever_id)


def last_input_row(scenario: Scenario) -> int:
    return FIRST_INPUT_ROW + len(scenario.levers) - 1


def value_ref(scenario: Scenario, lever_id: str) -> str:
    """The absolute reference of a lever's value cell, for formulas on other sheets."""
    return f"{INPUTS_SHEET}!${chr(64 + VALUE_COLUMN)}${input_row(scenario, lever_id)}"


# -- the Service line sheet ------------------------------------------------------------------

#: the Totals fields in the summary, in order, with their labels
TOTALS = (
    ("revenue", "Net revenue"), ("variable_cost", "Variable cost (supplies)"),
    ("contribution_margin", "Contribution margin (net revenue - variable cost)"),
    ("fixed_cost", "Fixed and step-fixed cost"), ("total_cost", "Total cost"),
    ("operating_margin", "Operating margin (contribution margin - fixed cost)"),
    ("margin_pct", "Operating margin, % of net revenue"), ("margin_target", "Margin target"),
    ("margin_vs_target", "Margin vs target (negative: short of it)"),
    ("one_time_costs", "One-time costs in this year"),
    ("one_time_relief", "One-time relief in this year (deferrals)"),
    ("recurring_margin", "Recurring margin (one-time items taken out)"),
    ("meets_target", "Meets the target?"),
)


@dataclass(frozen=True)
class Cell:
    """One cell: a label, a constant or a formula (text starting with ``=``), and its style
    (``label``, ``text``, ``money``, ``pct``, ``fte``, ``count``, ``quality``, ``tier``,
    ``id``, ``title``, ``header``)."""

    value: str | Decimal | int
    style: str


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    kind: str            #: the row-key prefix: total, quality, revenue, cost, pool, staff, volume
    keys: tuple[str, ...]


def cost_line_ids(scenario: Scenario) -> tuple[str, ...]:
    """The cost lines in :func:`~.model.evaluate`'s order: supplies first (the variable cost),
    then the fixed and step-fixed lines."""
    return (*(r.supply_line_id for r in scenario.revenue_lines),
            *(s.id for s in scenario.staffing_lines), "cost.recruiting",
            *(h.cost_line_id for h in scenario.service_hours),
            *(i.cost_line_id for i in scenario.initiatives),
            *(c.cost_line_id for c in scenario.capital_items),
            *(f.id for f in scenario.fixed_costs))


def sections(scenario: Scenario) -> tuple[Section, ...]:
    return (
        Section("Summary", ("", "Amount"), "total", tuple(key for key, _ in TOTALS)),
        Section("Quality indicators (lower is better)",
                ("Indicator", "Unit", "Today", "This plan", "Floor", "Status"),
                "quality", tuple(i.id for i in scenario.indicators)),
        Section("Revenue lines", ("Line", "Volume", "Rate before cut", "Net revenue per unit",
                                  "Net revenue", "Supply tier", "Variable cost per unit",
                                  "Variable cost", "Contribution margin"),
                "revenue", tuple(r.id for r in scenario.revenue_lines)),
        Section("Cost lines", ("Line", "Behaviour", "Quantity", "Unit cost", "Amount",
                               "One-time cost", "One-time relief"), "cost",
                cost_line_ids(scenario)),
        Section("Staff pools (minimum safe staffing)",
                ("Pool", "Today FTE", "Plan FTE", "Minimum FTE", "Below today",
                 "Above today", "Safe staffing"), "pool", tuple(p.id for p in scenario.pools)),
        Section("Staffing lines (workings)", ("Line", "Today FTE", "Lever change",
                                              "Positions", "Paid FTE this year"),
                "staff", tuple(s.id for s in scenario.staffing_lines)),
        Section("Volume (workings)", ("Line", "Today", "Demand", "Capacity", "Planned volume",
                                      "Capacity note"), "volume",
                tuple(r.id for r in scenario.revenue_lines)),
    )


FIRST_SECTION_ROW = 5
ID_COLUMN = "J"


def row_numbers(scenario: Scenario) -> dict[str, int]:
    """``"kind:id" -> row`` for every row of the sheet: a title and a header row per section
    (``"title:kind"`` is the title's row), then its rows, then a blank row."""
    rows: dict[str, int] = {}
    row = FIRST_SECTION_ROW
    for section in sections(scenario):
        rows[f"title:{section.kind}"] = row
        row += 2
        for key in section.keys:
            rows[f"{section.kind}:{key}"] = row
            row += 1
        row += 1
    return rows


#: each named number: (row kind, column)
NAMES = {"total": ("total", "B"), "quality": ("quality", "D"), "status": ("quality", "F"),
         "volume": ("revenue", "B"), "net_rate": ("revenue", "D"), "revenue": ("revenue", "E"),
         "tier": ("revenue", "F"), "price": ("revenue", "G"),
         "variable_cost": ("revenue", "H"), "quantity": ("cost", "C"),
         "unit_cost": ("cost", "D"), "amount": ("cost", "E"), "one_time_cost": ("cost", "F"),
         "relief": ("cost", "G"), "baseline_fte": ("pool", "B"), "pool_fte": ("pool", "C"),
         "minimum_fte": ("pool", "D"), "deficit": ("pool", "E"), "surplus": ("pool", "F"),
         "safe": ("pool", "G"), "today_fte": ("staff", "B"), "change": ("staff", "C"),
         "positions": ("staff", "D"), "paid": ("staff", "E"), "baseline_volume": ("volume", "B"),
         "demand": ("volume", "C"), "capacity": ("volume", "D"), "planned": ("volume", "E"),
         "capacity_note": ("volume", "F")}


def cell_map(scenario: Scenario) -> dict[str, str]:
    """``"name:id" -> "E20"``: where each number is on the Service line sheet, for every
    name in :data:`NAMES` and every id of its row kind (``amount:cost.rn_agency``,
    ``total:operating_margin``, ``quality:d2b``, ``planned:rev.clinic``, ...)."""
    rows = row_numbers(scenario)
    cells: dict[str, str] = {}
    for name, (kind, column) in NAMES.items():
        for key, row in rows.items():
            if key.startswith(kind + ":"):
                cells[f"{name}:{key.split(':', 1)[1]}"] = f"{column}{row}"
    return cells
