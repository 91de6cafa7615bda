"""Commitment extraction, one table per rule family."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dealgate.extract import extract
from dealgate.extract.clauses import clauses
from dealgate.extract.dates import find_due

FRIDAY = date(2026, 11, 27)


def read(text: str, author: str = "seller", written: date = FRIDAY) -> list[tuple[str, str | None]]:
    return [(c.party.value, c.rung) for c in extract(text, author, written)]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("I'll send the references and Raj will set up the CFO meeting.", 2),
        ("They named Olivia as lead and set kickoff for the 7th.", 1),
        ("We'll prepare the agenda; Dana will bring her leads.", 2),
        ("Demo went well. No next step agreed.", 2),
        ("The CFO approved the budget and procurement will issue the PO.", 2),
    ],
)
def test_a_new_subject_with_a_verb_starts_a_new_clause(text: str, parts: int) -> None:
    assert len(list(clauses(text))) == parts


@pytest.mark.parametrize(
    ("text", "author", "expected"),
    [
        ("Tom will send us the churn numbers by Friday.", "seller", [("buyer", "explore")]),
        ("I'll send over three references by Friday.", "seller", [("seller", None)]),
        ("Our SE will put together an ROI model.", "seller", [("seller", None)]),
        ("Our champion agreed to bring the buying committee.", "seller", [("buyer", "consensus")]),
        ("Will draft a solution outline for Nina.", "seller", [("seller", None)]),
        ("We'll get you the usage export by Friday.", "buyer", [("buyer", "explore")]),
        ("Got 20 minutes on Ken's calendar next Thursday.", "seller", [("buyer", "time")]),
    ],
    ids=[
        "named buyer",
        "first person seller",
        "our engineer is us",
        "our champion is them",
        "a subjectless promise is ours",
        "we in a buyer's email is the buyer",
        "getting time is the buyer's commitment",
    ],
)
def test_the_party_comes_from_the_subject_and_the_author(
    text: str, author: str, expected: list[tuple[str, str | None]]
) -> None:
    assert read(text, author) == expected


@pytest.mark.parametrize(
    "text",
    [
        "They'll think about it and get back to us.",
        "They might involve finance at some point.",
        "Maria seemed positive about the pricing.",
        "Let's stay in touch.",
        "Tentatively agreed to meet again, date to be decided.",
        "Will probably hear from them after the holidays.",
    ],
)
def test_vague_or_hedged_words_give_no_commitment(text: str) -> None:
    assert read(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Ken declined to set up a meeting with his CFO.",
        "Finance did not approve the budget.",
        "Priya wouldn't commit to a date for the workshop.",
        "The CFO said no to the pilot.",
        "Still chasing the signed contract.",
    ],
)
def test_refusals_give_no_commitment(text: str) -> None:
    assert read(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Sent the pricing deck.",
        "Emailed the contract to procurement.",
        "Left a voicemail for Ken.",
        "Walked Ken through the pricing model.",
    ],
)
def test_completed_seller_activities_give_no_commitment(text: str) -> None:
    assert read(text) == []


def test_a_question_commits_no_one() -> None:
    assert read("Can you send us the security whitepaper before our call?", "buyer") == []


RUNGS = [
    ("Maria accepted a 30-minute intro call for Tuesday.", "time", "intro_call_booked"),
    (
        "Dana agreed to a discovery session with her ops team.",
        "explore",
        "discovery_session_booked",
    ),
    (
        "The COO confirmed this is a top-three priority and named Sam as sponsor.",
        "change",
        "sponsor_named",
    ),
    (
        "Customer agreed to run a design workshop with us on June 2.",
        "collaborate",
        "design_workshop_held",
    ),
    (
        "Helen set up a meeting with the economic buyer for next Monday.",
        "consensus",
        "economic_buyer_meeting",
    ),
    ("Finance confirmed a budget of $120k.", "invest", "budget_confirmed"),
    (
        "The steering committee will review our proposal on the 15th.",
        "review",
        "committee_review_booked",
    ),
    (
        "Their security team agreed to complete our questionnaire.",
        "resolve",
        "security_review_started",
    ),
    ("Procurement issued the purchase order today.", "decide", "purchase_order_issued"),
    ("They named Olivia as implementation lead.", "execute", "implementation_owner_named"),
    (
        "Carlos said they will sign on the 28th, right after the board meeting.",
        "decide",
        "contract_signed",
    ),
    ("Mark signed off on the pilot success criteria today.", "invest", "success_criteria_signed"),
    ("EB mtg set 3/14", "consensus", "economic_buyer_meeting"),
    ("POC approved w/ 2 FTEs", "invest", "pilot_resourced"),
]


@pytest.mark.parametrize(("text", "rung", "kind"), RUNGS, ids=[r[1] + ": " + r[0] for r in RUNGS])
def test_the_rung_and_kind_follow_the_words(text: str, rung: str, kind: str) -> None:
    found = extract(text, "seller", FRIDAY)
    assert [(c.rung, c.kind) for c in found] == [(rung, kind)]


def test_person_action_span_and_kept_are_read() -> None:
    text = "I'll send references and Raj will set up the CFO meeting for the 12th."
    seller, buyer = extract(text, "seller", FRIDAY)
    assert buyer.person == "Raj" and buyer.due == date(2026, 12, 12) and not buyer.kept
    assert text[buyer.span[0] : buyer.span[1]].startswith("Raj will set up")
    assert buyer.action.startswith("will set up the CFO meeting")
    assert seller.person is None and seller.span[0] == 0
    signed = extract("Contract signed by the CEO this morning.", "seller", FRIDAY)[0]
    assert signed.kept and signed.due == FRIDAY


DATES = [
    ("next Thursday", date(2026, 11, 27), date(2026, 12, 3)),
    ("by Friday", date(2026, 11, 27), date(2026, 12, 4)),
    ("this Friday", date(2026, 11, 25), date(2026, 11, 27)),
    ("the 12th", date(2026, 11, 27), date(2026, 12, 12)),
    ("the 2nd", date(2026, 12, 30), date(2027, 1, 2)),
    ("the 31st", date(2026, 11, 5), date(2026, 12, 31)),
    ("the 31st", date(2027, 1, 31), date(2027, 1, 31)),
    ("the 30th", date(2027, 1, 31), date(2027, 3, 30)),
    ("by end of Q3", date(2026, 11, 27), date(2027, 9, 30)),
    ("by end of Q4", date(2026, 11, 27), date(2026, 12, 31)),
    ("end of the month", date(2027, 2, 10), date(2027, 2, 28)),
    ("end of the month", date(2028, 2, 10), date(2028, 2, 29)),
    ("3/2", date(2026, 11, 27), date(2027, 3, 2)),
    ("1/5", date(2026, 12, 29), date(2027, 1, 5)),
    ("12/31", date(2026, 12, 20), date(2026, 12, 31)),
    ("Tuesday 14 March", date(2026, 11, 27), date(2027, 3, 14)),
    ("on Jan 3", date(2026, 12, 28), date(2027, 1, 3)),
    ("in two weeks", date(2026, 12, 24), date(2027, 1, 7)),
    ("next week", date(2026, 12, 30), date(2027, 1, 8)),
    ("tomorrow", date(2026, 12, 31), date(2027, 1, 1)),
    ("EOD", date(2026, 11, 27), date(2026, 11, 27)),
    ("2027-02-01", date(2026, 11, 27), date(2027, 2, 1)),
]


@pytest.mark.parametrize(
    ("phrase", "written", "due"), DATES, ids=[f"{p} written {w}" for p, w, _ in DATES]
)
def test_due_dates_resolve_against_the_writing_date(phrase: str, written: date, due: date) -> None:
    found = find_due(f"Ken will send it {phrase}.", written)
    assert found is not None and found.value == due


DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize(
    "name",
    [
        "notes-unseen.jsonl",
        "notes-holdout.jsonl",
        "notes-fresh.jsonl",
        "notes-fresh2.jsonl",
        "notes-fresh3.jsonl",
    ],
)
def test_the_labelled_sets_are_read_well(name: str) -> None:
    from bench.extract_eval import evaluate

    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    figures = evaluate(rows)
    assert figures["buyer_f1"] >= 0.9 and figures["exact_sentences"] >= 0.85, figures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call w/ Mark: he agreed to loop in their CTO next week.", [("buyer", "consensus")]),
        ("Next steps: I'll send the deck.", [("seller", None)]),
    ],
    ids=["a short label before a colon is not a clause", "the clause after the label is read"],
)
def test_labels_before_a_colon(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert read(text) == expected


def test_the_buyers_words_quoted_in_a_note_are_the_buyers() -> None:
    text = "Raj: 'we'll get you the data by Friday'"
    (found,) = extract(text, "seller", FRIDAY)
    assert (found.party.value, found.rung, found.person) == ("buyer", "explore", "Raj")
    assert text[found.span[0] : found.span[1]].startswith("we'll get you the data")


def test_a_meeting_we_both_agreed_is_the_buyers_time() -> None:
    assert read("Anna accepted; we'll meet on the 4th.") == [("buyer", "time")]
    assert read("We'll send the agenda before we meet.") == [("seller", None)]
