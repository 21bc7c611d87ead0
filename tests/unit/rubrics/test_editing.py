"""The editor's add / remove / reorder actions on the posted form (``rubrics/editing.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.rubrics.document import from_package
from leadership_pods.rubrics.editing import Draft, apply, formdata, from_data, parse
from tests.unit.rubrics.conftest import package

DATA = from_package(package("governance").rubric)


def draft() -> Draft:
    return parse(_lists(formdata(from_data(DATA, base_version=3))))


def _lists(pairs):
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return list(grouped.items())


def ids(d: Draft) -> list[str]:
    return [c.value("id") for c in d.criteria]


def level_ids(d: Draft, i: int) -> list[str]:
    return [lv["id"][0] for lv in d.criteria[i].levels]


def test_round_trip_through_posted_fields_keeps_everything():
    d = draft()
    assert d.fields["base_version"] == ["3"] and d.fields["title"] == [DATA["title"]]
    assert ids(d) == [c["id"] for c in DATA["criteria"]]
    assert d.criteria[0].fields["competencies"] == DATA["criteria"][0]["competencies"]
    assert parse(_lists(formdata(d))) == d


def test_parse_orders_by_index_and_ignores_the_action_and_launch_token():
    d = parse([("action", ["save"]), ("lt", ["x"]), ("csrf_token", ["t"]),
               ("criteria-10-title", ["Ten"]), ("criteria-2-title", ["Two"]),
               ("criteria-2-levels-1-label", ["B"]), ("criteria-2-levels-0-label", ["A"]),
               ("criteria-9999-title", ["Too far"]), ("criteria-x-title", ["Odd"])])
    assert [c.value("title") for c in d.criteria] == ["Two", "Ten"]
    assert [lv["label"] for lv in d.criteria[0].levels] == [["A"], ["B"]]
    assert d.fields == {"csrf_token": ["t"]}


def test_add_a_criterion_with_a_fresh_id_and_one_level():
    d = draft()
    outcome = apply(d, "add-criterion")
    assert outcome.message == "Criterion 6 added." and outcome.focus == "criteria-5-title"
    assert d.criteria[-1].fields == {"id": ["criterion-1"], "scoring": ["faculty"]}
    assert d.criteria[-1].levels == [{"id": ["level-1"]}]
    apply(d, "add-criterion")
    assert ids(d)[-2:] == ["criterion-1", "criterion-2"]


def test_remove_and_move_criteria():
    d = draft()
    first, second = ids(d)[:2]
    outcome = apply(d, "down-criterion-0")
    assert ids(d)[:2] == [second, first]
    assert outcome.focus == "up-criterion-1"
    assert outcome.message == ("Moved “Governance and procedure knowledge” down; it is now "
                               "criterion 2.")
    outcome = apply(d, "up-criterion-1")
    assert ids(d)[:2] == [first, second] and outcome.focus == "down-criterion-0"
    outcome = apply(d, "remove-criterion-0")
    assert ids(d)[0] == second and outcome.focus == "add-criterion"
    assert outcome.message == "Removed “Governance and procedure knowledge”."


def test_levels_add_remove_move():
    d = draft()
    assert level_ids(d, 2) == ["beginning", "developing", "proficient", "exemplary"]
    outcome = apply(d, "up-level-2-3")
    assert level_ids(d, 2) == ["beginning", "developing", "exemplary", "proficient"]
    assert outcome.focus == "up-level-2-2" and outcome.message == (
        "Moved Exemplary up; it is now level 3.")
    outcome = apply(d, "add-level-2")
    assert level_ids(d, 2)[-1] == "level-1" and outcome.focus == "criteria-2-levels-4-label"
    outcome = apply(d, "remove-level-2-0")
    assert level_ids(d, 2)[0] == "developing" and outcome.focus == "add-level-2"
    assert outcome.message == "Removed Beginning from “Decision memo: recommendation, " \
                              "rationale and the ask”."


@pytest.mark.parametrize("action", [
    "up-criterion-0", "down-criterion-4", "remove-criterion-9", "up-level-0-0",
    "down-level-0-3", "remove-level-0-7", "add-level-12", "explode", "add-criterion-1",
    "remove-criterion", "up-level-0", "add-level-0-1", "add-level",
])
def test_impossible_actions_change_nothing(action):
    d = draft()
    assert apply(d, action) is None
    assert d == draft()


@given(st.lists(st.sampled_from(["add-criterion", "remove-criterion-0", "down-criterion-0",
                                 "up-criterion-1", "add-level-0", "remove-level-0-0",
                                 "down-level-0-0", "up-level-0-1"]), max_size=12))
def test_actions_keep_the_posted_numbering_consistent(actions):
    d = draft()
    for action in actions:
        apply(d, action)
        again = parse(_lists(formdata(d)))
        assert [c.fields for c in again.criteria if c.fields] == \
            [c.fields for c in d.criteria if c.fields]
