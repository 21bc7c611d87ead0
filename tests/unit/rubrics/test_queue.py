"""The grading queue's pure helpers: the resident's name as the queue shows it."""

from __future__ import annotations

from leadership_pods.lti_tool.models import LmsUser
from leadership_pods.rubrics.queue import LINE_ITEM_MAXIMUM, STATUS_LABELS, WAITING, resident_name


def test_a_resident_is_named_by_the_best_field_the_lms_gave():
    assert resident_name(None) == "a resident"
    assert resident_name(LmsUser(sub="s1", name="Ana Ruiz")) == "Ana Ruiz"
    assert resident_name(LmsUser(sub="s1", given_name="Ana", family_name="Ruiz")) == "Ana Ruiz"
    assert resident_name(LmsUser(sub="s1", email="ana@example.edu")) == "ana@example.edu"
    assert resident_name(LmsUser(sub="s1")) == "resident s1"


def test_the_queue_waits_on_needs_grading_and_drafts_and_scores_out_of_100():
    assert WAITING == ("needs_grading", "draft")
    assert set(STATUS_LABELS) == {"needs_grading", "draft", "released", "returned"}
    assert LINE_ITEM_MAXIMUM == 100
