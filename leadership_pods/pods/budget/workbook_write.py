"""'Download as Excel': the scenario and the resident's plan as a real ``.xlsx``.

``Inputs`` holds one row per lever with its three input cells unlocked (the value, with a
data validation of the allowed range and an input message; recurring or one-time, from a
list; the justification). ``Service line`` holds every computed cell as a live formula
(:mod:`.workbook_formulas`). Every sheet is protected, the structure is locked, and a hidden
sheet marks the workbook as ours (:mod:`.workbook_layout`). openpyxl writes no cached values,
so Excel and LibreOffice compute every formula when the file is opened.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .plan import Plan, validate_plan
from .scenario import Lever, Scenario
from .workbook_formulas import service_line_cells
from .workbook_layout import (
    FIRST_INPUT_ROW,
    HEADER_ROW,
    INPUT_HEADERS,
    INPUTS_SHEET,
    JUSTIFICATION_COLUMN,
    MARKER_KEYS,
    MARKER_SHEET,
    NATURE_COLUMN,
    ONE_TIME,
    RECURRING,
    SERVICE_LINE_SHEET,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    VALUE_COLUMN,
    Cell,
    cell_map,
    input_row,
    last_input_row,
    value_ref,
)

log = logging.getLogger(__name__)

MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
FORMATS = {"money": MONEY, "pct": '0.00"%";[Red]-0.00"%"', "fte": "#,##0.0##",
           "count": "#,##0", "quality": "0.00", "tier": "0"}
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_INPUT_WIDTHS = {"A": 50, "B": 22, "C": 34, "D": 12, "E": 20, "F": 70, "G": 28, "H": 90}
_SHEET_WIDTHS = {"A": 64, **{c: 17 for c in "BCDEFGHI"}, "J": 30}
_PROMPT = 255    # Excel's limit on an input or error message
_TITLE = 32      # and on its title


def export_workbook(scenario: Scenario, plan: Plan) -> bytes:
    """The ``.xlsx`` bytes of ``scenario`` with ``plan`` in its input cells."""
    validate_plan(scenario, plan)
    wb = Workbook()
    inputs = wb.active
    assert inputs is not None
    inputs.title = INPUTS_SHEET
    service = wb.create_sheet(SERVICE_LINE_SHEET)
    marker = wb.create_sheet(MARKER_SHEET)
    refs = {lever.id: value_ref(scenario, lever.id) for lever in scenario.levers}
    _write_inputs(inputs, scenario, plan)
    _write_service_line(service, scenario, service_line_cells(scenario, refs))
    _write_marker(marker, scenario)
    for ws in (inputs, service, marker):
        ws.protection.sheet = True
        ws.protection.formatColumns = False   # resizing a column is harmless
        ws.protection.formatRows = False
    marker.sheet_state = "hidden"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = f"{scenario.title} ({scenario.institution})"
    wb.properties.creator = "Leadership Pods"
    buffer = BytesIO()
    wb.save(buffer)
    log.info("exported the %s workbook with %d lever(s) changed", scenario.id,
             len(plan.changed_levers()))
    return buffer.getvalue()


def allowed(lever: Lever) -> str:
    """``-8 to 4 FTE, in steps of 0.1``."""
    return f"{lever.minimum:f} to {lever.maximum:f} {lever.unit}, in steps of {lever.step:f}"


def _text(ws: Worksheet, address: str, text: str) -> None:
    """Text stays text, even when it starts with ``=``: never a formula in the download."""
    cell = ws[address]
    cell.value = text
    cell.data_type = "s"


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _write_inputs(ws: Worksheet, scenario: Scenario, plan: Plan) -> None:
    cells = cell_map(scenario)
    margin = f"'{SERVICE_LINE_SHEET}'!{cells['total:operating_margin']}"
    gap = f"'{SERVICE_LINE_SHEET}'!{cells['total:margin_vs_target']}"
    _text(ws, "A1", f"{scenario.title}: your inputs")
    ws["A1"].font = Font(bold=True, size=14)
    _text(ws, "A2", f"{scenario.institution}. Scenario: {scenario.id}.")
    _text(ws, "A3", "Operating margin with these inputs (details on the Service line sheet)")
    ws["D3"] = f"={margin}"
    _text(ws, "E3", "Margin vs target")
    ws["F3"] = f"={gap}"
    for address in ("D3", "F3"):
        ws[address].number_format = MONEY
        ws[address].font = Font(bold=True)
    _text(ws, "A4", "Change only the yellow cells: a value within the allowed range, "
                    "recurring or one-time, and your justification. Upload the file to see "
                    "the differences before they are applied.")
    for column, header in enumerate(INPUT_HEADERS, start=1):
        cell = ws.cell(HEADER_ROW, column, header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    nature = DataValidation(type="list", formula1=f'"{RECURRING},{ONE_TIME}"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Recurring or one-time",
                            error=f"Choose {RECURRING} or {ONE_TIME}, or leave it blank.")
    nature.add(f"E{FIRST_INPUT_ROW}:E{last_input_row(scenario)}")
    ws.add_data_validation(nature)
    for lever in scenario.levers:
        row = input_row(scenario, lever.id)
        change = plan.changes.get(lever.id)
        for column, text in ((1, lever.label), (2, lever.unit), (3, allowed(lever)),
                             (7, lever.id), (8, lever.help)):
            _text(ws, f"{chr(64 + column)}{row}", text)
        value = ws.cell(row, VALUE_COLUMN, _number(plan.value(lever.id)))
        value.number_format = "0" if lever.step % 1 == 0 else "0.0##"
        if change is not None and change.recurring is not None:
            _text(ws, f"E{row}", RECURRING if change.recurring else ONE_TIME)
        if change is not None and change.justification:
            _text(ws, f"F{row}", change.justification)
        for column in (VALUE_COLUMN, NATURE_COLUMN, JUSTIFICATION_COLUMN):
            cell = ws.cell(row, column)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
        for column in range(1, len(INPUT_HEADERS) + 1):
            ws.cell(row, column).alignment = Alignment(wrap_text=column in (1, 6, 8),
                                                       vertical="top")
        ws.add_data_validation(_value_validation(lever, f"D{row}"))
    for letter, width in _INPUT_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{FIRST_INPUT_ROW}"


def _value_validation(lever: Lever, address: str) -> DataValidation:
    whole = all(x == x.to_integral_value() for x in (lever.minimum, lever.maximum, lever.step))
    rule = allowed(lever)
    validation = DataValidation(
        type="whole" if whole else "decimal", operator="between",
        formula1=f"{lever.minimum:f}", formula2=f"{lever.maximum:f}", allow_blank=True,
        showInputMessage=True, promptTitle=lever.id[:_TITLE],
        prompt=f"Allowed: {rule}. {lever.help}"[:_PROMPT],
        showErrorMessage=True, errorTitle="Not allowed",
        error=f"{lever.label}: allowed {rule}."[:_PROMPT])
    validation.add(address)
    return validation


def _write_service_line(ws: Worksheet, scenario: Scenario, cells: dict[str, Cell]) -> None:
    _text(ws, "A1", f"{scenario.title}: the service line")
    ws["A1"].font = Font(bold=True, size=14)
    _text(ws, "A2", f"{scenario.institution}. Scenario: {scenario.id}.")
    _text(ws, "A3", "Every number here is a formula of the Inputs sheet and is protected; "
                    "change the inputs to see the effect.")
    for address, cell in cells.items():
        target = ws[address]
        if isinstance(cell.value, str) and not cell.value.startswith("="):
            _text(ws, address, cell.value)
        else:
            target.value = _number(cell.value) if isinstance(cell.value, Decimal) else cell.value
        if cell.style in FORMATS:
            target.number_format = FORMATS[cell.style]
        elif cell.style == "title":
            target.font = Font(bold=True, size=12)
        elif cell.style == "header":
            target.font = Font(bold=True)
            target.fill = _HEADER_FILL
            target.alignment = Alignment(wrap_text=True)
        elif cell.style == "id":
            target.font = Font(color="808080", size=9)
    for letter, width in _SHEET_WIDTHS.items():
        ws.column_dimensions[letter].width = width


def _write_marker(ws: Worksheet, scenario: Scenario) -> None:
    values: tuple[str | int, ...] = (TEMPLATE_ID, TEMPLATE_VERSION, scenario.id,
                                     len(scenario.levers))
    for row, (key, value) in enumerate(zip(MARKER_KEYS, values, strict=True), start=1):
        _text(ws, f"A{row}", key)
        if isinstance(value, str):
            _text(ws, f"B{row}", value)
        else:
            ws[f"B{row}"] = value
