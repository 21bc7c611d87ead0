"""Errors of the outbox and its callers."""

from __future__ import annotations

from ..lti_tool.errors import LtiError


class OutboxError(LtiError):
    """An outbox request that cannot be done (unknown event, nothing to retry, …)."""

    status = 400
    check = "outbox"
    title = "That could not be done"
    hint = "Reload the page to see the grade's current delivery status."
