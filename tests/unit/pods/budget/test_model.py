"""Each documented relationship of the model, checked with numbers worked by hand."""

from decimal import Decimal as D

import pytest

from leadership_pods.pods.budget import (
    CARDIOLOGY as S,
)
from leadership_pods.pods.budget import (
    LeverChange,
    Plan,
    Status,
    UnsafePlan,
    baseline,
    describe_margin,
    evaluate,
    safety_refusals,
)
from leadership_pods.pods.budget.money import cents

BASE = baseline(S)
OPENING = BASE.totals.operating_margin


def run(**levers):
    """evaluate() with levers given as fte__app=-1 (double underscore for the dot)."""
    plan = Plan({k.replace("__", "."): LeverChange(D(str(v))) for k, v in levers.items()})
    return evaluate(S, plan)


def gain(result):
    return result.totals.operating_margin - OPENING


def q(result, indicator):
    return result.indicator(indicator).value


# -- the payer cut ----------------------------------------------------------------------------

def test_payer_cut_lowers_every_rate_by_share_times_cut_rounded_to_cents():
    for spec, line in zip(S.revenue_lines, BASE.revenue_lines, strict=True):
        assert line.net_rate == cents(spec.rate * (1 - D("0.28") * D("0.07")))
        assert line.revenue == line.volume * line.net_rate
    assert BASE.revenue_line("rev.interventional").net_rate == D("16176.60")


# -- staffing -------------------------------------------------------------------------------

def test_each_cath_lab_nurse_below_baseline_adds_four_minutes_door_to_balloon():
    result = run(fte__rn_cath_lab=-2)
    assert q(result, "d2b") == D("72.00")
    assert gain(result) == 2 * D(128000)
    assert q(run(fte__rn_cath_lab=3), "d2b") == D("64.00")  # more staff buys no minutes


def test_each_cath_lab_technologist_below_baseline_adds_three_minutes():
    assert q(run(fte__tech_cath_lab=-3), "d2b") == D("73.00")


def test_each_step_down_nurse_below_baseline_adds_0_3_points_of_readmissions():
    result = run(fte__rn_agency=-1)
    assert q(result, "readmissions") == D("18.10")
    assert result.indicator("readmissions").status is Status.BROKEN  # floor is today's rate
    assert gain(result) == D(301600)
    assert q(run(fte__rn_step_down="-0.5"), "readmissions") == D("17.95")


def test_app_cuts_lose_visits_access_and_readmissions_and_additions_ramp_at_half():
    cut = run(fte__app=-1)
    assert cut.revenue_line("rev.clinic").volume == 43200 - 900
    assert (q(cut, "access"), q(cut, "readmissions")) == (D("14.80"), D("17.95"))
    assert gain(cut) == D(165000) - 900 * D("60.08")
    added = run(fte__app=2)
    assert added.revenue_line("rev.clinic").volume == 43200 + 900
    assert q(added, "access") == D("13.20")


def test_imaging_technologist_cuts_lose_studies_and_access():
    result = run(fte__tech_imaging=-2)
    assert result.revenue_line("rev.imaging").volume == 24600 - 900
    assert q(result, "access") == D("14.60")
    assert gain(result) < 0  # $98,000 saved per FTE, $156,443 of contribution lost


def test_agency_conversion_swaps_agency_for_1_1_employed_at_70_percent_in_year_one():
    result = run(fte__agency_conversion=5)
    assert result.cost_line("cost.rn_agency").quantity == D("4.5")
    assert result.cost_line("cost.rn_agency").amount == D("1357200.00")
    assert result.cost_line("cost.rn_step_down").amount == D("7902000.00")  # 65.85 paid FTE
    assert result.cost_line("cost.recruiting").one_time_cost == D("60000.00")
    assert gain(result) == D("533600.00")
    assert result.totals.recurring_margin - result.totals.operating_margin == D("60000.00")
    pool = next(p for p in result.pools if p.id == "step_down_rn")
    assert pool.fte == D("70.5")
    assert all(ind.status is Status.KEPT for ind in result.quality)
    assert set(result.changed_lines) == {"cost.rn_agency", "cost.rn_step_down", "cost.recruiting"}
    assert result.changed_levers == ("fte.agency_conversion",)


