"""Plans: JSON for storage, and validation errors that name the lever and the range."""

import json
import time
from decimal import Decimal as D

import pytest
from hypothesis import given

from leadership_pods.pods.budget import (
    CARDIOLOGY as S,
)
from leadership_pods.pods.budget import (
    BudgetError,
    InvalidPlan,
    LeverChange,
    LeverOutOfRange,
    Plan,
    UnknownLever,
)
from leadership_pods.pods.budget.examples import EXAMPLE_PLANS
from leadership_pods.pods.budget.plan import canonical

from .strategies import plans


def test_to_json_is_plain_data():
    plan = Plan({"supply.interventional": LeverChange(D(1), "1,280 x $260 = $332,800", True)})
    assert plan.to_json() == {"version": 1, "levers": {"supply.interventional": {
        "value": "1", "justification": "1,280 x $260 = $332,800", "recurring": True}}}
    json.dumps(plan.to_json())


@given(plans(safe=False))
def test_json_round_trip_gives_the_same_plan(plan):
    stored = json.loads(json.dumps(plan.to_json()))
    assert Plan.from_json(stored, S) == plan


@pytest.mark.parametrize("plan", EXAMPLE_PLANS.values())
def test_example_plans_round_trip(plan):
    assert Plan.from_json(plan.to_json(), S) == plan


def test_numbers_are_accepted_on_the_way_in_and_spelled_one_way():
    plan = Plan.from_json({"levers": {"fte.app": {"value": 0.5}, "hours.clinic_sessions":
                                      {"value": -2}, "init.outreach_clinic": {"value": "40.0"}}},
                          S)
    assert plan.value("fte.app") == D("0.5")
    assert plan.to_json()["levers"]["init.outreach_clinic"]["value"] == "40"


def test_unknown_lever_is_named():
    with pytest.raises(UnknownLever) as err:
        Plan.from_json({"levers": {"fte.surgeons": {"value": 1}}}, S)
    assert "fte.surgeons" in err.value.message
    assert isinstance(err.value, BudgetError)


def test_out_of_range_names_the_lever_and_the_allowed_range():
    with pytest.raises(LeverOutOfRange) as err:
        Plan.from_json({"levers": {"fte.rn_cath_lab": {"value": -9}}}, S)
    message = err.value.message
    assert "fte.rn_cath_lab" in message and "Cath and EP lab nurses" in message
    assert "-8 to 4 FTE in steps of 0.1" in message
    assert err.value.lever_id == "fte.rn_cath_lab"


@pytest.mark.parametrize(("lever_id", "value"), [
    ("fte.app", "0.25"), ("supply.imaging", "2"), ("init.hf_transitions", "42"),
    ("capital.echo_fleet", "0.5"), ("volume.clinic", "31"), ("hours.cath_lab_evening", "-1"),
])
def test_off_step_or_out_of_range_values_are_refused(lever_id, value):
    with pytest.raises(LeverOutOfRange, match="allowed"):
        Plan.from_json({"levers": {lever_id: {"value": value}}}, S)


@pytest.mark.parametrize("value", ["1E+999999", "-1E+999999", "1E+40"])
def test_values_far_outside_every_range_are_refused_at_once(value):
    """Neither an integer conversion of the value (minutes of CPU for 1E+999999) nor a step
    check beyond the decimal context (DivisionImpossible) happens."""
    started = time.process_time()
    with pytest.raises(LeverOutOfRange, match="allowed: -6 to 4 FTE") as refused:
        Plan.from_json({"levers": {"fte.app": {"value": value}}}, S)
    assert f"{value} is not allowed" in refused.value.message
    assert time.process_time() - started < 0.1
    assert canonical(D(value)) == D(value)


def test_cannot_convert_more_agency_positions_than_remain():
    data = {"levers": {"fte.rn_agency": {"value": -5}, "fte.agency_conversion": {"value": 4}}}
    with pytest.raises(LeverOutOfRange, match="at most the 3 agency FTE"):
        Plan.from_json(data, S)


@pytest.mark.parametrize("data", [
    None, [], {"levers": []}, {"levers": {"fte.app": 1}}, {"levers": {"fte.app": {"value": "x"}}},
    {"levers": {"fte.app": {"value": True}}}, {"levers": {"fte.app": {"value": None}}},
    {"levers": {"fte.app": {"value": float("nan")}}}, {"levers": {"fte.app": {"value": "Infinity"}}},
    {"levers": {"fte.app": {"value": 1, "recurring": "yes"}}},
    {"levers": {"fte.app": {"value": 1, "justification": 3}}},
    {"version": 2, "levers": {}},
])
def test_malformed_plans_are_invalid(data):
    with pytest.raises(InvalidPlan):
        Plan.from_json(data, S)


def test_with_change_keeps_justification_and_label_and_without_removes():
    plan = Plan().with_change("fte.app", D(1), justification="adds 450 visits", recurring=True)
    plan = plan.with_change("fte.app", D(2))
    assert plan.changes["fte.app"] == LeverChange(D(2), "adds 450 visits", True)
    assert plan.without("fte.app") == Plan()


def test_a_lever_back_at_zero_is_not_a_change():
    plan = Plan({"fte.app": LeverChange(D(0), "thinking about it"),
                 "supply.imaging": LeverChange(D(1))})
    assert plan.changed_levers() == ("supply.imaging",)


def test_plans_are_immutable():
    plan = Plan({"fte.app": LeverChange(D(1))})
    with pytest.raises(TypeError):
        plan.changes["fte.app"] = LeverChange(D(2))  # type: ignore[index]
