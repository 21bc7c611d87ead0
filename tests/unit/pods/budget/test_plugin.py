"""The budget plug-in: the stored answer's checks, completion, metrics and the CFO moves."""

from decimal import Decimal as D

import pytest

from leadership_pods.pods.answers import AnswerError, is_complete
from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import (
    BudgetError,
    LeverChange,
    NegotiationError,
    Plan,
    UnsafePlan,
    metrics,
    open_negotiation,
)
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS
from leadership_pods.pods.budget.plugin import (
    MAX_JUSTIFICATION,
    PLUGIN,
    BudgetAnswer,
    attempt_metrics,
    clean,
    complete,
    play,
    plugin_metrics,
    read_answer,
    summary_text,
    unjustified,
)
from leadership_pods.pods.catalogue import load_catalogue
from tests.support.answers import budget_answer, complete_answers

PACKAGE = load_catalogue().package("budget-balancing")
SECTION = next(s for s in PACKAGE.sections if s.ref.type == "simulation")
CONTENT = SECTION.content

#: four recurring levers, justified: $228,478 short of the target, too far to argue
SHORT = Plan({
    "supply.interventional": LeverChange(D(1), "Committed tier: 1,280 cases x $260.", True),
    "fte.agency_conversion": LeverChange(D(5), "5 positions, about $533,600 in year one.", True),
    "supply.ep_devices": LeverChange(D(1), "EP tier: 1,080 cases x $250.", True),
    "hours.cath_lab_evening": LeverChange(D(2), "Two sessions recapture 90 cases.", True),
})
#: ... plus the diagnostic cath tier: $83,158 short, close enough to argue
NEARLY = SHORT.with_change("supply.diagnostic_cath", D(1),
                           justification="2,350 cases x $60 = $141,000.", recurring=True)


def answer_of(plan, negotiation=None):
    return {"plan": plan.to_json(), "negotiation": negotiation.to_json() if negotiation else None}


# -- clean ------------------------------------------------------------------------------------

def test_an_untouched_simulation_cleans_to_todays_budget():
    assert clean(CONTENT, {}) == {"plan": {"version": 1, "levers": {}}, "negotiation": None}


def test_clean_stores_canonical_json():
    raw = {"plan": {"levers": {"fte.agency_conversion": {"value": 5.0, "justification": "x 5"}}},
           "negotiation": None}
    assert clean(CONTENT, raw)["plan"]["levers"] == {
        "fte.agency_conversion": {"value": "5", "justification": "x 5", "recurring": None}}


@pytest.mark.parametrize(("answer", "words"), [
    ({"plan": {}, "extra": 1}, "unknown fields: extra"),
    ({"plan": {"levers": {"fte.nope": {"value": "1"}}}}, "no lever 'fte.nope'"),
    ({"plan": {"levers": {"fte.app": {"value": "9"}}}}, "allowed: -6 to 4 FTE"),
    ({"plan": {"levers": {"fte.app": {"value": "1", "justification": "x" * (MAX_JUSTIFICATION + 1)}}}},
     "longer than 1,500 characters"),
    ({"plan": [1]}, "must be an object"),
])
def test_clean_refuses_what_is_not_a_plan(answer, words):
    with pytest.raises(AnswerError, match=words):
        clean(CONTENT, answer)


def test_an_unsafe_plan_is_refused_with_the_reason():
    with pytest.raises(AnswerError) as info:
        clean(CONTENT, {"plan": {"levers": {"fte.rn_cath_lab": {"value": "-5"}}}})
    assert "below the minimum safe staffing of 24.0 FTE" in str(info.value)


def test_a_negotiation_is_replayed_and_stored_from_its_moves():
    negotiation = play(BudgetAnswer(SHORT), {"type": "open"}).negotiation
    stored = negotiation.to_json()
    lean = {"initial_plan": stored["initial_plan"], "moves": stored["moves"]}
    cleaned = clean(CONTENT, {"plan": SHORT.to_json(), "negotiation": lean})
    assert cleaned["negotiation"] == stored
    assert cleaned["negotiation"]["transcript"][0]["speaker"] == "cfo"


