"""The service-line model: ``evaluate(scenario, plan) -> Result``. Pure and deterministic.

Every cell is a sum, a product, ``MIN``/``MAX``, ``IF`` or ``ROUND`` of scenario constants and
lever values ``v(lever)`` (0 when the plan does not set it), so the Excel export can write
each one as a live formula. Rounding follows :mod:`.money`.

Staffing, per staffing line ``l`` and pool ``p`` (``c`` = ``v(fte.agency_conversion)``)::

    positions_l = fte_l + v(fte.l) [+ 1.1*c on the employed line] [- c on the agency line]
    paid_l      = fte_l + v(fte.l) [+ 1.1*c*70% on the employed line] [- c*70% on agency]
    cost_l      = ROUND(paid_l * loaded_cost_l, 2)
    fte_p       = SUM(positions_l in p);  deficit_p = MAX(0, base_p - fte_p);
    surplus_p   = MAX(0, fte_p - base_p)

A plan with any ``fte_p < minimum_p`` is **refused**: ``evaluate`` raises
:class:`~.errors.UnsafePlan` listing every breach and returns nothing. (Refusing by raising
means an unsafe plan can never be scored, stored as applied or negotiated; the grid catches
it, shows ``refusals`` and keeps the previous plan. :func:`safety_refusals` gives the list
without raising.)

Volume, per revenue line ``r``::

    demand_r   = volume_r + ROUND(volume_r * v(volume.r) / 100, 0)
                 + SUM_i ROUND(run_rate_i,r * v(init.i) / 100, 0)
                 + SUM_h (added_h,r * MAX(v(h), 0) - closed_h,r * MAX(-v(h), 0))
                 + SUM_p (ROUND(above_p,r * surplus_p, 0) - ROUND(below_p,r * deficit_p, 0))
    capacity_r = capacity_r + SUM_h capacity_h,r * v(h) + SUM_i IF(v(init.i) > 0, added_i,r, 0)
    planned_r  = MAX(0, MIN(capacity_r, demand_r))
    revenue_r  = ROUND(planned_r * ROUND(rate_r * (1 - share * cut), 2), 2)
    supplies_r = ROUND(planned_r * IF(planned_r >= min_volume_t, price_t, price_0), 2)

Other cost lines: service hours ``ROUND(v(h) * cost_per_session, 2)``; an initiative
``IF(v > 0, recurring + one_time, 0)``; a capital item ``IF(v = 1, added_maintenance,
annual_expense)``; recruiting ``ROUND(c * recruiting_cost, 2)``; fixed lines as given.

Quality, per indicator ``q`` (then ``ROUND(x, 2)``)::

    q = baseline_q + SUM_p (deficit_p * below_p,q + surplus_p * above_p,q)
        + SUM_h (MAX(v(h), 0) * added_h,q + MAX(-v(h), 0) * closed_h,q)
        + SUM_i v(init.i) / 100 * run_rate_i,q + SUM_k IF(v(k) = 1, deferred_k,q, 0)
        + SUM_r (planned_r - volume_r) / 1000 * per_1000_r,q
"""

from __future__ import annotations

from decimal import Decimal

from .coefficients import RECRUITING_LABEL, coefficients, cost_tables, per_scenario
from .errors import Refusal, UnsafePlan
from .money import HUNDRED, ZERO, cents, money, number, plural, round_to, whole
from .plan import Plan, validate_plan
from .results import (
    CostLineResult,
    IndicatorResult,
    PoolResult,
    Result,
    RevenueLineResult,
    Status,
    Totals,
)
from .scenario import Scenario

_THOUSAND = Decimal(1000)


def evaluate(scenario: Scenario, plan: Plan) -> Result:
    """Compute the P&L and quality of ``plan``; raise ``UnsafePlan`` if it is unsafe."""
    return _compute(scenario, plan, baseline(scenario))


@per_scenario
def baseline(scenario: Scenario) -> Result:
    """The year as it opens: after the payer cut, before any lever."""
    return _compute(scenario, Plan(), None)


def safety_refusals(scenario: Scenario, plan: Plan) -> tuple[Refusal, ...]:
    """Every minimum-safe-staffing breach of ``plan`` (empty when it is safe)."""
    validate_plan(scenario, plan)
    pools = _pools(scenario, _positions(scenario, plan)[0])
    return _refusals(scenario, plan, pools)


