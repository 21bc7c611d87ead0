"""The rubric editor from LTI launches: faculty add, remove and reorder criteria and levels,
see each problem next to its field, and, for a rubric already used, choose what happens
to the graded attempts; administrators only look; residents are refused."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt
from leadership_pods.rubrics.assessments import AssessmentService
from leadership_pods.rubrics.models import Assessment, RubricAudit, RubricVersion
from tests.integration.test_faculty_pages import (
    csrf,
    faculty,
    field_error,
    get,
    launch,
    post,
    resident,
    save,
    start,
    text,
)
from tests.support.answers import complete_answers
from tests.support.platform import TOOL_BASE_URL

POD = "governance"
EDITOR = f"/rubrics/{POD}"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


class _Fields(HTMLParser):
    """What a browser would post from the editor's form: every named control's value."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "/rubrics/" in (a.get("action") or ""):
            self._in_form = True
        if not self._in_form or not a.get("name"):
            if tag == "option" and self._select and "selected" in a:
                self.pairs.append((self._select, a.get("value") or ""))
            return
        if tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "input":
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.pairs.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]

    def handle_data(self, data):
        if self._textarea:
            name, value = self.pairs[-1]
            self.pairs[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def plain(response) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split()).replace(" :", ":")


def focused(response) -> str:
    """The id of the one control the page focuses (autofocus)."""
    (tag,) = re.findall(r"<[^>]*\bautofocus\b[^>]*>", text(response))
    return re.search(r'\bid="([^"]+)"', tag).group(1)


def fields(page: str) -> list[tuple[str, str]]:
    reader = _Fields()
    reader.feed(page)
    return reader.pairs


def change(pairs, **values) -> list[tuple[str, str]]:
    """The form with fields changed (name with '-' written as '__'); None removes a field."""
    wanted = {k.replace("__", "-"): v for k, v in values.items()}
    changed = [(n, wanted[n]) for n, _ in pairs if n in wanted and wanted[n] is not None]
    changed = [(n, v) for n, v in pairs if n not in wanted] + changed
    present = {n for n, _ in pairs}
    changed += [(n, v) for n, v in wanted.items() if n not in present and v is not None]
    return changed


def press(client, pairs, action: str, pod: str = POD):
    return client.post(f"/rubrics/{pod}", data=MultiDict([*pairs, ("action", action)]),
                       base_url=TOOL_BASE_URL)


def editor_page(client, lt: str) -> str:
    response = get(client, EDITOR, lt)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return response.get_data(as_text=True)


def versions(session) -> list[RubricVersion]:
    session.expire_all()
    return list(session.scalars(select(RubricVersion).order_by(RubricVersion.number)))


def criterion_ids(version: RubricVersion) -> list[str]:
    return [c["id"] for c in version.data["criteria"]]


# -- editing ------------------------------------------------------------------------------
def test_faculty_open_version_1_and_the_overview_links_to_it(client, platform, session):
    lt = faculty(client, platform)
    assert "Edit the rubric" in text(get(client, f"/pods/{POD}", lt))
    page = text(get(client, EDITOR, lt))
    assert "Rubric for Governance" in page and "Residents see version 1" in page
    assert 'value="Governance and procedure knowledge"' in page
    assert "Save as version 2" in page
    assert "graded attempts" not in page  # nothing to choose for an unused rubric
    history = text(get(client, f"{EDITOR}/history", lt))
    assert "Version 1 copied from the pod package's rubric." in history
    assert [v.number for v in versions(session)] == [1]


