"""The placement settings form: a due date in UTC and one video URL per video section.

The video fields depend on the pod, so each pod's form is a subclass made by
:func:`settings_form_for`; a field the browser invents is simply not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from wtforms.fields import DateField, Field, TimeField, URLField
from wtforms.validators import Optional, ValidationError

from ..web.forms import LaunchForm
from .faculty import PlacementSettings, due_at_from, video_url_problem
from .validation_model import MicroLearningSection, Section

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _video_url(_form: Any, field: Field) -> None:
    if problem := video_url_problem(field.data or ""):
        raise ValidationError(problem)


class PlacementSettingsForm(LaunchForm):
    due_date = DateField("Due date (UTC)", validators=[Optional()],
                         description="Leave empty for no due date. Format: YYYY-MM-DD.")
    due_time = TimeField("Due time (UTC, 24-hour)", validators=[Optional()],
                         format=["%H:%M", "%H:%M:%S"],
                         description="Leave empty for 23:59 UTC on the due date.")

    #: (field name, section) of each video section's URL field
    video_fields: ClassVar[tuple[tuple[str, Section], ...]] = ()

    def validate_due_date(self, field: DateField) -> None:
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")

    def validate_due_time(self, _field: TimeField) -> None:
        raw = self.due_date.raw_data or [""]
        if not str(raw[0]).strip():
            raise ValidationError("Give the due date this time belongs to, or clear the time.")

    def video_field_list(self) -> list[tuple[Field, Section]]:
        return [(self[name], section) for name, section in self.video_fields]

    def placement_settings(self) -> PlacementSettings:
        overrides = {section.ref.id: self[name].data for name, section in self.video_fields
                     if self[name].data}
        return PlacementSettings(due_at_from(self.due_date.data, self.due_time.data), overrides)

    @classmethod
    def initial(cls, settings: PlacementSettings) -> dict[str, Any]:
        """Form data showing ``settings`` (for the GET of the page)."""
        data: dict[str, Any] = {}
        if settings.due_at is not None:
            data["due_date"] = settings.due_at.date()
            data["due_time"] = settings.due_at.time().replace(second=0, microsecond=0)
        for name, section in cls.video_fields:
            data[name] = settings.video_overrides.get(section.ref.id, "")
        return data


def settings_form_for(sections: Sequence[Section]) -> type[PlacementSettingsForm]:
    """The settings form of a pod whose video sections are ``sections``."""
    fields: dict[str, Any] = {}
    names: list[tuple[str, Section]] = []
    for section in sections:
        content = section.content
        default = (content.video.url if isinstance(content, MicroLearningSection)
                   and content.video and content.video.url else None)
        name = f"video-{section.ref.id}"
        fields[name] = URLField(
            f"Video URL for “{section.ref.title}”", validators=[Optional(), _video_url],
            filters=[_strip],
            description=("An https link to an .mp4 or .webm file. Leave empty to use "
                         + (f"the pod's own video ({default})." if default else
                            "the pod's own video, or the transcript when it has none.")))
        names.append((name, section))
    fields["video_fields"] = tuple(names)
    return type("PodPlacementSettingsForm", (PlacementSettingsForm,), fields)
