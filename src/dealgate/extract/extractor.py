"""Commitments in free text: who committed, to what, by when (issue: extraction).

Rules, chosen by measurement over the labelled sets in `bench/extract_eval.py`: each clause
is read for its party (the buyer's words or our own promise), whether it commits to anything
at all (hedges, refusals, questions and finished seller chores do not), its rung and kind, the
person, the due date and whether it was already done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from dealgate.domain.commitment import Party
from dealgate.extract.clauses import clauses
from dealgate.extract.dates import find_due
from dealgate.extract.rungs import classify

HEDGES = re.compile(
    r"\b(?:might|maybe|perhaps|possibly|probably|potentially|likely|at some point|sometime"
    r"|some time|someday|tentative(?:ly)?|tbd|tbc|to be (?:decided|determined|confirmed)"
    r"|not sure|unsure|think(?:ing)? (?:about|it over)|consider(?:ing)?|stay in touch"
    r"|keep in touch|touch base|be in touch|get back to (?:us|me)|would love|would like"
    r"|hope(?:fully)?|seemed|seems|sounded|interested|look(?:s|ed)? good|positive|open to"
    r"|could|if (?:they|we|budget|all goes)|ideally|in principle|no rush|down the road"
    r"|wait and see|circle back|revisit|pencil(?:l)?ed in|soft yes|on their radar)\b",
    re.I,
)
REFUSALS = re.compile(
    r"\b(?:declined|refused|rejected|won't|will not|would not|wouldn't|did not|didn't"
    r"|does not|doesn't|do not|don't|not|no next step|no budget|said no|turned down|passed on"
    r"|pushed back|postponed|on hold|cancel+ed|can't|cannot|unable|never|lost|went dark"
    r"|ghosted|no show|no-show|nothing agreed|chasing|waiting (?:on|for)|awaiting"
    r"|no word|haven't heard|no reply|no response)\b",
    re.I,
)
NOT_REFUSAL = re.compile(r"\bno later than\b|\bnot only\b", re.I)

SELLER_FIRST = re.compile(
    r"^(?:i|i'll|i've|i'm|i'd|we|we'll|we've|we're|we'd|us|me|my|let me|let us|let's"
    r"|our(?!\s+(?:champion|contact|sponsor|coach|buyer|customer|client|friend|main contact)\b)"
    r"|\w+ and i|me and \w+)\b",
    re.I,
)
SELLER_INTENT_VERB = re.compile(
    r"^(?:will|'ll|promised|promise|need|needs|must|should|have to|has to|going to|plan"
    r"|planning|offered|offer|to-?do|todo|action|ai|f/u|follow(?:ing)? up|send|prepare|draft"
    r"|schedule|set up|book|put together|get|share|create|build|owe|owes|ping|call|email|chase"
    r"|remind|check|confirm|update)\b",
    re.I,
)
PAST_CHORE = re.compile(
    r"^(?:sent|emailed|called|left|had|met|presented|walked|demoed|demo'd|followed|pinged"
    r"|reached|spoke|talked|discussed|shared|forwarded|delivered|gave|showed|dropped|mailed"
    r"|texted|messaged|chatted|caught up|connected|did|went|attended|visited)\b",
    re.I,
)
SELLER_INTENT = re.compile(
    r"^(?:me|us) to \w+"
    r"|\b(?:will|'ll|shall|promised|promise|need to|needs to|must|should|have to|has to"
    r"|going to|gonna|plan to|planning to|offered|agreed to|to-?do|owe|owes|committed to)\b",
    re.I,
)
BUYER_SIGNAL = re.compile(
    r"\b(?:will|shall|agreed|agrees|accepted|accepts|booked|books|committed|commits|confirmed"
    r"|confirms|signed|signs|sign|issued|named|set|sets|shared|sent|bringing|brought|brings"
    r"|said yes|yes to|approved|approves|assigned|started|starts|invited|introduced|scheduled"
    r"|arranged|allocated|dedicated|locked in|calendar|works for (?:me|us)|see you|going to"
    r"|plan(?:ning)? to|promised|gave|given|granted|provided|returned|attached|completed"
    r"|kicked off|held|hosted|organi[sz]ed|slated|green-?lit|ok'?d|okayed|signed off|set up"
    r"|sending|send|get you|getting|on board|locked|reserved|blocked|returning|assigning"
    r"|approved|will be|'re|are|is|rcvd|recvd|received|intro'd|reviewing|staffed|nominated"
    r"|begun|began|in progress|due|to follow|works|confirming|sit in|gather|vote|provision"
    r"|made|arranging|countersigned|executed|co-?authored|authored|verbal yes|looped in"
    r"|sponsor|target|host|hosting|run|running|walk|present|presenting|pull|pulling|meet"
    r"|kicks? off|kicking off"
    r"|let's|confirm|earmarked|reserved|underway|champion|verbal"
    r"|to (?:send|share|book|set|bring|sign"
    r"|review|confirm|introduce|schedule|provide|get|look))\b"
    r"|'ll\b|\bgot\b",
    re.I,
)
QUOTE = re.compile(
    r"^\s*([A-Z][\w.-]*(?: [A-Z][\w.-]*)?)\s*:\s*[\"'\u201c\u2018](.+?)[\"'\u201d\u2019]?\s*$"
)
MUTUAL_MEETING = re.compile(
    r"^(?:we|i)(?:'ll| will| are going to)\s+(?:meet|see (?:them|him|her)|sit down)\b", re.I
)
FUTURE = re.compile(r"\b(?:will|shall|going to|plan(?:ning)? to|to)\b|'ll\b", re.I)
DONE = re.compile(
    r"\b(?:signed|issued|shared|sent|held|completed|returned|provided|attached|invited"
    r"|introduced|named|assigned|approved|kicked off|delivered|countersigned|submitted)\b",
    re.I,
)
NAME = re.compile(
    r"^([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)(?:\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?))?(?='s\b|\b)"
)
POSSESSIVE_NAME = re.compile(r"\b(?:on|with|to|from)\s+([A-Z][a-z]+)'s\b")
NOT_NAMES = frozenset(
    [
        "The",
        "Their",
        "They",
        "Them",
        "Client",
        "Customer",
        "Customers",
        "Finance",
        "Legal",
        "Procurement",
        "Board",
        "Our",
        "We",
        "I",
        "Got",
        "Contract",
        "Contracts",
        "VP",
        "Head",
        "All",
        "Attached",
        "Security",
        "Steering",
        "Management",
        "Team",
        "He",
        "She",
        "Sales",
        "Ops",
        "HR",
        "IT",
        "It",
        "Its",
        "This",
        "That",
        "These",
        "Those",
        "Great",
        "Good",
        "Thanks",
        "Thank",
        "Demo",
        "Budget",
        "Kickoff",
        "Pilot",
        "Proposal",
        "Call",
        "Meeting",
        "Everyone",
        "Nobody",
        "Someone",
        "Engineering",
        "Marketing",
        "Product",
        "Leadership",
        "Execs",
        "Exec",
        "Prospect",
        "Account",
        "Company",
        "Org",
        "Division",
        "Department",
        "Their",
        "Your",
        "You",
        "Please",
        "Next",
        "Last",
        "Also",
        "Just",
        "Then",
        "Still",
        "Already",
        "Today",
        "Tomorrow",
        "Tonight",
        "Will",
        "Would",
        "Should",
        "Could",
        "Need",
        "Needs",
        "Must",
        "Can",
        "May",
        "Might",
        "Maybe",
        "Per",
        "Re",
        "Fw",
        "Fwd",
        "Update",
        "Note",
        "Notes",
        "Follow",
        "Action",
        "Todo",
        "Agreed",
        "Confirmed",
        "Signed",
        "Booked",
        "Approved",
        "Set",
        "Sent",
        "Shared",
        "Emailed",
        "Called",
        "Met",
        "Had",
        "Left",
        "Spoke",
        "Waiting",
        "Purchasing",
        "Accounting",
        "Operations",
        "Admin",
        "Support",
        "Partner",
        "Partners",
        "Vendor",
        "Vendors",
        "Champion",
        "Sponsor",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "EB",
        "CFO",
        "CEO",
        "COO",
        "CTO",
        "CIO",
        "POC",
        "PO",
        "SE",
        "AE",
        "SDR",
        "MSA",
        "NDA",
        "SOW",
        "RFP",
        "SSO",
        "Impl",
        "Req",
        "Disco",
        "Sec",
        "Steerco",
        "Data",
        "Ops",
        "Pilot",
        "Sponsor",
        "Verbal",
        "Champion",
        "Workshop",
        "Concerns",
        "Success",
        "Following",
        "During",
    ]
)


@dataclass(frozen=True)
class Extracted:
    party: Party
    rung: str | None
    kind: str | None
    person: str | None
    action: str
    due: date | None
    kept: bool
    span: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party.value,
            "rung": self.rung,
            "kind": self.kind,
            "person": self.person,
            "action": self.action,
            "due": self.due.isoformat() if self.due else None,
            "kept": self.kept,
            "span": list(self.span),
        }


def extract_many(texts: list[tuple[str, date]]) -> list[list[Extracted]]:
    """The commitments of each seller's (text, written on) pair: one call per batch, for a
    worker process of an import's text pass."""
    return [extract(text, "seller", written) for text, written in texts]