def test_add_fill_in_and_save_a_criterion(client, platform, session):
    lt = faculty(client, platform)
    pairs = fields(editor_page(client, lt))
    added = press(client, pairs, "add-criterion")
    assert added.status_code == 200
    page = text(added)
    assert "Criterion 6 added. Nothing is saved until you choose Save." in page
    assert focused(added) == "criteria-5-title"
    assert 'value="criterion-1"' in page and "The preview appears once the rubric is complete." in page
    pairs = fields(added.get_data(as_text=True))
    pairs = change(pairs, criteria__5__title="Reflection", criteria__5__points="10",
                   criteria__5__description="Names what they would do differently.",
                   criteria__5__levels__0__label="Complete", criteria__5__levels__0__points="10",
                   criteria__5__competencies="leadership")
    pairs = fields(press(client, pairs, "add-level-5").get_data(as_text=True))
    pairs = change(pairs, criteria__5__levels__1__label="Thin",
                   criteria__5__levels__1__points="4")
    preview = press(client, pairs, "preview")
    assert preview.status_code == 422
    assert field_error(text(preview), "criteria-5-levels-1-points") == (
        "Must be worth more than the level before it (10 points); order levels from lowest to "
        "highest.")
    moved = press(client, fields(preview.get_data(as_text=True)), "up-level-5-1")
    page = plain(moved)
    assert "Moved Thin up; it is now level 1." in page
    assert focused(moved) == "down-level-5-0"
    assert "Added: Reflection — 10 points, scored by faculty" in page  # the changes
    assert "Reflection (10 points, scored by faculty)" in page  # the preview
    pairs = change(fields(moved.get_data(as_text=True)), note="Reflection counts now")
    saved = press(client, pairs, "save")
    assert saved.status_code == 303, text(saved)[-2000:]
    assert parse_qs(urlsplit(saved.headers["Location"]).query)["saved"] == ["2"]
    after = text(client.get(saved.headers["Location"], base_url=TOOL_BASE_URL))
    assert "Version 2 saved." in after and "Residents see version 2" in after
    latest = versions(session)[-1]
    assert latest.number == 2 and latest.note == "Reflection counts now"
    assert latest.data["criteria"][-1] == {
        "id": "criterion-1", "title": "Reflection", "points": 10, "scoring": "faculty",
        "metric": None, "description": "Names what they would do differently.",
        "competencies": ["leadership"], "levels": [
            {"id": "level-2", "label": "Thin", "points": 4, "descriptor": "", "min": None},
            {"id": "level-1", "label": "Complete", "points": 10, "descriptor": "", "min": None}]}


def test_reorder_and_remove_criteria_then_save(client, platform, session):
    lt = faculty(client, platform)
    pairs = fields(editor_page(client, lt))
    original = criterion_ids(versions(session)[0])
    moved = press(client, pairs, "down-criterion-0")
    assert "Moved “Governance and procedure knowledge” down; it is now criterion 2." in text(moved)
    removed = press(client, fields(moved.get_data(as_text=True)), "remove-criterion-4")
    assert "Removed “Minutes: procedural accuracy and a fair record”." in text(removed)
    page = plain(removed)
    assert "Criteria reordered." in page
    assert "Removed: Minutes: procedural accuracy and a fair record — 20 points" in page
    saved = press(client, fields(removed.get_data(as_text=True)), "save")
    assert saved.status_code == 303
    assert criterion_ids(versions(session)[-1]) == [original[1], original[0], *original[2:4]]
    history = text(get(client, f"{EDITOR}/history", lt))
    assert "Dr Faye Faculty" in history
    assert ("Saved version 2 (replacing version 1). Criteria reordered. Removed criterion "
            "'Minutes: procedural accuracy and a fair record' (20 points).") in history


def test_an_unchanged_rubric_is_not_saved_again(client, platform, session):
    lt = faculty(client, platform)
    response = press(client, fields(editor_page(client, lt)), "save")
    assert response.status_code == 400
    assert "The rubric is the same as version 1; change something before saving." in text(response)
    assert len(versions(session)) == 1