# -- safety ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("lever_id", "at_minimum", "pool_label", "minimum"), [
    ("fte.rn_cath_lab", "-4", "Cath and EP lab nursing", "24.0"),
    ("fte.rn_agency", "-4", "Step-down nursing", "66.0"),
    ("fte.rn_step_down", "-4", "Step-down nursing", "66.0"),
    ("fte.tech_cath_lab", "-4", "Cath and EP lab technologists", "26.0"),
    ("fte.tech_imaging", "-6", "Imaging technologists", "28.0"),
    ("fte.app", "-4", "Advanced-practice providers", "12.0"),
])
def test_staffing_below_the_safe_minimum_is_refused_with_the_reason(
        lever_id, at_minimum, pool_label, minimum):
    evaluate(S, Plan({lever_id: LeverChange(D(at_minimum))}))  # exactly at the minimum is safe
    below = Plan({lever_id: LeverChange(D(at_minimum) - D("0.1"))})
    with pytest.raises(UnsafePlan) as err:
        evaluate(S, below)
    (refusal,) = err.value.refusals
    assert refusal.lever_id == lever_id
    assert pool_label in refusal.reason and f"minimum safe staffing of {minimum} FTE" in refusal.reason
    assert refusal.reason in err.value.message
    assert safety_refusals(S, below) == err.value.refusals


def test_every_breach_is_listed_and_a_safe_plan_has_none():
    plan = Plan({"fte.rn_cath_lab": LeverChange(D(-8)), "fte.app": LeverChange(D(-6))})
    assert [r.lever_id for r in safety_refusals(S, plan)] == ["fte.rn_cath_lab", "fte.app"]
    assert safety_refusals(S, Plan()) == ()


# -- supplies -------------------------------------------------------------------------------

def test_a_committed_supply_tier_lowers_cost_per_case():
    result = run(supply__interventional=1)
    assert result.cost_line("cost.supplies.interventional").amount == 1280 * D(6040)
    assert gain(result) == D(332800)


def test_a_tier_is_lost_when_volume_falls_below_its_commitment():
    result = run(supply__interventional=1, volume__interventional=-10)
    line = result.revenue_line("rev.interventional")
    assert (line.volume, line.tier, line.tier_lost) == (1152, 1, True)
    assert line.variable_cost_per_unit == D(6300)
    assert any("commitment of 1,200" in note for note in result.notes)


# -- volume ---------------------------------------------------------------------------------

def test_volume_assumptions_are_capped_by_capacity():
    result = run(volume__interventional=30)
    line = result.revenue_line("rev.interventional")
    assert (line.demand, line.capacity, line.volume) == (1664, 1340, 1340)
    assert line.capacity_limited
    assert any("1,664 cases but capacity is 1,340" in note for note in result.notes)
    assert run(volume__clinic=-20).revenue_line("rev.clinic").volume == 34560


def test_an_initiative_realises_its_ramp_share_and_pays_its_full_cost():
    result = run(init__outreach_clinic=40)
    volumes = {line.id: line.volume - line.baseline_volume for line in result.revenue_lines}
    assert volumes["rev.clinic"] == 720
    assert volumes["rev.diagnostic_cath"] == 60
    assert volumes["rev.interventional"] == 18
    line = result.cost_line("cost.init.outreach_clinic")
    assert (line.amount, line.one_time_cost) == (D("350000.00"), D("50000.00"))
    assert gain(result) == D("16156.00")  # roughly break-even in year one, as in the slides
    assert q(result, "access") == D("13.60")
    assert result.revenue_line("rev.clinic").capacity == 45000 + 1800


def test_initiative_volumes_round_half_up_to_whole_cases():
    result = run(init__outreach_clinic=5)
    assert result.revenue_line("rev.diagnostic_cath").volume == 2350 + 8  # 7.5 -> 8
    assert result.revenue_line("rev.interventional").volume == 1280 + 2  # 2.25 -> 2


