"""Reads a process TOML file into domain objects, refusing a wrong file with the file, the key
and what to change (code `invalid_process`)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.domain.ladder import Rung
from dealgate.domain.prerequisites import PREREQUISITES
from dealgate.domain.process import CLOSED_STAGES, CommitmentKind, Process, Stage

DEFAULT_PROCESS_PATH = Path(__file__).with_name("default.toml")

_STAGE_KEYS = {"key", "name", "exit", "requires", "stall_after_days", "accepts_earlier", "expects"}
_KIND_KEYS = {"key", "rung", "label"}
_RUNGS = ", ".join(r.value for r in Rung)


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.details: list[ErrorDetail] = []

    def add(self, key: str, message: str) -> None:
        self.details.append(ErrorDetail("invalid_process", f"{self.source}: {key}: {message}", key))

    def raise_if_any(self) -> None:
        if self.details:
            head = self.details[0].message
            more = f" (and {len(self.details) - 1} more)" if len(self.details) > 1 else ""
            raise DealgateError(f"Invalid process file {head}{more}", self.details)


def load_process(path: Path | str) -> Process:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        problems = _Problems(str(file))
        problems.add("file", f"cannot be read ({e.strerror}); check the path.")
        problems.raise_if_any()
        raise AssertionError("unreachable") from e
    return parse_process(text, str(file))


@cache
def default_process() -> Process:
    return parse_process(DEFAULT_PROCESS_PATH.read_text(encoding="utf-8"), "default.toml")


def parse_process(text: str, source: str = "<process>") -> Process:
    problems = _Problems(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        problems.add("toml", f"is not valid TOML ({e}); fix the syntax at that line.")
        problems.raise_if_any()
        raise AssertionError("unreachable") from e
    if not data:
        problems.add("file", "is empty; it needs a [process] table and [[stages]].")
        problems.raise_if_any()

    header = data.get("process")
    name = "Unnamed"
    if not isinstance(header, dict) or not isinstance(header.get("name"), str):
        problems.add("process.name", 'is missing; add `[process]` with `name = "..."`.')
    else:
        name = header["name"]
    for extra in sorted(set(data) - {"process", "kinds", "stages"}):
        problems.add(extra, "is not a known section; use [process], [[kinds]] and [[stages]].")

    is_default = source == "default.toml"
    kinds = {} if is_default else dict(default_process().kinds)
    _read_kinds(data.get("kinds", []), kinds, problems, is_default)
    stages = _read_stages(data.get("stages"), kinds, problems)
    problems.raise_if_any()
    return Process(name=name, kinds=kinds, stages=tuple(stages))


def _read_kinds(
    raw: Any, kinds: dict[str, CommitmentKind], problems: _Problems, is_default: bool
) -> None:
    if not isinstance(raw, list):
        problems.add("kinds", "must be an array of tables: [[kinds]].")
        return
    for i, item in enumerate(raw):
        where = f"kinds[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "must be a table with key, rung and label.")
            continue
        for missing in sorted(_KIND_KEYS - set(item)):
            problems.add(f"{where}.{missing}", "is missing; every kind needs key, rung and label.")
        for extra in sorted(set(item) - _KIND_KEYS):
            problems.add(f"{where}.{extra}", "is not a kind field; use key, rung and label.")
        key, rung_text, label = item.get("key"), item.get("rung"), item.get("label")
        if not isinstance(key, str) or not isinstance(rung_text, str) or not isinstance(label, str):
            continue
        rung = Rung.parse(rung_text)
        if rung is None:
            problems.add(f"{where}.rung", f"unknown rung '{rung_text}'; use one of: {_RUNGS}.")
            continue
        existing = kinds.get(key)
        if existing is not None and (is_default or existing.rung is not rung):
            problems.add(
                f"{where}.key",
                f"kind '{key}' is already defined on rung '{existing.rung.value}'; "
                "give your kind another key.",
            )
            continue
        kinds[key] = CommitmentKind(key, rung, label)


def _read_stages(raw: Any, kinds: dict[str, CommitmentKind], problems: _Problems) -> list[Stage]:
    if not isinstance(raw, list) or not raw:
        problems.add("stages", "are missing; add at least one [[stages]] table.")
        return []
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"stages[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "must be a table with key, name and exit.")
            continue
        for missing in sorted({"key", "name", "exit"} - set(item)):
            problems.add(f"{where}.{missing}", "is missing; every stage needs key, name and exit.")
        for extra in sorted(set(item) - _STAGE_KEYS):
            problems.add(
                f"{where}.{extra}",
                f"is not a stage field; use one of: {', '.join(sorted(_STAGE_KEYS))}.",
            )
        key = item.get("key")
        if not isinstance(key, str) or not key:
            continue
        where = f"stages[{i}] ({key})"
        if key in CLOSED_STAGES:
            problems.add(f"{where}.key", f"'{key}' is implicit; remove this stage.")
            continue
        if key in seen:
            problems.add(f"{where}.key", f"duplicate stage '{key}'; each stage key appears once.")
            continue
        seen.add(key)
        exit_menu = _string_list(item.get("exit", []), f"{where}.exit", problems)
        for kind in exit_menu:
            if kind not in kinds:
                problems.add(
                    f"{where}.exit",
                    f"unknown kind '{kind}'; use a catalogue kind or define it under [[kinds]].",
                )
        requires = _string_list(item.get("requires", []), f"{where}.requires", problems)
        for req in requires:
            if req not in PREREQUISITES:
                problems.add(
                    f"{where}.requires",
                    f"unknown prerequisite '{req}'; use one of: {', '.join(PREREQUISITES)}.",
                )
        stall = item.get("stall_after_days")
        if stall is not None and (
            not isinstance(stall, int) or isinstance(stall, bool) or stall < 1
        ):
            problems.add(f"{where}.stall_after_days", "must be a whole number of days, 1 or more.")
            stall = None
        accepts = item.get("accepts_earlier", False)
        if not isinstance(accepts, bool):
            problems.add(f"{where}.accepts_earlier", "must be true or false.")
            accepts = False
        expects = None
        if "expects" in item:
            expects = Rung.parse(str(item["expects"]))
            if expects is None:
                problems.add(f"{where}.expects", f"unknown rung; use one of: {_RUNGS}.")
        name = item.get("name")
        stages.append(
            Stage(
                key=key,
                name=name if isinstance(name, str) else key,
                exit=tuple(exit_menu),
                requires=tuple(requires),
                stall_after_days=stall,
                accepts_earlier=accepts,
                expects=expects,
            )
        )
    return stages


def _string_list(raw: Any, where: str, problems: _Problems) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.add(where, 'must be a list of strings, e.g. ["first_meeting_accepted"].')
        return []
    return list(raw)
