"""The scenario's constants arranged for :mod:`.model`: computed once per scenario.

The model's formulas (see :mod:`.model`) sum coefficient x lever terms over every initiative,
service-hour block, pool, capital item and revenue line. Most coefficients are zero (an
initiative moves one or two revenue lines, not six), and a lever at 0 moves nothing, so the
tables below are turned around: for each lever (and each staff pool, and each revenue line
whose volume moves quality), the non-zero terms it reaches. The model starts from today's
figures and applies the terms of the levers a plan sets, which is work in proportion to the
plan rather than to the scenario. Every term is an integer (volumes) or an exact decimal
(quality, rounded once at the end), so the order they are added in changes nothing: the
results are the same to the cent.

A :class:`Scenario` is a deep frozen dataclass whose hash walks every field; the tables are
therefore cached by identity (the scenario object is kept alive by the cache entry, so an
id is never reused while its entry exists).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple, TypeVar

from .money import ZERO, cents
from .results import CostLineResult
from .scenario import CapitalItem, Scenario, VolumeInitiative
from .service_line import NO_EFFECT, QualityEffect, VolumeEffect


class Kind(IntEnum):
    """What a lever is, for the terms it reaches (FTE levers and the agency conversion have
    none of their own: they reach lines and quality through their staff pools)."""

    VOLUME = 0       #: a revenue line's assumed volume change, %
    SUPPLY = 1       #: a revenue line's contract tier
    INITIATIVE = 2   #: % of an initiative's run-rate realised
    HOURS = 3        #: weekly sessions added or closed
    CAPITAL = 4      #: 1 defers a replacement


class Reach(NamedTuple):
    """The terms one lever's value reaches."""

    kind: Kind
    #: VOLUME and SUPPLY: the revenue line's index (else -1)
    line: int
    #: INITIATIVE: (line index, run-rate units, capacity units when pursued, 0);
    #: HOURS: (line index, units per added session, per closed session, capacity per session)
    lines: tuple[tuple[int, int, int, int], ...]
    #: (indicator index, per unit up: added session, run-rate, deferral; per unit down:
    #: closed session)
    quality: tuple[tuple[int, Decimal, Decimal], ...]


class PoolReach(NamedTuple):
    """A staff pool's terms: per FTE above or below its baseline."""

    #: (line index, units per FTE above, per FTE below)
    lines: tuple[tuple[int, int, int], ...]
    #: (indicator index, per FTE below, per FTE above)
    quality: tuple[tuple[int, Decimal, Decimal], ...]


@dataclass(frozen=True)
class Coefficients:
    #: each lever's reach, by lever id (not the FTE levers' nor the conversion's: see Kind)
    levers: dict[str, Reach]
    #: each pool's reach, in pool order
    pools: tuple[PoolReach, ...]
    #: per revenue line: (indicator index, per 1,000 units above baseline)
    line_quality: tuple[tuple[tuple[int, Decimal], ...], ...]
    #: per pool, in pool order: the indices of its staffing lines
    pool_members: tuple[tuple[int, ...], ...]
    #: per pool: its baseline FTE
    pool_baseline: tuple[Decimal, ...]
    #: each revenue line's net revenue per unit after the payer cut
    net_rates: tuple[Decimal, ...]
    #: today's volume and capacity of each revenue line, and value of each indicator
    volumes: tuple[int, ...]
    capacities: tuple[int, ...]
    indicator_baselines: tuple[Decimal, ...]
    #: the staffing lines' indices of the conversion's lines (to, from)
    conversion_lines: tuple[int, int]
    #: the cost lines a plan only switches, and the labels (:func:`cost_tables`)
    costs: CostTables


T = TypeVar("T")


def per_scenario(build: Callable[[Scenario], T]) -> Callable[[Scenario], T]:
    """``build(scenario)`` computed once per scenario object and kept (by identity)."""
    cache: dict[int, tuple[Scenario, T]] = {}

    @functools.wraps(build)
    def cached(scenario: Scenario) -> T:
        hit = cache.get(id(scenario))
        if hit is not None and hit[0] is scenario:
            return hit[1]
        value = build(scenario)
        if len(cache) >= 32:
            cache.clear()
        cache[id(scenario)] = (scenario, value)
        return value

    return cached


