"""The negotiation with the virtual CFO: up to four rounds over the resident's plan.

A **round** is one CFO review (:class:`CfoTurn`) of the plan as it stands, followed -- unless
the CFO concludes -- by one resident move:

* :class:`Revise` -- a new plan (it must be safe: an unsafe plan is refused as everywhere);
* :class:`Argue` -- answers to open objections, judged by the argument rule in :mod:`.cfo`;
* :class:`AcceptCounter` -- take the CFO's counter-offer (a *concession*).

The CFO concludes when no objection is open (**agreement**, or **agreement with
concessions** if the resident accepted any counter-offer) or at the end of round 4 with
objections still open (**impasse**). Everything is a function of the scenario, the initial
plan and the moves, so :meth:`Negotiation.from_json` replays the stored moves and faculty
get the same transcript back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .cfo import ArgumentVerdict, Objection, judge_argument, review
from .counter import CounterOffer, apply_counter, counter_offer
from .errors import NegotiationError
from .model import describe_margin, evaluate
from .plan import Plan
from .scenario import Scenario

log = logging.getLogger(__name__)

MAX_ROUNDS = 4
TRANSCRIPT_VERSION = 1


class Outcome(StrEnum):
    AGREEMENT = "agreement"
    AGREEMENT_WITH_CONCESSIONS = "agreement_with_concessions"
    IMPASSE = "impasse"


@dataclass(frozen=True)
class CfoTurn:
    round: int
    objections: tuple[Objection, ...]
    counter_offer: CounterOffer | None
    message: str
    margin: Decimal
    concluded: bool
    outcome: Outcome | None

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round, "speaker": "cfo", "message": self.message,
                "margin": f"{self.margin:f}",
                "objections": [o.to_json() for o in self.objections],
                "counter_offer": self.counter_offer.to_json() if self.counter_offer else None,
                "concluded": self.concluded,
                "outcome": self.outcome.value if self.outcome else None}


@dataclass(frozen=True)
class Revise:
    plan: Plan


@dataclass(frozen=True)
class Argue:
    """Answers to open objections: objection id -> the resident's text."""

    answers: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))


@dataclass(frozen=True)
class AcceptCounter:
    pass


ResidentMove = Revise | Argue | AcceptCounter


@dataclass(frozen=True)
class Exchange:
    """One finished round: the CFO's turn, the resident's move, and (for an argument) the
    CFO's verdict on each answer."""

    turn: CfoTurn
    move: ResidentMove
    verdicts: tuple[ArgumentVerdict, ...] = ()


def negotiate(scenario: Scenario, plan: Plan, history: Sequence[Exchange]) -> CfoTurn:
    """The CFO's turn for round ``len(history) + 1`` on ``plan`` (the plan as it now stands)."""
    round_no = len(history) + 1
    if round_no > MAX_ROUNDS:
        raise NegotiationError(f"The negotiation is over after {MAX_ROUNDS} rounds.")
    waived = {(v.objection_id, v.objection_message) for ex in history for v in ex.verdicts
              if v.accepted}
    conceded = any(isinstance(ex.move, AcceptCounter) for ex in history)
    objections = tuple(o for o in review(scenario, plan) if (o.id, o.message) not in waived)
    margin = describe_margin(evaluate(scenario, plan))
    name = scenario.cfo.name
    if not objections:
        outcome = Outcome.AGREEMENT_WITH_CONCESSIONS if conceded else Outcome.AGREEMENT
        terms = " with the changes we agreed" if conceded else ""
        message = (f"{name}: Approved{terms}. The plan reaches {margin} with every quality "
                   f"floor held. Report the monthly metrics; we review at month four.")
        return _turn(round_no, (), None, message, scenario, plan, outcome)
    concerns = f"{len(objections)} concern{'s' if len(objections) > 1 else ''}"
    if round_no == MAX_ROUNDS:
        message = (f"{name}: We are out of rounds with {concerns} still open. The plan stands "
                   f"at {margin}. Finance will take the budget to the committee without my "
                   f"support, and an across-the-board cut is the likely result.")
        return _turn(round_no, objections, None, message, scenario, plan, Outcome.IMPASSE)
    counter = counter_offer(scenario, plan, objections)
    last = " My next review is the last." if round_no == MAX_ROUNDS - 1 else ""
    message = (f"{name}: The plan stands at {margin}. I have {concerns} before this goes to the "
               f"finance committee (round {round_no} of {MAX_ROUNDS}).{last}")
    return _turn(round_no, objections, counter, message, scenario, plan, None)


def _turn(round_no: int, objections: tuple[Objection, ...], counter: CounterOffer | None,
          message: str, scenario: Scenario, plan: Plan, outcome: Outcome | None) -> CfoTurn:
    margin = evaluate(scenario, plan).totals.operating_margin
    if outcome:
        log.info("CFO negotiation concluded in round %s: %s", round_no, outcome.value)
    return CfoTurn(round_no, objections, counter, message, margin, outcome is not None, outcome)


