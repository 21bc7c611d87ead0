"""Negotiating with the virtual CFO: rounds, moves, outcomes and the stored transcript."""

import json
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadership_pods.pods.budget import (
    CARDIOLOGY as S,
)
from leadership_pods.pods.budget import (
    MAX_ROUNDS,
    AcceptCounter,
    Argue,
    BudgetError,
    Exchange,
    LeverChange,
    Negotiation,
    NegotiationError,
    Outcome,
    Plan,
    Revise,
    UnsafePlan,
    apply_counter,
    negotiate,
    open_negotiation,
    respond,
    review,
)
from leadership_pods.pods.budget.examples import COST_AND_CONTRACTS, EXAMPLE_PLANS

from .strategies import plans

#: the cost plan plus two cath-lab nurses cut: $256,000 more, door-to-balloon 69 (at risk)
RISKY = COST_AND_CONTRACTS.with_change("fte.rn_cath_lab", D(-2), justification="2 x $128,000",
                                       recurring=True)
GOOD_ANSWER = ("Door-to-balloon rises 5 minutes to 69, still 21 inside the 90-minute goal; "
               "we report STEMI times monthly and restore one nurse if the median passes 75.")


@pytest.mark.parametrize("plan", EXAMPLE_PLANS.values())
def test_a_sound_plan_is_approved_in_round_one(plan):
    negotiation = open_negotiation(S, plan)
    assert (negotiation.concluded, negotiation.outcome, negotiation.rounds) == (
        True, Outcome.AGREEMENT, 1)
    assert negotiation.turn.objections == () and negotiation.turn.counter_offer is None
    assert "Approved" in negotiation.turn.message and "Dana Mercer" in negotiation.turn.message


def test_accepting_the_counter_offer_is_agreement_with_concessions():
    negotiation = open_negotiation(S, Plan())
    first = negotiation.turn
    assert not first.concluded and first.counter_offer is not None
    assert first.objections[0].id == "margin_short"
    negotiation = respond(S, negotiation, AcceptCounter())
    assert negotiation.outcome is Outcome.AGREEMENT_WITH_CONCESSIONS
    assert negotiation.rounds == 2
    assert negotiation.plan == apply_counter(
        S, Plan(), first.counter_offer,
        f"CFO counter-offer accepted in round 1: {first.counter_offer.message}")


def test_an_argument_with_numbers_on_topic_withdraws_the_objection():
    negotiation = open_negotiation(S, RISKY)
    assert [o.id for o in negotiation.turn.objections] == ["quality_floor.d2b"]
    negotiation = respond(S, negotiation, Argue({"quality_floor.d2b": GOOD_ANSWER}))
    (verdict,) = negotiation.exchanges[0].verdicts
    assert verdict.accepted
    assert negotiation.outcome is Outcome.AGREEMENT and negotiation.rounds == 2
    assert negotiation.arguments() == (GOOD_ANSWER,)


def test_weak_arguments_run_out_the_four_rounds_into_impasse():
    negotiation = open_negotiation(S, RISKY)
    for round_no in (1, 2, 3):
        assert negotiation.rounds == round_no and not negotiation.concluded
        if round_no == MAX_ROUNDS - 1:
            assert "next review is the last" in negotiation.turn.message
        negotiation = respond(S, negotiation, Argue({"quality_floor.d2b": "It will be fine."}))
        assert not negotiation.exchanges[-1].verdicts[0].accepted
    assert (negotiation.rounds, negotiation.outcome) == (MAX_ROUNDS, Outcome.IMPASSE)
    assert negotiation.turn.counter_offer is None
    assert "out of rounds" in negotiation.turn.message
    with pytest.raises(NegotiationError, match="over"):
        respond(S, negotiation, AcceptCounter())


def test_an_argument_answers_the_objection_as_raised_and_lapses_when_the_numbers_change():
    negotiation = respond(S, open_negotiation(S, RISKY), Argue({"quality_floor.d2b": GOOD_ANSWER}))
    history = negotiation.exchanges
    assert negotiate(S, RISKY, history).objections == ()
    worse = RISKY.with_change("fte.rn_cath_lab", D(-3))  # 73 minutes: a new objection
    assert [o.id for o in negotiate(S, worse, history).objections] == ["quality_floor.d2b"]


def test_revising_the_plan_is_a_round_and_can_win_agreement():
    negotiation = open_negotiation(S, RISKY)
    negotiation = respond(S, negotiation, Revise(COST_AND_CONTRACTS))
    assert negotiation.outcome is Outcome.AGREEMENT and negotiation.plan == COST_AND_CONTRACTS


def test_an_unsafe_revision_is_refused_and_changes_nothing():
    negotiation = open_negotiation(S, RISKY)
    unsafe = RISKY.with_change("fte.rn_cath_lab", D(-6))
    with pytest.raises(UnsafePlan):
        respond(S, negotiation, Revise(unsafe))
    assert negotiation.rounds == 1 and negotiation.plan == RISKY
    with pytest.raises(UnsafePlan):
        open_negotiation(S, unsafe)


