"""The model's figures for recorded plans, unchanged.

``recorded_results.json`` holds 75 plans drawn at random (seed 20261202; a lever is set
with probability 0.15, 0.4 or 0.8, at any value on its step): for each, either the
fingerprint of every figure the model computed or the levers of the refusal. They were
recorded with the model as it was before it was restructured for speed (commit f78e46c), so
any change to the arithmetic -- a term dropped, rounding moved, decimal places changed --
shows here. To record them again after an intended change of the model, run this file:
``python tests/unit/pods/budget/test_recorded_results.py``.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from leadership_pods.pods.budget import CARDIOLOGY as S
from leadership_pods.pods.budget import Plan, Result, UnsafePlan, evaluate

RECORDED = Path(__file__).with_name("recorded_results.json")
SEED = 20261202


def figures(result: Result) -> str:
    """Every computed figure, written exactly (decimal places included), as one text."""
    t = result.totals
    return json.dumps({
        "revenue": [[r.id, r.demand, r.capacity, r.volume, str(r.net_rate), str(r.revenue),
                     r.tier, r.tier_lost, str(r.variable_cost_per_unit), str(r.variable_cost)]
                    for r in result.revenue_lines],
        "cost": [[c.id, c.behaviour, str(c.amount), str(c.quantity), str(c.unit_cost),
                  str(c.one_time_cost), str(c.one_time_relief)] for c in result.cost_lines],
        "pools": [[p.id, str(p.baseline_fte), str(p.fte)] for p in result.pools],
        "totals": [str(value) for value in t],
        "quality": [[q.id, str(q.value), q.status.value] for q in result.quality],
        "changed_levers": list(result.changed_levers),
        "changed_lines": list(result.changed_lines),
        "notes": list(result.notes),
    })


def fingerprint(result: Result) -> str:
    return hashlib.sha256(figures(result).encode()).hexdigest()


def _plan(levers: dict[str, str]) -> Plan:
    return Plan.from_json({"levers": {k: {"value": v} for k, v in levers.items()}}, S)


def _draw(rnd: random.Random) -> dict[str, str]:
    levers = {}
    for lever in S.levers:
        if rnd.random() < rnd.choice([0.15, 0.4, 0.8]):
            steps = int((lever.maximum - lever.minimum) / lever.step)
            levers[lever.id] = f"{lever.minimum + rnd.randint(0, steps) * lever.step:f}"
    return levers


def record() -> list[dict[str, Any]]:
    """60 accepted plans and 15 refused ones, drawn from ``SEED``."""
    rnd, rows, accepted, refused = random.Random(SEED), [], 0, 0
    while accepted < 60:
        levers = _draw(rnd)
        try:
            plan = _plan(levers)
        except Exception:  # off the conversion's limit: draw again
            continue
        try:
            rows.append({"plan": levers, "figures": fingerprint(evaluate(S, plan))})
            accepted += 1
        except UnsafePlan as exc:
            if refused < 15:
                rows.append({"plan": levers, "refused": [r.lever_id for r in exc.refusals]})
                refused += 1
    return rows


ROWS = json.loads(RECORDED.read_text()) if RECORDED.exists() else []


def test_the_record_holds_accepted_and_refused_plans():
    assert sum("figures" in row for row in ROWS) == 60
    assert sum("refused" in row for row in ROWS) == 15


@pytest.mark.parametrize("row", ROWS, ids=[str(n) for n in range(len(ROWS))])
def test_a_recorded_plan_gives_the_recorded_figures(row):
    plan = _plan(row["plan"])
    if "refused" in row:
        with pytest.raises(UnsafePlan) as refusal:
            evaluate(S, plan)
        assert [r.lever_id for r in refusal.value.refusals] == row["refused"]
    else:
        assert fingerprint(evaluate(S, plan)) == row["figures"]


if __name__ == "__main__":
    RECORDED.write_text(json.dumps(record(), indent=0, separators=(",", ":")) + "\n")