@dataclass(frozen=True)
class Negotiation:
    """The negotiation so far: the plan it started from, the finished rounds, the plan as it
    now stands and the CFO's latest turn."""

    initial_plan: Plan
    plan: Plan
    exchanges: tuple[Exchange, ...]
    turn: CfoTurn

    @property
    def concluded(self) -> bool:
        return self.turn.concluded

    @property
    def outcome(self) -> Outcome | None:
        return self.turn.outcome

    @property
    def rounds(self) -> int:
        return self.turn.round

    def arguments(self) -> tuple[str, ...]:
        """Every answer the resident gave, in order."""
        return tuple(v.text for ex in self.exchanges for v in ex.verdicts)

    def transcript(self) -> list[dict[str, Any]]:
        """The record for storage and display: CFO turns and resident moves, in order."""
        entries: list[dict[str, Any]] = []
        for ex in self.exchanges:
            entries.append(ex.turn.to_json())
            entries.append({"round": ex.turn.round, "speaker": "resident",
                            **_move_json(ex.move),
                            "verdicts": [v.to_json() for v in ex.verdicts]})
        entries.append(self.turn.to_json())
        return entries

    def to_json(self) -> dict[str, Any]:
        return {"version": TRANSCRIPT_VERSION, "initial_plan": self.initial_plan.to_json(),
                "moves": [_move_json(ex.move) for ex in self.exchanges],
                "transcript": self.transcript(), "rounds": self.rounds,
                "outcome": self.outcome.value if self.outcome else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], scenario: Scenario) -> Negotiation:
        """Rebuild by replaying the stored moves on the stored initial plan."""
        moves = data.get("moves", [])
        if not isinstance(moves, list):
            raise NegotiationError("A stored negotiation must list its moves.")
        negotiation = open_negotiation(scenario, Plan.from_json(data.get("initial_plan"), scenario))
        for raw in moves:
            if not isinstance(raw, Mapping):
                raise NegotiationError("Each stored negotiation move must be an object.")
            negotiation = respond(scenario, negotiation, _move_from_json(raw, scenario))
        return negotiation


def open_negotiation(scenario: Scenario, plan: Plan) -> Negotiation:
    """Submit ``plan`` to the CFO: round 1. Raises ``UnsafePlan`` for an unsafe plan."""
    return Negotiation(plan, plan, (), negotiate(scenario, plan, ()))


def respond(scenario: Scenario, negotiation: Negotiation, move: ResidentMove) -> Negotiation:
    """Play the resident's move and return the negotiation with the CFO's next turn."""
    turn = negotiation.turn
    if turn.concluded:
        raise NegotiationError("The negotiation is over; the CFO has given a final answer.")
    plan = negotiation.plan
    verdicts: tuple[ArgumentVerdict, ...] = ()
    if isinstance(move, Revise):
        evaluate(scenario, move.plan)  # refuses an unsafe or invalid plan before it counts
        plan = move.plan
    elif isinstance(move, Argue):
        verdicts = _judge(turn, move)
    else:
        if turn.counter_offer is None:
            raise NegotiationError("There is no counter-offer to accept in this round.")
        note = f"CFO counter-offer accepted in round {turn.round}: {turn.counter_offer.message}"
        plan = apply_counter(scenario, plan, turn.counter_offer, note)
    exchanges = (*negotiation.exchanges, Exchange(turn, move, verdicts))
    return Negotiation(negotiation.initial_plan, plan, exchanges,
                       negotiate(scenario, plan, exchanges))


def _judge(turn: CfoTurn, move: Argue) -> tuple[ArgumentVerdict, ...]:
    if not move.answers:
        raise NegotiationError("Answer at least one of the CFO's objections.")
    open_ = {o.id: o for o in turn.objections}
    for objection_id in move.answers:
        if objection_id not in open_:
            raise NegotiationError(f"'{objection_id}' is not one of the CFO's open objections.")
    return tuple(judge_argument(open_[oid], text) for oid, text in move.answers.items())


def _move_json(move: ResidentMove) -> dict[str, Any]:
    if isinstance(move, Revise):
        return {"move": "revise", "plan": move.plan.to_json()}
    if isinstance(move, Argue):
        return {"move": "argue", "answers": dict(move.answers)}
    return {"move": "accept_counter"}


def _move_from_json(raw: Mapping[str, Any], scenario: Scenario) -> ResidentMove:
    kind = raw.get("move")
    if kind == "revise":
        return Revise(Plan.from_json(raw.get("plan"), scenario))
    if kind == "argue":
        answers = raw.get("answers")
        if not isinstance(answers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in answers.items()):
            raise NegotiationError("An argument must map objection ids to text.")
        return Argue(answers)
    if kind == "accept_counter":
        return AcceptCounter()
    raise NegotiationError(f"Unknown negotiation move {kind!r}.")
