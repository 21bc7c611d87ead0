"""A resident balances the cardiology budget in the framed player, in Debian's Chromium.

The LMS (127.0.0.1) frames the tool (localhost). The other sections of "budget-balancing"
are filled in the database (the player's own browser test covers them); here the resident
types lever values and justifications, watches the server's model update the summary, meets
a refusal for unsafe staffing, uses undo and reset, negotiates with the CFO to an agreement,
writes the executive summary with its word count and speaking time, and submits.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from leadership_pods.pods.answers import WORDS_PER_MINUTE, word_count
from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import LeverChange, Plan, baseline, evaluate
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS
from leadership_pods.pods.budget.presentation import grid_money
from leadership_pods.pods.budget.workbook import export_workbook
from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import STATUS_SUBMITTED, Attempt
from leadership_pods.pods.validation_model import DeliverableSection
from tests.browser.lms import ToolServer
from tests.browser.player_helpers import db, expect_saved, heading, the_attempt, tool_frame
from tests.support.answers import complete_answers

pytestmark = pytest.mark.browser

POD = "budget-balancing"
SIMULATION = "budget-simulation"
SUMMARY = "executive-summary"

#: what the resident enters: value and justification, in the order typed
LEVERS = [
    ("supply.interventional", "1", "Committed stent tier: 1,280 cases x $260 = $332,800 a year, "
                                   "recurring; compliance must go from 62% to 85%."),
    ("fte.agency_conversion", "5", "Convert 5 agency positions: about $533,600 in year one at "
                                   "70% realisation, recurring. Owner: nurse manager."),
    ("supply.ep_devices", "1", "EP committed tier: 1,080 cases x $250 = $270,000 a year."),
    ("hours.cath_lab_evening", "2", "Two evening sessions ($108,000) recapture 90 cases and cut "
                                    "door-to-balloon by 3 minutes."),
    ("supply.diagnostic_cath", "1", "Diagnostic cath tier: 2,350 cases x $60 = $141,000."),
]
ARGUMENT = ("The remaining $83,158 gap is 7% of the target. The imaging tier, worth $147,600, "
            "is the trigger if month-four margin is short.")


WIDER_THAN_THE_PAGE = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("#budget *"))
    .filter(el => !el.closest(".budget-scroll") || el.classList.contains("budget-scroll"))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .map(el => el.tagName + "." + el.className).slice(0, 5);
}"""


def plan_of(levers: list[tuple[str, str, str]]) -> Plan:
    return Plan({lid: LeverChange(D(value), text, True) for lid, value, text in levers})


def label(lever_id: str) -> str:
    return S.lever(lever_id).label


def spin(frame: Any, lever_id: str) -> Any:
    lever = S.lever(lever_id)
    return frame.get_by_role("spinbutton", name=f"{lever.label} {lever.unit}", exact=True)


def headline(frame: Any) -> Any:
    return frame.locator("[data-headline]")


def expect_margin(frame: Any, expect: Any, plan: Plan) -> None:
    """The summary shows the server model's margin for ``plan``."""
    margin = evaluate(S, plan).totals.operating_margin
    expect(headline(frame)).to_contain_text(f"Operating margin {grid_money(margin)}")


def focused_id(page: Any) -> str:
    return str(tool_frame(page).evaluate("() => document.activeElement.id"))


def fill_other_sections(tool: ToolServer) -> None:
    """Every section but the simulation and the executive summary, as done before."""
    answers = complete_answers(load_catalogue().package(POD))
    with db(tool) as session:
        attempt = session.scalar(select(Attempt))
        attempt.answers = {k: v for k, v in answers.items() if k not in (SIMULATION, SUMMARY)}
        attempt.version += 1


