"""The workbook round trip: what the download holds, that its formulas give the model's
numbers in an independent engine, that the upload reads the plan back, and the differences."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook

from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import BudgetError, LeverChange, Plan, Result, evaluate, workbook_write
from leadership_pods.pods.budget.examples import EXAMPLE_PLANS
from leadership_pods.pods.budget.workbook import (
    WorkbookError,
    export_workbook,
    plan_differences,
    read_workbook,
)
from leadership_pods.pods.budget.workbook_layout import (
    INPUTS_SHEET,
    MARKER_SHEET,
    SERVICE_LINE_SHEET,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    cell_map,
    input_row,
)

from .strategies import plans

CELLS = cell_map(S)
#: readmissions 17.8 + 3.5 x 0.15 - 15% x 0.8 = 18.205 exactly: a half cent, rounded up
HALF_CENT = Plan({"fte.app": LeverChange(Decimal("-3.5")),
                  "init.hf_transitions": LeverChange(Decimal(15))})
CASES = {"baseline": Plan(), **EXAMPLE_PLANS, "half-cent": HALF_CENT}
CENT = Decimal("0.01")


def open_download(plan: Plan, **options: Any) -> Any:
    return load_workbook(io.BytesIO(export_workbook(S, plan)), **options)


def stored(plan: Plan) -> Plan:
    """The plan as an upload returns it: levers left at 0 with no text are not stored."""
    return Plan({lid: c for lid, c in plan.changes.items()
                 if c.value != 0 or c.justification or c.recurring is not None})


# -- the download -----------------------------------------------------------------------------

def test_download_has_inputs_service_line_and_a_hidden_marker_of_our_template():
    wb = open_download(EXAMPLE_PLANS["cost-and-contracts"])
    assert wb.sheetnames == [INPUTS_SHEET, SERVICE_LINE_SHEET, MARKER_SHEET]
    marker = wb[MARKER_SHEET]
    assert marker.sheet_state == "hidden"
    assert [marker[f"B{r}"].value for r in range(1, 5)] == [TEMPLATE_ID, TEMPLATE_VERSION, S.id,
                                                             len(S.levers)]
    assert wb.security.lockStructure
    assert S.title in wb[INPUTS_SHEET]["A1"].value and S.id in wb[INPUTS_SHEET]["A2"].value


def test_every_sheet_is_protected_and_only_the_three_input_columns_are_unlocked():
    wb = open_download(EXAMPLE_PLANS["growth-and-access"])
    expected = {f"{col}{input_row(S, lever.id)}" for lever in S.levers for col in "DEF"}
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == (expected if ws.title == INPUTS_SHEET else set()), ws.title


def test_each_value_cell_is_validated_to_its_levers_range_with_an_input_message():
    ws = open_download(Plan())[INPUTS_SHEET]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for lever in S.levers:
        dv = rules[f"D{input_row(S, lever.id)}"]
        assert dv.type == ("whole" if lever.step % 1 == 0 else "decimal"), lever.id
        assert (Decimal(dv.formula1), Decimal(dv.formula2)) == (lever.minimum, lever.maximum)
        assert dv.showInputMessage and dv.prompt.startswith("Allowed: ") and len(dv.prompt) <= 255
        assert dv.showErrorMessage and lever.label in dv.error
    nature = next(dv for dv in rules.values() if dv.type == "list")
    assert nature.formula1 == '"recurring,one-time"'
    assert str(nature.sqref) == f"E{input_row(S, S.levers[0].id)}:E{input_row(S, S.levers[-1].id)}"


def test_the_download_holds_the_plans_values_labels_and_justifications():
    plan = EXAMPLE_PLANS["cost-and-contracts"].with_change("capital.echo_fleet", Decimal(1),
                                                          justification="One year only.",
                                                          recurring=False)
    ws = open_download(plan)[INPUTS_SHEET]
    for lever in S.levers:
        row = input_row(S, lever.id)
        change = plan.changes.get(lever.id, LeverChange(Decimal(0)))
        assert ws[f"G{row}"].value == lever.id
        assert Decimal(str(ws[f"D{row}"].value)) == change.value
        assert ws[f"E{row}"].value == {True: "recurring", False: "one-time", None: None}[
            change.recurring]
        assert (ws[f"F{row}"].value or "") == change.justification


_COMPUTED = ("total", "quality", "status", "volume", "net_rate", "revenue", "variable_cost",
             "pool_fte", "deficit", "surplus", "safe", "positions", "paid", "demand", "capacity",
             "planned")


def test_every_computed_cell_is_a_live_formula_of_plain_functions():
    ws = open_download(EXAMPLE_PLANS["growth-and-access"])[SERVICE_LINE_SHEET]
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    for name, address in CELLS.items():
        if name.split(":")[0] in _COMPUTED and name != "total:margin_target":
            assert ws[address].data_type == "f", name
    fixed = {f.id for f in S.fixed_costs}
    for line_id in (c for c in CELLS if c.startswith("amount:")):
        assert (ws[CELLS[line_id]].data_type == "f") == (line_id[7:] not in fixed), line_id
    used = {name for f in formulas for name in re.findall(r"([A-Z]+)\(", f)}
    assert used == {"ROUND", "SUM", "MIN", "MAX", "IF"}
    assert all(f.startswith("=") for f in formulas) and len(formulas) > 150


def test_money_and_percent_cells_are_formatted():
    ws = open_download(Plan())[SERVICE_LINE_SHEET]
    assert "$" in ws[CELLS["total:operating_margin"]].number_format
    assert "$" in ws[CELLS["revenue:rev.clinic"]].number_format
    assert "%" in ws[CELLS["total:margin_pct"]].number_format
    assert ws.column_dimensions["A"].width > 40


def test_text_that_looks_like_a_formula_is_downloaded_as_text_and_read_back():
    plan = Plan({"supply.imaging": LeverChange(Decimal(1), '=HYPERLINK("x") saves $147,600',
                                               True)})
    cell = open_download(plan)[INPUTS_SHEET][f"F{input_row(S, 'supply.imaging')}"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert read_workbook(export_workbook(S, plan), S) == plan


def test_the_download_refuses_an_invalid_plan():
    with pytest.raises(BudgetError, match="fte.app"):
        export_workbook(S, Plan({"fte.app": LeverChange(Decimal(99))}))


# -- the upload reads the plan back -----------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_upload_of_a_download_gives_the_same_plan(name):
    assert read_workbook(export_workbook(S, CASES[name]), S) == CASES[name]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_upload_of_a_download_gives_the_same_plan_for_random_plans(plan):
    assert read_workbook(export_workbook(S, plan), S) == stored(plan)


def test_upload_reads_inputs_not_cached_values():
    data = export_workbook(S, EXAMPLE_PLANS["cost-and-contracts"])
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        parts[name] = parts[name].replace(b"<v />", b"<v>999999999</v>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    assert read_workbook(buffer.getvalue(), S) == EXAMPLE_PLANS["cost-and-contracts"]


def test_an_empty_value_cell_means_unchanged():
    wb = open_download(EXAMPLE_PLANS["cost-and-contracts"])
    wb[INPUTS_SHEET][f"D{input_row(S, 'supply.imaging')}"] = None
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = read_workbook(buffer.getvalue(), S)
    assert plan.value("supply.imaging") == 0
    assert plan.changes["supply.imaging"].justification  # the text is kept


def test_workbook_error_is_a_budget_error_with_status_400():
    with pytest.raises(WorkbookError) as caught:
        read_workbook(b"not a workbook", S)
    assert isinstance(caught.value, BudgetError) and caught.value.status == 400
    assert caught.value.message.endswith(".") and "\n" not in caught.value.message


# -- the differences before applying ----------------------------------------------------------

def test_differences_list_each_changed_lever_with_both_margins():
    before, after = EXAMPLE_PLANS["cost-and-contracts"], EXAMPLE_PLANS["growth-and-access"]
    differences = plan_differences(S, before, after)
    margins = (evaluate(S, before).totals.operating_margin,
               evaluate(S, after).totals.operating_margin)
    ids = [d.lever_id for d in differences]
    assert ids == [lever.id for lever in S.levers if lever.id in ids]   # in lever order
    assert set(ids) == set(before.changes) | set(after.changes)
    for d in differences:
        assert (d.margin_before, d.margin_after) == margins
        assert d.label == S.lever(d.lever_id).label
        assert (d.old_value, d.new_value) == (before.value(d.lever_id), after.value(d.lever_id))
    imaging = next(d for d in differences if d.lever_id == "supply.imaging")
    assert not imaging.value_changed and imaging.old_justification != imaging.new_justification


def test_no_differences_between_a_plan_and_its_upload():
    plan = EXAMPLE_PLANS["growth-and-access"]
    assert plan_differences(S, plan, read_workbook(export_workbook(S, plan), S)) == []


# -- an independent engine finds the model's numbers ------------------------------------------

def to_cent(value: Any, places: str = "0.01") -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def assert_same_numbers(result: Result, value: Any) -> None:
    """``value(name)`` is the engine's value of the cell ``name`` of :func:`cell_map`."""
    t = result.totals
    for field in ("revenue", "variable_cost", "contribution_margin", "fixed_cost",
                  "operating_margin", "margin_pct", "margin_target", "margin_vs_target",
                  "one_time_costs", "one_time_relief", "recurring_margin"):
        assert to_cent(value(f"total:{field}")) == getattr(t, field), field
    assert to_cent(value("total:total_cost")) == t.total_cost
    assert value("total:meets_target") == ("yes" if t.meets_target else "no")
    for line in result.revenue_lines:
        assert int(value(f"planned:{line.id}")) == line.volume, line.id
        assert int(value(f"demand:{line.id}")) == line.demand, line.id
        assert int(value(f"capacity:{line.id}")) == line.capacity, line.id
        assert to_cent(value(f"net_rate:{line.id}")) == line.net_rate, line.id
        assert to_cent(value(f"revenue:{line.id}")) == line.revenue, line.id
        assert to_cent(value(f"price:{line.id}")) == line.variable_cost_per_unit, line.id
    for cost in result.cost_lines:
        assert to_cent(value(f"amount:{cost.id}")) == cost.amount, cost.id
        assert to_cent(value(f"one_time_cost:{cost.id}")) == cost.one_time_cost, cost.id
        assert to_cent(value(f"relief:{cost.id}")) == cost.one_time_relief, cost.id
    for pool in result.pools:
        assert to_cent(value(f"pool_fte:{pool.id}"), "0.001") == pool.fte, pool.id
    for ind in result.quality:
        assert to_cent(value(f"quality:{ind.id}")) == ind.value, ind.id
        assert value(f"status:{ind.id}") == ind.status.value.replace("_", " "), ind.id


