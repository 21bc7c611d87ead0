from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests

from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.services import LineItem, ScoreClock, ScoreSubmission
from leadership_pods.lti_tool.services.ags import (
    CANVAS_SUBMISSION,
    SCOPE_LINEITEM,
    format_timestamp,
    service_url,
    with_query,
)
from tests.support.platform import TestPlatform

from .conftest import Clients

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
MOMENT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://canvas.test/api/lti/courses/3/line_items/7",
     "https://canvas.test/api/lti/courses/3/line_items/7/scores"),
    ("https://canvas.test/api/lti/courses/3/line_items/7/",
     "https://canvas.test/api/lti/courses/3/line_items/7/scores"),
    ("https://moodle.test/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1",
     "https://moodle.test/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1"),
    ("https://lms.test/li/2?type_id=1&x=%7E", "https://lms.test/li/2/scores?type_id=1&x=%7E"),
])
def test_scores_go_into_the_path_before_the_query(url: str, expected: str):
    assert service_url(url, "scores") == expected


def test_with_query_appends_encoded_filters_and_keeps_the_existing_query():
    assert with_query("https://m/lineitems?type_id=1", {"resource_link_id": "a b&c",
                                                       "tag": None}) == (
        "https://m/lineitems?type_id=1&resource_link_id=a%20b%26c")
    assert with_query("https://c/line_items", {"resource_id": "pod:1"}) == (
        "https://c/line_items?resource_id=pod%3A1")
    assert with_query("https://c/x", {"tag": None}) == "https://c/x"


def test_a_score_needs_given_and_maximum_together():
    with pytest.raises(ValueError, match="both or neither"):
        ScoreSubmission(user_id="u1", score_given=3)
    with pytest.raises(ValueError, match="both or neither"):
        ScoreSubmission(user_id="u1", score_maximum=3)
    with pytest.raises(ValueError):
        ScoreSubmission(user_id="u1", score_given=1, score_maximum=0)
    with pytest.raises(ValueError):
        ScoreSubmission(user_id="u1", grading_progress="Done")
    body = ScoreSubmission(user_id="u1", activity_progress="Started",
                           grading_progress="NotReady").to_json(MOMENT)
    assert "scoreGiven" not in body and "scoreMaximum" not in body


def test_timestamps_have_milliseconds_in_utc():
    assert format_timestamp(MOMENT) == "2026-03-01T12:00:00.123+00:00"


def test_timestamps_increase_strictly_within_one_millisecond():
    clock = ScoreClock(now=lambda: MOMENT)
    stamps = [clock.next("li", "u1") for _ in range(3)]
    assert [format_timestamp(s)[-12:] for s in stamps] == [
        "00.123+00:00", "00.124+00:00", "00.125+00:00"]
    # another user on the same line item is independent
    assert clock.next("li", "u2") == stamps[0]
    # a floor from elsewhere pushes past it; a clock stepping back does not go back
    assert clock.next("li", "u3", after=MOMENT + timedelta(seconds=5)) == (
        MOMENT.replace(microsecond=123000) + timedelta(seconds=5, milliseconds=1))
    with pytest.raises(ValueError):
        clock.next("li", "u1", after=datetime(2026, 1, 1))  # naive


def test_posting_a_score_to_canvas(canvas: Clients):
    canvas.services.add_member("u1")
    url = canvas.services.add_line_item("Budget balancing", 10)
    submitted = {"new_submission": True, "submission_type": "basic_lti_launch",
                 "submitted_at": "2026-03-01T11:59:00Z"}
    stamp = canvas.ags.post_score(url, ScoreSubmission(
        user_id="u1", score_given=7, score_maximum=10, comment="Balanced in 3 rounds",
        canvas_submission=submitted))

    (call,) = canvas.services.calls_to("scores")
    assert call.raw_uri.endswith("/api/lti/courses/311/line_items/1/scores")
    assert call.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert call.headers["Authorization"].startswith("Bearer ")
    body = json.loads(call.body)
    assert body == {"userId": "u1", "scoreGiven": 7, "scoreMaximum": 10,
                    "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                    "comment": "Balanced in 3 rounds", "timestamp": format_timestamp(stamp),
                    CANVAS_SUBMISSION: submitted}
    assert ISO_MS.match(body["timestamp"])
    token_call = canvas.services.calls_to("token")[0]
    assert token_call.body["scope"] == "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def test_moodle_scores_and_results_go_before_the_query(moodle_clients: Clients):
    services = moodle_clients.services
    services.add_member("5", roles=("Learner",))
    url = services.add_line_item("Budget", 100)
    assert url.endswith("/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1")
    moodle_clients.ags.post_score(url, ScoreSubmission(user_id="5", score_given=7,
                                                       score_maximum=10))
    (result,) = moodle_clients.ags.results(url, user_id="5")

    assert services.calls_to("scores")[0].raw_uri == (
        "/mod/lti/services.php/2/lineitems/1/lineitem/scores?type_id=1")
    assert services.calls_to("results")[0].raw_uri == (
        "/mod/lti/services.php/2/lineitems/1/lineitem/results?type_id=1&user_id=5")
    # Moodle keeps 7/10 on its own scale
    assert (result.user_id, result.result_score, result.result_maximum) == ("5", 70.0, 100.0)
    assert result.score_of == url


