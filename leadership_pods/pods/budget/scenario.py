"""The budget scenario as data: a service line, its levers and the institution's goals.

Finance words, defined once:

* **Net revenue per unit** -- what is actually collected per case, study, visit or session,
  after contractual allowances (not the chargemaster price). A *payer-rate cut* lowers it.
* **Variable cost** -- moves with each unit (supplies, drugs, variable labour). **Contribution
  margin** = net revenue - variable cost: what a unit adds toward fixed cost and margin.
* **Fixed / step-fixed cost** -- staffing (FTE x loaded cost), equipment leases, first-year
  depreciation of scheduled replacements, allocated overhead: flat across the year's volume.
* **Operating margin** = revenue - variable cost - fixed cost; as a percentage, of revenue.
* **One-time vs recurring** -- a recurring change repeats every year; a one-time one (a
  capital deferral, a setup or recruiting cost) happens once and is gone next year.

Every line and lever has a stable id (``rev.interventional``, ``cost.rn_step_down``,
``fte.rn_step_down``) and a label. The relationships the model applies are documented on the
fields that carry their coefficients; :mod:`.model` spells out each formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from .errors import UnknownLever
from .money import ZERO


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
class QualityEffect:
    """A change in the three quality indicators; all of them are "lower is better".

    ``d2b_minutes``: door-to-balloon minutes; ``readmissions_pct``: 30-day readmission rate in
    percentage points; ``access_days``: third-next-available appointment in days.
    """

    d2b_minutes: Decimal = ZERO
    readmissions_pct: Decimal = ZERO
    access_days: Decimal = ZERO

    def get(self, indicator_id: str) -> Decimal:
        return {"d2b": self.d2b_minutes, "readmissions": self.readmissions_pct,
                "access": self.access_days}[indicator_id]


NO_EFFECT = QualityEffect()


@dataclass(frozen=True)
class VolumeEffect:
    """``units`` of volume on the revenue line ``line_id`` (per FTE, per session, ...)."""

    line_id: str
    units: int


@dataclass(frozen=True)
class SupplyTier:
    """A vendor-contract tier: the variable cost per unit it buys and what it requires.

    The tier price applies only when the line's planned volume is at least ``min_volume``
    (the volume commitment); below it the tier is lost and tier 0's price applies. The model
    assumes the compliance share is reached; the justification should say how.
    """

    tier: int
    label: str
    cost_per_unit: Decimal
    min_compliance_pct: int = 0
    min_volume: int = 0


@dataclass(frozen=True)
class RevenueLine:
    """A revenue line: volume x net revenue per unit, with its supplies and variable cost.

    ``rate`` is net revenue per unit before the payer cut; ``tiers[0]`` is today's contract.
    ``capacity`` caps the year's volume at today's hours. ``trend_growth_pct`` is the
    credible organic growth a CFO accepts without evidence. ``quality_per_1000_units`` moves
    the indicators per 1,000 units above baseline (negative below), e.g. more cardiac rehab
    sessions lower readmissions.
    """

    id: str
    label: str
    unit: str
    volume: int
    rate: Decimal
    capacity: int
    trend_growth_pct: Decimal
    supply_label: str
    tiers: tuple[SupplyTier, ...]
    quality_per_1000_units: QualityEffect = NO_EFFECT

    @property
    def key(self) -> str:
        return self.id.removeprefix("rev.")

    @property
    def supply_line_id(self) -> str:
        return f"cost.supplies.{self.key}"


@dataclass(frozen=True)
class StaffingLine:
    """FTEs x loaded cost per FTE (salary + benefits; agency: the billed rate x 2,080 h)."""

    id: str
    label: str
    pool: str
    fte: Decimal
    loaded_cost: Decimal
    lever_min: Decimal
    lever_max: Decimal

    @property
    def lever_id(self) -> str:
        return "fte." + self.id.removeprefix("cost.")


@dataclass(frozen=True)
class StaffPool:
    """Staff who cover one care area together; the unit of safe staffing.

    The pool's FTE is the sum of its staffing lines (positions, after any conversion). Below
    ``minimum_fte`` a plan is refused with ``minimum_reason``. Each FTE below the baseline
    adds ``per_fte_below`` to the indicators and loses ``volume_per_fte_below`` units; each FTE
    above it adds ``per_fte_above`` and ``volume_per_fte_above`` (year-one ramp included).
    """

    id: str
    label: str
    minimum_fte: Decimal
    minimum_reason: str
    per_fte_below: QualityEffect = NO_EFFECT
    per_fte_above: QualityEffect = NO_EFFECT
    volume_per_fte_below: tuple[VolumeEffect, ...] = ()
    volume_per_fte_above: tuple[VolumeEffect, ...] = ()


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

    @property
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

    @property
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

    @property
    def cost_line_id(self) -> str:
        return "cost." + self.id


@dataclass(frozen=True)
class FixedCost:
    """A cost the resident's levers do not move (leases, overhead, other direct cost)."""

    id: str
    label: str
    group: str
    amount: Decimal


@dataclass(frozen=True)
class QualityIndicator:
    """A quality indicator, lower is better: kept at or below ``baseline``, at risk above
    it but within ``floor``, broken beyond ``floor``."""

    id: str
    label: str
    unit: str
    baseline: Decimal
    floor: Decimal
    floor_label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class PayerCut:
    """A payer worth ``share_pct`` of net revenue cuts its rates by ``cut_pct``; the model
    applies it evenly: every rate is multiplied by ``1 - share x cut``."""

    payer: str
    share_pct: Decimal
    cut_pct: Decimal

    @property
    def factor(self) -> Decimal:
        return 1 - self.share_pct * self.cut_pct / Decimal(10_000)


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
