"""Due dates in note text, resolved against the date the note was written.

"next Thursday", "the 12th", "by end of Q3", "3/2", "14 March", "in two weeks", "EOD" ...
Dates in the past of the writing date roll forward: a note promises things to come.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a": 1, "an": 1}

_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MO = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("slash", re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d/])")),
    ("day_month", re.compile(rf"\b{_ORD}\s+(?:of\s+)?({_MO})\b\.?", re.I)),
    ("month_day", re.compile(rf"\b({_MO})\.?\s+{_ORD}\b(?!\s*(?:am|pm|%|k\b))", re.I)),
    ("end_quarter", re.compile(r"\b(?:end of\s+)?q([1-4])\b", re.I)),
    (
        "end_of",
        re.compile(r"\bend of (?:the )?(month|quarter|year|fiscal year|fy|week|day)\b", re.I),
    ),
    ("eod", re.compile(r"\b(eod|cob|eow|eom|eoy|eoq)\b", re.I)),
    ("in_n", re.compile(r"\bin (\d+|one|two|three|four|five|six|a|an) (day|week|month)s?\b", re.I)),
    ("next_period", re.compile(r"\b(next|this) (week|wk|month|quarter)\b", re.I)),
    ("the_nth", re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", re.I)),
    ("weekday", re.compile(rf"\b(next|this|coming)?\s*({_WD})\b\.?", re.I)),
    (
        "relative_day",
        re.compile(
            r"\b(today|tonight|this (?:morning|afternoon|evening|am|pm)|tomorrow|tmrw|tmw)\b", re.I
        ),
    ),
]


@dataclass(frozen=True)
class FoundDate:
    value: date
    span: tuple[int, int]
    past: bool  # words like "today", "this morning": something that already happened today


def find_due(text: str, written: date) -> FoundDate | None:
    """The most specific date the text names, resolved against the writing date."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            value = _resolve(name, m, written)
            if value is None:
                continue
            taken.append((m.start(), m.end()))
            past = name == "relative_day" and m.group(1).lower() not in ("tomorrow", "tmrw", "tmw")
            found.append(FoundDate(value, (m.start(), m.end()), past))
    # Patterns are tried from the most specific; "Tuesday 14 March" means 14 March.
    return found[0] if found else None


def _resolve(name: str, m: re.Match[str], written: date) -> date | None:
    g = m.groups()
    if name == "iso":
        return _safe(int(g[0]), int(g[1]), int(g[2]))
    if name == "slash":
        first, second = int(g[0]), int(g[1])
        month, day = (first, second) if first <= 12 else (second, first)
        if g[2]:
            year = int(g[2]) + (2000 if len(g[2]) == 2 else 0)
            return _safe(year, month, day)
        return _upcoming(written, month, day)
    if name == "day_month":
        return _upcoming(written, MONTHS[g[1].lower()], int(g[0]))
    if name == "month_day":
        return _upcoming(written, MONTHS[g[0].lower()], int(g[1]))
    if name == "end_quarter":
        quarter = int(g[0])
        candidate = _end_of_quarter(written.year, quarter)
        return candidate if candidate >= written else _end_of_quarter(written.year + 1, quarter)
    if name == "end_of":
        what = g[0].lower()
        return _end_of(written, what)
    if name == "eod":
        return _end_of(
            written,
            {
                "eod": "day",
                "cob": "day",
                "eow": "week",
                "eom": "month",
                "eoy": "year",
                "eoq": "quarter",
            }[g[0].lower()],
        )
    if name == "in_n":
        n = int(g[0]) if g[0].isdigit() else NUMBERS[g[0].lower()]
        unit = g[1].lower()
        if unit == "day":
            return written + timedelta(days=n)
        if unit == "week":
            return written + timedelta(weeks=n)
        return _add_months(written, n)
    if name == "next_period":
        which, unit = g[0].lower(), g[1].lower()
        if unit in ("week", "wk"):
            friday = written + timedelta(days=(4 - written.weekday()) % 7)
            return friday + timedelta(weeks=1) if which == "next" else friday
        if unit == "month":
            return _end_of(_add_months(written, 1) if which == "next" else written, "month")
        base = _add_months(written, 3) if which == "next" else written
        return _end_of(base, "quarter")
    if name == "weekday":
        return _weekday(written, WEEKDAYS[g[1].lower()], (g[0] or "").lower())
    if name == "the_nth":
        return _day_of_month(written, int(g[0]))
    if name == "relative_day":
        return (
            written + timedelta(days=1) if g[0].lower() in ("tomorrow", "tmrw", "tmw") else written
        )
    return None


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(written: date, month: int, day: int) -> date | None:
    """That day in the writing year, or next year when it is well past already."""
    if not 1 <= month <= 12:
        return None
    value = _safe(written.year, month, day)
    if value is None:
        return None
    if value < written - timedelta(days=31):
        return _safe(written.year + 1, month, day)
    return value


def _day_of_month(written: date, day: int) -> date | None:
    """ "The 12th": this month if it is still ahead, else the next month that has that day."""
    if not 1 <= day <= 31:
        return None
    year, month = written.year, written.month
    for _ in range(3):
        value = _safe(year, month, day)
        if value is not None and value >= written:
            return value
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return None


def _weekday(written: date, weekday: int, qualifier: str) -> date:
    ahead = (weekday - written.weekday()) % 7
    if qualifier == "next":
        # "next Thursday": the Thursday of next week.
        monday_next = written + timedelta(days=7 - written.weekday())
        return monday_next + timedelta(days=weekday)
    if qualifier == "this":
        return written + timedelta(days=ahead)
    return written + timedelta(days=ahead or 7)


def _end_of_quarter(year: int, quarter: int) -> date:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def _end_of(written: date, what: str) -> date:
    if what == "day":
        return written
    if what == "week":
        return written + timedelta(days=(4 - written.weekday()) % 7)
    if what == "month":
        return date(
            written.year, written.month, calendar.monthrange(written.year, written.month)[1]
        )
    if what == "quarter":
        return _end_of_quarter(written.year, (written.month - 1) // 3 + 1)
    return date(written.year, 12, 31)  # year, fiscal year: the calendar year without better


def _add_months(written: date, months: int) -> date:
    month0 = written.month - 1 + months
    year, month = written.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(written.day, calendar.monthrange(year, month)[1]))
