"""The virtual CFO's review: objections that cite the numbers, and how arguments are judged.

The CFO (a persona in the scenario) reviews a plan with rules, not randomness, so faculty can
reproduce every word. Each objection has an id, fires when -- and only when -- its condition
holds, and is raised in this order:

``margin_short``
    operating margin < target. Arguable only when the plan closes at least 90% of the gap
    the year opened with ("a credible plan at 90% beats an aggressive one nobody believes").
``quality_floor.<indicator>``
    an indicator is worse than baseline (at risk) or beyond its floor (broken). Arguable only
    while at risk; a broken floor must be fixed in the plan.
``one_time_as_recurring.<lever>``
    a changed lever whose nature is one-time (a capital deferral) is labelled recurring. Not
    arguable: relabel it.
``one_time_bridge``
    the margin meets the target only thanks to one-time items: operating margin >= target but
    the margin without one-time items (``recurring_margin``) < target. Arguable.
``optimistic_volume.<lever>``
    a volume assumption above the line's trend growth, or an initiative counted above its
    credible first-year ramp. Arguable.
``strategic_line_cut``
    the strategic growth line's volume falls below today's. Arguable.

**The argument rule.** An answer to an objection is accepted when the objection is arguable,
the answer cites at least one figure (:func:`~.money.cites_a_number`), and it addresses the
objection's topic: it contains one of the objection's topic words (case-insensitive). An
accepted argument withdraws that objection as it was raised (same id, same message); if a
later plan changes its numbers, the CFO raises it afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .model import baseline, describe_margin, evaluate
from .money import HUNDRED, cites_a_number, money, number, plain, plural
from .plan import Plan
from .results import Result, Status
from .scenario import LeverKind, Nature, Scenario

_NINETY = Decimal("0.9")


class ObjectionKind(StrEnum):
    MARGIN_SHORT = "margin_short"
    QUALITY_FLOOR = "quality_floor"
    ONE_TIME_AS_RECURRING = "one_time_as_recurring"
    ONE_TIME_BRIDGE = "one_time_bridge"
    OPTIMISTIC_VOLUME = "optimistic_volume"
    STRATEGIC_LINE_CUT = "strategic_line_cut"


_TOPICS: dict[ObjectionKind, tuple[str, ...]] = {
    ObjectionKind.MARGIN_SHORT: ("margin", "target", "gap", "short", "bridge", "contingency",
                                 "trigger"),
    ObjectionKind.ONE_TIME_AS_RECURRING: ("one-time", "one time", "recurring"),
    ObjectionKind.ONE_TIME_BRIDGE: ("recurring", "next year", "bridge", "one-time", "one time",
                                    "trigger", "contingency"),
    ObjectionKind.OPTIMISTIC_VOLUME: ("volume", "referral", "ramp", "demand", "trend",
                                      "capacity", "wait list", "waitlist", "growth", "backlog"),
    ObjectionKind.STRATEGIC_LINE_CUT: ("access", "clinic", "visit", "regional", "strategic",
                                       "referral"),
}


@dataclass(frozen=True)
class Objection:
    id: str
    kind: ObjectionKind
    subject: str | None
    message: str
    arguable: bool
    topic: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "subject": self.subject,
                "message": self.message, "arguable": self.arguable}


@dataclass(frozen=True)
class ArgumentVerdict:
    objection_id: str
    objection_message: str
    text: str
    accepted: bool
    reply: str

    def to_json(self) -> dict[str, Any]:
        return {"objection_id": self.objection_id, "text": self.text,
                "accepted": self.accepted, "reply": self.reply}


def review(scenario: Scenario, plan: Plan) -> tuple[Objection, ...]:
    """Every objection the CFO has to ``plan``, in the documented order."""
    result = evaluate(scenario, plan)
    return (*_margin(scenario, result), *_quality(scenario, result),
            *_one_time_labels(scenario, plan), *_bridge(result),
            *_volume(scenario, plan, result), *_strategic(scenario, result))


def judge_argument(objection: Objection, text: str) -> ArgumentVerdict:
    """Apply the argument rule (module docstring) and give the CFO's reply."""
    lowered = text.lower()
    if not objection.arguable:
        accepted, reply = False, ("I hear you, but this one is not open to argument. "
                                  "It has to change in the plan.")
    elif not cites_a_number(text):
        accepted, reply = False, ("Give me a number. An answer without data will not move the "
                                  "finance committee.")
    elif not any(word in lowered for word in objection.topic):
        accepted, reply = False, (f"That does not answer my concern. I asked about "
                                  f"{objection.topic[0]}.")
    else:
        accepted, reply = True, ("Fair enough: you answered with numbers. I will carry that to "
                                 "the committee and hold you to it.")
    return ArgumentVerdict(objection.id, objection.message, text, accepted, reply)


def _margin(scenario: Scenario, result: Result) -> list[Objection]:
    t = result.totals
    if t.operating_margin >= t.margin_target:
        return []
    opening = baseline(scenario).totals.operating_margin
    gap = t.margin_target - opening
    arguable = t.operating_margin - opening >= _NINETY * gap
    tail = (" You are within 10% of the gap, so I will hear a credible bridge." if arguable
            else " That is too far to wave through; find the rest in the plan.")
    return [Objection("margin_short", ObjectionKind.MARGIN_SHORT, None,
                      f"The plan brings operating margin to {describe_margin(result)}.{tail}",
                      arguable, _TOPICS[ObjectionKind.MARGIN_SHORT])]


