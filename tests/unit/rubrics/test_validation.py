"""Every rule of a rubric version (``rubrics/validation.py``), each with its message and the
field it is shown next to."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from leadership_pods.rubrics.document import clean, from_package, to_rubric
from leadership_pods.rubrics.validation import validate
from tests.unit.rubrics.conftest import package

GOVERNANCE = package("governance")
BUDGET = package("budget-balancing")


def data() -> dict[str, Any]:
    return copy.deepcopy(from_package(GOVERNANCE.rubric))


def test_every_built_in_rubric_is_valid_and_survives_the_round_trip():
    for slug in ("governance", "budget-balancing", "quality-improvement", "strategic-thinking"):
        pod = package(slug)
        stored = from_package(pod.rubric)
        assert validate(stored, pod) == {}, slug
        assert clean(stored) == stored
        assert to_rubric(stored) == replace(pod.rubric, criteria=tuple(
            replace(c, description=c.description.strip(), levels=tuple(
                replace(lv, descriptor=lv.descriptor.strip()) for lv in c.levels))
            for c in pod.rubric.criteria))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = d
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return change


def _levels_points(i: int, points: list[int]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for level, p in zip(d["criteria"][i]["levels"], points, strict=True):
            level["points"] = p
    return change


def _dup_criterion(d: dict[str, Any]) -> None:
    d["criteria"][1]["id"] = d["criteria"][0]["id"]


def _dup_level(d: dict[str, Any]) -> None:
    d["criteria"][0]["levels"][2]["id"] = d["criteria"][0]["levels"][0]["id"]


def _all_zero(d: dict[str, Any]) -> None:
    d["criteria"] = [d["criteria"][0]]
    d["criteria"][0]["points"] = 0
    d["criteria"][0]["levels"] = [d["criteria"][0]["levels"][0]]
    d["criteria"][0]["levels"][0]["points"] = 0


def _mins(i: int, mins: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for level, m in zip(d["criteria"][i]["levels"], mins, strict=False):
            level["min"] = m
    return change


# criterion 0 (governance-knowledge) and 1 are automatic; 2 (decision-memo) is faculty
CASES = [
    (_set("title", "  "), "title", "Give the rubric a title."),
    (_set("pass_mark", "lots"), "pass_mark", "Give the pass mark as a number."),
    (_set("pass_mark", None), "pass_mark", "Give the pass mark as a number."),
    (_set("pass_mark", 101), "pass_mark", "The pass mark is a percentage from 0 to 100."),
    (_set("pass_mark", -1), "pass_mark", "The pass mark is a percentage from 0 to 100."),
    (_set("criteria", []), "criteria", "Add at least one criterion."),
    (_all_zero, "criteria",
     "The criteria add up to 0 points; a rubric needs criteria worth more than 0."),
    (_set("criteria.2.id", ""), "criteria-2-id", "Give the criterion a short id."),
    (_set("criteria.2.id", "Decision Memo"), "criteria-2-id",
     "Use only a-z, 0-9 and '-' in the id, at most 60 characters (found 'Decision Memo')."),
    (_dup_criterion, "criteria-1-id", "Another criterion already has the id "
                                      "'governance-knowledge'; each id must be unique."),
    (_set("criteria.2.title", ""), "criteria-2-title", "Give the criterion a title."),
    (_set("criteria.2.points", None), "criteria-2-points", "Give the points as a whole number."),
    (_set("criteria.2.points", 2.5), "criteria-2-points", "Give the points as a whole number."),
    (_set("criteria.2.points", -25), "criteria-2-points", "Points cannot be negative."),
    (_set("criteria.2.scoring", "peer"), "criteria-2-scoring",
     "Choose whether the criterion is scored automatically or by faculty."),
    (_set("criteria.0.metric", None), "criteria-0-metric",
     "An automatic criterion needs a metric this pod provides: case_outcome, case_tags_covered, "
     "knowledge_check_percent."),
    (_set("criteria.0.metric", "margin_vs_target"), "criteria-0-metric",
     "'margin_vs_target' is not a metric this pod provides; choose one of: case_outcome, "
     "case_tags_covered, knowledge_check_percent."),
    (_set("criteria.2.competencies", ["wisdom"]), "criteria-2-competencies",
     "'wisdom' is not an AMA competency."),
    (_set("criteria.2.levels", []), "criteria-2-levels", "Add at least one level."),
    (_set("criteria.2.levels.1.id", ""), "criteria-2-levels-1-id", "Give the level a short id."),
    (_set("criteria.2.levels.1.id", "level two"), "criteria-2-levels-1-id",
     "Use only a-z, 0-9 and '-' in the id, at most 60 characters (found 'level two')."),
    (_dup_level, "criteria-0-levels-2-id", "Another level of this criterion already has the id "
                                           "'beginning'; each id must be unique."),
    (_set("criteria.2.levels.1.label", ""), "criteria-2-levels-1-label",
     "Give the level a label."),
    (_set("criteria.2.levels.1.points", "many"), "criteria-2-levels-1-points",
     "Give the points as a whole number."),
    (_set("criteria.2.levels.0.points", -9), "criteria-2-levels-0-points",
     "Points cannot be negative."),
    (_levels_points(2, [9, 21, 16, 25]), "criteria-2-levels-2-points",
     "Must be worth more than the level before it (21 points); order levels from lowest to "
     "highest."),
    (_levels_points(2, [9, 16, 21, 24]), "criteria-2-levels-3-points",
     "The top level must be worth the criterion's 25 points (it is worth 24)."),
    (_mins(0, [None, "half"]), "criteria-0-levels-1-min",
     "Give the metric needed as a number from 0 to 100, or leave it empty."),
    (_mins(0, [None, 50, 65, 120]), "criteria-0-levels-3-min",
     "The metric needed is a percentage from 0 to 100."),
    (_mins(0, [None, 50, 50, 80]), "criteria-0-levels-2-min",
     "Must need a higher metric than the level before it (50)."),
    (_mins(2, [None, 50]), "criteria-2-levels-1-min",
     "Only automatically scored criteria use a metric threshold; leave it empty."),
]


@pytest.mark.parametrize(("change", "path", "message"), CASES,
                         ids=[f"{c[1]}:{c[2][:30]}" for c in CASES])
def test_each_rule_has_its_message_next_to_its_field(change, path, message):
    rubric = data()
    change(rubric)
    problems = validate(rubric, GOVERNANCE)
    assert problems.get(path) == message, problems


def test_simulation_metrics_are_allowed_only_in_a_pod_with_that_simulation():
    rubric = from_package(BUDGET.rubric)
    assert validate(rubric, BUDGET) == {}
    assert "margin_vs_target" in validate(rubric, GOVERNANCE)["criteria-1-metric"]
    assert validate(rubric, BUDGET.metadata) == {}


def test_thresholds_in_order_on_an_automatic_criterion_are_fine():
    rubric = data()
    _mins(0, [0, 50, 65, 80])(rubric)
    assert validate(rubric, GOVERNANCE) == {}
    assert clean(rubric)["criteria"][0]["levels"][1]["min"] == 50


def test_the_first_problem_of_a_field_wins_and_others_are_all_reported():
    rubric = data()
    rubric["title"] = ""
    rubric["criteria"][2]["points"] = -1
    rubric["criteria"][3]["levels"][0]["label"] = ""
    problems = validate(rubric, GOVERNANCE)
    assert set(problems) == {"title", "criteria-2-points", "criteria-3-levels-0-label"}


def test_garbage_is_reported_not_raised():
    assert validate({"criteria": "nope"}, GOVERNANCE)["criteria"] == "Add at least one criterion."
    problems = validate({"title": "x", "pass_mark": 85, "criteria": [None, {"levels": [3]}]},
                        GOVERNANCE)
    assert problems["criteria-0-id"] == "Give the criterion a short id."
    assert problems["criteria-1-levels-0-label"] == "Give the level a label."
