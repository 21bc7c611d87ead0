from __future__ import annotations

import dataclasses

import pytest

from leadership_pods.lti_tool.claims import ROLE_ADMINISTRATOR, ROLE_FACULTY, ROLE_RESIDENT
from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.services import Member

from .conftest import Clients

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROSTER = [
    ("1001", ("Learner",)),
    ("1002", ("Instructor",)),
    ("1003", ("TeachingAssistant",)),
    ("1004", ("Learner", "Mentor")),
    ("1005", ("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",)),
]


def _fill(clients: Clients) -> None:
    for user_id, roles in ROSTER:
        clients.services.add_member(user_id, roles, name=f"Person {user_id}",
                                    given_name="Person", family_name=user_id,
                                    email=f"p{user_id}@example.edu",
                                    lis_person_sourcedid=f"sis-{user_id}")


EXPECTED_ROLES = {"1001": ROLE_RESIDENT, "1002": ROLE_FACULTY, "1003": ROLE_FACULTY,
                  "1004": ROLE_FACULTY, "1005": ROLE_ADMINISTRATOR}


def test_a_canvas_roster_across_pages(canvas: Clients):
    _fill(canvas)
    members = canvas.nrps.members(canvas.services.memberships_url)

    assert [m.user_id for m in members] == [u for u, _ in ROSTER]
    assert {m.user_id: m.tool_role for m in members} == EXPECTED_ROLES
    first = members[0]
    assert first == Member(user_id="1001", name="Person 1001", given_name="Person",
                           family_name="1001", email="p1001@example.edu",
                           roles=(MEMBERSHIP + "Learner",), status="Active",
                           lis_person_sourcedid="sis-1001")
    calls = canvas.services.calls_to("memberships")
    assert len(calls) == 3 and {c.status for c in calls} == {200}
    assert {c.headers["Accept"] for c in calls} == {
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}
    assert canvas.services.calls_to("token")[0].body["scope"] == (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly")


def test_a_moodle_roster_with_short_role_names(moodle_clients: Clients):
    _fill(moodle_clients)
    moodle_clients.services.add_member("1006", ("Learner",), status="Inactive")
    members = moodle_clients.nrps.members(moodle_clients.services.memberships_url)

    assert members[0].roles == ("Learner",) and members[1].roles == ("Instructor",)
    assert {m.user_id: m.tool_role for m in members} == {**EXPECTED_ROLES, "1006": ROLE_RESIDENT}
    assert [m.active for m in members][-1] is False
    assert len(moodle_clients.services.calls_to("memberships")) == 3


def test_the_next_link_is_followed_exactly_as_given(canvas: Clients):
    _fill(canvas)
    canvas.nrps.members(canvas.services.memberships_url)
    first, second, third = canvas.services.calls_to("memberships")
    assert first.raw_uri == "/api/lti/courses/311/names_and_roles"
    assert second.raw_uri.startswith("/api/lti/courses/311/names_and_roles?cursor=c%7E2%2F")
    assert second.raw_uri.endswith("%3D")
    assert "cursor=c%7E4%2F" in third.raw_uri


def test_a_given_page_size_is_kept_on_the_next_links(canvas: Clients):
    _fill(canvas)
    members = canvas.nrps.members(canvas.services.memberships_url + "?limit=4")
    assert len(members) == 5
    calls = canvas.services.calls_to("memberships")
    assert len(calls) == 2 and calls[1].raw_uri.startswith(
        "/api/lti/courses/311/names_and_roles?limit=4&cursor=")


def test_an_empty_roster(canvas: Clients):
    assert canvas.nrps.members(canvas.services.memberships_url) == []


def test_a_roster_that_is_not_a_container_is_an_error(canvas: Clients):
    canvas.services.inject(200, endpoint="memberships", body="[]")
    with pytest.raises(PlatformServiceError):
        canvas.nrps.members(canvas.services.memberships_url)


def test_member_from_json_skips_entries_without_a_user_and_cleans_values():
    assert Member.from_json({"name": "No id"}) is None
    assert Member.from_json("nonsense") is None
    member = Member.from_json({"user_id": 42, "roles": ["Learner", 7], "email": "",
                               "lis_person_sourcedid": "$Person.sourcedId"})
    assert member is not None
    assert (member.user_id, member.roles, member.email, member.lis_person_sourcedid) == (
        "42", ("Learner",), None, None)
    assert member.status == "Active" and member.tool_role == ROLE_RESIDENT


@pytest.mark.parametrize(("roles", "expected"), [
    (("Learner",), ROLE_RESIDENT),
    (("Instructor",), ROLE_FACULTY),
    (("Administrator",), ROLE_ADMINISTRATOR),
    ((MEMBERSHIP + "Learner",), ROLE_RESIDENT),
    (("http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",),
     ROLE_FACULTY),
    (("ContentDeveloper", "Learner"), ROLE_FACULTY),
    (("Observer",), None),
    ((), None),
])
def test_roles_map_to_the_tool_role(roles: tuple[str, ...], expected: str | None):
    assert Member(user_id="u", roles=roles).tool_role == expected


def test_tool_role_follows_the_roles_when_a_member_is_copied():
    learner = Member(user_id="u", roles=("Learner",))
    assert dataclasses.replace(learner, roles=("Instructor",)).tool_role == ROLE_FACULTY
