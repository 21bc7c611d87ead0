"""The pure claim reader: roles, absent values, required claims."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.lti_tool.claims import (
    LTI,
    LaunchContext,
    build_launch_context,
    check_required_claims,
    present,
    tool_role,
)
from leadership_pods.lti_tool.errors import AccessDenied, LaunchError
from tests.support.platform import load_shape

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.mark.parametrize(("roles", "expected"), [
    ([M + "Learner"], "resident"),
    ([M + "Instructor"], "faculty"),
    ([M + "TeachingAssistant"], "faculty"),
    ([M + "ContentDeveloper"], "faculty"),
    ([M + "Mentor"], "faculty"),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "faculty"),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], "administrator"),
    (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "administrator"),
    ([M + "Administrator"], "administrator"),
    ([M + "Learner", M + "Instructor"], "faculty"),
    ([M + "Instructor", "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"],
     "administrator"),
    (["Learner"], "resident"),
    (["Instructor"], "faculty"),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], None),
    ([M + "Observer"], None),
    ([], None),
])
def test_tool_role(roles, expected):
    assert tool_role(roles) == expected


@given(st.lists(st.text(max_size=80), max_size=6))
def test_tool_role_never_fails_on_any_strings(roles):
    assert tool_role(roles) in (None, "resident", "faculty", "administrator")


@pytest.mark.parametrize(("value", "expected"), [
    ("$CourseSection.sourcedId", None), ("", None), ("  ", None), (None, None),
    ("PGY2", "PGY2"), ("$ 5 budget", "$ 5 budget"), (3, "3"),
])
def test_present_treats_unsubstituted_variables_as_absent(value, expected):
    assert present(value) == expected


def canvas_claims() -> dict:
    claims = load_shape("canvas")
    claims[LTI + "custom"]["pod"] = "budget-balancing"
    return claims


def test_canvas_shape_reads_into_a_launch_context():
    context = build_launch_context(canvas_claims(), launch_id="L1", platform_id=1,
                                   client_id="10000000000042", deployment_pk=7)
    assert context.role == "resident"
    assert context.user.display_name == "Ana Resident"
    assert context.course.context_id == "9c8f0e1b7d6a5c4b3a2918f7e6d5c4b3a2918f7e"
    assert context.ags.lineitem.endswith("/line_items/57")
    assert context.program == {"cohort": "PGY2-2026", "specialty": "Internal Medicine"}
    assert context.pod_slug == "budget-balancing"
    assert context.product_family == "canvas"
    assert context.user.person_sourcedid == "E1234567"


def test_moodle_shape_reads_into_a_launch_context():
    context = build_launch_context(load_shape("moodle"), launch_id="L2", platform_id=1,
                                   client_id="Xq7PzR2mKd9LwT4", deployment_pk=1)
    assert context.role == "resident"
    assert context.course.label == "LTI101"
    assert context.ags.lineitem.endswith("lineitem?type_id=1")
    assert context.nrps_url.endswith("/memberships")
    assert context.pod_slug is None


def test_launch_context_round_trips_through_plain_data():
    context = build_launch_context(canvas_claims(), launch_id="L1", platform_id=1,
                                   client_id="c", deployment_pk=7)
    assert LaunchContext.from_data(context.to_data()) == context


def test_no_mappable_role_is_access_denied():
    claims = canvas_claims()
    claims[LTI + "roles"] = [M + "Observer"]
    with pytest.raises(AccessDenied):
        build_launch_context(claims, launch_id="x", platform_id=1, client_id="c",
                             deployment_pk=1)


@pytest.mark.parametrize(("claim", "value", "check"), [
    (LTI + "version", "1.1", "version"),
    (LTI + "message_type", "LtiStartAssessment", "message-type"),
    (LTI + "deployment_id", "", "claims"),
    (LTI + "roles", "Learner", "claims"),
    ("sub", None, "claims"),
    (LTI + "resource_link", {}, "claims"),
])
def test_required_claims(claim, value, check):
    claims = canvas_claims()
    claims[claim] = value
    with pytest.raises(LaunchError) as caught:
        check_required_claims(claims)
    assert caught.value.check == check


def test_submission_review_needs_for_user():
    claims = canvas_claims()
    claims[LTI + "message_type"] = "LtiSubmissionReviewRequest"
    with pytest.raises(LaunchError, match="for_user"):
        check_required_claims(claims)
    claims[LTI + "for_user"] = {"user_id": "student-9"}
    assert check_required_claims(claims) == "LtiSubmissionReviewRequest"
    context = build_launch_context(claims, launch_id="x", platform_id=1, client_id="c",
                                   deployment_pk=1)
    assert context.for_user_sub == "student-9"
