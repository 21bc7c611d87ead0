"""The grid's answer: the lines a plan moves, over the baseline lines the page is given."""

from __future__ import annotations

from hypothesis import given, settings

from leadership_pods.pods.budget import Plan, baseline, evaluate
from leadership_pods.pods.budget.examples import EXAMPLE_PLANS
from leadership_pods.pods.budget.presentation import baseline_lines_json, result_json
from tests.unit.pods.budget.strategies import S, plans


def shown(answer: dict) -> tuple[dict, dict]:
    """Every line as the page shows it: the baseline's, then the answer's over them."""
    base = baseline_lines_json(S)
    revenue = {line["id"]: line for line in base["revenue_lines"] + answer["revenue_lines"]}
    cost = {line["id"]: line for line in base["cost_lines"] + answer["cost_lines"]}
    return revenue, cost


def every_line(plan: Plan) -> tuple[dict, dict]:
    result = evaluate(S, plan)
    return ({r.id: {"id": r.id, "volume": r.volume, "revenue": f"{r.revenue:f}",
                    "variable_cost": f"{r.variable_cost:f}",
                    "contribution": f"{r.contribution:f}"} for r in result.revenue_lines},
            {x.id: {"id": x.id, "amount": f"{x.amount:f}",
                    "quantity": None if x.quantity is None else f"{x.quantity:f}"}
             for x in result.cost_lines})


def test_the_baseline_answer_carries_no_line():
    answer = result_json(S, baseline(S))
    assert answer["revenue_lines"] == [] and answer["cost_lines"] == []
    assert answer["changed_lines"] == []
    assert answer["totals"]["operating_margin"] == "-413480.60"
    assert answer["summary"] == {"gap": "$1,613,481 short of the target"}


def test_an_answer_carries_exactly_the_lines_that_differ_from_the_baseline():
    plan = EXAMPLE_PLANS["cost-and-contracts"]
    answer = result_json(S, evaluate(S, plan))
    base_revenue, base_cost = every_line(Plan())
    revenue, cost = every_line(plan)
    assert [line["id"] for line in answer["revenue_lines"]] == [
        lid for lid in revenue if revenue[lid] != base_revenue[lid]]
    assert [line["id"] for line in answer["cost_lines"]] == [
        lid for lid in cost if cost[lid] != base_cost[lid]]
    assert "cost.rn_agency" in [line["id"] for line in answer["cost_lines"]]
    assert "cost.overhead" not in [line["id"] for line in answer["cost_lines"]]
    assert set(answer["changed_lines"]) <= {line["id"] for line in
                                            answer["revenue_lines"] + answer["cost_lines"]}


@settings(max_examples=60, deadline=None)
@given(plans())
def test_the_page_shows_every_line_as_the_model_computed_it(plan):
    assert shown(result_json(S, evaluate(S, plan))) == every_line(plan)
