"""Errors of pod packages and pod pages."""

from __future__ import annotations

from ..lti_tool.errors import LtiError


class PodPackageError(Exception):
    """A pod package breaks the format; ``problems`` are ``file:line: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PodNotFound(LtiError):
    status = 404
    check = "pod"
    hint = "The link may name a pod that was removed; ask faculty to re-add it to the course."
