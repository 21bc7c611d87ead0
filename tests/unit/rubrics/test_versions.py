"""The rubric service (``rubrics/versions.py``): version 1 from the package, the impact of a
change in words, and saving with each of the three choices."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from sqlalchemy import select

from leadership_pods.rubrics.assessments import AssessmentService
from leadership_pods.rubrics.document import from_package
from leadership_pods.rubrics.errors import RubricConflict, RubricError, RubricInvalid
from leadership_pods.rubrics.models import Assessment, Rubric, RubricAudit, RubricVersion
from leadership_pods.rubrics.versions import Impact, RubricService, impact_sentence
from tests.unit.rubrics.conftest import package

GOVERNANCE = package("governance")
FACULTY = ("decision-memo", "integrity-dissent", "minutes-accuracy")


def top_choices(data=None):
    data = data or from_package(GOVERNANCE.rubric)
    return {c["id"]: c["levels"][-1]["id"] for c in data["criteria"] if c["scoring"] == "faculty"}


# -- wording ------------------------------------------------------------------------------
@pytest.mark.parametrize(("counts", "sentence"), [
    ({}, "No attempts have been graded with version 3, so saving changes no one's score."),
    ({"released": 1}, "1 graded attempt used version 3 (1 released)."),
    ({"needs_grading": 3, "released": 5, "draft": 4},
     "12 graded attempts used version 3 (3 awaiting grading, 4 drafts, 5 released)."),
    ({"draft": 1, "returned": 2}, "3 graded attempts used version 3 (1 draft, 2 returned for "
                                  "revision)."),
])
def test_impact_in_words(counts, sentence):
    assert impact_sentence(3, counts) == sentence
    assert Impact(3, counts).sentence == sentence
    assert Impact(3, counts).needs_choice == bool(counts)


# -- version 1 ----------------------------------------------------------------------------
def test_version_1_is_the_package_rubric_made_once_on_first_use(session, course):
    service = RubricService(session)
    assert service.find_current("governance", course.id) is None
    first = service.current("governance", course.id)
    assert (first.number, first.created_by) == (1, None)
    assert first.data == from_package(GOVERNANCE.rubric)
    assert service.current("governance", course.id).id == first.id
    assert service.find_current("governance", course.id).id == first.id
    assert session.scalar(select(RubricAudit.summary)) == (
        "Version 1 copied from the pod package's rubric.")
    other = service.current("governance", None)
    assert other.id != first.id and service.find("governance", None).context_pk is None
    assert len(session.scalars(select(Rubric)).all()) == 2


def test_a_rubric_made_meanwhile_by_another_request_is_used(session, course, monkeypatch):
    service = RubricService(session)
    first = service.rubric_for(GOVERNANCE, course.id)
    real_find, calls = service.find, []

    def stale_find(slug, context_pk):  # the other request had not committed yet
        calls.append(slug)
        return None if len(calls) == 1 else real_find(slug, context_pk)

    monkeypatch.setattr(service, "find", stale_find)
    assert service.rubric_for(GOVERNANCE, course.id).id == first.id
    assert len(session.scalars(select(RubricVersion)).all()) == 1


# -- saving -------------------------------------------------------------------------------
def edited(change):
    data = copy.deepcopy(from_package(GOVERNANCE.rubric))
    change(data)
    return data


def rename(data):
    data["title"] = "Governance (2026)"


def test_save_without_assessments_needs_no_choice_and_writes_the_audit(session, course,
                                                                      faculty):
    service = RubricService(session)
    rubric = service.rubric_for(GOVERNANCE, course.id)
    assert service.impact(rubric) == Impact(1, {})
    second = service.save(rubric, edited(rename), faculty.id, None, " For 2026 ")
    assert (second.number, second.created_by, second.note) == (2, faculty.id, "For 2026")
    assert service.current_of(rubric).id == second.id
    assert [v.number for v in service.versions(rubric)] == [2, 1]
    entry = service.audit(rubric)[0]
    assert (entry.user_id, entry.action) == (faculty.id, "saved")
    assert entry.summary == (
        "Saved version 2 (replacing version 1). Title changed from 'Governance: chairing a "
        "contested committee decision' to 'Governance (2026)'. Note: For 2026")
    assert entry.detail["choice"] == "keep" and entry.detail["from"] == 1
    assert service.people([faculty.id, None]) == {faculty.id: "Dr Faye Faculty"}


def test_save_refuses_invalid_data_no_change_and_a_stale_edit(session, course, faculty):
    service = RubricService(session)
    rubric = service.rubric_for(GOVERNANCE, course.id)
    with pytest.raises(RubricInvalid) as invalid:
        service.save(rubric, edited(lambda d: d.update(title="")), faculty.id, None)
    assert invalid.value.problems == {"title": "Give the rubric a title."}
    with pytest.raises(RubricError, match="the same as version 1"):
        service.save(rubric, from_package(GOVERNANCE.rubric), faculty.id, None)
    service.save(rubric, edited(rename), faculty.id, None, base_version=1)
    with pytest.raises(RubricConflict, match="version 2 was saved while you were editing "
                                             "version 1"):
        service.save(rubric, edited(lambda d: d.update(pass_mark=80)), faculty.id, None,
                     base_version=1)
    assert len(service.versions(rubric)) == 2


def graded(session, course, submitted, n=3):
    """``n`` governance attempts scored with version 1: released, draft, awaiting grading."""
    assessments = AssessmentService(session)
    rows = [assessments.on_submit(submitted(), GOVERNANCE) for _ in range(n)]
    assessments.save_draft(rows[0], top_choices(), {}, "", 1)
    assessments.release(rows[0], 1)
    assessments.save_draft(rows[1], {"decision-memo": "proficient"}, {"decision-memo": "Good"},
                           "", 1)
    return rows


def test_a_used_rubric_needs_a_choice(session, course, faculty, submitted):
    graded(session, course, submitted)
    service = RubricService(session)
    rubric = service.find("governance", course.id)
    impact = service.impact(rubric)
    assert impact.counts == {"released": 1, "draft": 1, "needs_grading": 1}
    assert impact.sentence == ("3 graded attempts used version 1 (1 awaiting grading, 1 draft, "
                               "1 released).")
    with pytest.raises(RubricError, match="3 graded attempts used version 1") as refused:
        service.save(rubric, edited(rename), faculty.id, None)
    assert refused.value.check == "rubric-choice"


def stricter_knowledge(data):
    """Knowledge check thresholds raised; the minutes criterion worth more."""
    levels = data["criteria"][0]["levels"]
    for level, needed in zip(levels, (None, 60, 90, 100), strict=True):
        level["min"] = needed
    data["criteria"][4]["points"] = 30
    data["criteria"][4]["levels"][-1]["points"] = 30


def test_keep_leaves_their_scores_on_the_old_version(session, course, faculty, submitted):
    rows = graded(session, course, submitted)
    before = [(a.rubric_version_id, a.status, a.total, dict(a.choices)) for a in rows]
    service = RubricService(session)
    rubric = service.find("governance", course.id)
    new = service.save(rubric, edited(stricter_knowledge), faculty.id, "keep")
    assert [(a.rubric_version_id, a.status, a.total, dict(a.choices)) for a in rows] == before
    assert service.impact(rubric) == Impact(2, {})
    assert "Chose to keep their scores on version 1." in service.audit(rubric)[0].summary
    later = AssessmentService(session).on_submit(submitted(), GOVERNANCE)
    assert later.rubric_version_id == new.id


def test_rescore_recomputes_automatic_criteria_and_keeps_faculty_levels(session, course,
                                                                       faculty, submitted):
    rows = graded(session, course, submitted)
    released, draft, waiting = rows
    released_events = []
    service = RubricService(session, on_released=released_events.append)
    rubric = service.find("governance", course.id)

    def change(data):
        data["criteria"][0]["levels"][3]["min"] = 100
        data["criteria"][0]["levels"][2]["min"] = 90
        data["criteria"][1]["points"] = 30
        data["criteria"][1]["levels"][-1]["points"] = 30

    new = service.save(rubric, edited(change), faculty.id, "rescore", "Harder knowledge check")
    for a in rows:
        assert a.rubric_version_id == new.id
    score = AssessmentService(session).score_of(released)
    assert [c.points for c in score.criteria] == [Decimal(15), Decimal(30), Decimal(25),
                                                  Decimal(15), Decimal(20)]
    assert released.status == "released" and released.total == Decimal(105)
    assert released.maximum == Decimal(105) and released.choices == top_choices()
    assert released_events == [released]
    assert draft.status == "draft" and draft.choices == {"decision-memo": "proficient"}
    assert draft.comments == {"decision-memo": "Good"}
    assert waiting.status == "needs_grading" and waiting.choices == {}
    summary = service.audit(rubric)[0].summary
    assert "Chose to rescore their automatic criteria with version 2." in summary
    assert "Changed 'Committee leadership in the simulation': from 25 points to 30 points" in summary


def test_rescore_sends_a_released_one_back_when_a_new_faculty_criterion_appears(
        session, course, faculty, submitted):
    released = graded(session, course, submitted)[0]
    service = RubricService(session)
    rubric = service.find("governance", course.id)

    def add_and_drop(data):
        data["criteria"].pop(3)  # integrity-dissent, chosen by faculty before
        data["criteria"].append({"id": "presence", "title": "Presence", "points": 10,
                                 "scoring": "faculty", "levels": [
                                     {"id": "low", "label": "Low", "points": 5},
                                     {"id": "high", "label": "High", "points": 10}]})

    service.save(rubric, edited(add_and_drop), faculty.id, "rescore")
    assert released.status == "needs_grading" and released.released_at is None
    assert set(released.choices) == {"decision-memo", "minutes-accuracy"}
    assert not AssessmentService(session).score_of(released).complete


def test_requeue_clears_faculty_levels_only_for_changed_criteria(session, course, faculty,
                                                                 submitted):
    rows = graded(session, course, submitted)
    released = rows[0]
    service = RubricService(session)
    rubric = service.find("governance", course.id)

    def reword(data):
        data["criteria"][2]["levels"][3]["descriptor"] = "A sharper exemplary memo."

    new = service.save(rubric, edited(reword), faculty.id, "requeue")
    for a in rows:
        assert (a.rubric_version_id, a.status, a.released_at) == (new.id, "needs_grading", None)
    assert released.choices == {"integrity-dissent": "exemplary", "minutes-accuracy": "exemplary"}
    assert rows[1].choices == {}
    assert "Chose to send them back to the grading queue on version 2." in \
        service.audit(rubric)[0].summary
    assert service.audit(rubric)[0].detail["assessments"] == [a.id for a in rows]


def test_returned_attempts_are_left_for_resubmission(session, course, faculty, submitted):
    rows = graded(session, course, submitted)
    assessments = AssessmentService(session)
    assessments.return_for_revision(rows[2], "Add the vote counts.", faculty.id)
    service = RubricService(session)
    rubric = service.find("governance", course.id)
    assert service.impact(rubric).counts["returned"] == 1
    old = rows[2].rubric_version_id
    service.save(rubric, edited(rename), faculty.id, "requeue")
    assert (rows[2].rubric_version_id, rows[2].status) == (old, "returned")
    assert session.scalar(select(RubricVersion.number).where(
        RubricVersion.id == rows[0].rubric_version_id)) == 2
    assert session.scalar(select(Assessment).where(Assessment.id == rows[2].id)) is rows[2]
