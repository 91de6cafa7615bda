"""Guessing a password at speed: wrong passwords per name and address, over a window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dealgate.domain.password_guessing import minutes_to_wait
from tests.builders import T0

WINDOW = timedelta(minutes=15)


def _failures(n: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(seconds=i) for i in range(n)]


WAITS = {
    "ten_wrong_passwords_refuse_the_eleventh_try_for_the_whole_window": (
        _failures(10),
        T0 + timedelta(minutes=1),
        14,
    ),
    "nine_wrong_passwords_let_the_tenth_try_through": (
        _failures(9),
        T0 + timedelta(minutes=1),
        None,
    ),
    "a_try_after_the_oldest_failure_aged_out_is_let_through": (
        _failures(10),
        T0 + timedelta(minutes=15, seconds=1),
        None,
    ),
    "the_wait_ends_when_the_tenth_newest_failure_ages_out": (
        [T0, *_failures(10, T0 + timedelta(minutes=5))],
        T0 + timedelta(minutes=6),
        14,
    ),
    "failures_in_any_order_count_the_same": (
        list(reversed(_failures(10))),
        T0 + timedelta(minutes=1),
        14,
    ),
    "a_part_of_a_minute_left_is_a_minute": (
        _failures(10),
        T0 + timedelta(minutes=14, seconds=50),
        1,
    ),
    "failures_older_than_the_window_do_not_count": (
        [*_failures(5, T0 - timedelta(hours=1)), *_failures(9)],
        T0 + timedelta(minutes=1),
        None,
    ),
}


@pytest.mark.parametrize(("failures", "now", "wait"), WAITS.values(), ids=WAITS.keys())
def test_a_name_and_address_wait_once_they_reach_the_limit_of_wrong_passwords(
    failures: list[datetime], now: datetime, wait: int | None
) -> None:
    assert minutes_to_wait(failures, now, limit=10, window=WINDOW) == wait
