"""Money, rounding and the figures people write.

**The rounding rule.** Money is :class:`~decimal.Decimal`, never ``float``. A computed amount
is rounded once, to cents, half away from zero -- exactly what the spreadsheet's
``ROUND(x, 2)`` does -- at these points and nowhere else:

* the net revenue per unit after the payer cut: ``ROUND(rate * (1 - share * cut), 2)``;
* every line amount (revenue line, cost line): ``ROUND(quantity * unit amount, 2)``;
* the margin percentage: ``ROUND(operating margin / revenue * 100, 2)``.

Totals are plain sums of rounded lines, so they need no rounding of their own. Volumes are
whole units: each volume effect is ``ROUND(x, 0)`` before it is added. Quality indicators are
rounded once, at the end, with ``ROUND(x, 2)``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


#: the quantum of ``ROUND(x, places)`` for the places used, built once
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(-6, 7)}


def round_to(value: Decimal, places: int) -> Decimal:
    """``ROUND(value, places)``: half away from zero, like the spreadsheet."""
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(quantum, ROUND_HALF_UP)  # positional: a keyword costs 100 ns


_MILLION = Decimal(1_000_000)


def cents(value: Decimal) -> Decimal:
    """``ROUND(value, 2)``: the one rounding applied to money."""
    return value.quantize(CENT, ROUND_HALF_UP)


def half_up(numerator: int, denominator: int) -> int:
    """``ROUND(numerator / denominator, 0)`` for integers (``denominator > 0``), half away
    from zero: what ``round_to(Decimal(numerator) / denominator, 0)`` gives, in integer
    arithmetic (a quarter of the cost; the model takes a lever's value as a ratio once)."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def money(amount: Decimal) -> str:
    """Short money for speech and for the CFO: ``$1.61M``, ``$332,800``, ``-$0.41M``."""
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size >= _MILLION:
        millions = f"{round_to(size / _MILLION, 2):f}".rstrip("0").rstrip(".")
        return f"{sign}${millions}M"
    return f"{sign}${round_to(size, 0):,f}"


def number(value: Decimal, places: int = 1) -> str:
    """A plain figure with thousands separators: ``1,280`` or ``17.8``."""
    return f"{round_to(value, places):,f}"


def plural(unit: str) -> str:
    """``case`` -> ``cases``, ``study`` -> ``studies``."""
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"


def plain(value: Decimal) -> str:
    """A figure without trailing zeros: ``64``, ``14.5``, ``17.83``, ``1,280``."""
    text = f"{value.normalize():,f}"
    return text


_FIGURE = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|percent\b|[kK]\b|[mM]\b|million\b|thousand\b)?"
)
_SCALE = {"k": Decimal(1000), "thousand": Decimal(1000), "m": Decimal(1_000_000),
          "million": Decimal(1_000_000)}


def figures_in(text: str) -> frozenset[str]:
    """The distinct numbers a text cites, normalised so ``$1.6M`` and ``1,600,000`` match.

    A figure is any run of digits (with thousands commas and decimals), optionally followed by
    ``%``/``percent`` (kept as a percentage) or ``k``/``M``/``thousand``/``million`` (scaled).
    """
    found: set[str] = set()
    for match in _FIGURE.finditer(text):
        value = Decimal(match.group("num").replace(",", ""))
        unit = (match.group("unit") or "").lower()
        if unit in ("%", "percent"):
            found.add(f"{value.normalize():f}%")
            continue
        value *= _SCALE.get(unit, Decimal(1))
        found.add(f"{value.normalize():f}")
    return frozenset(found)


def cites_a_number(text: str) -> bool:
    """True when the text cites at least one figure (see :func:`figures_in`)."""
    return bool(figures_in(text))