def _quality(scenario: Scenario, result: Result) -> list[Objection]:
    objections = []
    for ind in result.quality:
        if ind.status is Status.KEPT:
            continue
        spec = scenario.indicator(ind.id)
        delta = plain(ind.value - ind.baseline)
        worse = f"{delta} points" if ind.unit == "%" else f"{delta} {ind.unit}"
        if ind.status is Status.AT_RISK:
            text = (f"{ind.label} moves from {_with_unit(ind.baseline, ind.unit)} to "
                    f"{_with_unit(ind.value, ind.unit)}: within the floor of {ind.floor_label}, "
                    f"but {worse} worse than today. Show me how you will watch it and what you "
                    f"will do if it drifts.")
        else:
            text = (f"{ind.label} goes to {_with_unit(ind.value, ind.unit)}, beyond the floor "
                    f"of {ind.floor_label} and {worse} worse than today. A plan that breaks a "
                    f"quality floor does not go to the board.")
        objections.append(Objection(f"quality_floor.{ind.id}", ObjectionKind.QUALITY_FLOOR,
                                    ind.id, text, ind.status is Status.AT_RISK, spec.keywords))
    return objections


def _with_unit(value: Decimal, unit: str) -> str:
    return f"{plain(value)}%" if unit == "%" else f"{plain(value)} {unit}"


def _one_time_labels(scenario: Scenario, plan: Plan) -> list[Objection]:
    objections = []
    items = {item.id: item for item in scenario.capital_items}
    for lever_id in plan.changed_levers():
        lever = scenario.lever(lever_id)
        if lever.nature is not Nature.ONE_TIME or plan.changes[lever_id].recurring is not True:
            continue
        item = items[lever_id]
        text = (f"{lever.label} saves {money(item.annual_expense - item.added_maintenance)} "
                f"once, not every year, yet it is labelled recurring. Next year the "
                f"{money(item.annual_expense)} comes back. Label it one-time.")
        objections.append(Objection(f"one_time_as_recurring.{lever_id}",
                                    ObjectionKind.ONE_TIME_AS_RECURRING, lever_id, text, False,
                                    _TOPICS[ObjectionKind.ONE_TIME_AS_RECURRING]))
    return objections


def _bridge(result: Result) -> list[Objection]:
    t = result.totals
    if not (t.operating_margin >= t.margin_target > t.recurring_margin):
        return []
    text = (f"The plan reaches {money(t.operating_margin)} this year, but "
            f"{money(t.one_time_relief)} of it is one-time relief. Without one-time items the "
            f"margin is {money(t.recurring_margin)}, {money(t.margin_target - t.recurring_margin)} "
            f"short of the {money(t.margin_target)} target next year. What is the recurring fix?")
    return [Objection("one_time_bridge", ObjectionKind.ONE_TIME_BRIDGE, None, text, True,
                      _TOPICS[ObjectionKind.ONE_TIME_BRIDGE])]


def credible_value(scenario: Scenario, lever_id: str) -> Decimal | None:
    """The most a CFO accepts without evidence for a volume or initiative lever."""
    lever = scenario.lever(lever_id)
    if lever.kind is LeverKind.VOLUME:
        return scenario.revenue_line("rev." + lever_id.removeprefix("volume.")).trend_growth_pct
    if lever.kind is LeverKind.INITIATIVE:
        return next(i.credible_ramp_pct for i in scenario.initiatives if i.id == lever_id)
    return None


def _volume(scenario: Scenario, plan: Plan, result: Result) -> list[Objection]:
    objections = []
    for lever_id in plan.changed_levers():
        credible = credible_value(scenario, lever_id)
        value = plan.value(lever_id)
        if credible is None or value <= credible:
            continue
        lever = scenario.lever(lever_id)
        at_credible = evaluate(scenario, plan.with_change(lever_id, credible))
        lower = result.totals.operating_margin - at_credible.totals.operating_margin
        if lever.kind is LeverKind.VOLUME:
            line = result.revenue_line("rev." + lever_id.removeprefix("volume."))
            added = line.baseline_volume * value / HUNDRED
            cap = (f" Capacity caps the year at {line.capacity:,} {plural(line.unit)}."
                   if line.capacity_limited else "")
            text = (f"You assume {line.label} will grow {plain(value)}% (about "
                    f"{number(added, 0)} more {plural(line.unit)}) this year; it has grown about "
                    f"{plain(credible)}% a year.{cap} At {plain(credible)}% the margin is "
                    f"{money(lower)} lower.")
        else:
            text = (f"You count {plain(value)}% of the {lever.label}'s run-rate in year one; "
                    f"new services ramp, and {plain(credible)}% is what I can defend. At "
                    f"{plain(credible)}% the margin is {money(lower)} lower.")
        objections.append(Objection(f"optimistic_volume.{lever_id}",
                                    ObjectionKind.OPTIMISTIC_VOLUME, lever_id, text, True,
                                    _TOPICS[ObjectionKind.OPTIMISTIC_VOLUME]))
    return objections


def _strategic(scenario: Scenario, result: Result) -> list[Objection]:
    goals = scenario.goals
    line = result.revenue_line(goals.strategic_line_id)
    if line.volume >= line.baseline_volume:
        return []
    text = (f"{line.label}: volume falls from {line.baseline_volume:,} to {line.volume:,} "
            f"({line.volume - line.baseline_volume:,} {plural(line.unit)}). {goals.strategic_label} is "
            f"the system's strategic growth line; I cannot take a plan that shrinks it to the "
            f"board without a reason.")
    return [Objection("strategic_line_cut", ObjectionKind.STRATEGIC_LINE_CUT,
                      goals.strategic_line_id, text, True,
                      _TOPICS[ObjectionKind.STRATEGIC_LINE_CUT])]
