"""Hypothesis strategies for plans of the cardiology scenario."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from leadership_pods.pods.budget import CARDIOLOGY, Lever, LeverChange, LeverKind, Plan, Scenario

S = CARDIOLOGY


def lever_values(lever: Lever, low: Decimal | None = None) -> st.SearchStrategy[Decimal]:
    """Every allowed value of ``lever`` (on its step), optionally from ``low`` up."""
    start = lever.minimum if low is None else max(lever.minimum, low)
    steps = int((lever.maximum - start) / lever.step)
    offset = (start - lever.minimum) % lever.step
    start = start + (lever.step - offset if offset else 0)
    return st.integers(0, steps).map(lambda n: start + n * lever.step).filter(
        lambda v: v <= lever.maximum)


def _safe_floor(scenario: Scenario, lever: Lever) -> Decimal | None:
    """The lowest value of an FTE lever that keeps its pool safe whatever the others do."""
    line = next((s for s in scenario.staffing_lines if s.lever_id == lever.id), None)
    if line is None:
        return None
    pool = next(p for p in scenario.pools if p.id == line.pool)
    members = [s for s in scenario.staffing_lines if s.pool == pool.id]
    slack = sum((s.fte for s in members), Decimal(0)) - pool.minimum_fte
    return -(slack / len(members)).quantize(Decimal("0.1"), rounding="ROUND_FLOOR")


@st.composite
def plans(draw: st.DrawFn, safe: bool = True, scenario: Scenario = S) -> Plan:
    """Random valid plans; with ``safe`` every staff pool stays at or above its minimum."""
    changes: dict[str, LeverChange] = {}
    for lever in scenario.levers:
        if lever.id == scenario.conversion.lever_id or not draw(st.booleans()):
            continue
        low = _safe_floor(scenario, lever) if safe and lever.kind is LeverKind.FTE else None
        value = draw(lever_values(lever, low))
        changes[lever.id] = LeverChange(
            value, draw(st.sampled_from(["", "saves $120,000 a year", "because we can"])),
            draw(st.sampled_from([True, False, None])))
    if draw(st.booleans()):
        agency = next(s for s in scenario.staffing_lines if s.id == scenario.conversion.from_line)
        remaining = agency.fte + (changes[agency.lever_id].value
                                  if agency.lever_id in changes else Decimal(0))
        lever = scenario.lever(scenario.conversion.lever_id)
        top = min(remaining, lever.maximum)
        if top > 0:
            value = draw(st.integers(0, int(top * 10))) / Decimal(10)
            changes[lever.id] = LeverChange(value, "conversion: $106,720 a position", True)
    return Plan(changes)
