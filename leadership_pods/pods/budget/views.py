"""The budget grid's endpoints, under ``/pods/<slug>/budget``: evaluate a plan, play a move in
the CFO negotiation, download the plan as an Excel workbook and read an uploaded one. None of
them stores anything: the answer lives in the page and reaches the attempt through the
player's autosave, whose hook (:func:`.plugin.clean`) replays and checks it. An uploaded
workbook is only compared with the grid's plan; the page applies it when the resident says so.

Only the launch's own pod is reachable (faculty and administrators may try any budget pod,
as in the preview; nothing here stores anything). Every error is JSON with a plain
``message``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from ...lti_tool.claims import LaunchContext
from ...lti_tool.errors import LtiError
from ...web.scope import current_launch, db_session, settings
from ..attempts import AttemptService
from ..catalogue import load_catalogue
from ..errors import PodError, PodNotFound
from ..simulations import register
from .errors import BudgetError, UnsafePlan
from .model import baseline, evaluate
from .negotiation import MAX_ROUNDS, Negotiation
from .plan import Plan
from .plugin import NAME, PLUGIN, SCENARIO, BudgetAnswer, play, read_answer
from .presentation import (
    OUTCOME_TEXT,
    STATUS_HELP,
    STATUS_TEXT,
    baseline_lines_json,
    gap_text,
    grid_money,
    grid_number,
    lever_groups,
    result_json,
    unjustified,
)
from .workbook import export_workbook, plan_differences, read_workbook

log = logging.getLogger(__name__)

blueprint = Blueprint("budget", __name__, url_prefix="/pods/<slug>/budget",
                      template_folder="templates")
blueprint.record_once(lambda state: register(PLUGIN))

#: a plan with every lever justified at length is about 40 KB
MAX_PLAN_BYTES = 64 * 1024
#: an answer with a negotiation holds up to five plans
MAX_CFO_BYTES = 256 * 1024
#: an uploaded workbook (the downloaded one is about 20 KB), and the form around it
MAX_WORKBOOK_BYTES = 2_000_000
MAX_UPLOAD_BYTES = MAX_WORKBOOK_BYTES + MAX_PLAN_BYTES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(slug: str) -> LaunchContext:
    """The launch, if it may use this pod's budget grid (raises ``PodNotFound`` otherwise)."""
    context = current_launch()
    package = load_catalogue(settings().extra_pods_path).package(slug)
    if package.metadata.simulation != NAME:
        raise PodNotFound("this pod has no budget simulation")
    if not context.is_faculty and context.pod_slug != slug:
        raise PodNotFound("this pod is not the one placed at the link you opened")
    return context


def _saved_plan(session: Session, context: LaunchContext, slug: str) -> Plan:
    """The plan in the resident's saved answer; today's budget when there is none (faculty
    previewing, or an attempt not started)."""
    if context.pod_slug != slug or context.resource_link_id is None or context.is_faculty:
        return Plan()
    service = AttemptService(session)
    attempt = service.find(service.placement(context, slug, context.resource_link_title),
                           context.user_pk)
    if attempt is None:
        return Plan()
    package = load_catalogue(settings().extra_pods_path).package(slug)
    section = next(s.ref.id for s in package.sections if s.ref.type == "simulation")
    try:
        return read_answer(attempt.answers.get(section) or {}).plan
    except BudgetError as exc:  # stored answers were cleaned: only a changed scenario lands here
        log.warning("a stored budget answer no longer reads: %s", exc.message)
        return Plan()


def _json_body(limit: int) -> Mapping[str, Any]:
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    request.max_content_length = limit
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise PodError("send a JSON object", check="invalid")
    return data


def _reply(body: Mapping[str, Any], status: int = 200) -> tuple[Response, int]:
    response = jsonify(body)
    if "launch_token" in g:
        response.headers["X-Launch-Token"] = g.launch_token
    return response, status


@blueprint.errorhandler(BudgetError)
def budget_error(exc: BudgetError) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": type(exc).__name__, "message": exc.message}
    if isinstance(exc, UnsafePlan):
        body["error"] = "unsafe"
        body["refusals"] = [{"lever_id": r.lever_id, "reason": r.reason} for r in exc.refusals]
    lever_id = getattr(exc, "lever_id", None)
    if lever_id:
        body["lever_id"] = lever_id
    return _reply(body, exc.status)


@blueprint.errorhandler(LtiError)
def launch_error(exc: LtiError) -> tuple[Response, int]:
    return _reply({"error": exc.check, "message": exc.message}, exc.status)


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
    return _reply({"error": "too_large", "message": "This request is larger than the budget "
                   "simulation accepts."}, 413)


@blueprint.post("/evaluate")
def evaluate_plan(slug: str) -> tuple[Response, int]:
    """``{"plan": plan}`` -> ``{"result": ...}`` (see :func:`.presentation.result_json`: the
    lines that differ from the baseline, the totals, margin against target, quality against
    floors; the grid keeps the plan it sent); 409 with ``refusals`` for an unsafe plan, 422 for an
    invalid one."""
    _scope(slug)
    data = _json_body(MAX_PLAN_BYTES)
    plan = Plan.from_json(data.get("plan", data), SCENARIO)
    return _reply({"result": result_json(SCENARIO, evaluate(SCENARIO, plan))})


