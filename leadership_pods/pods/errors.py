"""Errors of pod packages and pod pages."""

from __future__ import annotations

from ..lti_tool.errors import LtiError


class PodPackageError(Exception):
    """A pod package breaks the format; ``problems`` are ``file:line: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PodError(LtiError):
    """A request inside a pod that cannot be done; the message says why."""

    status = 400
    check = "pod"
    title = "That could not be done"
    hint = "Reload the page; your saved work is kept."


class PodNotFound(PodError):
    status = 404
    title = "Not found"
    check = "pod"
    hint = "The link may name a pod that was removed; ask faculty to re-add it to the course."
