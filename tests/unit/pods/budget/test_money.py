from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.pods.budget.money import (
    cents,
    cites_a_number,
    figures_in,
    half_up,
    money,
    plain,
    round_to,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("0.005", "0.01"), ("-0.005", "-0.01"), ("2.675", "2.68"), ("1.234", "1.23"),
    ("-1.235", "-1.24"), ("10", "10.00"),
])
def test_cents_rounds_half_away_from_zero_like_spreadsheet_round(value, expected):
    assert cents(D(value)) == D(expected)
    assert cents(D(value)).as_tuple().exponent == -2


def whole(value: D) -> int:
    """``ROUND(value, 0)`` as the spreadsheet does it, in decimals: what half_up must give."""
    return int(round_to(value, 0))


def test_whole_rounds_volumes_half_away_from_zero():
    assert whole(D("302.4")) == 302
    assert whole(D("0.5")) == 1
    assert whole(D("-0.5")) == -1


@pytest.mark.parametrize(("amount", "text"), [
    (D("1612080.60"), "$1.61M"), (D(1200000), "$1.2M"), (D(2000000), "$2M"),
    (D("-413480.60"), "-$413,481"), (D("332800"), "$332,800"), (D(0), "$0"),
])
def test_money_is_short_and_spoken(amount, text):
    assert money(amount) == text


def test_plain_drops_trailing_zeros():
    assert plain(D("64.00")) == "64"
    assert plain(D("14.50")) == "14.5"
    assert plain(D("1280")) == "1,280"


def test_figures_are_normalised_so_one_number_counts_once():
    text = "Summit cut $1.6M, that is 1,600,000 dollars, or 1600 thousand; 7% of 28 percent."
    assert figures_in(text) == {"1600000", "7%", "28%"}


def test_figures_with_k_and_decimals():
    assert figures_in("$330k a year and 0.5 days") == {"330000", "0.5"}


def test_text_without_digits_cites_nothing():
    assert not cites_a_number("We will save a lot by standardising stents.")
    assert cites_a_number("2,100 stents x $157")


@given(st.integers(-10**9, 10**9), st.integers(1, 10**6))
def test_half_up_is_whole_of_the_quotient(numerator, denominator):
    assert half_up(numerator, denominator) == whole(D(numerator) / D(denominator))


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (5, 10, 1), (-5, 10, -1), (4, 10, 0), (-4, 10, 0), (15, 10, 2), (-25, 10, -3), (0, 7, 0)])
def test_half_up_rounds_halves_away_from_zero(numerator, denominator, expected):
    assert half_up(numerator, denominator) == expected
