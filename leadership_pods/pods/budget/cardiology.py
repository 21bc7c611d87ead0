"""The flagship scenario: a cardiology service line after a payer-rate cut.

Built like the Lakeview example in the pod's slides (the same six revenue lines, the same
cost lines, Summit Health Plan worth 28% of net revenue cutting its rates 7%), with numbers
of its own: Crestview University Health, an illustrative academic medical center. Per-unit
contribution margins match the slides (PCI about $9,900, diagnostic cath about $2,400, an
imaging study about $350, a clinic visit about $60), and the levers reuse the slides' worked
examples (agency conversion, the stent tier, the outreach clinic, the Saturday echo session,
the echo fleet deferral).

Before the cut the budget showed a $1.2M operating margin; the cut takes about $1.6M a year
and the year opens at an operating deficit of about $0.41M. The target is to restore the
budgeted $1.2M.
"""

from __future__ import annotations

from decimal import Decimal as D

from .scenario import (
    AgencyConversion,
    CapitalItem,
    CfoPersona,
    Goals,
    Scenario,
    ServiceHours,
    VolumeInitiative,
)
from .service_line import (
    FixedCost,
    PayerCut,
    QualityEffect,
    QualityIndicator,
    RevenueLine,
    StaffingLine,
    StaffPool,
    SupplyTier,
    VolumeEffect,
)

SCENARIO_ID = "cardiology-payer-cut"

_REVENUE = (
    RevenueLine("rev.interventional", "Interventional procedures (PCI and other coronary "
                "interventions)", "case", 1280, D(16500), 1340, D(2),
                "interventional supplies (stents, balloons, wires, closure devices, contrast)",
                (SupplyTier(0, "current contract, 62% on contract", D(6300)),
                 SupplyTier(1, "committed tier", D(6040), 85, 1200),
                 SupplyTier(2, "sole-source tier", D(5960), 95, 1260))),
    RevenueLine("rev.diagnostic_cath", "Diagnostic cath", "case", 2350, D(4150), 2460, D(1),
                "diagnostic cath supplies (catheters, sheaths, contrast)",
                (SupplyTier(0, "current contract", D(1650)),
                 SupplyTier(1, "committed tier", D(1590), 85, 2200))),
    RevenueLine("rev.imaging", "Imaging (echo, nuclear, cardiac CT and MR)", "study", 24600,
                D(630), 25400, D(3), "contrast, radiopharmaceuticals and reading cost",
                (SupplyTier(0, "current contract", D(270)),
                 SupplyTier(1, "committed tier", D(264), 90, 23500))),
    RevenueLine("rev.ep_devices", "EP and devices (ablations, pacemakers, defibrillators)",
                "case", 1080, D(24200), 1120, D(4),
                "EP devices (generators, leads, ablation catheters)",
                (SupplyTier(0, "current contract", D(14800)),
                 SupplyTier(1, "committed tier", D(14550), 85, 1000),
                 SupplyTier(2, "sole-source tier", D(14420), 95, 1060))),
    RevenueLine("rev.clinic", "Clinic (outpatient cardiology visits)", "visit", 43200, D(200),
                45000, D(2), "clinic supplies and variable staff time",
                (SupplyTier(0, "current", D(136)),)),
    RevenueLine("rev.cardiac_rehab", "Cardiac rehab (monitored sessions)", "session", 8800,
                D(125), 9400, D(1), "rehab supplies and monitoring",
                (SupplyTier(0, "current", D(28)),),
                quality_per_1000_units=QualityEffect(readmissions_pct=D("-0.15"))),
)

_STAFFING = (
    StaffingLine("cost.rn_cath_lab", "Cath and EP lab nurses (RN)", "cath_lab_rn", D(28),
                 D(128000), D(-8), D(4)),
    StaffingLine("cost.rn_step_down", "Step-down unit nurses, employed (RN)", "step_down_rn",
                 D(62), D(120000), D(-10), D(6)),
    StaffingLine("cost.rn_agency", "Step-down unit nurses, agency (travel RN at $145/h)",
                 "step_down_rn", D(8), D(301600), D(-8), D(4)),
    StaffingLine("cost.tech_cath_lab", "Cath and EP lab technologists", "cath_lab_tech", D(30),
                 D(105000), D(-8), D(4)),
    StaffingLine("cost.tech_imaging", "Sonographers and imaging technologists", "imaging_tech",
                 D(34), D(98000), D(-8), D(4)),
    StaffingLine("cost.app", "Advanced-practice providers (NP and PA)", "app", D(16), D(165000),
                 D(-6), D(4)),
)

