"""A resident does a pod in the player, framed by the test LMS, in Debian's Chromium.

The LMS (127.0.0.1) frames the tool (localhost) cross-site, as a real Moodle does; the
pod is "quality-improvement", which has every section type but a simulation. What the
browser did is checked on the page (what a resident sees: the save status, word
counts, feedback, progress) and in the tool's database (what was kept).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from leadership_pods.pods.answers import case_end, is_complete, word_count
from leadership_pods.pods.models import STATUS_SUBMITTED
from leadership_pods.pods.validation_model import (
    BranchingCaseSection,
    ConfidenceSection,
    DeliverableSection,
    KnowledgeCheckSection,
    MicroLearningSection,
    ReflectionSection,
    Section,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.lms import ToolServer
from tests.browser.player_helpers import (
    OFFLINE,
    POD,
    SAVED,
    SaveOutage,
    expect_saved,
    go_next,
    heading,
    open_pod,
    package,
    press,
    status,
    strong_path,
    the_attempt,
    tool_frame,
    wait_for,
    watch_for_errors,
    words_of_text,
)

pytestmark = pytest.mark.browser

SAVE_URL = f"**/pods/{POD}/save"


@pytest.fixture
def storage_browser(playwright: Any, tool: ToolServer, tmp_path: Path) -> Iterator[
        Callable[..., Any]]:
    """Like ``browser``, with third-party cookies, and so the framed tool's storage,
    allowed (Chromium's "Allow third-party cookies"). Depends on ``tool`` so that its
    browsers close before the tool's server stops, as ``browser``'s do."""
    contexts: list[Any] = []

    def launch(*, viewport: dict[str, int] | None = None) -> Any:
        profile = tmp_path / f"chromium-storage-profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        prefs = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=viewport or {"width": 1024, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


def start_pod(frame: Any, expect: Any) -> None:
    frame.get_by_role("button", name="Start the pod").click()
    expect(heading(frame)).to_have_text(package().sections[0].ref.title)


# ---------------------------------------------------------------------------------------
# the whole pod, as a resident does it (on a phone-sized screen)
# ---------------------------------------------------------------------------------------
def rate(frame: Any, expect: Any, content: ConfidenceSection, offset: int) -> dict[str, int]:
    ratings = {}
    for i, item in enumerate(content.items):
        value = 1 + (i + offset) % len(content.scale)
        group = frame.get_by_role("group", name=item.statement, exact=True)
        group.get_by_role("radio", name=content.scale[value - 1], exact=True).click()
        expect(group.get_by_role("radio", name=content.scale[value - 1], exact=True)).to_be_checked()
        ratings[item.id] = value
    expect_saved(frame, expect)
    return ratings


def read_slides(frame: Any, expect: Any, content: MicroLearningSection) -> None:
    count = len(content.slides)
    counter = frame.locator("[data-slide-counter]")
    expect(counter).to_have_text(f"Slide 1 of {count}")
    expect(frame.get_by_role("heading", level=2, name=content.slides[0].title)).to_be_visible()
    for n in range(2, count + 1):
        frame.get_by_role("button", name="Next slide").click()
        expect(counter).to_have_text(f"Slide {n} of {count}")
        title = content.slides[n - 1].title
        expect(frame.get_by_role("heading", level=2, name=title)).to_be_visible()
        expect(frame.locator(":focus")).to_contain_text(title)  # focus follows the slide
        expect(frame.get_by_role("heading", level=2, name=content.slides[n - 2].title)).to_be_hidden()
    expect(frame.get_by_role("button", name="Next slide")).to_be_disabled()
    expect_saved(frame, expect)


def answer_questions(frame: Any, expect: Any, content: KnowledgeCheckSection,
                     artifacts: Path) -> dict[str, str]:
    chosen = {}
    for n, question in enumerate(content.questions):
        box = frame.locator(f'fieldset[data-question="{question.id}"]')
        right = next(c for c in question.choices if c.correct)
        if n == 0:  # a first, wrong guess: its feedback shows, then the right answer's
            wrong = next(c for c in question.choices if not c.correct)
            box.locator(f'label[for="{question.id}-{wrong.id}"]').click()
            expect(box.locator(f'[data-feedback="{wrong.id}"]')).to_be_visible()
            expect(box.locator(f'[data-feedback="{wrong.id}"]')).to_contain_text("Not quite.")
        box.locator(f'label[for="{question.id}-{right.id}"]').click()
        feedback = box.locator(f'[data-feedback="{right.id}"]')
        expect(feedback).to_be_visible()
        expect(feedback).to_contain_text("Correct.")
        expect(feedback).not_to_contain_text("Correct. Correct.")  # the verdict once
        expect(box.locator("[data-feedback]:visible")).to_have_count(1)
        if question.explanation:
            expect(box.locator("[data-explanation]")).to_be_visible()
        if n == 0:
            feedback.scroll_into_view_if_needed()
            frame.owner.screenshot(path=artifacts / "player-knowledge-check-360.png")
        chosen[question.id] = right.id
    expect_saved(frame, expect)
    return chosen


def take_the_case(frame: Any, expect: Any, content: BranchingCaseSection) -> list[str]:
    labels = []
    for n, (_, label) in enumerate(strong_path(content), start=1):
        frame.get_by_role("button", name=label, exact=True).click()
        # the decision is saved, then the page reloads to show what follows
        expect(frame.locator(".case-history summary")).to_have_text(
            f"Your decisions so far ({n})")
        labels.append(label)
    expect(frame.get_by_role("heading", level=2, name="The case ends here")).to_contain_text(
        "outcome: strong")
    expect(frame.locator("[data-case-choice]")).to_have_count(0)
    return labels


def write_charter(page: Any, frame: Any, expect: Any, content: DeliverableSection,
                  arrived: float) -> dict[str, str]:
    texts: dict[str, str] = {}
    offset = 0
    for n, prompt in enumerate(content.prompts):
        text = words_of_text((prompt.min_words or 20) + 8, offset)
        offset += 37
        area = frame.get_by_label(prompt.label, exact=True)
        if n == 0:  # typed, key by key
            area.click()
            page.keyboard.type(text)
        else:  # pasted from a draft written elsewhere
            area.fill(text)
        texts[prompt.id] = text
        limits = (f" (at least {prompt.min_words})" if prompt.min_words else "") + (
            f" (at most {prompt.max_words})" if prompt.max_words else "")
        expect(frame.locator(f"#count-{prompt.id}")).to_have_text(
            f"{word_count(text)} words{limits}")
    total = sum(word_count(t) for t in texts.values())
    target = f" of about {content.target_words}" if content.target_words else ""
    expect(frame.locator("[data-total-words]")).to_have_text(f"Total: {total} words{target}")
    expect_saved(frame, expect)
    # a pause to reread, then one more sentence: the player counts time on task in
    # 5-second ticks, and the next save carries it
    pause = 5.6 - (time.monotonic() - arrived)
    if pause > 0:
        page.wait_for_timeout(pause * 1000)
    last = content.prompts[-1]
    area = frame.get_by_label(last.label, exact=True)
    area.press("Control+End")
    addition = " We will report progress to the quality council in June."
    page.keyboard.type(addition)
    texts[last.id] += addition
    expect(frame.locator("[data-total-words]")).to_have_text(
        f"Total: {sum(word_count(t) for t in texts.values())} words{target}")
    expect_saved(frame, expect)
    return texts


def reflect(page: Any, frame: Any, expect: Any, content: ReflectionSection) -> dict[str, str]:
    texts = {}
    for n, prompt in enumerate(content.prompts):
        text = (f"Point {n + 1}: the nurses saw the delays long before I did, and I should "
                "have asked them first.")
        frame.get_by_label(prompt.label, exact=True).click()
        page.keyboard.type(text)
        texts[prompt.id] = text
    # no waiting for "All changes saved": the last words are typed and the resident goes
    # straight on (the player saves before it leaves, so the next page is rendered
    # after the save, and its own first save does not meet a stale version)
    expect(status(frame)).to_have_text("Saving…")
    return texts


def do_section(page: Any, frame: Any, expect: Any, section: Section, arrived: float,
               artifacts: Path) -> Any:
    content = section.content
    if isinstance(content, ConfidenceSection):
        return {"items": rate(frame, expect, content, offset=2 if content.when == "after" else 0)}
    if isinstance(content, MicroLearningSection):
        assert content.format == "slides"
        read_slides(frame, expect, content)
        return {"viewed": list(range(len(content.slides)))}
    if isinstance(content, KnowledgeCheckSection):
        return {"answers": answer_questions(frame, expect, content, artifacts)}
    if isinstance(content, BranchingCaseSection):
        return {"labels": take_the_case(frame, expect, content)}
    if isinstance(content, DeliverableSection):
        return {"responses": write_charter(page, frame, expect, content, arrived)}
    if isinstance(content, ReflectionSection):
        return {"responses": reflect(page, frame, expect, content)}
    raise AssertionError(f"{section.ref.type} is not expected in {POD}")


def test_a_resident_does_the_whole_pod_in_the_frame(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    """Start, every section as a person does it (Likert radios, slides, a wrong then a
    right answer with feedback, case decisions to an ending, a typed and pasted charter
    with word counts, a reflection), review, submit, confirmation; then the database
    holds a submitted attempt with a complete answer for every section and time on task."""
    pkg = package()
    sections = pkg.sections
    lms = start_lms(platform_storage=False)
    page = browser(viewport={"width": 360, "height": 800}).new_page()
    problems = watch_for_errors(page, tool)
    frame = open_pod(page, lms, expect)
    start_pod(frame, expect)

    given: dict[str, Any] = {}
    moved_on = False
    for index, section in enumerate(sections):
        if index and not moved_on:
            go_next(frame, expect, section.ref.title)
        arrived = time.monotonic()
        expect(heading(frame)).to_have_text(section.ref.title)
        expect(frame.get_by_text(f"Section {index + 1} of {len(sections)}")).to_be_visible()
        given[section.ref.id] = do_section(page, frame, expect, section, arrived, artifacts)
        moved_on = isinstance(section.content, ReflectionSection)
        if moved_on:  # straight on, while the last words are still "Saving…"
            go_next(frame, expect, sections[index + 1].ref.title)
            assert status(frame).get_attribute("data-state") is None  # nothing queued here yet
        # the progress shown: from the last save's answer, or (after the reflection)
        # as the next page was rendered, so that page came after the save
        expect(frame.locator("#progress-text")).to_have_text(
            f"{index + 1} of {len(sections)} sections done")

    expect(frame.get_by_role("link", name="Next section")).to_have_count(0)
    frame.get_by_role("link", name="Review and submit").click()
    expect(heading(frame)).to_have_text("Review and submit")
    expect(frame.get_by_text("Every section is done.")).to_be_visible()
    frame.get_by_role("button", name=f"Submit {pkg.metadata.title}").click()
    expect(heading(frame)).to_have_text("Submitted")
    expect(frame.get_by_role("heading", level=2, name="What happens next")).to_be_visible()
    expect(frame.get_by_text(f"You submitted {pkg.metadata.title} on")).to_be_visible()

    assert not problems, problems  # no script errors, no CSP violations in the tool's pages
    attempt = the_attempt(tool)
    assert attempt.status == STATUS_SUBMITTED and attempt.submitted_at is not None
    assert set(attempt.answers) == {s.ref.id for s in sections}
    assert all(is_complete(s, attempt.answers[s.ref.id]) for s in sections)
    assert attempt.active_seconds > 0
    for section in sections:
        stored, sent = attempt.answers[section.ref.id], given[section.ref.id]
        if isinstance(section.content, BranchingCaseSection):
            assert case_end(section.content, stored["path"])[1] == "strong"
            assert len(stored["path"]) == len(sent["labels"])
        else:
            assert stored == sent, section.ref.id


# ---------------------------------------------------------------------------------------
# reloads mid-section
# ---------------------------------------------------------------------------------------
def open_reflection(tool: ToolServer, start_lms: Any, context: Any, expect: Any) -> tuple[
        Any, Any, ReflectionSection, str]:
    lms = start_lms(platform_storage=False)
    page = context.new_page()
    frame = open_pod(page, lms, expect)
    start_pod(frame, expect)
    section = next(s for s in package().sections if isinstance(s.content, ReflectionSection))
    frame.get_by_role("link", name=section.ref.title, exact=True).click()
    expect(heading(frame)).to_have_text(section.ref.title)
    assert isinstance(section.content, ReflectionSection)
    return page, frame, section.content, section.ref.id


def a_browser(browser: Any, storage_browser: Any, storage: str) -> Any:
    """Chromium's defaults here block third-party cookies, and with them every kind of
    storage of the framed tool (localStorage throws); "allowed" lifts that."""
    return browser() if storage == "blocked" else storage_browser()


def storage_in_frame(page: Any) -> bool:
    return bool(tool_frame(page).evaluate(
        "() => { try { return !!window.localStorage; } catch (e) { return false; } }"))


def stored_text(tool: ToolServer, section_id: str, prompt_id: str) -> str:
    answer = the_attempt(tool).answers.get(section_id) or {}
    return str(answer.get("responses", {}).get(prompt_id, ""))


def reload_frame(page: Any) -> None:
    """The browser's "Reload frame": only the tool's page reloads, not the LMS page."""
    frame = tool_frame(page)
    with frame.expect_navigation():
        frame.evaluate("() => { window.setTimeout(() => window.location.reload(), 0); }")


def expect_settled(page: Any, frame: Any, expect: Any) -> None:
    """The page shows "All changes saved" and still does once any save it queued on
    load (a restored draft) has had time to go out and come back."""
    expect(status(frame)).to_have_text(SAVED)
    page.wait_for_timeout(1500)
    expect(status(frame)).to_have_text(SAVED)
    assert status(frame).get_attribute("data-state") in (None, "", "saved")


@pytest.mark.parametrize("storage", ["blocked", "allowed"])
def test_a_reload_before_the_autosave_fires_loses_nothing(
        tool: ToolServer, start_lms: Any, browser: Any, storage_browser: Any, expect: Any,
        storage: str) -> None:
    """Type, see "All changes saved", type more and reload the frame at once (before the
    800 ms debounce): the new page shows everything typed, the server ends up with all
    of it, and no "changed in another tab" conflict appears; with the framed tool's
    storage blocked (Chromium's default here) and allowed."""
    context = a_browser(browser, storage_browser, storage)
    page, frame, content, section_id = open_reflection(tool, start_lms, context, expect)
    assert storage_in_frame(page) is (storage == "allowed")
    prompt = content.prompts[0]
    area = frame.get_by_label(prompt.label, exact=True)
    first = "The step I found least intuitive was measuring before changing anything."
    area.click()
    page.keyboard.type(first)
    expect_saved(frame, expect)
    assert stored_text(tool, section_id, prompt.id) == first

    more = " I wanted to fix the order deadline on day one."
    saves_before = len(tool.log.to("POST", f"/pods/{POD}/save"))
    page.keyboard.type(more)
    expect(status(frame)).to_have_text("Saving…")
    assert len(tool.log.to("POST", f"/pods/{POD}/save")) == saves_before  # debounce pending
    reload_frame(page)

    area = frame.get_by_label(prompt.label, exact=True)
    expect(area).to_have_value(first + more)
    wait_for(lambda: stored_text(tool, section_id, prompt.id) == first + more,
             what="the text typed before the reload to reach the server")
    expect_settled(page, frame, expect)
    # and it is still all there on a plain reload once everything is saved
    reload_frame(page)
    expect(frame.get_by_label(prompt.label, exact=True)).to_have_value(first + more)
    expect_settled(page, frame, expect)
    assert stored_text(tool, section_id, prompt.id) == first + more


@pytest.mark.parametrize(("storage", "reload"), [("blocked", "frame"), ("allowed", "lms page")])
def test_a_reload_while_saves_fail_keeps_the_text_and_saves_it_on_recovery(
        tool: ToolServer, start_lms: Any, browser: Any, storage_browser: Any, expect: Any,
        storage: str, reload: str) -> None:
    """Saves fail (the network drops every request to the save URL, and the tool refuses
    any that slips through); the player says "Offline or busy". The resident reloads: the text typed while offline is back,
    still reported unsaved, and once the network recovers it is all saved.

    With the tool's storage blocked the draft lives in the page's history entry, so the
    frame is reloaded; with storage allowed, the whole LMS page is (a new launch of the
    same link, then "Resume"), and the draft comes back from localStorage."""
    context = a_browser(browser, storage_browser, storage)
    page, frame, content, section_id = open_reflection(tool, start_lms, context, expect)
    prompt = content.prompts[1]
    area = frame.get_by_label(prompt.label, exact=True)
    before = "A new sepsis alert fired on every patient."
    area.click()
    page.keyboard.type(before)
    expect_saved(frame, expect)

    dropped: list[str] = []

    def drop(route: Any) -> None:
        dropped.append(route.request.url)
        route.abort("internetdisconnected")

    outage = SaveOutage(tool)
    outage.down = True
    page.route(SAVE_URL, drop)
    offline = " A two-day test on one unit would have shown the alert fatigue."
    page.keyboard.type(offline)
    expect(status(frame)).to_contain_text(OFFLINE)
    expect(status(frame)).to_have_attribute("data-state", "retrying")
    assert dropped

    if reload == "frame":
        reload_frame(page)
    else:
        page.reload()  # the LMS page: a new launch of the same link
        expect(heading(frame)).to_have_text(package().metadata.title)
        frame.get_by_role("button", name="Resume").click()
        expect(heading(frame)).to_have_text("Reflection")
    area = frame.get_by_label(prompt.label, exact=True)
    expect(area).to_have_value(before + offline)
    expect(status(frame)).to_contain_text(OFFLINE)
    page.wait_for_timeout(1500)  # still offline for a while
    assert stored_text(tool, section_id, prompt.id) == before
    failed = len(dropped)

    page.unroute(SAVE_URL)
    outage.down = False
    expect_saved(frame, expect, timeout=40_000)
    assert stored_text(tool, section_id, prompt.id) == before + offline
    assert failed >= 2, dropped  # before and after the reload
    reload_frame(page)
    expect(frame.get_by_label(prompt.label, exact=True)).to_have_value(before + offline)
    expect_settled(page, frame, expect)


# ---------------------------------------------------------------------------------------
# keyboard only
# ---------------------------------------------------------------------------------------
def tab_to_the_form(page: Any, done: int, total: int) -> None:
    """From a freshly loaded section page: skip link, into main, then the pod link, the
    progress summary and every section's link, in reading order.

    Waits for the frame's load event first: until then Chromium re-applies a fragment
    link's target (focus included) as the page's resources arrive, so a Tab pressed
    after "Skip to content" but before the load finished was taken back to main."""
    tool_frame(page).wait_for_load_state("load")
    press(page, "Tab", "a:Skip to content")
    press(page, "Enter", "main:")
    press(page, "Tab", f"a:{package().metadata.title}")
    press(page, "Tab", f"summary:{done} of {total} sections done")
    for section in package().sections:
        press(page, "Tab", f"a:{section.ref.title}")


def test_keyboard_only_confidence_and_knowledge_check(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any) -> None:
    """Tab, Shift+Tab, arrow keys, Space and Enter only: from the LMS into the frame,
    start the pod, rate every confidence item, go to the knowledge check and answer
    every question, with visible focus moving in reading order at every step."""
    pkg = package()
    total = len(pkg.sections)
    confidence = pkg.sections[0]
    check = next(s for s in pkg.sections if isinstance(s.content, KnowledgeCheckSection))
    assert isinstance(confidence.content, ConfidenceSection)
    assert isinstance(check.content, KnowledgeCheckSection)
    lms = start_lms(platform_storage=False)
    page = browser().new_page()
    frame = open_pod(page, lms, expect)

    page.get_by_role("link", name="Back to the course").focus()
    press(page, "Tab", "a:Skip to content")
    press(page, "Tab", "button:Start the pod")
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text(confidence.ref.title)

    # the confidence section: Tab into each item's radios, arrows to pick a rating
    tab_to_the_form(page, 0, total)
    ratings = {}
    for i, item in enumerate(confidence.content.items):
        press(page, "Tab", f"radio:items.{item.id}=1")
        rating = 1 + (i * 2) % len(confidence.content.scale)
        if rating == 1:
            press(page, "Space", f"radio:items.{item.id}=1 checked")
        for value in range(2, rating + 1):
            press(page, "ArrowRight", f"radio:items.{item.id}={value} checked")
        ratings[item.id] = rating
        if i == 0:  # Enter on a radio button submits nothing and stays put
            press(page, "Enter", f"radio:items.{item.id}={rating} checked")
            page.wait_for_timeout(300)
            press(page, "Shift", f"radio:items.{item.id}={rating} checked")
            expect(heading(frame)).to_have_text(confidence.ref.title)
    # Shift+Tab goes back to the previous item, on its chosen rating, and Tab returns
    items = confidence.content.items
    press(page, "Shift+Tab", f"radio:items.{items[-2].id}={ratings[items[-2].id]} checked")
    press(page, "Tab", f"radio:items.{items[-1].id}={ratings[items[-1].id]} checked")
    press(page, "Tab", "a:Next section")
    expect_saved(frame, expect)
    expect(frame.locator("#progress-text")).to_have_text(f"1 of {total} sections done")
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text(pkg.sections[1].ref.title)

    # to the knowledge check through the section list
    press(page, "Tab", "a:Skip to content")
    press(page, "Tab", f"a:{pkg.metadata.title}")
    press(page, "Tab", f"summary:1 of {total} sections done")
    for section in pkg.sections:
        press(page, "Tab", f"a:{section.ref.title}")
        if section is check:
            break
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text(check.ref.title)

    tab_to_the_form(page, 1, total)
    answers = {}
    questions = check.content.questions
    for n, question in enumerate(questions):
        first = question.choices[0]
        press(page, "Tab", f"radio:answers.{question.id}={first.id}")
        right = next(i for i, c in enumerate(question.choices) if c.correct)
        if right == 0:
            press(page, "Space", f"radio:answers.{question.id}={first.id} checked")
        for i in range(1, right + 1):
            press(page, "ArrowDown", f"radio:answers.{question.id}={question.choices[i].id} checked")
        box = frame.locator(f'fieldset[data-question="{question.id}"]')
        chosen = question.choices[right].id
        expect(box.locator(f'[data-feedback="{chosen}"]')).to_be_visible()
        expect(box.locator(f'[data-feedback="{chosen}"]')).to_contain_text("Correct.")
        expect(box.locator("[data-feedback]:visible")).to_have_count(1)
        answers[question.id] = chosen
        if n == 1:  # back to the first question and forward again
            press(page, "Shift+Tab", f"radio:answers.{questions[0].id}={answers[questions[0].id]} checked")
            press(page, "Tab", f"radio:answers.{question.id}={chosen} checked")
    press(page, "Tab", "a:Previous section")
    press(page, "Tab", "a:Next section")
    expect_saved(frame, expect)
    expect(frame.locator("#progress-text")).to_have_text(f"2 of {total} sections done")

    attempt = the_attempt(tool)
    assert attempt.answers[confidence.ref.id] == {"items": ratings}
    assert attempt.answers[check.ref.id] == {"answers": answers}
