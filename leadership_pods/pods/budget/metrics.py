"""Named metrics the rubric scores automatically. Every value is a ``float``; scales:

``margin_vs_target`` -- 0 to 100, percent of the opening gap closed: ``(margin - opening
    margin) / (target - opening margin) * 100``, clipped to 0..100, exactly 100 only when the
    margin meets the target (a plan short of it is capped at 99.99). Rubric levels: < 50
    beginning, 50-90 developing, 90-100 proficient, 100 exemplary.
``quality_floors_kept`` -- 0 to 100: the mean over the indicators of 1 (kept: at or better
    than baseline), 0.75 (at risk: worse than baseline, within the floor) or 0 (broken),
    times 100. So 100 = all kept; 75 to < 100 = all within floors, some worse than baseline;
    50 to < 75 = one broken; < 50 = two or more broken (with three indicators).
``justification_coverage`` -- 0 to 100, percent of changed levers whose justification cites
    at least one figure; 0 when nothing was changed. Rubric levels: < 50, 50-75, 75-100, 100.
``negotiation_outcome`` -- 100 agreement, 50 agreement with concessions, 0 impasse, no
    negotiation, or one still under way.
``negotiation_rounds`` -- 0 to 4: CFO rounds held (0 without a negotiation).
``numbers_cited`` -- 0 and up: a count of the distinct figures cited across the changed
    levers' justifications, the resident's answers to the CFO and the executive summary
    (``$1.6M`` and ``1,600,000`` count once; see :func:`~.money.figures_in`).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from .model import baseline, evaluate
from .money import HUNDRED, ZERO, cites_a_number, figures_in
from .negotiation import Negotiation, Outcome
from .plan import Plan
from .results import Status
from .scenario import Scenario

METRIC_NAMES = ("margin_vs_target", "quality_floors_kept", "justification_coverage",
                "negotiation_outcome", "negotiation_rounds", "numbers_cited")

_STATUS_POINTS = {Status.KEPT: Decimal(1), Status.AT_RISK: Decimal("0.75"),
                  Status.BROKEN: ZERO}
_OUTCOME_POINTS = {Outcome.AGREEMENT: 100.0, Outcome.AGREEMENT_WITH_CONCESSIONS: 50.0,
                   Outcome.IMPASSE: 0.0}
_JUST_SHORT = Decimal("99.99")


def metrics(scenario: Scenario, plan: Plan, negotiation: Negotiation | None,
            summary_text: str) -> dict[str, float]:
    """Score ``plan`` -- the final plan: for a negotiation, ``negotiation.plan``."""
    result = evaluate(scenario, plan)
    changed = plan.changed_levers()
    justified = sum(1 for lid in changed if cites_a_number(plan.changes[lid].justification))
    coverage = Decimal(justified) / len(changed) * HUNDRED if changed else ZERO
    texts = [plan.changes[lid].justification for lid in changed]
    texts += list(negotiation.arguments()) if negotiation else []
    texts.append(summary_text)
    figures = frozenset().union(*(figures_in(text) for text in texts))
    quality = sum((_STATUS_POINTS[ind.status] for ind in result.quality), ZERO)
    outcome = negotiation.outcome if negotiation else None
    return {
        "margin_vs_target": float(_gap_closed(scenario, result.totals.operating_margin)),
        "quality_floors_kept": _pct(quality / len(result.quality) * HUNDRED),
        "justification_coverage": _pct(coverage),
        "negotiation_outcome": _OUTCOME_POINTS[outcome] if outcome else 0.0,
        "negotiation_rounds": float(negotiation.rounds if negotiation else 0),
        "numbers_cited": float(len(figures)),
    }


def _gap_closed(scenario: Scenario, margin: Decimal) -> Decimal:
    target = scenario.goals.margin_target
    if margin >= target:
        return HUNDRED
    opening = baseline(scenario).totals.operating_margin
    gap = target - opening
    if gap <= 0:
        return ZERO
    closed = ((margin - opening) / gap * HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    return max(ZERO, min(_JUST_SHORT, closed))


def _pct(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_FLOOR))
