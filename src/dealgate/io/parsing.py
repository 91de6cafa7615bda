"""Cell parsing shared by the importers: dates, amounts, booleans in the formats CRMs export."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def parse_datetime(text: str) -> datetime:
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
    return datetime.combine(parse_date(value), datetime.min.time(), UTC)


_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$")
_EU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s.*)?$")


@lru_cache(maxsize=4096)  # an export repeats a few hundred dates over many rows
def parse_date(text: str) -> date:
    value = text.strip()
    if not value:
        raise CellError("is empty; expected a date like 2026-03-14")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    for pattern, order in ((_US, (3, 1, 2)), (_EU, (3, 2, 1))):
        m = pattern.match(value)
        if m:
            try:
                return date(int(m.group(order[0])), int(m.group(order[1])), int(m.group(order[2])))
            except ValueError:
                break
    raise CellError(f"'{value}' is not a date; expected YYYY-MM-DD (or MM/DD/YYYY)")


_CURRENCY_CODE = re.compile(r"^[A-Z]{3}(?=[\s\d])|(?<=[\d\s])[A-Z]{3}$")  # "USD 1,200", "1.200 EUR"
_SPACES = str.maketrans("", "", " \u00a0\u202f'")  # 12 000, with no-break spaces too; Swiss 12'000
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")  # 1,234 / 1.234.567


def number_text(text: str) -> str:
    """An amount as people and CRMs in several countries write it, as plain `1234.56`: a
    currency code or sign around it, spaces or apostrophes between thousands, a comma or a
    point before the cents. Groups of three digits after one separator are thousands
    (money rarely has three decimals), so `1.234` is 1234 as `1,234` is; `12,50` is 12.50."""
    value = _CURRENCY_CODE.sub("", text.strip()).strip(" $€£¥").translate(_SPACES)
    if _THOUSANDS.fullmatch(value):
        return value.replace(",", "").replace(".", "")
    if "," in value and "." in value:  # the later one marks the cents
        if value.rfind(",") > value.rfind("."):
            return value.replace(".", "").replace(",", ".")
        return value.replace(",", "")
    if value.count(",") == 1:
        return value.replace(",", ".")
    return value


def parse_amount(text: str) -> Decimal | None:
    value = number_text(text)
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
