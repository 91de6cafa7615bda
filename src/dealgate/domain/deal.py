"""The Deal aggregate: every change to a deal goes through its methods and leaves an event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dealgate.domain.commitment import INITIAL_STATUSES, Commitment, Party, Status
from dealgate.domain.errors import DealgateError, ErrorDetail, invalid, not_found
from dealgate.domain.events import RESTAGED, Event, StageMove
from dealgate.domain.gate import GateVerdict, check_gate
from dealgate.domain.interaction import Interaction, InteractionKind, Outcome, outcome_of
from dealgate.domain.process import CLOSED_STAGES, LOST, WON, Process
from dealgate.domain.stakeholder import Role, Stakeholder, likely_member, on_committee

MAX_TEXT = 2000


@dataclass(frozen=True)
class Note:
    text: str
    at: datetime
    actor: str


def _storable(value: str | None, field_name: str) -> str | None:
    """Text any database keeps: PostgreSQL's text holds no NUL character (SQLite's would,
    and the same deal must be storable in both)."""
    if value is not None and "\x00" in value:
        raise invalid(
            "invalid_text", f"'{field_name}' contains a NUL character; remove it.", field_name
        )
    return value


MAX_AMOUNT = Decimal("1e13")  # what the amount column holds: 14 digits, 2 of them cents


def _amount(value: Decimal | None) -> Decimal | None:
    """An amount a deal can carry: 0 to 10^13, in cents at most (-0 is 0)."""
    if value is None:
        return None
    if not value.is_finite() or not 0 <= value <= MAX_AMOUNT:
        raise invalid(
            "invalid_amount", f"The amount must be a number from 0 to {MAX_AMOUNT:,.0f}.", "amount"
        )
    exponent = value.as_tuple().exponent  # an int for a finite number
    if isinstance(exponent, int) and exponent < -2:
        raise invalid(
            "invalid_amount", f"{value} has more than cents; round it to two decimals.", "amount"
        )
    return value + 0  # Decimal("-0") + 0 is 0


def _required_text(value: str, field_name: str, limit: int = MAX_TEXT) -> str:
    text = value.strip()
    _storable(text, field_name)
    if not text:
        raise invalid("required", f"'{field_name}' must not be empty.", field_name)
    if len(text) > limit:
        raise invalid(
            "too_long", f"'{field_name}' is longer than {limit} characters; shorten it.", field_name
        )
    return text


@dataclass
class Deal:
    name: str
    account: str
    owner: str
    stage: str
    created_at: datetime
    stage_entered_at: datetime
    amount: Decimal | None = None
    close_date: date | None = None
    id: int | None = None
    version: int = 0
    close_reason: str | None = None
    stakeholders: list[Stakeholder] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    dissatisfaction: list[Note] = field(default_factory=list)
    history: list[StageMove] = field(default_factory=list)
    new_events: list[Event] = field(default_factory=list)  # written by the repository, then cleared
    external_id: str | None = None

    # --- creation -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        process: Process,
        *,
        name: str,
        account: str,
        owner: str,
        now: datetime,
        actor: str,
        stage: str | None = None,
        amount: Decimal | None = None,
        close_date: date | None = None,
        external_id: str | None = None,
    ) -> Deal:
        """A new deal, by default in the first stage.

        A deal may be opened further along (an imported pipeline), but that stage is only
        claimed: review flags it `unevidenced_stage` until buyer commitments justify it.
        """
        key = stage or process.stages[0].key
        if key in CLOSED_STAGES:
            raise invalid(
                "invalid_stage", "A new deal must start in an open stage, not won or lost.", "stage"
            )
        process.stage(key)  # raises unknown_stage for an unknown key
        amount = _amount(amount)
        deal = cls(
            name=_required_text(name, "name", 200),
            account=_required_text(account, "account", 200),
            owner=_required_text(owner, "owner", 100),
            stage=key,
            created_at=now,
            stage_entered_at=now,
            amount=amount,
            close_date=close_date,
            external_id=external_id,
        )
        deal._record(
            "deal.opened",
            now,
            actor,
            {
                "from": None,
                "to": key,
                "name": deal.name,
                "account": deal.account,
                "owner": deal.owner,
                "amount": str(amount) if amount is not None else None,
                "close_date": close_date.isoformat() if close_date else None,
            },
        )
        return deal

    # --- queries ------------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def overridden(self) -> bool:
        return any(m.overridden for m in self.history)

    @property
    def override_reason(self) -> str | None:
        """The reason of the latest manager override, if any."""
        reasons = [m.override_reason for m in self.history if m.override_reason]
        return reasons[-1] if reasons else None

    def commitment(self, number: int) -> Commitment:
        for c in self.commitments:
            if c.number == number:
                return c
        raise not_found("commitment", number, f"Deal {self.id} has commitments {self._numbers()}.")

    def interaction(self, number: int) -> Interaction:
        for i in self.interactions:
            if i.number == number:
                return i
        raise not_found("interaction", number, "The deal lists its interactions.")

    def outcome(self, interaction: Interaction) -> Outcome:
        produced = [c for c in self.commitments if c.interaction == interaction.number]
        return outcome_of(interaction, produced)

    def highest_buyer_rung(self) -> int | None:
        levels = [c.rung_level for c in self.commitments if c.is_buyer and c.is_held]
        known = [lv for lv in levels if lv is not None]
        return max(known) if known else None

    @property
    def highest_rung_in_notes(self) -> int | None:
        """The highest rung of the buyer commitments read from text that wait for a person."""
        levels = [
            c.rung_level
            for c in self.commitments
            if c.is_buyer and c.status is Status.INFERRED and c.rung_level is not None
        ]
        return max(levels, default=None)

    @property
    def rests_only_on_inferred_evidence(self) -> bool:
        """Open, with buyer commitments read from text and none a person obtained or kept:
        the review counts these apart, as evidence waiting to be confirmed."""
        buyer = [c for c in self.commitments if c.is_buyer]
        return (
            not self.is_closed
            and any(c.status is Status.INFERRED for c in buyer)
            and not any(c.is_held for c in buyer)
        )

    # --- changes ------------------------------------------------------------------------------

    def add_stakeholder(
        self,
        *,
        name: str,
        role: Role,
        now: datetime,
        actor: str,
        title: str | None = None,
        notes: str | None = None,
    ) -> Stakeholder:
        self._must_be_open()
        clean = _required_text(name, "name", 200)
        if any(s.is_named(clean) for s in self.stakeholders):
            raise invalid(
                "duplicate_stakeholder",
                f"'{clean}' is already a stakeholder of this deal; use another name.",
                "name",
            )
        _storable(title, "title")
        _storable(notes, "notes")
        person = Stakeholder(len(self.stakeholders) + 1, clean, role, title, notes)
        self.stakeholders.append(person)
        self._record(
            "stakeholder.added",
            now,
            actor,
            {"number": person.number, "name": clean, "role": role.value, "title": title},
        )
        return person

    def add_commitment(
        self,
        process: Process,
        *,
        party: Party,
        action: str,
        now: datetime,
        actor: str,
        kind: str | None = None,
        person: str | None = None,
        due: date | None = None,
        status: Status = Status.OBTAINED,
        kept_on: date | None = None,
        interaction: int | None = None,
        source: str | None = None,
    ) -> Commitment:
        self._must_be_open()
        _storable(person, "person")
        _storable(source, "source")
        errors: list[ErrorDetail] = []
        rung_level = None
        if party is Party.SELLER and kind is not None:
            errors.append(
                ErrorDetail(
                    "kind_on_seller_commitment",
                    "Only buyer commitments have a kind; a seller promise never advances a "
                    "deal. Record it without a kind, or as the buyer's (party buyer).",
                    "kind",
                )
            )
        if kind is not None and party is Party.BUYER:
            try:
                rung_level = process.kind(kind).rung.level
            except DealgateError as e:
                errors.extend(e.details)
        if status not in INITIAL_STATUSES:
            errors.append(
                ErrorDetail(
                    "invalid_status",
                    f"A new commitment starts as one of: "
                    f"{', '.join(sorted(s.value for s in INITIAL_STATUSES))}.",
                    "status",
                )
            )
        if interaction is not None and all(i.number != interaction for i in self.interactions):
            errors.append(
                ErrorDetail(
                    "not_found", f"No interaction {interaction} on this deal.", "interaction"
                )
            )
        if errors:
            raise DealgateError(
                errors[0].message if len(errors) == 1 else "Invalid commitment.", errors
            )
        commitment = Commitment(
            number=len(self.commitments) + 1,
            party=party,
            action=_required_text(action, "action", 500),
            status=status,
            created_at=now,
            kind=kind if party is Party.BUYER else None,
            rung_level=rung_level,
            person=person.strip() if person and person.strip() else None,
            due=due,
            obtained_at=now if status in (Status.OBTAINED, Status.KEPT) else None,
            kept_on=kept_on or (now.date() if status is Status.KEPT else None),
            interaction=interaction,
            source=source,
        )
        self.commitments.append(commitment)
        self._record("commitment.added", now, actor, _commitment_payload(commitment))
        return commitment

    def set_commitment_status(
        self, number: int, status: Status, *, now: datetime, actor: str
    ) -> Commitment:
        return self._change_status(number, status, now, actor)

    def confirm_commitment(
        self, number: int, *, now: datetime, actor: str, person: str | None = None
    ) -> Commitment:
        """A person confirms an inferred commitment: it becomes evidence (kept if it was done).
        `person`: who on the buyer's side made it, one of the committee, for a note that named
        no one the gate knows ("Legal will send redlines"): a buyer commitment opens the gate
        only from a named stakeholder, and what the note said cannot be changed later."""
        self._must_be_open()
        commitment = self.commitment(number)
        if commitment.status is not Status.INFERRED:
            raise invalid(
                "not_inferred",
                f"Commitment {number} is {commitment.status.value}, not inferred; "
                "change its status instead.",
                "status",
            )
        named: dict[str, str | None] = {}
        if person is not None and person.strip():
            # Who the note named before, so the review as of an earlier day shows it.
            named["person_was"] = commitment.person
            commitment.person = named["person"] = self._committed_by(commitment, person)
        done = commitment.kept_on is not None and commitment.is_buyer
        return self._change_status(
            number, Status.KEPT if done else Status.OBTAINED, now, actor, **named
        )

    def name_who_committed(
        self, number: int, person: str, *, now: datetime, actor: str
    ) -> Commitment:
        """Name the stakeholder who made a buyer commitment recorded naming no one on the
        committee (confirmed as a note said it, or typed by hand): without them the gate
        cannot take it. One that names a member keeps them; this is no way to swap people."""
        self._must_be_open()
        commitment = self.commitment(number)
        if commitment.status is Status.INFERRED:
            raise invalid(
                "not_confirmed",
                f"Commitment {number} waits for confirmation: name who made it as you confirm it.",
                "status",
            )
        committee = [s.name for s in self.stakeholders]
        if commitment.is_buyer and on_committee(commitment.person, committee):
            raise invalid(
                "already_named",
                f"Commitment {number} already names {commitment.person}, of the committee.",
                "person",
            )
        before, commitment.person = commitment.person, self._committed_by(commitment, person)
        self._record(
            "commitment.person_named",
            now,
            actor,
            {"number": number, "from": before, "to": commitment.person},
        )
        return commitment

    def unnamed_to_confirm(self) -> dict[int, str]:
        """The inferred buyer commitments whose note names no one on the committee, each with
        the member it likely means, or "": confirmed as they are, they cannot open the gate."""
        return self._unnamed({Status.INFERRED})

    def unnamed_held(self) -> dict[int, str]:
        """The same for buyer commitments asked for or held: who made them is named with
        `name_who_committed`."""
        return self._unnamed({Status.ASKED, Status.OBTAINED, Status.KEPT})

    def _unnamed(self, statuses: set[Status]) -> dict[int, str]:
        committee = [s.name for s in self.stakeholders]
        return {
            c.number: likely_member(c.person, committee)
            for c in self.commitments
            if c.is_buyer and c.status in statuses and not on_committee(c.person, committee)
        }

    def _committed_by(self, commitment: Commitment, person: str) -> str:
        """The stakeholder `person` names, as the committee writes them."""
        if not commitment.is_buyer:
            raise invalid(
                "not_a_buyer_commitment",
                f"Commitment {commitment.number} is our own promise; only a buyer commitment "
                "names who on the buyer's side made it.",
                "person",
            )
        found = next((s for s in self.stakeholders if s.is_named(person)), None)
        if found is None:
            raise invalid(
                "not_a_stakeholder",
                f"'{person.strip()[:100]}' is not on this deal's buying committee; add them "
                "as a stakeholder first, then confirm the commitment naming them.",
                "person",
            )
        return found.name

    def _change_status(
        self, number: int, status: Status, now: datetime, actor: str, **more: str | None
    ) -> Commitment:
        self._must_be_open()
        commitment = self.commitment(number)
        before = commitment.status
        commitment.move_to(status, now)
        self._record(
            "commitment.status_changed",
            now,
            actor,
            {"number": number, "from": before.value, "to": status.value, **more},
        )
        return commitment

    def settle_inferred(
        self,
        numbers: Iterable[int],
        *,
        confirm: bool,
        now: datetime,
        actor: str,
        persons: Mapping[int, str] | None = None,
    ) -> list[Commitment]:
        """Confirm (or reject) at once those of `numbers` still waiting for a person. The
        others are left as they are: a teammate working the same queue may have settled them
        since the list was read, and settling them again would undo their choice.
        A buyer commitment whose note names no one on the committee is confirmed as made by
        the member chosen for it in `persons`, else by the one member a first name means
        ("Raj" by Raj Patel), else naming no one (`name_who_committed` names them later: the
        gate takes it only then)."""
        self._must_be_open()
        waiting = {c.number for c in self.commitments if c.status is Status.INFERRED}
        chosen = sorted(waiting.intersection(numbers))
        if not confirm:
            return [
                self.set_commitment_status(n, Status.REJECTED, now=now, actor=actor) for n in chosen
            ]
        unnamed = self.unnamed_to_confirm()
        named = {n: (persons or {}).get(n) or unnamed[n] for n in unnamed}
        return [
            self.confirm_commitment(n, now=now, actor=actor, person=named.get(n) or None)
            for n in chosen
        ]

    def add_interaction(
        self,
        *,
        kind: InteractionKind,
        on: date,
        summary: str,
        now: datetime,
        actor: str,
        client_declined: bool = False,
    ) -> Interaction:
        self._must_be_open()
        interaction = Interaction(
            len(self.interactions) + 1,
            kind,
            on,
            _required_text(summary, "summary"),
            now,
            client_declined,
        )
        self.interactions.append(interaction)
        self._record(
            "interaction.added",
            now,
            actor,
            {
                "number": interaction.number,
                "kind": kind.value,
                "on": on.isoformat(),
                "summary": interaction.summary,
                "client_declined": client_declined,
            },
        )
        return interaction

    def change_stakeholder(
        self,
        number: int,
        *,
        now: datetime,
        actor: str,
        name: str | None = None,
        role: Role | None = None,
        title: str | None = None,
        notes: str | None = None,
    ) -> Stakeholder:
        """Correct what the committee says of someone as the rep learns it: their role (the
        champion turns out to hold the budget), title, notes, or the spelling of their name,
        which the commitments they made follow. A value equal to the present one is no change
        (a form sends every field back); "" clears a title or notes."""
        self._must_be_open()
        person = self.stakeholder(number)
        was: dict[str, str | None] = {
            "name": person.name,
            "role": person.role.value,
            "title": person.title,
            "notes": person.notes,
        }
        wanted: dict[str, str | None] = {}
        if name is not None and (clean := _required_text(name, "name", 200)) != person.name:
            if any(s.is_named(clean) and s is not person for s in self.stakeholders):
                raise invalid(
                    "duplicate_stakeholder",
                    f"'{clean}' is already a stakeholder of this deal; use another name.",
                    "name",
                )
            wanted["name"] = clean
        if role is not None and role.value != person.role.value:
            wanted["role"] = role.value
        for key, value, limit in (("title", title, 200), ("notes", notes, MAX_TEXT)):
            if value is not None and (value.strip() or None) != was[key]:
                # An empty value clears it; anything else is text as any other field.
                wanted[key] = _required_text(value, key, limit) if value.strip() else None
        if not wanted:
            return person
        renamed: list[tuple[int, str | None]] = []  # each commitment that follows, as it named
        if "name" in wanted:
            for c in self.commitments:
                if person.is_named(c.person):
                    renamed.append((c.number, c.person))
                    c.person = wanted["name"]
            person.name = str(wanted["name"])
        if "role" in wanted:
            person.role = Role(str(wanted["role"]))
        person.title = wanted.get("title", person.title)
        person.notes = wanted.get("notes", person.notes)
        self._record(
            "stakeholder.changed",
            now,
            actor,
            {
                "number": number,
                "from": {key: was[key] for key in wanted},
                "to": wanted,
                "commitments": renamed,
            },
        )
        return person

    def stakeholder(self, number: int) -> Stakeholder:
        for s in self.stakeholders:
            if s.number == number:
                return s
        raise not_found("stakeholder", number, "The deal lists its buying committee.")

    def document_dissatisfaction(self, text: str, *, now: datetime, actor: str) -> Note:
        self._must_be_open()
        note = Note(_required_text(text, "dissatisfaction"), now, actor)
        self.dissatisfaction.append(note)
        self._record("deal.dissatisfaction_documented", now, actor, {"text": note.text})
        return note

    def update(
        self,
        *,
        now: datetime,
        actor: str,
        name: str | None = None,
        account: str | None = None,
        owner: str | None = None,
        amount: Decimal | None = None,
        close_date: date | None = None,
    ) -> None:
        """Change the deal's descriptive fields; the stage only moves through the gate. A
        field given its present value is no change (a form sends every field back)."""
        changes: dict[str, Any] = {}
        if name is not None and (text := _required_text(name, "name", 200)) != self.name:
            self.name = changes["name"] = text
        if (
            account is not None
            and (text := _required_text(account, "account", 200)) != self.account
        ):
            self.account = changes["account"] = text
        if owner is not None and (text := _required_text(owner, "owner", 100)) != self.owner:
            self.owner = changes["owner"] = text
        if (amount := _amount(amount)) is not None and amount != self.amount:
            self.amount = amount
            changes["amount"] = str(amount)
        if close_date is not None and close_date != self.close_date:
            self.close_date = close_date
            changes["close_date"] = close_date.isoformat()
        if changes:
            self._record("deal.updated", now, actor, changes)

    # --- the gate -----------------------------------------------------------------------------

    def gate(self, process: Process, to: str | None = None) -> GateVerdict:
        return check_gate(self, process, to)

    def can_advance(self, process: Process, to: str | None = None) -> bool:
        return self.gate(process, to).allowed

    def advance(
        self,
        process: Process,
        *,
        now: datetime,
        actor: str,
        to: str | None = None,
        override_reason: str | None = None,
    ) -> StageMove:
        """Move forward when the gate allows it, or by a manager's written override."""
        verdict = self.gate(process, to)
        blocking = [v for v in verdict.violations if v.code in ("deal_closed", "not_forward")]
        if blocking or (not verdict.allowed and override_reason is None):
            raise DealgateError(
                f"The deal cannot leave '{self.stage}': "
                + "; ".join(v.message for v in verdict.violations),
                [ErrorDetail(v.code, v.message, v.field, v.commitment) for v in verdict.violations],
            )
        reason = None
        if override_reason is not None:
            reason = _required_text(override_reason, "override_reason", 1000)
            if verdict.allowed:
                reason = None  # nothing to override: record an ordinary, justified move
        assert verdict.to_stage is not None
        skipped = tuple(
            s.key
            for s in process.stages[
                process.position(self.stage) + 1 : process.position(verdict.to_stage)
            ]
        )
        payload: dict[str, Any] = {
            "from": self.stage,
            "to": verdict.to_stage,
            "commitments": list(verdict.justifying),
            "exits": [[stage, number] for stage, number in verdict.exits],
            "skipped": list(skipped),
        }
        if reason is not None:
            payload["override_reason"] = reason
            payload["overridden_violations"] = verdict.codes
        event_type = "deal.closed" if verdict.to_stage == WON else "deal.advanced"
        return self._move(event_type, now, actor, payload)

    def close_lost(self, reason: str, *, now: datetime, actor: str) -> StageMove:
        self._must_be_open()
        text = reason.strip()
        if not text:
            raise invalid(
                "reason_required",
                "Closing a deal as lost needs a reason: say why it was lost.",
                "reason",
            )
        payload = {"from": self.stage, "to": LOST, "reason": _required_text(text, "reason")}
        return self._move("deal.closed", now, actor, payload)

    def restage(self, to: str, process: Process, *, now: datetime, actor: str) -> StageMove:
        """The process loaded (`process`) leaves out the deal's stage: the deal stands in `to`,
        named by whoever loaded it. Not an advance: no buyer commitment is claimed, and the
        stall clock keeps running from when the deal entered the stage left out."""
        self._must_be_open()
        process.stage(to)  # an open stage of the process: raises the helpful error otherwise
        payload = {
            "from": self.stage,
            "to": to,
            "reason": f"Process '{process.name}' left out stage '{self.stage}'.",
        }
        move = StageMove.from_event(self._record(RESTAGED, now, actor, payload))
        self.stage = to
        self.history.append(move)
        return move

    # --- internals ----------------------------------------------------------------------------

    def _move(
        self, event_type: str, now: datetime, actor: str, payload: dict[str, Any]
    ) -> StageMove:
        event = self._record(event_type, now, actor, payload)
        self.stage = str(payload["to"])
        self.stage_entered_at = now
        if "reason" in payload:
            self.close_reason = payload["reason"]
        move = StageMove.from_event(event)
        self.history.append(move)
        return move

    def _record(self, type_: str, now: datetime, actor: str, payload: dict[str, Any]) -> Event:
        event = Event(type_, now, actor, payload)
        self.new_events.append(event)
        if type_ == "deal.opened":
            self.history.append(StageMove.from_event(event))
        return event

    def _must_be_open(self) -> None:
        if self.is_closed:
            raise invalid(
                "deal_closed",
                f"The deal is closed ({self.stage}) and can no longer change.",
                "stage",
            )

    def _numbers(self) -> str:
        return ", ".join(str(c.number) for c in self.commitments) or "none yet"


def _commitment_payload(c: Commitment) -> dict[str, Any]:
    return {
        "number": c.number,
        "party": c.party.value,
        "action": c.action,
        "kind": c.kind,
        "person": c.person,
        "due": c.due.isoformat() if c.due else None,
        "status": c.status.value,
        "interaction": c.interaction,
        "source": c.source,
    }
