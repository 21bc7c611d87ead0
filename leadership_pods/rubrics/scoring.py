"""Scoring a submission against a rubric version (pure: no Flask, no database).

The rules, in full:

- A criterion is worth ``points``; its levels go from lowest to highest, the top level
  worth the criterion's points.
- A *faculty* criterion scores the points of the level faculty chose; until one is
  chosen the score is incomplete.
- An *automatic* criterion reads its metric, a number from 0 to 100. It scores the
  highest level whose threshold the metric reaches: a level's threshold is its
  ``min`` when the rubric gives one, otherwise its share of the criterion's points
  (a level worth 15 of 20 points needs 75). Below every threshold it scores the lowest
  level. A missing metric scores the lowest level too, and says so.
- The total is the sum of the criteria; the percentage is total / maximum × 100,
  rounded half up to 2 decimals; the pod is passed when the percentage reaches the
  pass mark.
- The score sent to the LMS is total / maximum × the line item's ``scoreMaximum``,
  rounded half up to 2 decimals (exact when the two maxima are equal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class ScoringError(ValueError):
    """A rubric or a choice that cannot be scored."""


@dataclass(frozen=True)
class Level:
    id: str
    label: str
    points: Decimal
    #: the metric an automatic criterion needs for this level (0-100); None: its share
    min: Decimal | None = None


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    points: Decimal
    scoring: str  # "auto" or "faculty"
    levels: tuple[Level, ...]
    metric: str | None = None

    def threshold(self, level: Level) -> Decimal:
        if level.min is not None:
            return level.min
        return level.points / self.points * HUNDRED if self.points else HUNDRED


@dataclass(frozen=True)
class RubricSpec:
    criteria: tuple[Criterion, ...]
    pass_mark: Decimal = Decimal(85)

    @property
    def maximum(self) -> Decimal:
        return sum((c.points for c in self.criteria), Decimal(0))


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: str
    level_id: str | None
    points: Decimal
    automatic: bool
    #: the metric an automatic criterion was scored from (None when missing)
    metric: Decimal | None = None


@dataclass(frozen=True)
class Score:
    criteria: tuple[CriterionScore, ...]
    total: Decimal
    maximum: Decimal
    percent: Decimal
    passed: bool
    #: every faculty criterion has a level
    complete: bool

    def scaled(self, score_maximum: Decimal | int | float) -> Decimal:
        """The score on the LMS line item's scale."""
        scale = Decimal(str(score_maximum))
        if self.maximum <= 0 or scale <= 0:
            raise ScoringError("scores need a positive maximum")
        return (self.total / self.maximum * scale).quantize(CENT, ROUND_HALF_UP)


def auto_level(criterion: Criterion, metric: Decimal | None) -> Level:
    """The level an automatic criterion reaches with this metric (see the module rules)."""
    chosen = criterion.levels[0]
    if metric is None:
        return chosen
    for level in criterion.levels:
        if metric >= criterion.threshold(level):
            chosen = level
    return chosen


def score(rubric: RubricSpec, metrics: Mapping[str, float | Decimal],
          choices: Mapping[str, str]) -> Score:
    """Score with the metrics of the attempt and faculty's level choices (criterion -> level)."""
    if rubric.maximum <= 0:
        raise ScoringError("the rubric is worth no points")
    results: list[CriterionScore] = []
    complete = True
    for criterion in rubric.criteria:
        if criterion.scoring == "auto":
            raw = metrics.get(criterion.metric or "")
            metric = None if raw is None else Decimal(str(raw)).max(Decimal(0)).min(HUNDRED)
            level = auto_level(criterion, metric)
            results.append(CriterionScore(criterion.id, level.id, level.points, True, metric))
            continue
        level_id = choices.get(criterion.id)
        if level_id is None:
            complete = False
            results.append(CriterionScore(criterion.id, None, Decimal(0), False))
            continue
        chosen = next((lv for lv in criterion.levels if lv.id == level_id), None)
        if chosen is None:
            raise ScoringError(f"{criterion.title} has no level {level_id!r}")
        results.append(CriterionScore(criterion.id, chosen.id, chosen.points, False))
    total = sum((r.points for r in results), Decimal(0))
    percent = (total / rubric.maximum * HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return Score(criteria=tuple(results), total=total, maximum=rubric.maximum, percent=percent,
                 passed=complete and percent >= rubric.pass_mark, complete=complete)


def spec_from_data(data: Mapping[str, object]) -> RubricSpec:
    """A rubric version's stored data (as in rubric.yaml) as a RubricSpec."""
    criteria = []
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, Sequence):
        raise ScoringError("the rubric has no criteria")
    for raw in raw_criteria:
        if not isinstance(raw, Mapping):
            raise ScoringError("a criterion is not a mapping")
        levels = tuple(
            Level(id=str(lv["id"]), label=str(lv["label"]), points=Decimal(str(lv["points"])),
                  min=None if lv.get("min") is None else Decimal(str(lv["min"])))
            for lv in raw["levels"])
        criteria.append(Criterion(id=str(raw["id"]), title=str(raw["title"]),
                                  points=Decimal(str(raw["points"])),
                                  scoring=str(raw.get("scoring", "faculty")), levels=levels,
                                  metric=None if raw.get("metric") is None else str(raw["metric"])))
    pass_mark = data.get("pass_mark", 85)
    return RubricSpec(criteria=tuple(criteria), pass_mark=Decimal(str(pass_mark)))
