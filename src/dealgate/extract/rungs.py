"""Which rung and catalogue kind a buyer commitment is on, read from its words.

Rules are tried from the top: the most specific and highest commitments first, so "will sign
after the board meeting" is a decision and not a meeting. Consensus words are matched in the
predicate only: "the CFO confirmed it is a priority" is a change, "set up the CFO meeting" is
consensus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dealgate.domain.ladder import Rung


@dataclass(frozen=True)
class RungRule:
    rung: Rung
    kind: str
    pattern: re.Pattern[str]
    predicate_only: bool = False


def _r(rung: Rung, kind: str, pattern: str, predicate_only: bool = False) -> RungRule:
    # Callers pass lower-cased text: case-sensitive patterns are markedly faster.
    return RungRule(rung, kind, re.compile(pattern), predicate_only)


TITLES = (
    r"(?:economic buyer|\beb\b|\bcfo\b|\bceo\b|\bcio\b|\bcto\b|\bcoo\b|\bcmo\b|\bcro\b|\bciso\b"
    r"|\bvp\b|vice president|president|head of|\bdirectors?\b|\bboard\b|decision[- ]makers?"
    r"|executives?|\bexecs?\b|\bsvp\b|\bevp\b|managing director|owner of the budget|budget holder)"
)

# Titles who hold the budget: meeting them is consensus, not just time.
EB_TITLES = (
    r"(?:economic buyer|\beb\b|\bcfo\b|\bceo\b|\bpresident\b|owner of the budget"
    r"|budget holder|\bboss\b|\bgm\b|general manager|managing director)"
)

RULES: tuple[RungRule, ...] = (
    _r(Rung.EXPLORE, "data_shared", r"\bnda\b"),
    _r(Rung.DECIDE, "purchase_order_issued", r"purchase order|\bp\.?o\.?\b(?! box)|\bpo number"),
    _r(
        Rung.DECIDE,
        "contract_signed",
        r"\b(?:signed|signs|sign|signing|countersigned|e-?signed|docusigned)\b"
        r"(?!\s*-?\s*off)(?!(?:\s+\w+){1,2}\s+off\b)(?!\s+the nda)"
        r"|signature|dotted line|\bverbal\b(?! only)|selected us|chose us|picked us"
        r"|\bawarded\b|closed[- ]won|preferred vendor|paper to follow|(?:to )?a decision by"
        r"|decide by|\bgo[- ]ahead\b|green light to (?:buy|purchase|proceed)"
        r"|approved the (?:purchase|contract|deal|order)|move forward with (?:us|the purchase)",
    ),
    _r(
        Rung.EXECUTE,
        "kickoff_held",
        r"\bkick-?off\b(?! call with us to discuss)",
    ),
    _r(
        Rung.EXECUTE,
        "implementation_owner_named",
        r"impl(?:ementation|\.)? (?:lead|owner|manager|team)|project (?:manager|lead|owner)"
        r"|for (?:the )?(?:rollout|roll-out)|(?<!target )go-?live(?! target)"
        r"|onboarding (?:owner|lead)|\bsso\b"
        r"|configured on their side"
        r"|provision\w*\s+(?:\w+\s+)?(?:users|accounts|seats|licen[cs]es)"
        r"|deployment (?:lead|owner)|rollout (?:manager|lead|owner)",
    ),
    _r(
        Rung.RESOLVE,
        "legal_review_started",
        r"\blegal\b|lawyers?|counsel|redlines?|red-lines?|\bmsa\b|marked-up|contract review"
        r"|terms review|\bdpa\b|procurement review|vendor (?:onboarding|registration)|\bt&cs?\b"
        r"|terms and conditions|(?:our|the|your) terms\b|\bsec(?:urity)? questionnaire",
    ),
    _r(
        Rung.RESOLVE,
        "security_review_started",
        r"security|questionnaire|infosec|pen ?test|soc ?2|\bit review|risk assessment"
        r"|compliance review|\bgdpr\b|architecture review|due diligence",
    ),
    _r(
        Rung.RESOLVE,
        "concerns_meeting_booked",
        r"concerns?|objections?|worr(?:y|ies|ied)|\brisks?\b|open issues|open questions"
        r"|push-?back|reservations|hesitations?",
    ),
    _r(
        Rung.REVIEW,
        "committee_review_booked",
        r"review\w* (?:of )?(?:our|the|your) (?:final )?(?:proposal|business case|offer|quote"
        r"|pricing|solution|sow|recommendation|bid)|look at (?:our|the|your) (?:offer|proposal|bid"
        r"|quote)|(?:proposal|solution|offer) review|(?:committee|board|exec(?:utive)?s?"
        r"|leadership|management|stakeholders).{0,40}\breview"
        r"|review.{0,30}(?:proposal|business case)"
        r"|present (?:the|our|your) (?:proposal|business case) to|steerco|steering committee"
        r"|(?:go|walk|run)(?:ing)? (?:us )?through (?:the|our|your) (?:final )?proposal"
        r"|vote on|(?:present|presenting) (?:our|the) proposal",
    ),
    _r(
        Rung.CONSENSUS,
        "economic_buyer_meeting",
        EB_TITLES + r"\W{0,3}.{0,25}\b(?:will |to |agreed to |'ll )?(?:meet|join|sit in|attend)"
        r"|" + TITLES + r".{0,25}\b(?:will |to |agreed to |'ll )?(?:join|sit in|attend)",
    ),
    _r(
        Rung.INVEST,
        "success_criteria_signed",
        r"success (?:criteria|metrics|plan)|evaluation criteria|acceptance criteria|exit criteria",
    ),
    _r(
        Rung.INVEST,
        "pilot_resourced",
        r"(?:engineers?|ftes?|people|developers|analysts|staff|resources|team members?|headcount"
        r"|\bdevs?\b|hours|days|weeks|time|users).{0,40}(?:pilot|\bpoc\b|proof of concept|trial)"
        r"|(?:pilot|\bpoc\b|proof of concept|trial).{0,40}(?:engineers?|ftes?|people|resources"
        r"|users|analysts|staffed|team\b|scope"
        r"|approved|funded|resourced|staffed|green-?lit)"
        r"|(?:approved|funded|resourced|staffed|green-?lit).{0,30}"
        r"(?:pilot|\bpoc\b|proof of concept)"
        r"|(?:assigned|dedicated|allocated|committed) (?:\w+ ){0,2}(?:engineers?|ftes?|people"
        r"|developers|analysts|resources)",
    ),
    _r(
        Rung.INVEST,
        "budget_confirmed",
        r"budget|funding|\bfunded\b|\$\s?\d|\d+\s?k\b|€\s?\d|£\s?\d|\bspend\b|money|capex|opex"
        r"|expenditure|set aside|\bfunds\b",
    ),
    _r(
        Rung.CONSENSUS,
        "economic_buyer_meeting",
        TITLES + r"\s*(?:'s\s+)?(?:mtg|meeting|call|session|intro|lunch|dinner|sync)"
        r"|(?:meet|meeting|mtg|call|session|time) (?:with|w/) (?:the |our |their |his |her )?"
        + TITLES
        + r"|"
        + TITLES
        + r".{0,30}(?:sit in|join|attend|be (?:there|present))",
    ),
    _r(Rung.CHANGE, "sponsor_named", r"\bsponsor"),
    _r(
        Rung.CHANGE,
        "change_priority_confirmed",
        r"priorit|top-?(?:one|two|three|five|\d)|has to go|must go|needs? to go|replac(?:e|ing)"
        r"|own the (?:project|initiative|change)|target date|deadline|mandate|\binitiative\b"
        r"|committed to (?:replacing|fixing|changing|moving|switching|retiring)|\bretir(?:e|ing)\b"
        r"|business case approved|problem (?:is|as) (?:real|urgent)|must (?:fix|change|solve)"
        r"|champion\w* the (?:change|project|initiative)|must-do|go-?live target",
    ),
    _r(
        Rung.CONSENSUS,
        "stakeholders_introduced",
        r"introduc\w* (?:us|me|our|them|\w+ to)\b|intro'?d (?:us|me)|stakeholders?"
        r"|buying (?:committee|group|team)|\bcommittee\b|loop(?:ed|ing)? in"
        r"|(?:bring|brings|bringing|invit\w*|include)\b.{0,20}\b(?:finance|procurement|legal"
        r"|security|leadership|their boss|his boss|her boss)\b"
        r"(?!(?:\s+(?:and\s+)?\w+){0,2}\s+(?:leads?|teams?|analysts?|people|users)\b)"
        r"|\bcc'?d\b|invit(?:e|ed|ing) (?:our|their|his|her|the) " + TITLES,
        predicate_only=True,
    ),
    _r(Rung.CONSENSUS, "economic_buyer_meeting", TITLES, predicate_only=True),
    _r(
        Rung.COLLABORATE,
        "design_workshop_held",
        r"design (?:workshop|session)|(?<!discovery )workshop|whiteboard|solution design"
        r"|architecture session"
        r"|design sprint|mock-?ups? together|prototype together",
    ),
    _r(
        Rung.COLLABORATE,
        "requirements_cowritten",
        r"co-?writ|co-?author|co-?design|co-?creat|requirements|\brfp\b|\bspecs?\b|user stories"
        r"|mark(?:ed)? up (?:our|the|your) |feedback on (?:our|the|your) (?:draft|design|outline)"
        r"|map (?:their|the|our) .{0,30}(?:workflow|process).{0,20}with|working session|jointly"
        r"|together with (?:us|our)|with our (?:se|team|engineers?) to (?:build|design|define)"
        r"|work\w* with (?:us|yours|you|our \w+) on",
    ),
    _r(
        Rung.EXPLORE,
        "discovery_session_booked",
        r"discovery|\bdisco\b|deep[- ]?dive|assessment|\baudit\b|site visit|\btour\b"
        r"|walk-?through of (?:their|the)|walk (?:us|me) through|on[- ]?site|current state"
        r"|current (?:\w+ )?process|process review|shadow",
    ),
    _r(
        Rung.EXPLORE,
        "colleague_joins_discovery",
        r"(?:bring|brings|bringing|brought|invit\w*|include|including|join\w*)\b.{0,40}"
        r"(?:team|manager|leads?|colleagues?|analysts?|engineers?|ops|users|admins?|staff|peers?)"
        r"|\b(?:manager|colleague|team lead|deputy)s?\b.{0,20}\b(?:join|sit in|attend)",
    ),
    _r(
        Rung.EXPLORE,
        "data_shared",
        r"\bdata\b|numbers|figures|metrics|export|report|process map|spreadsheet|access to"
        r"|\blogs?\b"
        r"|samples?|usage|churn|volumes?|\bkpis?\b|stats|documentation|org chart|dataset|sql dump"
        r"|invoices|baseline|benchmarks?|\bdocs\b|documents|files"
        r"|(?:send|sending|get|forward|share)\w* us (?:their|the|a|last|current)",
    ),
    _r(Rung.TIME, "demo_accepted", r"\bdemo\b"),
    _r(
        Rung.TIME,
        "intro_call_booked",
        r"\bintro\b|introductory|\bcall\b|\bchat\b|coffee|\bzoom\b|teams call|phone|video call",
    ),
    _r(
        Rung.TIME,
        "first_meeting_accepted",
        r"\bmeet\b|meeting|\bmtg\b|calendar|minutes|\bslot\b|works for (?:me|us)|see you"
        r"|\blunch\b|appointment|\bsession\b|\bconversation\b|\bsit down\b"
        r"|\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\bworks\b|talk then|follow-?up\b",
    ),
)


def classify(clause: str, predicate: str) -> RungRule | None:
    """The first rule that matches; both texts must be lower-cased."""
    for rule in RULES:
        text = predicate if rule.predicate_only else clause
        if rule.pattern.search(text):
            return rule
    return None
