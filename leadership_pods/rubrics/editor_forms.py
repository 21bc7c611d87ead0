"""The rubric editor form: WTForms with the launch-bound CSRF token (``web/forms.py``).

Criteria and their levels are ``FieldList``s of ``FormField``s, so their fields are named
``criteria-0-title``, ``criteria-0-levels-1-points`` …: the paths ``validation.validate``
reports problems by. The form checks what it can parse (numbers, CSRF); the rubric's
rules are checked by ``validation.validate`` and attached to the same fields with
:meth:`RubricEditorForm.add_problems`, so every message shows next to its field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import (
    Field,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput, TextInput

from ..pods.catalogue import AMA_COMPETENCIES
from ..web.forms import LaunchForm
from . import document
from .versions import CHOICES

SCORING_CHOICES = [SelectChoice("faculty", "By faculty"),
                   SelectChoice("auto", "Automatically, from a metric")]
CHOICE_LABELS = {
    "keep": "Keep their scores: they stay on the version they were graded with.",
    "rescore": "Rescore their automatic criteria with the new version; faculty levels are "
               "kept for criteria that still exist.",
    "requeue": "Send them back to the grading queue on the new version; faculty levels are "
               "cleared for the criteria you changed.",
}
MAX_TEXT = 5_000


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class WholeNumberField(Field):  # type: ignore[misc]
    """A whole number; empty is None (the rubric's rules say whether that is allowed)."""

    widget = NumberInput(step="1")

    def __init__(self, *args: Any, message: str = "Give the points as a whole number.",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message = message

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    def parse(self, text: str) -> Any:
        return int(text)

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                self.data = self.parse(text)
            except (ValueError, InvalidOperation) as exc:
                raise ValueError(self.message) from exc


class NumberField(WholeNumberField):
    """A number with up to two decimals, as a Decimal; empty is None."""

    widget = TextInput()

    def parse(self, text: str) -> Any:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise ValueError(text)
        return value


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LevelForm(Form):  # type: ignore[misc]
    label = StringField("Label", filters=[_strip])
    id = StringField("Short id", filters=[_strip],
                     description="Carries faculty's choices from version to version.")
    points = WholeNumberField("Points")
    min = WholeNumberField("Metric needed (automatic criteria)", message=(
        "Give the metric needed as a whole number from 0 to 100, or leave it empty."),
        description="0 to 100. Empty: the level's share of the points.")
    descriptor = TextAreaField("What it looks like", filters=[_strip])


class CriterionForm(Form):  # type: ignore[misc]
    title = StringField("Title", filters=[_strip])
    id = StringField("Short id", filters=[_strip],
                     description="a-z, 0-9 and '-'. Carries faculty's choices from version to "
                                 "version.")
    points = WholeNumberField("Points")
    description = TextAreaField("Description", filters=[_strip])
    scoring = RadioField("Scored", choices=SCORING_CHOICES, validate_choice=False)
    metric = SelectField("Metric (automatic criteria)", choices=[], validate_choice=False,
                         description="A number from 0 to 100 the pod gives for each attempt.")
    competencies = CheckboxesField("Competencies", choices=[SelectChoice(c) for c in AMA_COMPETENCIES],
                                   validate_choice=False)
    levels = FieldList(FormField(LevelForm))


class RubricEditorForm(LaunchForm):
    base_version = HiddenField()
    title = StringField("Title", filters=[_strip])
    pass_mark = NumberField("Pass mark (%)", message="Give the pass mark as a number.",
                            description="The percentage of the points a resident needs to pass.")
    criteria = FieldList(FormField(CriterionForm))
    note = TextAreaField("What changed and why", filters=[_strip],
                         description="Shown in the rubric's history.")
    choice = RadioField("What happens to them",
                        choices=[SelectChoice(c, CHOICE_LABELS[c]) for c in CHOICES],
                        validate_choice=False,
                        description="Attempts returned for revision are scored with the newest "
                                    "version when they are resubmitted, whichever you choose.")

    def __init__(self, formdata: Sequence[tuple[str, str]], *, launch_id: str,
                 metrics: Sequence[str]) -> None:
        super().__init__(MultiDict(formdata), launch_id=launch_id)
        self.problems: dict[str, str] = {}
        for entry in self.criteria:
            entry.form.metric.choices = [SelectChoice("", "Choose a metric")] + [
                SelectChoice(m) for m in metrics]

    # -- data ----------------------------------------------------------------------------
    def rubric_data(self) -> dict[str, Any]:
        """The rubric as typed (numbers that did not parse are None)."""
        return {
            "title": self.title.data or "",
            "pass_mark": None if self.pass_mark.data is None else document.number(
                self.pass_mark.data),
            "criteria": [{
                "id": c.id.data or "", "title": c.title.data or "",
                "description": c.description.data or "", "points": c.points.data,
                "competencies": list(c.competencies.data or []), "scoring": c.scoring.data,
                "metric": c.metric.data or None,
                "levels": [{"id": lv.id.data or "", "label": lv.label.data or "",
                            "descriptor": lv.descriptor.data or "", "points": lv.points.data,
                            "min": lv.min.data} for lv in (e.form for e in c.levels)],
            } for c in (e.form for e in self.criteria)],
        }

    # -- errors --------------------------------------------------------------------------
    def fields_by_id(self) -> Iterator[tuple[str, Field, str]]:
        """Every field the editor shows, with where it is in words, in page order."""
        for name in ("title", "pass_mark"):
            yield self[name].id, self[name], str(self[name].label.text)
        yield "criteria", self.criteria, "Criteria"
        for i, entry in enumerate(self.criteria):
            c = entry.form
            where = f"Criterion {i + 1}"
            for name in ("title", "id", "points", "description", "scoring", "metric",
                         "competencies"):
                yield c[name].id, c[name], f"{where}: {c[name].label.text}"
            yield c.levels.id, c.levels, f"{where}: Levels"
            for j, level in enumerate(e.form for e in c.levels):
                for name in ("label", "id", "points", "min", "descriptor"):
                    yield (level[name].id, level[name],
                           f"{where}, level {j + 1}: {level[name].label.text}")
        for name in ("note", "choice"):
            yield self[name].id, self[name], str(self[name].label.text)

    def add_problems(self, problems: Mapping[str, str]) -> None:
        """Show the rubric's problems (path -> message) next to their fields; a field the
        form already found fault with keeps its own message (see :meth:`messages`)."""
        for path, message in problems.items():
            self.problems.setdefault(path, message)

    def messages(self) -> dict[str, str]:
        """Field id -> the message shown next to it."""
        found: dict[str, str] = {}
        for fid, f, _ in self.fields_by_id():
            if not isinstance(f, FieldList) and f.errors:
                found[fid] = " ".join(str(e) for e in f.errors)
        for path, message in self.problems.items():
            found.setdefault(path, message)
        return found

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, where, message) of every problem, in page order."""
        messages = self.messages()
        return [(fid, where, messages[fid]) for fid, _, where in self.fields_by_id()
                if fid in messages]
