"""A resident's answers, section by section: their shape, their checks, completion.

Pure: no Flask, no database. Every saved answer is checked here before it is stored,
so a malformed or tampered save is refused with a clear message and nothing is kept.

Shapes (JSON), by section type:

- confidence: ``{"items": {item_id: 1..5}}``
- micro-learning: ``{"viewed": [slide index, …]}`` (slides) or
  ``{"watched_seconds": n, "duration_seconds": n, "transcript_read": bool}`` (video)
- knowledge-check: ``{"answers": {question_id: choice_id | [choice_id, …]}}``
- branching-case: ``{"path": [{"node": node_id, "choice": choice_id}, …]}`` from the start
- simulation: whatever the simulation plug-in defines (``pods/simulations.py``)
- deliverable and reflection: ``{"responses": {prompt_id: text}}``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .validation_model import (
    BranchingCaseSection,
    ConfidenceSection,
    DeliverableSection,
    KnowledgeCheckSection,
    MicroLearningSection,
    PodPackage,
    ReflectionSection,
    Section,
    SimulationSection,
)

MAX_TEXT = 20_000
WORDS = re.compile(r"[\w'’-]+")
#: speaking pace used for the talk-length estimate of spoken deliverables
WORDS_PER_MINUTE = 130


class AnswerError(ValueError):
    """A save that does not fit its section; the message says what is wrong."""


def word_count(text: str) -> int:
    return len(WORDS.findall(text))


def has_words(text: str, wanted: int) -> bool:
    """Whether ``text`` has at least ``wanted`` words; stops counting once it has."""
    return sum(1 for _ in islice(WORDS.finditer(text), wanted)) >= wanted


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise AnswerError(f"{what} must be an object")
    return value


def _ids(value: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise AnswerError(f"unknown {what} {', '.join(unknown[:3])}")


def _texts(answer: Mapping[str, Any], prompt_ids: set[str]) -> dict[str, Any]:
    _ids(answer, {"responses"}, "field")
    responses = _mapping(answer.get("responses", {}), "responses")
    _ids(responses, prompt_ids, "prompt")
    for pid, text in responses.items():
        if not isinstance(text, str):
            raise AnswerError(f"the answer to {pid} must be text")
        if len(text) > MAX_TEXT:
            raise AnswerError(f"the answer to {pid} is longer than {MAX_TEXT:,} characters")
    return {"responses": dict(responses)}


def _confidence(section: ConfidenceSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    _ids(answer, {"items"}, "field")
    items = _mapping(answer.get("items", {}), "items")
    _ids(items, {i.id for i in section.items}, "item")
    for item_id, value in items.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= len(section.scale):
            raise AnswerError(f"the rating for {item_id} must be 1 to {len(section.scale)}")
    return {"items": dict(items)}


def _micro(section: MicroLearningSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    if section.format == "slides":
        _ids(answer, {"viewed"}, "field")
        viewed = answer.get("viewed", [])
        if not isinstance(viewed, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(section.slides)
                for i in viewed):
            raise AnswerError("viewed must list slide numbers of this section")
        return {"viewed": sorted(set(viewed))}
    _ids(answer, {"watched_seconds", "duration_seconds", "transcript_read"}, "field")
    clean: dict[str, Any] = {}
    for name in ("watched_seconds", "duration_seconds"):
        value = answer.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 86_400:
            raise AnswerError(f"{name} must be a number of seconds")
        clean[name] = round(float(value), 1)
    if not isinstance(answer.get("transcript_read", False), bool):
        raise AnswerError("transcript_read must be true or false")
    clean["transcript_read"] = bool(answer.get("transcript_read", False))
    return clean


def _knowledge(section: KnowledgeCheckSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    _ids(answer, {"answers"}, "field")
    answers = _mapping(answer.get("answers", {}), "answers")
    questions = {q.id: q for q in section.questions}
    _ids(answers, set(questions), "question")
    for qid, chosen in answers.items():
        choices = {c.id for c in questions[qid].choices}
        picked = chosen if isinstance(chosen, list) else [chosen]
        if not picked or not all(isinstance(c, str) and c in choices for c in picked):
            raise AnswerError(f"the answer to {qid} is not one of its choices")
        if len(picked) > 1 and not questions[qid].multiple:
            raise AnswerError(f"{qid} takes one choice")
    return {"answers": dict(answers)}


def case_end(section: BranchingCaseSection, path: list[dict[str, str]]) -> tuple[str, str | None]:
    """Replay a path from the start: the node reached and, at an end, its outcome."""
    nodes = {n.id: n for n in section.nodes}
    current = section.start
    for step in path:
        node = nodes[current]
        choice = next((c for c in node.choices if c.id == step.get("choice")), None)
        if step.get("node") != current or choice is None:
            raise AnswerError(f"the path leaves the case at {step.get('node')!r}: "
                              "reload the page to continue from where you were")
        current = choice.next
    end = nodes[current].end
    return current, end.outcome if end else None


def _case(section: BranchingCaseSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    _ids(answer, {"path"}, "field")
    path = answer.get("path", [])
    if not isinstance(path, list) or len(path) > 200 or not all(
            isinstance(s, dict) and set(s) == {"node", "choice"} for s in path):
        raise AnswerError("path must list the decisions taken, each with node and choice")
    case_end(section, path)
    return {"path": [dict(s) for s in path]}


def _deliverable(section: DeliverableSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    return _texts(answer, {p.id for p in section.prompts})


def _reflection(section: ReflectionSection, answer: Mapping[str, Any]) -> dict[str, Any]:
    return _texts(answer, {p.id for p in section.prompts})


@dataclass(frozen=True)
class SimulationHooks:
    """What a simulation plug-in tells the player about its answers."""

    clean: Callable[[SimulationSection, Mapping[str, Any]], dict[str, Any]]
    complete: Callable[[SimulationSection, Mapping[str, Any]], bool]


def clean_answer(section: Section, answer: Any,
                 simulation: SimulationHooks | None = None) -> dict[str, Any]:
    """The answer as it will be stored, or AnswerError."""
    data = _mapping(answer, "the answer")
    content = section.content
    if isinstance(content, ConfidenceSection):
        return _confidence(content, data)
    if isinstance(content, MicroLearningSection):
        return _micro(content, data)
    if isinstance(content, KnowledgeCheckSection):
        return _knowledge(content, data)
    if isinstance(content, BranchingCaseSection):
        return _case(content, data)
    if isinstance(content, DeliverableSection):
        return _deliverable(content, data)
    if isinstance(content, ReflectionSection):
        return _reflection(content, data)
    if isinstance(content, SimulationSection):
        if simulation is None:
            raise AnswerError(f"the {content.simulation} simulation is not available")
        return simulation.clean(content, data)
    raise AnswerError("this section takes no answer")


def is_complete(section: Section, answer: Mapping[str, Any] | None,
                simulation: SimulationHooks | None = None) -> bool:
    """Whether the resident has done what the section asks."""
    answer = answer or {}
    content = section.content
    if isinstance(content, ConfidenceSection):
        return len(answer.get("items", {})) == len(content.items)
    if isinstance(content, MicroLearningSection):
        if content.format == "slides":
            return len(answer.get("viewed", [])) == len(content.slides)
        duration = answer.get("duration_seconds") or 0
        return bool(answer.get("transcript_read")) or (
            duration > 0 and answer.get("watched_seconds", 0) >= 0.9 * duration)
    if isinstance(content, KnowledgeCheckSection):
        return len(answer.get("answers", {})) == len(content.questions)
    if isinstance(content, BranchingCaseSection):
        return case_end(content, answer.get("path", []))[1] is not None
    if isinstance(content, DeliverableSection):
        responses = answer.get("responses", {})
        return all(has_words(responses.get(p.id, ""), max(1, p.min_words or 1))
                   for p in content.prompts)
    if isinstance(content, ReflectionSection):
        responses = answer.get("responses", {})
        return all(responses.get(p.id, "").strip() for p in content.prompts)
    if isinstance(content, SimulationSection):
        return simulation is not None and simulation.complete(content, answer)
    return False


def strong_path_tags(section: BranchingCaseSection) -> set[str]:
    """Tags of the choices that can still lead to a strong ending: what a case rewards
    (tags on choices that only lead to weaker endings name mistakes, not skills)."""
    nodes = {n.id: n for n in section.nodes}
    memo: dict[str, bool] = {}

    def leads_to_strong(node_id: str) -> bool:
        if node_id not in memo:
            node = nodes[node_id]
            memo[node_id] = (node.end.outcome == "strong" if node.end
                             else any(leads_to_strong(c.next) for c in node.choices))
        return memo[node_id]

    return {t for n in section.nodes for c in n.choices if leads_to_strong(c.next)
            for t in c.tags}


def player_metrics(package: PodPackage, answers: Mapping[str, Any]) -> dict[str, float]:
    """The metrics every pod provides: knowledge_check_percent, case_outcome (0/50/100 for
    poor/mixed/strong), case_tags_covered (percent of the case's tags on the path)."""
    metrics: dict[str, float] = {}
    for section in package.sections:
        content, answer = section.content, answers.get(section.ref.id) or {}
        if isinstance(content, KnowledgeCheckSection):
            given = answer.get("answers", {})
            right = 0
            for q in content.questions:
                correct = {c.id for c in q.choices if c.correct}
                picked = given.get(q.id)
                right += set(picked if isinstance(picked, list) else [picked]) == correct
            metrics["knowledge_check_percent"] = round(100 * right / len(content.questions), 2)
        if isinstance(content, BranchingCaseSection):
            path = answer.get("path", [])
            _, outcome = case_end(content, path)
            metrics["case_outcome"] = {"strong": 100.0, "mixed": 50.0, "poor": 0.0}.get(
                outcome or "", 0.0)
            wanted = strong_path_tags(content)
            nodes = {n.id: n for n in content.nodes}
            taken = {t for s in path for c in nodes[s["node"]].choices
                     if c.id == s["choice"] for t in c.tags}
            metrics["case_tags_covered"] = (round(100 * len(taken & wanted) / len(wanted), 2)
                                            if wanted else 0.0)
    return metrics