@pytest.mark.parametrize(("key", "forged"), [
    ("outcome", "agreement"),
    ("rounds", 1),
    ("transcript", []),
])
def test_a_forged_negotiation_is_refused(key, forged):
    budget = play(BudgetAnswer(SHORT), {"type": "open"})
    budget = play(budget, {"type": "accept"})
    stored = budget.to_json()
    stored["negotiation"][key] = forged if key != "rounds" else 3
    with pytest.raises(AnswerError, match="does not replay"):
        clean(CONTENT, stored)


def test_moves_that_do_not_replay_are_refused():
    negotiation = open_negotiation(S, SHORT).to_json()
    negotiation["moves"] = [{"move": "argue", "answers": {"strategic_line_cut": "12 visits"}}]
    del negotiation["transcript"]
    with pytest.raises(AnswerError, match="not one of the CFO's open objections"):
        clean(CONTENT, {"plan": SHORT.to_json(), "negotiation": negotiation})
    negotiation["moves"] = [{"move": "accept_counter"}] * 4
    with pytest.raises(AnswerError, match="at most 3 moves"):
        clean(CONTENT, {"plan": SHORT.to_json(), "negotiation": negotiation})
    with pytest.raises(AnswerError, match="object or null"):
        clean(CONTENT, {"plan": SHORT.to_json(), "negotiation": "agreement"})


def test_the_agreed_plan_cannot_be_changed_afterwards():
    answer = budget_answer()
    answer["plan"]["levers"]["fte.app"] = {"value": "1", "justification": "1 APP", "recurring": True}
    with pytest.raises(AnswerError, match="final answer"):
        clean(CONTENT, answer)


# -- complete ---------------------------------------------------------------------------------

def test_complete_needs_a_concluded_negotiation_on_a_justified_plan():
    assert complete(CONTENT, budget_answer())
    assert is_complete(SECTION, budget_answer(), PLUGIN.hooks)
    assert not complete(CONTENT, {})
    assert not complete(CONTENT, {"plan": COST_AND_CONTRACTS.to_json(), "negotiation": None})
    open_only = play(BudgetAnswer(SHORT), {"type": "open"})
    assert not open_only.concluded and not complete(CONTENT, open_only.to_json())
    assert not complete(CONTENT, {"plan": {"levers": {"fte.rn_cath_lab": {"value": "-5"}}}})


def test_an_unjustified_change_keeps_the_simulation_open():
    bare = COST_AND_CONTRACTS.with_change("supply.imaging", D(1), justification="")
    assert unjustified(bare) == ("supply.imaging",)
    # a negotiation cannot start on it through the panel, and a hand-made one does not count
    with pytest.raises(NegotiationError, match="Justify every changed lever"):
        play(BudgetAnswer(bare), {"type": "open"})
    assert not complete(CONTENT, answer_of(bare, open_negotiation(S, bare)))


def test_the_complete_answer_completes_the_whole_pod():
    answers = complete_answers(PACKAGE)
    assert answers[SECTION.ref.id] == budget_answer()
    assert all(is_complete(s, answers[s.ref.id], PLUGIN.hooks) for s in PACKAGE.sections)


# -- the CFO moves ----------------------------------------------------------------------------

def test_accepting_the_counter_offer_moves_the_plan_and_concludes_with_concessions():
    budget = play(BudgetAnswer(SHORT), {"type": "open"})
    assert budget.negotiation.rounds == 1 and budget.negotiation.turn.counter_offer
    with pytest.raises(NegotiationError, match="already presented"):
        play(budget, {"type": "open"})
    budget = play(budget, {"type": "accept"})
    assert budget.concluded and budget.negotiation.outcome.value == "agreement_with_concessions"
    assert budget.plan == budget.negotiation.plan != SHORT
    assert budget.plan.value("supply.diagnostic_cath") == 1
    assert complete(CONTENT, clean(CONTENT, budget.to_json()))
    with pytest.raises(NegotiationError, match="over"):
        play(budget, {"type": "accept"})


