"""The budget scenario as data: the service line, the levers' specifications, the
institution's goals and the CFO persona.

The finance words are defined in :mod:`.service_line`. Every line and lever has a stable id
and a label; the levers themselves are derived in :mod:`.levers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from .errors import UnknownLever
from .service_line import (
    NO_EFFECT,
    FixedCost,
    PayerCut,
    QualityEffect,
    QualityIndicator,
    RevenueLine,
    StaffingLine,
    StaffPool,
    VolumeEffect,
)


class LeverKind(StrEnum):
    FTE = "fte"
    SUPPLY_TIER = "supply_tier"
    VOLUME = "volume"
    INITIATIVE = "initiative"
    SERVICE_HOURS = "service_hours"
    CAPITAL = "capital"


class Nature(StrEnum):
    """Whether a lever's effect repeats next year (the CFO's first question)."""

    RECURRING = "recurring"
    ONE_TIME = "one_time"


@dataclass(frozen=True)
class AgencyConversion:
    """Converting agency positions to employed ones (lever ``fte.agency_conversion``).

    Each converted position removes one agency FTE and adds ``employed_per_agency`` employed
    FTE (employees are paid for time off, agency staff are not). Hiring takes months, so in
    year one only ``year_one_pct`` of the swap is paid for: agency paid FTE fall by
    ``n x year_one_pct``, employed paid FTE rise by ``n x employed_per_agency x year_one_pct``.
    Recruiting costs ``recruiting_cost`` per position, once.
    """

    lever_id: str
    label: str
    from_line: str
    to_line: str
    employed_per_agency: Decimal
    year_one_pct: Decimal
    recruiting_cost: Decimal
    lever_max: Decimal


@dataclass(frozen=True)
class ServiceHours:
    """Adding (+) or closing (-) weekly sessions. Cost moves one way, access the other.

    Per added session: ``cost_per_session`` a year, ``volume_per_added`` units (the share of
    new slots that fills), ``capacity_per_session`` more capacity, ``quality_per_added``.
    Per closed session: the cost is saved, ``volume_per_closed`` units leave the system
    (patients who will not wait), capacity falls, ``quality_per_closed``.
    """

    id: str
    label: str
    unit: str
    lever_min: int
    lever_max: int
    cost_per_session: Decimal
    volume_per_added: tuple[VolumeEffect, ...]
    volume_per_closed: tuple[VolumeEffect, ...]
    capacity_per_session: tuple[VolumeEffect, ...]
    quality_per_added: QualityEffect = NO_EFFECT
    quality_per_closed: QualityEffect = NO_EFFECT

    @cached_property
    def cost_line_id(self) -> str:
        return "cost." + self.id


@dataclass(frozen=True)
class VolumeInitiative:
    """An investment in growth: a recurring and a one-time cost, a ramp-up, a run-rate.

    The lever is the share of run-rate volume realised in year one (0 = not pursued). The full
    investment is paid whenever the initiative is pursued, and then ``capacity_added`` (its own
    rooms or sessions) is available. Volume it sends to existing services, such as the cath
    lab, must fit their capacity. ``credible_ramp_pct`` is what a CFO accepts for year one;
    ``quality_at_run_rate`` scales with the realised share.
    """

    id: str
    label: str
    description: str
    recurring_cost: Decimal
    one_time_cost: Decimal
    run_rate_volume: tuple[VolumeEffect, ...]
    credible_ramp_pct: Decimal
    capacity_added: tuple[VolumeEffect, ...] = ()
    quality_at_run_rate: QualityEffect = NO_EFFECT

    @cached_property
    def cost_line_id(self) -> str:
        return "cost." + self.id


@dataclass(frozen=True)
class CapitalItem:
    """A scheduled equipment replacement whose first-year expense is in the budget.

    Deferring it (lever value 1) avoids ``annual_expense`` this year but adds
    ``added_maintenance`` on the old equipment: a one-time relief, never recurring, with
    downtime risk in ``quality_if_deferred``; next year the expense returns.
    """

    id: str
    label: str
    annual_expense: Decimal
    added_maintenance: Decimal
    risk: str
    quality_if_deferred: QualityEffect = NO_EFFECT

    @cached_property
    def cost_line_id(self) -> str:
        return "cost." + self.id


@dataclass(frozen=True)
class Goals:
    """The institution's goals for the service line: the operating-margin target in dollars,
    the quality floors (on the indicators) and the strategic growth line, whose volume the
    plan must not shrink."""

    margin_target: Decimal
    margin_target_label: str
    strategic_line_id: str
    strategic_label: str


@dataclass(frozen=True)
class CfoPersona:
    name: str
    title: str
    biography: str


@dataclass(frozen=True)
class Lever:
    """One control the resident can set; its value is a change from today (0 = unchanged)."""

    id: str
    label: str
    kind: LeverKind
    unit: str
    minimum: Decimal
    maximum: Decimal
    step: Decimal
    nature: Nature
    help: str


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    institution: str
    story: str
    payer_cut: PayerCut
    revenue_lines: tuple[RevenueLine, ...]
    staffing_lines: tuple[StaffingLine, ...]
    pools: tuple[StaffPool, ...]
    conversion: AgencyConversion
    service_hours: tuple[ServiceHours, ...]
    initiatives: tuple[VolumeInitiative, ...]
    capital_items: tuple[CapitalItem, ...]
    fixed_costs: tuple[FixedCost, ...]
    indicators: tuple[QualityIndicator, ...]
    goals: Goals
    cfo: CfoPersona
    #: the CFO's standard asks, in order: (lever id, value) -- see :mod:`.cfo`
    cfo_asks: tuple[tuple[str, Decimal], ...] = field(default=())

    @cached_property
    def levers(self) -> tuple[Lever, ...]:
        from .levers import levers_of

        return levers_of(self)

    @cached_property
    def lever_index(self) -> dict[str, Lever]:
        return {lever.id: lever for lever in self.levers}

    def lever(self, lever_id: str) -> Lever:
        try:
            return self.lever_index[lever_id]
        except KeyError:
            raise UnknownLever(lever_id) from None

    def revenue_line(self, line_id: str) -> RevenueLine:
        return next(line for line in self.revenue_lines if line.id == line_id)

    def indicator(self, indicator_id: str) -> QualityIndicator:
        return next(ind for ind in self.indicators if ind.id == indicator_id)
