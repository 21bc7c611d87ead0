"""The budget simulation from an LTI launch: the grid page, evaluate, the CFO, autosave,
the Excel round trip, submit, and who may call what."""

from __future__ import annotations

import html
import io
import json
import re
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import select

from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import LeverChange, Plan, evaluate
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS
from leadership_pods.pods.budget.workbook import export_workbook, read_workbook
from leadership_pods.pods.models import Attempt
from tests.integration.test_player import body, csrf, get, launch, package, save, start
from tests.support.answers import budget_answer, complete_answers
from tests.support.platform import TOOL_BASE_URL

POD = "budget-balancing"
SECTION = "budget-simulation"

SHORT = Plan({
    "supply.interventional": LeverChange(D(1), "Committed tier: 1,280 cases x $260.", True),
    "fte.agency_conversion": LeverChange(D(5), "5 positions, about $533,600 in year one.", True),
    "supply.ep_devices": LeverChange(D(1), "EP tier: 1,080 cases x $250.", True),
    "hours.cath_lab_evening": LeverChange(D(2), "Two sessions recapture 90 cases.", True),
})


def post(client, lt: str, route: str, payload, pod: str = POD, raw: bytes | None = None):
    return client.post(f"/pods/{pod}/budget/{route}",
                       data=raw if raw is not None else json.dumps(payload),
                       content_type="application/json",
                       headers={"X-Launch-Token": lt, "Accept": "application/json"},
                       base_url=TOOL_BASE_URL)


def cfo(client, lt: str, answer, move):
    return post(client, lt, "cfo", {"answer": answer, "move": move})


def resident(client, platform) -> str:
    lt = launch(client, platform, pod=POD)
    assert start(client, lt, pod=POD).status_code == 303
    return lt


def stored(session):
    session.expire_all()
    return session.scalar(select(Attempt))


def test_the_simulation_page_shows_the_grid_and_the_cfo(client, platform):
    lt = resident(client, platform)
    response = get(client, f"/pods/{POD}/s/{SECTION}", lt)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = html.unescape(response.get_data(as_text=True))
    assert 'name="plan" data-kind="json" value=\'{"levers": {}, "version": 1}\'' in page
    assert 'name="negotiation" data-kind="json" value=\'null\'' in page
    # every lever has a labelled number input with its range
    for lever in S.levers:
        key = lever.id.replace(".", "-")
        assert f'id="lv-{key}" data-lever="{lever.id}"' in page
        assert f'aria-labelledby="lv-{key}-label lv-{key}-unit"' in page
    assert 'min="-8" max="4" step="0.1" value="0"' in page
    # the summary: margin against target and each indicator against its floor, in words
    assert "-$413,481" in page and "$1,613,481 short of the target" in page
    assert page.count(">kept</strong>") == 3
    assert "Present the plan to the CFO" in page and "Dana Mercer" in page
    assert "budget.js" in page and "<script>" not in page and " onclick=" not in page


def test_evaluate_returns_the_models_numbers(client, platform):
    lt = resident(client, platform)
    plan = COST_AND_CONTRACTS.with_change("supply.imaging", D(1), justification="  ")
    response = post(client, lt, "evaluate", {"plan": plan.to_json()})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    expected = evaluate(S, plan)
    result = data["result"]
    assert result["totals"]["operating_margin"] == f"{expected.totals.operating_margin:f}"
    assert result["totals"]["margin_vs_target"] == f"{expected.totals.margin_vs_target:f}"
    # the answer carries the lines that differ from the baseline; the page, given the
    # baseline's lines, shows every line as the model computed it
    page = html.unescape(get(client, f"/pods/{POD}/s/{SECTION}", lt).get_data(as_text=True))
    baseline = json.loads(re.search(r"data-baseline-lines='([^']*)'", page).group(1))
    revenue = {line["id"]: line for line in baseline["revenue_lines"] + result["revenue_lines"]}
    cost = {line["id"]: line for line in baseline["cost_lines"] + result["cost_lines"]}
    assert [revenue[line.id]["revenue"] for line in expected.revenue_lines] == [
        f"{line.revenue:f}" for line in expected.revenue_lines]
    assert [cost[line.id]["amount"] for line in expected.cost_lines] == [
        f"{line.amount:f}" for line in expected.cost_lines]
    assert 0 < len(result["cost_lines"]) < len(expected.cost_lines)
    assert [(q["id"], q["value"], q["status_text"]) for q in result["quality"]] == [
        (q.id, f"{q.value:f}", "kept") for q in expected.quality]
    assert result["summary"]["gap"].endswith("above the target")
    assert result["changed_lines"] and "cost.supplies.imaging" in result["changed_lines"]
    assert set(data) == {"result"}  # the grid keeps the plan it sent
    assert response.headers["X-Launch-Token"]


