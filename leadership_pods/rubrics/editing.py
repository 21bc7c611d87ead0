"""The editor's structural actions — add, remove and reorder criteria and levels — on the
form as posted, so they work without JavaScript and keep whatever was typed.

The editor posts every field (``title``, ``criteria-0-title``, ``criteria-0-levels-1-points``
…, the WTForms names for nested lists) and one ``action``: ``add-criterion``,
``remove-criterion-<i>``, ``up-criterion-<i>``, ``down-criterion-<i>``, ``add-level-<i>``,
``remove-level-<i>-<j>``, ``up-level-<i>-<j>``, ``down-level-<i>-<j>``, ``preview`` or
``save``. :func:`parse` reads the posted fields into a :class:`Draft` (raw text, numbers
not checked yet; the CSRF token is carried along), :func:`apply` does a structural action
on it, and :func:`formdata` numbers the fields again for the form. :func:`from_data`
makes a draft of stored version data, so the editor's first page goes through the same
path.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Fields = dict[str, list[str]]

_CRITERION = re.compile(r"^criteria-(\d+)-([a-z_]+)$")
_LEVEL = re.compile(r"^criteria-(\d+)-levels-(\d+)-([a-z_]+)$")
_ACTION = re.compile(r"^(add|remove|up|down)-(criterion|level)(?:-(\d+))?(?:-(\d+))?$")
#: posted fields that are not part of the rubric
_IGNORED = frozenset({"action", "lt"})
_MAX_INDEX = 200


@dataclass
class DraftCriterion:
    fields: Fields = field(default_factory=dict)
    levels: list[Fields] = field(default_factory=list)

    def value(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]


@dataclass
class Draft:
    fields: Fields = field(default_factory=dict)
    criteria: list[DraftCriterion] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What a structural action did: a sentence for the status line, and the id of the
    control to focus on the page that follows (``autofocus``)."""

    message: str
    focus: str


def parse(posted: Iterable[tuple[str, list[str]]]) -> Draft:
    """A draft from posted ``(name, values)`` pairs (``MultiDict.lists()``)."""
    draft = Draft()
    criteria: dict[int, DraftCriterion] = {}
    levels: dict[tuple[int, int], Fields] = {}
    for name, values in posted:
        if name in _IGNORED:
            continue
        if match := _LEVEL.match(name):
            i, j = int(match[1]), int(match[2])
            if i < _MAX_INDEX and j < _MAX_INDEX:
                criteria.setdefault(i, DraftCriterion())
                levels.setdefault((i, j), {})[match[3]] = list(values)
        elif match := _CRITERION.match(name):
            if int(match[1]) < _MAX_INDEX:
                criteria.setdefault(int(match[1]), DraftCriterion()).fields[match[2]] = list(values)
        elif "-" not in name:
            draft.fields[name] = list(values)
    for (i, _), level in sorted(levels.items()):
        criteria[i].levels.append(level)
    draft.criteria = [criteria[i] for i in sorted(criteria)]
    return draft


def _text(value: Any) -> list[str]:
    return [] if value is None else [str(value)]


def from_data(data: Mapping[str, Any], **extra: Any) -> Draft:
    """A draft showing stored version data (and ``extra`` top-level fields)."""
    draft = Draft(fields={"title": _text(data.get("title")),
                          "pass_mark": _text(data.get("pass_mark")),
                          **{k: _text(v) for k, v in extra.items()}})
    for c in data.get("criteria") or []:
        draft.criteria.append(DraftCriterion(
            fields={"id": _text(c.get("id")), "title": _text(c.get("title")),
                    "description": _text(c.get("description")),
                    "points": _text(c.get("points")), "scoring": _text(c.get("scoring")),
                    "metric": _text(c.get("metric")),
                    "competencies": [str(x) for x in c.get("competencies") or []]},
            levels=[{"id": _text(lv.get("id")), "label": _text(lv.get("label")),
                     "descriptor": _text(lv.get("descriptor")),
                     "points": _text(lv.get("points")), "min": _text(lv.get("min"))}
                    for lv in c.get("levels") or []]))
    return draft


def formdata(draft: Draft) -> list[tuple[str, str]]:
    """The draft as ``(name, value)`` pairs numbered 0, 1, 2 … for the form."""
    pairs = [(name, value) for name, values in draft.fields.items() for value in values]
    for i, criterion in enumerate(draft.criteria):
        pairs += [(f"criteria-{i}-{name}", value) for name, values in criterion.fields.items()
                  for value in values]
        for j, level in enumerate(criterion.levels):
            pairs += [(f"criteria-{i}-levels-{j}-{name}", value)
                      for name, values in level.items() for value in values]
    return pairs


def _unique(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


def _title(criterion: DraftCriterion, i: int) -> str:
    return f"“{criterion.value('title')}”" if criterion.value("title").strip() \
        else f"criterion {i + 1}"


def _move(items: list[Any], i: int, step: int) -> int | None:
    j = i + step
    if not 0 <= i < len(items) or not 0 <= j < len(items):
        return None
    items[i], items[j] = items[j], items[i]
    return j


def _focus_after_move(kind: str, j: int, last: int, suffix: str = "") -> str:
    """The moved item's move button that is still there (the first has no "up")."""
    return f"{'up' if j > 0 else 'down'}-{kind}-{suffix}{j}" if last else f"add-{kind}"


def apply(draft: Draft, action: str) -> Outcome | None:
    """Do a structural action on the draft (in place); None for an unknown one or an
    index out of range (the page is shown again unchanged)."""
    match = _ACTION.match(action)
    if not match:
        return None
    verb, kind = match[1], match[2]
    i = int(match[3]) if match[3] is not None else None
    j = int(match[4]) if match[4] is not None else None
    criteria = draft.criteria
    if verb == "add" and (j is not None or (kind == "criterion") == (i is not None)):
        return None
    if kind == "criterion":
        if verb == "add":
            taken = {c.value("id") for c in criteria}
            criteria.append(DraftCriterion(
                fields={"id": [_unique("criterion", taken)], "scoring": ["faculty"]},
                levels=[{"id": ["level-1"]}]))
            return Outcome(f"Criterion {len(criteria)} added.", f"criteria-{len(criteria) - 1}-title")
        if i is None or j is not None or not 0 <= i < len(criteria):
            return None
        name = _title(criteria[i], i)
        if verb == "remove":
            criteria.pop(i)
            return Outcome(f"Removed {name}.", "add-criterion")
        moved = _move(criteria, i, -1 if verb == "up" else 1)
        if moved is None:
            return None
        return Outcome(f"Moved {name} {verb}; it is now criterion {moved + 1}.",
                       _focus_after_move("criterion", moved, len(criteria) - 1))
    if i is None or not 0 <= i < len(criteria):
        return None
    levels = criteria[i].levels
    if verb == "add":
        taken = {(lv.get("id") or [""])[0] for lv in levels}
        levels.append({"id": [_unique("level", taken)]})
        return Outcome(f"Level {len(levels)} added to {_title(criteria[i], i)}.",
                       f"criteria-{i}-levels-{len(levels) - 1}-label")
    if j is None or not 0 <= j < len(levels):
        return None
    label = (levels[j].get("label") or [""])[0].strip() or f"level {j + 1}"
    if verb == "remove":
        levels.pop(j)
        return Outcome(f"Removed {label} from {_title(criteria[i], i)}.", f"add-level-{i}")
    moved = _move(levels, j, -1 if verb == "up" else 1)
    if moved is None:
        return None
    return Outcome(f"Moved {label} {verb}; it is now level {moved + 1}.",
                   _focus_after_move("level", moved, len(levels) - 1, f"{i}-"))
