"""A resident opens the pod from the LMS, with the tool framed cross-site.

The LMS runs on 127.0.0.1 and the tool on localhost: to Chromium the framed tool is a
third party, so what reaches the tool on ``/lti/launch`` is what a real browser sends
under a real Moodle or Canvas. ``tool.log`` records the cookies and form fields of
every request the browser made to the tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadership_pods.lti_tool.login import state_fingerprint
from tests.browser.lms import ACTIVITY_TITLE, STORAGE_FRAME, TOOL_FRAME, TestLMS, ToolServer

pytestmark = pytest.mark.browser

POD_HEADING = "Budget Balancing"
RUBRIC_HEADING = "How Budget Balancing is scored"
RUBRIC_LINK = "How this pod is scored"


def open_activity(page: Any, lms: TestLMS) -> Any:
    """From the course page, follow the LMS link; returns the tool's frame."""
    page.goto(lms.course_url)
    page.get_by_role("link", name=ACTIVITY_TITLE).click()
    return page.frame_locator(f"#{TOOL_FRAME}")


def has_state_cookie(cookies: frozenset[str]) -> bool:
    return any(name.startswith("lp_state_") for name in cookies)


def assert_pod_pages_carry_no_cookies(tool: ToolServer) -> None:
    """After the launch, the pod pages are reached by their launch token alone."""
    pod_requests = [r for r in tool.log.requests if r.path.startswith("/pods/")]
    assert pod_requests
    assert all(r.cookies == frozenset() and r.status == 200 for r in pod_requests), pod_requests


def test_framed_launch_without_platform_storage(tool: ToolServer, start_lms: Any,
                                                browser: Any, expect: Any,
                                                artifacts: Path) -> None:
    """Moodle-like: no lti_storage_target; Chromium's default cookie settings, 360 px wide.

    With Chromium's default settings the tool's state cookie (``SameSite=None; Secure;
    Partitioned``; localhost counts as a secure context) is kept in the partition of the
    LMS's site, so the launch is bound to the browser by that cookie inside the frame
    and no new window is needed.
    """
    lms = start_lms(platform_storage=False)
    page = browser(viewport={"width": 360, "height": 800}).new_page()
    frame = open_activity(page, lms)

    expect(frame.get_by_role("heading", level=1)).to_have_text(POD_HEADING)
    assert [a.errors for a in lms.auth_requests] == [[]]
    (login,) = tool.log.to("POST", "/lti/login")
    assert login.status == 302  # straight on to the LMS's /authorize: no storage page
    (launch,) = tool.log.to("POST", "/lti/launch")
    assert has_state_cookie(launch.cookies), launch
    assert "lti_storage_state" not in launch.form_fields
    assert launch.status == 303
    assert not [r for r in tool.log.requests if r.path.startswith("/lti/relaunch")]

    frame.get_by_role("link", name=RUBRIC_LINK).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(RUBRIC_HEADING)
    assert_pod_pages_carry_no_cookies(tool)
    page.locator(f"#{TOOL_FRAME}").screenshot(path=artifacts / "iframe-launch-cookie-360.png")


