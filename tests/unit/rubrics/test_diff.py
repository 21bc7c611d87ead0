"""The difference between two rubric versions, in words (``rubrics/diff.py``)."""

from __future__ import annotations

import copy

from leadership_pods.rubrics.diff import ADDED, CHANGED, REMOVED, diff
from leadership_pods.rubrics.document import from_package
from tests.unit.rubrics.conftest import package

OLD = from_package(package("governance").rubric)


def new():
    return copy.deepcopy(OLD)


def test_the_same_rubric_has_no_changes():
    changes = diff(OLD, new())
    assert changes.empty and changes.sentences() == [] and changes.regrade == frozenset()


def test_title_pass_mark_and_order():
    data = new()
    data["title"], data["pass_mark"] = "Governance, revised", 80
    data["criteria"].reverse()
    changes = diff(OLD, data)
    assert changes.rubric == (
        "Title changed from 'Governance: chairing a contested committee decision' to "
        "'Governance, revised'.",
        "Pass mark changed from 85% to 80%.", "Criteria reordered.")
    assert changes.criteria == () and changes.regrade == frozenset()


def test_added_and_removed_criteria():
    data = new()
    removed = data["criteria"].pop(4)
    data["criteria"].append({"id": "reflection", "title": "Reflection", "points": 10,
                             "scoring": "faculty", "levels": [{"id": "ok", "label": "OK",
                                                               "points": 10}]})
    changes = diff(OLD, data)
    assert [(c.id, c.status, c.changes) for c in changes.criteria] == [
        ("reflection", ADDED, ("10 points, scored by faculty",)),
        (removed["id"], REMOVED, ("20 points",)),
    ]
    assert changes.regrade == {"reflection"}
    assert changes.sentences() == [
        "Added criterion 'Reflection' (10 points, scored by faculty).",
        "Removed criterion 'Minutes: procedural accuracy and a fair record' (20 points)."]


def test_changes_to_a_criterion_and_its_levels():
    data = new()
    memo = data["criteria"][2]
    memo["points"] = 30
    memo["levels"][-1]["points"] = 30
    memo["levels"][0]["label"] = "Novice"
    memo["levels"][1]["descriptor"] = "Different words."
    memo["levels"].insert(1, {"id": "emerging", "label": "Emerging", "points": 12})
    memo["levels"].pop()  # exemplary
    data["criteria"][0]["levels"][2]["min"] = 65
    changes = diff(OLD, data)
    by_id = {c.id: c for c in changes.criteria}
    assert by_id["decision-memo"].status == CHANGED
    assert by_id["decision-memo"].changes == (
        "from 25 points to 30 points", "level 'Beginning' renamed 'Novice'",
        "added level 'Emerging' (12 points)", "level 'Developing' descriptor reworded",
        "removed level 'Exemplary' (25 points)")
    assert by_id["governance-knowledge"].changes == (
        "level 'Proficient' metric needed from its share to 65",)
    assert changes.regrade == {"decision-memo", "governance-knowledge"}


def test_a_new_title_or_competencies_alone_do_not_need_regrading():
    data = new()
    data["criteria"][3]["title"] = "Integrity"
    data["criteria"][3]["competencies"] = ["professionalism"]
    changes = diff(OLD, data)
    (only,) = changes.criteria
    assert only.changes == ("renamed from 'Integrity: conflicts of interest and the minority "
                            "view'", "competencies now professionalism")
    assert not only.needs_regrading and changes.regrade == frozenset()


def test_scoring_and_metric_changes():
    data = new()
    data["criteria"][0]["metric"] = "case_outcome"
    data["criteria"][2]["scoring"], data["criteria"][2]["metric"] = "auto", "case_outcome"
    by_id = {c.id: c for c in diff(OLD, data).criteria}
    assert by_id["governance-knowledge"].changes == (
        "metric from knowledge_check_percent to case_outcome",)
    assert by_id["decision-memo"].changes == ("now scored automatically",)