_POOLS = (
    StaffPool("cath_lab_rn", "Cath and EP lab nursing", D(24),
              "four lab rooms and the overnight STEMI call team need at least 24 nurse FTE",
              per_fte_below=QualityEffect(d2b_minutes=D("4.0"))),
    StaffPool("step_down_rn", "Step-down nursing (employed and agency)", D(66),
              "the 52-bed step-down unit needs 14 nurses on every shift (1:4 plus a charge "
              "nurse): 14 x 8,760 h / 1,850 productive h = about 66 FTE",
              per_fte_below=QualityEffect(readmissions_pct=D("0.30"))),
    StaffPool("cath_lab_tech", "Cath and EP lab technologists", D(26),
              "every open lab room needs two technologists and STEMI call a full crew: "
              "at least 26 FTE",
              per_fte_below=QualityEffect(d2b_minutes=D("3.0"))),
    StaffPool("imaging_tech", "Imaging technologists", D(28),
              "today's echo, nuclear and CT/MR sessions need a technologist per scanner: "
              "at least 28 FTE",
              per_fte_below=QualityEffect(access_days=D("0.3")),
              volume_per_fte_below=(VolumeEffect("rev.imaging", 450),)),
    StaffPool("app", "Advanced-practice providers", D(12),
              "inpatient cardiology day cover and 7-day heart-failure follow-up need at least "
              "12 APP FTE",
              per_fte_below=QualityEffect(readmissions_pct=D("0.15"), access_days=D("0.8")),
              per_fte_above=QualityEffect(access_days=D("-0.4")),
              volume_per_fte_below=(VolumeEffect("rev.clinic", 900),),
              volume_per_fte_above=(VolumeEffect("rev.clinic", 450),)),
)

_CONVERSION = AgencyConversion(
    "fte.agency_conversion", "Convert step-down agency nurses to employed nurses",
    "cost.rn_agency", "cost.rn_step_down", D("1.1"), D(70), D(12000), D(8))

_HOURS = (
    ServiceHours("hours.cath_lab_evening", "Evening cath lab sessions", "weekly 4-hour sessions",
                 0, 2, D(54000),
                 volume_per_added=(VolumeEffect("rev.diagnostic_cath", 36),
                                   VolumeEffect("rev.interventional", 9)),
                 volume_per_closed=(),
                 capacity_per_session=(VolumeEffect("rev.diagnostic_cath", 80),
                                       VolumeEffect("rev.interventional", 12)),
                 quality_per_added=QualityEffect(d2b_minutes=D("-1.5"), access_days=D("-0.5"))),
    ServiceHours("hours.clinic_sessions", "Clinic sessions", "weekly half-day sessions", -6, 4,
                 D(58000),
                 volume_per_added=(VolumeEffect("rev.clinic", 432),),
                 volume_per_closed=(VolumeEffect("rev.clinic", 302),),
                 capacity_per_session=(VolumeEffect("rev.clinic", 864),),
                 quality_per_added=QualityEffect(access_days=D("-0.6")),
                 quality_per_closed=QualityEffect(access_days=D("0.6"))),
    ServiceHours("hours.imaging_sessions", "Imaging sessions (e.g. the Saturday echo session)",
                 "weekly 8-hour sessions", -2, 2, D(64896),
                 volume_per_added=(VolumeEffect("rev.imaging", 312),),
                 volume_per_closed=(VolumeEffect("rev.imaging", 312),),
                 capacity_per_session=(VolumeEffect("rev.imaging", 1040),),
                 quality_per_added=QualityEffect(access_days=D("-1.0")),
                 quality_per_closed=QualityEffect(access_days=D("1.5"))),
)

_INITIATIVES = (
    VolumeInitiative("init.outreach_clinic", "North-suburb outreach clinic",
                     "An APP, a scheduler and leased space to recapture patients now leaving the "
                     "system: at run-rate 1,800 visits, 150 diagnostic caths and 45 PCIs a year.",
                     D(300000), D(50000),
                     (VolumeEffect("rev.clinic", 1800), VolumeEffect("rev.diagnostic_cath", 150),
                      VolumeEffect("rev.interventional", 45)),
                     D(40), capacity_added=(VolumeEffect("rev.clinic", 1800),),
                     quality_at_run_rate=QualityEffect(access_days=D("-1.0"))),
    VolumeInitiative("init.hf_transitions", "Heart-failure transitions clinic",
                     "An APP and a nurse see every heart-failure discharge within 7 days: at "
                     "run-rate 1,400 visits and 0.8 points fewer 30-day readmissions.",
                     D(240000), D(20000), (VolumeEffect("rev.clinic", 1400),), D(60),
                     capacity_added=(VolumeEffect("rev.clinic", 1400),),
                     quality_at_run_rate=QualityEffect(readmissions_pct=D("-0.8"))),
    VolumeInitiative("init.rehab_expansion", "Cardiac rehab referral automation and evening "
                     "cohort", "Automatic referral at discharge after MI, PCI and CABG, and an "
                     "evening cohort: at run-rate 1,800 more sessions a year.",
                     D(90000), D(15000), (VolumeEffect("rev.cardiac_rehab", 1800),), D(50),
                     capacity_added=(VolumeEffect("rev.cardiac_rehab", 1800),)),
)