def test_a_resident_balances_the_budget_negotiates_and_submits(
        tool: ToolServer, start_lms: Any, browser: Any, expect: Any, artifacts: Path) -> None:
    pkg = load_catalogue().package(POD)
    lms = start_lms(platform_storage=False)
    page = browser(viewport={"width": 1024, "height": 900}).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    lms.pod = POD
    page.goto(lms.course_url)
    page.get_by_role("link", name="Budget Balancing pod").click()
    frame = page.frame_locator("#tool_content")
    expect(heading(frame)).to_have_text(pkg.metadata.title)
    frame.get_by_role("button", name="Start the pod").click()
    expect(heading(frame)).to_have_text(pkg.sections[0].ref.title)
    fill_other_sections(tool)
    simulation = next(s for s in pkg.sections if s.ref.id == SIMULATION)
    frame.get_by_role("link", name=simulation.ref.title).click()
    expect(heading(frame)).to_have_text(simulation.ref.title)
    expect(headline(frame)).to_contain_text("$1,613,481 short of the target")

    # -- the levers: a value, Enter, the model's numbers; a justification and its label --------
    typed: list[tuple[str, str, str]] = []
    for lever_id, value, text in LEVERS:
        box = spin(frame, lever_id)
        box.fill(value)
        box.press("Enter")
        typed.append((lever_id, value, text))
        expect_margin(frame, expect, plan_of(typed))
        why = frame.get_by_role("textbox", name=f"Justification for {label(lever_id)}")
        expect(why).to_be_visible()
        expect(why).to_have_attribute("aria-invalid", "true")
        expect(frame.locator("[data-unjustified]")).to_contain_text(label(lever_id))
        why.fill(text)
        expect(why).not_to_have_attribute("aria-invalid", "true")
        frame.get_by_role("combobox", name=f"Recurring or one-time for {label(lever_id)}").select_option(
            "recurring")
    expect(frame.locator("[data-unjustified]")).to_be_hidden()
    expect(headline(frame)).to_contain_text("$83,158 short of the target")
    expect(frame.locator('[data-status-of="quality.d2b"]')).to_contain_text("61 minutes")
    expect(frame.locator('[data-status-of="quality.d2b"] .budget-status')).to_have_text("kept")
    expect(frame.locator('tr[data-line="cost.supplies.interventional"] [data-flag]')).to_be_visible()
    expect_saved(frame, expect)
    assert Plan.from_json(the_attempt(tool).answers[SIMULATION]["plan"], S) == plan_of(typed)

    # -- keyboard: arrows move within the column, Page Up steps --------------------------------
    spin(frame, "supply.interventional").focus()
    page.keyboard.press("ArrowDown")
    assert focused_id(page) == "lv-supply-diagnostic_cath"
    page.keyboard.press("ArrowUp")
    assert focused_id(page) == "lv-supply-interventional"
    spin(frame, "fte.app").focus()
    page.keyboard.press("PageUp")
    expect(spin(frame, "fte.app")).to_have_value("0.1")
    expect_margin(frame, expect, plan_of(typed).with_change("fte.app", D("0.1")))
    frame.get_by_role("button", name="Undo").click()
    expect(spin(frame, "fte.app")).to_have_value("0")
    expect_margin(frame, expect, plan_of(typed))

    # -- unsafe staffing is refused with the reason, and the value stays ------------------------
    nurses = spin(frame, "fte.rn_cath_lab")
    nurses.fill("-5")
    nurses.press("Enter")
    refusal = frame.locator('[data-refusal-for="fte.rn_cath_lab"]')
    expect(refusal).to_contain_text("Refused: Cath and EP lab nursing would fall to 23.0 FTE, "
                                    "below the minimum safe staffing of 24.0 FTE")
    expect(refusal).to_have_attribute("role", "alert")
    expect(nurses).to_have_value("0")
    expect_margin(frame, expect, plan_of(typed))

    # -- reset to baseline, and undo brings the plan back ---------------------------------------
    frame.get_by_role("button", name="Reset to baseline").click()
    expect(headline(frame)).to_contain_text("$1,613,481 short of the target")
    # the answer leaves out the lines at their baseline figures; the page shows the baseline's
    supplies = frame.locator('tr[data-line="cost.supplies.interventional"]')
    expect(supplies.locator('[data-cell$=":amount"]')).to_have_text(
        grid_money(baseline(S).cost_line("cost.supplies.interventional").amount))
    expect(supplies.locator("[data-flag]")).to_be_hidden()
    expect(spin(frame, "fte.agency_conversion")).to_have_value("0")
    frame.get_by_role("button", name="Undo").click()
    expect(headline(frame)).to_contain_text("$83,158 short of the target")
    expect(frame.get_by_role("textbox", name=f"Justification for {label('supply.ep_devices')}")
           ).to_have_value(LEVERS[2][2])
    expect_saved(frame, expect)
    frame.locator(".budget-levers").screenshot(path=artifacts / "budget-levers-1024.png")

    # -- on a phone: the page does not scroll sideways -------------------------------------------
    page.set_viewport_size({"width": 360, "height": 800})
    frame.locator("#budget").scroll_into_view_if_needed()
    overflow = tool_frame(page).evaluate(WIDER_THAN_THE_PAGE)
    assert not overflow, f"at 360 px these reach past the page: {overflow}"
    page.screenshot(path=artifacts / "budget-grid-360.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 900})

    # -- the CFO: present, answer the objection with numbers, agreement -------------------------
    cfo = frame.locator("[data-cfo]")
    cfo.get_by_role("button", name="Present the plan to the CFO").click()
    expect(cfo.locator("[data-cfo-state]")).to_contain_text("Round 1 of 4")
    transcript = cfo.locator("[data-transcript]")
    expect(transcript).to_contain_text("Round 1 · Dana Mercer, CFO")
    expect(transcript).to_contain_text("$83,158 short of the $1.2M margin target")
    expect(cfo.get_by_role("button", name="Present the plan to the CFO")).to_be_hidden()
    cfo.get_by_role("textbox", name="Argue back: your answer on the margin, with numbers").fill(ARGUMENT)
    cfo.get_by_role("button", name="Answer the objections").click()
    expect(cfo.locator("[data-cfo-state]")).to_have_text("Outcome: Agreement (after 2 of 4 rounds).")
    expect(transcript).to_contain_text("On the margin: " + ARGUMENT)
    expect(transcript).to_contain_text("Dana Mercer (accepted)")
    expect(transcript).to_contain_text("Approved")
    expect(spin(frame, "supply.interventional")).to_be_disabled()
    expect(frame.get_by_role("button", name="Undo")).to_be_disabled()
    expect(frame.get_by_text("The CFO has given a final answer on this plan")).to_be_visible()
    expect_saved(frame, expect)
    cfo.screenshot(path=artifacts / "budget-cfo-1024.png")
    stored = the_attempt(tool).answers[SIMULATION]
    assert stored["negotiation"]["outcome"] == "agreement"
    assert stored["negotiation"]["rounds"] == 2
    expect(frame.locator('.section-nav [aria-current="step"]').locator("xpath=..")).to_have_class("done")

    # -- the executive summary: word counts and speaking time ----------------------------------
    frame.get_by_role("link", name="Next section", exact=True).click()
    deliverable = next(s for s in pkg.sections if s.ref.id == SUMMARY)
    expect(heading(frame)).to_have_text(deliverable.ref.title)
    content = deliverable.content
    assert isinstance(content, DeliverableSection)
    sentence = ("We close the $1.6M gap with recurring savings of $1.26M, hold door-to-balloon at "
                "61 minutes and ask for approval by June. ")
    total = 0
    for prompt in content.prompts:
        words = sentence.split()
        text = " ".join(words[i % len(words)] for i in range((prompt.min_words or 20) + 5))
        frame.get_by_label(prompt.label, exact=True).fill(text)
        total += word_count(text)
        expect(frame.locator(f"#count-{prompt.id}")).to_contain_text(f"{word_count(text)} words")
    minutes = f"{total / WORDS_PER_MINUTE:.1f}"
    expect(frame.locator("[data-total-words]")).to_have_text(
        f"Total: {total} words of about {content.target_words} · about {minutes} minutes spoken "
        f"at {WORDS_PER_MINUTE} words a minute (aim for {content.target_minutes})")
    expect_saved(frame, expect)

    # -- submit ------------------------------------------------------------------------------------
    last = pkg.sections[-1]
    frame.get_by_role("link", name=last.ref.title).click()
    expect(heading(frame)).to_have_text(last.ref.title)
    frame.get_by_role("link", name="Review and submit").click()
    expect(heading(frame)).to_have_text("Review and submit")
    expect(frame.get_by_text("Every section is done.")).to_be_visible()
    frame.get_by_role("button", name=f"Submit {pkg.metadata.title}").click()
    expect(heading(frame)).to_have_text("Submitted")
    attempt = the_attempt(tool)
    assert attempt.status == STATUS_SUBMITTED
    assert attempt.answers[SIMULATION]["negotiation"]["outcome"] == "agreement"
    assert word_count(" ".join(attempt.answers[SUMMARY]["responses"].values())) == total
    # the one failed request is the refused (409) unsafe change; nothing else went wrong
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    assert [(r.path, r.status) for r in tool.log.requests if r.status >= 400] == [
        (f"/pods/{POD}/budget/evaluate", 409)]


def test_a_workbook_is_checked_then_applied(tool: ToolServer, start_lms: Any, browser: Any,
                                            expect: Any, tmp_path: Path) -> None:
    """Upload: the differences show and nothing changes until the resident applies them."""
    lms = start_lms(platform_storage=False)
    page = browser().new_page()
    page.goto(lms.course_url)
    page.get_by_role("link", name="Budget Balancing pod").click()
    frame = page.frame_locator("#tool_content")
    frame.get_by_role("button", name="Start the pod").click()
    frame.get_by_role("link", name="Simulation: rebalance the service-line budget").click()
    expect(headline(frame)).to_contain_text("$1,613,481 short of the target")
    workbook = tmp_path / "my-plan.xlsx"
    workbook.write_bytes(export_workbook(S, COST_AND_CONTRACTS))
    frame.get_by_label("Upload your workbook (.xlsx)").set_input_files(str(workbook))
    frame.get_by_role("button", name="Check the workbook").click()
    result = frame.locator("[data-upload-result]")
    expect(result).to_be_visible()
    expect(result).to_contain_text(f"{len(COST_AND_CONTRACTS.changes)} levers would change")
    expect(result.locator("tbody tr")).to_have_count(len(COST_AND_CONTRACTS.changes))
    expect(headline(frame)).to_contain_text("$1,613,481 short of the target")  # not yet
    assert the_attempt(tool).answers == {}
    frame.get_by_role("button", name="Apply these changes").click()
    expect_margin(frame, expect, COST_AND_CONTRACTS)
    expect(result).to_be_hidden()
    expect(spin(frame, "fte.agency_conversion")).to_have_value("5")
    expect_saved(frame, expect)
    saved = the_attempt(tool).answers[SIMULATION]["plan"]
    assert Plan.from_json(saved, S) == COST_AND_CONTRACTS
