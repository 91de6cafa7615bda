"""Dates as exports write them: ISO, and slashed dates in the exporting user's order, which the
export itself tells (any date with a day past 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dealgate.io.parsing import CellError, DateOrder, parse_date, parse_datetime

READ = {
    "iso": ("2026-04-03", False, date(2026, 4, 3)),
    "iso_with_a_time": ("2026-04-03T10:00:00.000Z", True, date(2026, 4, 3)),
    "us_month_first": ("04/03/2026", False, date(2026, 4, 3)),
    "uk_day_first": ("03/04/2026", True, date(2026, 4, 3)),
    "us_with_a_time": ("4/3/2026 10:15 AM", False, date(2026, 4, 3)),
    "uk_with_a_time": ("3/4/2026 10:15", True, date(2026, 4, 3)),
    "german_dots_are_always_day_first": ("03.04.2026", False, date(2026, 4, 3)),
}


@pytest.mark.parametrize(("text", "day_first", "expected"), READ.values(), ids=READ.keys())
def test_a_date_is_read_in_the_order_its_export_writes_dates(
    text: str, day_first: bool, expected: date
) -> None:
    assert parse_date(text, day_first) == expected
    assert parse_datetime(text, day_first).date() == expected


@pytest.mark.parametrize(("text", "day_first"), [("31/03/2026", False), ("03/31/2026", True)])
def test_a_date_against_its_exports_order_is_refused_naming_the_order(
    text: str, day_first: bool
) -> None:
    with pytest.raises(CellError, match="DD/MM/YYYY" if day_first else "MM/DD/YYYY"):
        parse_date(text, day_first)


@pytest.mark.parametrize(("day_first", "said"), [(False, "MM/DD/YYYY"), (True, "DD/MM/YYYY")])
def test_a_cell_that_is_no_date_says_the_forms_this_export_may_use(
    day_first: bool, said: str
) -> None:
    with pytest.raises(CellError, match=f"expected YYYY-MM-DD \\(or {said}\\)"):
        parse_date("soon", day_first)


ORDERS = {
    "no_dates_means_month_first": ([], False),
    "only_ambiguous_dates_means_month_first": (["03/04/2026", "01/02/2026"], False),
    "a_day_past_twelve_first_means_day_first": (["03/04/2026", "31/03/2026"], True),
    "a_day_past_twelve_second_means_month_first": (["03/04/2026", "03/31/2026"], False),
    "iso_dates_say_nothing": (["2026-03-31", "", None], False),
    "the_many_outweigh_a_stray_typo": (["31/03/2026", "12/30/2026", "1/13/2026"], False),
    "day_first_with_times": (["25/12/2026 09:00"], True),
}


@pytest.mark.parametrize(("cells", "day_first"), ORDERS.values(), ids=ORDERS.keys())
def test_an_export_says_whether_it_writes_the_day_first(
    cells: list[str | None], day_first: bool
) -> None:
    order = DateOrder()
    for cell in cells:
        order.see(cell)
    assert order.day_first is day_first


TIMES = {
    "us_afternoon": ("3/31/2026 2:05 PM", False, datetime(2026, 3, 31, 14, 5, tzinfo=UTC)),
    "us_just_after_midnight": (
        "3/31/2026 12:05 AM",
        False,
        datetime(2026, 3, 31, 0, 5, tzinfo=UTC),
    ),
    "us_noon": ("3/31/2026 12:30 pm", False, datetime(2026, 3, 31, 12, 30, tzinfo=UTC)),
    "uk_24_hour": ("31/03/2026 14:05", True, datetime(2026, 3, 31, 14, 5, tzinfo=UTC)),
    "german_with_seconds": (
        "31.03.2026 14:05:09",
        False,
        datetime(2026, 3, 31, 14, 5, 9, tzinfo=UTC),
    ),
    "no_time_is_midnight": ("3/31/2026", False, datetime(2026, 3, 31, tzinfo=UTC)),
    "a_zone_after_the_time_is_not_applied": (
        "3/31/2026 2:05 PM PST",
        False,
        datetime(2026, 3, 31, 14, 5, tzinfo=UTC),
    ),
    "an_offset_after_the_time_is_not_applied": (
        "31/03/2026 14:05 +01:00",
        True,
        datetime(2026, 3, 31, 14, 5, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize(("text", "day_first", "expected"), TIMES.values(), ids=TIMES.keys())
def test_a_local_date_keeps_its_time_of_day_so_one_days_stage_changes_keep_their_order(
    text: str, day_first: bool, expected: datetime
) -> None:
    assert parse_datetime(text, day_first) == expected


@pytest.mark.parametrize(
    "text",
    [
        "3/31/2026 25:00",
        "3/31/2026 14:60",
        "3/31/2026 13:00 PM",
        "3/31/2026 0:30 AM",
        "3/31/2026 soon",
    ],
)
def test_a_local_date_whose_time_does_not_read_is_refused_rather_than_read_as_midnight(
    text: str,
) -> None:
    with pytest.raises(CellError, match="ends in a time that does not read"):
        parse_datetime(text)
