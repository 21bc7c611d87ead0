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

from .coefficients import (
    RECRUITING_LABEL,
    Coefficients,
    CostTables,
    Kind,
    coefficients,
    per_scenario,
)
from .errors import Refusal, UnsafePlan
from .money import HUNDRED, ZERO, cents, half_up, money, number, plural, round_to
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
# enum members as plain names: looking one up on its class costs about 100 ns each time
_VOLUME, _SUPPLY, _INITIATIVE, _HOURS, _CAPITAL = (
    Kind.VOLUME, Kind.SUPPLY, Kind.INITIATIVE, Kind.HOURS, Kind.CAPITAL)
_KEPT, _AT_RISK, _BROKEN = Status.KEPT, Status.AT_RISK, Status.BROKEN


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
    tables = coefficients(scenario)
    return _refusals(scenario, plan, _pools(scenario, tables,
                                            _positions(scenario, tables, plan)[0]))


#: builds a named tuple from the tuple of all its fields in C, without the named tuple's
#: Python-level ``__new__`` (half the cost; the model builds about forty per evaluation)
_new = tuple.__new__


def _positions(scenario: Scenario, tables: Coefficients, plan: Plan
               ) -> tuple[list[Decimal], list[Decimal]]:
    """Each staffing line's positions and its FTE paid this year, in line order (only the
    converted positions differ: ``year_one_pct`` of the swap is realised in year one)."""
    conv = scenario.conversion
    values = plan.values.get
    fte = [s.fte + values(s.lever_id, ZERO) for s in scenario.staffing_lines]
    converted = values(conv.lever_id, ZERO)
    paid = fte.copy()
    share = conv.year_one_pct / HUNDRED
    to_line, from_line = tables.conversion_lines
    # applied even at 0: the terms set the figures' decimal places (62.00 FTE paid)
    fte[to_line] += conv.employed_per_agency * converted
    fte[from_line] -= converted
    paid[to_line] += conv.employed_per_agency * converted * share
    paid[from_line] -= converted * share
    return fte, paid


def _pools(scenario: Scenario, tables: Coefficients, positions: list[Decimal]
           ) -> tuple[PoolResult, ...]:
    pools = []
    for pool, members, baseline_fte in zip(scenario.pools, tables.pool_members,
                                           tables.pool_baseline, strict=True):
        fte = positions[members[0]]
        for member in members[1:]:
            fte += positions[member]
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


class _Year:
    """The plan's volumes and quality being worked out: today's figures, then every term
    the plan's levers and staff pools reach (see :mod:`.coefficients`)."""

    __slots__ = ("demand", "capacity", "tier", "moved", "quality")

    def __init__(self, tables: Coefficients, everything_moved: bool) -> None:
        self.demand = list(tables.volumes)
        self.capacity = list(tables.capacities)
        self.tier = [0] * len(tables.volumes)
        #: the lines whose inputs a lever or pool reaches (only those are computed)
        self.moved = [everything_moved] * len(tables.volumes)
        self.quality = list(tables.indicator_baselines)

    def apply(self, tables: Coefficients, plan: Plan) -> None:
        """The terms of every lever the plan sets (FTE and conversion act through pools)."""
        levers = tables.levers
        demand, capacity, moved, quality = self.demand, self.capacity, self.moved, self.quality
        for lever_id, value in plan.values.items():
            if not value:
                continue
            reach = levers.get(lever_id)
            if reach is None:  # FTE and the conversion: through the pools (see staff)
                continue
            kind = reach.kind
            if kind is _VOLUME:
                volume = tables.volumes[reach.line]
                top, bottom = value.as_integer_ratio()  # ROUND(volume * value / 100, 0)
                demand[reach.line] += half_up(volume * top, bottom * 100)
                moved[reach.line] = True
            elif kind is _SUPPLY:
                self.tier[reach.line] = int(value)
                moved[reach.line] = True
            elif kind is _INITIATIVE:
                top, bottom = value.as_integer_ratio()  # ROUND(run_rate * value / 100, 0)
                for index, run_rate, added, _ in reach.lines:
                    demand[index] += half_up(run_rate * top, bottom * 100)
                    if value > 0:
                        capacity[index] += added
                    moved[index] = True
                for k, at_run_rate, _ in reach.quality:
                    quality[k] += value / HUNDRED * at_run_rate
            elif kind is _HOURS:
                sessions = int(value)
                for index, units_added, units_closed, per_session in reach.lines:
                    demand[index] += (units_added * max(sessions, 0)
                                      - units_closed * max(-sessions, 0))
                    capacity[index] += per_session * sessions
                    moved[index] = True
                for k, per_added, per_closed in reach.quality:
                    quality[k] += value * per_added if value > 0 else -value * per_closed
            elif kind is _CAPITAL and value == 1:
                for k, if_deferred, _ in reach.quality:
                    quality[k] += if_deferred

    def staff(self, tables: Coefficients, pools: tuple[PoolResult, ...]) -> None:
        """The terms of every pool above or below its baseline FTE."""
        demand, moved, quality = self.demand, self.moved, self.quality
        for pool, reach in zip(pools, tables.pools, strict=True):
            if pool.fte < pool.baseline_fte:
                deficit = pool.baseline_fte - pool.fte
                top, bottom = deficit.as_integer_ratio()  # ROUND(below * deficit, 0)
                for index, _, below in reach.lines:
                    demand[index] -= half_up(below * top, bottom)
                    moved[index] = True
                for k, per_below, _ in reach.quality:
                    quality[k] += deficit * per_below
            elif pool.fte > pool.baseline_fte:
                surplus = pool.fte - pool.baseline_fte
                top, bottom = surplus.as_integer_ratio()  # ROUND(above * surplus, 0)
                for index, above, _ in reach.lines:
                    demand[index] += half_up(above * top, bottom)
                    moved[index] = True
                for k, _, per_above in reach.quality:
                    quality[k] += surplus * per_above


