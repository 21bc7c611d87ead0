"""The pod catalogue: metadata of every pod package (``pod.yaml``), read without Flask.

The format is in ``FORMAT.md`` beside this file. This module reads and checks the
metadata the catalogue and deep linking need; section contents are read on demand.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import PodNotFound, PodPackageError

log = logging.getLogger(__name__)

BUILT_IN = Path(__file__).parent / "content"
AMA_COMPETENCIES = ("communication", "professionalism", "systems-based practice",
                    "practice improvement", "leadership", "scholarship")
READINESS_DIMENSIONS = ("strategic insight", "financial acumen", "team leadership",
                        "governance experience", "mentorship engagement")
STAGES = ("resident", "fellow", "early-career-attending")
SECTION_TYPES = ("confidence", "micro-learning", "knowledge-check", "branching-case",
                 "simulation", "deliverable", "reflection")
SLUG = re.compile(r"^[a-z0-9-]{3,60}$")
SECTION_ID = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class SectionRef:
    id: str
    type: str
    title: str
    minutes: int
    file: str


@dataclass(frozen=True)
class PodMetadata:
    slug: str
    title: str
    subtitle: str
    summary: str
    stage: str
    planned_minutes: int
    competencies: tuple[str, ...]
    readiness_dimensions: tuple[str, ...]
    objectives: tuple[str, ...]
    sections: tuple[SectionRef, ...]
    path: Path
    simulation: str | None = None

    @property
    def stage_label(self) -> str:
        return self.stage.replace("-", " ").capitalize()


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value
             if isinstance(k, yaml.ScalarNode)}
    result: dict[str, Any] = {str(k): v for k, v in mapping.items()}
    result["__lines__"] = lines
    result["__line__"] = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """YAML with key line numbers (``__lines__``); syntax errors become PodPackageError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PodPackageError([f"{path}: file is missing"]) from exc
    except UnicodeDecodeError as exc:
        raise PodPackageError([f"{path}: not UTF-8 text"]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise PodPackageError([f"{path}:{line}: YAML syntax error: {problem}"]) from exc


def _line(data: dict[str, Any], key: str) -> int:
    lines = data.get("__lines__", {})
    return int(lines.get(key, data.get("__line__", 1)))


def read_metadata(folder: Path) -> PodMetadata:
    """Read and check one package's ``pod.yaml``; every problem is reported with its line."""
    path = folder / "pod.yaml"
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise PodPackageError([f"{path}:1: pod.yaml must be a mapping of keys to values"])
    problems: list[str] = []

    def need(key: str, kind: type, rule: str | None = None) -> Any:
        value = data.get(key)
        if value is None:
            problems.append(f"{path}:{data.get('__line__', 1)}: missing key '{key}'")
        elif not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            problems.append(f"{path}:{_line(data, key)}: '{key}' must be {rule or kind.__name__}")
            return None
        return value

    slug = need("slug", str, "text")
    if slug is not None and slug != folder.name:
        problems.append(f"{path}:{_line(data, 'slug')}: slug '{slug}' differs from the folder "
                        f"name '{folder.name}'")
    elif slug is not None and not SLUG.match(slug):
        problems.append(f"{path}:{_line(data, 'slug')}: slug must be 3-60 of a-z, 0-9 and '-'")
    title = need("title", str, "text")
    summary = need("summary", str, "text")
    stage = need("stage", str, "text")
    if stage is not None and stage not in STAGES:
        problems.append(f"{path}:{_line(data, 'stage')}: stage must be one of {', '.join(STAGES)}")
    minutes = need("planned_minutes", int, "a whole number of minutes")
    competencies = need("competencies", list, "a list") or []
    for item in competencies:
        if item not in AMA_COMPETENCIES:
            problems.append(f"{path}:{_line(data, 'competencies')}: '{item}' is not one of the "
                            f"AMA competencies ({', '.join(AMA_COMPETENCIES)})")
    dimensions = need("readiness_dimensions", list, "a list") or []
    for item in dimensions:
        if item not in READINESS_DIMENSIONS:
            problems.append(f"{path}:{_line(data, 'readiness_dimensions')}: '{item}' is not a "
                            f"readiness dimension ({', '.join(READINESS_DIMENSIONS)})")
    objectives = need("objectives", list, "a list") or []
    sections: list[SectionRef] = []
    seen: set[str] = set()
    for raw in need("sections", list, "a list") or []:
        if not isinstance(raw, dict):
            problems.append(f"{path}:{_line(data, 'sections')}: each section must be a mapping")
            continue
        where = f"{path}:{raw.get('__line__', 1)}"
        missing = [k for k in ("id", "type", "title", "minutes", "file") if raw.get(k) is None]
        if missing:
            problems.append(f"{where}: section is missing {', '.join(missing)}")
            continue
        sid = str(raw["id"])
        if not SECTION_ID.match(sid) or sid in seen:
            problems.append(f"{path}:{_line(raw, 'id')}: section id '{sid}' must be unique and "
                            "made of a-z, 0-9 and '-'")
        seen.add(sid)
        if raw["type"] not in SECTION_TYPES:
            problems.append(f"{path}:{_line(raw, 'type')}: section type '{raw['type']}' is not one "
                            f"of {', '.join(SECTION_TYPES)}")
        if not isinstance(raw["minutes"], int) or raw["minutes"] <= 0:
            problems.append(f"{path}:{_line(raw, 'minutes')}: minutes must be a positive number")
            continue
        section_file = folder / str(raw["file"])
        if not section_file.resolve().is_relative_to(folder.resolve()) or not section_file.is_file():
            problems.append(f"{path}:{_line(raw, 'file')}: section file '{raw['file']}' does not "
                            "exist in the package")
        sections.append(SectionRef(id=sid, type=str(raw["type"]), title=str(raw["title"]),
                                   minutes=int(raw["minutes"]), file=str(raw["file"])))
    if minutes is not None and sections and sum(s.minutes for s in sections) != minutes:
        problems.append(f"{path}:{_line(data, 'planned_minutes')}: planned_minutes is {minutes} but "
                        f"the sections add up to {sum(s.minutes for s in sections)}")
    if problems:
        raise PodPackageError(problems)
    return PodMetadata(
        slug=slug, title=title, subtitle=str(data.get("subtitle") or ""), summary=summary,
        stage=stage, planned_minutes=minutes, competencies=tuple(competencies),
        readiness_dimensions=tuple(dimensions), objectives=tuple(str(o) for o in objectives),
        sections=tuple(sections), path=folder, simulation=data.get("simulation"),
    )


@dataclass(frozen=True)
class Catalogue:
    pods: tuple[PodMetadata, ...]
    #: packages refused for breaking the format, with their problems (file:line: message)
    refused: tuple[tuple[Path, tuple[str, ...]], ...] = ()

    def get(self, slug: str) -> PodMetadata:
        for pod in self.pods:
            if pod.slug == slug:
                return pod
        raise PodNotFound(f"there is no pod called {slug!r} in this tool's catalogue")


def package_folders(extra: Path | None) -> list[Path]:
    roots = [BUILT_IN] + ([extra] if extra else [])
    folders: list[Path] = []
    for root in roots:
        if root.is_dir():
            folders += sorted(p for p in root.iterdir() if (p / "pod.yaml").is_file())
    return folders


def _stamp(folder: Path) -> float:
    """The newest change to any file or folder of a package (a removal changes its folder)."""
    stamps = [folder.stat().st_mtime]
    for path in folder.rglob("*"):
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:  # a broken link: the validator reports it
            continue
    return max(stamps)


@lru_cache(maxsize=8)
def _load(extra: Path | None, stamp: tuple[tuple[str, float], ...]) -> Catalogue:
    from .validation import load_package  # validation builds on this module

    pods: dict[str, PodMetadata] = {}
    refused: list[tuple[Path, tuple[str, ...]]] = []
    for folder in package_folders(extra):
        try:
            pod = load_package(folder).metadata
        except PodPackageError as exc:
            refused.append((folder, tuple(exc.problems)))
            for problem in exc.problems:
                log.error("pod package refused: %s", problem)
            continue
        if pod.slug in pods:
            problem = (f"{folder / 'pod.yaml'}:1: slug '{pod.slug}' is already used by "
                       f"{pods[pod.slug].path}")
            log.error("pod package refused: %s", problem)
            refused.append((folder, (problem,)))
            continue
        pods[pod.slug] = pod
    return Catalogue(pods=tuple(sorted(pods.values(), key=lambda p: p.title)),
                     refused=tuple(refused))


def load_catalogue(extra: Path | None = None) -> Catalogue:
    """Every valid pod package, built-in and the institution's; reloaded when a file changes.

    Packages are checked in full (``validation.load_package``); one with problems is logged
    and listed in ``refused``.
    """
    stamp = tuple((str(f), _stamp(f)) for f in package_folders(extra))
    return _load(extra, stamp)
