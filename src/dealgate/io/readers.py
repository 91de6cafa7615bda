"""Readers for Salesforce, HubSpot, Pipedrive and generic CSV exports, with their real headers.

Each reader streams its files row by row; a bad row becomes a RowError (file, line, column,
reason) and the rest goes on. A file without the columns it needs is refused whole.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import shutil
import tomllib
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache, partial
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, TextIO, TypeVar

from dealgate.domain.errors import DealgateError, ErrorDetail, invalid
from dealgate.domain.process import Process, Stage
from dealgate.io.parsing import (
    CellError,
    DateOrder,
    DecimalMark,
    currency_in,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
)
from dealgate.io.records import (
    ImportedActivity,
    ImportedContact,
    ImportedDeal,
    ImportedStageChange,
    RowError,
    SourceData,
)
from dealgate.processes import default_process

T = TypeVar("T")
Row = dict[str, str]

# Salesforce contact roles, as the picklist ships, mapped to the committee's roles.
SALESFORCE_ROLES = {
    "economic buyer": "economic_buyer",
    "economic decision maker": "economic_buyer",
    "executive sponsor": "economic_buyer",
    "decision maker": "decision_maker",
    "technical buyer": "technical",
    "evaluator": "technical",
    "business user": "user",
    "influencer": "champion",
    "champion": "champion",
    "procurement": "procurement",
    "legal": "legal",
}


def _open(path: Path) -> TextIO:
    """The file as text in the encoding it was written in: UTF-8 (with or without Excel's
    byte order mark), UTF-16 when it starts with one, and otherwise Windows-1252, which is
    what Excel writes for "CSV (Comma delimited)" on Windows."""
    encoding = text_encoding(path)
    errors = "replace" if encoding == WINDOWS else "strict"  # 5 bytes have no character there
    return path.open(newline="", encoding=encoding, errors=errors)


WINDOWS = "cp1252"


@lru_cache(maxsize=64)
def _encoding_of(path: Path, _size: int, _mtime: float) -> str:
    with path.open("rb") as raw:
        start = raw.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        raw.seek(0)
        check = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := raw.read(1 << 20):
                check.decode(chunk)
            check.decode(b"", final=True)
        except UnicodeDecodeError:
            return WINDOWS
    return "utf-8-sig"


def read_as_windows(data: SourceData) -> list[str]:
    """The names of the source's files that were not UTF-8 (read as Windows-1252)."""
    return [p.name for p in data.files if text_encoding(p) == WINDOWS]


def text_encoding(path: Path) -> str:
    """How `path` is read (worked out once per version of the file: it reads it whole)."""
    stat = path.stat()
    return _encoding_of(path, stat.st_size, stat.st_mtime)


DELIMITERS = (",", ";", "\t")  # in order of preference when a header holds as many of each


@lru_cache(maxsize=64)
def _delimiter_of(path: Path, _size: int, _mtime: float) -> str:
    with _open(path) as handle:
        header = handle.readline()
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def delimiter(path: Path) -> str:
    """What separates the cells: a comma, or the semicolon Excel writes for "CSV" where the
    comma marks decimals (most of Europe), or a tab; the header line says which."""
    stat = path.stat()
    return _delimiter_of(path, stat.st_size, stat.st_mtime)


