from __future__ import annotations

import http.client
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
import requests

from leadership_pods.app import USER_AGENT
from leadership_pods.lti_tool.errors import PlatformServiceError
from leadership_pods.lti_tool.services import RetryPolicy, ScoreSubmission, ServiceHttp
from leadership_pods.lti_tool.services.ags import SCOPE_SCORE
from leadership_pods.lti_tool.services.http import (
    FALLBACK_USER_AGENT,
    lms_message,
    next_link,
    parse_retry_after,
)
from tests.support.platform import TestPlatform

from .conftest import Clients

SCORE = ScoreSubmission(user_id="u1", score_given=7, score_maximum=10)


@pytest.fixture
def graded(canvas: Clients) -> tuple[Clients, str]:
    canvas.services.add_member("u1")
    return canvas, canvas.services.add_line_item("Budget", 10)


def test_a_revoked_token_is_replaced_once(graded: tuple[Clients, str]):
    clients, url = graded
    clients.ags.post_score(url, SCORE)
    clients.services.revoke_tokens()
    clients.ags.post_score(url, SCORE)
    statuses = [c.status for c in clients.services.calls_to("scores")]
    assert statuses == [200, 401, 200]
    assert clients.services.token_requests == 2
    first, _, retried = clients.services.calls_to("scores")
    assert first.headers["Authorization"] != retried.headers["Authorization"]


def test_a_second_401_is_not_retried(graded: tuple[Clients, str]):
    clients, url = graded
    clients.services.inject(401, endpoint="scores", body='{"error": "nope"}', times=2)
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, SCORE)
    assert caught.value.http_status == 401 and not caught.value.retryable
    assert len(clients.services.calls_to("scores")) == 2
    assert clients.services.token_requests == 2


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured(graded: tuple[Clients, str], status: int):
    clients, url = graded
    clients.services.inject(status, endpoint="scores", headers={"Retry-After": "2"})
    clients.ags.post_score(url, SCORE)
    assert clients.sleeps == [2.0]
    assert [c.status for c in clients.services.calls_to("scores")] == [status, 200]
    # the retry sends the very same score (same timestamp)
    first, second = clients.services.calls_to("scores")
    assert first.body == second.body


def test_retry_after_as_an_http_date_is_honoured(graded: tuple[Clients, str]):
    clients, url = graded
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    clients.services.inject(503, endpoint="scores", headers={"Retry-After": when})
    clients.ags.post_score(url, SCORE)
    assert len(clients.sleeps) == 1 and 3.0 <= clients.sleeps[0] <= 5.0


def test_without_retry_after_the_backoff_grows_and_is_bounded(graded: tuple[Clients, str]):
    clients, url = graded
    clients.services.inject(503, endpoint="scores", times=10)
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, SCORE)
    assert clients.sleeps == [0.5, 1.0, 2.0]
    assert len(clients.services.calls_to("scores")) == 4
    error = caught.value
    assert error.retryable and error.http_status == 503 and error.retry_after is None


def test_a_wait_longer_than_the_cap_goes_back_to_the_caller(graded: tuple[Clients, str]):
    clients, url = graded
    clients.services.inject(429, endpoint="scores", headers={"Retry-After": "120"},
                            body='{"errors": [{"message": "Rate limit exceeded"}]}')
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, SCORE)
    assert clients.sleeps == []
    error = caught.value
    assert (error.http_status, error.retryable, error.retry_after) == (429, True, 120.0)
    assert "Rate limit exceeded" in error.message


def test_a_server_error_is_retryable_and_not_retried_here(graded: tuple[Clients, str]):
    clients, url = graded
    clients.services.inject(500, endpoint="scores", body="<html><h1>Oops</h1></html>")
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, SCORE)
    assert (caught.value.http_status, caught.value.retryable) == (500, True)
    assert clients.sleeps == [] and len(clients.services.calls_to("scores")) == 1


def test_a_refusal_is_final_and_carries_the_lms_message(canvas: Clients):
    url = canvas.services.add_line_item("Budget", 10)
    canvas.services.add_member("teacher", roles=("Instructor",))
    with pytest.raises(PlatformServiceError) as caught:
        canvas.ags.post_score(url, ScoreSubmission(user_id="teacher", score_given=1,
                                                   score_maximum=2))
    error = caught.value
    assert (error.http_status, error.retryable) == (422, False)
    assert "User not found in course or is not a student" in error.message
    assert error.status == 502 and error.check == "platform-service"