def test_an_unsafe_change_is_refused_with_the_reason_and_nothing_is_stored(client, platform, session):
    lt = resident(client, platform)
    assert save(client, lt, body(0, SECTION, {"plan": SHORT.to_json(), "negotiation": None}),
                pod=POD).status_code == 200
    unsafe = SHORT.with_change("fte.rn_cath_lab", D(-5))
    response = post(client, lt, "evaluate", {"plan": unsafe.to_json()})
    assert response.status_code == 409
    data = response.get_json()
    assert data["error"] == "unsafe"
    assert data["refusals"] == [{"lever_id": "fte.rn_cath_lab", "reason": data["message"]}]
    assert "below the minimum safe staffing of 24.0 FTE" in data["message"]
    refused = save(client, lt, body(1, SECTION, {"plan": unsafe.to_json(), "negotiation": None}),
                   pod=POD)
    assert refused.status_code == 400 and "minimum safe staffing" in refused.get_json()["message"]
    attempt = stored(session)
    assert attempt.version == 1 and attempt.answers[SECTION]["plan"] == SHORT.to_json()


def test_evaluate_refuses_what_is_not_a_plan(client, platform):
    lt = resident(client, platform)
    cases = [
        (post(client, lt, "evaluate", {"plan": {"levers": {"fte.app": {"value": "0.15"}}}}), 422,
         "steps of 0.1"),
        (post(client, lt, "evaluate", {"plan": {"levers": {"nope": {"value": "1"}}}}), 422,
         "no lever 'nope'"),
        (post(client, lt, "evaluate", {"plan": {"levers": {"fte.app": {"value": "1E+999999"}}}}),
         422, "1E+999999 is not allowed"),
        (post(client, lt, "evaluate", None, raw=b"{not json"), 400, "JSON object"),
        (post(client, lt, "evaluate", None, raw=b"{" + b" " * 70_000 + b"}"), 413, "larger"),
        (post(client, lt, "cfo", {"answer": {}, "move": "open"}), 400, "a move"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.get_data(as_text=True)
        assert words in response.get_json()["message"]
    assert cases[0][0].get_json()["lever_id"] == "fte.app"


def test_a_full_negotiation_with_the_cfo_is_kept_with_the_attempt(client, platform, session):
    lt = resident(client, platform)
    answer = {"plan": SHORT.with_change("fte.app", D(1), justification="").to_json(),
              "negotiation": None}
    refused = cfo(client, lt, answer, {"type": "open"})
    assert refused.status_code == 422 and "Justify every changed lever" in refused.get_json()["message"]
    opened = cfo(client, lt, {"plan": SHORT.to_json(), "negotiation": None}, {"type": "open"})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    data = opened.get_json()
    assert data["round"] == 1 and not data["concluded"] and data["max_rounds"] == 4
    assert [o["id"] for o in data["objections"]] == ["margin_short"]
    assert data["counter_offer"]["message"].startswith("My counter-offer")
    assert data["transcript"][0]["message"].startswith("Dana Mercer: The plan stands at $971,522")
    # an argument on an objection that is not open to argument costs a round
    argued = cfo(client, lt, data["answer"], {"type": "argue", "answers": {
        "margin_short": "The last $228,478 will come from growth."}})
    data = argued.get_json()
    assert data["round"] == 2 and data["transcript"][1]["verdicts"][0]["accepted"] is False
    assert data["answer"]["plan"] == SHORT.to_json()
    accepted = cfo(client, lt, data["answer"], {"type": "accept"})
    data = accepted.get_json()
    assert data["concluded"] and data["outcome"] == "agreement_with_concessions"
    assert data["outcome_text"] == "Agreement with concessions"
    assert data["answer"]["plan"] == data["plan"] != SHORT.to_json()
    assert float(data["result"]["totals"]["operating_margin"]) >= 1_200_000
    assert cfo(client, lt, data["answer"], {"type": "accept"}).status_code == 422
    saved = save(client, lt, body(0, SECTION, data["answer"]), pod=POD)
    assert saved.status_code == 200 and saved.get_json()["section_complete"] is True
    attempt = stored(session)
    negotiation = attempt.answers[SECTION]["negotiation"]
    assert negotiation["outcome"] == "agreement_with_concessions" and negotiation["rounds"] == 3
    assert [e["speaker"] for e in negotiation["transcript"]] == ["cfo", "resident"] * 2 + ["cfo"]
    page = html.unescape(get(client, f"/pods/{POD}/s/{SECTION}", lt).get_data(as_text=True))
    assert "Outcome: Agreement with concessions (after 3 of 4 rounds)." in page
    assert "The CFO has given a final answer on this plan" in page


def test_autosaving_the_budget_answer(client, platform, session):
    lt = resident(client, platform)
    typed = {"plan": {"levers": {"fte.agency_conversion": {"value": "5.0", "justification":
                                                            "5 x $301,600", "recurring": True}}},
             "negotiation": None}
    response = save(client, lt, body(0, SECTION, typed), pod=POD)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["section_complete"] is False
    attempt = stored(session)
    assert attempt.answers[SECTION] == {"plan": {"version": 1, "levers": {"fte.agency_conversion": {
        "value": "5", "justification": "5 x $301,600", "recurring": True}}}, "negotiation": None}
    page = html.unescape(get(client, f"/pods/{POD}/s/{SECTION}", lt).get_data(as_text=True))
    assert 'id="lv-fte-agency_conversion" data-lever="fte.agency_conversion"' in page
    assert 'value="5"' in page and "5 x $301,600</textarea>" in page


def test_a_forged_negotiation_is_refused(client, platform, session):
    lt = resident(client, platform)
    honest = cfo(client, lt, {"plan": SHORT.to_json(), "negotiation": None}, {"type": "open"})
    answer = honest.get_json()["answer"]
    forged = json.loads(json.dumps(answer))
    forged["negotiation"]["outcome"] = "agreement"
    forged["negotiation"]["transcript"][-1].update(concluded=True, outcome="agreement")
    response = save(client, lt, body(0, SECTION, forged), pod=POD)
    assert response.status_code == 400 and "does not replay" in response.get_json()["message"]
    replayed = json.loads(json.dumps(answer))
    replayed["negotiation"]["moves"] = [{"move": "accept_counter"}, {"move": "argue", "answers": {
        "margin_short": "$1"}}, {"move": "revise", "plan": SHORT.to_json()}]
    response = cfo(client, lt, replayed, {"type": "accept"})
    assert response.status_code == 422 and "does not replay" in response.get_json()["message"]
    assert stored(session).answers == {}


def test_the_whole_pod_can_be_completed_and_submitted(client, platform, session):
    lt = resident(client, platform)
    version = 0
    answers = complete_answers(package(POD))
    assert answers[SECTION] == budget_answer()
    for section_id, answer in answers.items():
        response = save(client, lt, body(version, section_id, answer, active_ms=60_000), pod=POD)
        assert response.status_code == 200, (section_id, response.get_data(as_text=True))
        version = response.get_json()["version"]
    assert response.get_json()["completed"] == response.get_json()["total"]
    review = get(client, f"/pods/{POD}/submit", lt).get_data(as_text=True)
    submitted = client.post(f"/pods/{POD}/submit", data={"lt": lt, "csrf_token": csrf(review)},
                            base_url=TOOL_BASE_URL)
    assert submitted.status_code == 303
    attempt = stored(session)
    assert attempt.status == "submitted"
    assert attempt.answers[SECTION]["negotiation"]["outcome"] == "agreement"
    page = get(client, f"/pods/{POD}/s/{SECTION}", lt).get_data(as_text=True)
    assert 'data-locked="true"' in page and "disabled" in page


def test_a_resident_cannot_call_another_pods_budget_routes(client, platform):
    lt = launch(client, platform, pod="governance")
    plan = {"plan": SHORT.to_json()}
    assert post(client, lt, "evaluate", plan).status_code == 404
    assert post(client, lt, "evaluate", plan, pod="governance").status_code == 404
    assert post(client, lt, "cfo", {"answer": plan, "move": {"type": "open"}}).status_code == 404
    assert get(client, f"/pods/{POD}/budget/download.xlsx", lt).status_code == 404
    missing = post(client, lt, "evaluate", plan, pod="no-such-pod")
    assert missing.status_code == 404 and missing.get_json()["message"]
    anonymous = client.post(f"/pods/{POD}/budget/evaluate", json=plan, base_url=TOOL_BASE_URL)
    assert anonymous.status_code == 401 and "launch" in anonymous.get_json()["message"]


def test_faculty_preview_may_evaluate_but_not_save(client, platform, session):
    lt = launch(client, platform, pod=POD, role="Instructor")
    page = get(client, f"/pods/{POD}/preview/{SECTION}", lt).get_data(as_text=True)
    assert 'data-locked="false"' in page and 'data-readonly="true"' in page
    assert post(client, lt, "evaluate", {"plan": SHORT.to_json()}).status_code == 200
    assert cfo(client, lt, {"plan": SHORT.to_json()}, {"type": "open"}).status_code == 200
    assert save(client, lt, body(0, SECTION, {"plan": SHORT.to_json()}), pod=POD).status_code == 404
    assert session.scalar(select(Attempt)) is None


def test_download_holds_the_saved_plan(client, platform):
    lt = resident(client, platform)
    assert save(client, lt, body(0, SECTION, {"plan": SHORT.to_json(), "negotiation": None}),
                pod=POD).status_code == 200
    response = get(client, f"/pods/{POD}/budget/download.xlsx", lt)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="budget-balancing-budget.xlsx"' in response.headers["Content-Disposition"]
    assert read_workbook(response.data, S) == SHORT
    assert "Inputs" in load_workbook(io.BytesIO(response.data)).sheetnames


def test_upload_shows_the_differences_and_changes_nothing(client, platform, session):
    lt = resident(client, platform)
    assert save(client, lt, body(0, SECTION, {"plan": SHORT.to_json(), "negotiation": None}),
                pod=POD).status_code == 200
    workbook = export_workbook(S, COST_AND_CONTRACTS)

    def upload(data: bytes, plan=SHORT):
        return client.post(f"/pods/{POD}/budget/upload", base_url=TOOL_BASE_URL,
                           headers={"X-Launch-Token": lt, "Accept": "application/json"},
                           data={"plan": json.dumps(plan.to_json()),
                                 "workbook": (io.BytesIO(data), "plan.xlsx")})

    response = upload(workbook)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["plan"] == COST_AND_CONTRACTS.to_json()
    changed = {d["lever_id"] for d in data["differences"]}
    assert changed == set(SHORT.changes) | set(COST_AND_CONTRACTS.changes)
    assert data["margin_before"] == f"{evaluate(S, SHORT).totals.operating_margin:f}"
    assert data["margin_after"] == data["result"]["totals"]["operating_margin"]
    assert upload(workbook, plan=COST_AND_CONTRACTS).get_json()["differences"] == []
    refused = upload(b"not a workbook at all")
    assert refused.status_code == 400 and "not an Excel workbook" in refused.get_json()["message"]
    attempt = stored(session)
    assert attempt.version == 1 and attempt.answers[SECTION]["plan"] == SHORT.to_json()
