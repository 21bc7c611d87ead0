"""'Download as Excel': the scenario and the resident's plan as a real ``.xlsx``.

``Inputs`` holds one row per lever with its three input cells unlocked (the value, with a
data validation of the allowed range and an input message; recurring or one-time, from a
list; the justification). ``Service line`` holds every computed cell as a live formula
(:mod:`.workbook_formulas`). Every sheet is protected, the structure is locked, and a hidden
sheet marks the workbook as ours (:mod:`.workbook_layout`). openpyxl writes no cached values,
so Excel and LibreOffice compute every formula when the file is opened.

Speed: what does not depend on the plan is worked out once per scenario -- the formulas,
their addresses and rows (:func:`_prepare`), and the written Service line sheet and
stylesheet, which later exports copy (:func:`_fixed_parts`) -- and each combination of cell
styles is registered once per workbook and copied to the other cells (:class:`_Styles`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import ARC_STYLE

from .coefficients import per_scenario
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
    cell_map,
    input_row,
    last_input_row,
    value_ref,
)

log = logging.getLogger(__name__)

#: the Service line sheet's part (the second sheet)
SERVICE_LINE_PART = "xl/worksheets/sheet2.xml"

MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
FORMATS = {"money": MONEY, "pct": '0.00"%";[Red]-0.00"%"', "fte": "#,##0.0##",
           "count": "#,##0", "quality": "0.00", "tier": "0"}
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_BOLD = Font(bold=True)
_UNLOCKED = Protection(locked=False)
_INPUT_WIDTHS = {"A": 50, "B": 22, "C": 34, "D": 12, "E": 20, "F": 70, "G": 28, "H": 90}
_SHEET_WIDTHS = {"A": 64, **{c: 17 for c in "BCDEFGHI"}, "J": 30}
_PROMPT = 255    # Excel's limit on an input or error message
_TITLE = 32      # and on its title

#: A cell's styles, as (cell attribute, value) pairs. Built once, here, and never mutated:
#: openpyxl keeps the style objects themselves in each workbook's style lists.
Look = tuple[tuple[str, object], ...]
_SHEET_TITLE: Look = (("font", Font(bold=True, size=14)),)
_TOTAL: Look = (("number_format", MONEY), ("font", _BOLD))
_INPUTS_HEADER: Look = (("font", _BOLD), ("fill", _HEADER_FILL))
_SERVICE_LINE: dict[str, Look] = {
    **{style: (("number_format", number_format),) for style, number_format in FORMATS.items()},
    "title": (("font", Font(bold=True, size=12)),),
    "header": (("font", _BOLD), ("fill", _HEADER_FILL), ("alignment", Alignment(wrap_text=True))),
    "id": (("font", Font(color="808080", size=9)),),
}


def _lever_row(value_format: str) -> tuple[Look, ...]:
    """The looks of an Inputs row's columns, from column A: every cell top-aligned, wrapped in
    the label, justification and help columns; the three input cells yellow and unlocked,
    the value cell with ``value_format``."""
    looks = []
    for column in range(1, len(INPUT_HEADERS) + 1):
        look: Look = (("alignment", Alignment(wrap_text=column in (1, 6, 8), vertical="top")),)
        if column in (VALUE_COLUMN, NATURE_COLUMN, JUSTIFICATION_COLUMN):
            look = (("protection", _UNLOCKED), ("fill", _INPUT_FILL), *look)
        if column == VALUE_COLUMN:
            look = (("number_format", value_format), *look)
        looks.append(look)
    return tuple(looks)


_WHOLE_LEVER_ROW = _lever_row("0")
_DECIMAL_LEVER_ROW = _lever_row("0.0##")


def export_workbook(scenario: Scenario, plan: Plan) -> bytes:
    """The ``.xlsx`` bytes of ``scenario`` with ``plan`` in its input cells."""
    validate_plan(scenario, plan)
    data = _write(scenario, plan, _fixed_parts(scenario))
    log.info("exported the %s workbook with %d lever(s) changed", scenario.id,
             len(plan.changed_levers()))
    return data


def _write(scenario: Scenario, plan: Plan, fixed: Mapping[str, bytes] | None) -> bytes:
    """The workbook's bytes. With ``fixed`` (:func:`_fixed_parts`), the Service line sheet
    is left empty in the workbook and its part, like the stylesheet's, is taken from
    ``fixed``; without, every part is written (what ``fixed`` is made from)."""
    wb = Workbook()
    inputs = wb.active
    assert inputs is not None
    inputs.title = INPUTS_SHEET
    service = wb.create_sheet(SERVICE_LINE_SHEET)
    marker = wb.create_sheet(MARKER_SHEET)
    prepared = _prepare(scenario)
    styles = _Styles()
    _write_inputs(inputs, scenario, prepared, plan, styles)
    if fixed is None:
        _write_service_line(service, scenario, prepared, styles)
    _write_marker(marker, scenario)
    for ws in (inputs, service, marker):
        ws.protection.sheet = True
        ws.protection.formatColumns = False   # resizing a column is harmless
        ws.protection.formatRows = False
    marker.sheet_state = "hidden"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = f"{scenario.title} ({scenario.institution})"
    wb.properties.creator = "Leadership Pods"
    wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)  # as Workbook.save does
    buffer = BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, _Substituting(archive, fixed or {})).write_data()
    return buffer.getvalue()


@per_scenario
def _fixed_parts(scenario: Scenario) -> dict[str, bytes]:
    """The parts of the workbook no plan changes, as a full export writes them: the Service
    line sheet (formulas, labels and styles only) and the stylesheet (every cell style is
    registered in the same order whatever the plan: the Inputs sheet's looks depend on the
    levers, not on their values). Later exports copy them instead of writing them again;
    the tests check that the result is the full export, part for part."""
    with ZipFile(BytesIO(_write(scenario, Plan(), None))) as written:
        return {name: written.read(name) for name in (SERVICE_LINE_PART, ARC_STYLE)}


class _Substituting:
    """The zip archive openpyxl's writer writes into, with some parts' contents replaced."""

    def __init__(self, archive: ZipFile, parts: Mapping[str, bytes]) -> None:
        self._archive = archive
        self._parts = parts

    def writestr(self, name: str, data: str | bytes) -> None:
        self._archive.writestr(name, self._parts.get(name, data))

    def write(self, filename: str, arcname: str) -> None:
        if arcname in self._parts:
            self._archive.writestr(arcname, self._parts[arcname])
        else:
            self._archive.write(filename, arcname)

    def namelist(self) -> list[str]:
        return self._archive.namelist()


def allowed(lever: Lever) -> str:
    """``-8 to 4 FTE, in steps of 0.1``."""
    return f"{lever.minimum:f} to {lever.maximum:f} {lever.unit}, in steps of {lever.step:f}"


class _Styles:
    """The looks of one workbook's cells: each registered once, then copied.

    Setting ``cell.font`` (fill, alignment, protection, number format) makes openpyxl look the
    style up in the workbook's style lists, hashing it field by field, on every cell. Here
    the first cell of a look is styled through those public attributes, which registers its
    styles, and the list positions they got (openpyxl's ``StyleArray``, the private
    ``Cell._style``) are copied onto every later cell of the same look: the same styles at
    the same positions, without the lookups. A look is known by its identity (the module's
    looks live as long as the module; the cache keeps any other alive), and the cells must
    be unstyled before. The writer's only use of a private openpyxl attribute.
    """

    def __init__(self) -> None:
        self._arrays: dict[int, tuple[Any, Look]] = {}

    def apply(self, cell: SheetCell, look: Look) -> None:
        known = self._arrays.get(id(look))
        if known is None:
            for attribute, style in look:
                setattr(cell, attribute, style)
            self._arrays[id(look)] = (copy(cell._style), look)
        else:
            cell._style = copy(known[0])


def _text(ws: Worksheet, row: int, column: int, text: str) -> SheetCell:
    """Text stays text, even when it starts with ``=``: never a formula in the download."""
    cell = ws.cell(row=row, column=column, value=text)
    cell.data_type = "s"
    return cell


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


@dataclass(frozen=True)
class _Prepared:
    """What a scenario's workbook holds whatever the plan, worked out once per scenario. The
    data validations are shared by every export's Inputs sheet: nothing changes them after
    :func:`_prepare`, and openpyxl only reads them when it saves."""

    totals: tuple[str, str]    # the Inputs sheet's formulas of the margin and the gap to target
    nature: DataValidation     # recurring or one-time, on the whole column
    #: each lever, its Inputs row, allowed(lever) and its value cell's validation
    levers: tuple[tuple[Lever, int, str, DataValidation], ...]
    #: every Service line cell: row, column, value, text (never a formula), look
    service_line: tuple[tuple[int, int, str | int | Decimal, bool, Look | None], ...]


@per_scenario
def _prepare(scenario: Scenario) -> _Prepared:
    """The plan-independent part of the export (formulas, addresses, rows, validations), for
    each scenario (frozen, so a key) once in the process."""
    cells = cell_map(scenario)
    totals = (f"='{SERVICE_LINE_SHEET}'!{cells['total:operating_margin']}",
              f"='{SERVICE_LINE_SHEET}'!{cells['total:margin_vs_target']}")
    nature = DataValidation(type="list", formula1=f'"{RECURRING},{ONE_TIME}"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Recurring or one-time",
                            error=f"Choose {RECURRING} or {ONE_TIME}, or leave it blank.")
    nature.add(f"E{FIRST_INPUT_ROW}:E{last_input_row(scenario)}")
    levers = []
    for lever in scenario.levers:
        row, rule = input_row(scenario, lever.id), allowed(lever)
        levers.append((lever, row, rule, _value_validation(lever, rule, f"D{row}")))
    refs = {lever.id: value_ref(scenario, lever.id) for lever in scenario.levers}
    service_line = []
    for address, cell in service_line_cells(scenario, refs).items():
        row, column = coordinate_to_tuple(address)
        value = _number(cell.value) if isinstance(cell.value, Decimal) else cell.value
        text = isinstance(value, str) and not value.startswith("=")
        service_line.append((row, column, value, text, _SERVICE_LINE.get(cell.style)))
    return _Prepared(totals, nature, tuple(levers), tuple(service_line))


def _write_inputs(ws: Worksheet, scenario: Scenario, prepared: _Prepared, plan: Plan,
                  styles: _Styles) -> None:
    styles.apply(_text(ws, 1, 1, f"{scenario.title}: your inputs"), _SHEET_TITLE)
    _text(ws, 2, 1, f"{scenario.institution}. Scenario: {scenario.id}.")
    _text(ws, 3, 1, "Operating margin with these inputs (details on the Service line sheet)")
    _text(ws, 3, 5, "Margin vs target")
    for column, formula in zip((4, 6), prepared.totals, strict=True):
        styles.apply(ws.cell(row=3, column=column, value=formula), _TOTAL)
    _text(ws, 4, 1, "Change only the yellow cells: a value within the allowed range, "
                    "recurring or one-time, and your justification. Upload the file to see "
                    "the differences before they are applied.")
    for column, header in enumerate(INPUT_HEADERS, start=1):
        styles.apply(ws.cell(row=HEADER_ROW, column=column, value=header), _INPUTS_HEADER)
    ws.add_data_validation(prepared.nature)
    for lever, row, rule, validation in prepared.levers:
        _write_lever(ws, row, lever, rule, plan, styles)
        ws.add_data_validation(validation)
    for letter, width in _INPUT_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{FIRST_INPUT_ROW}"


def _write_lever(ws: Worksheet, row: int, lever: Lever, rule: str, plan: Plan,
                 styles: _Styles) -> None:
    """One Inputs row: label, unit, allowed range, the three input cells, lever id, help."""
    change = plan.changes.get(lever.id)
    for column, text in ((1, lever.label), (2, lever.unit), (3, rule),
                         (7, lever.id), (8, lever.help)):
        _text(ws, row, column, text)
    ws.cell(row=row, column=VALUE_COLUMN, value=_number(plan.value(lever.id)))
    if change is not None and change.recurring is not None:
        _text(ws, row, NATURE_COLUMN, RECURRING if change.recurring else ONE_TIME)
    if change is not None and change.justification:
        _text(ws, row, JUSTIFICATION_COLUMN, change.justification)
    looks = _WHOLE_LEVER_ROW if lever.step % 1 == 0 else _DECIMAL_LEVER_ROW
    for column, look in enumerate(looks, start=1):
        styles.apply(ws.cell(row=row, column=column), look)


def _value_validation(lever: Lever, rule: str, address: str) -> DataValidation:
    """The value cell's rule (``rule`` is :func:`allowed`) and its input and error messages."""
    whole = all(x == x.to_integral_value() for x in (lever.minimum, lever.maximum, lever.step))
    validation = DataValidation(
        type="whole" if whole else "decimal", operator="between",
        formula1=f"{lever.minimum:f}", formula2=f"{lever.maximum:f}", allow_blank=True,
        showInputMessage=True, promptTitle=lever.id[:_TITLE],
        prompt=f"Allowed: {rule}. {lever.help}"[:_PROMPT],
        showErrorMessage=True, errorTitle="Not allowed",
        error=f"{lever.label}: allowed {rule}."[:_PROMPT])
    validation.add(address)
    return validation


def _write_service_line(ws: Worksheet, scenario: Scenario, prepared: _Prepared,
                        styles: _Styles) -> None:
    styles.apply(_text(ws, 1, 1, f"{scenario.title}: the service line"), _SHEET_TITLE)
    _text(ws, 2, 1, f"{scenario.institution}. Scenario: {scenario.id}.")
    _text(ws, 3, 1, "Every number here is a formula of the Inputs sheet and is protected; "
                    "change the inputs to see the effect.")
    for row, column, value, text, look in prepared.service_line:
        cell = ws.cell(row=row, column=column, value=value)
        if text:
            cell.data_type = "s"
        if look is not None:
            styles.apply(cell, look)
    for letter, width in _SHEET_WIDTHS.items():
        ws.column_dimensions[letter].width = width


def _write_marker(ws: Worksheet, scenario: Scenario) -> None:
    values: tuple[str | int, ...] = (TEMPLATE_ID, TEMPLATE_VERSION, scenario.id,
                                     len(scenario.levers))
    for row, (key, value) in enumerate(zip(MARKER_KEYS, values, strict=True), start=1):
        _text(ws, row, 1, key)
        if isinstance(value, str):
            _text(ws, row, 2, value)
        else:
            ws.cell(row=row, column=2, value=value)
