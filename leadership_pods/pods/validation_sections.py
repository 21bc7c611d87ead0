"""Checks of one section file per section type (``FORMAT.md``, "Section files").

Each check reports problems through a ``FileCheck`` and returns the parsed section, which
is only used when the whole package has no problems. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .validation_model import (
    BranchingCaseSection,
    CaseChoice,
    CaseEnd,
    CaseNode,
    Choice,
    ConfidenceItem,
    ConfidenceSection,
    DeliverablePrompt,
    DeliverableSection,
    KnowledgeCheckSection,
    MicroLearningSection,
    Question,
    ReflectionPrompt,
    ReflectionSection,
    SectionContent,
    SimulationSection,
    Slide,
    Video,
)
from .validation_support import Data, FileCheck, package_file, read_text, suggest

OUTCOMES = ("strong", "mixed", "poor")
VIDEO_FILES = (".mp4", ".webm")
EMBED_HOSTS = ("youtube.com", "www.youtube.com", "youtu.be", "www.youtube-nocookie.com",
               "vimeo.com", "player.vimeo.com")
WEBVTT = re.compile(r"^\ufeff?WEBVTT([ \t\r\n]|$)")


@dataclass(frozen=True)
class PackageContext:
    """What a section check needs from the rest of the package."""

    folder: Path
    simulation: str | None


def confidence(check: FileCheck, data: Data, _context: PackageContext) -> ConfidenceSection:
    check.shape(data, ("when", "intro", "scale", "items"))
    when = check.text(data, "when")
    if when and when not in ("before", "after"):
        check.add(check.line(data, "when"), f"when must be 'before' or 'after', not '{when}'")
    scale = check.strings(data, "scale")
    check.count(data, "scale", 5, 5)
    items = check.entries(data, "items")
    check.count(data, "items", 4, 6)
    check.unique_ids(items, "item")
    for item in items:
        check.shape(item, ("id", "statement"))
    return ConfidenceSection(
        when=when, intro=check.text(data, "intro", markdown=True),
        scale=tuple(label for _, label in scale),
        items=tuple(ConfidenceItem(check.text(i, "id"), check.text(i, "statement")) for i in items))


def _video(check: FileCheck, data: Data, context: PackageContext) -> Video:
    check.shape(data, ("captions",), ("url", "embed"))
    url, embed = check.text(data, "url"), check.text(data, "embed")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.netloc
                or not parts.path.lower().endswith(VIDEO_FILES)):
        check.add(check.line(data, "url"), "video url must be an http(s) link to an .mp4 or .webm "
                                           "file, or empty")
    parts = urlsplit(embed)
    if embed and (parts.scheme not in ("http", "https") or parts.hostname not in EMBED_HOSTS):
        check.add(check.line(data, "embed"), "video embed must be a YouTube or Vimeo link, or empty")
    captions = data.get("captions")
    if captions is not None:
        _captions(check, captions, check.line(data, "captions"), context)
    return Video(url=url, embed=embed, captions=str(captions or ""))


def _captions(check: FileCheck, name: object, line: int, context: PackageContext) -> None:
    path = package_file(context.folder, name, check, line, "captions file")
    if path is None:
        return
    if path.suffix.lower() != ".vtt":
        check.add(line, f"captions file '{name}' must be a WebVTT file ending in .vtt")
        return
    vtt = FileCheck(path, check.problems)
    text = read_text(path, vtt)
    if text is not None and not WEBVTT.match(text):
        vtt.add(1, "a captions file must start with 'WEBVTT' (it is not a WebVTT file)")


def micro_learning(check: FileCheck, data: Data, context: PackageContext) -> MicroLearningSection:
    fmt = check.text(data, "format")
    intro = check.text(data, "intro", markdown=True)
    if fmt == "slides":
        check.shape(data, ("format", "intro", "slides"))
        slides = check.entries(data, "slides")
        check.count(data, "slides", 1)
        for slide in slides:
            check.shape(slide, ("title", "body", "transcript"))
        return MicroLearningSection(fmt, intro, slides=tuple(
            Slide(check.text(s, "title"), check.text(s, "body", markdown=True),
                  check.text(s, "transcript", markdown=True)) for s in slides))
    if fmt == "video":
        check.shape(data, ("format", "intro", "video", "transcript"))
        video = check.mapping(data, "video")
        return MicroLearningSection(
            fmt, intro, video=_video(check, video, context) if video is not None else None,
            transcript=check.text(data, "transcript", markdown=True))
    check.shape(data, ("format", "intro"), ("slides", "video", "transcript"))
    if fmt:
        check.add(check.line(data, "format"), f"format must be 'slides' or 'video', not "
                                              f"'{fmt}'{suggest(fmt, ('slides', 'video'))}")
    return MicroLearningSection(fmt, intro)


def _question(check: FileCheck, data: Data) -> Question:
    check.shape(data, ("id", "prompt", "choices"), ("explanation", "multiple"))
    qid, multiple = check.text(data, "id"), check.boolean(data, "multiple")
    raw_choices = check.entries(data, "choices")
    check.count(data, "choices", 2)
    check.unique_ids(raw_choices, "choice")
    choices: list[Choice] = []
    for raw in raw_choices:
        check.shape(raw, ("id", "text", "feedback"), ("correct",))
        choices.append(Choice(check.text(raw, "id"), check.text(raw, "text", markdown=True),
                              check.boolean(raw, "correct"),
                              check.text(raw, "feedback", markdown=True)))
    correct = sum(c.correct for c in choices)
    if choices and correct == 0:
        check.add(check.line(data, "choices"), f"question '{qid}' has no correct choice; mark "
                                               "one with correct: true")
    elif correct > 1 and not multiple:
        check.add(check.line(data, "choices"), f"question '{qid}' has {correct} correct choices; "
                                               "mark exactly one, or set multiple: true")
    return Question(qid, check.text(data, "prompt", markdown=True), tuple(choices),
                    check.text(data, "explanation", markdown=True), multiple)


def knowledge_check(check: FileCheck, data: Data, _context: PackageContext) -> KnowledgeCheckSection:
    check.shape(data, ("intro", "questions"))
    questions = check.entries(data, "questions")
    check.count(data, "questions", 1)
    check.unique_ids(questions, "question")
    return KnowledgeCheckSection(check.text(data, "intro", markdown=True),
                                 tuple(_question(check, q) for q in questions))


def _case_node(check: FileCheck, node_id: str, data: Data) -> tuple[CaseNode, list[Data]]:
    check.shape(data, ("text",), ("choices", "end"))
    text = check.text(data, "text", markdown=True)
    if "choices" in data and "end" in data:
        check.add(check.line(data), f"node '{node_id}' has both choices and end; it must be one "
                                    "or the other")
    elif "choices" not in data and "end" not in data:
        check.add(check.line(data), f"node '{node_id}' needs either choices or end")
    raw_choices = check.entries(data, "choices")
    check.count(data, "choices", 1)
    check.unique_ids(raw_choices, "choice")
    choices: list[CaseChoice] = []
    for raw in raw_choices:
        check.shape(raw, ("id", "label", "next"), ("consequence", "tags"))
        choices.append(CaseChoice(
            check.text(raw, "id"), check.text(raw, "label"), check.text(raw, "next"),
            check.text(raw, "consequence", markdown=True),
            tuple(tag for _, tag in check.strings(raw, "tags"))))
    end, raw_end = None, check.mapping(data, "end")
    if raw_end is not None:
        check.shape(raw_end, ("outcome", "summary"))
        outcome = check.text(raw_end, "outcome")
        if outcome and outcome not in OUTCOMES:
            check.add(check.line(raw_end, "outcome"), f"outcome must be strong, mixed or poor, not "
                                                      f"'{outcome}'")
        end = CaseEnd(outcome, check.text(raw_end, "summary", markdown=True))
    return CaseNode(node_id, text, tuple(choices), end), raw_choices


def branching_case(check: FileCheck, data: Data, _context: PackageContext) -> BranchingCaseSection:
    check.shape(data, ("intro", "start", "nodes"))
    start, raw_nodes = check.text(data, "start"), check.mapping(data, "nodes") or {}
    nodes: dict[str, CaseNode] = {}
    raw_choices: dict[str, list[Data]] = {}
    for node_id, raw in raw_nodes.items():
        if node_id.startswith("__"):
            continue
        if isinstance(raw, dict):
            nodes[node_id], raw_choices[node_id] = _case_node(check, node_id, raw)
        else:
            check.add(check.line(raw_nodes, node_id), f"node '{node_id}' must be a mapping with "
                                                      "text, and choices or end")
    if start and start not in nodes:
        check.add(check.line(data, "start"), f"start node '{start}' is not one of the nodes"
                                             f"{suggest(start, nodes)}")
    for node in nodes.values():
        for choice, raw in zip(node.choices, raw_choices[node.id], strict=True):
            if choice.next and choice.next not in nodes:
                check.add(check.line(raw, "next"), f"choice '{choice.id}' leads to node "
                                                   f"'{choice.next}', which does not exist"
                                                   f"{suggest(choice.next, nodes)}")
    if start in nodes:
        _check_paths(check, start, nodes, raw_choices, raw_nodes)
    return BranchingCaseSection(check.text(data, "intro", markdown=True), start,
                                tuple(nodes.values()))


def _check_paths(check: FileCheck, start: str, nodes: dict[str, CaseNode],
                 raw_choices: dict[str, list[Data]], raw_nodes: Data) -> None:
    """Every node reachable from ``start``, and no path that goes round forever."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"

    def visit(node_id: str) -> None:
        state[node_id] = "open"
        node = nodes[node_id]
        for choice, raw in zip(node.choices, raw_choices[node_id], strict=True):
            if choice.next not in nodes:
                continue
            if state.get(choice.next) == "open":
                check.add(check.line(raw, "next"), f"choice '{choice.id}' of node '{node_id}' leads "
                                                   f"back to node '{choice.next}', so a path can go "
                                                   "round forever; every path must reach an end")
            elif choice.next not in state:
                visit(choice.next)
        state[node_id] = "done"

    visit(start)
    # an unreachable part is reported once, where it begins: a node no choice leads to
    targets = {c.next for n in nodes.values() for c in n.choices}
    for node_id in sorted((n for n in nodes if n not in state), key=lambda n: n in targets):
        if node_id not in state:
            check.add(check.line(raw_nodes, node_id), f"node '{node_id}' cannot be reached from "
                                                      f"the start node '{start}'")
            visit(node_id)


