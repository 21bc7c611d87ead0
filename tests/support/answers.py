"""Complete answers for a pod package's sections, as a resident would give them."""

from __future__ import annotations

from typing import Any

from leadership_pods.pods.budget import CARDIOLOGY, open_negotiation
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS
from leadership_pods.pods.validation_model import (
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


def budget_answer() -> dict[str, Any]:
    """The budget simulation done: the worked plan that meets the target, every change
    justified, presented to the CFO and approved in round 1."""
    return {"plan": COST_AND_CONTRACTS.to_json(),
            "negotiation": open_negotiation(CARDIOLOGY, COST_AND_CONTRACTS).to_json()}


def complete_answer(section: Section) -> dict[str, Any]:
    content = section.content
    if isinstance(content, ConfidenceSection):
        return {"items": {item.id: 3 for item in content.items}}
    if isinstance(content, MicroLearningSection):
        if content.format == "slides":
            return {"viewed": list(range(len(content.slides)))}
        return {"transcript_read": True}
    if isinstance(content, KnowledgeCheckSection):
        return {"answers": {q.id: next(c.id for c in q.choices if c.correct)
                            for q in content.questions}}
    if isinstance(content, BranchingCaseSection):
        path, node = [], content.node(content.start)
        while node.end is None:
            choice = node.choices[0]
            path.append({"node": node.id, "choice": choice.id})
            node = content.node(choice.next)
        return {"path": path}
    if isinstance(content, DeliverableSection):
        return {"responses": {p.id: " ".join(["word"] * max(p.min_words or 1, 5))
                              for p in content.prompts}}
    if isinstance(content, ReflectionSection):
        return {"responses": {p.id: "I learned to name the trade-off." for p in content.prompts}}
    if isinstance(content, SimulationSection) and content.simulation == "budget":
        return budget_answer()
    raise ValueError(f"no answer for {section.ref.type}")


def complete_answers(package: PodPackage) -> dict[str, dict[str, Any]]:
    return {s.ref.id: complete_answer(s) for s in package.sections}
