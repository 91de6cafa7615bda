"""Commitment lifecycle, interaction outcomes and the ladder, as business rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from dealgate.domain.commitment import Party, Status, can_transition
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.domain.interaction import InteractionKind, Outcome
from dealgate.domain.ladder import Rung
from dealgate.domain.stakeholder import Role, likely_member
from tests.builders import PROCESS, a_deal, at, buyer_commits

LIFECYCLE = [
    (Status.ASKED, Status.OBTAINED, True),
    (Status.ASKED, Status.DECLINED, True),
    (Status.OBTAINED, Status.KEPT, True),
    (Status.OBTAINED, Status.BROKEN, True),
    (Status.OBTAINED, Status.WITHDRAWN, True),
    (Status.INFERRED, Status.OBTAINED, True),
    (Status.INFERRED, Status.REJECTED, True),
    (Status.ASKED, Status.KEPT, False),
    (Status.DECLINED, Status.OBTAINED, False),
    (Status.KEPT, Status.BROKEN, False),
    (Status.BROKEN, Status.OBTAINED, False),
    (Status.OBTAINED, Status.ASKED, False),
]


@pytest.mark.parametrize(("before", "after", "allowed"), LIFECYCLE)
def test_commitment_lifecycle(before: Status, after: Status, allowed: bool) -> None:
    assert can_transition(before, after) is allowed


NEXT = [
    # rule, the statuses it went through, what a person is offered next
    ("an asked commitment is obtained or declined", [Status.ASKED], ("obtained", "declined")),
    (
        "an obtained commitment is kept, broken or withdrawn",
        [Status.OBTAINED],
        ("kept", "broken", "withdrawn"),
    ),
    ("a kept commitment is done with", [Status.KEPT], ()),
    ("a broken commitment is done with", [Status.OBTAINED, Status.BROKEN], ()),
    ("a declined commitment is done with", [Status.ASKED, Status.DECLINED], ()),
    ("an inferred commitment is confirmed or rejected instead", [Status.INFERRED], ()),
]


@pytest.mark.parametrize(("rule", "path", "offered"), NEXT, ids=[n[0] for n in NEXT])
def test_where_a_person_may_move_a_commitment_next(
    rule: str, path: list[Status], offered: tuple[str, ...]
) -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", status=path[0])
    for status in path[1:]:
        deal.set_commitment_status(c.number, status, now=at(2), actor="alice")
    assert tuple(s.value for s in c.next_statuses) == offered, rule
    assert all(can_transition(c.status, s) for s in c.next_statuses)


def test_an_illegal_status_change_is_refused_and_names_the_allowed_ones() -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", status=Status.ASKED)
    with pytest.raises(DealgateError) as caught:
        deal.set_commitment_status(c.number, Status.KEPT, now=at(2), actor="alice")
    assert caught.value.codes == ["invalid_transition"]
    assert "declined" in caught.value.details[0].message and c.status is Status.ASKED


def test_obtaining_an_asked_commitment_stamps_when_it_was_obtained() -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", status=Status.ASKED)
    assert c.obtained_at is None
    deal.set_commitment_status(c.number, Status.OBTAINED, now=at(3), actor="alice")
    assert c.obtained_at == at(3)


def test_a_seller_promise_has_no_kind() -> None:
    deal = a_deal()
    with pytest.raises(DealgateError) as caught:
        deal.add_commitment(
            PROCESS,
            party=Party.SELLER,
            action="Send references",
            kind="budget_confirmed",
            now=at(1),
            actor="alice",
        )
    assert caught.value.codes == ["kind_on_seller_commitment"]


def test_a_kind_outside_the_catalogue_is_refused() -> None:
    with pytest.raises(DealgateError) as caught:
        buyer_commits(a_deal(), "handshake")
    assert caught.value.codes == ["unknown_kind"]


def test_a_new_commitment_cannot_start_broken() -> None:
    with pytest.raises(DealgateError) as caught:
        buyer_commits(a_deal(), "first_meeting_accepted", status=Status.BROKEN)
    assert caught.value.codes == ["invalid_status"]


def _outcome(kind: str | None, party: Party, status: Status, declined: bool = False) -> Outcome:
    deal = a_deal()
    i = deal.add_interaction(
        kind=InteractionKind.MEETING,
        on=at(1).date(),
        summary="Met",
        now=at(1),
        actor="alice",
        client_declined=declined,
    )
    if party is not None and status is not None:
        deal.add_commitment(
            PROCESS,
            party=party,
            action="Something",
            kind=kind,
            person="Raj Patel",
            due=at(5).date(),
            status=status,
            interaction=i.number,
            now=at(1),
            actor="alice",
        )
    return deal.outcome(i)


OUTCOMES = [
    (
        "an obtained buyer commitment makes an advance",
        "data_shared",
        Party.BUYER,
        Status.OBTAINED,
        False,
        Outcome.ADVANCE,
    ),
    (
        "a buyer commitment on the decide rung makes an order",
        "contract_signed",
        Party.BUYER,
        Status.KEPT,
        False,
        Outcome.ORDER,
    ),
    (
        "a seller promise is a continuation",
        None,
        Party.SELLER,
        Status.OBTAINED,
        False,
        Outcome.CONTINUATION,
    ),
    (
        "an ask the buyer has not given is a continuation",
        "data_shared",
        Party.BUYER,
        Status.ASKED,
        False,
        Outcome.CONTINUATION,
    ),
    (
        "a client declining outright is a no-sale",
        None,
        Party.SELLER,
        Status.OBTAINED,
        True,
        Outcome.NO_SALE,
    ),
]


@pytest.mark.parametrize(
    ("rule", "kind", "party", "status", "declined", "expected"),
    OUTCOMES,
    ids=[o[0] for o in OUTCOMES],
)
def test_interaction_outcome(
    rule: str, kind: str | None, party: Party, status: Status, declined: bool, expected: Outcome
) -> None:
    assert _outcome(kind, party, status, declined) is expected, rule


def test_the_ladder_climbs_from_time_to_execute() -> None:
    assert [r.level for r in Rung] == list(range(1, 11))
    assert Rung.TIME.level < Rung.CONSENSUS.level < Rung.DECIDE.level < Rung.EXECUTE.level
    assert Rung.from_level(5) is Rung.CONSENSUS


def test_every_default_stage_exits_on_the_rungs_of_the_design() -> None:
    expected = {
        "prospect": {"time"},
        "discover": {"explore"},
        "change": {"change"},
        "design": {"collaborate", "consensus"},
        "propose": {"invest", "review"},
        "resolve": {"resolve"},
        "decide": {"decide"},
    }
    actual = {s.key: {PROCESS.kinds[k].rung.value for k in s.exit} for s in PROCESS}
    assert actual == expected


def test_every_kind_of_an_exit_rung_is_on_the_menu() -> None:
    for stage in PROCESS:
        rungs = {PROCESS.kinds[k].rung for k in stage.exit}
        of_rungs = {k.key for k in PROCESS.kinds.values() if k.rung in rungs}
        assert set(stage.exit) == of_rungs, stage.key


def test_the_evidenced_stage_follows_the_highest_rung() -> None:
    assert PROCESS.evidenced_stage(None) == "prospect"
    assert PROCESS.evidenced_stage(Rung.TIME) == "discover"
    assert PROCESS.evidenced_stage(Rung.CONSENSUS) == "propose"
    assert PROCESS.evidenced_stage(Rung.DECIDE) == "won"


@pytest.mark.parametrize(
    ("stage", "highest", "backed"),
    [
        ("prospect", None, True),
        ("discover", None, False),
        ("discover", Rung.TIME, True),
        ("propose", Rung.TIME, False),
        ("propose", Rung.CONSENSUS, True),
        ("decide", Rung.CONSENSUS, False),
        ("decide", Rung.DECIDE, True),
    ],
)
def test_a_stage_is_backed_when_the_buyers_highest_rung_evidences_it(
    stage: str, highest: Rung | None, backed: bool
) -> None:
    assert PROCESS.backs(stage, highest) is backed


NUL = "Raj\x00Patel"
# Every text a deal takes from a person, each with a NUL character in it.
NUL_TEXTS = {
    "name": lambda d: d.update(name=NUL, now=at(1), actor="alice"),
    "account": lambda d: d.update(account=NUL, now=at(1), actor="alice"),
    "stakeholder name": lambda d: d.add_stakeholder(
        name=NUL, role=Role.USER, now=at(1), actor="alice"
    ),
    "stakeholder title": lambda d: d.add_stakeholder(
        name="Ola", role=Role.USER, title=NUL, now=at(1), actor="alice"
    ),
    "stakeholder notes": lambda d: d.add_stakeholder(
        name="Ola", role=Role.USER, notes=NUL, now=at(1), actor="alice"
    ),
    "commitment action": lambda d: d.add_commitment(
        PROCESS, party=Party.SELLER, action=NUL, now=at(1), actor="alice"
    ),
    "commitment person": lambda d: d.add_commitment(
        PROCESS, party=Party.SELLER, action="Send", person=NUL, now=at(1), actor="alice"
    ),
    "interaction summary": lambda d: d.add_interaction(
        kind=InteractionKind.CALL, on=at(1).date(), summary=NUL, now=at(1), actor="alice"
    ),
    "dissatisfaction": lambda d: d.document_dissatisfaction(NUL, now=at(1), actor="alice"),
    "override reason": lambda d: d.advance(PROCESS, now=at(1), actor="m", override_reason=NUL),
    "lost reason": lambda d: d.close_lost(NUL, now=at(1), actor="alice"),
}


@pytest.mark.parametrize("change", NUL_TEXTS.values(), ids=NUL_TEXTS.keys())
def test_text_with_a_nul_character_is_refused_wherever_a_deal_takes_it(change: Any) -> None:
    """PostgreSQL cannot keep one; refused here, every front end says so the same way."""
    deal = a_deal()
    before = (deal.name, len(deal.stakeholders), len(deal.commitments), len(deal.new_events))
    with pytest.raises(DealgateError) as caught:
        change(deal)
    assert caught.value.codes == ["invalid_text"] and caught.value.status == 422
    assert "NUL" in caught.value.details[0].message
    assert (
        deal.name,
        len(deal.stakeholders),
        len(deal.commitments),
        len(deal.new_events),
    ) == before


@pytest.mark.parametrize(
    ("fields", "recorded"),
    [
        ({"name": "Fleet rollout"}, {"name": "Fleet rollout"}),
        ({"name": "Fleet tracking", "account": "Acme"}, None),  # both as they are
        ({"amount": Decimal("48000")}, {"amount": "48000"}),
        ({"amount": Decimal("0")}, {"amount": "0"}),
        ({"owner": "alice"}, None),
        ({"owner": "bruno", "name": "Fleet tracking"}, {"owner": "bruno"}),
    ],
)
def test_a_deal_update_records_only_the_fields_whose_value_changes(
    fields: dict[str, Any], recorded: dict[str, Any] | None
) -> None:
    deal = a_deal()
    deal.update(now=at(1), actor="alice", **fields)
    updates = [e.payload for e in deal.new_events if e.type == "deal.updated"]
    assert updates == ([] if recorded is None else [recorded])


@pytest.mark.parametrize(
    ("amount", "kept"),
    [
        (Decimal("48000"), Decimal("48000")),
        (Decimal("0"), Decimal("0")),
        (Decimal("-0"), Decimal("0")),
        (Decimal("12.5"), Decimal("12.5")),
        (Decimal("1e13"), Decimal("1e13")),
        (Decimal("-1"), None),
        (Decimal("1e400"), None),
        (Decimal("10000000000000.01"), None),
        (Decimal("Infinity"), None),
        (Decimal("NaN"), None),
        (Decimal("1.005"), None),
    ],
)
def test_a_deal_carries_an_amount_from_zero_to_ten_trillion_in_cents(
    amount: Decimal, kept: Decimal | None
) -> None:
    for change in (
        lambda: a_deal().update(amount=amount, now=at(1), actor="alice"),
        lambda: Deal.open(
            PROCESS, name="X", account="Y", owner="alice", now=at(0), actor="alice", amount=amount
        ),
    ):
        if kept is None:
            with pytest.raises(DealgateError) as caught:
                change()
            assert caught.value.codes == ["invalid_amount"]
        else:
            change()
    if kept is not None:
        deal = a_deal()
        deal.update(amount=amount, now=at(1), actor="alice")
        assert deal.amount == kept and str(deal.amount) != "-0"


def _inferred(deal: Deal) -> None:
    buyer_commits(deal, "first_meeting_accepted", status=Status.INFERRED)


EVIDENCE = {
    "no_commitment_at_all": ([], False),
    "an_inferred_buyer_commitment_alone": ([_inferred], True),
    "inferred_and_one_asked_for": (
        [_inferred, lambda d: buyer_commits(d, "intro_call_booked", status=Status.ASKED)],
        True,
    ),
    "inferred_and_one_obtained": ([_inferred, lambda d: buyer_commits(d, "demo_accepted")], False),
    "inferred_and_one_kept": (
        [_inferred, lambda d: buyer_commits(d, "data_shared", status=Status.KEPT)],
        False,
    ),
    "the_inferred_one_confirmed": (
        [_inferred, lambda d: d.confirm_commitment(1, now=at(2), actor="alice")],
        False,
    ),
    "the_inferred_one_rejected": (
        [
            _inferred,
            lambda d: d.set_commitment_status(1, Status.REJECTED, now=at(2), actor="alice"),
        ],
        False,
    ),
    "a_closed_deal": (
        [_inferred, lambda d: d.close_lost("No budget", now=at(3), actor="alice")],
        False,
    ),
}


@pytest.mark.parametrize(("steps", "expected"), EVIDENCE.values(), ids=EVIDENCE.keys())
def test_an_open_deal_rests_only_on_inferred_evidence_until_a_buyer_commitment_is_held(
    steps: list[Any], expected: bool
) -> None:
    deal = a_deal()
    for step in steps:
        step(deal)
    assert deal.rests_only_on_inferred_evidence is expected


def _seller_inferred(deal: Deal) -> None:
    deal.add_commitment(
        PROCESS,
        party=Party.SELLER,
        action="We'll send the references",
        status=Status.INFERRED,
        now=at(1),
        actor="import",
    )


def _kept_inferred(deal: Deal) -> None:
    c = buyer_commits(deal, "data_shared", status=Status.INFERRED)
    c.kept_on = date(2026, 3, 3)  # the note said it was done


# The steps that make a deal's commitments; the numbers picked; confirm (or reject); the
# numbers settled now; every commitment's status after.
SETTLING = {
    "confirming_many_makes_each_buyer_commitment_obtained": (
        [_inferred, _inferred, _inferred],
        [1, 3],
        True,
        [1, 3],
        ["obtained", "inferred", "obtained"],
    ),
    "rejecting_many_rejects_each": (
        [_inferred, _inferred, _inferred],
        [3, 1, 2],
        False,
        [1, 2, 3],
        ["rejected", "rejected", "rejected"],
    ),
    "one_already_settled_by_someone_else_keeps_their_choice": (
        [
            _inferred,
            _inferred,
            lambda d: d.set_commitment_status(2, Status.REJECTED, now=at(2), actor="bob"),
        ],
        [1, 2],
        True,
        [1],
        ["obtained", "rejected"],
    ),
    "a_commitment_never_inferred_is_left_as_it_is": (
        [_inferred, lambda d: buyer_commits(d, "demo_accepted", status=Status.ASKED)],
        [1, 2],
        False,
        [1],
        ["rejected", "asked"],
    ),
    "a_number_the_deal_does_not_have_is_passed_over": (
        [_inferred],
        [1, 9],
        True,
        [1],
        ["obtained"],
    ),
    "a_confirmed_note_saying_it_was_done_makes_it_kept": (
        [_kept_inferred],
        [1],
        True,
        [1],
        ["kept"],
    ),
    "confirming_at_once_takes_one_naming_no_stakeholder_as_it_is_for_naming_later": (
        [_inferred, lambda d: _unnamed_redlines(d)],
        [1, 2],
        True,
        [1, 2],
        ["obtained", "obtained"],
    ),
    "confirming_at_once_names_the_one_member_a_first_name_means": (
        [lambda d: buyer_commits(d, "data_shared", person="raj", status=Status.INFERRED)],
        [1],
        True,
        [1],
        ["obtained"],
    ),
    "rejecting_at_once_takes_one_naming_no_stakeholder_too": (
        [_inferred, lambda d: _unnamed_redlines(d)],
        [1, 2],
        False,
        [1, 2],
        ["rejected", "rejected"],
    ),
    "a_confirmed_seller_promise_is_obtained_not_kept": (
        [_seller_inferred],
        [1],
        True,
        [1],
        ["obtained"],
    ),
}


@pytest.mark.parametrize(
    ("steps", "picked", "confirm", "settled", "after"), SETTLING.values(), ids=SETTLING
)
def test_settling_several_inferred_commitments_at_once(
    steps: list[Any], picked: list[int], confirm: bool, settled: list[int], after: list[str]
) -> None:
    deal = a_deal()
    for step in steps:
        step(deal)
    done = deal.settle_inferred(picked, confirm=confirm, now=at(5), actor="maria")
    assert [c.number for c in done] == settled
    assert [c.status.value for c in deal.commitments] == after
    recorded = [e for e in deal.new_events if e.actor == "maria"]
    assert [e.payload["number"] for e in recorded] == settled


def test_a_closed_deals_inferred_commitments_cannot_be_settled() -> None:
    deal = a_deal()
    _inferred(deal)
    deal.close_lost("No budget", now=at(3), actor="alice")
    with pytest.raises(DealgateError) as refused:
        deal.settle_inferred([1], confirm=True, now=at(5), actor="maria")
    assert refused.value.details[0].code == "deal_closed"
    assert deal.commitments[0].status is Status.INFERRED


def _unnamed_redlines(deal: Deal) -> None:
    buyer_commits(deal, "legal_review_started", person=None, status=Status.INFERRED)


# Who the note named; who the confirmer names; the person the commitment then carries, or the
# refusal's code.
NAMING = {
    "a_note_naming_no_one_is_confirmed_as_from_a_stakeholder": (None, "Raj Patel", "Raj Patel"),
    "the_committees_spelling_is_kept": (None, "  raj PATEL ", "Raj Patel"),
    "naming_no_one_keeps_what_the_note_said": ("Legal", "", "Legal"),
    "a_name_off_the_committee_is_refused": (None, "Priya Shah", "not_a_stakeholder"),
}


@pytest.mark.parametrize(("noted", "named", "expected"), NAMING.values(), ids=NAMING)
def test_confirming_names_who_on_the_buyers_side_committed(
    noted: str | None, named: str, expected: str
) -> None:
    deal = a_deal("resolve")
    buyer_commits(deal, "legal_review_started", person=noted, status=Status.INFERRED)
    if expected == "not_a_stakeholder":
        with pytest.raises(DealgateError) as refused:
            deal.confirm_commitment(1, now=at(2), actor="maria", person=named)
        assert refused.value.codes == [expected]
        assert deal.commitments[0].status is Status.INFERRED
        assert deal.commitments[0].person is None
        return
    c = deal.confirm_commitment(1, now=at(2), actor="maria", person=named)
    assert (c.person, c.status) == (expected, Status.OBTAINED)
    said = deal.new_events[-1].payload
    assert said.get("person") == (expected if named.strip() else None)


def test_a_commitment_confirmed_from_a_named_stakeholder_opens_the_gate() -> None:
    deal = a_deal("resolve")
    _unnamed_redlines(deal)
    deal.confirm_commitment(1, now=at(2), actor="maria")
    assert "no_buyer_person" in [v.code for v in deal.gate(PROCESS).violations]
    other = a_deal("resolve")
    _unnamed_redlines(other)
    other.confirm_commitment(1, now=at(2), actor="maria", person="Raj Patel")
    assert other.gate(PROCESS).allowed


def test_our_own_promise_names_no_buyer_when_confirmed() -> None:
    deal = a_deal()
    _seller_inferred(deal)
    with pytest.raises(DealgateError) as refused:
        deal.confirm_commitment(1, now=at(2), actor="maria", person="Raj Patel")
    assert refused.value.codes == ["not_a_buyer_commitment"]
    assert deal.commitments[0].person is None


def test_a_first_name_confirmed_at_once_becomes_the_members_full_name() -> None:
    deal = a_deal()
    buyer_commits(deal, "data_shared", person="raj", status=Status.INFERRED)
    deal.settle_inferred([1], confirm=True, now=at(2), actor="maria")
    assert deal.commitments[0].person == "Raj Patel"
    assert deal.new_events[-1].payload["person"] == "Raj Patel"


# A note's name; the committee; the member it likely means ("" for none).
LIKELY = {
    "a_first_name_means_the_only_member_so_called": (
        "Raj",
        ["Raj Patel", "Lena Ross"],
        "Raj Patel",
    ),
    "in_any_case": ("raj", ["Raj Patel"], "Raj Patel"),
    "a_full_name_means_that_member_as_the_committee_spells_it": (
        " raj patel",
        ["Raj Patel"],
        "Raj Patel",
    ),
    "two_members_of_that_first_name_mean_neither": ("Raj", ["Raj Patel", "Raj Kumar"], ""),
    "a_full_name_off_the_committee_means_no_one": ("Raj Singh", ["Raj Patel"], ""),
    "a_department_means_no_one": ("Legal", ["Priya Shah"], ""),
    "no_name_means_no_one": (None, ["Priya Shah"], ""),
}


@pytest.mark.parametrize(("name", "committee", "likely"), LIKELY.values(), ids=LIKELY)
def test_the_member_a_notes_name_likely_means(
    name: str | None, committee: list[str], likely: str
) -> None:
    assert likely_member(name, committee) == likely


def _seller_inferred_confirmed(deal: Deal) -> None:
    _seller_inferred(deal)
    deal.confirm_commitment(1, now=at(2), actor="import")


def _confirmed_unnamed(deal: Deal) -> None:
    _unnamed_redlines(deal)
    deal.confirm_commitment(1, now=at(2), actor="import")


# How commitment #1 came to be; who is named; the person it then carries, or the refusal.
NAMING_LATER = {
    "a_confirmed_note_that_named_no_one_is_given_its_stakeholder": (
        _confirmed_unnamed,
        "raj patel",
        "Raj Patel",
    ),
    "a_commitment_typed_with_someone_off_the_committee_is_given_its_stakeholder": (
        lambda d: buyer_commits(d, "legal_review_started", person="Legal"),
        "Raj Patel",
        "Raj Patel",
    ),
    "a_commitment_naming_a_member_keeps_them": (
        lambda d: buyer_commits(d, "legal_review_started"),
        "Raj Patel",
        "already_named",
    ),
    "a_note_waiting_for_confirmation_is_named_as_it_is_confirmed": (
        _unnamed_redlines,
        "Raj Patel",
        "not_confirmed",
    ),
    "someone_off_the_committee_cannot_be_named": (_confirmed_unnamed, "Ken", "not_a_stakeholder"),
    "our_own_promise_names_no_buyer": (
        _seller_inferred_confirmed,
        "Raj Patel",
        "not_a_buyer_commitment",
    ),
}


@pytest.mark.parametrize(("made", "named", "expected"), NAMING_LATER.values(), ids=NAMING_LATER)
def test_naming_who_made_a_recorded_buyer_commitment(made: Any, named: str, expected: str) -> None:
    deal = a_deal("resolve")
    made(deal)
    before = deal.commitments[0].person
    if expected[0].islower():  # a refusal's code
        with pytest.raises(DealgateError) as refused:
            deal.name_who_committed(1, named, now=at(3), actor="maria")
        assert refused.value.codes == [expected] and deal.commitments[0].person == before
        return
    c = deal.name_who_committed(1, named, now=at(3), actor="maria")
    assert c.person == expected
    assert deal.new_events[-1].payload == {"number": 1, "from": before, "to": expected}
    assert deal.gate(PROCESS).allowed  # the gate takes it now


def test_a_member_chosen_for_a_note_naming_no_one_is_named_as_the_ticked_ones_are_confirmed() -> (
    None
):
    deal = a_deal("resolve")
    _unnamed_redlines(deal)
    _unnamed_redlines(deal)
    deal.settle_inferred([1, 2], confirm=True, now=at(5), actor="maria", persons={1: "Raj Patel"})
    assert [c.person for c in deal.commitments] == ["Raj Patel", None]
    assert deal.unnamed_held() == {2: ""}  # left for naming later


def test_the_highest_rung_in_the_notes_counts_only_buyer_commitments_still_waiting() -> None:
    deal = a_deal()
    assert deal.highest_rung_in_notes is None
    buyer_commits(deal, "budget_confirmed")  # held: evidence already, not a note waiting
    buyer_commits(deal, "discovery_session_booked", status=Status.INFERRED)
    buyer_commits(deal, "contract_signed", status=Status.INFERRED)
    deal.set_commitment_status(3, Status.REJECTED, now=at(2), actor="maria")
    _seller_inferred(deal)
    assert deal.highest_rung_in_notes == 2  # explore: the contract was rejected
