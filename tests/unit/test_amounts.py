"""Amounts as exports and people write them in several countries: the same number comes in,
and a number that cannot be read one way only is refused, never guessed into another."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dealgate import cli_support
from dealgate.domain.errors import DealgateError
from dealgate.io.parsing import CellError, currency_in, parse_amount

READ_AS = {
    "plain": ("12000.50", "12000.50"),
    "us_thousands": ("12,000.50", "12000.50"),
    "european_thousands_and_decimal_comma": ("12.000,50", "12000.50"),
    "millions_us": ("1,234,567.89", "1234567.89"),
    "millions_european": ("1.234.567,89", "1234567.89"),
    "a_decimal_comma": ("12,50", "12.50"),
    "a_short_decimal_comma": ("12,5", "12.50"),
    "groups_of_three_after_a_comma_are_thousands": ("1,234", "1234.00"),
    "groups_of_three_after_a_point_are_thousands": ("1.234", "1234.00"),
    "european_thousands_without_cents": ("12.000", "12000.00"),
    "a_fraction_below_one_stays_a_fraction": ("0.125", "0.12"),
    "currency_code_before": ("USD 12,000.00", "12000.00"),
    "currency_code_after": ("1.200,00 EUR", "1200.00"),
    "currency_sign_and_spaces": ("12 000,50 €", "12000.50"),
    "dollar_sign": ("$1,500", "1500.00"),
    "no_break_space_thousands": ("12\u00a0000", "12000.00"),
    "swiss_apostrophes": ("1'234.50", "1234.50"),
    "more_than_cents_rounded_on_import": ("1234.5678", "1234.57"),
}


@pytest.mark.parametrize(("text", "expected"), READ_AS.values(), ids=READ_AS.keys())
def test_an_exported_amount_is_read_as_the_number_its_writer_meant(
    text: str, expected: str
) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["1,2,3", "1.2.3", "twelve", "-5", "1e20", "12..5"])
def test_an_exported_amount_that_is_no_amount_is_refused_with_what_was_expected(
    text: str,
) -> None:
    with pytest.raises(CellError, match="amount"):
        parse_amount(text)


def test_an_empty_amount_cell_is_no_amount() -> None:
    assert parse_amount("  ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.000,50", "12000.50"), ("12,50", "12.50"), ("USD 40,000", "40000"), ("7", "7")],
)
def test_an_amount_typed_in_a_form_or_the_cli_is_read_the_same_way(
    text: str, expected: str
) -> None:
    assert cli_support.parse_amount(text) == Decimal(expected)


def test_an_amount_typed_that_is_no_number_is_refused_in_the_one_shape() -> None:
    with pytest.raises(DealgateError) as caught:
        cli_support.parse_amount("12 apples")
    assert caught.value.codes == ["invalid_amount"]


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("USD 12,000.00", "USD"),
        ("1.200,00 EUR", "EUR"),
        ("$1,500", "USD"),
        ("12 000,50 €", "EUR"),
        ("£5", "GBP"),
        ("12000", None),
    ],
)
def test_an_amount_that_names_its_currency_says_which(text: str, currency: str | None) -> None:
    assert currency_in(text) == currency
