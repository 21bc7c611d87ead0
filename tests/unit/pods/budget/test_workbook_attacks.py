"""The upload attack corpus (see ``workbook_corpus``): each file is written into ``tmp_path``,
uploaded, refused with its own message, and the attempt is left as it was. Then each lock
on its own: defusedxml behind the guard, the worker's failure modes, a long sheet that is
never walked."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import openpyxl.xml
import openpyxl.xml.functions
import pytest
from defusedxml import DefusedXmlException

from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import Plan, workbook_read, workbook_worker
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS, GROWTH_AND_ACCESS
from leadership_pods.pods.budget.workbook import (
    Difference,
    WorkbookError,
    export_workbook,
    plan_differences,
    read_workbook,
)
from leadership_pods.pods.budget.workbook_guard import DAMAGED, ENTITIES
from leadership_pods.pods.budget.workbook_layout import last_input_row

from .workbook_corpus import (
    CORPUS,
    SHEET_INPUTS,
    billion_laughs,
    external_entity,
    long_sheet,
    members,
    replace,
)

BASE = export_workbook(S, GROWTH_AND_ACCESS)


@dataclass
class Attempt:
    """What the web ring keeps of an attempt: the applied plan, as stored JSON."""

    plan_json: dict[str, Any]


def upload(attempt: Attempt, data: bytes, **options: Any) -> str | list[Difference]:
    """The upload step as the web page runs it: read the workbook and show the differences
    (or the refusal); the attempt changes only when the resident then applies them."""
    try:
        uploaded = read_workbook(data, S, **options)
    except WorkbookError as exc:
        assert exc.status == 400
        return exc.message
    return plan_differences(S, Plan.from_json(attempt.plan_json, S), uploaded)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_each_hostile_file_is_refused_with_its_message_and_the_attempt_unchanged(tmp_path, case):
    path = tmp_path / f"{case.name}.xlsx"
    path.write_bytes(case.build(BASE))
    attempt = Attempt(COST_AND_CONTRACTS.to_json())
    before = copy.deepcopy(attempt.plan_json)
    outcome = upload(attempt, path.read_bytes(), **case.options)
    assert isinstance(outcome, str), f"{case.name} was accepted"
    assert case.message in outcome
    assert outcome.count(". ") == 0 and outcome.endswith(".")   # one plain sentence
    assert attempt.plan_json == before


def test_the_same_upload_untampered_is_accepted_and_shows_its_differences(tmp_path):
    path = tmp_path / "mine.xlsx"
    path.write_bytes(BASE)
    attempt = Attempt(COST_AND_CONTRACTS.to_json())
    differences = upload(attempt, path.read_bytes())
    assert isinstance(differences, list) and differences
    assert {d.lever_id for d in differences} >= set(GROWTH_AND_ACCESS.changed_levers())


# -- each lock on its own ---------------------------------------------------------------------

def test_openpyxl_parses_through_defusedxml_here_and_in_the_worker():
    assert openpyxl.xml.DEFUSEDXML
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    script = (f"import sys; sys.path.insert(0, {str(workbook_read.WORKER.parent)!r}); "
              "import workbook_worker; print(workbook_worker.safe_openpyxl())")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,  # noqa: S603
                          check=True, text=True, timeout=30)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("build", [billion_laughs, external_entity])
def test_defusedxml_refuses_entities_that_slip_past_the_guard(build):
    data = build(BASE)
    request = workbook_read.worker_request(last_input_row(S))
    with pytest.raises(Exception) as parsing:     # openpyxl wraps the parser's refusal
        workbook_worker.read_cells(data, request)
    assert workbook_worker.defused(parsing.value)
    chain = [parsing.value, parsing.value.__cause__, parsing.value.__context__]
    assert any(isinstance(e, DefusedXmlException) for e in chain)
    with pytest.raises(WorkbookError) as caught:      # the worker process, without the guard
        workbook_read.parse_in_worker(data, last_input_row(S), timeout=10)
    assert caught.value.message == ENTITIES


def _fake_worker(monkeypatch, stdout: bytes, returncode: int = 0) -> None:
    def run(command, **kwargs):
        return subprocess.CompletedProcess(command, returncode, stdout, b"Traceback ...")
    monkeypatch.setattr(workbook_read.subprocess, "run", run)


def test_a_worker_that_dies_means_a_damaged_workbook(monkeypatch):
    _fake_worker(monkeypatch, b"", returncode=-9)     # e.g. killed at its memory cap
    with pytest.raises(WorkbookError, match="damaged"):
        read_workbook(BASE, S)


def test_without_defusedxml_the_worker_refuses_to_parse(monkeypatch):
    monkeypatch.setattr(workbook_worker, "safe_openpyxl", lambda: False)
    monkeypatch.setattr(workbook_worker, "limit_memory", lambda limit: None)
    answer = workbook_worker.run(BASE, workbook_read.worker_request(last_input_row(S)))
    assert answer["error"] == "unsafe_parser"
    _fake_worker(monkeypatch, json.dumps(answer).encode())
    with pytest.raises(WorkbookError, match="uploads are unavailable"):
        read_workbook(BASE, S)


def test_a_parser_failure_in_the_worker_is_a_damaged_workbook():
    sheet = members(BASE)[SHEET_INPUTS]
    broken = replace(BASE, SHEET_INPUTS, sheet.replace(b"<sheetData>", b"<sheetData><row r=\"1\">"))
    with pytest.raises(WorkbookError) as caught:
        read_workbook(broken, S)
    assert caught.value.message == DAMAGED


def test_rows_after_the_inputs_are_never_walked():
    """120,000 rows after the levers and then XML that never closes: reading every row
    would hit the broken end; the reader stops after the last lever and accepts the file."""
    data = long_sheet(BASE, 120_000)
    sheet = members(data)[SHEET_INPUTS]
    data = replace(data, SHEET_INPUTS, sheet.split(b"</sheetData>")[0] + b"<row r=\"99")
    assert len(data) < 2_000_000
    assert read_workbook(data, S) == GROWTH_AND_ACCESS