@blueprint.post("/cfo")
def cfo(slug: str) -> tuple[Response, int]:
    """``{"answer": {plan, negotiation}, "move": {"type": ...}}`` -> the new answer, the
    negotiation's state and transcript, and the evaluated plan."""
    context = _scope(slug)
    data = _json_body(MAX_CFO_BYTES)
    answer, move = data.get("answer"), data.get("move")
    if not isinstance(answer, dict) or not isinstance(move, dict):
        raise PodError("send the simulation's answer and a move", check="invalid")
    budget = play(read_answer(answer), move)
    assert budget.negotiation is not None
    log.info("budget negotiation on launch %s: %s, round %s", context.launch_id,
             move.get("type"), budget.negotiation.rounds)
    result = evaluate(SCENARIO, budget.plan)
    return _reply({**negotiation_json(budget.negotiation), "answer": budget.to_json(),
                   "result": result_json(SCENARIO, result)})


@blueprint.get("/download.xlsx")
def download(slug: str) -> Response:
    """The saved plan as an Excel workbook with live formulas."""
    context = _scope(slug)
    data = export_workbook(SCENARIO, _saved_plan(db_session(), context, slug))
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-budget.xlsx"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/upload")
def upload(slug: str) -> tuple[Response, int]:
    """Multipart ``workbook`` (the file) and ``plan`` (the grid's plan, JSON) -> the uploaded
    plan, what applying it would change and its evaluation. Nothing is applied here."""
    _scope(slug)
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        raise RequestEntityTooLarge()
    request.max_content_length = MAX_UPLOAD_BYTES
    upload = request.files.get("workbook")
    if upload is None or not upload.filename:
        raise PodError("choose the workbook to upload", check="invalid")
    before = Plan.from_json(_json_field(request.form.get("plan")), SCENARIO)
    after = read_workbook(upload.read(MAX_WORKBOOK_BYTES + 1), SCENARIO,
                          max_bytes=MAX_WORKBOOK_BYTES)
    differences = plan_differences(SCENARIO, before, after)
    result = evaluate(SCENARIO, after)
    return _reply({
        "plan": after.to_json(), "result": result_json(SCENARIO, result),
        "margin_before": f"{evaluate(SCENARIO, before).totals.operating_margin:f}",
        "margin_after": f"{result.totals.operating_margin:f}",
        "differences": [{
            "lever_id": d.lever_id, "label": d.label, "unit": d.unit,
            "old_value": f"{d.old_value:f}", "new_value": f"{d.new_value:f}",
            "old_justification": d.old_justification, "new_justification": d.new_justification,
            "old_recurring": d.old_recurring, "new_recurring": d.new_recurring}
            for d in differences]})


def _json_field(text: str | None) -> Any:
    if not text:
        return {"levers": {}}
    try:
        return json.loads(text)
    except ValueError:
        raise PodError("the grid's plan is not valid JSON; reload the page", check="invalid") \
            from None


def negotiation_json(negotiation: Negotiation) -> dict[str, Any]:
    """The negotiation for the CFO panel: the stored record and where it stands."""
    turn = negotiation.turn
    return {"negotiation": negotiation.to_json(), "transcript": negotiation.transcript(),
            "round": negotiation.rounds, "max_rounds": MAX_ROUNDS,
            "concluded": negotiation.concluded, "plan": negotiation.plan.to_json(),
            "outcome": negotiation.outcome.value if negotiation.outcome else None,
            "outcome_text": OUTCOME_TEXT[negotiation.outcome] if negotiation.outcome else None,
            "objections": [o.to_json() for o in turn.objections],
            "counter_offer": turn.counter_offer.to_json() if turn.counter_offer else None}


@blueprint.app_template_global()
def budget_grid(answer: Mapping[str, Any] | None) -> dict[str, Any]:
    """What ``budget/grid.html`` renders for a stored answer."""
    problem = None
    try:
        budget = read_answer(answer or {})
    except BudgetError as exc:  # stored answers were cleaned: only a changed scenario lands here
        log.warning("a stored budget answer no longer reads: %s", exc.message)
        budget, problem = BudgetAnswer(Plan()), exc.message
    result = evaluate(SCENARIO, budget.plan)
    return {"scenario": SCENARIO, "groups": lever_groups(SCENARIO), "plan": budget.plan,
            "result": result, "baseline": baseline(SCENARIO), "answer": budget.to_json(),
            "gap": gap_text(result), "problem": problem,
            "baseline_lines": baseline_lines_json(SCENARIO),
            "unjustified_labels": [SCENARIO.lever(lid).label for lid in unjustified(budget.plan)],
            "negotiation": negotiation_json(budget.negotiation) if budget.negotiation else None,
            "max_rounds": MAX_ROUNDS, "status_text": STATUS_TEXT, "status_help": STATUS_HELP}


blueprint.add_app_template_filter(grid_money, "grid_money")
blueprint.add_app_template_filter(grid_number, "grid_number")
