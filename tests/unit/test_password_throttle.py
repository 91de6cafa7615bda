"""Guessing a password at speed: wrong passwords per name and address, over a window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dealgate.domain.errors import DealgateError
from dealgate.web.sessions import Throttle
from tests.builders import T0


def _after(failures: int, throttle: Throttle, name: str = "ada", address: str = "1.2.3.4") -> None:
    for i in range(failures):
        throttle.failed(name, address, T0 + timedelta(seconds=i))


def test_ten_wrong_passwords_within_the_window_refuse_the_eleventh_try() -> None:
    throttle = Throttle(limit=10, window=timedelta(minutes=15))
    _after(10, throttle)
    with pytest.raises(DealgateError) as caught:
        throttle.check("ada", "1.2.3.4", T0 + timedelta(minutes=1))
    assert caught.value.codes == ["too_many_attempts"] and caught.value.status == 429
    assert "try again in 15 minutes" in caught.value.details[0].message


@pytest.mark.parametrize(
    ("name", "address", "later"),
    [
        ("ada", "1.2.3.4", timedelta(minutes=15, seconds=1)),  # the oldest failure aged out
        ("bob", "1.2.3.4", timedelta(0)),  # another name from the same address
        ("ada", "5.6.7.8", timedelta(0)),  # the same name from another address
    ],
)
def test_a_try_outside_the_counted_failures_is_let_through(
    name: str, address: str, later: timedelta
) -> None:
    throttle = Throttle(limit=10, window=timedelta(minutes=15))
    _after(10, throttle)
    throttle.check(name, address, T0 + later)


def test_nine_wrong_passwords_then_the_right_one_start_the_count_again() -> None:
    throttle = Throttle(limit=10, window=timedelta(minutes=15))
    _after(9, throttle)
    throttle.check("ada", "1.2.3.4", T0 + timedelta(seconds=10))
    throttle.succeeded("ada", "1.2.3.4")
    _after(9, throttle)
    throttle.check("ada", "1.2.3.4", T0 + timedelta(seconds=20))