def excel_round(x: float, digits: float) -> float:
    """Excel's and LibreOffice's ``ROUND``: half away from zero on the value to 15
    significant digits, so ``ROUND(17.8+0.525-0.12, 2)`` is 18.21 although the double is
    18.204999999999998."""
    value = Decimal(f"{float(x):.15g}")
    return float(value.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP))


@contextmanager
def spreadsheet_round() -> Iterator[None]:
    """The ``formulas`` package rounds the binary double (``ROUND(18.205, 2)`` is 18.2 there,
    18.21 in Excel, in LibreOffice and in the model), so while a workbook is compiled its
    ``ROUND`` is :func:`excel_round`; every other function, reference and operator is the
    package's own. The LibreOffice test below checks the real thing, unpatched."""
    from formulas.functions import get_functions, wrap_ufunc

    functions = get_functions()
    original = functions["ROUND"]
    functions["ROUND"] = wrap_ufunc(excel_round)
    try:
        yield
    finally:
        functions["ROUND"] = original


class Engine:
    """The ``formulas`` package: parses the .xlsx and computes every formula itself."""

    def __init__(self, path: Path) -> None:
        import formulas

        self.book = f"[{path.name}]"
        with spreadsheet_round():
            self.model = formulas.ExcelModel().loads(str(path)).finish()

    def calculate(self, inputs: dict[str, float] | None = None) -> Any:
        given_inputs = {f"'{self.book}{INPUTS_SHEET.upper()}'!{a}": v
                        for a, v in (inputs or {}).items()}
        solution = {k.upper(): v for k, v in self.model.calculate(inputs=given_inputs).items()}
        for key, given_value in given_inputs.items():   # every input reached the model
            assert solution[key.upper()].value[0, 0] == given_value, key

        def value(name: str) -> Any:
            cell = solution[f"'{self.book.upper()}{SERVICE_LINE_SHEET.upper()}'!{CELLS[name]}"]
            return cell.value[0, 0]
        return value


