"""The budget simulation as a pod-player plug-in: the stored answer, its checks, completion,
the rubric metrics, and the resident's moves in the CFO negotiation.

The answer the player stores for the simulation section::

    {"plan": Plan.to_json(), "negotiation": Negotiation.to_json() | None}

``plan`` is the grid as the resident left it. ``negotiation`` is rebuilt on every save by
replaying its stored moves (:meth:`Negotiation.from_json`), so a transcript or outcome the
browser did not earn is refused, never stored. Once the CFO has given a final answer the
plan is the agreed one (``negotiation.plan``) and stays so; there is no second negotiation.

Pure: no Flask, no database. :func:`clean` and :func:`complete` are the player's
:class:`~leadership_pods.pods.answers.SimulationHooks`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..answers import AnswerError, SimulationHooks
from ..simulations import SimulationPlugin
from ..validation_model import DeliverableSection, PodPackage, SimulationSection
from .cardiology import CARDIOLOGY
from .errors import BudgetError, NegotiationError
from .metrics import metrics
from .model import safety_refusals
from .negotiation import MAX_ROUNDS, AcceptCounter, Argue, Negotiation, Revise, open_negotiation, respond
from .plan import Plan
from .scenario import Scenario

log = logging.getLogger(__name__)

NAME = "budget"
TEMPLATE = "budget/grid.html"
#: the scenario every budget pod runs (the simulation section does not name one)
SCENARIO = CARDIOLOGY
#: a justification is "short": two to four sentences
MAX_JUSTIFICATION = 1_500
#: one answer to one of the CFO's objections
MAX_ARGUMENT = 2_000
#: the budget pod's deliverable, whose text is the executive summary (see :func:`plugin_metrics`)
SUMMARY_SECTIONS = ("executive-summary",)
_FIELDS = frozenset({"plan", "negotiation"})
#: the derived parts of a stored negotiation, which must match the replay
_DERIVED = ("transcript", "rounds", "outcome")


@dataclass(frozen=True)
class BudgetAnswer:
    """The simulation's answer, read and checked against the scenario."""

    plan: Plan
    negotiation: Negotiation | None = None

    @property
    def concluded(self) -> bool:
        return self.negotiation is not None and self.negotiation.concluded

    @property
    def final_plan(self) -> Plan:
        """The plan that is scored: the negotiated one when there is a negotiation."""
        return self.negotiation.plan if self.negotiation else self.plan

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan.to_json(),
                "negotiation": self.negotiation.to_json() if self.negotiation else None}


def unjustified(plan: Plan) -> tuple[str, ...]:
    """Changed levers whose justification is empty, in lever-id order."""
    return tuple(lid for lid in plan.changed_levers()
                 if not plan.changes[lid].justification.strip())


def read_answer(data: Mapping[str, Any], scenario: Scenario = SCENARIO) -> BudgetAnswer:
    """Read a stored or submitted answer; raise :class:`BudgetError` with a plain message
    when it is malformed, unsafe, or carries a negotiation that does not replay."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise BudgetError(f"The simulation's answer has unknown fields: {', '.join(unknown[:3])}.")
    plan = Plan.from_json(data.get("plan") or {"levers": {}}, scenario)
    _check_texts(plan)
    refusals = safety_refusals(scenario, plan)
    if refusals:
        raise BudgetError(" ".join(r.reason for r in refusals))
    raw = data.get("negotiation")
    if raw is None:
        return BudgetAnswer(plan)
    negotiation = _replay(raw, scenario)
    if negotiation.concluded and negotiation.plan != plan:
        raise NegotiationError("The plan differs from the one the CFO gave a final answer on; "
                               "the agreed plan cannot be changed.")
    return BudgetAnswer(plan, negotiation)


def _replay(raw: Any, scenario: Scenario) -> Negotiation:
    if not isinstance(raw, Mapping):
        raise NegotiationError("The CFO negotiation must be an object or null.")
    moves = raw.get("moves", [])
    if isinstance(moves, list) and len(moves) >= MAX_ROUNDS:
        raise NegotiationError(f"A negotiation has at most {MAX_ROUNDS - 1} moves.")
    try:
        negotiation = Negotiation.from_json(raw, scenario)
    except BudgetError as exc:
        raise NegotiationError(f"The CFO negotiation does not replay: {exc.message}") from exc
    replayed = negotiation.to_json()
    forged = [key for key in _DERIVED if key in raw and raw[key] != replayed[key]]
    if forged:
        log.warning("refused a negotiation whose %s does not match its moves", ", ".join(forged))
        raise NegotiationError("The CFO negotiation does not replay: its record does not match "
                               "the moves made. Reload the page to continue from the saved one.")
    for plan in _plans(negotiation):
        _check_texts(plan)
    for text in negotiation.arguments():
        if len(text) > MAX_ARGUMENT:
            raise NegotiationError(f"An answer to the CFO is longer than {MAX_ARGUMENT:,} "
                                   "characters.")
    return negotiation


def _plans(negotiation: Negotiation) -> Iterable[Plan]:
    yield negotiation.initial_plan
    for exchange in negotiation.exchanges:
        if isinstance(exchange.move, Revise):
            yield exchange.move.plan


def _check_texts(plan: Plan) -> None:
    for lever_id, change in plan.changes.items():
        if len(change.justification) > MAX_JUSTIFICATION:
            raise BudgetError(f"The justification of '{lever_id}' is longer than "
                              f"{MAX_JUSTIFICATION:,} characters; keep it to a few sentences.")


# -- the player's hooks -----------------------------------------------------------------------

def clean(section: SimulationSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer as it will be stored (canonical JSON), or :class:`AnswerError`."""
    try:
        return read_answer(answer).to_json()
    except BudgetError as exc:
        raise AnswerError(exc.message) from exc