def test_an_argument_with_numbers_wins_agreement():
    budget = play(BudgetAnswer(NEARLY), {"type": "open"})
    [objection] = budget.negotiation.turn.objections
    assert objection.id == "margin_short" and objection.arguable
    with pytest.raises(NegotiationError, match="at least one"):
        play(budget, {"type": "argue", "answers": {"margin_short": "   "}})
    budget = play(budget, {"type": "argue", "answers": {
        "margin_short": "The $83,158 gap is 7% of the target; the imaging tier is the trigger."}})
    assert budget.negotiation.outcome.value == "agreement" and budget.negotiation.rounds == 2
    assert budget.plan == NEARLY


def test_revising_presents_the_grid_plan():
    budget = play(BudgetAnswer(SHORT), {"type": "open"})
    with pytest.raises(NegotiationError, match="just reviewed"):
        play(budget, {"type": "revise"})
    budget = play(BudgetAnswer(COST_AND_CONTRACTS, budget.negotiation), {"type": "revise"})
    assert budget.negotiation.outcome.value == "agreement"
    with pytest.raises(NegotiationError, match="Present the plan"):
        play(BudgetAnswer(SHORT), {"type": "revise"})
    with pytest.raises(NegotiationError, match="Unknown move"):
        play(BudgetAnswer(SHORT, budget.negotiation), {"type": "shout"})


def test_four_rounds_without_a_fix_end_in_impasse():
    budget = play(BudgetAnswer(Plan()), {"type": "open"})
    for _ in range(3):
        budget = play(budget, {"type": "argue", "answers": {"margin_short": "We need 2 more years."}})
    assert budget.negotiation.rounds == 4 and budget.negotiation.outcome.value == "impasse"
    assert complete(CONTENT, clean(CONTENT, budget.to_json()))


def test_an_unsafe_revision_is_refused():
    budget = play(BudgetAnswer(SHORT), {"type": "open"})
    unsafe = SHORT.with_change("fte.rn_cath_lab", D(-5), justification="cut 5 FTE")
    with pytest.raises(UnsafePlan):
        play(BudgetAnswer(unsafe, budget.negotiation), {"type": "revise"})
    with pytest.raises(BudgetError, match="minimum safe staffing"):
        read_answer(answer_of(unsafe, budget.negotiation))


# -- metrics ----------------------------------------------------------------------------------

def test_metrics_score_the_negotiated_plan_and_the_executive_summary():
    budget = play(play(BudgetAnswer(SHORT), {"type": "open"}), {"type": "accept"})
    summary = {"responses": {"situation": "A $1.6M cut, 28% of revenue.", "plan": "Save $332,800."}}
    answers = {SECTION.ref.id: budget.to_json(), "executive-summary": summary,
               "reflection": {"responses": {"one": "I cited 99 numbers."}}}
    scored = plugin_metrics(budget.to_json(), answers)
    expected = metrics(S, budget.negotiation.plan, budget.negotiation,
                       "A $1.6M cut, 28% of revenue.\n\nSave $332,800.")
    assert scored == expected
    assert scored["negotiation_outcome"] == 50.0 and scored["margin_vs_target"] == 100.0
    assert attempt_metrics(PACKAGE, answers) == expected
    assert summary_text(answers, ["executive-summary", "missing"]).startswith("A $1.6M cut")


def test_metrics_of_an_untouched_simulation():
    scored = plugin_metrics({}, {})
    assert scored["margin_vs_target"] == 0.0 and scored["negotiation_rounds"] == 0.0


def test_the_plugin_is_named_for_the_pod():
    assert PLUGIN.name == PACKAGE.metadata.simulation == "budget"
    assert PLUGIN.template == "budget/grid.html"
