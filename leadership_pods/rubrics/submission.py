"""A submitted attempt as a grader reads it: each section's answer in words, read-only.

Pure: no Flask, no database. :func:`read_submission` turns a pod package and an attempt's
answers into plain dataclasses the grading page renders section by section (confidence
ratings, knowledge-check score, the case path and its ending, the budget simulation's
final numbers, its changed levers with their justifications and the CFO transcript, the
deliverable with its word count, reflections). Micro-learning sections carry no answer
worth grading and are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..pods.answers import AnswerError, case_end, word_count
from ..pods.validation_model import (
    BranchingCaseSection,
    ConfidenceSection,
    DeliverableSection,
    KnowledgeCheckSection,
    PodPackage,
    ReflectionSection,
    Section,
    SimulationSection,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    """One labelled value: a rating, a decision, a lever change, a transcript line."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Text:
    label: str
    text: str
    words: int


@dataclass(frozen=True)
class SubmittedSection:
    id: str
    title: str
    type: str
    #: a one-line summary ("4 of 5 correct", "Ending: strong")
    summary: str = ""
    rows: tuple[Row, ...] = ()
    texts: tuple[Text, ...] = ()
    #: simulation only: the CFO transcript, in order
    transcript: tuple[Row, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def _confidence(section: Section, content: ConfidenceSection,
                answer: Mapping[str, Any]) -> SubmittedSection:
    items = answer.get("items") or {}
    rows = []
    for item in content.items:
        value = items.get(item.id)
        label = (f"{value} — {content.scale[value - 1]}" if isinstance(value, int)
                 and 1 <= value <= len(content.scale) else "not rated")
        rows.append(Row(item.statement, label))
    return SubmittedSection(section.ref.id, section.ref.title, section.ref.type, rows=tuple(rows))


def _knowledge(section: Section, content: KnowledgeCheckSection,
               answer: Mapping[str, Any]) -> SubmittedSection:
    given = answer.get("answers") or {}
    correct = 0
    for question in content.questions:
        picked = given.get(question.id)
        chosen = set(picked if isinstance(picked, list) else [picked])
        if chosen == {c.id for c in question.choices if c.correct}:
            correct += 1
    total = len(content.questions)
    return SubmittedSection(section.ref.id, section.ref.title, section.ref.type,
                            summary=f"{correct} of {total} correct")


def _case(section: Section, content: BranchingCaseSection,
          answer: Mapping[str, Any]) -> SubmittedSection:
    path = answer.get("path") or []
    nodes = {n.id: n for n in content.nodes}
    rows = []
    for step in path:
        node = nodes.get(str(step.get("node")))
        choice = next((c for c in node.choices if c.id == step.get("choice")), None) if node else None
        if node is not None and choice is not None:
            rows.append(Row(node.text, choice.label, choice.consequence))
    try:
        current, outcome = case_end(content, list(path))
    except AnswerError:
        current, outcome = content.start, None
    end = nodes[current].end
    summary = (f"Ending: {outcome}" + (f" — {end.summary}" if end and end.summary else "")
               if outcome else "The case was not finished")
    return SubmittedSection(section.ref.id, section.ref.title, section.ref.type,
                            summary=summary, rows=tuple(rows))


def _texts(section: Section, prompts: Any, answer: Mapping[str, Any]) -> SubmittedSection:
    responses = answer.get("responses") or {}
    texts = tuple(Text(p.label, str(responses.get(p.id) or ""),
                       word_count(str(responses.get(p.id) or ""))) for p in prompts)
    total = sum(t.words for t in texts)
    return SubmittedSection(section.ref.id, section.ref.title, section.ref.type, texts=texts,
                            summary=f"{total:,} word{'' if total == 1 else 's'}")


def _simulation(section: Section, content: SimulationSection,
                answer: Mapping[str, Any]) -> SubmittedSection:
    if content.simulation != "budget":
        return SubmittedSection(section.ref.id, section.ref.title, section.ref.type,
                                summary="This simulation's answer cannot be shown here.")
    from ..pods.budget import BudgetError, evaluate
    from ..pods.budget.money import money
    from ..pods.budget.plugin import SCENARIO, read_answer
    from ..pods.budget.presentation import OUTCOME_TEXT, gap_text

    try:
        budget = read_answer(answer)
        plan = budget.final_plan
        result = evaluate(SCENARIO, plan)
    except BudgetError as exc:
        log.warning("a stored budget answer no longer reads: %s", exc.message)
        return SubmittedSection(section.ref.id, section.ref.title, section.ref.type,
                                summary="The simulation's answer could not be read.")
    totals = result.totals
    extra = {"Operating margin": money(totals.operating_margin),
             "Margin target": money(totals.margin_target),
             "Against the target": gap_text(result),
             "Quality floors": "all held" if result.floors_held else "one or more broken"}
    rows = []
    for lever_id in plan.changed_levers():
        lever = SCENARIO.lever(lever_id)
        change = plan.changes[lever_id]
        rows.append(Row(lever.label, f"{change.value:+f} {lever.unit}".strip(),
                        change.justification.strip() or "no justification given"))
    transcript: list[Row] = []
    outcome = "not presented to the CFO"
    if budget.negotiation is not None:
        for entry in budget.negotiation.transcript():
            if entry.get("speaker") == "cfo":
                transcript.append(Row(f"CFO, round {entry.get('round')}",
                                      str(entry.get("message") or "")))
            elif entry.get("move") == "argue":
                answers = entry.get("answers") or {}
                transcript.append(Row("You", " ".join(str(v) for v in answers.values())))
            elif entry.get("move") == "revise":
                transcript.append(Row("You", "Revised the plan."))
            else:
                transcript.append(Row("You", "Accepted the CFO's counter-offer."))
        if budget.negotiation.outcome is not None:
            outcome = OUTCOME_TEXT[budget.negotiation.outcome]
        else:
            outcome = "still negotiating"
    extra["CFO outcome"] = outcome
    return SubmittedSection(section.ref.id, section.ref.title, section.ref.type,
                            summary=f"{len(rows)} lever{'' if len(rows) == 1 else 's'} changed",
                            rows=tuple(rows), transcript=tuple(transcript), extra=extra)


def read_section(section: Section, answer: Mapping[str, Any]) -> SubmittedSection | None:
    content = section.content
    if isinstance(content, ConfidenceSection):
        return _confidence(section, content, answer)
    if isinstance(content, KnowledgeCheckSection):
        return _knowledge(section, content, answer)
    if isinstance(content, BranchingCaseSection):
        return _case(section, content, answer)
    if isinstance(content, DeliverableSection | ReflectionSection):
        return _texts(section, content.prompts, answer)
    if isinstance(content, SimulationSection):
        return _simulation(section, content, answer)
    return None


def read_submission(package: PodPackage,
                    answers: Mapping[str, Any]) -> tuple[SubmittedSection, ...]:
    """The attempt's sections a grader reads, in the pod's order."""
    shown = (read_section(s, answers.get(s.ref.id) or {}) for s in package.sections)
    return tuple(s for s in shown if s is not None)
