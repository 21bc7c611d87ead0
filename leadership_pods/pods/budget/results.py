"""What :func:`~.model.evaluate` returns: every computed cell of the service-line P&L.

Immutable records, so the web grid, the Excel writer and the CFO read the same numbers.
Money is :class:`~decimal.Decimal` rounded to cents. The per-line records and the totals
are named tuples: the model builds about forty of them on every recalculation, and a
named tuple is built several times faster than a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from .money import ZERO


class Status(StrEnum):
    """A quality indicator against its floor (all indicators: lower is better)."""

    KEPT = "kept"          #: at or better than baseline
    AT_RISK = "at_risk"    #: worse than baseline, still within the floor
    BROKEN = "broken"      #: beyond the floor


class RevenueLineResult(NamedTuple):
    """One revenue line and its contribution margin.

    ``demand`` is the volume the plan asks for; ``volume`` is what the year delivers,
    ``MAX(0, MIN(capacity, demand))``. ``tier_lost`` is true when the chosen supply tier's
    volume commitment is not met and today's price applies.
    """

    id: str
    label: str
    unit: str
    baseline_volume: int
    demand: int
    capacity: int
    volume: int
    net_rate: Decimal
    revenue: Decimal
    supply_line_id: str
    tier: int
    tier_lost: bool
    variable_cost_per_unit: Decimal
    variable_cost: Decimal

    @property
    def contribution(self) -> Decimal:
        return self.revenue - self.variable_cost

    @property
    def capacity_limited(self) -> bool:
        return self.demand > self.capacity


class CostLineResult(NamedTuple):
    """One cost line. ``behaviour`` is variable, step_fixed or fixed; ``quantity`` and
    ``unit_cost`` are shown where the line is a product (volume, paid FTE, sessions).

    ``one_time_cost`` is the part of ``amount`` that happens only this year (setup,
    recruiting); ``one_time_relief`` is a one-time saving already netted into ``amount``
    (a capital deferral).
    """

    id: str
    label: str
    group: str
    behaviour: str
    amount: Decimal
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    one_time_cost: Decimal = ZERO
    one_time_relief: Decimal = ZERO


class PoolResult(NamedTuple):
    """A staff pool's positions (FTE) against today's and the minimum safe staffing."""

    id: str
    label: str
    baseline_fte: Decimal
    fte: Decimal
    minimum_fte: Decimal


class IndicatorResult(NamedTuple):
    id: str
    label: str
    unit: str
    baseline: Decimal
    value: Decimal
    floor: Decimal
    floor_label: str
    status: Status


class Totals(NamedTuple):
    """The P&L summary.

    ``contribution_margin = revenue - variable_cost``;
    ``operating_margin = contribution_margin - fixed_cost``;
    ``margin_pct = ROUND(operating_margin / revenue * 100, 2)``;
    ``margin_vs_target = operating_margin - margin_target`` (negative: short);
    ``recurring_margin = operating_margin + one_time_costs - one_time_relief``: the margin
    with this year's one-time items taken out, i.e. what repeats next year.
    """

    revenue: Decimal
    variable_cost: Decimal
    contribution_margin: Decimal
    fixed_cost: Decimal
    operating_margin: Decimal
    margin_pct: Decimal
    margin_target: Decimal
    margin_vs_target: Decimal
    one_time_costs: Decimal
    one_time_relief: Decimal
    recurring_margin: Decimal

    @property
    def total_cost(self) -> Decimal:
        return self.variable_cost + self.fixed_cost

    @property
    def meets_target(self) -> bool:
        return self.operating_margin >= self.margin_target


@dataclass(frozen=True)
class Result:
    """The evaluated plan. ``changed_lines`` are the ids of lines whose amount differs from
    the baseline (the year after the payer cut, before any lever); ``notes`` explain caps
    and lost tiers in words."""

    scenario_id: str
    revenue_lines: tuple[RevenueLineResult, ...]
    cost_lines: tuple[CostLineResult, ...]
    pools: tuple[PoolResult, ...]
    totals: Totals
    quality: tuple[IndicatorResult, ...]
    changed_levers: tuple[str, ...]
    changed_lines: tuple[str, ...]
    notes: tuple[str, ...]

    def revenue_line(self, line_id: str) -> RevenueLineResult:
        return next(line for line in self.revenue_lines if line.id == line_id)

    def cost_line(self, line_id: str) -> CostLineResult:
        return next(line for line in self.cost_lines if line.id == line_id)

    def indicator(self, indicator_id: str) -> IndicatorResult:
        return next(ind for ind in self.quality if ind.id == indicator_id)

    @property
    def floors_held(self) -> bool:
        return all(ind.status is not Status.BROKEN for ind in self.quality)
