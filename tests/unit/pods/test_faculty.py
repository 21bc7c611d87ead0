"""Faculty's side of a pod link (``pods/faculty.py``): video URL and due date rules, roster
rows built from NRPS members and attempts, and the settings and roster services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.models import LmsContext, LmsUser, Membership, Platform
from leadership_pods.lti_tool.services import Member
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.errors import PodError
from leadership_pods.pods.faculty import (
    NO_NRPS_NOTICE,
    STATUS_NOT_STARTED,
    AttemptSummary,
    Person,
    PlacementSettings,
    PlacementSettingsService,
    RosterService,
    due_at_from,
    format_duration,
    read_members,
    residents_of,
    roster_rows,
    status_counts,
    video_sections,
    video_url_problem,
)
from leadership_pods.pods.models import Attempt, Placement
from leadership_pods.pods.validation import load_package
from tests.unit.pods.test_validation import SAMPLE

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


# -- settings rules ---------------------------------------------------------------------
@pytest.mark.parametrize("url", ["", "https://media.example.edu/pods/levers.mp4",
                                 "https://cdn.example.edu/a/b.WEBM?token=abc"])
def test_acceptable_video_urls(url):
    assert video_url_problem(url) is None


@pytest.mark.parametrize(("url", "words"), [
    ("http://media.example.edu/levers.mp4", "https://"),
    ("ftp://media.example.edu/levers.mp4", "https://"),
    ("https:///levers.mp4", "https://"),
    ("javascript:alert(1)//x.mp4", "https://"),
    ("https://media.example.edu/levers.mov", ".mp4 or .webm"),
    ("https://www.youtube.com/watch?v=abc", ".mp4 or .webm"),
    ("https://media.example.edu/my video.mp4", "without spaces"),
    ("https://media.example.edu/" + "a" * 1000 + ".mp4", "at most 1000"),
])
def test_refused_video_urls_say_why(url, words):
    assert words in video_url_problem(url)


def test_due_at_is_utc_and_a_day_alone_is_due_at_its_end():
    assert due_at_from(None, time(9, 0)) is None
    assert due_at_from(date(2026, 5, 1), time(17, 30)) == datetime(2026, 5, 1, 17, 30, tzinfo=UTC)
    assert due_at_from(date(2026, 5, 1), None) == datetime(2026, 5, 1, 23, 59, tzinfo=UTC)


def test_video_sections_are_the_micro_learning_videos():
    assert [s.ref.id for s in video_sections(load_package(SAMPLE))] == ["video"]
    assert all(video_sections(p) == () for p in load_catalogue().packages.values())


# -- roster rows ------------------------------------------------------------------------
@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0:00"), (59, "0:00"), (60, "0:01"), (3599, "0:59"), (3600, "1:00"), (3723, "1:02"),
    (36_000 + 5 * 60, "10:05"), (-5, "0:00")])
def test_time_on_task_is_hours_and_minutes(seconds, shown):
    assert format_duration(seconds) == shown


def member(user_id, *roles, status="Active", **names):
    return Member(user_id=user_id, roles=tuple(roles) or (MEMBERSHIP + "Learner",),
                  status=status, **names)


def test_only_active_residents_come_from_the_roster():
    members = [
        member("a", name="Ana"),
        member("f", MEMBERSHIP + "Instructor", name="Faye"),
        member("t", MEMBERSHIP + "Instructor#TeachingAssistant", MEMBERSHIP + "Learner"),
        member("x", status="Inactive", name="Xena"),
        member("m", "Learner", given_name="Mo", family_name="Odle"),  # Moodle's short names
        member("e", email="eve@example.edu"),
        member("n"),
    ]
    assert residents_of(members) == [Person("a", "Ana"), Person("m", "Mo Odle"),
                                     Person("e", "eve@example.edu"), Person("n", "LMS user n")]


def summary(sub, status="in_progress", done=3, seconds=600, name=None):
    return AttemptSummary(sub, name or sub.title(), status, done, seconds, NOW)


def test_rows_match_attempts_and_put_not_started_first():
    people = [Person("z", "Zoe"), Person("b", "bo"), Person("a", "Al"), Person("c", "Cy")]
    attempts = {"z": summary("z", "submitted", 9), "a": summary("a"),
                "gone": summary("gone", "returned", 9, name="Gus Gone")}
    rows = roster_rows(people, attempts, 9)
    assert [(r.name, r.status, r.on_roster) for r in rows] == [
        ("bo", STATUS_NOT_STARTED, True), ("Cy", STATUS_NOT_STARTED, True),
        ("Al", "in_progress", True), ("Gus Gone", "returned", False), ("Zoe", "submitted", True)]
    al = rows[2]
    assert (al.done, al.total, al.time_on_task, al.last_activity_at) == (3, 9, "0:10", NOW)
    assert rows[0].last_activity_at is None and rows[0].done == 0
    assert status_counts(rows) == {"not_started": 2, "in_progress": 1, "submitted": 1,
                                   "returned": 1}


def test_without_the_lms_roster_nobody_is_marked_off_it():
    rows = roster_rows([Person("a", "Al")], {"b": summary("b")}, 9, complete=False)
    assert all(r.on_roster for r in rows)


@given(st.lists(st.tuples(st.text(min_size=1, max_size=5), st.text(min_size=1, max_size=8)),
                max_size=12),
       st.dictionaries(st.text(min_size=1, max_size=5),
                       st.sampled_from(["in_progress", "submitted", "returned"]), max_size=8))
def test_every_person_and_attempt_appears_once_not_started_first(people, statuses):
    persons = [Person(sub, name) for sub, name in people]
    attempts = {sub: summary(sub, status) for sub, status in statuses.items()}
    rows = roster_rows(persons, attempts, 5)
    assert sorted(r.sub for r in rows) == sorted({p.sub for p in persons} | set(attempts))
    started = [r.status != STATUS_NOT_STARTED for r in rows]
    assert started == sorted(started)
    for group in (False, True):
        names = [r.name.casefold() for r, s in zip(rows, started, strict=True) if s is group]
        assert names == sorted(names)
    assert sum(status_counts(rows).values()) == len(rows)


# -- reading members --------------------------------------------------------------------
class FakeNrps:
    def __init__(self, result):
        self.result = result
        self.urls = []

    def members(self, url):
        self.urls.append(url)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_read_members_without_a_roster_link_does_not_call_the_lms():
    client = FakeNrps([])
    assert read_members(None, lambda: client) == (None, NO_NRPS_NOTICE)
    assert client.urls == []


def test_read_members_turns_a_platform_failure_into_a_notice():
    failure = PlatformServiceError("platform 1: GET https://lms/nrps answered 403: no scope")
    members, notice = read_members("https://lms/nrps", lambda: FakeNrps(failure))
    assert members is None
    assert "could not be read from the LMS (platform 1: GET https://lms/nrps answered 403: " \
           "no scope)" in notice


def test_read_members_returns_the_roster():
    roster = [member("a", name="Ana")]
    assert read_members("https://lms/nrps", lambda: FakeNrps(roster)) == (roster, None)


# -- services ---------------------------------------------------------------------------
@pytest.fixture
def placement(session):
    platform = Platform(name="Canvas", issuer="https://canvas.instructure.com", client_id="1",
                        auth_login_url="https://lms/auth", auth_token_url="https://lms/token",
                        key_set_url="https://lms/jwks")
    session.add(platform)
    session.flush()
    course = LmsContext(platform_id=platform.id, context_id="course-1")
    session.add(course)
    session.flush()
    row = Placement(platform_id=platform.id, context_key="course-1", context_pk=course.id,
                    resource_link_id="link-1", pod_slug="sample-pod", video_overrides={})
    session.add(row)
    session.flush()
    return row


def test_settings_are_saved_on_the_placement(session, placement):
    package = load_package(SAMPLE)
    service = PlacementSettingsService(session)
    due = datetime(2026, 5, 1, 17, 30, tzinfo=UTC)
    url = "https://media.example.edu/v.mp4"
    service.update(placement, package, PlacementSettings(due, {"video": f" {url} "}))
    assert (placement.due_at, placement.video_overrides) == (due, {"video": url})
    assert service.current(placement) == PlacementSettings(due, {"video": url})
    service.update(placement, package, PlacementSettings(None, {"video": ""}))
    assert (placement.due_at, placement.video_overrides) == (None, {})


@pytest.mark.parametrize(("settings", "words"), [
    (PlacementSettings(None, {"slides": "https://m.example.edu/v.mp4"}), "no video section"),
    (PlacementSettings(None, {"video": "http://m.example.edu/v.mp4"}), "https://"),
    (PlacementSettings(datetime(2026, 5, 1, 17, 30), {}), "time zone"),
])
def test_settings_the_form_would_refuse_are_refused_here_too(session, placement, settings,
                                                            words):
    with pytest.raises(PodError, match=words):
        PlacementSettingsService(session).update(placement, load_package(SAMPLE), settings)
    assert placement.due_at is None and placement.video_overrides == {}


def add_user(session, placement, sub, name, role="resident", answers=None, status=None,
             seconds=0):
    user = LmsUser(platform_id=placement.platform_id, sub=sub, name=name)
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, context_id=placement.context_pk, role=role))
    if status is not None:
        session.add(Attempt(placement_id=placement.id, user_id=user.id, status=status,
                            answers=answers or {}, active_seconds=seconds,
                            last_activity_at=NOW - timedelta(hours=1)))
    session.flush()
    return user


def test_roster_service_from_members_and_from_launches(session, placement):
    package = load_package(SAMPLE)
    add_user(session, placement, "a", "Ana", status="in_progress", seconds=4000,
             answers={"confidence-before": {"items": {}}, "video": {"transcript_read": True}})
    add_user(session, placement, "b", "Bea", status="returned")
    add_user(session, placement, "c", "Cal")
    add_user(session, placement, "f", "Faye", role="faculty")
    service = RosterService(session)
    from_lms = service.roster(placement, package, [member("a", name="Ana A."), member("d")])
    assert from_lms.source == "lms" and from_lms.notice is None
    assert [(r.name, r.status, r.done, r.on_roster) for r in from_lms.rows] == [
        ("LMS user d", "not_started", 0, True), ("Ana A.", "in_progress", 1, True),
        ("Bea", "returned", 0, False)]
    rows = {r.sub: r for r in from_lms.rows}
    assert rows["a"].total == len(package.sections) and rows["a"].time_on_task == "1:06"

    fallback = service.roster(placement, package, None, "why")
    assert (fallback.source, fallback.notice) == ("launches", "why")
    assert [(r.sub, r.status) for r in fallback.rows] == [
        ("c", "not_started"), ("a", "in_progress"), ("b", "returned")]
    assert fallback.counts == {"not_started": 1, "in_progress": 1, "submitted": 0, "returned": 1}