# -- validation: every message next to its field --------------------------------------------
MESSAGES = [
    ({"title": ""}, "title", "Give the rubric a title."),
    ({"pass_mark": "most"}, "pass_mark", "Give the pass mark as a number."),
    ({"pass_mark": "120"}, "pass_mark", "The pass mark is a percentage from 0 to 100."),
    ({"criteria__2__id": ""}, "criteria-2-id", "Give the criterion a short id."),
    ({"criteria__2__id": "Decision Memo"}, "criteria-2-id",
     "Use only a-z, 0-9 and '-' in the id, at most 60 characters (found 'Decision Memo')."),
    ({"criteria__2__id": "governance-knowledge"}, "criteria-2-id",
     "Another criterion already has the id 'governance-knowledge'; each id must be unique."),
    ({"criteria__2__title": " "}, "criteria-2-title", "Give the criterion a title."),
    ({"criteria__2__points": "lots"}, "criteria-2-points", "Give the points as a whole number."),
    ({"criteria__2__points": ""}, "criteria-2-points", "Give the points as a whole number."),
    ({"criteria__2__points": "-25"}, "criteria-2-points", "Points cannot be negative."),
    ({"criteria__2__scoring": None}, "criteria-2-scoring",
     "Choose whether the criterion is scored automatically or by faculty."),
    ({"criteria__0__metric": ""}, "criteria-0-metric",
     "An automatic criterion needs a metric this pod provides: case_outcome, "
     "case_tags_covered, knowledge_check_percent."),
    ({"criteria__0__metric": "margin_vs_target"}, "criteria-0-metric",
     "'margin_vs_target' is not a metric this pod provides; choose one of: case_outcome, "
     "case_tags_covered, knowledge_check_percent."),
    ({"criteria__2__competencies": "charisma"}, "criteria-2-competencies",
     "'charisma' is not an AMA competency."),
    ({"criteria__2__levels__1__id": "beginning"}, "criteria-2-levels-1-id",
     "Another level of this criterion already has the id 'beginning'; each id must be unique."),
    ({"criteria__2__levels__1__label": ""}, "criteria-2-levels-1-label",
     "Give the level a label."),
    ({"criteria__2__levels__0__points": "-9"}, "criteria-2-levels-0-points",
     "Points cannot be negative."),
    ({"criteria__2__levels__2__points": "12"}, "criteria-2-levels-2-points",
     "Must be worth more than the level before it (16 points); order levels from lowest to "
     "highest."),
    ({"criteria__2__levels__3__points": "24"}, "criteria-2-levels-3-points",
     "The top level must be worth the criterion's 25 points (it is worth 24)."),
    ({"criteria__0__levels__1__min": "half"}, "criteria-0-levels-1-min",
     "Give the metric needed as a whole number from 0 to 100, or leave it empty."),
    ({"criteria__0__levels__1__min": "150"}, "criteria-0-levels-1-min",
     "The metric needed is a percentage from 0 to 100."),
    ({"criteria__0__levels__1__min": "50", "criteria__0__levels__2__min": "40"},
     "criteria-0-levels-2-min", "Must need a higher metric than the level before it (50)."),
    ({"criteria__2__levels__1__min": "50"}, "criteria-2-levels-1-min",
     "Only automatically scored criteria use a metric threshold; leave it empty."),
]


@pytest.mark.parametrize(("values", "field_id", "message"), MESSAGES,
                         ids=[f"{m[1]}:{m[2][:30]}" for m in MESSAGES])
def test_each_problem_is_shown_next_to_its_field(client, platform, session, values, field_id,
                                                 message):
    lt = faculty(client, platform)
    response = press(client, change(fields(editor_page(client, lt)), **values), "save")
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, field_id) == message
    assert f'<a href="#{field_id}">' in page and "Nothing was saved" in page
    assert len(versions(session)) == 1


def test_list_problems_are_shown_on_the_list(client, platform, session):
    lt = faculty(client, platform)
    pairs = fields(editor_page(client, lt))
    no_levels = [(n, v) for n, v in pairs if not n.startswith("criteria-2-levels-")]
    page = text(press(client, no_levels, "preview"))
    assert field_error(page, "criteria-2-levels") == "Add at least one level."
    no_criteria = [(n, v) for n, v in pairs if not n.startswith("criteria-")]
    response = press(client, no_criteria, "save")
    assert response.status_code == 422
    assert field_error(text(response), "criteria") == "Add at least one criterion."
    zero = [(n, v) for n, v in pairs if not re.match(r"criteria-[1-4]-|criteria-0-levels-[1-3]-", n)]
    zero = change(zero, criteria__0__points="0", criteria__0__levels__0__points="0")
    assert field_error(text(press(client, zero, "save")), "criteria") == (
        "The criteria add up to 0 points; a rubric needs criteria worth more than 0.")
    assert len(versions(session)) == 1