#: builds a named tuple from the tuple of all its fields in C, without the named tuple's
#: Python-level ``__new__`` (half the cost; the model builds about forty per evaluation)
_new = tuple.__new__


def _positions(scenario: Scenario, plan: Plan) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Each staffing line's positions and its FTE paid this year (only the converted
    positions differ: ``year_one_pct`` of the swap is realised in year one)."""
    conv = scenario.conversion
    values = plan.values.get
    fte = {s.id: s.fte + values(s.lever_id, ZERO) for s in scenario.staffing_lines}
    converted = values(conv.lever_id, ZERO)
    paid = fte.copy()
    share = conv.year_one_pct / HUNDRED
    # applied even at 0: the terms set the figures' decimal places (62.00 FTE paid)
    fte[conv.to_line] += conv.employed_per_agency * converted
    fte[conv.from_line] -= converted
    paid[conv.to_line] += conv.employed_per_agency * converted * share
    paid[conv.from_line] -= converted * share
    return fte, paid


def _pools(scenario: Scenario, positions: dict[str, Decimal]) -> tuple[PoolResult, ...]:
    pools = []
    for pool, members, baseline_fte in zip(scenario.pools, *coefficients(scenario).pools,
                                           strict=True):
        fte = positions[members[0]]
        for line_id in members[1:]:
            fte += positions[line_id]
        pools.append(_new(PoolResult, (pool.id, pool.label, baseline_fte, fte, pool.minimum_fte)))
    return tuple(pools)


def _refusals(scenario: Scenario, plan: Plan, pools: tuple[PoolResult, ...]
              ) -> tuple[Refusal, ...]:
    refusals = []
    for pool, spec in zip(pools, scenario.pools, strict=True):
        if pool.fte >= pool.minimum_fte:
            continue
        levers = [s.lever_id for s in scenario.staffing_lines if s.pool == pool.id]
        cuts = [lid for lid in levers if plan.value(lid) < 0] or levers
        refusals.append(Refusal(cuts[0], (
            f"Refused: {pool.label} would fall to {number(pool.fte)} FTE, below the minimum "
            f"safe staffing of {number(pool.minimum_fte)} FTE ({spec.minimum_reason}).")))
    return tuple(refusals)


def _compute(scenario: Scenario, plan: Plan, base: Result | None) -> Result:
    """The evaluated plan. Against ``base`` (the baseline): a line no lever of the plan
    reaches is the baseline's own line object, and ``changed_lines`` lists the lines whose
    amount differs from it; without it (the baseline itself) every line is computed and none
    is changed."""
    if plan.checked_for is not scenario:  # Plan.from_json checked it already
        validate_plan(scenario, plan)
    positions, paid = _positions(scenario, plan)
    pools = _pools(scenario, positions)
    for pool in pools:
        if pool.fte < pool.minimum_fte:
            raise UnsafePlan(_refusals(scenario, plan, pools))
    deficit = {p.id: p.baseline_fte - p.fte for p in pools if p.fte < p.baseline_fte}
    surplus = {p.id: p.fte - p.baseline_fte for p in pools if p.fte > p.baseline_fte}
    revenue_lines, supply_lines, notes = _revenue_lines(scenario, plan, deficit, surplus, base)
    operating = _operating_lines(scenario, plan, paid, base)
    cost_lines = (*supply_lines, *operating)
    totals = _totals(scenario, revenue_lines, supply_lines, operating)
    quality = _quality(scenario, plan, revenue_lines, deficit, surplus)
    changed: tuple[str, ...] = () if base is None else tuple(
        [line.id for line, before in zip(revenue_lines, base.revenue_lines, strict=True)
         if line is not before and line.revenue != before.revenue]
        + [line.id for line, before in zip(cost_lines, base.cost_lines, strict=True)
           if line is not before and line.amount != before.amount])
    return Result(scenario.id, revenue_lines, cost_lines, pools, totals, quality,
                  plan.changed_levers(), changed, notes)


def _revenue_lines(scenario: Scenario, plan: Plan, deficit: dict[str, Decimal],
                   surplus: dict[str, Decimal], base: Result | None
                   ) -> tuple[tuple[RevenueLineResult, ...], tuple[CostLineResult, ...],
                              tuple[str, ...]]:
    """The revenue lines, their supply cost lines, and the notes on capacity and tiers."""
    lines, supplies, notes = [], [], []
    values = plan.values.get
    tables = coefficients(scenario)
    labels = cost_tables(scenario).supply_labels
    # (a baseline with notes on its lines would need them kept: every line is computed then)
    reuse = base is not None and not base.notes
    for index, (line, terms, label) in enumerate(zip(scenario.revenue_lines, tables.lines,
                                                     labels, strict=True)):
        if reuse and not any(values(lid) for lid in terms.levers) and not any(
                pid in surplus or pid in deficit for pid, _, _ in terms.pools):
            # no lever reaches the line: it is the baseline's
            assert base is not None
            lines.append(base.revenue_lines[index])
            supplies.append(base.cost_lines[index])
            continue
        # a lever at 0 adds 0 to every term: its terms are skipped
        demand = line.volume
        change = values(terms.volume_lever)
        if change:
            demand += whole(line.volume * change / HUNDRED)
        capacity = line.capacity
        for init_id, run_rate, added in terms.initiatives:
            share = values(init_id)
            if share:
                demand += whole(run_rate * share / HUNDRED)
                capacity += added if share > 0 else 0
        for hours_id, per_added, per_closed, per_session in terms.hours:
            sessions = int(values(hours_id, ZERO))
            if sessions:
                demand += per_added * max(sessions, 0) - per_closed * max(-sessions, 0)
                capacity += per_session * sessions
        for pool_id, above, below in terms.pools:
            if pool_id in surplus:
                demand += whole(above * surplus[pool_id])
            if pool_id in deficit:
                demand -= whole(below * deficit[pool_id])
        volume = max(0, min(capacity, demand))
        if demand > capacity:
            notes.append(f"{line.label}: the plan asks for {demand:,} {plural(line.unit)} but capacity "
                         f"is {capacity:,}; {demand - capacity:,} cannot be done.")
        tier = line.tiers[int(values(terms.supply_lever, ZERO))]
        lost = volume < tier.min_volume
        if lost:
            notes.append(f"{line.label}: {volume:,} {plural(line.unit)} miss the {tier.label}'s "
                         f"commitment of {tier.min_volume:,}; today's price applies.")
        price = line.tiers[0].cost_per_unit if lost else tier.cost_per_unit
        net_rate = terms.net_rate
        variable_cost = cents(volume * price)
        lines.append(_new(RevenueLineResult, (
            line.id, line.label, line.unit, line.volume, demand, capacity, volume, net_rate,
            cents(volume * net_rate), line.supply_line_id, tier.tier, lost, price,
            variable_cost)))
        supplies.append(_new(CostLineResult, (
            line.supply_line_id, label, "supplies", "variable", variable_cost, Decimal(volume),
            price, ZERO, ZERO)))
    return tuple(lines), tuple(supplies), tuple(notes)


def _operating_lines(scenario: Scenario, plan: Plan, paid: dict[str, Decimal],
                     base: Result | None) -> tuple[CostLineResult, ...]:
    """Staffing, recruiting, service hours, initiatives, capital items and fixed costs, in
    that order; against ``base``, a line whose quantity is the baseline's is the baseline's."""
    tables = cost_tables(scenario)
    values = plan.values.get
    # the baseline's operating lines follow its supply lines, one per revenue line
    before = base.cost_lines[len(scenario.revenue_lines):] if base is not None else None
    lines = []
    for index, s in enumerate(scenario.staffing_lines):
        fte = paid[s.id]
        lines.append(before[index] if before is not None and fte == s.fte else _new(
            CostLineResult, (s.id, s.label, "staffing", "step_fixed", cents(fte * s.loaded_cost),
                             fte, s.loaded_cost, ZERO, ZERO)))
    conv = scenario.conversion
    converted = values(conv.lever_id, ZERO)
    if before is not None and not converted:
        lines.append(before[len(lines)])
    else:
        recruiting = cents(converted * conv.recruiting_cost)
        lines.append(_new(CostLineResult, (
            "cost.recruiting", RECRUITING_LABEL, "staffing", "fixed", recruiting, converted,
            conv.recruiting_cost, recruiting, ZERO)))
    for hours, label in zip(scenario.service_hours, tables.hours_labels, strict=True):
        sessions = values(hours.id, ZERO)
        lines.append(before[len(lines)] if before is not None and not sessions else _new(
            CostLineResult, (hours.cost_line_id, label, "service_hours", "step_fixed",
                             cents(sessions * hours.cost_per_session), sessions,
                             hours.cost_per_session, ZERO, ZERO)))
    # initiatives (pursued or not), capital items (deferred or not), fixed costs: built once
    lines.extend(pair[values(init.id, ZERO) > 0]
                 for init, pair in zip(scenario.initiatives, tables.initiatives, strict=True))
    lines.extend(pair[values(item.id, ZERO) == 1]
                 for item, pair in zip(scenario.capital_items, tables.capital, strict=True))
    lines.extend(tables.fixed)
    return tuple(lines)


def _totals(scenario: Scenario, revenue_lines: tuple[RevenueLineResult, ...],
            supply_lines: tuple[CostLineResult, ...], operating: tuple[CostLineResult, ...]
            ) -> Totals:
    """Sums of lines rounded to cents: exact in any order."""
    revenue = sum([line.revenue for line in revenue_lines], ZERO)
    variable = sum([c.amount for c in supply_lines], ZERO)
    fixed = sum([c.amount for c in operating], ZERO)
    one_time_costs = sum([c.one_time_cost for c in operating if c.one_time_cost], ZERO)
    relief = sum([c.one_time_relief for c in operating if c.one_time_relief], ZERO)
    margin = revenue - variable - fixed
    pct = cents(margin / revenue * HUNDRED) if revenue else ZERO
    target = cents(scenario.goals.margin_target)
    return _new(Totals, (revenue, variable, revenue - variable, fixed, margin, pct, target,
                         margin - target, one_time_costs, relief,
                         margin + one_time_costs - relief))


def _quality(scenario: Scenario, plan: Plan, revenue_lines: tuple[RevenueLineResult, ...],
             deficit: dict[str, Decimal], surplus: dict[str, Decimal]
             ) -> tuple[IndicatorResult, ...]:
    results = []
    values = plan.values.get
    for ind, terms in zip(scenario.indicators, coefficients(scenario).indicators, strict=True):
        # zero terms are skipped: they add nothing, and the rounding at the end fixes the
        # number of places whatever was added
        value = ind.baseline
        for pool_id, below, above in terms.pools:
            if pool_id in deficit:
                value += deficit[pool_id] * below
            if pool_id in surplus:
                value += surplus[pool_id] * above
        for hours_id, added, closed in terms.hours:
            sessions = values(hours_id, ZERO)
            if sessions > 0:
                value += sessions * added
            elif sessions < 0:
                value += -sessions * closed
        for init_id, at_run_rate in terms.initiatives:
            share = values(init_id, ZERO)
            if share:
                value += share / HUNDRED * at_run_rate
        for item_id, if_deferred in terms.capital:
            if values(item_id, ZERO) == 1:
                value += if_deferred
        for index, per_1000 in terms.lines:
            line = revenue_lines[index]
            if line.volume != line.baseline_volume:
                value += (line.volume - line.baseline_volume) / _THOUSAND * per_1000
        value = round_to(value, 2)
        status = (Status.KEPT if value <= ind.baseline
                  else Status.AT_RISK if value <= ind.floor else Status.BROKEN)
        results.append(IndicatorResult(ind.id, ind.label, ind.unit, ind.baseline, value,
                                       ind.floor, ind.floor_label, status))
    return tuple(results)


def describe_margin(result: Result) -> str:
    """``-$413,481 (-0.51%), $1.61M short of the $1.2M margin target`` -- headers, the CFO."""
    t = result.totals
    gap = t.margin_vs_target
    where = (f"{money(-gap)} short of" if gap < 0 else f"{money(gap)} above" if gap > 0
             else "exactly at")
    return f"{money(t.operating_margin)} ({t.margin_pct:f}%), {where} the " \
           f"{money(t.margin_target)} margin target"