def test_framed_launch_with_platform_storage_and_cookies_blocked(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    """Canvas-like: lti_storage_target offered; the browser drops every cookie of the tool
    inside the LMS page. The state makes the round trip through the LMS's storage frame."""
    lms = start_lms(platform_storage=True)
    page = browser(block_tool_cookies_under=lms.base_url).new_page()
    frame = open_activity(page, lms)

    expect(frame.get_by_role("heading", level=1)).to_have_text(POD_HEADING)
    assert [a.errors for a in lms.auth_requests] == [[]]
    (login,) = tool.log.to("POST", "/lti/login")
    assert "lti_storage_target" in login.form_fields
    assert login.status == 200  # the "Connecting to your LMS" page that stores the state
    first, second = tool.log.to("POST", "/lti/launch")
    assert not has_state_cookie(first.cookies) and not has_state_cookie(second.cookies), \
        "the browser was meant to drop the tool's state cookie"
    assert "lti_storage_state" not in first.form_fields
    assert first.status == 200  # "Opening the activity…": reads the state back
    assert {"id_token", "state", "lti_storage_state"} <= second.form_fields
    assert second.status == 303

    state = lms.auth_requests[0].params["state"]
    messages = page.frame(name=STORAGE_FRAME).evaluate("window.__messages")
    assert [(m["subject"], m["key"], m["origin"], m["answered"]) for m in messages] == [
        ("lti.put_data", "lp_state_" + state_fingerprint(state), tool.base_url, True),
        ("lti.get_data", "lp_state_" + state_fingerprint(state), tool.base_url, True),
    ]

    frame.get_by_role("link", name=RUBRIC_LINK).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(RUBRIC_HEADING)
    assert_pod_pages_carry_no_cookies(tool)
    page.locator(f"#{TOOL_FRAME}").screenshot(path=artifacts / "iframe-launch-platform-storage.png")


def open_cookieless_moodle_launch(tool: ToolServer, start_lms: Any, browser: Any,
                                  expect: Any) -> tuple[Any, Any, TestLMS]:
    """Moodle-like (no platform storage) with the tool's cookies dropped in the frame."""
    lms = start_lms(platform_storage=False)
    context = browser(block_tool_cookies_under=lms.base_url)
    page = context.new_page()
    frame = open_activity(page, lms)
    expect(frame.get_by_role("heading", level=1)).to_have_text(
        "Open this activity in a new window")
    return context, page, lms


def test_framed_launch_without_cookies_or_storage_asks_for_a_new_window(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    """No state cookie and no platform storage: the tool cannot bind the launch to this
    browser inside the frame, so it refuses it (409) and offers a new window."""
    context, page, lms = open_cookieless_moodle_launch(tool, start_lms, browser, expect)
    (launch,) = tool.log.to("POST", "/lti/launch")
    assert not has_state_cookie(launch.cookies) and launch.status == 409
    assert not tool.log.to("GET", "/pods/budget-balancing")
    page.locator(f"#{TOOL_FRAME}").screenshot(path=artifacts / "iframe-launch-new-window.png")


def test_new_window_completes_a_launch_refused_in_the_frame(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    """The new window, where the tool's cookies are first-party, reaches the pod."""
    context, page, lms = open_cookieless_moodle_launch(tool, start_lms, browser, expect)
    with context.expect_page() as opened:
        page.frame_locator(f"#{TOOL_FRAME}").get_by_role(
            "link", name="Open in a new window").click()
    popup = opened.value
    try:
        expect(popup.get_by_role("heading", level=1)).to_have_text(POD_HEADING, timeout=5_000)
    finally:
        popup.screenshot(path=artifacts / "new-window-launch.png")
    relaunched = tool.log.to("POST", "/lti/launch")[-1]
    assert has_state_cookie(relaunched.cookies) and relaunched.status == 303


def test_keyboard_reaches_the_rubric_in_the_framed_pod_page(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    """From the LMS link just before the frame, Tab enters the tool at its skip link,
    then "Start the pod", then "How this pod is scored"; Enter follows it."""
    lms = start_lms(platform_storage=False)
    page = browser().new_page()
    frame = open_activity(page, lms)
    expect(frame.get_by_role("heading", level=1)).to_have_text(POD_HEADING)

    page.get_by_role("link", name="Back to the course").focus()
    page.keyboard.press("Tab")
    expect(frame.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Tab")
    expect(frame.locator(":focus")).to_have_text("Start the pod")
    page.keyboard.press("Tab")
    expect(frame.locator(":focus")).to_have_text(RUBRIC_LINK)
    page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", level=1)).to_have_text(RUBRIC_HEADING)
    page.locator(f"#{TOOL_FRAME}").screenshot(path=artifacts / "iframe-keyboard-rubric.png")
