"""The resident's plan: lever values, a justification per change, and a recurring flag.

A plan stores only the levers the resident touched. A lever's value is a change from today
(see :mod:`.levers`); 0 means unchanged, and a lever at 0 does not count as a change even if
it carries a justification. ``recurring`` is the resident's own label of the saving (``True``
recurring, ``False`` one-time, ``None`` not labelled); the CFO compares it with the lever's
real nature.

Stored as plain JSON::

    {"version": 1,
     "levers": {"supply.interventional": {"value": "1", "recurring": true,
                                          "justification": "1,280 cases x $260 = $332,800 ..."}}}

Values are strings of decimals (numbers are accepted on the way in).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import InvalidPlan, LeverOutOfRange
from .money import ZERO
from .scenario import Scenario

PLAN_VERSION = 1


#: integers with fewer digits than the decimal context's precision are converted exactly
_EXACT_DIGITS = 28


def canonical(value: Decimal) -> Decimal:
    """The same number in one spelling (``5.0`` -> ``5``, ``1E+1`` -> ``10``, ``-0`` ->
    ``0``), so stored plans compare equal."""
    # int() of a huge value (1E+999999, sent or typed into a workbook) would take minutes;
    # such a value is refused by validate_plan anyway, so it keeps its own spelling
    if value.is_finite() and value.adjusted() < _EXACT_DIGITS:
        whole = int(value)
        if whole == value:
            return Decimal(whole)
    return value.normalize()  # a fraction: normalize() never gives an exponent above 0


class _Change(NamedTuple):
    value: Decimal
    justification: str
    recurring: bool | None


class LeverChange(_Change):
    """One touched lever: its value (canonical), the resident's justification and label.
    A named tuple (a plan is read on every recalculation, and a tuple is built several
    times faster than a frozen dataclass); equal only to another ``LeverChange``."""

    __slots__ = ()

    def __new__(cls, value: Decimal, justification: str = "",
                recurring: bool | None = None) -> LeverChange:
        # built from the full tuple in C (the named tuple's own __new__ is Python)
        return tuple.__new__(cls, (canonical(value), justification, recurring))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LeverChange) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__



@dataclass(frozen=True)
class Plan:
    changes: Mapping[str, LeverChange] = field(default_factory=dict)
    #: each touched lever's value by id (the model's lookups: ``values.get(id, ZERO)``)
    values: Mapping[str, Decimal] = field(init=False, repr=False, compare=False)
    #: the scenario :meth:`from_json` checked the plan against (the model checks it again
    #: for any other)
    checked_for: Scenario | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = dict(sorted(self.changes.items()))
        object.__setattr__(self, "changes", MappingProxyType(ordered))
        object.__setattr__(self, "values", {lid: c.value for lid, c in ordered.items()})

    def value(self, lever_id: str) -> Decimal:
        return self.values.get(lever_id, ZERO)

    def changed_levers(self) -> tuple[str, ...]:
        """Ids of the levers whose value differs from today, in id order."""
        return tuple(lid for lid, change in self.changes.items() if change.value != 0)

    def with_change(self, lever_id: str, value: Decimal, *, justification: str | None = None,
                    recurring: bool | None = None) -> Plan:
        """A copy with one lever set; justification and label are kept unless given."""
        old = self.changes.get(lever_id, LeverChange(ZERO))
        new = LeverChange(value, old.justification if justification is None else justification,
                          old.recurring if recurring is None else recurring)
        return Plan({**self.changes, lever_id: new})

    def without(self, lever_id: str) -> Plan:
        return Plan({lid: c for lid, c in self.changes.items() if lid != lever_id})

    def to_json(self) -> dict[str, Any]:
        levers: dict[str, Any] = {}
        for lever_id, change in self.changes.items():
            levers[lever_id] = {"value": f"{change.value:f}",
                                "justification": change.justification,
                                "recurring": change.recurring}
        return {"version": PLAN_VERSION, "levers": levers}

    @classmethod
    def from_json(cls, data: Any, scenario: Scenario) -> Plan:
        """Read a stored plan and check it against ``scenario`` (see :func:`validate_plan`)."""
        if not _is_object(data) or not _is_object(data.get("levers", {})):
            raise InvalidPlan("A plan must be an object with a 'levers' object.")
        if data.get("version", PLAN_VERSION) != PLAN_VERSION:
            raise InvalidPlan(f"This plan was saved in format {data.get('version')!r}; "
                              f"only format {PLAN_VERSION} can be read.")
        changes: dict[str, LeverChange] = {}
        for lever_id, raw in data.get("levers", {}).items():
            if type(raw) is not dict and not isinstance(raw, Mapping):
                raise InvalidPlan(f"Lever '{lever_id}' must be an object with a 'value'.")
            justification = raw.get("justification") or ""
            recurring = raw.get("recurring")
            if not isinstance(justification, str):
                raise InvalidPlan(f"The justification of '{lever_id}' must be text.")
            if recurring is not None and not isinstance(recurring, bool):
                raise InvalidPlan(f"'recurring' of '{lever_id}' must be true, false or null.")
            changes[str(lever_id)] = LeverChange(_decimal(lever_id, raw.get("value")),
                                                 justification, recurring)
        plan = cls(changes)
        validate_plan(scenario, plan)
        object.__setattr__(plan, "checked_for", scenario)
        return plan


def _is_object(value: Any) -> bool:
    """A JSON object: a dict (what the JSON parser gives, checked first) or any mapping."""
    return type(value) is dict or isinstance(value, Mapping)


def _decimal(lever_id: str, raw: Any) -> Decimal:
    if type(raw) is str:  # how plans are stored and sent: checked first
        text = raw.strip()
    elif isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidPlan(f"The value of '{lever_id}' must be a number.")
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidPlan(f"The value of '{lever_id}' must be a finite number.")
        text = repr(raw)
    else:
        text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidPlan(f"The value of '{lever_id}' must be a number, not {raw!r}.") from None
    if not value.is_finite():
        raise InvalidPlan(f"The value of '{lever_id}' must be a finite number.")
    return value


def _written(value: Decimal) -> str:
    """The value in plain notation, or as sent (``1E+999999``) when writing it out would take
    more digits than any lever has."""
    return f"{value:f}" if abs(value.adjusted()) < _EXACT_DIGITS else str(value)


def validate_plan(scenario: Scenario, plan: Plan) -> None:
    """Raise :class:`~.errors.UnknownLever` or :class:`~.errors.LeverOutOfRange` (naming the
    lever and the allowed range) for the first bad lever, in lever-id order.

    Also checks that no more agency positions are converted than remain after the agency
    change. Safety (minimum staffing) is not checked here but by the model, which refuses.
    """
    index = scenario.lever_index
    for lever_id, change in plan.changes.items():
        lever = index.get(lever_id) or scenario.lever(lever_id)  # the latter raises
        value = change.value
        # the step is checked only within the range: far outside it, the remainder is beyond
        # the decimal context (DivisionImpossible)
        if not (lever.minimum <= value <= lever.maximum
                and (value - lever.minimum) % lever.step == 0):
            allowed = (f"allowed: {lever.minimum:f} to {lever.maximum:f} {lever.unit} "
                       f"in steps of {lever.step:f}")
            raise LeverOutOfRange(lever_id, lever.label, _written(value), allowed)
    conv = scenario.conversion
    agency = next(s for s in scenario.staffing_lines if s.id == conv.from_line)
    remaining = agency.fte + plan.value(agency.lever_id)
    converted = plan.value(conv.lever_id)
    if converted > remaining:
        lever = scenario.lever(conv.lever_id)
        raise LeverOutOfRange(conv.lever_id, lever.label, f"{converted:f}",
                              f"allowed: at most the {remaining:f} agency FTE that remain "
                              f"after the agency change")