def simulation(check: FileCheck, data: Data, context: PackageContext) -> SimulationSection:
    check.shape(data, ("simulation", "intro", "instructions"))
    name = check.text(data, "simulation")
    if name and name != context.simulation:
        check.add(check.line(data, "simulation"),
                  f"simulation '{name}' does not match pod.yaml's simulation '{context.simulation}'"
                  if context.simulation else
                  f"simulation '{name}' is not named in pod.yaml; add 'simulation: {name}' there")
    return SimulationSection(name, check.text(data, "intro", markdown=True),
                             check.text(data, "instructions", markdown=True))


def _deliverable_prompt(check: FileCheck, data: Data) -> DeliverablePrompt:
    check.shape(data, ("id", "label"), ("help", "min_words", "max_words"))
    low = check.integer(data, "min_words", minimum=1)
    high = check.integer(data, "max_words", minimum=1)
    if low is not None and high is not None and low > high:
        check.add(check.line(data, "min_words"), f"min_words ({low}) is more than max_words ({high})")
    return DeliverablePrompt(check.text(data, "id"), check.text(data, "label"),
                             check.text(data, "help", markdown=True), low, high)


def deliverable(check: FileCheck, data: Data, _context: PackageContext) -> DeliverableSection:
    check.shape(data, ("intro", "prompts"), ("target_words", "speaking", "target_minutes"))
    prompts = check.entries(data, "prompts")
    check.count(data, "prompts", 1)
    check.unique_ids(prompts, "prompt")
    speaking = check.boolean(data, "speaking")
    if speaking and data.get("target_minutes") is None:
        check.add(check.line(data, "speaking"), "speaking is true, so target_minutes (the length "
                                                "of the talk) is needed")
    return DeliverableSection(
        check.text(data, "intro", markdown=True), tuple(_deliverable_prompt(check, p) for p in prompts),
        check.integer(data, "target_words", minimum=1), speaking,
        check.integer(data, "target_minutes", minimum=1))


def reflection(check: FileCheck, data: Data, _context: PackageContext) -> ReflectionSection:
    check.shape(data, ("intro", "prompts"))
    prompts = check.entries(data, "prompts")
    check.count(data, "prompts", 1)
    check.unique_ids(prompts, "prompt")
    for prompt in prompts:
        check.shape(prompt, ("id", "label"), ("help",))
    return ReflectionSection(check.text(data, "intro", markdown=True), tuple(
        ReflectionPrompt(check.text(p, "id"), check.text(p, "label"),
                         check.text(p, "help", markdown=True)) for p in prompts))


SectionCheck = Callable[[FileCheck, Data, PackageContext], SectionContent]
#: section type -> its check (every type in ``catalogue.SECTION_TYPES``)
SECTION_CHECKS: dict[str, SectionCheck] = {
    "confidence": confidence,
    "micro-learning": micro_learning,
    "knowledge-check": knowledge_check,
    "branching-case": branching_case,
    "simulation": simulation,
    "deliverable": deliverable,
    "reflection": reflection,
}