def _save(tmp_path: Path, name: str, plan: Plan) -> Path:
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(export_workbook(S, plan))
    return path


def test_the_half_cent_case_is_one():
    assert evaluate(S, HALF_CENT).indicator("readmissions").value == Decimal("18.21")
    assert round(17.8 + 0.15 * 3.5 - 0.8 * 15 / 100, 2) == 18.2     # what a double says


@pytest.mark.parametrize("name", CASES)
def test_formulas_engine_finds_the_models_numbers_to_the_cent(tmp_path, name):
    engine = Engine(_save(tmp_path, name, CASES[name]))
    assert_same_numbers(evaluate(S, CASES[name]), engine.calculate())


@pytest.fixture(scope="module")
def baseline_engine(tmp_path_factory):
    path = _save(tmp_path_factory.mktemp("engine"), "baseline", Plan())
    return path, Engine(path)


def _sheet_xml(data: bytes, sheet: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(f"xl/worksheets/sheet{sheet}.xml")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(plans())
def test_formulas_engine_finds_the_models_numbers_for_random_plans(baseline_engine, plan):
    """Each random plan's download has the baseline's Service line sheet byte for byte (the
    formulas never depend on the plan), so the compiled baseline workbook is given the plan's
    downloaded input cells and recomputed."""
    path, engine = baseline_engine
    data = export_workbook(S, plan)
    assert _sheet_xml(data, 2) == _sheet_xml(path.read_bytes(), 2)
    ws = load_workbook(io.BytesIO(data))[INPUTS_SHEET]
    inputs = {f"D{input_row(S, lever.id)}": float(ws[f"D{input_row(S, lever.id)}"].value)
              for lever in S.levers}
    assert_same_numbers(evaluate(S, plan), engine.calculate(inputs))


# -- LibreOffice, when it is installed --------------------------------------------------------

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (apt: libreoffice-calc) not installed")
def test_libreoffice_recalculates_to_the_models_numbers_and_its_save_reads_back(tmp_path):
    paths = {name: _save(tmp_path, name, plan) for name, plan in CASES.items()}
    out = tmp_path / "saved"
    subprocess.run([SOFFICE, "--headless", "--norestore",  # noqa: S603
                    f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "xlsx",
                    "--outdir", str(out), *map(str, paths.values())],
                   check=True, capture_output=True, timeout=120)
    for name, plan in CASES.items():
        saved = (out / paths[name].name).read_bytes()
        ws = load_workbook(io.BytesIO(saved), data_only=True)[SERVICE_LINE_SHEET]
        assert_same_numbers(evaluate(S, plan), lambda cell, ws=ws: ws[CELLS[cell]].value)
        assert read_workbook(saved, S) == plan


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _without_time(parts: dict[str, bytes]) -> dict[str, bytes]:
    core = re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:(created|modified)>", b"",
                  parts["docProps/core.xml"])
    return {**parts, "docProps/core.xml": core}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_the_copied_fixed_parts_give_the_full_export_part_for_part(plan: Plan) -> None:
    """Exports copy the Service line sheet and the stylesheet written once per scenario;
    the workbook is, part for part, the one written in full."""
    for each in (plan, *EXAMPLE_PLANS.values()):
        copied = _without_time(_parts(export_workbook(S, each)))
        full = _without_time(_parts(workbook_write._write(S, each, None)))
        assert copied.keys() == full.keys()
        assert [name for name in full if copied[name] != full[name]] == []
