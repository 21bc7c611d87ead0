"""The rubric editor and its history, for a pod in the launch's course.

Faculty of the course edit (the course comes from the launch, never from the URL);
administrators may look but not change; residents are refused. Every POST carries the
launch-bound CSRF token. The editor works without JavaScript: add, remove and reorder
are submit buttons (``editing.py``), and the page that follows focuses the control the
action left off at.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..lti_tool.claims import ROLE_FACULTY, LaunchContext
from ..pods.catalogue import Catalogue, load_catalogue
from ..pods.validation import allowed_metrics
from ..pods.validation_model import PodPackage
from ..web.scope import current_launch, db_session, settings
from . import document, editing
from .diff import diff
from .editor_forms import RubricEditorForm
from .errors import RubricError, RubricInvalid
from .models import RubricVersion
from .validation import validate
from .versions import CHOICES, Impact, RubricService

blueprint = Blueprint("rubrics", __name__, url_prefix="/rubrics", template_folder="templates",
                      static_folder="static")

EXPIRED = "this page has expired; reload it and try again"


def _course_pod(slug: str, *roles: str) -> tuple[LaunchContext, Catalogue, PodPackage]:
    context = current_launch(*roles)
    catalogue = load_catalogue(settings().extra_pods_path)
    package = catalogue.package(slug)
    if context.course_pk is None:
        raise RubricError("a pod's rubric belongs to a course, and this launch is not from "
                          "one", status=404, check="course",
                          hint="Open the pod from its link in the course.")
    return context, catalogue, package


def _metrics(package: PodPackage) -> list[str]:
    return sorted(allowed_metrics(package.metadata.simulation))


def _form(package: PodPackage, context: LaunchContext, draft: editing.Draft) -> RubricEditorForm:
    return RubricEditorForm(editing.formdata(draft), launch_id=context.launch_id,
                            metrics=_metrics(package))


@blueprint.route("/<slug>", methods=["GET", "POST"])
def editor(slug: str) -> WerkzeugResponse | tuple[str, int]:
    roles = ("faculty", "administrator") if request.method == "GET" else ("faculty",)
    context, catalogue, package = _course_pod(slug, *roles)
    service = RubricService(db_session(), catalogue)
    if context.role != ROLE_FACULTY:
        return _read_only(context, package, service), 200
    rubric = service.rubric_for(package, context.course_pk)
    current = service.current_of(rubric)
    impact = service.impact(rubric)
    page = partial(_page, context, package, current, impact)
    if request.method == "GET":
        draft = editing.from_data(current.data, base_version=current.number)
        return page(_form(package, context, draft), preview=current.data), 200
    draft = editing.parse(request.form.lists())
    form = _form(package, context, draft)
    if not form.csrf_token.validate(form):
        raise RubricError(EXPIRED, check="csrf")
    action = request.form.get("action", "preview")
    if action not in ("preview", "save"):  # add, remove, move: show the result, check nothing
        outcome = editing.apply(draft, action)
        form = _form(package, context, draft)
        valid = not validate(form.rubric_data(), package)
        return page(form, preview=document.clean(form.rubric_data()) if valid else None,
                    outcome=outcome), 200
    form.validate()
    form.add_problems(validate(form.rubric_data(), package))
    if action == "save" and impact.needs_choice and form.choice.data not in CHOICES:
        form.add_problems({"choice": f"Choose what happens to the {impact.total} graded "
                                     f"attempt{'' if impact.total == 1 else 's'}."})
    if form.messages():
        return page(form), 422
    data = document.clean(form.rubric_data())
    if action == "preview":
        return page(form, preview=data), 200
    try:
        version = service.save(rubric, data, context.user_pk, form.choice.data,
                               form.note.data or "", base_version=_int(form.base_version.data))
    except RubricInvalid as exc:  # checked above; here if the package changed meanwhile
        form.add_problems(exc.problems)
        return page(form), 422
    except RubricError as exc:  # nothing changed, or someone saved first
        return page(form, preview=data, failure=exc.message), exc.status
    return redirect(url_for(".editor", slug=slug, saved=version.number, lt=g.launch_token),
                    code=303)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _page(context: LaunchContext, package: PodPackage, current: RubricVersion, impact: Impact,
          form: RubricEditorForm, *, preview: dict[str, Any] | None = None,
          outcome: editing.Outcome | None = None, failure: str | None = None) -> str:
    """The editor; ``preview`` is the edited rubric when it has no problems (shown as
    residents will see it, and compared with the current version)."""
    return render_template(
        "rubrics/editor.html", context=context, pod=package.metadata, current=current,
        impact=impact, form=form, messages=form.messages(), errors=form.error_list(),
        preview=document.to_rubric(preview) if preview else None,
        changes=diff(current.data, preview) if preview else None, outcome=outcome,
        failure=failure, saved=request.args.get("saved"), lt=g.launch_token)


def _read_only(context: LaunchContext, package: PodPackage, service: RubricService) -> str:
    current = service.find_current(package.metadata.slug, context.course_pk)
    data = current.data if current else document.from_package(package.rubric)
    return render_template("rubrics/view.html", context=context, pod=package.metadata,
                           current=current, preview=document.to_rubric(data),
                           lt=g.launch_token)


@blueprint.get("/<slug>/history")
def history(slug: str) -> str:
    context, catalogue, package = _course_pod(slug, "faculty", "administrator")
    service = RubricService(db_session(), catalogue)
    rubric = service.find(slug, context.course_pk)
    versions = service.versions(rubric) if rubric else []
    audit = service.audit(rubric) if rubric else []
    people = service.people({v.created_by for v in versions} | {a.user_id for a in audit})
    return render_template("rubrics/history.html", context=context, pod=package.metadata,
                           versions=versions, audit=audit, people=people,
                           usage=service.usage(rubric) if rubric else {},
                           lt=g.launch_token)