def _compute(scenario: Scenario, plan: Plan, base: Result | None) -> Result:
    """The evaluated plan. Against ``base`` (the baseline): a line no lever of the plan
    reaches is the baseline's own line object, and ``changed_lines`` lists the lines whose
    amount differs from it; without it (the baseline itself) every line is computed and none
    is changed."""
    if plan.checked_for is not scenario:  # Plan.from_json checked it already
        validate_plan(scenario, plan)
    tables = coefficients(scenario)
    positions, paid = _positions(scenario, tables, plan)
    pools = _pools(scenario, tables, positions)
    for pool in pools:
        if pool.fte < pool.minimum_fte:
            raise UnsafePlan(_refusals(scenario, plan, pools))
    # (a baseline with notes on its lines would need them kept: every line is computed then)
    year = _Year(tables, everything_moved=base is None or bool(base.notes))
    year.apply(tables, plan)
    year.staff(tables, pools)
    revenue_lines, supply_lines, notes = _revenue_lines(scenario, tables, year, base)
    operating = _operating_lines(scenario, tables.costs, plan, paid, base)
    cost_lines = (*supply_lines, *operating)
    quality = _quality(scenario, tables, year, revenue_lines)
    changed: tuple[str, ...] = ()
    if base is None:
        totals = _totals(scenario, revenue_lines, supply_lines, operating)
    else:
        totals, changed = _against(base, revenue_lines, cost_lines)
    return Result(scenario.id, revenue_lines, cost_lines, pools, totals, quality,
                  plan.changed_levers(), changed, notes)


def _revenue_lines(scenario: Scenario, tables: Coefficients, year: _Year, base: Result | None
                   ) -> tuple[tuple[RevenueLineResult, ...], tuple[CostLineResult, ...],
                              tuple[str, ...]]:
    """The revenue lines, their supply cost lines, and the notes on capacity and tiers; a
    line nothing moved is the baseline's."""
    lines, supplies, notes = [], [], []
    labels = tables.costs.supply_labels
    net_rates = tables.net_rates
    for index, line in enumerate(scenario.revenue_lines):
        if not year.moved[index]:
            assert base is not None
            lines.append(base.revenue_lines[index])
            supplies.append(base.cost_lines[index])  # the supply lines come first
            continue
        demand, capacity = year.demand[index], year.capacity[index]
        volume = max(0, min(capacity, demand))
        if demand > capacity:
            notes.append(f"{line.label}: the plan asks for {demand:,} {plural(line.unit)} but capacity "
                         f"is {capacity:,}; {demand - capacity:,} cannot be done.")
        tier = line.tiers[year.tier[index]]
        lost = volume < tier.min_volume
        if lost:
            notes.append(f"{line.label}: {volume:,} {plural(line.unit)} miss the {tier.label}'s "
                         f"commitment of {tier.min_volume:,}; today's price applies.")
        price = line.tiers[0].cost_per_unit if lost else tier.cost_per_unit
        net_rate = net_rates[index]
        variable_cost = cents(volume * price)
        lines.append(_new(RevenueLineResult, (
            line.id, line.label, line.unit, line.volume, demand, capacity, volume, net_rate,
            cents(volume * net_rate), line.supply_line_id, tier.tier, lost, price,
            variable_cost)))
        supplies.append(_new(CostLineResult, (
            line.supply_line_id, labels[index], "supplies", "variable", variable_cost,
            Decimal(volume), price, ZERO, ZERO)))
    return tuple(lines), tuple(supplies), tuple(notes)


