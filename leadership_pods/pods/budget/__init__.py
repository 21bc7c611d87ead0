"""The budget-balancing simulation: a pure model of a cardiology service line, the virtual
CFO who negotiates the resident's plan, and the metrics the rubric scores.

No Flask, no database, no I/O. The player stores :class:`Plan` and :class:`Negotiation` as
JSON (``to_json``/``from_json``); the web grid and the Excel round trip read
:func:`evaluate`'s :class:`Result`.
"""

from __future__ import annotations

from .cardiology import CARDIOLOGY
from .cfo import ArgumentVerdict, Objection, ObjectionKind, judge_argument, review
from .counter import CounterOffer, apply_counter, counter_offer
from .errors import (
    BudgetError,
    InvalidPlan,
    LeverOutOfRange,
    NegotiationError,
    Refusal,
    UnknownLever,
    UnsafePlan,
)
from .metrics import METRIC_NAMES, metrics
from .model import baseline, describe_margin, evaluate, safety_refusals
from .negotiation import (
    MAX_ROUNDS,
    AcceptCounter,
    Argue,
    CfoTurn,
    Exchange,
    Negotiation,
    Outcome,
    ResidentMove,
    Revise,
    negotiate,
    open_negotiation,
    respond,
)
from .plan import LeverChange, Plan, validate_plan
from .results import CostLineResult, IndicatorResult, PoolResult, Result, RevenueLineResult, Status
from .scenario import Lever, LeverKind, Nature, Scenario

SCENARIOS = {CARDIOLOGY.id: CARDIOLOGY}


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id; raises :class:`BudgetError` for an unknown one."""
    try:
        return SCENARIOS[scenario_id]
    except KeyError:
        raise BudgetError(f"There is no budget scenario '{scenario_id}'.") from None


__all__ = [
    "CARDIOLOGY", "MAX_ROUNDS", "METRIC_NAMES", "SCENARIOS", "AcceptCounter", "Argue",
    "ArgumentVerdict", "BudgetError", "CfoTurn", "CostLineResult", "CounterOffer", "Exchange",
    "IndicatorResult", "InvalidPlan", "Lever", "LeverChange", "LeverKind", "LeverOutOfRange",
    "Nature", "Negotiation", "NegotiationError", "Objection", "ObjectionKind", "Outcome", "Plan",
    "PoolResult", "Refusal", "ResidentMove", "Result", "RevenueLineResult", "Revise", "Scenario",
    "Status", "UnknownLever", "UnsafePlan", "apply_counter", "baseline", "counter_offer",
    "describe_margin", "evaluate", "get_scenario", "judge_argument", "metrics", "negotiate",
    "open_negotiation", "respond", "review", "safety_refusals", "validate_plan",
]