def _rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Rows as csv.DictReader gives them (a short row's missing cells are None, a long row's
    extra cells go under None, blank lines are skipped), at half its cost per row. Rows of
    one cell after the last full one are no rows: a Salesforce report's CSV ends with its
    title, "Confidential Information - Do Not Distribute" and a copyright line."""
    with _open(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter(path))
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        footer: list[tuple[int, Row]] = []  # one-cell rows, yielded if a full row follows
        for cells in reader:
            if len(cells) == width:
                row: dict[Any, Any] = dict(zip(header, cells, strict=True))
            elif not cells:
                continue
            elif len(cells) == 1 and width > 2:
                one: dict[Any, Any] = dict.fromkeys(header)
                one[header[0]] = cells[0]
                footer.append((reader.line_num, one))
                continue
            else:
                row = dict(zip(header, cells, strict=False))
                if len(cells) < width:
                    row.update((name, None) for name in header[len(cells) :])
                else:
                    row[None] = cells[width:]
            if footer:  # one-cell rows followed by a full one were rows after all
                yield from footer
                footer.clear()
            yield reader.line_num, row


def _header(path: Path) -> list[str]:
    with _open(path) as handle:
        return next(csv.reader(handle, delimiter=delimiter(path)), [])


def _require(path: Path, names: list[str]) -> None:
    """Refuse the file unless its header has every one of `names`."""
    header = _header(path)
    missing = [name for name in names if name not in header]
    if missing:
        raise _lacking(path, missing)


def _lacking(path: Path, missing: list[str]) -> DealgateError:
    message = (
        f"{path.name} lacks the column(s) {'; '.join(missing)}; export them (from a report: "
        "add them to its columns), or use `dealgate import csv` with a column mapping."
    )
    return DealgateError(message, [ErrorDetail("invalid_file", message, path.name)])


def _currency(row: Row, column: str | None, amount: str | None) -> str | None:
    """The amount's currency code as the export spells it, upper-cased, from its column or
    else from the amount cell itself ("USD 12,000.00"); None when not given."""
    given = (row.get(column) or "").strip().upper()[:10] if column else ""
    return given or (currency_in(row.get(amount) or "") if amount else None)


def _mappable(names: Counter[str]) -> Counter[str]:
    """The names a mapping can hold, each with its number of deals: a row whose cell is
    empty or holds a NUL character is refused whatever the mapping says."""
    return Counter({n: count for n, count in names.items() if n and "\x00" not in n})


def _owner_name(row: Row, column: str) -> str:
    """The owner as a deal will carry it (see `_text`), to map it to one of our users."""
    return (row.get(column) or "").strip()[:100]


def _guard(errors: list[RowError], path: Path, line: int, build: Callable[[], T]) -> T | None:
    try:
        return build()
    except _Cell as e:
        errors.append(RowError(path.name, line, e.column, e.reason))
    return None


class _Cell(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def _cell(row: Row, column: str, read: Callable[[str], T]) -> T:
    value = row.get(column)
    if value is None:
        raise _Cell(column, "is missing from this row (too few fields)")
    try:
        return read(value)
    except CellError as e:
        raise _Cell(column, f"{column} {e}") from None


def _text(row: Row, column: str, required: bool = True, limit: int = 200) -> str | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise _Cell(column, f"{column} is empty; every row needs one")
        return None
    if "\x00" in value:
        raise _Cell(column, f"{column} contains a NUL character")
    return value[:limit]


SNIFF_ROWS = 5000  # rows of each other file read for the date order, when the deals give none


def _day_first(order: DateOrder, samples: list[tuple[Path, list[str]]]) -> bool:
    """Whether the export writes dates day first: from the deals file's dates, else from the
    first rows of the other files (an export writes every date the same way)."""
    for path, columns in samples:
        if order.day_first_seen or order.month_first_seen:
            break
        if path.is_file():
            for _, row in islice(_rows(path), SNIFF_ROWS):
                for column in columns:
                    order.see(row.get(column))
    return order.day_first


def _row_key(prefix: str, path: Path, row: Row) -> str:
    digest = hashlib.sha1(
        (
            path.name + "\x1f" + "\x1f".join(f"{k}={v}" for k, v in sorted(row.items(), key=str))
        ).encode()
    ).hexdigest()[:20]
    return f"{prefix}:{digest}"


# The columns each Salesforce file is read by, by API name (what Data Loader writes, often in
# capitals: STAGENAME), each with the labels a report export writes instead ("Stage").
SALESFORCE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "Opportunity": {
        "Id": ("Opportunity ID",),
        "Name": ("Opportunity Name",),
        "Account.Name": ("Account Name",),
        "AccountId": ("Account ID",),
        "StageName": ("Stage",),
        "Amount": (),
        "CloseDate": ("Close Date",),
        "Owner.Name": ("Opportunity Owner", "Owner Name", "Owner Full Name"),
        "OwnerId": ("Owner ID",),
        "NextStep": ("Next Step",),
        "CreatedDate": ("Created Date",),
        "IsClosed": ("Closed",),
        "IsWon": ("Won",),
        "CurrencyIsoCode": ("Opportunity Currency", "Currency"),
    },
    "OpportunityHistory": {
        "Id": (),
        "OpportunityId": ("Opportunity ID",),
        "StageName": ("Stage", "To Stage"),
        "CreatedDate": ("Created Date", "Edit Date"),
    },
    "Activity": {  # Task.csv and Event.csv
        "Id": ("Activity ID", "Task ID", "Event ID"),
        "WhatId": ("Related To ID", "Opportunity ID"),
        "Subject": (),
        "Description": ("Comments", "Full Comments"),
        "ActivityDate": ("Date", "Due Date", "Activity Date"),
    },
    "OpportunityContactRole": {
        "OpportunityId": ("Opportunity ID",),
        "ContactId": ("Contact ID",),
        "Role": ("Contact Role",),
    },
    "Contact": {
        "Id": ("Contact ID",),
        "FirstName": ("First Name",),
        "LastName": ("Last Name",),
        "Title": (),
    },
}


def _salesforce_columns(
    path: Path, kind: str, needs: list[str | tuple[str, ...]]
) -> dict[str, str | None]:
    """Each column of `kind` as `path`'s header writes it (None: not exported), found by
    API name, in any case, or by label; refused naming both when one of `needs` is missing."""
    header = {h.strip().lower(): h for h in reversed(_header(path))}
    known = SALESFORCE_COLUMNS[kind]
    found = {
        api: next((header[n.lower()] for n in (api, *labels) if n.lower() in header), None)
        for api, labels in known.items()
    }
    missing = []
    for need in needs:
        options = (need,) if isinstance(need, str) else need
        if not any(found[api] for api in options):
            named = [f"{api} ({', '.join(known[api])})" if known[api] else api for api in options]
            missing.append(" or ".join(named))
    if missing:
        raise _lacking(path, missing)
    return found


# The object exports a Salesforce import reads, as Salesforce names them (only the first is
# required): the files Data Loader writes when named after their objects, and those in the
# ZIP of Salesforce's Data Export (Setup, Data Export), among every other object's.
SALESFORCE_FILES = (
    "Opportunity.csv",
    "OpportunityHistory.csv",
    "OpportunityContactRole.csv",
    "Contact.csv",
    "Task.csv",
    "Event.csv",
)


def unpack_salesforce_zip(archive: BinaryIO, name: str, into: Path, limit: int | None) -> None:
    """Write the object exports a Salesforce import reads from a Data Export's ZIP into
    `into` (which must exist), leaving out every other object's file. `limit`: bytes unpacked
    at most, so a small archive cannot fill the disk."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members: dict[str, zipfile.ZipInfo] = {}
            for member in zipped.infolist():
                base = PurePosixPath(member.filename).name  # never a path from the archive
                if not member.is_dir() and base in SALESFORCE_FILES:
                    members.setdefault(base, member)
            unpacked = sum(m.file_size for m in members.values())
            if limit is not None and unpacked > limit:
                raise invalid(
                    "too_large",
                    f"{name} unpacks to {unpacked // 2**20} MB, more than {limit // 2**20} MB "
                    "here; import it with `dealgate import salesforce` on the server.",
                    "files",
                    status=413,
                )
            for base, member in members.items():
                with zipped.open(member) as source, (into / base).open("wb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile:
        raise invalid(
            "invalid_file", f"{name} is not a ZIP archive that can be read.", "files"
        ) from None
    if "Opportunity.csv" not in members:
        raise invalid(
            "invalid_file",
            f"{name} holds no Opportunity.csv: include the Opportunity object in the Data "
            "Export (and OpportunityHistory, Task, Event, Contact, OpportunityContactRole).",
            "files",
        )


def salesforce(directory: Path) -> SourceData:
    """`directory`: a folder of object exports named after their objects (only
    Opportunity.csv is required); or one file, an opportunities report, read alone."""
    alone = directory.is_file()  # a report downloaded as report1732791234.csv, say
    opportunity = directory if alone else directory / "Opportunity.csv"

    def beside(name: str) -> Path | None:
        """Another object's export in the folder, if there is a folder and it is there."""
        path = directory / name
        return None if alone or not path.is_file() else path

    if not opportunity.is_file():
        raise invalid(
            "invalid_file",
            f"{directory} has no Opportunity.csv; export the Opportunity object into it, or "
            "give the opportunities report's file itself.",
            "dir",
        )
    o = _salesforce_columns(
        opportunity,
        "Opportunity",
        [
            "Id",
            "Name",
            ("Account.Name", "AccountId"),
            "StageName",
            ("Owner.Name", "OwnerId"),
            "CreatedDate",
        ],
    )
    # Required above, so present: the columns every deal is read by.
    ident, name, stage, created = (
        str(o["Id"]),
        str(o["Name"]),
        str(o["StageName"]),
        str(o["CreatedDate"]),
    )
    account, owner = str(o["Account.Name"] or o["AccountId"]), str(o["Owner.Name"] or o["OwnerId"])
    errors: list[RowError] = []
    stage_names: Counter[str] = Counter()
    owner_names: Counter[str] = Counter()
    order, decimals = DateOrder(), DecimalMark()
    for _, row in _rows(opportunity):
        if row.get(stage):
            stage_names[row[stage].strip()] += 1
        owner_names[_owner_name(row, owner)] += 1
        order.see(row.get(created))
        if o["CloseDate"]:
            order.see(row.get(o["CloseDate"]))
        if o["Amount"]:
            decimals.see(row.get(o["Amount"]))
    stage_names, owner_names = _mappable(stage_names), _mappable(owner_names)
    history_file = beside("OpportunityHistory.csv")
    activity_files = [
        (path, kind)
        for file_name, kind in (("Task.csv", "note"), ("Event.csv", "meeting"))
        if (path := beside(file_name)) is not None
    ]
    h = (
        _salesforce_columns(
            history_file, "OpportunityHistory", ["OpportunityId", "StageName", "CreatedDate"]
        )
        if history_file is not None
        else None
    )
    a = {
        path: _salesforce_columns(path, "Activity", ["WhatId", "Subject", "ActivityDate"])
        for path, _ in activity_files
    }
    roles, contact_file = beside("OpportunityContactRole.csv"), beside("Contact.csv")
    r = (
        _salesforce_columns(roles, "OpportunityContactRole", ["OpportunityId", "ContactId"])
        if roles is not None
        else None
    )
    c = _salesforce_columns(contact_file, "Contact", ["Id", "LastName"]) if contact_file else None
    samples = [(history_file, [str(h["CreatedDate"])])] if history_file and h else []
    samples += [(path, [str(a[path]["ActivityDate"])]) for path, _ in activity_files]
    day_first = _day_first(order, samples)
    read_date = partial(parse_date, day_first=day_first)
    read_datetime = partial(parse_datetime, day_first=day_first)
    read_amount = partial(parse_amount, mark=decimals.mark)

    def deals() -> Iterator[ImportedDeal]:
        amount, close, next_step = o["Amount"], o["CloseDate"], o["NextStep"]
        is_closed, is_won = o["IsClosed"], o["IsWon"]
        for line, row in _rows(opportunity):

            def build(row: Row = row, line: int = line) -> ImportedDeal:
                closed = None
                if is_closed and _cell(row, is_closed, parse_bool):
                    won = bool(is_won) and _cell(row, str(is_won), parse_bool)
                    closed = "won" if won else "lost"
                return ImportedDeal(
                    key=f"salesforce:{_text(row, ident)}",
                    origin=(opportunity.name, line),
                    name=_text(row, name) or "",
                    account=_text(row, account) or "",
                    owner=_text(row, owner, limit=100) or "",
                    stage_name=_text(row, stage) or "",
                    created_at=_cell(row, created, read_datetime),
                    amount=_cell(row, amount, read_amount) if amount else None,
                    close_date=(
                        _cell(row, close, read_date)
                        if close and (row.get(close) or "").strip()
                        else None
                    ),
                    next_step=(
                        _text(row, next_step, required=False, limit=2000) if next_step else None
                    ),
                    closed=closed,
                    # Multi-currency orgs export it; others have one currency and no column.
                    currency=_currency(row, o["CurrencyIsoCode"], amount),
                )

            deal = _guard(errors, opportunity, line, build)
            if deal is not None:
                yield deal

    def history() -> Iterator[ImportedStageChange]:
        if h is None or history_file is None:
            return
        change_id, opp_id, to_col, at_col = (
            h["Id"],
            str(h["OpportunityId"]),
            str(h["StageName"]),
            str(h["CreatedDate"]),
        )
        for line, row in _rows(history_file):

            def build(row: Row = row, line: int = line) -> ImportedStageChange:
                opp = _text(row, opp_id)
                at = _cell(row, at_col, read_datetime)
                to = _text(row, to_col) or ""
                key = (row.get(change_id) if change_id else None) or f"{opp}:{to}:{at.isoformat()}"
                return ImportedStageChange(
                    f"salesforce:history:{key}",
                    (history_file.name, line),
                    f"salesforce:{opp}",
                    to,
                    at,
                )

            change = _guard(errors, history_file, line, build)
            if change is not None:
                yield change

    def contacts() -> Iterator[ImportedContact]:
        if roles is None or r is None:
            return
        opp_id, contact_id, role_col = str(r["OpportunityId"]), str(r["ContactId"]), r["Role"]
        people: dict[str, tuple[str, str | None]] = {}
        if contact_file is not None and c is not None:
            id_col, first_col, last_col = str(c["Id"]), c["FirstName"], str(c["LastName"])
            title_col = c["Title"]
            for line, row in _rows(contact_file):

                def person(row: Row = row) -> tuple[str, str, str | None]:
                    first = (_text(row, first_col, required=False) if first_col else None) or ""
                    last = _text(row, last_col) or ""
                    return (
                        _text(row, id_col) or "",
                        f"{first} {last}".strip(),
                        _text(row, title_col, required=False) if title_col else None,
                    )

                found = _guard(errors, contact_file, line, person)
                if found is not None:
                    people[found[0]] = (found[1], found[2])
        for line, row in _rows(roles):

            def build(row: Row = row, line: int = line) -> ImportedContact:
                contact = _text(row, contact_id) or ""
                if contact not in people:
                    raise _Cell(contact_id, f"contact {contact} is not in Contact.csv")
                name, title = people[contact]
                said = (row.get(role_col) or "") if role_col else ""
                role = SALESFORCE_ROLES.get(said.strip().lower(), "other")
                opp = _text(row, opp_id)
                return ImportedContact(
                    f"salesforce:ocr:{opp}:{contact}",
                    (roles.name, line),
                    f"salesforce:{opp}",
                    name,
                    role,
                    title,
                )

            found_contact = _guard(errors, roles, line, build)
            if found_contact is not None:
                yield found_contact

    def activities() -> Iterator[ImportedActivity]:
        for path, default_kind in activity_files:
            cols = a[path]
            what_col, on_col, subject_col = (
                str(cols["WhatId"]),
                str(cols["ActivityDate"]),
                str(cols["Subject"]),
            )
            ident_col, description_col = cols["Id"], cols["Description"]
            prefix = f"salesforce:{path.stem.lower()}:"
            for line, row in _rows(path):

                def build(
                    row: Row = row,
                    path: Path = path,
                    kind: str = default_kind,
                    line: int = line,
                    prefix: str = prefix,
                    what_col: str = what_col,
                    on_col: str = on_col,
                    subject_col: str = subject_col,
                    ident_col: str | None = ident_col,
                    description_col: str | None = description_col,
                ) -> ImportedActivity | None:
                    what = (row.get(what_col) or "").strip()
                    if not what.startswith("006"):
                        return None  # an activity on an account or a lead, not a deal
                    on = _cell(row, on_col, read_date)
                    subject = _text(row, subject_col) or ""
                    description = (
                        _text(row, description_col, required=False, limit=2000)
                        if description_col
                        else None
                    )
                    summary = subject if not description else f"{subject}: {description}"
                    ident = (row.get(ident_col) if ident_col else None) or _row_key(
                        "row", path, row
                    )
                    return ImportedActivity(
                        f"{prefix}{ident}",
                        (path.name, line),
                        f"salesforce:{what}",
                        _activity_kind(subject, kind),
                        on,
                        summary[:2000],
                        datetime.combine(on, datetime.min.time(), UTC),
                    )

                activity = _guard(errors, path, line, build)
                if activity is not None:
                    yield activity

    return SourceData(
        deals,
        contacts,
        history,
        activities,
        errors,
        stage_names,
        owner_names,
        [opportunity, *(path for n in SALESFORCE_FILES[1:] if (path := beside(n)) is not None)],
        stage_column=stage,
        history_deal_column=str(h["OpportunityId"]) if h else "OpportunityId",
        dates_day_first=day_first,
    )


def _activity_kind(subject: str, default: str) -> str:
    lowered = subject.lower()
    if "call" in lowered:
        return "call"
    if "email" in lowered or "e-mail" in lowered:
        return "email"
    if "meeting" in lowered or "demo" in lowered:
        return "meeting"
    return default


# Column maps for the single-file exports: our field -> their header.
HUBSPOT = {
    "source": "hubspot",
    "id": "Record ID",
    "name": "Deal Name",
    "stage": "Deal Stage",
    "amount": "Amount",
    "close_date": "Close Date",
    "owner": "Deal owner",
    "created": "Create Date",
    "next_step": "Next step",
    "account": "Associated Company",
    "contact": "Associated Contact",
    "currency": "Currency",  # only in multi-currency accounts' exports
}
PIPEDRIVE = {
    "source": "pipedrive",
    "id": "ID",
    "name": "Title",
    "stage": "Stage",
    "amount": "Value",
    "close_date": "Expected close date",
    "owner": "Owner",
    "created": "Deal created",
    "account": "Organization",
    "contact": "Contact person",
    "status": "Status",
    "currency": "Currency",
}
FIELDS = (
    "id",
    "name",
    "account",
    "owner",
    "stage",
    "created",
    "amount",
    "close_date",
    "next_step",
    "contact",
    "status",
    "currency",
)
REQUIRED = ("id", "name", "account", "owner", "stage", "created")


def load_columns(path: Path) -> dict[str, str]:
    """A generic CSV's column mapping: `[columns]` our field = their header, `[source] name`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise invalid(
            "invalid_mapping", f"{path}: cannot be read as TOML ({e}).", "columns"
        ) from None
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise invalid("invalid_mapping", f"{path}: needs a [columns] table.", "columns")
    unknown = sorted(set(columns) - set(FIELDS))
    missing = [f for f in REQUIRED if f not in columns]
    if unknown or missing:
        raise invalid(
            "invalid_mapping",
            f"{path}: [columns] "
            + (f"has unknown field(s) {', '.join(unknown)}; " if unknown else "")
            + (f"lacks {', '.join(missing)}; " if missing else "")
            + f"fields are {', '.join(FIELDS)}.",
            "columns",
        )
    source = (
        data.get("source", {}).get("name", "csv") if isinstance(data.get("source"), dict) else "csv"
    )
    return {"source": str(source), **{k: str(v) for k, v in columns.items()}}


def _column_key(name: str) -> str:
    return name.strip().lower().removeprefix("deal - ")


def _as_headed(path: Path, columns: dict[str, str]) -> dict[str, str]:
    """Each column as the file's header writes it: exports change case between versions
    ("Deal owner", "Deal Owner"), and Pipedrive writes "Deal - Title" for "Title"."""
    header = _header(path)
    keyed = {_column_key(h): h for h in reversed(header)}
    return {
        field: name if field == "source" or name in header else keyed.get(_column_key(name), name)
        for field, name in columns.items()
    }


def single_file(path: Path, columns: dict[str, str]) -> SourceData:
    """HubSpot, Pipedrive and generic exports: one row per deal."""
    if not path.is_file():
        raise invalid("invalid_file", f"{path} does not exist.", "file")
    columns = _as_headed(path, columns)
    source = columns["source"]
    _require(path, [columns[f] for f in REQUIRED])
    errors: list[RowError] = []
    stage_names: Counter[str] = Counter()
    owner_names: Counter[str] = Counter()
    order, decimals = DateOrder(), DecimalMark()
    dated = [columns[f] for f in ("created", "close_date") if columns.get(f)]
    for _, row in _rows(path):
        stage_names[(row.get(columns["stage"]) or "").strip()] += 1
        owner_names[_owner_name(row, columns["owner"])] += 1
        for column in dated:
            order.see(row.get(column))
        if columns.get("amount"):
            decimals.see(row.get(columns["amount"]))
    stage_names, owner_names = _mappable(stage_names), _mappable(owner_names)
    day_first = order.day_first
    read_date = partial(parse_date, day_first=day_first)
    read_datetime = partial(parse_datetime, day_first=day_first)
    read_amount = partial(parse_amount, mark=decimals.mark)
    contacts: list[ImportedContact] = []

    def deals() -> Iterator[ImportedDeal]:
        contacts.clear()  # read anew with the deals on every pass
        for line, row in _rows(path):

            def build(row: Row = row, line: int = line) -> ImportedDeal:
                def col(field: str) -> str | None:
                    return columns.get(field) if columns.get(field) in row else None

                key = f"{source}:{_text(row, columns['id'])}"
                closed = None
                status_col = col("status")
                if status_col:
                    status = (row.get(status_col) or "").strip().lower()
                    closed = status if status in ("won", "lost") else None
                amount_col, close_col = col("amount"), col("close_date")
                next_col, contact_col = col("next_step"), col("contact")
                currency_col = col("currency")
                deal = ImportedDeal(
                    key=key,
                    origin=(path.name, line),
                    name=_text(row, columns["name"]) or "",
                    account=_text(row, columns["account"]) or "",
                    owner=_text(row, columns["owner"], limit=100) or "",
                    stage_name=_text(row, columns["stage"]) or "",
                    created_at=_cell(row, columns["created"], read_datetime),
                    amount=_cell(row, amount_col, read_amount) if amount_col else None,
                    close_date=(
                        _cell(row, close_col, read_date)
                        if close_col and (row.get(close_col) or "").strip()
                        else None
                    ),
                    next_step=_text(row, next_col, required=False, limit=2000)
                    if next_col
                    else None,
                    closed=closed,
                    currency=_currency(row, currency_col, amount_col),
                )
                if contact_col:
                    for name in (row.get(contact_col) or "").replace(",", ";").split(";"):
                        if name.strip():
                            contacts.append(
                                ImportedContact(
                                    f"{key}:contact:{name.strip()}",
                                    (path.name, line),
                                    key,
                                    name.strip()[:200],
                                    "other",
                                )
                            )
                return deal

            deal = _guard(errors, path, line, build)
            if deal is not None:
                yield deal

    def contact_rows() -> Iterator[ImportedContact]:
        if not contacts:
            for _ in deals():  # contacts are read with the deals
                pass
        yield from contacts

    return SourceData(
        deals,
        contact_rows,
        errors=errors,
        stage_names=stage_names,
        owner_names=owner_names,
        files=[path],
        stage_column=columns["stage"],
        dates_day_first=day_first,
    )


def hubspot(path: Path) -> SourceData:
    return single_file(path, HUBSPOT)


def pipedrive(path: Path) -> SourceData:
    return single_file(path, PIPEDRIVE)


# HubSpot's and Pipedrive's default pipelines, by label or internal id, land where their
# sample mappings (tests/data) put them: "Qualified to buy" and "Contact made" are discovery,
# a presentation or demo booked is designing, the decision maker "bought in" is a proposal.
_STAGE_HINTS = {
    "prospect": ("prospect", "lead", "new", "qualif", "contact"),
    "discover": (
        "discover",
        "needs",
        "analysis",
        "meeting",
        "demo",
        "qualified to buy",
        "qualifiedtobuy",
        "contact made",
    ),
    "change": ("value", "priorit", "pain", "business case"),
    "design": (
        "design",
        "solution",
        "id. decision",
        "decision makers",
        "perception",
        "presentation",
        "demo scheduled",
    ),
    "propose": ("propos", "quote", "price", "offer", "bought"),
    "resolve": ("negotiat", "review", "legal", "contract sent"),
    "decide": ("decision", "verbal", "commit", "contract"),
    "won": ("won", "closed won", "closedwon"),
    "lost": ("lost", "closed lost", "closedlost", "disqualif"),
}
# The more specific hints first: "Closed Won" is won before it is anything else.
_HINT_ORDER = ("won", "lost", "resolve", "design", "change", "propose", "decide", "discover")


def suggest_stages(stage_names: Iterable[str], process: Process) -> dict[str, str]:
    """Each of their stage names on the closest of our stages (the first when nothing fits),
    listed in the order of ours, so the list reads as their pipeline does; the names nothing
    fitted come last, for a person to check."""
    keys = list(process.stage_keys)
    guesses = {name: _closest_stage(name, process) for name in stage_names}

    def place(name: str) -> tuple[bool, int, str]:
        guess = guesses[name]
        return guess is None, keys.index(guess) if guess else 0, name

    first = process.stages[0].key if process.stages else keys[0]
    return {name: guesses[name] or first for name in sorted(guesses, key=place)}


def _closest_stage(name: str, process: Process) -> str | None:
    """The hints name a stage of the shipped process; a team's own process gets it by one of
    its stages' own names ("Qualified to buy" on `qualify`), else by the rung that stage
    expects (a presentation booked is on `collaborate`: the team's stage expecting at most
    that)."""
    lowered = name.lower()
    hinted = next(
        (key for key in (*_HINT_ORDER, "prospect") if any(h in lowered for h in _STAGE_HINTS[key])),
        None,
    )
    if hinted is not None and process.has_stage(hinted):
        return hinted
    own = next((s.key for s in process.stages if _named_alike(lowered, s)), None)
    if own is not None or hinted is None:
        return own
    return _on_the_same_rung(hinted, process)


def _named_alike(lowered: str, stage: Stage) -> bool:
    """Whether their stage name holds the stem of a stage the shipped process has not."""
    if default_process().has_stage(stage.key):
        return False  # the hints place those ("Value Proposition" is change, not propose)
    words = [stage.key, *re.findall(r"[a-z]{4,}", stage.name.lower())]
    return any(word[:5] in lowered for word in words if len(word) >= 4)


def _on_the_same_rung(hinted: str, process: Process) -> str:
    shipped = default_process()
    if not shipped.has_stage(hinted):  # won or lost, which every process has
        return hinted
    wanted = shipped.expected_rung(shipped.stage(hinted))
    fitting = [
        s.key
        for s in process.stages
        if wanted and (r := process.expected_rung(s)) and r.level <= wanted.level
    ]
    return fitting[-1] if fitting else process.stages[0].key


def suggest_owners(owner_names: Iterable[str], users: list[str]) -> dict[str, str]:
    """Each of their deal owners on the user who is most likely them ("Alice Morgan" on
    alice, alice.morgan or alice_morgan), or on their own name when no user fits."""
    by_key = {u.lower(): u for u in users}
    guesses = {}
    for name in sorted(owner_names):
        words = name.lower().split()
        candidates = [name.lower()]
        if words:
            candidates += [".".join(words), "_".join(words), "".join(words), words[0]]
        guesses[name] = next((by_key[c] for c in candidates if c in by_key), name)
    return guesses


def suggest_mapping(
    stage_names: Iterable[str],
    process: Process,
    owner_names: Iterable[str] | None = None,
    users: list[str] | None = None,
) -> str:
    """A starting mapping file: each of their stage names on the closest of our stages, and
    each deal owner on the user who is most likely them."""
    lines = [
        "# Stage mapping: their stage name = our stage key. Check every line before importing.",
        "# Our stages: " + ", ".join(process.stage_keys),
        "[stages]",
    ]
    for name, guess in suggest_stages(stage_names, process).items():
        lines.append(f'"{_toml_escape(name)}" = "{guess}"')
    if owner_names:
        lines += [
            "",
            "# Deal owners: their name = the dealgate user who owns those deals (a rep sees",
            "# the deals they own). A name left as it is stays the deals' owner.",
            "[owners]",
        ]
        for name, user in suggest_owners(owner_names, users or []).items():
            lines.append(f'"{_toml_escape(name)}" = "{_toml_escape(user)}"')
    return "\n".join(lines) + "\n"


def _toml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _mapping_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise invalid(
            "invalid_mapping", f"{path}: cannot be read ({e.strerror}).", "mapping"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise invalid("invalid_mapping", f"{path}: is not valid TOML ({e}).", "mapping") from None


def load_owner_mapping(path: Path) -> dict[str, str]:
    """The mapping file's optional [owners] table: their owner name = our user."""
    owners = _mapping_file(path).get("owners", {})
    if not isinstance(owners, dict):
        raise invalid(
            "invalid_mapping",
            f'{path}: [owners] is a table of "their owner" = "our user".',
            "owners",
        )
    return check_owner_mapping({str(k).strip(): v for k, v in owners.items()}, str(path))


def check_owner_mapping(owners: dict[str, Any], where: str) -> dict[str, str]:
    details = [
        ErrorDetail(
            "invalid_mapping",
            f'{where}: owner "{theirs}" maps to {ours!r}; a deal owner is a name of 1 to 100 '
            "characters (a dealgate user's, to show them the deals).",
            f"owners.{theirs}",
        )
        for theirs, ours in owners.items()
        if not isinstance(ours, str) or not 0 < len(ours.strip()) <= 100 or "\x00" in ours
    ]
    if details:
        raise DealgateError(details[0].message, details)
    return {theirs: ours.strip() for theirs, ours in owners.items()}


def check_owner_users(owners: dict[str, str], users: list[str], where: str) -> None:
    """An owner given to another name must be given to a dealgate user: a mistyped user
    would own the deals under a name no rep or manager sees. Kept as their own name, an
    owner stays as the export has them."""
    known = set(users)
    listed = ", ".join(sorted(users)[:20]) or "none yet"
    details = [
        ErrorDetail(
            "unknown_user",
            f'{where}: owner "{theirs}" is given to "{ours}", who is no dealgate user '
            f'(users: {listed}). Give them to a user, keep them as "{theirs}", or add '
            f"the user first (`dealgate user add {ours} --role rep --team TEAM`).",
            f"owners.{theirs}",
        )
        for theirs, ours in owners.items()
        if ours != theirs and ours not in known
    ]
    if details:
        raise DealgateError(details[0].message, details)


def load_stage_mapping(path: Path, process_keys: list[str]) -> dict[str, str]:
    data = _mapping_file(path)
    stages = data.get("stages")
    if not isinstance(stages, dict) or not stages:
        raise invalid(
            "invalid_mapping",
            f'{path}: needs a [stages] table of "their stage" = "our stage"; '
            "`--suggest-mapping` writes one.",
            "mapping",
        )
    return check_stage_mapping(stages, process_keys, str(path))


def check_stage_mapping(
    stages: dict[str, Any], process_keys: list[str], where: str
) -> dict[str, str]:
    details = [
        ErrorDetail(
            "invalid_mapping",
            f"{where}: \"{theirs}\" maps to '{ours}', which is not a stage; use one of: "
            f"{', '.join(process_keys)}.",
            f"stages.{theirs}",
        )
        for theirs, ours in stages.items()
        if ours not in process_keys
    ]
    if details:
        raise DealgateError(details[0].message, details)
    return {str(k).strip(): str(v) for k, v in stages.items()}