def _operating_lines(scenario: Scenario, tables: CostTables, plan: Plan, paid: list[Decimal],
                     base: Result | None) -> tuple[CostLineResult, ...]:
    """Staffing, recruiting, service hours, initiatives, capital items and fixed costs, in
    that order; against ``base``, a line whose quantity is the baseline's is the baseline's."""
    values = plan.values.get
    # the baseline's operating lines follow its supply lines, one per revenue line
    before = base.cost_lines[len(scenario.revenue_lines):] if base is not None else None
    lines = []
    for index, s in enumerate(scenario.staffing_lines):
        fte = paid[index]
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
    for lever_id, (off, on) in tables.initiatives:
        lines.append(on if values(lever_id, ZERO) > 0 else off)
    for lever_id, (kept, deferred) in tables.capital:
        lines.append(deferred if values(lever_id, ZERO) == 1 else kept)
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


def _against(base: Result, revenue_lines: tuple[RevenueLineResult, ...],
             cost_lines: tuple[CostLineResult, ...]) -> tuple[Totals, tuple[str, ...]]:
    """The totals as the baseline's plus each line's difference from the baseline's (the
    lines are in the same order; one no lever reaches is the baseline's own, and adds
    nothing), and the ids of the lines whose amount differs. Exact: every amount is cents."""
    t = base.totals
    revenue, variable, fixed = t.revenue, t.variable_cost, t.fixed_cost
    one_time_costs, relief = t.one_time_costs, t.one_time_relief
    changed = []
    for line, was in zip(revenue_lines, base.revenue_lines, strict=True):
        if line is not was and line.revenue != was.revenue:
            revenue += line.revenue - was.revenue
            changed.append(line.id)
    for c, before in zip(cost_lines, base.cost_lines, strict=True):
        if c is before:
            continue
        if c.amount != before.amount:
            if c.behaviour == "variable":
                variable += c.amount - before.amount
            else:
                fixed += c.amount - before.amount
            changed.append(c.id)
        # (only a change is added, so places are as a plain sum of the non-zero items)
        if c.one_time_cost != before.one_time_cost:
            one_time_costs += c.one_time_cost - before.one_time_cost
        if c.one_time_relief != before.one_time_relief:
            relief += c.one_time_relief - before.one_time_relief
    margin = revenue - variable - fixed
    pct = cents(margin / revenue * HUNDRED) if revenue else ZERO
    totals = _new(Totals, (revenue, variable, revenue - variable, fixed, margin, pct,
                           t.margin_target, margin - t.margin_target, one_time_costs, relief,
                           margin + one_time_costs - relief))
    return totals, tuple(changed)


def _quality(scenario: Scenario, tables: Coefficients, year: _Year,
             revenue_lines: tuple[RevenueLineResult, ...]) -> tuple[IndicatorResult, ...]:
    """Each indicator: today's value and every term reached (the volume terms last), rounded
    once: the sum of exact terms, so the order adds nothing and zero terms change only the
    places, which the rounding fixes."""
    quality = year.quality
    for line, terms in zip(revenue_lines, tables.line_quality, strict=True):
        if terms and line.volume != line.baseline_volume:
            for k, per_1000 in terms:
                quality[k] += (line.volume - line.baseline_volume) / _THOUSAND * per_1000
    results = []
    for ind, raw in zip(scenario.indicators, quality, strict=True):
        value = round_to(raw, 2)
        status = (_KEPT if value <= ind.baseline
                  else _AT_RISK if value <= ind.floor else _BROKEN)
        results.append(_new(IndicatorResult, (ind.id, ind.label, ind.unit, ind.baseline, value,
                                              ind.floor, ind.floor_label, status)))
    return tuple(results)


def describe_margin(result: Result) -> str:
    """``-$413,481 (-0.51%), $1.61M short of the $1.2M margin target`` -- headers, the CFO."""
    t = result.totals
    gap = t.margin_vs_target
    where = (f"{money(-gap)} short of" if gap < 0 else f"{money(gap)} above" if gap > 0
             else "exactly at")
    return f"{money(t.operating_margin)} ({t.margin_pct:f}%), {where} the " \
           f"{money(t.margin_target)} margin target"
