"""The rules a rubric version must meet, each problem as a sentence for the field it is about.

``validate(data, pod)`` returns ``{field path: message}``, empty when the rubric can be
saved. Paths name the editor's fields the way WTForms does for nested lists:
``title``, ``pass_mark``, ``criteria`` (the list as a whole), ``criteria-0-points``,
``criteria-0-levels``, ``criteria-0-levels-2-min`` … so the editor shows each message next
to its field. The first problem of a field wins.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ..pods.catalogue import AMA_COMPETENCIES, PodMetadata
from ..pods.validation import allowed_metrics
from ..pods.validation_model import PodPackage

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_ID = 60


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _simulation(pod: PodMetadata | PodPackage) -> str | None:
    return pod.metadata.simulation if isinstance(pod, PodPackage) else pod.simulation


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.found.setdefault(path, message)

    def check_id(self, path: str, value: Any, seen: set[str], what: str, owner: str) -> None:
        text = _text(value)
        if not text:
            self.add(path, f"Give the {what} a short id.")
        elif len(text) > MAX_ID or not ID.match(text):
            self.add(path, f"Use only a-z, 0-9 and '-' in the id, at most {MAX_ID} characters "
                           f"(found '{text[:MAX_ID]}').")
        elif text in seen:
            self.add(path, f"Another {what}{owner} already has the id '{text}'; each id must "
                           "be unique.")
        seen.add(text)

    def points(self, path: str, value: Any) -> int | None:
        points = _whole(value)
        if points is None:
            self.add(path, "Give the points as a whole number.")
        elif points < 0:
            self.add(path, "Points cannot be negative.")
            return None
        return points


def _levels(problems: _Problems, prefix: str, levels: Any, points: int | None,
            automatic: bool) -> None:
    if not isinstance(levels, Sequence) or isinstance(levels, str) or not levels:
        problems.add(f"{prefix}-levels", "Add at least one level.")
        return
    seen: set[str] = set()
    previous_points: int | None = None
    previous_min: Decimal | None = None
    last_points: int | None = None
    for j, level in enumerate(levels):
        path = f"{prefix}-levels-{j}"
        level = level if isinstance(level, Mapping) else {}
        problems.check_id(f"{path}-id", level.get("id"), seen, "level", " of this criterion")
        if not _text(level.get("label")):
            problems.add(f"{path}-label", "Give the level a label.")
        level_points = problems.points(f"{path}-points", level.get("points"))
        if level_points is not None and previous_points is not None \
                and level_points <= previous_points:
            problems.add(f"{path}-points", f"Must be worth more than the level before it "
                                           f"({previous_points} points); order levels from "
                                           "lowest to highest.")
        if level_points is not None:
            previous_points = level_points
        last_points = level_points
        previous_min = _threshold(problems, f"{path}-min", level.get("min"), previous_min,
                                  automatic)
    if points is not None and last_points is not None and last_points != points:
        problems.add(f"{prefix}-levels-{len(levels) - 1}-points",
                     f"The top level must be worth the criterion's {points} points (it is "
                     f"worth {last_points}).")


def _threshold(problems: _Problems, path: str, raw: Any, previous: Decimal | None,
               automatic: bool) -> Decimal | None:
    """Check a level's ``min``; return the threshold to compare the next level with."""
    if raw is None or raw == "":
        return previous
    value = _decimal(raw)
    if value is None:
        problems.add(path, "Give the metric needed as a number from 0 to 100, or leave it "
                           "empty.")
    elif not automatic:
        problems.add(path, "Only automatically scored criteria use a metric threshold; leave "
                           "it empty.")
    elif not 0 <= value <= 100:
        problems.add(path, "The metric needed is a percentage from 0 to 100.")
    elif previous is not None and value <= previous:
        problems.add(path, f"Must need a higher metric than the level before it ({previous}).")
    else:
        return value
    return previous


def _criterion(problems: _Problems, i: int, criterion: Mapping[str, Any], seen: set[str],
               metrics: frozenset[str]) -> int:
    prefix = f"criteria-{i}"
    problems.check_id(f"{prefix}-id", criterion.get("id"), seen, "criterion", "")
    if not _text(criterion.get("title")):
        problems.add(f"{prefix}-title", "Give the criterion a title.")
    points = problems.points(f"{prefix}-points", criterion.get("points"))
    scoring = criterion.get("scoring")
    metric = _text(criterion.get("metric"))
    listed = ", ".join(sorted(metrics))
    if scoring not in ("auto", "faculty"):
        problems.add(f"{prefix}-scoring", "Choose whether the criterion is scored "
                                          "automatically or by faculty.")
    elif scoring == "auto" and not metric:
        problems.add(f"{prefix}-metric", f"An automatic criterion needs a metric this pod "
                                         f"provides: {listed}.")
    elif scoring == "auto" and metric not in metrics:
        problems.add(f"{prefix}-metric", f"'{metric}' is not a metric this pod provides; "
                                         f"choose one of: {listed}.")
    competencies = criterion.get("competencies") or []
    for item in competencies if isinstance(competencies, list) else [competencies]:
        if item not in AMA_COMPETENCIES:
            problems.add(f"{prefix}-competencies", f"'{item}' is not an AMA competency.")
    _levels(problems, prefix, criterion.get("levels"), points, scoring == "auto")
    return points or 0


def validate(data: Mapping[str, Any], pod: PodMetadata | PodPackage) -> dict[str, str]:
    """Every problem of a rubric for ``pod``, by field path (empty: it can be saved)."""
    problems = _Problems()
    if not _text(data.get("title")):
        problems.add("title", "Give the rubric a title.")
    pass_mark = _decimal(data.get("pass_mark"))
    if pass_mark is None:
        problems.add("pass_mark", "Give the pass mark as a number.")
    elif not 0 <= pass_mark <= 100:
        problems.add("pass_mark", "The pass mark is a percentage from 0 to 100.")
    criteria = data.get("criteria")
    if not isinstance(criteria, Sequence) or isinstance(criteria, str) or not criteria:
        problems.add("criteria", "Add at least one criterion.")
        return problems.found
    metrics = allowed_metrics(_simulation(pod))
    seen: set[str] = set()
    total = sum(_criterion(problems, i, c if isinstance(c, Mapping) else {}, seen, metrics)
                for i, c in enumerate(criteria))
    if total <= 0:
        problems.add("criteria", "The criteria add up to 0 points; a rubric needs criteria "
                                 "worth more than 0.")
    return problems.found
