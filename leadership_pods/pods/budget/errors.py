"""Errors of the budget simulation. Every message is a plain sentence a resident can act on.

The web ring maps a :class:`BudgetError` to a 4xx page or JSON with ``message``; nothing here
knows about HTTP beyond the suggested ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass


class BudgetError(Exception):
    """Base of every refusal of the budget simulation."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPlan(BudgetError):
    """A stored or submitted plan is not shaped like a plan (bad JSON, wrong types)."""


class UnknownLever(InvalidPlan):
    """The plan names a lever the scenario does not have."""

    def __init__(self, lever_id: str) -> None:
        super().__init__(f"There is no lever '{lever_id}' in this budget.")
        self.lever_id = lever_id


class LeverOutOfRange(InvalidPlan):
    """A lever value outside its allowed range or off its step."""

    def __init__(self, lever_id: str, label: str, value: str, allowed: str) -> None:
        super().__init__(f"{label} ({lever_id}): {value} is not allowed; {allowed}.")
        self.lever_id = lever_id
        self.allowed = allowed


@dataclass(frozen=True)
class Refusal:
    """Why one change cannot be applied: the lever to undo and the reason in words."""

    lever_id: str
    reason: str


class UnsafePlan(BudgetError):
    """The plan breaks a hard safety constraint (minimum safe staffing) and is refused.

    ``refusals`` lists every breach; the web grid shows the reasons and does not apply the
    change. An unsafe plan never produces a :class:`~.model.Result`.
    """

    status = 409

    def __init__(self, refusals: tuple[Refusal, ...]) -> None:
        super().__init__(" ".join(r.reason for r in refusals))
        self.refusals = refusals


class NegotiationError(BudgetError):
    """A move that the negotiation cannot take now (it is over, or names no open objection)."""
