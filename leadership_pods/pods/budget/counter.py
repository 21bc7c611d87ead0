"""The CFO's counter-offer: concrete lever changes that answer the open objections.

Built by rules, in this order, from the resident's plan:

1. ``quality_floor.<q>`` -- every changed lever that makes ``q`` worse (the plan without it
   scores better on ``q``) goes back to 0;
2. ``one_time_as_recurring.<lever>`` -- the lever is relabelled one-time;
3. ``optimistic_volume.<lever>`` -- the lever goes down to its credible value (the line's
   trend growth, or the initiative's credible ramp);
4. ``strategic_line_cut`` -- every changed lever that shrinks the strategic line goes back to 0;
5. margin -- when ``margin_short`` is open, or the steps above pushed the margin below both
   the target and the resident's own margin (or ``one_time_bridge`` is open and the margin
   without one-time items is short), the CFO adds the scenario's standard asks
   (``Scenario.cfo_asks``), in order, each only if it raises the margin, keeps the plan safe
   and worsens no indicator's status, until the target is met -- going through the list
   again while an ask was taken (one ask, e.g. added lab time, can make another pay).

An empty result means the CFO has nothing concrete to offer (``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .cfo import Objection, ObjectionKind, credible_value
from .errors import BudgetError
from .model import describe_margin, evaluate
from .money import money, number, plain
from .plan import Plan
from .results import Result, Status
from .scenario import LeverKind, Nature, Scenario

_RANK = {Status.KEPT: 0, Status.AT_RISK: 1, Status.BROKEN: 2}


@dataclass(frozen=True)
class CounterOffer:
    """Lever changes (``(lever id, new value)``), levers relabelled one-time, and the CFO's
    words, which cite the margin the counter-offer reaches."""

    changes: tuple[tuple[str, Decimal], ...]
    one_time: tuple[str, ...]
    message: str
    projected_margin: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"changes": {lid: f"{value:f}" for lid, value in self.changes},
                "one_time": list(self.one_time), "message": self.message,
                "projected_margin": f"{self.projected_margin:f}"}


def counter_offer(scenario: Scenario, plan: Plan, objections: tuple[Objection, ...]
                  ) -> CounterOffer | None:
    kinds = {o.kind for o in objections}
    proposal = plan
    for objection in objections:
        if objection.kind is ObjectionKind.QUALITY_FLOOR and objection.subject:
            proposal = _revert(scenario, proposal, _indicator(objection.subject))
        elif objection.kind is ObjectionKind.ONE_TIME_AS_RECURRING and objection.subject:
            lever_id = objection.subject
            proposal = proposal.with_change(lever_id, proposal.value(lever_id), recurring=False)
        elif objection.kind is ObjectionKind.OPTIMISTIC_VOLUME and objection.subject:
            credible = credible_value(scenario, objection.subject)
            if credible is not None:
                proposal = proposal.with_change(objection.subject, credible)
        elif objection.kind is ObjectionKind.STRATEGIC_LINE_CUT and objection.subject:
            proposal = _revert(scenario, proposal, _shrinkage(objection.subject))
    proposal = _fill(scenario, plan, proposal, kinds)
    changes = tuple((lid, proposal.value(lid)) for lid in sorted(set(proposal.changes)
                                                                   | set(plan.changes))
                    if proposal.value(lid) != plan.value(lid))
    one_time = tuple(lid for lid, change in proposal.changes.items()
                     if change.recurring is False and change.value != 0 and lid in plan.changes
                     and plan.changes[lid].recurring is not False)
    if not changes and not one_time:
        return None
    result = evaluate(scenario, proposal)
    parts = [_describe(scenario, plan, lid, value) for lid, value in changes]
    parts += [f"label {scenario.lever(lid).label} as one-time" for lid in one_time]
    message = (f"My counter-offer: {'; '.join(parts)}. With these changes the plan reaches "
               f"{describe_margin(result)}, {_floors(result)}.")
    return CounterOffer(changes, one_time, message, result.totals.operating_margin)


def apply_counter(scenario: Scenario, plan: Plan, counter: CounterOffer, note: str) -> Plan:
    """The plan with the counter-offer accepted. Levers the CFO added get ``note`` as their
    justification and their true nature as the recurring label."""
    for lever_id, value in counter.changes:
        change = plan.changes.get(lever_id)
        justification = change.justification if change and change.justification else note
        recurring = scenario.lever(lever_id).nature is Nature.RECURRING
        plan = plan.with_change(lever_id, value, justification=justification,
                                recurring=change.recurring if change and change.recurring
                                is not None else recurring)
    for lever_id in counter.one_time:
        plan = plan.with_change(lever_id, plan.value(lever_id), recurring=False)
    return plan


def _indicator(indicator_id: str) -> Callable[[Result], Decimal]:
    return lambda result: result.indicator(indicator_id).value


def _shrinkage(line_id: str) -> Callable[[Result], Decimal]:
    return lambda result: Decimal(-result.revenue_line(line_id).volume)


def _revert(scenario: Scenario, plan: Plan, measure: Callable[[Result], Decimal]) -> Plan:
    """Set to 0 every changed lever without which ``measure`` (lower is better) improves."""
    current = measure(evaluate(scenario, plan))
    culprits = []
    for lever_id in plan.changed_levers():
        try:
            without = evaluate(scenario, plan.with_change(lever_id, Decimal(0)))
        except BudgetError:
            continue
        if measure(without) < current:
            culprits.append(lever_id)
    proposal = plan
    for lever_id in culprits:
        candidate = proposal.with_change(lever_id, Decimal(0))
        if _safe(scenario, candidate):
            proposal = candidate
    return proposal


def _fill(scenario: Scenario, plan: Plan, proposal: Plan, kinds: set[ObjectionKind]) -> Plan:
    target = scenario.goals.margin_target
    own = evaluate(scenario, plan).totals.operating_margin
    result = evaluate(scenario, proposal)
    needs_recurring = ObjectionKind.ONE_TIME_BRIDGE in kinds

    def short(r: Result) -> bool:
        return (r.totals.operating_margin < target
                or (needs_recurring and r.totals.recurring_margin < target))

    fill = (ObjectionKind.MARGIN_SHORT in kinds or needs_recurring
            or result.totals.operating_margin < min(target, own))
    if not fill:
        return proposal
    progress = True
    while progress and short(result):  # repeat: one ask can make an earlier one pay
        progress = False
        for lever_id, value in scenario.cfo_asks:
            if not short(result):
                break
            if proposal.value(lever_id) >= value:
                continue
            candidate = proposal.with_change(lever_id, value)
            try:
                trial = evaluate(scenario, candidate)
            except BudgetError:
                continue
            worse = any(_RANK[a.status] > _RANK[b.status]
                        for a, b in zip(trial.quality, result.quality, strict=True))
            if trial.totals.operating_margin > result.totals.operating_margin and not worse:
                proposal, result, progress = candidate, trial, True
    return proposal


def _safe(scenario: Scenario, plan: Plan) -> bool:
    try:
        evaluate(scenario, plan)
    except BudgetError:
        return False
    return True


def _describe(scenario: Scenario, plan: Plan, lever_id: str, value: Decimal) -> str:
    lever = scenario.lever(lever_id)
    if lever.kind is LeverKind.CAPITAL:
        item = next(i for i in scenario.capital_items if i.id == lever_id)
        return f"{'defer' if value else 'do not defer'} the {item.label.lower()}"
    if lever.kind is LeverKind.SUPPLY_TIER:
        line = scenario.revenue_line("rev." + lever_id.removeprefix("supply."))
        tier = line.tiers[int(value)]
        return (f"move {line.supply_label.split(' (')[0]} to the {tier.label} "
                f"({money(tier.cost_per_unit)} per {line.unit})")
    return f"{lever.label}: from {plain(plan.value(lever_id))} to {plain(value)} {lever.unit}"


def _floors(result: Result) -> str:
    if all(ind.status is Status.KEPT for ind in result.quality):
        return "with every quality indicator at or better than today"
    worse = ", ".join(f"{ind.label} {number(ind.value, 2)} {ind.unit}" for ind in result.quality
                      if ind.status is not Status.KEPT)
    return f"watching {worse}"