def extract(text: str, author: str = "seller", written: date | None = None) -> list[Extracted]:
    """The commitments in `text`, written by `author` ('seller' or 'buyer') on `written`."""
    on = written or date.today()
    if not date(1900, 1, 1) <= on <= date(9000, 12, 31):
        return []  # no sensible "next Tuesday" near the ends of the calendar
    quoted = QUOTE.match(text)
    if quoted and author == "seller":
        # `Raj: "we'll get you the data"`: the buyer's own words, quoted in our note.
        inner = [
            replace(
                c,
                person=c.person or quoted.group(1),
                span=(c.span[0] + quoted.start(2), c.span[1] + quoted.start(2)),
            )
            for c in extract(quoted.group(2), "buyer", on)
        ]
        return inner
    found: list[Extracted] = []
    for start, end in clauses(text):
        clause = text[start:end]
        item = _read_clause(clause, author, on, start)
        if item is None:
            continue
        # Two clauses of one sentence naming the same kind are one commitment told twice.
        if item.kind is not None and any(
            f.kind == item.kind and _same_sentence(text, f.span[1], item.span[0]) for f in found
        ):
            continue
        found.append(item)
    return found


def _same_sentence(text: str, left_end: int, right_start: int) -> bool:
    return not re.search(r"[.!?;\n]", text[left_end:right_start])


