"""The resident's levers, derived from the scenario so that lines and levers cannot drift.

Lever families and their values (always a change from today; 0 means unchanged):

* ``fte.<staffing line>`` -- FTE added (+) or removed (-), in steps of 0.1;
* ``fte.agency_conversion`` -- agency positions converted to employed ones;
* ``supply.<revenue line>`` -- the vendor-contract tier (0 = today's contract);
* ``volume.<revenue line>`` -- assumed organic volume change, percent of today's volume;
* ``init.<initiative>`` -- percent of the initiative's run-rate volume realised in year one;
* ``hours.<service>`` -- weekly sessions added (+) or closed (-);
* ``capital.<item>`` -- 1 to defer the scheduled replacement (one-time).
"""

from __future__ import annotations

from decimal import Decimal

from .money import money, number, plural
from .scenario import Lever, LeverKind, Nature, Scenario

_ONE = Decimal(1)
_TENTH = Decimal("0.1")


def levers_of(scenario: Scenario) -> tuple[Lever, ...]:
    levers: list[Lever] = []
    pools = {pool.id: pool for pool in scenario.pools}
    for staff in scenario.staffing_lines:
        pool = pools[staff.pool]
        levers.append(Lever(
            staff.lever_id, staff.label, LeverKind.FTE, "FTE", staff.lever_min, staff.lever_max,
            _TENTH, Nature.RECURRING,
            f"{number(staff.fte)} FTE today at {money(staff.loaded_cost)} loaded per FTE. "
            f"{pool.label} must stay at or above {number(pool.minimum_fte)} FTE.",
        ))
    conv = scenario.conversion
    levers.append(Lever(
        conv.lever_id, conv.label, LeverKind.FTE, "positions", Decimal(0), conv.lever_max, _TENTH,
        Nature.RECURRING,
        f"Each position swaps 1 agency FTE for {number(conv.employed_per_agency)} employed FTE; "
        f"{number(conv.year_one_pct, 0)}% of the swap is realised in year one; recruiting costs "
        f"{money(conv.recruiting_cost)} per position, once.",
    ))
    for line in scenario.revenue_lines:
        if len(line.tiers) > 1:
            tiers = "; ".join(
                f"{t.tier}: {t.label}, {money(t.cost_per_unit)} per {line.unit}"
                + (f" (needs {t.min_compliance_pct}% compliance and {t.min_volume:,} {plural(line.unit)})"
                   if t.tier else "")
                for t in line.tiers
            )
            levers.append(Lever(
                f"supply.{line.key}", f"Supply contract tier: {line.supply_label}",
                LeverKind.SUPPLY_TIER, "tier", Decimal(0), Decimal(len(line.tiers) - 1), _ONE,
                Nature.RECURRING, tiers,
            ))
    for line in scenario.revenue_lines:
        levers.append(Lever(
            f"volume.{line.key}", f"Volume assumption: {line.label}", LeverKind.VOLUME, "%",
            Decimal(-20), Decimal(30), Decimal("0.5"), Nature.RECURRING,
            f"{line.volume:,} {plural(line.unit)} today; trend growth about "
            f"{number(line.trend_growth_pct)}% a year; capacity {line.capacity:,}.",
        ))
    for init in scenario.initiatives:
        levers.append(Lever(
            init.id, init.label, LeverKind.INITIATIVE, "% of run-rate in year one", Decimal(0),
            Decimal(100), Decimal(5), Nature.RECURRING,
            f"{init.description} Costs {money(init.recurring_cost)} a year plus "
            f"{money(init.one_time_cost)} once; a credible first-year ramp is "
            f"{number(init.credible_ramp_pct, 0)}%.",
        ))
    for hours in scenario.service_hours:
        levers.append(Lever(
            hours.id, hours.label, LeverKind.SERVICE_HOURS, hours.unit, Decimal(hours.lever_min),
            Decimal(hours.lever_max), _ONE, Nature.RECURRING,
            f"Each session costs {money(hours.cost_per_session)} a year; adding one gains volume "
            f"and access, closing one saves the cost and loses both.",
        ))
    for item in scenario.capital_items:
        levers.append(Lever(
            item.id, f"Defer: {item.label}", LeverKind.CAPITAL, "defer (1) or not (0)",
            Decimal(0), _ONE, _ONE, Nature.ONE_TIME,
            f"Avoids {money(item.annual_expense)} this year, adds {money(item.added_maintenance)} "
            f"of maintenance: a one-time {money(item.annual_expense - item.added_maintenance)}. "
            f"{item.risk}",
        ))
    return tuple(levers)
