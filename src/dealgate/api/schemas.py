"""Request and response bodies. Requests refuse unknown fields; responses mirror the views."""

from __future__ import annotations

import datetime as _dt
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dealgate.domain.commitment import Party, Status
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.stakeholder import Role

Text200 = Field(min_length=1, max_length=200)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def storable_text(self) -> Strict:
        """Refuse text no database can keep: NUL characters and lone surrogates."""
        for name, value in self:
            if isinstance(value, str):
                if "\x00" in value:
                    raise ValueError(f"{name} contains a NUL character; remove it")
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError(f"{name} is not valid Unicode text; resend it") from None
        return self


# --- errors ---------------------------------------------------------------------------------


class ErrorDetailOut(BaseModel):
    code: str
    field: str | None
    message: str


class ErrorOut(BaseModel):
    ok: Literal[False]
    status: int
    error: str
    errors: list[ErrorDetailOut]


# --- requests -------------------------------------------------------------------------------


class DealCreate(Strict):
    name: str = Text200
    account: str = Text200
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    stage: str | None = Field(default=None, min_length=1, max_length=100)
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"), decimal_places=2)
    close_date: date | None = None


class DealUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    account: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"), decimal_places=2)
    close_date: date | None = None


class StakeholderCreate(Strict):
    name: str = Text200
    role: Role
    title: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class StakeholderUpdate(Strict):
    """Corrections as the rep learns the committee; "" clears a title or notes. Their
    commitments follow a new spelling of the name."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    title: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class DissatisfactionCreate(Strict):
    # Named as the CLI's option and the deal's list are: what the buyer is dissatisfied with.
    dissatisfaction: str = Field(min_length=1, max_length=2000)


class CommitmentCreate(Strict):
    party: Party
    action: str = Field(min_length=1, max_length=500)
    kind: str | None = Field(default=None, max_length=100)
    person: str | None = Field(default=None, max_length=200)
    due: date | None = None
    status: Literal["asked", "obtained", "kept", "inferred"] = "obtained"
    interaction: int | None = Field(default=None, ge=1, le=2**31 - 1)


class CommitmentUpdate(Strict):
    status: Status | None = None
    # Who on the buyer's side made it (a stakeholder): as an inferred one is confirmed, or
    # alone for a recorded one that names no one on the committee.
    person: str | None = Field(default=None, min_length=1, max_length=200)


# Dates that notes are read against: far enough from the calendar's ends for "next week".
EARLIEST_NOTE = date(1900, 1, 1)
LATEST_NOTE = date(9000, 12, 31)


class InteractionCreate(Strict):
    kind: InteractionKind
    on: date = Field(ge=EARLIEST_NOTE, le=LATEST_NOTE)
    summary: str = Field(min_length=1, max_length=2000)
    client_declined: bool = False
    author: Literal["seller", "buyer"] = "seller"
    extract: bool = True


class AdvanceRequest(Strict):
    to: str | None = Field(default=None, min_length=1, max_length=100)
    override_reason: str | None = Field(default=None, min_length=1, max_length=1000)


class CloseRequest(Strict):
    outcome: Literal["won", "lost"]
    reason: str | None = Field(default=None, min_length=1, max_length=2000)
    override_reason: str | None = Field(default=None, min_length=1, max_length=1000)


class ExtractRequest(Strict):
    text: str = Field(min_length=1, max_length=10000)
    author: Literal["seller", "buyer"] = "seller"
    date: _dt.date | None = Field(default=None, ge=EARLIEST_NOTE, le=LATEST_NOTE)


# --- responses ------------------------------------------------------------------------------


class DealOut(BaseModel):
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: str | None
    close_date: str | None
    created_at: str
    stage_entered_at: str
    close_reason: str | None
    version: int


class DealPage(BaseModel):
    items: list[DealOut]
    next_cursor: str | None


class StakeholderOut(BaseModel):
    number: int
    name: str
    role: str
    title: str | None
    notes: str | None


class CommitmentOut(BaseModel):
    number: int
    party: str
    action: str
    kind: str | None
    rung: str | None
    person: str | None
    due: str | None
    status: str
    created_at: str
    obtained_at: str | None
    kept_on: str | None
    interaction: int | None
    source: str | None


class InteractionOut(BaseModel):
    number: int
    kind: str
    on: str
    summary: str
    client_declined: bool
    outcome: str
    inferred: list[CommitmentOut] = []


class ViolationOut(BaseModel):
    code: str
    stage: str
    field: str
    message: str


class ExitKindOut(BaseModel):
    kind: str
    rung: str
    label: str


class GateOut(BaseModel):
    can_advance: bool
    next_stage: str | None
    violations: list[ViolationOut]
    exit_menu: list[ExitKindOut]


class MoveOut(BaseModel):
    at: str | None
    actor: str
    from_: str | None = Field(alias="from")
    to: str
    commitments: list[int]
    justified_by: list[CommitmentOut]
    override_reason: str | None
    reason: str | None
    skipped: list[str]

    model_config = ConfigDict(populate_by_name=True)


class NoteOut(BaseModel):
    text: str
    at: str | None
    actor: str


class DealDetailOut(DealOut):
    stakeholders: list[StakeholderOut]
    commitments: list[CommitmentOut]
    interactions: list[InteractionOut]
    dissatisfaction: list[NoteOut]
    stage_history: list[MoveOut]
    gate: GateOut
    overridden: bool


class EventOut(BaseModel):
    at: str | None
    actor: str
    type: str
    payload: dict[str, Any]
    justified_by: list[CommitmentOut] = []


class HistoryOut(BaseModel):
    deal: int
    events: list[EventOut]


class FlagOut(BaseModel):
    code: str
    message: str
    facts: dict[str, Any]


class DealReviewOut(BaseModel):
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: str | None
    evidenced_stage: str
    highest_rung: str | None
    flags: list[FlagOut]


class ReviewOut(BaseModel):
    as_of: str | None
    summary: dict[str, Any]
    deals: list[DealReviewOut]


class FlagMovesOut(BaseModel):
    added: int
    cleared: int


class DealChangeOut(BaseModel):
    id: int
    name: str
    owner: str
    stage_then: str | None = Field(description="None: opened since (or out of view then).")
    stage_now: str | None
    in_review_now: bool = Field(description="False: closed since, or out of view now.")
    added: list[str]
    cleared: list[str]


class ReviewChangesOut(BaseModel):
    since: str
    until: str
    flags: dict[str, FlagMovesOut]
    deals: list[DealChangeOut]


class FindingOut(BaseModel):
    code: str
    severity: str
    stage: str | None
    message: str


class AuditOut(BaseModel):
    process: str
    findings: list[FindingOut]


class ProcessOut(BaseModel):
    name: str
    stages: list[dict[str, Any]]
    kinds: list[dict[str, Any]]


class ProcessLoadRequest(Strict):
    source: str = Field(
        min_length=1,
        max_length=100_000,
        description="A process file (TOML, the format of `processes/default.toml`).",
    )
    moves: dict[str, str] = Field(
        default_factory=dict,
        max_length=100,
        description="For each stage the process leaves out that open deals stand in, the "
        'stage they go to, e.g. {"resolve": "decide"}.',
    )


class ProcessLoadedOut(ProcessOut):
    loaded: bool = Field(description="False when this process was already the active one.")
    warnings: list[str]
    moves: dict[str, str] = Field(description="Each stage left out and where it went.")
    deals_moved: dict[str, int] = Field(description="The open deals moved out of each.")


class ProcessLoadOut(BaseModel):
    process: str
    at: str = Field(description="When it was loaded (UTC).")
    by: str | None = Field(description="Who loaded it; null for loads made before it was kept.")
    moves: dict[str, str] = Field(description="Each stage it left out and where that went.")


class AskOut(BaseModel):
    kind: str
    rung: str
    label: str
    exits_stage: str
    ask: StakeholderOut | None
    sentence: str


class PrerequisiteOut(BaseModel):
    requires: str
    stage: str
    message: str


class DealCoachOut(BaseModel):
    deal: int
    stage: str
    can_advance_now: bool
    primary: AskOut | None
    fallback: AskOut | None
    prerequisites_missing: list[PrerequisiteOut]


class RepCoachOut(BaseModel):
    rep: str
    interactions: int
    asks: int
    obtained: int
    waiting: int  # commitments read from notes, waiting for a person to confirm them
    metrics: dict[str, float]
    team_median: dict[str, float]
    rungs_asked: dict[str, int]
    verdict: str
    reasons: list[str]


class ExtractedOut(BaseModel):
    party: str
    rung: str | None
    kind: str | None
    person: str | None
    action: str
    due: str | None
    kept: bool
    span: list[int]


class ExtractOut(BaseModel):
    text: str
    commitments: list[ExtractedOut]


# --- users and owners (admins) -------------------------------------------------------------


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["rep", "manager", "admin"]
    team: str | None = Field(default=None, min_length=1, max_length=100)
    password: str | None = Field(
        default=None, min_length=1, max_length=200, description="For the pages; 8+ characters."
    )


class UserOut(BaseModel):
    name: str
    role: str
    team: str | None
    pages: bool = Field(description="Whether they have a password for the pages.")


class UserCreated(UserOut):
    token: str = Field(description="Their API token, shown once: only a hash is kept.")


class CalendarFeed(BaseModel):
    rep: str
    path: str = Field(description="The feed's address on this server, its key included.")


class CalendarKeyOut(BaseModel):
    key: str = Field(
        description="Shown once: only a hash is kept. It reads calendar feeds and nothing "
        "else; a new one stops the old."
    )
    feeds: list[CalendarFeed] = Field(description="Yours first, then those of the reps you see.")


class UserUpdate(Strict):
    role: Literal["rep", "manager", "admin"] | None = None
    team: str | None = Field(default=None, max_length=100, description='"" for no team.')


class UserChanged(BaseModel):
    name: str
    role: str
    team: str | None


class UserRemoved(BaseModel):
    name: str
    deals_left: int = Field(description="Their deals, seen by admins until given to someone.")


class TransferRequest(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_owner: str = Field(alias="from", min_length=1, max_length=100)
    to: str = Field(min_length=1, max_length=100, description="A user's name.")
    open_only: bool = Field(default=False, description="Leave won and lost deals as they are.")


class TransferOut(BaseModel):
    from_owner: str = Field(serialization_alias="from")
    to: str
    deals: int
    closed_kept: int


# --- commitments waiting for a person -------------------------------------------------------


class WaitingCommitmentOut(BaseModel):
    deal_id: int
    deal: str
    account: str
    owner: str
    stage: str
    amount: str | None
    number: int
    party: str
    kind: str | None
    person: str | None
    action: str
    due: str | None
    source: str | None
    committee: list[str]
    # For a buyer commitment naming no one on the committee: the member it likely means
    # ("" for none, so name one when confirming); None when it names a member or is ours.
    likely: str | None


class WaitingOut(BaseModel):
    total: int
    items: list[WaitingCommitmentOut]


class Pick(Strict):
    deal_id: int = Field(ge=1, le=2**31 - 1)
    number: int = Field(ge=1, le=2**31 - 1)


class SettleRequest(Strict):
    verb: Literal["confirm", "reject"]
    picks: list[Pick] = Field(min_length=1, max_length=500)


class SettledOut(BaseModel):
    settled: int  # confirmed or rejected
    deals: int
    passed_over: int  # settled meanwhile, or on a deal closed or out of sight
    unnamed: int  # of those confirmed, naming no one on the committee: name them for the gate
