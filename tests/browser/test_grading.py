"""Faculty grade a submission end to end in the framed tool, in Debian's Chromium.

A resident submits "governance" (answers filled in the database, the submit button
clicked in the browser); an instructor opens the grading queue, opens the submission,
picks levels by keyboard and by mouse, watches the running total, writes feedback and
releases; the resident then sees the score and feedback.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leadership_pods.pods.catalogue import load_catalogue
from leadership_pods.pods.models import Attempt
from leadership_pods.rubrics import document
from leadership_pods.rubrics.models import Assessment, RubricVersion
from tests.browser.lms import ACTIVITY_TITLE, TOOL_FRAME, TestLMS
from tests.browser.player_helpers import db
from tests.support.answers import complete_answers

pytestmark = pytest.mark.browser

POD = "governance"
FEEDBACK = "A valid vote, and the minority view is on the record."


def as_role(lms: TestLMS, role: str, sub: str) -> None:
    """Launch the next activity as ``role`` with user ``sub`` (the LMS signs what we say)."""
    claims = type(lms.platform).claims

    def with_role(**kwargs: Any) -> dict[str, Any]:
        kwargs["role"] = role
        kwargs["overrides"] = {**(kwargs.get("overrides") or {}), "sub": sub}
        return claims(lms.platform, **kwargs)

    lms.platform.claims = with_role  # type: ignore[method-assign]


def open_activity(page: Any, lms: TestLMS, expect: Any) -> Any:
    lms.pod = POD
    page.goto(lms.course_url)
    page.get_by_role("link", name=ACTIVITY_TITLE).click()
    frame = page.frame_locator(f"#{TOOL_FRAME}")
    expect(frame.get_by_role("heading", level=1)).to_be_visible()
    return frame


def test_faculty_grade_and_release_then_the_resident_reads_it(tool, start_lms, browser, expect):
    lms = start_lms(platform_storage=False)
    page = browser(viewport={"width": 1024, "height": 900}).new_page()
    as_role(lms, "Learner", "resident-7")
    frame = open_activity(page, lms, expect)
    frame.get_by_role("button", name="Start the pod").click()
    expect(frame.get_by_role("heading", level=1)).not_to_have_text(package_of().metadata.title)
    with db(tool) as s:
        attempt = s.scalar(select(Attempt))
        attempt.answers = complete_answers(package_of())
    frame = open_activity(page, lms, expect)
    page.frame(name=TOOL_FRAME).goto(page.frame(name=TOOL_FRAME).url.replace(
        f"/pods/{POD}?", f"/pods/{POD}/submit?"))
    frame.get_by_role("button", name="Submit Governance").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Submitted")

    with db(tool) as s:
        assessment = s.scalar(select(Assessment))
        data = s.get(RubricVersion, assessment.rubric_version_id).data
        faculty = document.faculty_criteria(data)
        start_total = float(assessment.total)
    assert len(faculty) >= 2

    as_role(lms, "Instructor", "faculty-3")
    frame = open_activity(page, lms, expect)
    frame.get_by_role("link", name="Grading queue").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Grading queue")
    frame.locator("tbody th a").first.click()
    expect(frame.get_by_role("heading", name="The submission")).to_be_visible()
    total = frame.locator("#total-points")
    expect(total).to_have_text(f"{start_total:g}")

    # the first criterion by keyboard: focus its top level, select with Space
    first, *rest = faculty
    top = first["levels"][-1]
    radio = frame.locator(f"#level-{first['id']}-{top['id']}")
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    expect(total).to_have_text(f"{start_total + top['points']:g}")
    running = start_total + top["points"]
    for criterion in rest:  # the others by mouse
        level = criterion["levels"][-1]
        frame.locator(f"label[for='level-{criterion['id']}-{level['id']}']").click()
        running += level["points"]
    expect(total).to_have_text(f"{running:g}")
    frame.get_by_label("Overall feedback").fill(FEEDBACK)
    frame.get_by_role("button", name="Release to the resident").click()
    expect(frame.get_by_role("status").first).to_contain_text("Released")
    with db(tool) as s:
        assert s.scalar(select(Assessment.status)) == "released"

    as_role(lms, "Learner", "resident-7")
    frame = open_activity(page, lms, expect)
    frame.get_by_role("link", name="Your score and feedback").click()
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Your result")
    expect(frame.get_by_text(FEEDBACK)).to_be_visible()
    expect(frame.locator("[data-result]")).to_contain_text(f"{running:g} of")


def package_of() -> Any:
    return load_catalogue().package(POD)
