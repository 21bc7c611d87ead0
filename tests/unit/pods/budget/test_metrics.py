"""Metrics for the rubric: names, scales and the rubric levels they map onto."""

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

import leadership_pods
from leadership_pods.pods.budget import (
    CARDIOLOGY as S,
)
from leadership_pods.pods.budget import (
    METRIC_NAMES,
    AcceptCounter,
    Argue,
    LeverChange,
    Plan,
    metrics,
    open_negotiation,
    respond,
)
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS
from leadership_pods.pods.budget.metrics import _gap_closed

RUBRIC = Path(leadership_pods.__file__).parent / "pods/content/budget-balancing/rubric.yaml"


def plan_of(**levers):
    return Plan({k.replace("__", "."): LeverChange(D(str(v))) for k, v in levers.items()})


def score(plan, negotiation=None, summary=""):
    return metrics(S, plan, negotiation, summary)


def test_every_auto_criterion_of_the_rubric_has_a_metric():
    rubric = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
    auto = {c["metric"] for c in rubric["criteria"] if c["scoring"] == "auto"}
    assert auto == {"justification_coverage", "margin_vs_target", "quality_floors_kept"}
    assert auto <= set(METRIC_NAMES)
    assert {"negotiation_outcome", "numbers_cited"} <= set(METRIC_NAMES)


def test_metrics_are_the_named_floats():
    result = score(COST_AND_CONTRACTS)
    assert tuple(result) == METRIC_NAMES
    assert all(isinstance(value, float) for value in result.values())


# -- margin_vs_target: percent of the opening gap closed -------------------------------------

@pytest.mark.parametrize(("plan", "expected"), [
    (Plan(), 0.0), (plan_of(supply__interventional=1), 20.62), (plan_of(fte__app=4), 0.0),
    (COST_AND_CONTRACTS, 100.0),
])
def test_margin_vs_target_scale(plan, expected):
    assert score(plan)["margin_vs_target"] == expected


def test_margin_just_short_of_target_is_never_rounded_up_to_100():
    assert _gap_closed(S, D("1199999.99")) == D("99.99")
    assert _gap_closed(S, D("1200000.00")) == D(100)


def test_margin_vs_target_maps_onto_the_rubric_levels():
    at_95 = COST_AND_CONTRACTS.without("supply.diagnostic_cath")
    at_87 = COST_AND_CONTRACTS.without("supply.ep_devices")
    assert 90 <= score(at_95)["margin_vs_target"] < 100   # proficient
    assert 50 <= score(at_87)["margin_vs_target"] < 90    # developing


# -- quality_floors_kept: 1 kept, 0.75 at risk, 0 broken, averaged ---------------------------

@pytest.mark.parametrize(("levers", "expected", "level"), [
    ({}, 100.0, "exemplary"),
    ({"fte__rn_cath_lab": -1}, 91.66, "proficient"),
    ({"fte__rn_cath_lab": -1, "capital__echo_fleet": 1}, 83.33, "proficient"),
    ({"fte__rn_agency": -1}, 66.66, "developing"),
    ({"fte__rn_agency": -1, "capital__echo_fleet": 1}, 58.33, "developing"),
    ({"fte__rn_agency": -1, "fte__rn_cath_lab": -4, "fte__tech_cath_lab": -4}, 33.33, "beginning"),
    ({"fte__rn_agency": -1, "fte__rn_cath_lab": -4, "fte__tech_cath_lab": -4,
      "hours__imaging_sessions": -2, "hours__clinic_sessions": -6}, 0.0, "beginning"),
])
def test_quality_floors_kept_scale_and_rubric_levels(levers, expected, level):
    value = score(plan_of(**levers))["quality_floors_kept"]
    assert value == expected
    mapped = ("exemplary" if value == 100 else "proficient" if value >= 75
              else "developing" if value >= 50 else "beginning")
    assert mapped == level


# -- justification_coverage ------------------------------------------------------------------

def test_justification_coverage_counts_changes_whose_justification_cites_a_figure():
    assert score(Plan())["justification_coverage"] == 0.0
    assert score(COST_AND_CONTRACTS)["justification_coverage"] == 100.0
    plan = Plan({"supply.imaging": LeverChange(D(1), "24,600 studies x $6 = $147,600"),
                 "supply.ep_devices": LeverChange(D(1), "the EP group agreed"),
                 "supply.diagnostic_cath": LeverChange(D(1), "$141,000 a year"),
                 "fte.app": LeverChange(D(0), "not touching APPs: 16 FTE")})
    assert score(plan)["justification_coverage"] == 66.66


# -- negotiation -----------------------------------------------------------------------------

def test_negotiation_outcome_and_rounds():
    assert (score(Plan())["negotiation_outcome"], score(Plan())["negotiation_rounds"]) == (0.0, 0.0)
    agreed = open_negotiation(S, COST_AND_CONTRACTS)
    assert score(agreed.plan, agreed)["negotiation_outcome"] == 100.0
    conceded = respond(S, open_negotiation(S, Plan()), AcceptCounter())
    assert score(conceded.plan, conceded)["negotiation_outcome"] == 50.0
    assert score(conceded.plan, conceded)["negotiation_rounds"] == 2.0
    under_way = open_negotiation(S, Plan())
    assert score(under_way.plan, under_way)["negotiation_outcome"] == 0.0
    impasse = under_way
    for _ in range(3):
        impasse = respond(S, impasse, Argue({"margin_short": "no"}))
    assert impasse.concluded
    result = score(impasse.plan, impasse)
    assert (result["negotiation_outcome"], result["negotiation_rounds"]) == (0.0, 4.0)


# -- numbers_cited ---------------------------------------------------------------------------

def test_numbers_cited_counts_distinct_figures_across_justifications_answers_and_summary():
    plan = Plan({"supply.imaging": LeverChange(D(1), "saves $147,600 of the $1.6M"),
                 "fte.app": LeverChange(D(0), "99 ignored: not a change")})
    assert score(plan)["numbers_cited"] == 2.0
    assert score(plan, summary="Summit's 7% cut costs 1,600,000 a year.")["numbers_cited"] == 3.0
    negotiation = respond(S, open_negotiation(S, plan), Argue({"margin_short": "a 90% bridge"}))
    assert score(plan, negotiation, "")["numbers_cited"] == 3.0