def test_scores_in_the_same_millisecond_are_all_accepted(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    clients = make_clients(platform, clock=ScoreClock(now=lambda: MOMENT))
    clients.services.add_member("u1")
    url = clients.services.add_line_item("Budget", 10)
    stamps = [clients.ags.post_score(url, ScoreSubmission(user_id="u1", score_given=n,
                                                          score_maximum=10)) for n in range(4)]
    assert stamps == sorted(set(stamps))
    sent = [json.loads(c.body)["timestamp"] for c in clients.services.calls_to("scores")]
    assert sent == [format_timestamp(s) for s in stamps]
    assert [c.status for c in clients.services.calls_to("scores")] == [200] * 4


def test_rapid_scores_with_the_real_clock_increase_strictly(canvas: Clients):
    canvas.services.add_member("u1")
    url = canvas.services.add_line_item("Budget", 10)
    stamps = [canvas.ags.post_score(url, ScoreSubmission(user_id="u1")) for _ in range(5)]
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False))


def test_a_score_older_than_the_platforms_is_refused(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    clients = make_clients(platform, clock=ScoreClock(now=lambda: MOMENT))
    clients.services.add_member("u1")
    url = clients.services.add_line_item("Budget", 10)
    clients.ags.post_score(url, ScoreSubmission(user_id="u1", score_given=1, score_maximum=2))
    clients.ags.clock = ScoreClock(now=lambda: MOMENT - timedelta(minutes=1))  # another process
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, ScoreSubmission(user_id="u1", score_given=2, score_maximum=2))
    assert (caught.value.http_status, caught.value.retryable) == (400, False)
    assert "before last updated timestamp" in caught.value.message
    # the floor the caller keeps (the timestamp last sent) gets it through
    stamp = clients.ags.post_score(url, ScoreSubmission(user_id="u1", score_given=2,
                                                        score_maximum=2), after=MOMENT)
    assert stamp > MOMENT


def test_find_or_create_creates_once_then_finds(moodle_clients: Clients):
    ags, services = moodle_clients.ags, moodle_clients.services
    services.add_line_item("Other pod", 5, resource_link_id="link-1", resource_id="pod:other")
    created = ags.find_or_create_line_item(
        services.lineitems_url, resource_link_id="link-1", resource_id="pod:budget",
        label="Budget balancing", score_maximum=100, tag="leadership-pods")
    found = ags.find_or_create_line_item(
        services.lineitems_url, resource_link_id="link-1", resource_id="pod:budget",
        label="Budget balancing", score_maximum=100, tag="leadership-pods")
    assert created == found == LineItem(
        id=services.lineitem_url(2), label="Budget balancing", score_maximum=100,
        resource_link_id="link-1", resource_id="pod:budget", tag="leadership-pods")
    posts = [c for c in services.calls_to("lineitems") if c.method == "POST"]
    assert len(posts) == 1
    assert posts[0].headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitem+json"
    assert posts[0].raw_uri == "/mod/lti/services.php/2/lineitems?type_id=1"
    gets = [c for c in services.calls_to("lineitems") if c.method == "GET"]
    assert gets[0].raw_uri == ("/mod/lti/services.php/2/lineitems?type_id=1"
                               "&resource_link_id=link-1&resource_id=pod%3Abudget")
    assert gets[0].headers["Accept"] == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    # Moodle wants lineitem.readonly named for the GET: one token serves both calls
    assert services.token_requests == 1


def test_line_items_follow_every_next_link_exactly(canvas: Clients):
    services = canvas.services
    urls = [services.add_line_item(f"Pod {n}", 10, resource_link_id=f"l{n}") for n in range(5)]
    items = canvas.ags.line_items(services.lineitems_url)
    assert [i.id for i in items] == urls
    gets = services.calls_to("lineitems")
    assert [c.status for c in gets] == [200, 200, 200]
    assert "cursor=c%7E2%2F" in gets[1].raw_uri and "cursor=c%7E4%2F" in gets[2].raw_uri


def test_plain_requests_would_re_encode_the_next_link(canvas: Clients):
    """The fake is strict (the cursor must come back byte for byte), and plain requests
    turns ``%7E`` into ``~``: the reason the HTTP layer sends platform URLs as given."""
    for n in range(3):
        canvas.services.add_line_item(f"Pod {n}", 10)
    token = canvas.tokens.access_token(canvas.endpoints, [SCOPE_LINEITEM])
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "t"}
    with requests.Session() as plain:
        first = plain.get(canvas.services.lineitems_url, timeout=5, headers=headers)
        link = first.links["next"]["url"]
        assert "%7E" in link
        assert plain.get(link, timeout=5, headers=headers).status_code == 400
    assert "cursor=c~" in canvas.services.calls_to("lineitems")[-1].raw_uri


def test_results_follow_paging_and_filter_by_user(canvas: Clients):
    services = canvas.services
    url = services.add_line_item("Budget", 20)
    for n in range(5):
        services.add_member(f"u{n}")
        canvas.ags.post_score(url, ScoreSubmission(user_id=f"u{n}", score_given=n,
                                                   score_maximum=10, comment=f"c{n}"))
    results = canvas.ags.results(url)
    assert [(r.user_id, r.result_score, r.result_maximum) for r in results] == [
        (f"u{n}", n * 2.0, 20.0) for n in range(5)]
    assert len(services.calls_to("results")) == 3
    (only,) = canvas.ags.results(url, user_id="u3")
    assert only.comment == "c3" and only.score_of == url
    assert services.calls_to("results")[0].headers["Accept"] == (
        "application/vnd.ims.lis.v2.resultcontainer+json")
    scopes = {c.body["scope"] for c in services.calls_to("token")}
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly" in scopes


def test_a_line_item_without_an_id_is_an_error():
    with pytest.raises(PlatformServiceError):
        LineItem.from_json({"label": "x"})