def test_a_slow_platform_times_out_as_a_retryable_error(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    clients = make_clients(platform, timeout=1.0)  # a loaded CI machine answers well within
    clients.services.add_member("u1")
    url = clients.services.add_line_item("Budget", 10)
    clients.tokens.access_token(clients.endpoints, [SCOPE_SCORE])
    clients.services.inject(endpoint="scores", delay=2.5)
    with pytest.raises(PlatformServiceError) as caught:
        clients.ags.post_score(url, SCORE)
    assert caught.value.retryable and caught.value.http_status is None
    assert "timed out" in caught.value.message


def test_an_unreachable_platform_is_a_retryable_error(canvas: Clients):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    canvas.tokens.access_token(canvas.endpoints, [SCOPE_SCORE])
    with pytest.raises(PlatformServiceError) as caught:
        canvas.ags.post_score(f"http://127.0.0.1:{port}/api/lti/courses/311/line_items/1", SCORE)
    assert caught.value.retryable and caught.value.http_status is None


def test_every_call_carries_the_apps_user_agent(graded: tuple[Clients, str]):
    clients, url = graded
    clients.ags.post_score(url, SCORE)
    assert {c.headers["User-Agent"] for c in clients.services.calls} == {USER_AGENT}


def test_a_bare_session_gets_the_tools_user_agent_not_requests_own(
        platform: TestPlatform, make_clients: Callable[..., Clients]):
    with requests.Session() as bare:
        clients = make_clients(platform, http=bare)
        clients.services.add_member("u1")
        clients.ags.post_score(clients.services.add_line_item("Budget", 10), SCORE)
    assert {c.headers["User-Agent"] for c in clients.services.calls} == {FALLBACK_USER_AGENT}


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_parse_retry_after(header: str | None, expected: float | None):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_with_a_future_date():
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Tue, 01 Jan 2030 12:00:09 GMT", now=now) == 9.0


def _response(status: int = 200, headers: dict[str, str] | None = None,
              body: bytes = b"") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = body
    return response


@pytest.mark.parametrize(("header", "expected"), [
    ('<https://lms/a?page=2&x=%7E%2F>; rel="next"', "https://lms/a?page=2&x=%7E%2F"),
    ('<https://lms/cur>; rel="current",<https://lms/n?p=b%3D%3D>; rel="next",'
     '<https://lms/f>; rel="first"', "https://lms/n?p=b%3D%3D"),
    ("<https://lms/n,comma>;rel=next", "https://lms/n,comma"),
    ('<https://lms/l>; rel="last"', None),
    ('<https://lms/both>; rel="prev next"', "https://lms/both"),
])
def test_next_link_is_taken_exactly_as_given(header: str, expected: str | None):
    assert next_link(_response(headers={"Link": header})) == expected


def test_next_link_absent():
    assert next_link(_response()) is None


def test_lms_message_reads_common_error_shapes():
    canvas = _response(422, body=b'{"errors": {"type": "x", "message": "not a student"}}')
    oauth = _response(400, body=b'{"error": "invalid_scope", "error_description": "no"}')
    text = _response(400, body=b"Incorrect score received\n")
    empty = _response(404)
    empty.reason = "Not Found"
    assert lms_message(canvas) == "not a student"
    assert lms_message(oauth) == "invalid_scope: no"
    assert lms_message(text) == "Incorrect score received"
    assert lms_message(empty) == "Not Found"


def test_retry_policy_backoff_is_capped():
    policy = RetryPolicy(backoff_base=1, backoff_max=5)
    assert [policy.backoff(n) for n in range(5)] == [1, 2, 4, 5, 5]


def test_json_of_refuses_a_non_json_body():
    with pytest.raises(PlatformServiceError):
        ServiceHttp.json_of(_response(200, body=b"<html>"), "https://lms/x")
    assert ServiceHttp.json_of(_response(204), "https://lms/x") is None


def test_the_fake_platform_refuses_a_call_without_a_user_agent(canvas: Clients):
    url = urlsplit(canvas.services.memberships_url)
    connection = http.client.HTTPConnection(url.netloc, timeout=5)  # sends no User-Agent
    try:
        connection.request("GET", url.path)
        response = connection.getresponse()
        assert response.status == 400 and b"User-Agent" in response.read()
    finally:
        connection.close()