def _read_clause(clause: str, author: str, written: date, offset: int) -> Extracted | None:
    if not clause or clause.rstrip().endswith("?"):
        return None  # a question asks; it commits no one
    if HEDGES.search(clause):
        return None
    if REFUSALS.search(NOT_REFUSAL.sub("", clause)):
        return None
    party = _party(clause, author)
    if party is None:
        return None
    span = (offset, offset + len(clause))
    if party is Party.SELLER:
        if not (SELLER_INTENT.search(clause) or SELLER_INTENT_VERB.match(clause)):
            return None  # a finished chore, not a promise
        due_found = find_due(clause, written)
        due = due_found.value if due_found else None
        return Extracted(party, None, None, None, _action(clause), due, False, span)
    signal = BUYER_SIGNAL.search(clause)
    if signal is None:
        return None
    lowered = clause.lower()
    rule = classify(lowered, lowered[signal.start() :])
    if rule is None:
        return None
    # Dates are read last: most clauses are not commitments and never need them.
    due_found = find_due(clause, written)
    due = due_found.value if due_found else None
    future = FUTURE.search(clause) is not None
    done = DONE.search(clause) is not None
    kept = done and not future and (due is None or due <= written)
    if due is None and due_found is None and kept:
        due = written
    return Extracted(
        party,
        rule.rung.value,
        rule.kind,
        _person(clause) if author == "seller" else None,
        _action(clause[signal.start() :]),
        due,
        kept,
        span,
    )


def _party(clause: str, author: str) -> Party | None:
    """Whose commitment a clause would be: the buyer's, ours, or nobody's (a finished chore)."""
    first_person = SELLER_FIRST.match(clause) is not None
    if author == "buyer":
        if re.match(r"^(?:you|you'll|your)\b", clause, re.I):
            return Party.SELLER if SELLER_INTENT.search(clause) else None
        return Party.BUYER
    if first_person:
        # "We'll meet on the 4th": a meeting both sides agreed is the buyer's time, not our chore.
        if MUTUAL_MEETING.match(clause):
            return Party.BUYER
        return Party.SELLER
    if re.match(r"^got\b", clause, re.I):
        return Party.BUYER  # "Got 20 minutes on Ken's calendar": the buyer gave time
    if PAST_CHORE.match(clause):
        return None
    if SELLER_INTENT_VERB.match(clause) and not re.search(r"\b(?:went|was|were)\b", clause):
        return Party.SELLER  # "Will draft the outline", "Need to send the deck"
    return Party.BUYER


def _person(clause: str) -> str | None:
    m = NAME.match(clause)
    if m and m.group(1) not in NOT_NAMES:
        last = m.group(2)
        return f"{m.group(1)} {last}" if last and last not in NOT_NAMES else m.group(1)
    possessive = POSSESSIVE_NAME.search(clause)
    if possessive and possessive.group(1) not in NOT_NAMES:
        return possessive.group(1)
    return None


def _action(text: str) -> str:
    words = text.split()
    short = " ".join(words[:9])
    return short.rstrip(".,;") + ("..." if len(words) > 9 else "")