@per_scenario
def coefficients(scenario: Scenario) -> Coefficients:
    """The tables of ``scenario``."""
    lines = scenario.revenue_lines
    line_index = {line.id: n for n, line in enumerate(lines)}
    indicators = [ind.id for ind in scenario.indicators]

    def units(effects: tuple[VolumeEffect, ...]) -> list[int]:
        per_line = [0] * len(lines)
        for effect in effects:
            per_line[line_index[effect.line_id]] += effect.units
        return per_line

    def quality(up: QualityEffect, down: QualityEffect = NO_EFFECT
                ) -> tuple[tuple[int, Decimal, Decimal], ...]:
        return tuple((n, up.get(ind), down.get(ind)) for n, ind in enumerate(indicators)
                     if up.get(ind) or down.get(ind))

    levers: dict[str, Reach] = {}
    staffing = {s.id: n for n, s in enumerate(scenario.staffing_lines)}
    for n, line in enumerate(lines):
        levers[f"volume.{line.key}"] = Reach(Kind.VOLUME, n, (), ())
        levers[f"supply.{line.key}"] = Reach(Kind.SUPPLY, n, (), ())
    for init in scenario.initiatives:
        run_rate, added = units(init.run_rate_volume), units(init.capacity_added)
        levers[init.id] = Reach(Kind.INITIATIVE, -1, tuple(
            (n, run_rate[n], added[n], 0) for n in range(len(lines)) if run_rate[n] or added[n]),
            quality(init.quality_at_run_rate))
    for h in scenario.service_hours:
        per_added, per_closed = units(h.volume_per_added), units(h.volume_per_closed)
        per_session = units(h.capacity_per_session)
        levers[h.id] = Reach(Kind.HOURS, -1, tuple(
            (n, per_added[n], per_closed[n], per_session[n]) for n in range(len(lines))
            if per_added[n] or per_closed[n] or per_session[n]),
            quality(h.quality_per_added, h.quality_per_closed))
    for item in scenario.capital_items:
        levers[item.id] = Reach(Kind.CAPITAL, -1, (), quality(item.quality_if_deferred))
    pools = []
    for pool in scenario.pools:
        above, below = units(pool.volume_per_fte_above), units(pool.volume_per_fte_below)
        pools.append(PoolReach(
            tuple((n, above[n], below[n]) for n in range(len(lines)) if above[n] or below[n]),
            quality(pool.per_fte_below, pool.per_fte_above)))
    conv = scenario.conversion
    return Coefficients(
        levers=levers, pools=tuple(pools),
        line_quality=tuple(tuple((n, line.quality_per_1000_units.get(ind))
                                 for n, ind in enumerate(indicators)
                                 if line.quality_per_1000_units.get(ind)) for line in lines),
        pool_members=tuple(tuple(staffing[s.id] for s in scenario.staffing_lines
                                 if s.pool == pool.id) for pool in scenario.pools),
        pool_baseline=tuple(sum((s.fte for s in scenario.staffing_lines if s.pool == pool.id),
                                ZERO) for pool in scenario.pools),
        net_rates=tuple(cents(line.rate * scenario.payer_cut.factor) for line in lines),
        volumes=tuple(line.volume for line in lines),
        capacities=tuple(line.capacity for line in lines),
        indicator_baselines=tuple(ind.baseline for ind in scenario.indicators),
        conversion_lines=(staffing[conv.to_line], staffing[conv.from_line]),
        costs=cost_tables(scenario))


@dataclass(frozen=True)
class CostTables:
    """The cost lines a plan can only switch, built once: each initiative's line (not
    pursued, pursued), each capital item's (kept, deferred), the fixed costs, and the labels
    of the lines a plan scales."""

    supply_labels: tuple[str, ...]
    hours_labels: tuple[str, ...]
    #: (lever id, (line not pursued, line pursued)), in initiative order
    initiatives: tuple[tuple[str, tuple[CostLineResult, CostLineResult]], ...]
    #: (lever id, (line kept, line deferred)), in capital item order
    capital: tuple[tuple[str, tuple[CostLineResult, CostLineResult]], ...]
    fixed: tuple[CostLineResult, ...]


RECRUITING_LABEL = "Recruiting for converted positions (one-time)"


@per_scenario
def cost_tables(scenario: Scenario) -> CostTables:
    def initiative(init: VolumeInitiative, on: bool) -> CostLineResult:
        return CostLineResult(init.cost_line_id, f"Initiative: {init.label}", "initiatives",
                              "fixed", cents(init.recurring_cost + init.one_time_cost
                                             if on else ZERO),
                              one_time_cost=cents(init.one_time_cost if on else ZERO))

    def capital(item: CapitalItem, deferred: bool) -> CostLineResult:
        return CostLineResult(
            item.cost_line_id, f"Capital: {item.label} (first-year expense)", "capital", "fixed",
            cents(item.added_maintenance if deferred else item.annual_expense),
            one_time_relief=cents(item.annual_expense - item.added_maintenance
                                  if deferred else ZERO))

    return CostTables(
        supply_labels=tuple(f"Supplies and variable cost: {line.supply_label}"
                            for line in scenario.revenue_lines),
        hours_labels=tuple(f"Service hours: {hours.label}" for hours in scenario.service_hours),
        initiatives=tuple((i.id, (initiative(i, False), initiative(i, True)))
                          for i in scenario.initiatives),
        capital=tuple((k.id, (capital(k, False), capital(k, True)))
                      for k in scenario.capital_items),
        fixed=tuple(CostLineResult(f.id, f.label, f.group, "fixed", cents(f.amount))
                    for f in scenario.fixed_costs))
