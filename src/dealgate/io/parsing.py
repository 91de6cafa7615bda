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


def parse_amount(text: str) -> Decimal | None:
    value = text.strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
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
