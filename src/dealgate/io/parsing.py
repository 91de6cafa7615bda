"""Cell parsing shared by the importers: dates, amounts, booleans in the formats CRMs export."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def parse_datetime(text: str, day_first: bool = False) -> datetime:
    value = text.strip()
    if not value:
        raise CellError("is empty; expected a date like 2026-03-14 or 2026-03-14T10:00:00Z")
    candidates = [value.replace("Z", "+00:00"), value.replace(" ", "T", 1)]
    for candidate in candidates:
        try:
            parsed = datetime.fromisoformat(candidate)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.combine(parse_date(value, day_first), _time_of_day(value), UTC)


# A time after a local date, and the zone some exports name after it: the zone is not
# applied (every time of one export is in one zone, so a day's changes keep their order).
_CLOCK = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?(?:\s*(?:[A-Za-z]{1,5}|[+-]\d{2}:?\d{2}))?$"
)


def _time_of_day(value: str) -> time:
    """The time after a local date ("3/31/2026 2:05 PM", "31.03.2026 14:05"): the history's
    stage changes of one day keep their order. No time: midnight. A time that does not read
    ("25:00") is refused: read as midnight, it would silently reorder the day."""
    parts = value.split(None, 1)
    if len(parts) < 2:
        return time()
    found = _CLOCK.match(parts[1].strip())
    try:
        if found is None:
            raise ValueError
        hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
        half = (found.group(4) or "").lower()
        if half:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if half == "pm" else 0)
        return time(hour, minute, second)
    except ValueError:
        raise CellError(
            f"'{value}' ends in a time that does not read; write it like 14:05 or 2:05 PM, "
            "or give the date alone"
        ) from None


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s.*)?$")  # always day first


@lru_cache(maxsize=4096)  # an export repeats a few hundred dates over many rows
def parse_date(text: str, day_first: bool = False) -> date:
    """ISO dates, 31.03.2026, and slashed dates month first (03/31/2026, as US exports write
    them) or, with `day_first`, day first (31/03/2026: UK and most of Europe)."""
    value = text.strip()
    if not value:
        raise CellError("is empty; expected a date like 2026-03-14")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    slashed, dotted = _SLASHED.match(value), _DOTTED.match(value)
    local = "DD/MM/YYYY" if day_first else "MM/DD/YYYY"
    try:
        if slashed:
            first, second, year = (int(g) for g in slashed.groups())
            day, month = (first, second) if day_first else (second, first)
            return date(year, month, day)
        if dotted:
            day, month, year = (int(g) for g in dotted.groups())
            return date(year, month, day)
    except ValueError:
        if slashed:
            raise CellError(
                f"'{value}' is not a date in the order this export writes them ({local}); "
                "correct it in the export"
            ) from None
    raise CellError(f"'{value}' is not a date; expected YYYY-MM-DD (or {local})")


class DateOrder:
    """Whether an export writes 03/04/2026 month first (US) or day first (UK, most of
    Europe). Salesforce and others write dates in the exporting user's locale, every date
    of an export the same way, so any date whose first number is past 12 says day first and
    any whose second is says month first. No such date: month first."""

    def __init__(self) -> None:
        self.day_first_seen = self.month_first_seen = 0

    def see(self, text: str | None) -> None:
        if not text or "/" not in text:
            return
        found = _SLASHED.match(text.strip())
        if found:
            first, second = int(found.group(1)), int(found.group(2))
            if first > 12 >= second:
                self.day_first_seen += 1
            elif second > 12 >= first:
                self.month_first_seen += 1

    @property
    def day_first(self) -> bool:
        return self.day_first_seen > self.month_first_seen


_CURRENCY_CODE = re.compile(r"^[A-Z]{3}(?=[\s\d])|(?<=[\d\s])[A-Z]{3}$")  # "USD 1,200", "1.200 EUR"
_SPACES = str.maketrans("", "", " \u00a0\u202f'")  # 12 000, with no-break spaces too; Swiss 12'000
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")  # 1,234 / 1.234.567


def _cleaned(text: str) -> str:
    return _CURRENCY_CODE.sub("", text.strip()).strip(" $€£¥").translate(_SPACES)


def number_text(text: str, mark: str | None = None) -> str:
    """An amount as people and CRMs in several countries write it, as plain `1234.56`: a
    currency code or sign around it, spaces or apostrophes between thousands, a comma or a
    point before the cents. `mark`: the export's decimal mark when its amounts tell it (see
    `DecimalMark`). Without it, groups of three digits after one separator are thousands
    (money rarely has three decimals), so `1.234` is 1234 as `1,234` is; `12,50` is 12.50."""
    value = _cleaned(text)
    if mark is not None:
        return _with_mark(text, value, mark)
    if _THOUSANDS.fullmatch(value):
        return value.replace(",", "").replace(".", "")
    if "," in value and "." in value:  # the later one marks the cents
        if value.rfind(",") > value.rfind("."):
            return value.replace(".", "").replace(",", ".")
        return value.replace(",", "")
    if value.count(",") == 1:
        return value.replace(",", ".")
    return value


def _other(mark: str) -> str:
    """The separator that is not `mark`: the one grouping thousands when `mark` is decimal."""
    return "," if mark == "." else "."


def _grouped(mark: str) -> re.Pattern[str]:
    """Digits with thousands grouped by the other separator, in threes or the Indian way
    (1,23,456), then the cents after `mark`."""
    g, m = re.escape(_other(mark)), re.escape(mark)
    return re.compile(rf"-?(?:[1-9]\d{{0,2}}(?:{g}\d\d)*(?:{g}\d{{3}})+|\d+)(?:{m}\d*)?")


_WRITTEN_WITH = {mark: _grouped(mark) for mark in (".", ",")}


def _with_mark(text: str, value: str, mark: str) -> str:
    if _WRITTEN_WITH[mark].fullmatch(value):
        return value.replace(_other(mark), "").replace(mark, ".")
    if re.fullmatch(r"-?[\d.,]+", value):
        example = "1,234.56" if mark == "." else "1.234,56"
        raise CellError(
            f"'{text}' is not written the way this export writes amounts (like {example}); "
            "correct it in the export"
        )
    return value  # no number at all: refused as such


def _mark_of(text: str) -> str | None:
    """The decimal mark an amount shows, when it can be read one way only."""
    value = _cleaned(text).lstrip("-")
    if "," in value and "." in value:
        return "," if value.rfind(",") > value.rfind(".") else "."
    separator = "," if "," in value else "." if "." in value else None
    if separator is None:
        return None
    other = _other(separator)
    if value.count(separator) > 1:  # 1,234,567: the separator groups thousands (12..5: no)
        return other if _WRITTEN_WITH[other].fullmatch(value) else None
    whole, fraction = value.split(separator)
    if len(fraction) != 3 or len(whole) > 3 or whole.startswith("0"):
        return separator  # 12.50, 12,5, 1234.567, 0.125: no thousands group
    return None  # 1.234 or 1,234: either way


class DecimalMark:
    """Whether an export writes cents after a point (12,000.50: the US, the UK) or after a
    comma (12.000,50: most of Europe). Every amount of one export is written one way, so the
    amounts that read one way only (12.50, 1.234.567, 1234.567) tell how to read those that
    do not (`12.500` is 12.5 in an export that writes 1,234.56). None seen: no mark."""

    def __init__(self) -> None:
        self.point_seen = self.comma_seen = 0

    def see(self, text: str | None) -> None:
        if not text:
            return
        mark = _mark_of(text)
        if mark == ".":
            self.point_seen += 1
        elif mark == ",":
            self.comma_seen += 1

    @property
    def mark(self) -> str | None:
        if self.point_seen == self.comma_seen:
            return None
        return "." if self.point_seen > self.comma_seen else ","


_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}  # "$" alone: the usual reading


def currency_in(text: str) -> str | None:
    """The currency an amount cell names itself ("USD 12,000.00", "1.200 €"), if any: a
    report export of a multi-currency org writes it there rather than in a column."""
    value = text.strip()
    code = _CURRENCY_CODE.search(value)
    if code:
        return code.group(0)
    return next((name for sign, name in _SIGNS.items() if sign in value), None)


def parse_amount(text: str, mark: str | None = None) -> Decimal | None:
    value = number_text(text, mark)
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CellError(f"'{text}' is not an amount; expected a number like 12000.50") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e13"):
        raise CellError(f"'{text}' is not a plausible amount (0 to 10^13)")
    return amount.quantize(Decimal("0.01"))


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes", "y"):
        return True
    if value in ("false", "0", "no", "n", ""):
        return False
    raise CellError(f"'{text}' is not true or false")
