"""A pod package as checked by the validator: metadata, parsed sections and rubric.

Frozen dataclasses, one per section type of ``FORMAT.md``; ``load_package`` in
``validation.py`` builds them only from a package with no problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalogue import PodMetadata, SectionRef


@dataclass(frozen=True)
class ConfidenceItem:
    id: str
    statement: str


@dataclass(frozen=True)
class ConfidenceSection:
    """Self-rated confidence: ``when`` is ``before`` (opens the pod) or ``after`` (closes it)."""

    when: str
    intro: str
    scale: tuple[str, ...]
    items: tuple[ConfidenceItem, ...]


@dataclass(frozen=True)
class Slide:
    title: str
    body: str
    transcript: str


@dataclass(frozen=True)
class Video:
    url: str
    embed: str
    captions: str


@dataclass(frozen=True)
class MicroLearningSection:
    """``format`` is ``slides`` (then ``slides``) or ``video`` (then ``video`` and ``transcript``)."""

    format: str
    intro: str
    slides: tuple[Slide, ...] = ()
    video: Video | None = None
    transcript: str = ""


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[Choice, ...]
    explanation: str
    multiple: bool = False


@dataclass(frozen=True)
class KnowledgeCheckSection:
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class CaseChoice:
    id: str
    label: str
    next: str
    consequence: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CaseEnd:
    outcome: str
    summary: str


@dataclass(frozen=True)
class CaseNode:
    """A decision point (``choices``) or an ending (``end``), never both."""

    id: str
    text: str
    choices: tuple[CaseChoice, ...] = ()
    end: CaseEnd | None = None


@dataclass(frozen=True)
class BranchingCaseSection:
    intro: str
    start: str
    nodes: tuple[CaseNode, ...]

    def node(self, node_id: str) -> CaseNode:
        return next(n for n in self.nodes if n.id == node_id)


@dataclass(frozen=True)
class SimulationSection:
    simulation: str
    intro: str
    instructions: str


@dataclass(frozen=True)
class DeliverablePrompt:
    id: str
    label: str
    help: str
    min_words: int | None
    max_words: int | None


@dataclass(frozen=True)
class DeliverableSection:
    intro: str
    prompts: tuple[DeliverablePrompt, ...]
    target_words: int | None
    speaking: bool
    target_minutes: int | None


@dataclass(frozen=True)
class ReflectionPrompt:
    id: str
    label: str
    help: str


@dataclass(frozen=True)
class ReflectionSection:
    intro: str
    prompts: tuple[ReflectionPrompt, ...]


SectionContent = (ConfidenceSection | MicroLearningSection | KnowledgeCheckSection
                  | BranchingCaseSection | SimulationSection | DeliverableSection
                  | ReflectionSection)


@dataclass(frozen=True)
class Section:
    ref: SectionRef
    content: SectionContent


@dataclass(frozen=True)
class RubricLevel:
    id: str
    label: str
    descriptor: str
    points: int


@dataclass(frozen=True)
class RubricCriterion:
    """``scoring`` is ``auto`` (from ``metric``, which the player or simulation provides) or
    ``faculty``; ``levels`` go from lowest to highest points, the top one worth ``points``."""

    id: str
    title: str
    description: str
    points: int
    competencies: tuple[str, ...]
    scoring: str
    metric: str | None
    levels: tuple[RubricLevel, ...]


@dataclass(frozen=True)
class Rubric:
    title: str
    pass_mark: float
    criteria: tuple[RubricCriterion, ...]

    @property
    def total_points(self) -> int:
        return sum(c.points for c in self.criteria)


@dataclass(frozen=True)
class PodPackage:
    metadata: PodMetadata
    sections: tuple[Section, ...]
    rubric: Rubric

    @property
    def path(self) -> Path:
        return self.metadata.path