def complete(section: SimulationSection, answer: Mapping[str, Any]) -> bool:
    """Done when the plan is safe, every changed lever is justified and the CFO has given a
    final answer on it (agreement, agreement with concessions or impasse)."""
    try:
        budget = read_answer(answer)
    except BudgetError:
        return False
    return budget.concluded and not unjustified(budget.final_plan)


# -- metrics ----------------------------------------------------------------------------------

def summary_text(answers: Mapping[str, Any], section_ids: Iterable[str]) -> str:
    """The resident's text in the given deliverable sections, prompt by prompt."""
    texts: list[str] = []
    for section_id in section_ids:
        responses = (answers.get(section_id) or {}).get("responses") or {}
        texts.extend(str(text) for text in responses.values() if isinstance(text, str))
    return "\n\n".join(texts)


def answer_metrics(answer: Mapping[str, Any], summary: str) -> dict[str, float]:
    """The budget metrics (:mod:`.metrics`) of one stored answer and the executive summary."""
    try:
        budget = read_answer(answer or {})
    except BudgetError as exc:  # a stored answer was cleaned; this is a scenario change
        log.warning("scoring a budget answer that no longer reads (%s) as the baseline",
                    exc.message)
        budget = BudgetAnswer(Plan())
    return metrics(SCENARIO, budget.final_plan, budget.negotiation, summary)


def plugin_metrics(answer: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, float]:
    """The plug-in's metrics hook. It is not given the package, so the executive summary is
    the budget pod's deliverable (:data:`SUMMARY_SECTIONS`); scorers that hold the package
    should prefer :func:`attempt_metrics`."""
    return answer_metrics(answer, summary_text(answers, SUMMARY_SECTIONS))


def attempt_metrics(package: PodPackage, answers: Mapping[str, Any]) -> dict[str, float]:
    """The metrics of a whole attempt: the simulation section's answer, and every
    deliverable section's text as the executive summary."""
    simulation = next((s.ref.id for s in package.sections
                       if isinstance(s.content, SimulationSection)), None)
    deliverables = [s.ref.id for s in package.sections
                    if isinstance(s.content, DeliverableSection)]
    answer = (answers.get(simulation) or {}) if simulation else {}
    return answer_metrics(answer, summary_text(answers, deliverables))


PLUGIN = SimulationPlugin(NAME, TEMPLATE, SimulationHooks(clean, complete), plugin_metrics)


# -- the resident's moves in the negotiation --------------------------------------------------

def play(budget: BudgetAnswer, move: Mapping[str, Any], scenario: Scenario = SCENARIO
         ) -> BudgetAnswer:
    """Apply one move from the CFO panel and return the new answer.

    ``move`` is ``{"type": "open"}`` (present the grid's plan: round 1), ``{"type":
    "revise"}`` (present the grid's plan again), ``{"type": "argue", "answers": {objection
    id: text}}`` or ``{"type": "accept"}`` (take the counter-offer). Raises
    :class:`BudgetError` (``UnsafePlan`` for an unsafe plan) with a plain message.
    """
    kind = move.get("type")
    negotiation = budget.negotiation
    if kind == "open":
        if negotiation is not None:
            raise NegotiationError("You have already presented the plan to the CFO; the "
                                   "negotiation continues below.")
        _require_justified(scenario, budget.plan)
        return BudgetAnswer(budget.plan, open_negotiation(scenario, budget.plan))
    if negotiation is None:
        raise NegotiationError("Present the plan to the CFO first.")
    if kind == "revise":
        _require_justified(scenario, budget.plan)
        if budget.plan == negotiation.plan:
            raise NegotiationError("The plan is the one the CFO has just reviewed; change it in "
                                   "the spreadsheet first, then revise.")
        negotiation = respond(scenario, negotiation, Revise(budget.plan))
    elif kind == "argue":
        negotiation = respond(scenario, negotiation, Argue(_arguments(move.get("answers"))))
    elif kind == "accept":
        negotiation = respond(scenario, negotiation, AcceptCounter())
    else:
        raise NegotiationError(f"Unknown move {kind!r}: open, revise, argue or accept.")
    moved_plan = kind != "argue"
    plan = negotiation.plan if moved_plan or negotiation.concluded else budget.plan
    return BudgetAnswer(plan, negotiation)


def _require_justified(scenario: Scenario, plan: Plan) -> None:
    missing = unjustified(plan)
    if missing:
        labels = "; ".join(scenario.lever(lid).label for lid in missing)
        raise NegotiationError(f"Justify every changed lever before you present the plan: "
                               f"{labels}.")


def _arguments(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise NegotiationError("An argument must map the CFO's objections to your answers.")
    answers = {oid: text.strip() for oid, text in raw.items() if text.strip()}
    if not answers:
        raise NegotiationError("Write an answer to at least one of the CFO's objections.")
    for text in answers.values():
        if len(text) > MAX_ARGUMENT:
            raise NegotiationError(f"Keep each answer under {MAX_ARGUMENT:,} characters.")
    return answers
