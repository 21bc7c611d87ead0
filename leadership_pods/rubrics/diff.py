"""The difference between two versions of a rubric, in words faculty read before saving.

``diff(old, new)`` compares version data (``rubrics/document.py``) criterion by criterion
and level by level, matching them by id. A criterion *needs regrading* when something a
grader reads or a score depends on changed: its description, points, scoring, metric or
any of its levels (a new title or competency tags alone do not).

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_SCORING = {"auto": "automatically", "faculty": "by faculty"}


@dataclass(frozen=True)
class CriterionDiff:
    id: str
    title: str
    #: "added", "removed" or "changed"
    status: str
    changes: tuple[str, ...] = ()
    #: a grader's earlier choice for it no longer holds (see the module docstring)
    needs_regrading: bool = True


@dataclass(frozen=True)
class RubricDiff:
    #: changes to the rubric as a whole: title, pass mark, order of criteria
    rubric: tuple[str, ...] = ()
    criteria: tuple[CriterionDiff, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.rubric and not self.criteria

    @property
    def regrade(self) -> frozenset[str]:
        """Ids of the criteria whose faculty choices no longer hold (changed or new)."""
        return frozenset(c.id for c in self.criteria
                         if c.status != REMOVED and c.needs_regrading)

    def sentences(self) -> list[str]:
        """Every change as one sentence (for the audit log)."""
        lines = list(self.rubric)
        for c in self.criteria:
            if c.status == CHANGED:
                lines.append(f"Changed '{c.title}': {'; '.join(c.changes)}.")
            else:
                lines.append(f"{c.status.capitalize()} criterion '{c.title}'"
                             f"{' (' + '; '.join(c.changes) + ')' if c.changes else ''}.")
        return lines


def _points(value: Any) -> str:
    return f"{value} point{'' if value == 1 else 's'}"


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = data.get(key) or []
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, Sequence) else []


def _order_changed(old: Sequence[str], new: Sequence[str]) -> bool:
    common = set(old) & set(new)
    return [i for i in old if i in common] != [i for i in new if i in common]


def _level_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before = {str(lv.get("id")): lv for lv in _items(old, "levels")}
    after = {str(lv.get("id")): lv for lv in _items(new, "levels")}
    changes: list[str] = []
    for lid, level in after.items():
        label = level.get("label") or lid
        if lid not in before:
            changes.append(f"added level '{label}' ({_points(level.get('points'))})")
            continue
        was = before[lid]
        if was.get("label") != level.get("label"):
            changes.append(f"level '{was.get('label')}' renamed '{label}'")
        if was.get("points") != level.get("points"):
            changes.append(f"level '{label}' from {_points(was.get('points'))} to "
                           f"{_points(level.get('points'))}")
        if (was.get("descriptor") or "").strip() != (level.get("descriptor") or "").strip():
            changes.append(f"level '{label}' descriptor reworded")
        if was.get("min") != level.get("min"):
            changes.append(f"level '{label}' metric needed from {was.get('min') or 'its share'} "
                           f"to {level.get('min') or 'its share'}")
    for lid, level in before.items():
        if lid not in after:
            changes.append(f"removed level '{level.get('label') or lid}' "
                           f"({_points(level.get('points'))})")
    if _order_changed(list(before), list(after)):
        changes.append("levels reordered")
    return changes


def _criterion_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The changes to one criterion, and whether they need regrading."""
    graded: list[str] = []
    if (old.get("description") or "").strip() != (new.get("description") or "").strip():
        graded.append("description reworded")
    if old.get("points") != new.get("points"):
        graded.append(f"from {_points(old.get('points'))} to {_points(new.get('points'))}")
    if old.get("scoring") != new.get("scoring"):
        graded.append(f"now scored {_SCORING.get(str(new.get('scoring')), new.get('scoring'))}")
    elif old.get("metric") != new.get("metric"):
        graded.append(f"metric from {old.get('metric')} to {new.get('metric')}")
    graded += _level_changes(old, new)
    other: list[str] = []
    if old.get("title") != new.get("title"):
        other.append(f"renamed from '{old.get('title')}'")
    if sorted(old.get("competencies") or []) != sorted(new.get("competencies") or []):
        other.append(f"competencies now {', '.join(new.get('competencies') or []) or 'none'}")
    return other + graded, bool(graded)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> RubricDiff:
    """What changes from version data ``old`` to ``new``."""
    rubric: list[str] = []
    if old.get("title") != new.get("title"):
        rubric.append(f"Title changed from '{old.get('title')}' to '{new.get('title')}'.")
    if old.get("pass_mark") != new.get("pass_mark"):
        rubric.append(f"Pass mark changed from {old.get('pass_mark')}% to "
                      f"{new.get('pass_mark')}%.")
    before = {str(c.get("id")): c for c in _items(old, "criteria")}
    after = {str(c.get("id")): c for c in _items(new, "criteria")}
    criteria: list[CriterionDiff] = []
    for cid, criterion in after.items():
        title = str(criterion.get("title") or cid)
        if cid not in before:
            scoring = _SCORING.get(str(criterion.get("scoring")), "")
            criteria.append(CriterionDiff(cid, title, ADDED, (
                f"{_points(criterion.get('points'))}, scored {scoring}",)))
            continue
        changes, regrade = _criterion_changes(before[cid], criterion)
        if changes:
            criteria.append(CriterionDiff(cid, title, CHANGED, tuple(changes), regrade))
    for cid, criterion in before.items():
        if cid not in after:
            criteria.append(CriterionDiff(cid, str(criterion.get("title") or cid), REMOVED,
                                          (_points(criterion.get("points")),)))
    if _order_changed(list(before), list(after)):
        rubric.append("Criteria reordered.")
    return RubricDiff(tuple(rubric), tuple(criteria))
