"""Splitting a note into clauses that can each hold one commitment.

"I'll send the references and Raj will set up the CFO meeting" is two clauses; "They named
Olivia as lead and set kickoff for the 7th" is one: a split needs a new subject and verb.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Sentence ends, semicolons, new lines, dashes between words and pipes always split.
_HARD = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z\"'(])|\s*;\s*|\s*\n+\s*|\s+[-\u2013\u2014]{1,2}\s+|\s*\|\s*"
)
# "so" is left out: "so we can co-design it" is the purpose of the same commitment.
_SOFT = re.compile(r"\s*[,:]\s*(?:and|but|while|then)?\s*|\s+(?:and|but|while|whereas)\s+", re.I)
# A clause of its own starts with a subject and a verb of commitment or promise.
_SUBJECT_VERB = re.compile(
    r"^(?:i|i'll|i've|i'd|i'm|we|we'll|we've|we'd|we're|they|they'll|they've|he|she|he'll"
    r"|she'll|you|you'll|(?:our|their|the|his|her|my|your)\s+[\w-]+(?:\s+[\w-]+)?"
    r"|[A-Z][\w.-]*(?:'s)?(?:\s+[A-Z][\w-]*)?(?:'s\s+[\w-]+)?"
    r"|[a-z][\w-]*(?=\s+(?:will|'ll|agreed|booked|signed|committed|confirmed|approved"
    r"|shared|scheduled|accepted)\b))\s*"
    r"(?:will|'ll|shall|would|agreed|accepted|booked|committed|confirmed|signed|issued|named"
    r"|set|sets|shared|sent|is|are|has|have|had|said|approved|assigned|started|invited"
    r"|introduced|scheduled|promised|offered|need|needs|can|to|should|must|gave|granted|wants"
    r"|asked|declined|refused|already|also|just|then|send|confirm|get|bring|book|share)\b",
)


_LABEL = re.compile(
    r"^(?:next steps?|ns|action(?: items?)?|ai|todo|to-?do|reminder(?: to self)?|notes?|update"
    r"|outcome|summary|fyi|re|call|meeting|mtg|spoke|per|follow-?up|e-?mail|task|event|demo"
    r"|voicemail|log)\b",
    re.I,
)


def clauses(text: str) -> Iterator[tuple[int, int]]:
    """Spans (start, end) of the clauses of `text`, in order."""
    for start, end in _split(text, _HARD, 0, len(text), always=True):
        yield from _split(text, _SOFT, start, end, always=False)


def _split(
    text: str, pattern: re.Pattern[str], start: int, end: int, *, always: bool
) -> Iterator[tuple[int, int]]:
    cursor = start
    for m in pattern.finditer(text, start, end):
        right = text[m.end() : end]
        # A label before a colon ("Next step:", "Call w/ Mark: he agreed ...") is dropped.
        left = text[cursor : m.start()].strip()
        heading = ":" in m.group() and (
            _LABEL.match(left) is not None
            or (len(left.split()) <= 4 and _SUBJECT_VERB.match(right) is not None)
        )
        if always or heading or _SUBJECT_VERB.match(right):
            if m.start() > cursor and not heading:
                yield _trim(text, cursor, m.start())
            cursor = m.end()
    if end > cursor:
        yield _trim(text, cursor, end)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\"'(":
        start += 1
    while end > start and text[end - 1] in " \t.!,\"')":
        end -= 1
    return start, end
