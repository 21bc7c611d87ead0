"""The service line as data: revenue lines, cost lines, staff pools and quality indicators.

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

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from .money import ZERO


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

    @cached_property
    def key(self) -> str:
        return self.id.removeprefix("rev.")

    @cached_property
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

    @cached_property
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
class FixedCost:
    """A cost the resident's levers do not move (leases, overhead, other direct cost)."""

    id: str
    label: str
    group: str
    amount: Decimal


@dataclass(frozen=True)
class QualityIndicator:
    """A quality indicator, lower is better: kept at or below ``baseline``, at risk above
    it but within ``floor``, broken beyond ``floor``. ``floor_label`` is the floor in words
    (``"90 minutes (the ACC/AHA goal)"``); ``keywords`` are the words an answer to the CFO
    about this indicator must use (one of them)."""

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
