"""Amounts as exports and people write them in several countries: the same number comes in,
and a number that cannot be read one way only is refused, never guessed into another."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dealgate import cli_support
from dealgate.domain.errors import DealgateError
from dealgate.io.parsing import CellError, DecimalMark, currency_in, parse_amount

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


MARKS = {
    "no_amounts_tell_nothing": ([], None),
    "whole_numbers_tell_nothing": (["12000", "", None, "7"], None),
    "a_group_of_three_alone_could_be_either": (["1,234", "12.000"], None),
    "cents_after_a_point": (["12.50", "1,234"], "."),
    "cents_after_a_comma": (["12,5", "1.234"], ","),
    "both_separators_the_later_marks_the_cents": (["1,234.56", "12000"], "."),
    "both_separators_european": (["1.234,56"], ","),
    "repeated_commas_group_thousands": (["1,234,567"], "."),
    "repeated_points_group_thousands": (["1.234.567"], ","),
    "four_digits_before_a_separator_are_no_thousands_group": (["1234.500"], "."),
    "a_leading_zero_is_no_thousands_group": (["0,125"], ","),
    "a_data_loader_export_writes_a_point_and_one_decimal": (["12500.0", "48000.0"], "."),
    "currency_codes_and_signs_are_looked_past": (["USD 12,000.50", "$3.5"], "."),
    "the_many_outweigh_a_stray_one": (["12.50", "3.75", "12,5"], "."),
    "a_cell_that_is_no_amount_tells_nothing": (["12..5", "1.2.3", "twelve"], None),
}


@pytest.mark.parametrize(("cells", "mark"), MARKS.values(), ids=MARKS.keys())
def test_an_export_says_which_mark_its_amounts_put_before_the_cents(
    cells: list[str | None], mark: str | None
) -> None:
    decimals = DecimalMark()
    for cell in cells:
        decimals.see(cell)
    assert decimals.mark == mark


READ_WITH_MARK = {
    "three_decimals_after_a_point_in_a_us_export": ("12.500", ".", "12.50"),
    "a_thousands_comma_in_a_us_export": ("1,234", ".", "1234.00"),
    "three_decimals_after_a_comma_in_a_european_export": ("12,500", ",", "12.50"),
    "a_thousands_point_in_a_european_export": ("1.234", ",", "1234.00"),
    "millions_in_a_european_export": ("1.234.567,89", ",", "1234567.89"),
    "whole_numbers_either_way": ("12000", ",", "12000.00"),
    "a_currency_code_in_a_us_export": ("USD 12,500.00", ".", "12500.00"),
    "a_trailing_mark_without_cents": ("12000.", ".", "12000.00"),
    "indian_grouping_in_lakhs": ("1,23,45,678.50", ".", "12345678.50"),
}


@pytest.mark.parametrize(
    ("text", "mark", "expected"), READ_WITH_MARK.values(), ids=READ_WITH_MARK.keys()
)
def test_an_amount_is_read_with_the_decimal_mark_its_export_uses(
    text: str, mark: str, expected: str
) -> None:
    assert parse_amount(text, mark) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "mark", "example"),
    [
        ("12,50", ".", "1,234.56"),
        ("1.234,56", ".", "1,234.56"),
        ("1.234.567", ".", "1,234.56"),
        ("12.50", ",", "1.234,56"),
        ("0.125", ",", "1.234,56"),
        ("1,2345", ".", "1,234.56"),
    ],
)
def test_an_amount_against_its_exports_decimal_mark_is_refused_showing_the_exports_way(
    text: str, mark: str, example: str
) -> None:
    with pytest.raises(
        CellError, match=f"not written the way this export writes amounts \\(like {example}\\)"
    ):
        parse_amount(text, mark)


@pytest.mark.parametrize("mark", [".", ","])
def test_a_cell_that_is_no_number_is_refused_as_no_amount_whatever_the_mark(mark: str) -> None:
    with pytest.raises(CellError, match="is not an amount"):
        parse_amount("twelve", mark)
    with pytest.raises(CellError, match="not a plausible amount"):
        parse_amount("-5", mark)
