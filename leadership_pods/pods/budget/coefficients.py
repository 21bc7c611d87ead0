"""The scenario's constants arranged for :mod:`.model`: computed once per scenario.

The model's formulas (see :mod:`.model`) sum coefficient x lever terms over every initiative,
service-hour block, pool, capital item and revenue line. Most coefficients are zero (an
initiative moves one or two revenue lines, not six), and a zero term adds nothing, so the
tables below keep only the non-zero ones, already summed per revenue line, in the model's
order. The arithmetic on each term is unchanged, so the results are the same to the cent.

A :class:`Scenario` is a deep frozen dataclass whose hash walks every field; the tables are
therefore cached by identity (the scenario object is kept alive by the cache entry, so an
id is never reused while its entry exists).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from .money import ZERO, cents
from .results import CostLineResult
from .scenario import CapitalItem, Scenario, VolumeInitiative
from .service_line import QualityEffect, VolumeEffect


def _units(effects: tuple[VolumeEffect, ...], line_id: str) -> int:
    return sum(e.units for e in effects if e.line_id == line_id)


@dataclass(frozen=True)
class LineTerms:
    """One revenue line's lever terms: ``(lever id, coefficient, ...)`` tuples."""

    volume_lever: str
    supply_lever: str
    net_rate: Decimal
    #: (initiative id, run-rate units, capacity units when pursued)
    initiatives: tuple[tuple[str, int, int], ...]
    #: (service-hours id, units per added session, per closed session, capacity per session)
    hours: tuple[tuple[str, int, int, int], ...]
    #: (pool id, units per FTE above baseline, per FTE below)
    pools: tuple[tuple[str, int, int], ...]
    #: every lever whose value reaches the line (besides the pools' staffing)
    levers: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorTerms:
    """One quality indicator's non-zero coefficients."""

    #: (pool id, per FTE below baseline, per FTE above)
    pools: tuple[tuple[str, Decimal, Decimal], ...]
    #: (service-hours id, per added session, per closed session)
    hours: tuple[tuple[str, Decimal, Decimal], ...]
    #: (initiative id, at run rate)
    initiatives: tuple[tuple[str, Decimal], ...]
    #: (capital item id, if deferred)
    capital: tuple[tuple[str, Decimal], ...]
    #: (revenue line index, per 1,000 units above baseline)
    lines: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class Coefficients:
    lines: tuple[LineTerms, ...]
    indicators: tuple[IndicatorTerms, ...]
    #: per pool, in pool order: the ids of its staffing lines, and its baseline FTE
    pools: tuple[tuple[tuple[str, ...], ...], tuple[Decimal, ...]]


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
    members = tuple(tuple(s.id for s in scenario.staffing_lines if s.pool == pool.id)
                    for pool in scenario.pools)
    baseline_fte = tuple(sum((s.fte for s in scenario.staffing_lines if s.pool == pool.id), ZERO)
                         for pool in scenario.pools)
    return Coefficients(tuple(_line_terms(scenario, i) for i in range(len(scenario.revenue_lines))),
                        tuple(_indicator_terms(scenario, ind.id) for ind in scenario.indicators),
                        (members, baseline_fte))


def _line_terms(scenario: Scenario, index: int) -> LineTerms:
    line = scenario.revenue_lines[index]
    lid = line.id
    initiatives = tuple(
        (init.id, _units(init.run_rate_volume, lid), _units(init.capacity_added, lid))
        for init in scenario.initiatives
        if _units(init.run_rate_volume, lid) or _units(init.capacity_added, lid))
    hours = tuple(
        (h.id, _units(h.volume_per_added, lid), _units(h.volume_per_closed, lid),
         _units(h.capacity_per_session, lid))
        for h in scenario.service_hours
        if _units(h.volume_per_added, lid) or _units(h.volume_per_closed, lid)
        or _units(h.capacity_per_session, lid))
    pools = tuple(
        (p.id, _units(p.volume_per_fte_above, lid), _units(p.volume_per_fte_below, lid))
        for p in scenario.pools
        if _units(p.volume_per_fte_above, lid) or _units(p.volume_per_fte_below, lid))
    volume_lever, supply_lever = f"volume.{line.key}", f"supply.{line.key}"
    return LineTerms(volume_lever, supply_lever, cents(line.rate * scenario.payer_cut.factor),
                     initiatives, hours, pools,
                     (volume_lever, supply_lever, *(i[0] for i in initiatives),
                      *(h[0] for h in hours)))


def _nonzero(*effects: QualityEffect, indicator: str) -> bool:
    return any(effect.get(indicator) for effect in effects)


def _indicator_terms(scenario: Scenario, ind: str) -> IndicatorTerms:
    return IndicatorTerms(
        pools=tuple((p.id, p.per_fte_below.get(ind), p.per_fte_above.get(ind))
                    for p in scenario.pools
                    if _nonzero(p.per_fte_below, p.per_fte_above, indicator=ind)),
        hours=tuple((h.id, h.quality_per_added.get(ind), h.quality_per_closed.get(ind))
                    for h in scenario.service_hours
                    if _nonzero(h.quality_per_added, h.quality_per_closed, indicator=ind)),
        initiatives=tuple((i.id, i.quality_at_run_rate.get(ind)) for i in scenario.initiatives
                          if i.quality_at_run_rate.get(ind)),
        capital=tuple((k.id, k.quality_if_deferred.get(ind)) for k in scenario.capital_items
                      if k.quality_if_deferred.get(ind)),
        lines=tuple((n, line.quality_per_1000_units.get(ind))
                    for n, line in enumerate(scenario.revenue_lines)
                    if line.quality_per_1000_units.get(ind)))


@dataclass(frozen=True)
class CostTables:
    """The cost lines a plan can only switch, built once: each initiative's line (not
    pursued, pursued), each capital item's (kept, deferred), the fixed costs, and the labels
    of the lines a plan scales."""

    supply_labels: tuple[str, ...]
    hours_labels: tuple[str, ...]
    initiatives: tuple[tuple[CostLineResult, CostLineResult], ...]
    capital: tuple[tuple[CostLineResult, CostLineResult], ...]
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
        initiatives=tuple((initiative(i, False), initiative(i, True))
                          for i in scenario.initiatives),
        capital=tuple((capital(k, False), capital(k, True)) for k in scenario.capital_items),
        fixed=tuple(CostLineResult(f.id, f.label, f.group, "fixed", cents(f.amount))
                    for f in scenario.fixed_costs))
