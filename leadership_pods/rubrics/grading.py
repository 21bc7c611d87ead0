"""Scoring a stored assessment with rubric version data: shared by the rubric service
(rescoring after a change) and the assessment service (submit, draft, release).

Pure except that :func:`record_score` writes the totals onto the assessment row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import document
from .models import Assessment
from .scoring import Score, score


def score_with(data: Mapping[str, Any], metrics: Mapping[str, Any],
               choices: Mapping[str, str]) -> Score:
    """Score stored metrics and faculty choices with version data."""
    return score(document.spec(data), {k: v for k, v in metrics.items()
                                       if isinstance(v, int | float | Decimal)}, choices)


def record_score(assessment: Assessment, data: Mapping[str, Any]) -> Score:
    """Score the assessment with version data and keep the totals on it."""
    result = score_with(data, assessment.metrics, assessment.choices)
    assessment.total, assessment.maximum = result.total, result.maximum
    assessment.percent, assessment.passed = result.percent, result.passed
    return result


def valid_choices(data: Mapping[str, Any], choices: Mapping[str, Any],
                  drop: frozenset[str] = frozenset()) -> dict[str, str]:
    """The faculty choices that still name a faculty criterion of ``data`` and one of its
    levels, without the criteria in ``drop``."""
    kept: dict[str, str] = {}
    for criterion in document.faculty_criteria(data):
        cid = str(criterion["id"])
        level = choices.get(cid)
        if cid not in drop and level in {lv["id"] for lv in criterion["levels"]}:
            kept[cid] = str(level)
    return kept
