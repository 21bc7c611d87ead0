"""The pod package validator: every rule of ``FORMAT.md``, every problem as ``file:line: message``.

``validate_package(folder)`` lists the problems (none for a valid package);
``load_package(folder)`` returns the parsed ``PodPackage`` or raises ``PodPackageError``
with the same list. The catalogue loads packages through ``load_package``, so the app
refuses exactly what ``leadership-pods pods validate`` reports. Pure: no Flask, no database.

Auto-scored rubric criteria name a *metric*: a number the pod player provides for every
pod (``PLAYER_METRICS``) or one its simulation provides (``SIMULATION_METRICS``, keyed by
the ``simulation`` named in pod.yaml). A new simulation adds its metrics there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .catalogue import (
    AMA_COMPETENCIES,
    READINESS_DIMENSIONS,
    SECTION_ID,
    SECTION_TYPES,
    SLUG,
    STAGES,
    PodMetadata,
    SectionRef,
)
from .errors import PodPackageError
from .validation_model import (
    ConfidenceSection,
    PodPackage,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Section,
)
from .validation_sections import SECTION_CHECKS, PackageContext
from .validation_support import (
    Data,
    FileCheck,
    Problem,
    describe,
    one_of,
    package_file,
    read_package_yaml,
)

PLAYER_METRICS = frozenset({"knowledge_check_percent", "case_outcome", "case_tags_covered"})
SIMULATION_METRICS: dict[str, frozenset[str]] = {
    "budget": frozenset({"margin_vs_target", "quality_floors_kept", "justification_coverage",
                         "negotiation_outcome", "numbers_cited"}),
}
TITLE_LENGTH = 80
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def allowed_metrics(simulation: str | None) -> frozenset[str]:
    """The metrics an auto-scored criterion may use in a pod with this simulation."""
    return PLAYER_METRICS | SIMULATION_METRICS.get(simulation or "", frozenset())


@dataclass(frozen=True)
class _SectionEntry:
    ref: SectionRef
    line: int  # of the entry in pod.yaml
    path: Path | None  # the section file, when it exists in the package


def _sections(check: FileCheck, data: Data, folder: Path) -> list[_SectionEntry]:
    entries: list[_SectionEntry] = []
    raw_sections = check.entries(data, "sections")
    check.count(data, "sections", 1)
    check.unique_ids(raw_sections, "section")
    for raw in raw_sections:
        check.shape(raw, ("id", "type", "title", "minutes", "file"))
        sid, kind = check.text(raw, "id"), check.text(raw, "type")
        if sid and not SECTION_ID.match(sid):
            check.add(check.line(raw, "id"), f"section id '{sid}' must be made of a-z, 0-9 and '-'")
        if kind and kind not in SECTION_TYPES:
            check.add(check.line(raw, "type"), f"section type '{kind}' is not known"
                                               f"{one_of(kind, SECTION_TYPES)}")
        minutes = check.integer(raw, "minutes", minimum=1)
        path = (package_file(folder, raw["file"], check, check.line(raw, "file"), "section file")
                if raw.get("file") is not None else None)
        ref = SectionRef(id=sid, type=kind, title=check.text(raw, "title"), minutes=minutes or 0,
                         file=str(raw.get("file") or ""))
        entries.append(_SectionEntry(ref, check.line(raw), path))
    return entries


def _metadata(check: FileCheck, data: Data, folder: Path) -> tuple[PodMetadata, list[_SectionEntry]]:
    check.shape(data, ("slug", "title", "summary", "stage", "planned_minutes", "competencies",
                       "readiness_dimensions", "objectives", "sections"), ("subtitle", "simulation"))
    slug, title, subtitle = check.text(data, "slug"), check.text(data, "title"), check.text(data, "subtitle")
    summary, stage, simulation = (check.text(data, "summary"), check.text(data, "stage"),
                                  check.text(data, "simulation"))
    if slug and slug != folder.name:
        check.add(check.line(data, "slug"), f"slug '{slug}' differs from the folder name '{folder.name}'")
    elif slug and not SLUG.match(slug):
        check.add(check.line(data, "slug"), "slug must be 3-60 of a-z, 0-9 and '-'")
    if len(title) > TITLE_LENGTH:
        check.add(check.line(data, "title"), f"title is {len(title)} characters; the most is {TITLE_LENGTH}")
    if "\n" in subtitle.strip():
        check.add(check.line(data, "subtitle"), "subtitle must be one line")
    sentences = len(_SENTENCE_END.findall(summary.strip())) or 1
    if summary and sentences > 3:
        check.add(check.line(data, "summary"), f"summary has {sentences} sentences; the catalogue "
                                               "shows 1 to 3")
    if stage and stage not in STAGES:
        check.add(check.line(data, "stage"), f"stage must be one of {', '.join(STAGES)}, not '{stage}'")
    if simulation and simulation not in SIMULATION_METRICS:
        check.add(check.line(data, "simulation"), f"simulation '{simulation}' is not one this tool "
                                                  f"provides ({', '.join(SIMULATION_METRICS)})")
    lists: dict[str, list[tuple[int, str]]] = {}
    for key, allowed, what in (("competencies", AMA_COMPETENCIES, "an AMA competency"),
                               ("readiness_dimensions", READINESS_DIMENSIONS, "a readiness dimension")):
        lists[key] = check.strings(data, key)
        check.count(data, key, 1)
        for line, item in lists[key]:
            if item not in allowed:
                check.add(line, f"'{item}' is not {what}{one_of(item, allowed)}")
    objectives = check.strings(data, "objectives")
    check.count(data, "objectives", 3, 6)
    planned = check.integer(data, "planned_minutes", minimum=1)
    sections = _sections(check, data, folder)
    total = sum(s.ref.minutes for s in sections)
    if planned and sections and all(s.ref.minutes for s in sections) and total != planned:
        check.add(check.line(data, "planned_minutes"), f"planned_minutes is {planned} but the "
                                                       f"sections add up to {total}")
    metadata = PodMetadata(
        slug=slug, title=title, subtitle=subtitle, summary=summary, stage=stage,
        planned_minutes=planned or 0, competencies=tuple(c for _, c in lists["competencies"]),
        readiness_dimensions=tuple(d for _, d in lists["readiness_dimensions"]),
        objectives=tuple(o for _, o in objectives), sections=tuple(s.ref for s in sections),
        path=folder, simulation=simulation or None)
    return metadata, sections


def _levels(check: FileCheck, data: Data, points: int | None) -> tuple[RubricLevel, ...]:
    raw_levels = check.entries(data, "levels")
    check.count(data, "levels", 1)
    check.unique_ids(raw_levels, "level")
    levels: list[tuple[RubricLevel, Data]] = []
    for raw in raw_levels:
        check.shape(raw, ("id", "label", "descriptor", "points"))
        level = RubricLevel(check.text(raw, "id"), check.text(raw, "label"),
                            check.text(raw, "descriptor", markdown=True),
                            check.integer(raw, "points", minimum=0) or 0)
        previous = levels[-1][0] if levels else None
        if "points" in raw and previous and level.points <= previous.points:
            check.add(check.line(raw, "points"), f"level '{level.id}' ({level.points} points) must be "
                                                 f"worth more than the level before it ('{previous.id}', "
                                                 f"{previous.points}); order levels lowest first")
        levels.append((level, raw))
    if points and levels and levels[-1][0].points != points:
        top, raw = levels[-1]
        check.add(check.line(raw, "points"), f"the top level '{top.id}' is worth {top.points} points "
                                             f"but the criterion is worth {points}")
    return tuple(level for level, _ in levels)


def _criterion(check: FileCheck, data: Data, allowed: frozenset[str]) -> RubricCriterion:
    check.shape(data, ("id", "title", "description", "points", "scoring", "levels"),
                ("competencies", "metric"))
    points = check.integer(data, "points", minimum=1)
    scoring, metric = check.text(data, "scoring"), check.text(data, "metric")
    for line, item in check.strings(data, "competencies"):
        if item not in AMA_COMPETENCIES:
            check.add(line, f"'{item}' is not an AMA competency{one_of(item, AMA_COMPETENCIES)}")
    if scoring and scoring not in ("auto", "faculty"):
        check.add(check.line(data, "scoring"), f"scoring must be auto or faculty, not '{scoring}'")
    elif scoring == "auto" and "metric" not in data:
        check.add(check.line(data, "scoring"), f"scoring: auto needs a metric (one of: "
                                               f"{', '.join(sorted(allowed))})")
    elif scoring == "faculty" and metric:
        check.add(check.line(data, "metric"), "metric is only used with scoring: auto")
    if scoring == "auto" and metric and metric not in allowed:
        needs = [name for name, metrics in SIMULATION_METRICS.items() if metric in metrics]
        check.add(check.line(data, "metric"),
                  f"metric '{metric}' needs 'simulation: {needs[0]}' in pod.yaml" if needs else
                  f"metric '{metric}' is not one this pod provides{one_of(metric, sorted(allowed))}")
    return RubricCriterion(
        id=check.text(data, "id"), title=check.text(data, "title"),
        description=check.text(data, "description", markdown=True), points=points or 0,
        competencies=tuple(c for _, c in check.strings(data, "competencies")), scoring=scoring,
        metric=metric or None, levels=_levels(check, data, points))


def _rubric(check: FileCheck, data: Data, allowed: frozenset[str]) -> Rubric:
    check.shape(data, ("title", "criteria"), ("pass_mark",))
    pass_mark = data.get("pass_mark", 85)
    if not isinstance(pass_mark, int | float) or isinstance(pass_mark, bool):
        check.wrong_type(data, "pass_mark", "a percent from 0 to 100")
        pass_mark = 85
    elif not 0 <= pass_mark <= 100:
        check.add(check.line(data, "pass_mark"), f"pass_mark must be a percent from 0 to 100, not "
                                                 f"{pass_mark}")
    raw_criteria = check.entries(data, "criteria")
    check.unique_ids(raw_criteria, "criterion")
    rubric = Rubric(check.text(data, "title"), float(pass_mark),
                    tuple(_criterion(check, c, allowed) for c in raw_criteria))
    if "criteria" in data and rubric.total_points <= 0:
        check.add(check.line(data, "criteria"), "the criteria add up to 0 points; a rubric needs "
                                                "criteria worth more than 0")
    return rubric


def _mapping_file(path: Path, problems: list[Problem]) -> tuple[FileCheck, Data | None]:
    check, before = FileCheck(path, problems), len(problems)
    data = read_package_yaml(path, check)
    if data is None and len(problems) == before:
        check.add(1, "file is empty")
    elif data is not None and not isinstance(data, dict):
        check.add(1, f"the file must hold a mapping of keys to values, not {describe(data)}")
        data = None
    return check, data


def _pod_order(check: FileCheck, entries: list[_SectionEntry],
               parsed: dict[str, tuple[Section, FileCheck, Data]]) -> None:
    """A pod opens with confidence (before) and closes with confidence (after), same items."""
    if not entries:
        return
    for entry, when, which in ((entries[0], "before", "open"), (entries[-1], "after", "end")):
        content = parsed[entry.ref.id][0].content if entry.ref.id in parsed else None
        if entry.ref.type and entry.ref.type != "confidence":
            check.add(entry.line, f"a pod must {which} with a confidence section (when: {when}); "
                                  f"section '{entry.ref.id}' is {entry.ref.type}")
        elif isinstance(content, ConfidenceSection) and content.when in {"before", "after"} - {when}:
            check.add(entry.line, f"a pod must {which} with a confidence section (when: {when}); "
                                  f"section '{entry.ref.id}' has when: {content.when}")
    first, last = (parsed.get(e.ref.id) for e in (entries[0], entries[-1]))
    if first is None or last is None or first is last:
        return
    before, (after, after_check, after_data) = first[0].content, last
    if not isinstance(before, ConfidenceSection) or not isinstance(after.content, ConfidenceSection):
        return
    ids_before, ids_after = [i.id for i in before.items], [i.id for i in after.content.items]
    differences = []
    if missing := [i for i in ids_before if i not in ids_after]:
        differences.append(f"missing {', '.join(missing)}")
    if extra := [i for i in ids_after if i not in ids_before]:
        differences.append(f"extra {', '.join(extra)}")
    if differences:
        after_check.add(FileCheck.line(after_data, "items"), "the closing confidence items must be "
                        f"the opening ones ({entries[0].ref.file}): {'; '.join(differences)}")


def _check(folder: Path) -> tuple[PodPackage | None, list[str]]:
    problems: list[Problem] = []
    check, data = _mapping_file(folder / "pod.yaml", problems)
    metadata, entries = _metadata(check, data, folder) if data is not None else (None, [])
    simulation = metadata.simulation if metadata else None
    context = PackageContext(folder, simulation)
    parsed: dict[str, tuple[Section, FileCheck, Data]] = {}
    for entry in entries:
        section_check = SECTION_CHECKS.get(entry.ref.type)
        if entry.path is None or section_check is None:
            continue
        file_check, section_data = _mapping_file(entry.path, problems)
        if section_data is not None:
            content = section_check(file_check, section_data, context)
            parsed[entry.ref.id] = (Section(entry.ref, content), file_check, section_data)
    _pod_order(check, entries, parsed)
    if simulation and data and entries and not any(e.ref.type == "simulation" for e in entries):
        check.add(check.line(data, "simulation"), f"simulation '{simulation}' is named but no "
                                                  "section has type simulation")
    rubric_check, rubric_data = _mapping_file(folder / "rubric.yaml", problems)
    # without a readable pod.yaml the simulation is unknown: accept any metric
    allowed = allowed_metrics(simulation) if metadata else PLAYER_METRICS.union(*SIMULATION_METRICS.values())
    rubric = _rubric(rubric_check, rubric_data, allowed) if rubric_data is not None else None
    ordered = sorted(dict.fromkeys(problems), key=lambda p: (p[0], p[1]))
    if ordered or metadata is None or rubric is None:
        return None, [f"{file}:{line}: {message}" for file, line, message in ordered]
    return PodPackage(metadata, tuple(parsed[e.ref.id][0] for e in entries), rubric), []


def validate_package(folder: Path) -> list[str]:
    """Every problem of the package in ``folder`` as ``file:line: message``, by file then line."""
    return _check(folder)[1]


def load_package(folder: Path) -> PodPackage:
    """The package in ``folder``, parsed; ``PodPackageError`` lists its problems."""
    package, problems = _check(folder)
    if package is None:
        raise PodPackageError(problems)
    return package
