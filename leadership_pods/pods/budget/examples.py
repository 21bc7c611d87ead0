"""Worked plans for the cardiology scenario: for tests, demos and the Excel round trip.

Never shown to learners. Each meets the $1.2M target with every quality floor kept.
"""

from __future__ import annotations

from decimal import Decimal

from .plan import LeverChange, Plan


def _plan(changes: dict[str, tuple[str, str]]) -> Plan:
    return Plan({lid: LeverChange(Decimal(value), text, True) for lid, (value, text) in
                 changes.items()})


#: Recurring cost levers: agency conversion, three supply tiers, two evening cath sessions.
COST_AND_CONTRACTS = _plan({
    "fte.agency_conversion": ("5", "Convert 5 step-down agency positions: $301,600 each "
                              "against 1.1 employed FTE at $120,000; about $533,600 in year one "
                              "at 70% realisation, recurring. Owner: nurse manager."),
    "supply.interventional": ("1", "Committed stent tier: 1,280 cases x $260 = $332,800 a "
                              "year, recurring, needs 85% compliance against 62% today."),
    "supply.ep_devices": ("1", "EP committed tier: 1,080 cases x $250 = $270,000 a year, "
                          "recurring; the EP group signed on at value analysis."),
    "supply.diagnostic_cath": ("1", "Diagnostic cath tier: 2,350 cases x $60 = $141,000 a "
                               "year, recurring."),
    "supply.imaging": ("1", "Imaging contract tier: 24,600 studies x $6 = $147,600 a year, "
                       "recurring."),
    "hours.cath_lab_evening": ("2", "Two evening cath sessions at $54,000 each recapture 72 "
                               "diagnostic caths and 18 PCIs, about $244,000 net, and cut "
                               "door-to-balloon by 3 minutes."),
})

#: Growth and access: the outreach clinic at a credible 40% ramp, lab time to carry its caths,
#: sole-source tiers and an added imaging session.
GROWTH_AND_ACCESS = _plan({
    "init.outreach_clinic": ("40", "Outreach clinic at a 40% year-one ramp: 720 visits, 60 "
                             "caths and 18 PCIs, about $366,000 of contribution against "
                             "$350,000 of cost; $913,500 a year at run-rate."),
    "hours.cath_lab_evening": ("2", "Two evening sessions ($108,000) give the lab room for the "
                               "outreach caths and recapture 90 cases, about $244,000 net."),
    "supply.interventional": ("2", "Sole-source stent tier: 1,280 cases x $340 = $435,200 a "
                              "year, recurring, needs 95% compliance."),
    "supply.ep_devices": ("2", "Sole-source EP tier: 1,080 cases x $380 = $410,400 a year."),
    "supply.imaging": ("1", "Imaging contract tier: $147,600 a year, recurring."),
    "hours.imaging_sessions": ("1", "An evening echo session: 312 studies x $347 = $108,000 "
                               "against $64,896 of overtime; access improves 1 day."),
    "fte.agency_conversion": ("3", "Convert 3 agency positions: about $320,000 in year one."),
})

EXAMPLE_PLANS = {"cost-and-contracts": COST_AND_CONTRACTS, "growth-and-access": GROWTH_AND_ACCESS}
