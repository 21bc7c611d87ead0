"""The grading queue and the grading page, for faculty of the launch's course.

Faculty of the course grade; administrators may look but not change; residents are
refused. The course comes from the launch, never from the URL: an assessment of another
course is not found. Every POST carries the launch-bound CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..lti_tool.claims import ROLE_FACULTY, LaunchContext
from ..passport_sync import delivery_status
from ..passport_sync.errors import OutboxError
from ..pods.catalogue import load_catalogue
from ..web.forms import LaunchForm
from ..web.scope import current_launch, db_session, settings
from . import document
from .errors import RubricError
from .grading_forms import GradingForm, grading_form_for, initial, level_field
from .models import STATUS_DRAFT, STATUS_NEEDS_GRADING
from .queue import STATUS_LABELS, GradingService, Submission
from .submission import read_submission

blueprint = Blueprint("grading", __name__, url_prefix="/grading", template_folder="templates")

EXPIRED = "this page has expired; reload it and try again"
GRADABLE = (STATUS_NEEDS_GRADING, STATUS_DRAFT)
SAVED_WORDS = {"draft": "Draft saved. The resident cannot see it.",
               "release": "Released. The resident can see the score; it is on its way to the "
                          "LMS gradebook.",
               "return": "Returned for revision. The resident can change the work and submit "
                         "again.",
               "retry": "The grade is queued to send again."}


def _launch(*roles: str) -> LaunchContext:
    context = current_launch(*roles)
    if context.course_pk is None:
        raise RubricError("grading belongs to a course, and this launch is not from one",
                          status=404, check="course",
                          hint="Open the tool from a link in the course.")
    return context


def _service() -> GradingService:
    return GradingService(db_session(), load_catalogue(settings().extra_pods_path))


@blueprint.get("")
def queue() -> str:
    context = _launch(ROLE_FACULTY, "administrator")
    result = _service().queue(context.course_pk or 0)
    return render_template("rubrics/grading_queue.html", context=context, queue=result,
                           labels=STATUS_LABELS, form=LaunchForm(launch_id=context.launch_id),
                           saved=SAVED_WORDS.get(request.args.get("saved", "")),
                           lt=g.launch_token)


@blueprint.post("/retry/<int:event_id>")
def retry(event_id: int) -> WerkzeugResponse:
    context = _launch(ROLE_FACULTY)
    if not LaunchForm(request.form, launch_id=context.launch_id).validate():
        raise RubricError(EXPIRED, check="csrf")
    try:
        _service().retry(context.course_pk, event_id)
    except OutboxError as exc:
        raise RubricError(exc.message, status=exc.status, check="delivery") from exc
    return redirect(url_for(".queue", saved="retry", lt=g.launch_token), code=303)


@blueprint.route("/<int:assessment_id>", methods=["GET", "POST"])
def grade(assessment_id: int) -> WerkzeugResponse | tuple[str, int]:
    roles = (ROLE_FACULTY, "administrator") if request.method == "GET" else (ROLE_FACULTY,)
    context = _launch(*roles)
    service = _service()
    found = service.submission(context.course_pk, assessment_id)
    data = service.assessments.version_of(found.assessment).data
    form_class = grading_form_for(data)
    if request.method == "GET":
        form = form_class(formdata=None, launch_id=context.launch_id,
                          data=initial(found.assessment, data))
        return _page(context, service, found, form, data), 200
    form = form_class(request.form, launch_id=context.launch_id)
    if not form.csrf_token.validate(form):
        raise RubricError(EXPIRED, check="csrf")
    if found.assessment.status not in GRADABLE:
        raise RubricError(f"this submission is {STATUS_LABELS[found.assessment.status]}; "
                          "it cannot be graded now", status=409, check="status")
    action = request.form.get("action", "draft")
    messages: dict[str, str] = {}
    if not form.validate():
        messages.update({name: " ".join(errors) for name, errors in form.errors.items()})
    if action == "release":
        for criterion in document.faculty_criteria(data):
            if not form.choices().get(str(criterion["id"])):
                messages[level_field(str(criterion["id"]))] = (
                    f"Choose a level for {criterion['title']} before releasing.")
    if action == "return" and not (form.message.data or "").strip():
        messages["message"] = "Write what the resident should revise."
    if messages:
        return _page(context, service, found, form, data, messages=messages), 422
    grader = context.user_pk
    try:
        if action == "return":
            service.return_for_revision(found.assessment, form.message.data or "", grader)
        else:
            service.save(found.assessment, form.choices(), form.comments(),
                         form.feedback.data or "", grader, release=action == "release")
    except RubricError as exc:
        return _page(context, service, found, form, data, failure=exc.message), exc.status
    saved = action if action in SAVED_WORDS else "draft"
    return redirect(url_for(".grade", assessment_id=assessment_id, saved=saved,
                            lt=g.launch_token), code=303)


def _page(context: LaunchContext, service: GradingService, found: Submission,
          form: GradingForm, data: dict[str, Any], *, messages: dict[str, str] | None = None,
          failure: str | None = None) -> str:
    package = load_catalogue(settings().extra_pods_path).package(found.placement.pod_slug)
    score = service.assessments.score_of(found.assessment)
    editable = context.role == ROLE_FACULTY and found.assessment.status in GRADABLE
    return render_template(
        "rubrics/grading_page.html", context=context, found=found, pod=package.metadata,
        sections=read_submission(package, found.attempt.answers), rubric=data,
        points={c.criterion_id: c for c in score.criteria}, score=score, form=form,
        messages=messages or {}, failure=failure, editable=editable,
        status_label=STATUS_LABELS.get(found.assessment.status, found.assessment.status),
        delivery=delivery_status(db_session(), found.attempt.id),
        saved=SAVED_WORDS.get(request.args.get("saved", "")), lt=g.launch_token)
