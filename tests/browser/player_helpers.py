"""Helpers for the player's browser tests: opening a pod from the test LMS, the save
status, focus, what the database holds, and answers a resident might type."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt
from leadership_pods.pods.validation_model import BranchingCaseSection, PodPackage
from tests.browser.lms import ACTIVITY_TITLE, TOOL_FRAME, TestLMS, ToolServer

#: a pod without a simulation section: every section is the player's own
POD = "quality-improvement"
SAVED = "All changes saved"
OFFLINE = "Offline or busy"


def package() -> PodPackage:
    return load_catalogue().package(POD)


def tool_frame(page: Any) -> Any:
    """The tool's frame, for evaluating script in it (locators use ``frame_locator``)."""
    frame = page.frame(name=TOOL_FRAME)
    assert frame is not None, "the LMS page has no tool frame"
    return frame


def open_pod(page: Any, lms: TestLMS, expect: Any) -> Any:
    """From the LMS course page, open the activity; returns the tool's frame locator on
    the pod's overview."""
    lms.pod = POD
    page.goto(lms.course_url)
    page.get_by_role("link", name=ACTIVITY_TITLE).click()
    frame = page.frame_locator(f"#{TOOL_FRAME}")
    expect(frame.get_by_role("heading", level=1)).to_have_text(package().metadata.title)
    return frame


def heading(frame: Any) -> Any:
    return frame.get_by_role("heading", level=1)


def status(frame: Any) -> Any:
    return frame.locator("#save-status")


def expect_saved(frame: Any, expect: Any, timeout: float = 10_000) -> None:
    """The status after a save the server acknowledged (not the page's initial text)."""
    expect(status(frame)).to_have_attribute("data-state", "saved", timeout=timeout)
    expect(status(frame)).to_have_text(SAVED)


def go_next(frame: Any, expect: Any, title: str) -> None:
    frame.get_by_role("link", name="Next section", exact=True).click()
    expect(heading(frame)).to_have_text(title)


# -- the database ----------------------------------------------------------------------
@contextmanager
def db(tool: ToolServer) -> Iterator[Session]:
    with tool.app.extensions["leadership_pods"]["db"].transaction() as session:
        yield session


def the_attempt(tool: ToolServer) -> Attempt:
    """The one attempt, read in a fresh session and detached (safe to read after)."""
    with db(tool) as session:
        attempt = session.scalar(select(Attempt))
        assert attempt is not None, "no attempt was started"
        session.expunge(attempt)
        return attempt


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


# -- focus -----------------------------------------------------------------------------
_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return { what: "body", visible: false }; }
  const tag = el.tagName.toLowerCase();
  let what;
  if (tag === "input") {
    what = el.type + ":" + el.name + "=" + el.value + (el.checked ? " checked" : "");
  } else if (tag === "textarea") {
    what = "textarea:" + el.name;
  } else {
    what = tag + ":" + (el.textContent || "").replace(/\\s+/g, " ").trim();
  }
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const inView = rect.bottom > 0 && rect.top < window.innerHeight && rect.width > 0;
  const ring = el.matches(":focus-visible") && style.outlineStyle !== "none"
    && parseFloat(style.outlineWidth) >= 2;
  return { what: what, visible: inView && (ring || tag === "main") };
}"""


def focused(page: Any) -> dict[str, Any]:
    return tool_frame(page).evaluate(_DESCRIBE_FOCUS)  # type: ignore[no-any-return]


def press(page: Any, key: str, expected: str, timeout: float = 3.0) -> None:
    """Press ``key`` and check that focus lands, visibly, on ``expected`` (a prefix of
    the focused element's description, e.g. ``"a:Next section"`` or
    ``"radio:items.pdsa=3 checked"``)."""
    page.keyboard.press(key)
    deadline = time.monotonic() + timeout
    while True:
        now = focused(page)
        arrived = now["what"].startswith(expected)
        if arrived and now["visible"]:
            return
        if time.monotonic() > deadline:
            if arrived:
                raise AssertionError(f"focus on {now['what']!r} is not visible")
            outside = page.evaluate("() => document.activeElement && "
                                    "document.activeElement.outerHTML.slice(0, 80)")
            raise AssertionError(f"after {key}: focus is on {now['what']!r}, "
                                 f"expected {expected!r} (LMS page focus: {outside!r})")
        time.sleep(0.03)


# -- the branching case ----------------------------------------------------------------
def strong_path(case: BranchingCaseSection) -> list[tuple[str, str]]:
    """(node id, choice label) from the start to a strong ending."""
    nodes = {n.id: n for n in case.nodes}

    def walk(node_id: str, seen: frozenset[str]) -> list[tuple[str, str]] | None:
        node = nodes[node_id]
        if node.end is not None:
            return [] if node.end.outcome == "strong" else None
        for choice in node.choices:
            if choice.next in seen:
                continue
            rest = walk(choice.next, seen | {choice.next})
            if rest is not None:
                return [(node.id, choice.label), *rest]
        return None

    path = walk(case.start, frozenset({case.start}))
    assert path, "the case has no strong ending"
    return path


# -- what a resident types -------------------------------------------------------------
_CHARTER_WORDS = (
    "On 7 North the median time from discharge order to departure for patients going home "
    "was 4.6 hours over the last twelve weeks, and only 14% left before noon. Medicine "
    "patients wait a median of nine hours in the emergency department for a bed, which "
    "delays care, frustrates families and exhausts night staff. Delays cluster around "
    "prescriptions, transport and late discharge orders, with no single team at fault. "
    "We will test an afternoon huddle that names next-day discharges, sends prescriptions "
    "to the meds-to-beds pharmacy the day before and books transport early. The team is "
    "the charge nurse, a bedside nurse, the case manager, the unit pharmacist, a transport "
    "lead, a patient and family advisor, a data analyst and two residents, with the unit "
    "medical director as sponsor. We will track weekly median order-to-departure time, the "
    "share of next-day discharges named at the huddle, and readmissions and patient "
    "readiness as balancing measures, reviewed every two weeks on a run chart."
).split()


def words_of_text(n: int, start: int = 0) -> str:
    """``n`` words of a plausible charter, starting ``start`` words in (wrapping)."""
    words = [_CHARTER_WORDS[(start + i) % len(_CHARTER_WORDS)] for i in range(n)]
    return " ".join(words)


# -- an outage of the save endpoint ------------------------------------------------------
class SaveOutage:
    """WSGI middleware on the tool: while ``down``, every save is answered 503 unapplied.

    ``page.route`` aborts what the page itself fetches, but not the keepalive save the
    browser sends on the page's behalf while it unloads (that one reaches the tool), so a
    faithful outage also needs the server side of it.
    """

    def __init__(self, tool: ToolServer) -> None:
        self.app = tool.app.wsgi_app
        self.down = False
        self.refused = 0
        tool.app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (self.down and environ.get("REQUEST_METHOD") == "POST"
                and environ.get("PATH_INFO", "").endswith("/save")):
            self.refused += 1
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "unavailable", "message": "down for the test"}']
        return self.app(environ, start_response)


def watch_for_errors(page: Any, tool: ToolServer) -> list[str]:
    """Uncaught script errors anywhere, and console errors logged by the tool's pages
    (a CSP violation, a failed load); the list fills as the page runs."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    def console(message: Any) -> None:
        if message.type == "error" and str(message.location.get("url", "")).startswith(
                tool.base_url):
            problems.append(f"console: {message.text}")

    page.on("console", console)
    return problems
