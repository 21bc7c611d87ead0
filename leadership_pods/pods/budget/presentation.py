"""What the in-page spreadsheet shows: the levers in their groups, the evaluated plan as JSON,
and money written the way the grid writes it.

Pure. The grid's numbers all come from :func:`~.model.evaluate` on the server; the browser
only formats them (whole dollars, like :func:`grid_money`), it never computes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .coefficients import per_scenario
from .model import baseline
from .money import plain, round_to
from .negotiation import Outcome
from .plan import Plan
from .results import CostLineResult, Result, RevenueLineResult, Status
from .scenario import Lever, LeverKind, Scenario

STATUS_TEXT = {
    Status.KEPT: "kept",
    Status.AT_RISK: "at risk",
    Status.BROKEN: "broken",
}
STATUS_HELP = {
    Status.KEPT: "at or better than today",
    Status.AT_RISK: "worse than today, within the floor",
    Status.BROKEN: "beyond the floor",
}
OUTCOME_TEXT = {
    Outcome.AGREEMENT: "Agreement",
    Outcome.AGREEMENT_WITH_CONCESSIONS: "Agreement with concessions",
    Outcome.IMPASSE: "Impasse",
}


@dataclass(frozen=True)
class LeverGroup:
    id: str
    label: str
    levers: tuple[Lever, ...]


_GROUPS: tuple[tuple[str, str, tuple[LeverKind, ...]], ...] = (
    ("staffing", "Staffing", (LeverKind.FTE,)),
    ("supplies", "Supplies: vendor contract tiers", (LeverKind.SUPPLY_TIER,)),
    ("volume", "Volume: assumptions and initiatives", (LeverKind.VOLUME, LeverKind.INITIATIVE)),
    ("hours", "Service hours", (LeverKind.SERVICE_HOURS,)),
    ("capital", "Capital", (LeverKind.CAPITAL,)),
)


def lever_groups(scenario: Scenario) -> tuple[LeverGroup, ...]:
    """The levers grouped as the grid shows them (staffing, supplies, volume, hours, capital),
    each group in the scenario's lever order."""
    return tuple(LeverGroup(gid, label, tuple(lv for lv in scenario.levers if lv.kind in kinds))
                 for gid, label, kinds in _GROUPS)


def grid_money(amount: Decimal | str) -> str:
    """Whole dollars with separators: ``$1,264,442``, ``-$413,481``."""
    value = round_to(Decimal(amount), 0)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,f}"


def grid_number(value: Decimal | str) -> str:
    """A figure without trailing zeros, with separators: ``64``, ``17.8``, ``62.231``."""
    return plain(Decimal(value))


def _s(value: Decimal) -> str:
    """The decimal in plain notation (``f"{value:f}"``; ``str`` is the same, and faster,
    unless it chose scientific notation)."""
    text = str(value)
    return text if "E" not in text else f"{value:f}"


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else _s(value)


def gap_text(result: Result) -> str:
    """The margin against the target in words: ``$228,478 short of the target``."""
    gap = result.totals.margin_vs_target
    if gap < 0:
        return f"{grid_money(-gap)} short of the target"
    if gap > 0:
        return f"{grid_money(gap)} above the target"
    return "exactly at the target"


def unjustified(plan: Plan) -> list[str]:
    """The changed levers still lacking a justification, in id order."""
    return [lid for lid in plan.changed_levers() if not plan.changes[lid].justification.strip()]


def _revenue_line_json(r: RevenueLineResult) -> dict[str, Any]:
    return {"id": r.id, "volume": r.volume, "revenue": str(r.revenue),
            "variable_cost": str(r.variable_cost), "contribution": str(r.contribution)}


def _cost_line_json(x: CostLineResult) -> dict[str, Any]:
    return {"id": x.id, "amount": str(x.amount), "quantity": _opt(x.quantity)}


@per_scenario
def baseline_lines_json(scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """Every line of the baseline as :func:`result_json` writes a line: the figures the page
    shows for a line an answer leaves out."""
    base = baseline(scenario)
    return {"revenue_lines": [_revenue_line_json(r) for r in base.revenue_lines],
            "cost_lines": [_cost_line_json(x) for x in base.cost_lines]}


def result_json(scenario: Scenario, result: Result) -> dict[str, Any]:
    """What the grid updates after a change (decimals as strings, each line and indicator
    by id): the lines whose figures differ from the baseline's, the totals, every pool and
    quality indicator (against its floor), the ids of the lines whose amount differs from the
    baseline, the notes and the margin against the target in words.

    It goes out on every change, so it carries nothing else. A line left out has the
    baseline's figures, which the page holds (:func:`baseline_lines_json`); a plan usually moves
    under half the lines. Labels, units, baselines and floors never change and are in
    the server-rendered grid already; a line's demand, capacity and contract tier are in its
    notes; the page works out the changed levers lacking a justification from the plan it
    holds; the Excel export and the CFO read the :class:`~.results.Result` itself.
    """
    t = result.totals
    base = baseline(scenario)  # its lines in the same order; a line no lever reaches is its own
    # money and indicators are quantized to 0.01 (exponent -2), for which str() is plain
    # notation; the other figures go through _s
    c = str
    return {
        "revenue_lines": [_revenue_line_json(r) for r, b in zip(result.revenue_lines,
                                                               base.revenue_lines, strict=True)
                          if r is not b and r != b],
        "cost_lines": [_cost_line_json(x) for x, b in zip(result.cost_lines, base.cost_lines,
                                                          strict=True)
                       if x is not b and x != b],
        "pools": [{"id": p.id, "fte": _s(p.fte)} for p in result.pools],
        "totals": {
            "revenue": c(t.revenue), "variable_cost": c(t.variable_cost),
            "contribution_margin": c(t.contribution_margin), "fixed_cost": c(t.fixed_cost),
            "total_cost": c(t.total_cost), "operating_margin": c(t.operating_margin),
            "margin_pct": c(t.margin_pct), "margin_target": c(t.margin_target),
            "margin_vs_target": c(t.margin_vs_target), "one_time_costs": c(t.one_time_costs),
            "one_time_relief": c(t.one_time_relief),
            "recurring_margin": c(t.recurring_margin)},
        "quality": [{
            "id": q.id, "value": c(q.value), "status": q.status.value,
            "status_text": STATUS_TEXT[q.status], "status_help": STATUS_HELP[q.status]}
            for q in result.quality],
        "changed_lines": list(result.changed_lines),
        "notes": list(result.notes),
        "summary": {"gap": gap_text(result)},
    }
