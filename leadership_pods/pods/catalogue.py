"""The pod catalogue: metadata of every pod package (``pod.yaml``), read without Flask.

The format is in ``FORMAT.md`` beside this file. This module reads and checks the
metadata the catalogue and deep linking need; section contents are read on demand.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PodNotFound, PodPackageError

if TYPE_CHECKING:
    from .validation_model import PodPackage

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


@dataclass(frozen=True)
class Catalogue:
    pods: tuple[PodMetadata, ...]
    #: packages refused for breaking the format, with their problems (file:line: message)
    refused: tuple[tuple[Path, tuple[str, ...]], ...] = ()
    #: every loaded package by slug (sections and rubric included)
    packages: Mapping[str, PodPackage] = field(default_factory=dict)

    def get(self, slug: str) -> PodMetadata:
        return self.package(slug).metadata

    def package(self, slug: str) -> PodPackage:
        package = self.packages.get(slug)
        if package is None:
            raise PodNotFound(f"there is no pod called {slug!r} in this tool's catalogue")
        return package


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

    packages: dict[str, PodPackage] = {}
    refused: list[tuple[Path, tuple[str, ...]]] = []
    for folder in package_folders(extra):
        try:
            package = load_package(folder)
        except PodPackageError as exc:
            refused.append((folder, tuple(exc.problems)))
            for problem in exc.problems:
                log.error("pod package refused: %s", problem)
            continue
        slug = package.metadata.slug
        if slug in packages:
            problem = (f"{folder / 'pod.yaml'}:1: slug '{slug}' is already used by "
                       f"{packages[slug].path}")
            log.error("pod package refused: %s", problem)
            refused.append((folder, (problem,)))
            continue
        packages[slug] = package
    pods = sorted((p.metadata for p in packages.values()), key=lambda p: p.title)
    return Catalogue(pods=tuple(pods), refused=tuple(refused), packages=packages)


#: how often the package files are looked at for changes (seconds)
RECHECK_SECONDS = 2.0
_checked: dict[Path | None, tuple[float, Catalogue]] = {}


def load_catalogue(extra: Path | None = None) -> Catalogue:
    """Every valid pod package, built-in and the institution's; reloaded when a file changes
    (files are looked at no more than every ``RECHECK_SECONDS``).

    Packages are checked in full (``validation.load_package``); one with problems is logged
    and listed in ``refused``.
    """
    now = time.monotonic()
    hit = _checked.get(extra)
    if hit is not None and now - hit[0] < RECHECK_SECONDS:
        return hit[1]
    stamp = tuple((str(f), _stamp(f)) for f in package_folders(extra))
    catalogue = _load(extra, stamp)
    _checked[extra] = (now, catalogue)
    return catalogue