def test_outreach_at_full_run_rate_needs_cath_lab_capacity():
    alone = run(init__outreach_clinic=100).revenue_line("rev.diagnostic_cath")
    assert (alone.demand, alone.volume) == (2500, 2460)
    with_lab = run(init__outreach_clinic=100, hours__cath_lab_evening=1)
    assert with_lab.revenue_line("rev.diagnostic_cath").volume == 2536


def test_hf_transitions_clinic_lowers_readmissions_in_proportion_to_its_ramp():
    assert q(run(init__hf_transitions=50), "readmissions") == D("17.40")


def test_more_cardiac_rehab_sessions_lower_readmissions():
    result = run(init__rehab_expansion=100)
    assert result.revenue_line("rev.cardiac_rehab").volume == 8800 + 1800
    assert q(result, "readmissions") == D("17.53")  # 1.8 x -0.15
    assert q(run(volume__cardiac_rehab=-20), "readmissions") == D("18.06")


# -- service hours --------------------------------------------------------------------------

def test_an_evening_cath_session_adds_cases_capacity_and_speeds_stemi_care():
    result = run(hours__cath_lab_evening=1)
    assert result.cost_line("cost.hours.cath_lab_evening").amount == D("54000.00")
    assert result.revenue_line("rev.diagnostic_cath").volume == 2350 + 36
    assert result.revenue_line("rev.interventional").capacity == 1340 + 12
    assert (q(result, "d2b"), q(result, "access")) == (D("62.50"), D("13.50"))
    assert gain(result) == D("121961.16")


def test_closing_the_saturday_echo_session_saves_overtime_but_loses_more():
    result = run(hours__imaging_sessions=-1)
    assert result.cost_line("cost.hours.imaging_sessions").amount == D("-64896.00")
    assert result.revenue_line("rev.imaging").volume == 24600 - 312
    assert gain(result) == D("-43570.80")  # the slides: about -$44,300
    assert q(result, "access") == D("15.50")


def test_closing_clinic_sessions_saves_cost_and_loses_visits_and_access():
    result = run(hours__clinic_sessions=-2)
    assert result.revenue_line("rev.clinic").volume == 43200 - 604
    assert result.revenue_line("rev.clinic").capacity == 45000 - 1728
    assert q(result, "access") == D("15.20")
    assert gain(result) == 2 * D(58000) - 604 * D("60.08")


# -- capital --------------------------------------------------------------------------------

def test_capital_deferral_is_one_time_relief_with_equipment_risk():
    echo = run(capital__echo_fleet=1)
    line = echo.cost_line("cost.capital.echo_fleet")
    assert (line.amount, line.one_time_relief) == (D("60000.00"), D("140000.00"))
    assert gain(echo) == D(140000)
    assert echo.totals.recurring_margin == OPENING
    assert echo.indicator("access").status is Status.AT_RISK
    lab = run(capital__cath_lab_3=1)
    assert gain(lab) == D(310000)
    assert q(lab, "d2b") == D("70.00")


# -- status, totals, text -------------------------------------------------------------------

@pytest.mark.parametrize(("rn", "tech", "value", "status"), [
    ("0", "0", "64.00", Status.KEPT), ("-1", "0", "68.00", Status.AT_RISK),
    ("-3.5", "-4", "90.00", Status.AT_RISK), ("-3.6", "-4", "90.40", Status.BROKEN),
])
def test_indicator_status_kept_at_risk_broken(rn, tech, value, status):
    result = run(fte__rn_cath_lab=rn, fte__tech_cath_lab=tech)
    assert result.indicator("d2b").value == D(value)
    assert result.indicator("d2b").status is status
    assert result.floors_held is (status is not Status.BROKEN)


def test_margin_percent_and_description():
    result = run(supply__interventional=1)
    t = result.totals
    assert t.margin_pct == cents(t.operating_margin / t.revenue * 100)
    assert describe_margin(BASE) == "-$413,481 (-0.51%), $1.61M short of the $1.2M margin target"
    assert "above the $1.2M margin target" in describe_margin(
        run(supply__interventional=2, supply__ep_devices=2, fte__agency_conversion=8))


def test_unchanged_plan_changes_no_line():
    assert evaluate(S, Plan()).changed_lines == ()
    assert evaluate(S, Plan()) == BASE