_CAPITAL = (
    CapitalItem("capital.cath_lab_3", "Cath lab 3 imaging system replacement", D(420000),
                D(110000), "The 11-year-old system is past its service life: a failure takes a "
                "room down mid-case and STEMIs queue for the other rooms.",
                QualityEffect(d2b_minutes=D("6.0"))),
    CapitalItem("capital.echo_fleet", "Echo fleet replacement", D(200000), D(60000),
                "Older probes fail more often and image quality slips; a down machine cancels a "
                "session.", QualityEffect(access_days=D("0.5"))),
)

_FIXED = (
    FixedCost("cost.lease.cath_lab", "Cath and EP lab equipment leases", "leases", D(1400000)),
    FixedCost("cost.lease.imaging", "Imaging equipment leases", "leases", D(900000)),
    FixedCost("cost.other_direct", "Other direct cost (unit and clinic support staff, service "
              "contracts, pharmacy)", "other", D(2480000)),
    FixedCost("cost.overhead", "Allocated overhead (IT, finance, facilities, administration)",
              "overhead", D(12400000)),
)

_INDICATORS = (
    QualityIndicator("d2b", "Door-to-balloon time (median, primary PCI)", "minutes", D(64),
                     D(90), "90 minutes (the ACC/AHA goal)",
                     ("door-to-balloon", "door to balloon", "d2b", "stemi", "balloon",
                      "call team", "cath lab")),
    QualityIndicator("readmissions", "30-day readmissions", "%", D("17.8"), D("17.8"),
                     "17.8%, today's rate",
                     ("readmission", "readmit", "discharge", "heart failure", "follow-up",
                      "rehab")),
    QualityIndicator("access", "Access: third-next-available appointment", "days", D(14), D(18),
                     "18 days",
                     ("access", "wait", "appointment", "third-next", "session", "schedule")),
)

_CFO_ASKS = (
    ("supply.interventional", D(1)),
    ("fte.agency_conversion", D(4)),
    ("supply.ep_devices", D(1)),
    ("hours.cath_lab_evening", D(1)),
    ("supply.diagnostic_cath", D(1)),
    ("supply.imaging", D(1)),
    ("fte.agency_conversion", D(6)),
    ("hours.cath_lab_evening", D(2)),
    ("supply.interventional", D(2)),
    ("fte.agency_conversion", D(8)),
    ("supply.ep_devices", D(2)),
)

CARDIOLOGY = Scenario(
    id=SCENARIO_ID,
    title="Rebalance the cardiology service-line budget",
    institution="Crestview University Health",
    story="Summit Health Plan, 28% of the service line's net revenue, has cut its rates 7% at "
          "renewal. The budget showed a $1.2M operating margin; after the cut the year opens "
          "in deficit. Finance asks you to restore the $1.2M without breaching a quality "
          "floor or shrinking regional access.",
    payer_cut=PayerCut("Summit Health Plan", D(28), D(7)),
    revenue_lines=_REVENUE,
    staffing_lines=_STAFFING,
    pools=_POOLS,
    conversion=_CONVERSION,
    service_hours=_HOURS,
    initiatives=_INITIATIVES,
    capital_items=_CAPITAL,
    fixed_costs=_FIXED,
    indicators=_INDICATORS,
    goals=Goals(D(1200000), "restore the budgeted operating margin of $1.2M", "rev.clinic",
                "Regional access (clinic visits)"),
    cfo=CfoPersona(
        "Dana Mercer", "Chief Financial Officer, Crestview University Health",
        "Twenty years in hospital finance, the last six as CFO. Takes the system budget to the "
        "board finance committee and watches days cash on hand and debt-service coverage. "
        "Respects clinical floors and says so; has no patience for one-time money dressed up "
        "as recurring or for ramps nobody can defend. Speaks in numbers and expects numbers "
        "back."),
    cfo_asks=_CFO_ASKS,
)