def test_moves_that_cannot_be_played_are_refused_in_words():
    negotiation = open_negotiation(S, RISKY)
    with pytest.raises(NegotiationError, match="not one of the CFO's open objections"):
        respond(S, negotiation, Argue({"margin_short": "We are $64,442 above target."}))
    with pytest.raises(NegotiationError, match="at least one"):
        respond(S, negotiation, Argue({}))
    maxed = Plan({k: LeverChange(D(v)) for k, v in {
        "supply.interventional": "2", "fte.agency_conversion": "8", "supply.ep_devices": "2",
        "hours.cath_lab_evening": "2", "supply.diagnostic_cath": "1", "supply.imaging": "1",
        "fte.app": "4", "init.hf_transitions": "60"}.items()})
    stuck = open_negotiation(S, maxed)
    assert stuck.turn.counter_offer is None and not stuck.concluded
    with pytest.raises(NegotiationError, match="no counter-offer"):
        respond(S, stuck, AcceptCounter())
    history = [Exchange(negotiation.turn, AcceptCounter())] * MAX_ROUNDS
    with pytest.raises(NegotiationError, match="over after 4 rounds"):
        negotiate(S, RISKY, history)
    assert isinstance(NegotiationError("x"), BudgetError)


def test_the_transcript_is_plain_data_in_speaking_order():
    negotiation = open_negotiation(S, RISKY)
    negotiation = respond(S, negotiation, Argue({"quality_floor.d2b": "It will be fine."}))
    negotiation = respond(S, negotiation, AcceptCounter())
    transcript = negotiation.transcript()
    assert json.loads(json.dumps(transcript)) == transcript
    assert [(e["round"], e["speaker"]) for e in transcript] == [
        (1, "cfo"), (1, "resident"), (2, "cfo"), (2, "resident"), (3, "cfo")]
    assert transcript[1]["move"] == "argue" and transcript[1]["verdicts"][0]["accepted"] is False
    assert transcript[3]["move"] == "accept_counter"
    assert transcript[-1]["outcome"] == "agreement_with_concessions"
    first = transcript[0]["objections"][0]
    assert first["id"] == "quality_floor.d2b" and "69 minutes" in first["message"]


def test_stored_negotiation_replays_to_the_same_record():
    negotiation = open_negotiation(S, Plan())
    negotiation = respond(S, negotiation, Revise(RISKY))
    negotiation = respond(S, negotiation, Argue({"quality_floor.d2b": GOOD_ANSWER}))
    stored = json.loads(json.dumps(negotiation.to_json()))
    assert stored["outcome"] == "agreement" and stored["rounds"] == 3
    again = Negotiation.from_json(stored, S)
    assert again == negotiation
    assert again.transcript() == stored["transcript"]


@pytest.mark.parametrize("data", [
    {"initial_plan": {"levers": {}}, "moves": [{"move": "shout"}]},
    {"initial_plan": {"levers": {}}, "moves": [{"move": "argue", "answers": ["x"]}]},
    {"initial_plan": {"levers": {}}, "moves": "revise"},
    {"initial_plan": {"levers": {}}, "moves": ["accept_counter"]},
])
def test_malformed_stored_negotiations_are_refused(data):
    with pytest.raises(BudgetError):
        Negotiation.from_json(data, S)


MOVES = st.one_of(
    st.just(AcceptCounter()),
    plans().map(Revise),
    st.sampled_from(["It will be fine.", GOOD_ANSWER, "Volume grows 2% on trend; 40% ramp.",
                     "The margin gap is $50,000; a bridge with a month-4 trigger."]),
)


@settings(deadline=None, max_examples=40)
@given(plans(), st.lists(MOVES, max_size=5))
def test_any_negotiation_ends_within_four_rounds_with_a_consistent_outcome(plan, moves):
    negotiation = open_negotiation(S, plan)
    for move in moves:
        if negotiation.concluded:
            break
        if isinstance(move, str):
            move = Argue({o.id: move for o in negotiation.turn.objections})
        elif isinstance(move, AcceptCounter) and negotiation.turn.counter_offer is None:
            continue
        negotiation = respond(S, negotiation, move)
    assert 1 <= negotiation.rounds <= MAX_ROUNDS
    turn = negotiation.turn
    if turn.concluded:
        assert (turn.outcome is Outcome.IMPASSE) == bool(turn.objections)
        conceded = any(isinstance(ex.move, AcceptCounter) for ex in negotiation.exchanges)
        if turn.outcome is not Outcome.IMPASSE:
            assert (turn.outcome is Outcome.AGREEMENT_WITH_CONCESSIONS) is conceded
    else:
        assert turn.objections and negotiation.rounds < MAX_ROUNDS
    assert set(o.id for o in turn.objections) <= {o.id for o in review(S, negotiation.plan)}
    stored = json.loads(json.dumps(negotiation.to_json()))
    assert Negotiation.from_json(stored, S) == negotiation
