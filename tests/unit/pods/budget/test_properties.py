"""Rules that hold for every plan: totals add up, cheaper supplies never hurt, unsafe plans
are refused, and the same plan always gives the same result."""

import dataclasses
import json
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadership_pods.pods.budget import (
    CARDIOLOGY as S,
)
from leadership_pods.pods.budget import (
    LeverChange,
    Plan,
    UnsafePlan,
    evaluate,
    review,
    safety_refusals,
)

from .strategies import plans

TIERED = [line for line in S.revenue_lines if len(line.tiers) > 1]


@given(plans())
def test_totals_always_add_up(plan):
    result = evaluate(S, plan)
    t = result.totals
    assert t.revenue == sum(line.revenue for line in result.revenue_lines)
    supplies = [c for c in result.cost_lines if c.group == "supplies"]
    assert t.variable_cost == sum(c.amount for c in supplies)
    assert t.variable_cost == sum(line.variable_cost for line in result.revenue_lines)
    assert t.fixed_cost == sum(c.amount for c in result.cost_lines if c.group != "supplies")
    assert t.contribution_margin == t.revenue - t.variable_cost
    assert t.contribution_margin == sum(line.contribution for line in result.revenue_lines)
    assert t.operating_margin == t.revenue - sum(c.amount for c in result.cost_lines)
    assert t.operating_margin == t.contribution_margin - t.fixed_cost
    assert t.margin_vs_target == t.operating_margin - t.margin_target
    assert t.recurring_margin == t.operating_margin + t.one_time_costs - t.one_time_relief
    assert t.one_time_costs == sum(c.one_time_cost for c in result.cost_lines)


@given(plans())
def test_every_money_cell_is_in_cents_and_volumes_are_whole(plan):
    result = evaluate(S, plan)
    amounts = [c.amount for c in result.cost_lines] + [r.revenue for r in result.revenue_lines]
    amounts += [r.net_rate for r in result.revenue_lines]
    assert all(a.as_tuple().exponent == -2 for a in amounts)
    assert all(isinstance(r.volume, int) and 0 <= r.volume <= r.capacity
               for r in result.revenue_lines)


@given(plans(), st.sampled_from(TIERED), st.data())
def test_a_cheaper_supply_tier_never_lowers_the_margin(plan, line, data):
    lever_id = f"supply.{line.key}"
    low, high = sorted(data.draw(st.lists(st.integers(0, len(line.tiers) - 1), min_size=2,
                                          max_size=2)))
    # a tier whose volume commitment the plan misses is not a cheaper price (today's applies)
    volume = next(r.volume for r in evaluate(S, plan).revenue_lines if r.id == line.id)
    assume(volume >= line.tiers[high].min_volume)
    worse = evaluate(S, plan.with_change(lever_id, D(low))).totals.operating_margin
    better = evaluate(S, plan.with_change(lever_id, D(high))).totals.operating_margin
    assert better >= worse


@given(plans(), st.sampled_from(S.revenue_lines), st.integers(1, 500))
def test_cutting_a_supply_price_never_lowers_the_margin(plan, line, cut):
    tiers = tuple(dataclasses.replace(t, cost_per_unit=max(D(0), t.cost_per_unit - cut))
                  for t in line.tiers)
    cheaper_line = dataclasses.replace(line, tiers=tiers)
    cheaper = dataclasses.replace(S, revenue_lines=tuple(
        cheaper_line if other.id == line.id else other for other in S.revenue_lines))
    before = evaluate(S, plan).totals.operating_margin
    assert evaluate(cheaper, plan).totals.operating_margin >= before


@given(plans(safe=False), st.sampled_from(S.staffing_lines), st.integers(1, 40))
def test_a_plan_below_safe_staffing_is_always_refused(plan, line, tenths):
    plan = plan.without(S.conversion.lever_id)  # conversion only adds positions
    pool = next(p for p in S.pools if p.id == line.pool)
    others = sum(s.fte + plan.value(s.lever_id) for s in S.staffing_lines
                 if s.pool == pool.id and s.id != line.id)
    value = pool.minimum_fte - D(tenths) / 10 - others - line.fte
    lever = S.lever(line.lever_id)
    assume(lever.minimum <= value <= lever.maximum)
    unsafe = plan.with_change(line.lever_id, value)
    with pytest.raises(UnsafePlan) as err:
        evaluate(S, unsafe)
    assert any(pool.label in r.reason for r in err.value.refusals)
    assert safety_refusals(S, unsafe) == err.value.refusals


@given(plans(safe=False))
def test_a_plan_is_refused_exactly_when_a_pool_is_below_its_minimum(plan):
    refusals = safety_refusals(S, plan)
    try:
        result = evaluate(S, plan)
    except UnsafePlan as err:
        assert err.refusals == refusals != ()
    else:
        assert refusals == ()
        assert all(p.fte >= p.minimum_fte for p in result.pools)


@settings(deadline=None)
@given(plans())
def test_the_same_plan_always_gives_the_same_result_also_after_json(plan):
    first = evaluate(S, plan)
    assert evaluate(S, plan) == first
    stored = Plan.from_json(json.loads(json.dumps(plan.to_json())), S)
    assert evaluate(S, stored) == first
    assert review(S, stored) == review(S, plan)


@given(plans())
def test_changed_lines_are_exactly_the_lines_that_moved(plan):
    result = evaluate(S, plan)
    base = evaluate(S, Plan())
    moved = {line.id for line, old in zip(result.revenue_lines, base.revenue_lines, strict=True)
             if line.revenue != old.revenue}
    moved |= {line.id for line, old in zip(result.cost_lines, base.cost_lines, strict=True)
              if line.amount != old.amount}
    assert set(result.changed_lines) == moved
    assert result.changed_levers == plan.changed_levers()


def test_justification_and_labels_do_not_change_the_numbers():
    bare = Plan({"fte.app": LeverChange(D(1))})
    told = Plan({"fte.app": LeverChange(D(1), "450 visits", True)})
    assert evaluate(S, bare).totals == evaluate(S, told).totals


def _sparse(plan: Plan, keep: int) -> Plan:
    """The plan with only its first ``keep`` levers (most lines untouched)."""
    return Plan(dict(list(plan.changes.items())[:keep]))


@settings(max_examples=150)
@given(plans(), st.integers(0, 4))
def test_reusing_the_baselines_untouched_lines_gives_the_full_computation(plan, keep):
    """``evaluate`` takes a line no lever reaches from the baseline; computing every line
    instead gives the same figures, to the decimal place, and the same notes."""
    from leadership_pods.pods.budget.model import _compute

    for candidate in (plan, _sparse(plan, keep)):
        try:
            fast = evaluate(S, candidate)
        except UnsafePlan:
            continue
        full = _compute(S, candidate, None)
        assert repr(dataclasses.replace(fast, changed_lines=())) == repr(full)
        reused = [line for line, base in zip(fast.cost_lines, evaluate(S, Plan()).cost_lines,
                                             strict=True) if line is base]
        assert all(line.id not in fast.changed_lines for line in reused)
