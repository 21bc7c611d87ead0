"""The assessment service (``rubrics/assessments.py``): scoring on submit for pods with and
without a simulation, and the grader's draft, release and return."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from leadership_pods.pods.models import STATUS_IN_PROGRESS
from leadership_pods.rubrics.assessments import AssessmentService, attempt_metrics
from leadership_pods.rubrics.document import from_package
from leadership_pods.rubrics.errors import RubricError
from leadership_pods.rubrics.versions import RubricService
from tests.support.answers import complete_answers
from tests.unit.rubrics.conftest import package

GOVERNANCE = package("governance")
BUDGET = package("budget-balancing")


def test_a_pod_without_a_simulation_is_scored_from_the_players_metrics(session, submitted):
    attempt = submitted("governance")
    assessment = AssessmentService(session).on_submit(attempt, GOVERNANCE)
    assert assessment.metrics == {"knowledge_check_percent": 100.0, "case_outcome": 100.0,
                                  "case_tags_covered": 100.0}
    assert assessment.status == "needs_grading" and assessment.choices == {}
    # automatic: knowledge 15 + committee leadership 25; faculty criteria not yet chosen
    assert (assessment.total, assessment.maximum, assessment.percent) == (
        Decimal(40), Decimal(100), Decimal("40.00"))
    assert not assessment.passed
    score = AssessmentService(session).score_of(assessment)
    assert [(c.criterion_id, c.level_id, c.automatic) for c in score.criteria] == [
        ("governance-knowledge", "exemplary", True), ("committee-leadership", "exemplary", True),
        ("decision-memo", None, False), ("integrity-dissent", None, False),
        ("minutes-accuracy", None, False)]


def test_a_budget_pod_adds_the_simulations_metrics(session, submitted):
    attempt = submitted("budget-balancing")
    assessment = AssessmentService(session).on_submit(attempt, BUDGET)
    assert assessment.metrics == attempt_metrics(BUDGET, complete_answers(BUDGET))
    assert {"margin_vs_target", "quality_floors_kept", "justification_coverage"} <= set(
        assessment.metrics)
    score = AssessmentService(session).score_of(assessment)
    assert [(c.criterion_id, c.points) for c in score.criteria if c.automatic] == [
        ("data-driven-decisions", Decimal(25)), ("margin-vs-target", Decimal(20)),
        ("quality-floors", Decimal(15))]
    assert assessment.total == Decimal(60) and assessment.status == "needs_grading"


def test_a_rubric_with_only_automatic_criteria_makes_a_draft(session, course, faculty,
                                                             submitted):
    service = RubricService(session)
    data = copy.deepcopy(from_package(GOVERNANCE.rubric))
    data["criteria"] = data["criteria"][:2]
    service.save(service.rubric_for(GOVERNANCE, course.id), data, faculty.id, None)
    assessment = AssessmentService(session).on_submit(submitted(), GOVERNANCE)
    assert assessment.status == "draft"
    assert (assessment.percent, assessment.passed) == (Decimal("100.00"), True)


def test_only_a_submitted_attempt_is_scored(session, submitted):
    attempt = submitted()
    attempt.status = STATUS_IN_PROGRESS
    with pytest.raises(RubricError, match="only a submitted attempt"):
        AssessmentService(session).on_submit(attempt, GOVERNANCE)


def test_draft_release_and_the_hook(session, faculty, submitted):
    released = []
    service = AssessmentService(session, on_released=released.append)
    assessment = service.on_submit(submitted(), GOVERNANCE)
    service.save_draft(assessment, {"decision-memo": "exemplary", "integrity-dissent": "",
                                    "minutes-accuracy": None},
                       {"decision-memo": "  Clear ask. ", "nope": "dropped", "minutes-accuracy": " "},
                       " Well chaired. ", faculty.id)
    assert assessment.status == "draft" and assessment.grader_id == faculty.id
    assert assessment.choices == {"decision-memo": "exemplary"}
    assert assessment.comments == {"decision-memo": "Clear ask."}
    assert assessment.feedback == "Well chaired." and assessment.total == Decimal(65)
    with pytest.raises(RubricError, match="before releasing: Integrity: conflicts of interest "
                                          "and the minority view; Minutes: procedural"):
        service.release(assessment, faculty.id)
    assert released == []
    service.save_draft(assessment, {"decision-memo": "exemplary", "integrity-dissent": "proficient",
                                    "minutes-accuracy": "proficient"}, {}, "", faculty.id)
    service.release(assessment, faculty.id)
    assert assessment.status == "released" and assessment.released_at is not None
    assert (assessment.total, assessment.passed) == (Decimal(95), True)
    assert released == [assessment]


@pytest.mark.parametrize(("choices", "words"), [
    ({"governance-knowledge": "beginning"}, "no criterion 'governance-knowledge' scored by "
                                            "faculty"),
    ({"nope": "beginning"}, "no criterion 'nope'"),
    ({"decision-memo": "legendary"}, "has no level 'legendary'"),
])
def test_bad_choices_are_refused(session, faculty, submitted, choices, words):
    service = AssessmentService(session)
    assessment = service.on_submit(submitted(), GOVERNANCE)
    with pytest.raises(RubricError, match=words):
        service.save_draft(assessment, choices, {}, "", faculty.id)
    assert assessment.choices == {}


def test_return_then_resubmit_scores_again_with_the_current_version(session, course, faculty,
                                                                    submitted):
    service = AssessmentService(session)
    attempt = submitted()
    assessment = service.on_submit(attempt, GOVERNANCE)
    service.save_draft(assessment, {"decision-memo": "developing"}, {}, "", faculty.id)
    service.return_for_revision(assessment, " Add the vote counts. ", faculty.id)
    assert (assessment.status, attempt.status) == ("returned", "returned")
    assert attempt.return_message == "Add the vote counts."
    with pytest.raises(RubricError, match="returned for revision"):
        service.save_draft(assessment, {}, {}, "", faculty.id)
    with pytest.raises(RubricError, match="returned for revision"):
        service.release(assessment, faculty.id)
    rubrics = RubricService(session)
    data = copy.deepcopy(from_package(GOVERNANCE.rubric))
    data["pass_mark"] = 70
    new = rubrics.save(rubrics.find("governance", course.id), data, faculty.id, "keep")
    attempt.status = "submitted"
    again = service.on_submit(attempt, GOVERNANCE)
    assert again.id == assessment.id and again.rubric_version_id == new.id
    assert (again.status, again.choices) == ("needs_grading", {})
