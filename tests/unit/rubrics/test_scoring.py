"""Scoring rules: bounds, monotonic in levels and metrics, exact scaling, rounding."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.rubrics.scoring import (
    Criterion,
    Level,
    RubricSpec,
    ScoringError,
    auto_level,
    score,
    spec_from_data,
)

D = Decimal


def criterion(cid: str, points: int, scoring: str = "faculty", metric: str | None = None,
              mins: list[int] | None = None) -> Criterion:
    step = points // 4
    levels = tuple(Level(f"{cid}-{i}", f"L{i}", D(step * i if i < 4 else points),
                         D(mins[i - 1]) if mins else None) for i in range(1, 5))
    return Criterion(cid, cid.title(), D(points), scoring, levels, metric)


RUBRIC = RubricSpec((criterion("data", 20, "auto", "margin_vs_target"), criterion("clarity", 40),
                     criterion("goals", 40)))


def test_worked_example():
    result = score(RUBRIC, {"margin_vs_target": 80}, {"clarity": "clarity-4", "goals": "goals-3"})
    assert [c.points for c in result.criteria] == [D(15), D(40), D(30)]
    assert result.total == 85 and result.percent == D("85.00") and result.passed
    assert result.scaled(100) == D("85.00") and result.scaled(10) == D("8.50")


def test_incomplete_until_every_faculty_criterion_is_chosen():
    result = score(RUBRIC, {"margin_vs_target": 100}, {"clarity": "clarity-4"})
    assert not result.complete and not result.passed
    assert result.criteria[2].level_id is None


def test_missing_metric_scores_the_lowest_level():
    result = score(RUBRIC, {}, {})
    assert result.criteria[0].level_id == "data-1" and result.criteria[0].metric is None


def test_explicit_thresholds_win_over_shares():
    crit = criterion("kc", 15, "auto", "knowledge_check_percent", mins=[0, 50, 65, 80])
    assert auto_level(crit, D(64)).id == "kc-2"
    assert auto_level(crit, D(65)).id == "kc-3"
    assert auto_level(crit, D(80)).id == "kc-4"


def test_unknown_level_is_an_error():
    with pytest.raises(ScoringError, match="no level"):
        score(RUBRIC, {}, {"clarity": "nope", "goals": "goals-1"})


levels = st.sampled_from(["1", "2", "3", "4"])


@given(st.floats(min_value=-50, max_value=200, allow_nan=False), levels, levels)
def test_scores_stay_within_bounds(metric, a, b):
    result = score(RUBRIC, {"margin_vs_target": metric}, {"clarity": f"clarity-{a}",
                                                           "goals": f"goals-{b}"})
    assert 0 <= result.total <= result.maximum
    assert D(0) <= result.percent <= D(100)


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_monotonic_in_the_metric(m1, m2):
    low, high = sorted([m1, m2])
    choices = {"clarity": "clarity-2", "goals": "goals-2"}
    assert score(RUBRIC, {"margin_vs_target": low}, choices).total <= \
        score(RUBRIC, {"margin_vs_target": high}, choices).total


@given(levels, levels)
def test_monotonic_in_levels(a, b):
    low, high = sorted([a, b])
    s1 = score(RUBRIC, {}, {"clarity": f"clarity-{low}", "goals": "goals-1"})
    s2 = score(RUBRIC, {}, {"clarity": f"clarity-{high}", "goals": "goals-1"})
    assert s1.total <= s2.total


@given(levels, levels, st.floats(min_value=0, max_value=100))
def test_scaling_is_exact_for_the_rubric_maximum(a, b, metric):
    result = score(RUBRIC, {"margin_vs_target": metric}, {"clarity": f"clarity-{a}",
                                                           "goals": f"goals-{b}"})
    assert result.scaled(result.maximum) == result.total


def test_every_built_in_rubric_scores_full_marks_at_the_top():
    for package in load_catalogue().packages.values():
        data = {"pass_mark": package.rubric.pass_mark, "criteria": [
            {"id": c.id, "title": c.title, "points": c.points, "scoring": c.scoring,
             "metric": c.metric,
             "levels": [{"id": lv.id, "label": lv.label, "points": lv.points} for lv in c.levels]}
            for c in package.rubric.criteria]}
        spec = spec_from_data(data)
        metrics = {c.metric: 100 for c in spec.criteria if c.metric}
        choices = {c.id: c.levels[-1].id for c in spec.criteria if c.scoring == "faculty"}
        result = score(spec, metrics, choices)
        assert result.percent == 100 and result.passed, package.metadata.slug
