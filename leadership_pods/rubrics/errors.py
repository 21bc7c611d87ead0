"""Errors of rubrics, their editor and grading; the message says what to do."""

from __future__ import annotations

from collections.abc import Mapping

from ..lti_tool.errors import LtiError


class RubricError(LtiError):
    """A rubric change or a grading step that cannot be done."""

    status = 400
    check = "rubric"
    title = "That could not be done"
    hint = "Reload the page and try again; nothing was saved."


class RubricInvalid(RubricError):
    """Rubric data that breaks a rule; ``problems`` maps field paths to messages."""

    status = 422
    check = "rubric-invalid"

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("the rubric has problems: " + " ".join(problems.values()))
        self.problems = dict(problems)


class RubricConflict(RubricError):
    """Someone saved a newer version while this edit was open."""

    status = 409
    check = "rubric-version"
    hint = "Reload the editor to start from the newest version, then make your change again."
