"""Pod pages reached from a launch: course home, overview, the player, autosave, submit.

Every lookup goes through the launch: a resident's attempt is found from the launch's
placement and user, never from an id the browser sends, so tampered ids reach nothing.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from ..lti_tool.claims import LaunchContext
from ..lti_tool.errors import AccessDenied
from ..passport_sync import enqueue_score
from ..rubrics.assessments import AssessmentService
from ..rubrics.models import STATUS_RELEASED
from ..web.forms import LaunchForm
from ..web.scope import current_launch, db_connection, db_session, settings
from .answers import WORDS_PER_MINUTE, case_end, word_count
from .attempts import AttemptService, SaveConflict, progress, section_of
from .autosave import Autosaves
from .catalogue import load_catalogue
from .errors import PodError, PodNotFound
from .models import STATUS_SUBMITTED, Attempt, Placement
from .rendering import render_markdown
from .simulations import plugin_for
from .validation_model import PodPackage

blueprint = Blueprint("pods", __name__, url_prefix="/pods", template_folder="templates")

MAX_SAVE_BYTES = 256 * 1024


@blueprint.app_template_filter("markdown")
def markdown_filter(text: str | None) -> Any:
    return render_markdown(text)


@blueprint.app_template_global()
def words(text: str | None) -> int:
    return word_count(text or "")


def _package(slug: str) -> PodPackage:
    context = current_launch()
    package = load_catalogue(settings().extra_pods_path).package(slug)
    if not context.is_faculty and context.pod_slug != slug:
        raise PodNotFound("this pod is not the one placed at the link you opened")
    return package


def _resident_attempt(slug: str, *, create: bool = False) -> tuple[
        LaunchContext, PodPackage, Placement, Attempt | None]:
    package = _package(slug)
    context = current_launch()
    if context.pod_slug != slug:
        raise PodNotFound("this pod is not the one placed at the link you opened")
    service = AttemptService(db_session())
    placement = service.placement(context, slug, context.resource_link_title)
    attempt = service.find(placement, context.user_pk)
    if attempt is None and create:
        attempt = service.start(placement, context.user_pk, package.sections[0].ref.id)
    return context, package, placement, attempt


@blueprint.get("/")
def course_home() -> str:
    context = current_launch()
    pods = load_catalogue(settings().extra_pods_path).pods
    return render_template("pods/course_home.html", context=context, pods=pods,
                           lt=g.launch_token)


@blueprint.get("/<slug>")
def overview(slug: str) -> str:
    package = _package(slug)
    context: LaunchContext = g.launch
    attempt, placement, done = None, None, {}
    if context.pod_slug == slug and context.resource_link_id:
        _, _, placement, attempt = _resident_attempt(slug)
        done = progress(package, attempt.answers) if attempt else {}
    return render_template("pods/overview.html", context=context, pod=package.metadata,
                           package=package, attempt=attempt, placement=placement, done=done,
                           form=LaunchForm(launch_id=context.launch_id), lt=g.launch_token)


@blueprint.post("/<slug>/start")
def start(slug: str) -> WerkzeugResponse:
    context = current_launch()
    form = LaunchForm(request.form, launch_id=context.launch_id)
    if not form.validate():
        raise PodError("this page has expired; reload it and try again", check="csrf")
    if context.role != "resident":
        raise AccessDenied("only residents start attempts; faculty can preview the pod")
    _, package, _, attempt = _resident_attempt(slug, create=True)
    assert attempt is not None
    position = attempt.position or package.sections[0].ref.id
    return redirect(url_for("pods.section", slug=slug, section_id=position, lt=g.launch_token),
                    code=303)


def _player(slug: str, section_id: str, package: PodPackage, attempt: Attempt | None,
            placement: Placement | None, *, preview: bool) -> str:
    section = section_of(package, section_id)
    answers = attempt.answers if attempt else {}
    done = progress(package, answers)
    ids = [s.ref.id for s in package.sections]
    index = ids.index(section_id)
    answer = answers.get(section_id) or {}
    case_state = None
    if section.ref.type == "branching-case":
        current, outcome = case_end(section.content, answer.get("path", []))  # type: ignore[arg-type]
        case_state = {"current": current, "outcome": outcome}
    overrides = placement.video_overrides if placement else {}
    plugin = plugin_for(package.metadata.simulation) if section.ref.type == "simulation" else None
    readonly = preview or attempt is None or attempt.status == STATUS_SUBMITTED
    return render_template(
        "pods/player.html", context=g.launch, pod=package.metadata, package=package,
        section=section, content=section.content, answer=answer, done=done,
        attempt=attempt, index=index, previous=ids[index - 1] if index else None,
        next=ids[index + 1] if index + 1 < len(ids) else None, preview=preview,
        readonly=readonly, case_state=case_state, plugin=plugin,
        video_url=overrides.get(section_id), placement=placement,
        words_per_minute=WORDS_PER_MINUTE, lt=g.launch_token,
    )


@blueprint.get("/<slug>/s/<section_id>")
def section(slug: str, section_id: str) -> str:
    _, package, placement, attempt = _resident_attempt(slug)
    if attempt is None:
        raise PodError("start the pod from its overview first", check="attempt", status=404)
    return _player(slug, section_id, package, attempt, placement, preview=False)


@blueprint.get("/<slug>/preview/<section_id>")
def preview(slug: str, section_id: str) -> str:
    context = current_launch("faculty", "administrator")
    package = load_catalogue(settings().extra_pods_path).package(slug)
    placement = None
    if context.pod_slug == slug and context.resource_link_id:
        placement = AttemptService(db_session()).placement(context, slug,
                                                           context.resource_link_title)
    return _player(slug, section_id, package, None, placement, preview=True)


@blueprint.post("/<slug>/save")
def save(slug: str) -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_SAVE_BYTES:
        return jsonify({"error": "too_large", "message": "this save is larger than "
                        f"{MAX_SAVE_BYTES // 1024} KB; shorten the answer"}), 413
    context = current_launch()
    package = _package(slug)
    payload = request.get_json(silent=True)
    if payload is None:
        return jsonify({"error": "invalid", "message": "the save is not valid JSON"}), 400
    autosaves = Autosaves(db_connection())
    attempt = (autosaves.attempt_for(context)
               if context.role == "resident" and context.pod_slug == slug else None)
    if attempt is None:
        return jsonify({"error": "no_attempt", "message": "start the pod first"}), 404
    try:
        result = autosaves.save(attempt, package, payload)
    except SaveConflict as exc:
        return jsonify({"error": "conflict", "message": exc.message,
                        "version": exc.version}), 409
    except PodError as exc:
        return jsonify({"error": exc.check, "message": exc.message}), exc.status
    response = jsonify({
        "version": result.version, "saved_at": result.saved_at.isoformat(),
        "section_complete": result.section_complete, "completed": result.completed,
        "total": result.total})
    response.headers["X-Launch-Token"] = g.launch_token
    return response, 200


@blueprint.route("/<slug>/submit", methods=["GET", "POST"])
def submit(slug: str) -> str | WerkzeugResponse:
    context, package, placement, attempt = _resident_attempt(slug)
    if attempt is None:
        raise PodError("start the pod from its overview first", check="attempt", status=404)
    form = LaunchForm(request.form, launch_id=context.launch_id)
    if request.method == "POST" and attempt.status != STATUS_SUBMITTED:
        if not form.validate():
            raise PodError("this page has expired; reload it and try again", check="csrf")
        session = db_session()
        AttemptService(session).submit(attempt, package)
        # scored and the LMS told "submitted, waiting for faculty", in this one transaction
        AssessmentService(session, load_catalogue(settings().extra_pods_path)).on_submit(
            attempt, package)
        enqueue_score(session, attempt_id=attempt.id, activity_progress="Submitted",
                      grading_progress="PendingManual", launch=context)
        return redirect(url_for("pods.submit", slug=slug, lt=g.launch_token), code=303)
    return render_template("pods/submit.html", context=context, pod=package.metadata,
                           package=package, attempt=attempt, done=progress(package,
                                                                           attempt.answers),
                           placement=placement, form=form, lt=g.launch_token)


@blueprint.get("/<slug>/result")
def result(slug: str) -> str:
    """The resident's released score: the rubric with the levels given, points, comments
    and feedback. Before release it says so and shows nothing of a draft."""
    context, package, _, attempt = _resident_attempt(slug)
    if attempt is None or context.role != "resident":
        raise PodError("there is no submission of yours here yet", check="attempt", status=404)
    service = AssessmentService(db_session(), load_catalogue(settings().extra_pods_path))
    assessment = service.for_attempt(attempt)
    released = assessment is not None and assessment.status == STATUS_RELEASED
    score, data = None, None
    if released and assessment is not None:
        score, data = service.score_of(assessment), service.version_of(assessment).data
    return render_template("pods/result.html", context=context, pod=package.metadata,
                           attempt=attempt, assessment=assessment if released else None,
                           score=score, rubric=data,
                           points={c.criterion_id: c for c in score.criteria} if score else {},
                           lt=g.launch_token)


@blueprint.get("/<slug>/rubric")
def rubric(slug: str) -> str:
    """The rubric residents are scored with: the course's current version once the course
    has one (saved versions only; the editor's unsaved changes never show), else the
    package's."""
    from ..rubrics.document import to_rubric
    from ..rubrics.versions import RubricService

    package = _package(slug)
    context: LaunchContext = g.launch
    version = (RubricService(db_session(), load_catalogue(settings().extra_pods_path))
               .find_current(slug, context.course_pk) if context.course_pk else None)
    shown = to_rubric(version.data) if version else package.rubric
    return render_template("pods/rubric.html", context=context, pod=package.metadata,
                           rubric=shown, criteria=shown.criteria, lt=g.launch_token)


@blueprint.get("/<slug>/asset/<path:path>")
def asset(slug: str, path: str) -> Response:
    """A pod package's caption file (WebVTT); nothing else in a package is served."""
    package = _package(slug)
    root = package.path.resolve()
    target = (root / path).resolve()
    if target.suffix != ".vtt" or not target.is_relative_to(root) or not target.is_file():
        raise PodNotFound("there is no such caption file in this pod")
    return send_file(target, mimetype="text/vtt", max_age=3600)
