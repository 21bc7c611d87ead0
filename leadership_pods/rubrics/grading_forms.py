"""The grading form: a level and a comment per criterion, overall feedback, and the
message sent with a return for revision. Built per rubric version (its criteria are the
fields); the launch-bound CSRF token comes from :class:`~leadership_pods.web.forms.LaunchForm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length

from ..web.forms import LaunchForm
from . import document
from .assessments import MAX_COMMENT, MAX_FEEDBACK
from .models import Assessment

ACTIONS = ("draft", "release", "return")


def level_field(criterion_id: str) -> str:
    return f"level-{criterion_id}"


def comment_field(criterion_id: str) -> str:
    return f"comment-{criterion_id}"


class GradingForm(LaunchForm):
    feedback = TextAreaField("Overall feedback", validators=[Length(max=MAX_FEEDBACK)],
                             description="The resident reads this with the score; it is also "
                                         "sent to the LMS gradebook as the comment.")
    message = TextAreaField("Message to the resident", validators=[Length(max=MAX_FEEDBACK)],
                            description="Needed to return the work for revision: say what to "
                                        "change.")

    criteria: tuple[Mapping[str, Any], ...] = ()

    def choices(self) -> dict[str, str | None]:
        return {str(c["id"]): self[level_field(str(c["id"]))].data or None
                for c in self.criteria if c.get("scoring") != "auto"}

    def comments(self) -> dict[str, str]:
        return {str(c["id"]): self[comment_field(str(c["id"]))].data or ""
                for c in self.criteria}


def grading_form_for(data: Mapping[str, Any]) -> type[GradingForm]:
    """A form class for this rubric version's criteria."""
    criteria = tuple(data.get("criteria") or ())
    fields: dict[str, Any] = {"criteria": criteria}
    for c in criteria:
        cid = str(c["id"])
        if c.get("scoring") != "auto":
            # the service checks the level against the version (RubricError names it)
            fields[level_field(cid)] = RadioField(
                str(c["title"]), choices=[SelectChoice(str(lv["id"]), str(lv["label"]))
                                          for lv in c["levels"]], validate_choice=False)
        fields[comment_field(cid)] = TextAreaField(f"Comment on {c['title']}",
                                                   validators=[Length(max=MAX_COMMENT)])
    return type("RubricGradingForm", (GradingForm,), fields)


def initial(assessment: Assessment, data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's data from the saved assessment."""
    values: dict[str, Any] = {"feedback": assessment.feedback}
    for c in document.faculty_criteria(data):
        values[level_field(str(c["id"]))] = assessment.choices.get(str(c["id"]))
    for c in data.get("criteria") or ():
        values[comment_field(str(c["id"]))] = assessment.comments.get(str(c["id"]), "")
    return values