# -- who may do what ------------------------------------------------------------------------
def test_a_post_without_the_launchs_csrf_token_is_refused(client, platform, session):
    lt = faculty(client, platform)
    pairs = change(fields(editor_page(client, lt)), title="Changed")
    for token in (None, "forged"):
        forged = change(pairs, csrf_token=token)
        for action in ("save", "add-criterion"):
            response = press(client, forged, action)
            assert response.status_code == 400
            assert "This page has expired" in text(response)
    other = faculty(client, platform)  # another launch: its own token
    stolen = change(pairs, lt=other)
    assert press(client, stolen, "save").status_code == 400
    assert len(versions(session)) == 1


def test_residents_are_refused_everything(client, platform, session):
    lt = resident(client, platform, "resident-a", "Ana Resident")
    for path in (EDITOR, f"{EDITOR}/history"):
        assert get(client, path, lt).status_code == 403
    response = post(client, EDITOR, {"lt": lt, "action": "save", "title": "Mine"})
    assert response.status_code == 403
    assert "Edit the rubric" not in text(get(client, f"/pods/{POD}", lt))
    assert versions(session) == []


def test_administrators_may_look_but_not_change(client, platform, session):
    lt_faculty = faculty(client, platform)
    press(client, change(fields(editor_page(client, lt_faculty)), title="Governance 2026"), "save")
    lt = launch(client, platform, role=ADMIN, sub="admin-1", name="Ada Admin")
    page = text(get(client, EDITOR, lt))
    assert "Version 2. You can view it; only faculty of the course can change it." in page
    assert "Governance 2026." in page and 'name="action"' not in page and "<form" not in page
    assert "Saved version 2" in text(get(client, f"{EDITOR}/history", lt))
    response = post(client, EDITOR, {"lt": lt, "csrf_token": "x", "action": "save"})
    assert response.status_code == 403
    assert len(versions(session)) == 2


def test_residents_see_the_saved_version_never_the_unsaved_one(client, platform, session):
    lt = faculty(client, platform)
    lt_resident = resident(client, platform, "resident-a", "Ana Resident")
    assert "Governance: chairing a contested committee decision" in text(
        get(client, f"/pods/{POD}/rubric", lt_resident))
    pairs = change(fields(editor_page(client, lt)), title="Governance, unsaved",
                   criteria__2__title="Memo")
    assert press(client, pairs, "preview").status_code == 200
    assert "Governance, unsaved" not in text(get(client, f"/pods/{POD}/rubric", lt_resident))
    assert press(client, change(pairs, title="Governance, saved"), "save").status_code == 303
    page = text(get(client, f"/pods/{POD}/rubric", lt_resident))
    assert "Governance, saved." in page and "Memo" in page


# -- a rubric already used: the three choices -----------------------------------------------
def submit_attempt(client, platform, app, sub: str) -> Assessment:
    """A resident's attempt, done through the player and submitted, then scored."""
    lt = resident(client, platform, sub, sub.title())
    start(client, lt)
    package = load_catalogue().package(POD)
    version = 0
    for section_id, answer in complete_answers(package).items():
        version = save(client, lt, version, section_id, answer)
    review = get(client, f"/pods/{POD}/submit", lt).get_data(as_text=True)
    assert post(client, f"/pods/{POD}/submit", {"lt": lt, "csrf_token": csrf(review)}
                ).status_code == 303
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        attempt = s.scalar(select(Attempt).order_by(Attempt.id.desc()))
        assert attempt.status == "submitted"
        return AssessmentService(s).on_submit(attempt, package)


TOP = {"decision-memo": "exemplary", "integrity-dissent": "exemplary",
       "minutes-accuracy": "exemplary"}


