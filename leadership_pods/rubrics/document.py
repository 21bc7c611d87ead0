"""A rubric version's data: the shape of a pod package's ``rubric.yaml``, as JSON.

::

    {"title": str, "pass_mark": number (percent, default 85),
     "criteria": [{"id": str, "title": str, "description": str, "points": int,
                   "competencies": [str, …], "scoring": "auto" | "faculty",
                   "metric": str | None,          # auto criteria: the metric scored
                   "levels": [{"id": str, "label": str, "descriptor": str, "points": int,
                               "min": number | None}, …]}, …]}

Levels go from lowest to highest, the top one worth the criterion's points. A level's
``min`` is the metric (0-100) an automatic criterion needs to reach it; without one the
level's share of the points is the threshold (``rubrics/scoring.py``).

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..pods.validation_model import Rubric, RubricCriterion, RubricLevel
from .scoring import RubricSpec, spec_from_data

DEFAULT_PASS_MARK = 85

RubricData = dict[str, Any]


def number(value: Decimal | float | int) -> int | float:
    """A number as JSON keeps it: whole numbers as int."""
    decimal = Decimal(str(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def from_package(rubric: Rubric) -> RubricData:
    """A pod package's rubric as version data (the course's version 1)."""
    return {
        "title": rubric.title,
        "pass_mark": number(rubric.pass_mark),
        "criteria": [{
            "id": c.id, "title": c.title, "description": c.description.strip(),
            "points": c.points, "competencies": list(c.competencies), "scoring": c.scoring,
            "metric": c.metric if c.scoring == "auto" else None,
            "levels": [{"id": lv.id, "label": lv.label, "descriptor": lv.descriptor.strip(),
                        "points": lv.points, "min": None} for lv in c.levels],
        } for c in rubric.criteria],
    }


def to_rubric(data: Mapping[str, Any]) -> Rubric:
    """Version data as the package's rubric type, for pages that show a rubric
    (``pods/rubric.html``). Assumes data that passed ``validation.validate``."""
    return Rubric(
        title=str(data.get("title") or ""),
        pass_mark=float(data.get("pass_mark", DEFAULT_PASS_MARK)),
        criteria=tuple(RubricCriterion(
            id=str(c["id"]), title=str(c["title"]), description=str(c.get("description") or ""),
            points=int(c["points"]), competencies=tuple(c.get("competencies") or ()),
            scoring=str(c.get("scoring") or "faculty"), metric=c.get("metric"),
            levels=tuple(RubricLevel(id=str(lv["id"]), label=str(lv["label"]),
                                     descriptor=str(lv.get("descriptor") or ""),
                                     points=int(lv["points"]))
                         for lv in c.get("levels") or ()))
            for c in data.get("criteria") or ()))


def spec(data: Mapping[str, Any]) -> RubricSpec:
    """The version's data as the scoring core reads it."""
    return spec_from_data(data)


def criteria_by_id(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(c.get("id")): c for c in data.get("criteria") or ()}


def faculty_criteria(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in data.get("criteria") or () if c.get("scoring") != "auto"]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean(data: Mapping[str, Any]) -> RubricData:
    """Valid data (``validation.validate`` found no problem) as it is stored: text
    stripped, numbers as JSON numbers, a metric only on automatic criteria."""
    return {
        "title": _text(data.get("title")),
        "pass_mark": number(data.get("pass_mark", DEFAULT_PASS_MARK)),
        "criteria": [{
            "id": _text(c.get("id")), "title": _text(c.get("title")),
            "description": _text(c.get("description")), "points": int(c["points"]),
            "competencies": [str(x) for x in c.get("competencies") or []],
            "scoring": c["scoring"],
            "metric": _text(c.get("metric")) if c["scoring"] == "auto" else None,
            "levels": [{"id": _text(lv.get("id")), "label": _text(lv.get("label")),
                        "descriptor": _text(lv.get("descriptor")), "points": int(lv["points"]),
                        "min": (None if lv.get("min") is None or lv.get("min") == ""
                                else number(lv["min"]))}
                       for lv in c["levels"]],
        } for c in data["criteria"]],
    }