def used_rubric(client, platform, app):
    """Two graded attempts on version 1: one released (full marks), one awaiting grading."""
    released = submit_attempt(client, platform, app, "resident-a")
    waiting = submit_attempt(client, platform, app, "resident-b")
    with app.extensions["leadership_pods"]["db"].transaction() as s:
        service = AssessmentService(s)
        a = s.get(Assessment, released.id)
        service.save_draft(a, TOP, {}, "Well run.", 1)
        service.release(a, 1)
    return released.id, waiting.id


def edit_used_rubric(client, platform, app):
    """Faculty raise the committee-leadership criterion to 30 points and reword the
    decision memo's top level; returns the launch, the form and the assessment ids."""
    ids = used_rubric(client, platform, app)
    lt = faculty(client, platform)
    page = text(get(client, EDITOR, lt))
    assert "2 graded attempts used version 1 (1 awaiting grading, 1 released)." in page
    pairs = change(fields(editor_page(client, lt)), criteria__1__points="30",
                   criteria__1__levels__3__points="30",
                   criteria__2__levels__3__descriptor="A memo the MEC can act on at once.")
    refused = press(client, pairs, "save")
    assert refused.status_code == 422
    assert field_error(text(refused), "choice") == "Choose what happens to the 2 graded attempts."
    return lt, pairs, ids


def assessments(session, ids):
    session.expire_all()
    return [session.get(Assessment, i) for i in ids]


def version_number(session, assessment) -> int:
    return session.get(RubricVersion, assessment.rubric_version_id).number


def test_keep_leaves_graded_attempts_on_their_version(client, platform, app, session):
    lt, pairs, ids = edit_used_rubric(client, platform, app)
    assert press(client, change(pairs, choice="keep"), "save").status_code == 303
    released, waiting = assessments(session, ids)
    assert [version_number(session, a) for a in (released, waiting)] == [1, 1]
    assert (released.status, released.total, released.choices) == ("released", Decimal(100), TOP)
    assert waiting.status == "needs_grading"
    assert "graded attempt" not in text(get(client, EDITOR, lt))
    history = text(get(client, f"{EDITOR}/history", lt))
    assert ("2 graded attempts used version 1 (1 awaiting grading, 1 released). Chose to keep "
            "their scores on version 1.") in history


def test_rescore_scores_automatic_criteria_again_and_keeps_faculty_levels(client, platform,
                                                                         app, session):
    lt, pairs, ids = edit_used_rubric(client, platform, app)
    assert press(client, change(pairs, choice="rescore"), "save").status_code == 303
    released, waiting = assessments(session, ids)
    assert [version_number(session, a) for a in (released, waiting)] == [2, 2]
    # committee leadership is automatic: now 30 of 30; the faculty levels are kept
    assert (released.status, released.total, released.maximum) == (
        "released", Decimal(105), Decimal(105))
    assert released.choices == TOP
    assert (waiting.status, waiting.total, waiting.choices) == ("needs_grading", Decimal(45), {})
    assert "Chose to rescore their automatic criteria with version 2." in text(
        get(client, f"{EDITOR}/history", lt))


def test_requeue_sends_them_back_to_the_grading_queue(client, platform, app, session):
    lt, pairs, ids = edit_used_rubric(client, platform, app)
    assert press(client, change(pairs, choice="requeue"), "save").status_code == 303
    released, waiting = assessments(session, ids)
    assert [version_number(session, a) for a in (released, waiting)] == [2, 2]
    assert (released.status, released.released_at) == ("needs_grading", None)
    # the decision memo changed: its level is cleared; the others are kept
    assert released.choices == {"integrity-dissent": "exemplary", "minutes-accuracy": "exemplary"}
    assert waiting.status == "needs_grading"
    assert "Chose to send them back to the grading queue on version 2." in text(
        get(client, f"{EDITOR}/history", lt))
    audit = session.scalar(select(RubricAudit).where(RubricAudit.action == "saved"))
    assert audit.detail["choice"] == "requeue" and sorted(audit.detail["assessments"]) == sorted(ids)
    assert session.scalar(select(func.count()).select_from(RubricVersion)) == 2
