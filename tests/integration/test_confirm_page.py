"""The page of commitments to confirm, over real HTTP on both databases: everything an import
read from text, in one queue, confirmed or rejected without opening each deal."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, func, select

from dealgate.domain.access import UserRole
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.stakeholder import Role, likely_member, on_committee
from dealgate.services import deals as svc
from dealgate.services.users import add_user
from dealgate.store import tables as t
from tests.api_support import running_api
from tests.builders import PROCESS, T0
from tests.integration.test_import import salesforce
from tests.pages_support import deal_with_commitment, log_in


def _waiting(engine: Engine) -> list[tuple[int, int]]:
    """Inferred commitments on open deals, the largest deal first, as the page should list."""
    c, d = t.commitments, t.deals
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.c.deal_id, c.c.number, d.c.amount)
            .join(d, d.c.id == c.c.deal_id)
            .where(c.c.status == "inferred", d.c.stage.not_in(("won", "lost")))
        ).all()
    return [
        (r.deal_id, r.number) for r in sorted(rows, key=lambda r: (-(r.amount or 0), r[0], r[1]))
    ]


def _status(engine: Engine, deal_id: int, number: int) -> str:
    c = t.commitments
    with engine.connect() as conn:
        found = conn.scalar(select(c.c.status).where(c.c.deal_id == deal_id, c.c.number == number))
    return str(found)


def _listed(page: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r'data-deal="(\d+)" data-number="(\d+)"', page)]


def test_an_imports_inferred_commitments_are_confirmed_or_rejected_from_one_page(
    engine: Engine,
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "dora", UserRole.REP, T0, "east", "dora-secret")
    expected = _waiting(engine)
    assert len(expected) >= 5
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        queue = browser.get("/confirm")
        assert queue.status_code == 200 and _listed(queue.text) == expected
        assert f"of {len(expected)} waiting." in queue.text

        (deal, first), (other, second) = expected[0], expected[1]
        confirmed = browser.post(
            f"/deals/{deal}/commitments/{first}/confirm", data={"csrf": csrf, "back": "/confirm"}
        )
        assert confirmed.status_code == 303
        assert confirmed.headers["location"].startswith("/confirm?notice=Commitment")
        assert _status(engine, deal, first) in ("obtained", "kept")
        rejected = browser.post(
            f"/deals/{other}/commitments/{second}/reject", data={"csrf": csrf, "back": "/confirm"}
        )
        assert rejected.status_code == 303 and _status(engine, other, second) == "rejected"
        after = browser.get("/confirm")
        assert _listed(after.text) == expected[2:]

        # Only our own pages are a way back; anything else goes to the deal.
        (deal, third) = expected[2]
        elsewhere = browser.post(
            f"/deals/{deal}/commitments/{third}/confirm",
            data={"csrf": csrf, "back": "//evil.example/confirm"},
        )
        assert elsewhere.headers["location"].startswith(f"/deals/{deal}?notice=")
        unknown = browser.post(
            f"/deals/{deal}/commitments/{expected[3][1]}/destroy", data={"csrf": csrf}
        )
        assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "verb"
        assert _status(engine, *expected[3]) == "inferred"
        twice = browser.post(f"/deals/{deal}/commitments/{third}/confirm", data={"csrf": csrf})
        assert twice.status_code == 422 and "<code>not_inferred</code>" in twice.text

        # A rep sees only the commitments on deals they own: none of the export's.
        with httpx.Client(base_url=api.base) as rep:
            log_in(rep, "dora", "dora-secret")
            assert "Nothing waits" in rep.get("/confirm").text


def _ticked(
    csrf: str, verb: str, picks: list[tuple[int, int]], back: str = "/confirm"
) -> dict[str, Any]:
    """The queue's form as a browser sends it: one `pick` per ticked box."""
    return {
        "csrf": csrf,
        "verb": verb,
        "back": back,
        "pick": [f"{deal}-{number}" for deal, number in picks],
    }


def _who(engine: Engine) -> dict[tuple[int, int], tuple[str | None, list[str]]]:
    """Each inferred buyer commitment's noted person and its deal's committee."""
    c, s = t.commitments, t.stakeholders
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.c.deal_id, c.c.number, c.c.person).where(
                c.c.status == "inferred", c.c.party == "buyer"
            )
        ).all()
        members = conn.execute(select(s.c.deal_id, s.c.name)).all()
    committees: dict[int, list[str]] = {}
    for deal_id, name in members:
        committees.setdefault(deal_id, []).append(name)
    return {(r.deal_id, r.number): (r.person, committees.get(r.deal_id, [])) for r in rows}


def _person(engine: Engine, deal_id: int, number: int) -> str | None:
    c = t.commitments
    with engine.connect() as conn:
        return conn.scalar(select(c.c.person).where(c.c.deal_id == deal_id, c.c.number == number))


def test_the_ticked_commitments_are_settled_at_once_and_what_a_teammate_settled_first_stays(
    engine: Engine,
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    expected = _waiting(engine)
    who = _who(engine)
    # Notes naming a member by first name ("Maria" on a deal with Maria Lopez) and notes
    # naming no member at all ("Legal will send redlines").
    first_named = [p for p in expected if p in who and likely_member(*who[p])]
    unnamed = [p for p in expected if p in who and not likely_member(*who[p])]
    assert len(first_named) >= 4 and len(unnamed) >= 3
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        queue = browser.get("/confirm").text
        ticks = re.findall(r'name="pick" value="(\d+)-(\d+)" form="settle"', queue)
        assert [(int(d), int(n)) for d, n in ticks] == expected
        assert 'id="settle"' in queue and "Confirm ticked" in queue

        # A teammate rejects one of them before the ticked ones are sent.
        teammate = first_named[3]
        browser.post(f"/deals/{teammate[0]}/commitments/{teammate[1]}/reject", data={"csrf": csrf})
        picks = [*first_named[:4], unnamed[0]]
        sent = browser.post("/confirm", data=_ticked(csrf, "confirm", picks, "/confirm?page=1"))
        assert sent.status_code == 303
        location = sent.headers["location"]
        assert location.startswith("/confirm?page=1&notice=")
        notice = browser.get(location).text
        deals = len({deal for deal, _ in [*first_named[:3], unnamed[0]]})
        assert f"4 commitments confirmed on {deals} deal" in notice
        assert "1 of them names no one on the committee" in notice
        assert "1 no longer waited" in notice
        for pick in first_named[:3]:
            assert _status(engine, *pick) in ("obtained", "kept")
            assert _person(engine, *pick) == likely_member(*who[pick])  # the member's name
        assert _status(engine, *teammate) == "rejected"
        assert _status(engine, *unnamed[0]) in ("obtained", "kept")
        assert _person(engine, *unnamed[0]) is None  # to be named on its deal's page

        rejected = browser.post("/confirm", data=_ticked(csrf, "reject", unnamed[1:3]))
        assert rejected.status_code == 303
        assert {_status(engine, *pick) for pick in unnamed[1:3]} == {"rejected"}
        left = [p for p in expected if p not in {*first_named[:4], *unnamed[:3]}]
        assert _listed(browser.get("/confirm").text) == left

        # The queue filtered by owner is where the form returns.
        owner_back = browser.post(
            "/confirm", data=_ticked(csrf, "reject", [], "/confirm?owner=Ann+Lee&page=1")
        )
        assert owner_back.status_code == 422 and "Owner: Ann Lee" in owner_back.text


def test_a_row_naming_no_member_offers_the_committee_and_confirms_as_who_is_chosen(
    engine: Engine,
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    who = _who(engine)
    (deal, number), (noted, committee) = next(
        (p, w) for p, w in sorted(who.items()) if w[1] and not likely_member(*w)
    )
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        queue = browser.get("/confirm").text
        row = queue[queue.index(f'data-deal="{deal}" data-number="{number}"') :]
        row = row[: row.index("</tr>")]
        assert "choose who committed, or the gate will not take it" in row
        offered = re.findall(r'<option value="([^"]*)"', row[row.index('name="person"') :])
        assert offered == ["", *committee]  # "who committed?" first, none chosen

        off = browser.post(
            f"/deals/{deal}/commitments/{number}/confirm",
            data={"csrf": csrf, "back": "/confirm", "person": "Somebody Else"},
        )
        assert off.status_code == 422 and "<code>not_a_stakeholder</code>" in off.text
        assert _status(engine, deal, number) == "inferred"

        named = browser.post(
            f"/deals/{deal}/commitments/{number}/confirm",
            data={"csrf": csrf, "back": "/confirm", "person": committee[0].upper()},
        )
        assert named.status_code == 303
        assert _status(engine, deal, number) in ("obtained", "kept")
        assert _person(engine, deal, number) == committee[0]  # as the committee spells it
        page = browser.get(f"/deals/{deal}").text
        shown = rf'#{number} [^<]*<span class="muted">\([^,)]*, {re.escape(committee[0])}\)'
        assert re.search(shown, page) is not None  # the ladder names who made it
    assert noted != committee[0]


BAD_TICKS = {
    "nothing_ticked": (["confirm"], [], "nothing_picked"),
    "a_tick_naming_no_commitment": (["confirm"], ["12-3", "<b>x</b>"], "invalid_pick"),
    "an_action_that_is_neither": (["destroy"], ["12-3"], "invalid_verb"),
    "more_than_a_bulk_action_takes": (["reject"], [f"1-{n}" for n in range(501)], "too_many_picks"),
}


@pytest.mark.parametrize(("verb", "picks", "code"), BAD_TICKS.values(), ids=BAD_TICKS)
def test_ticked_commitments_sent_wrong_are_refused_on_the_queue_and_nothing_changes(
    engine: Engine, verb: list[str], picks: list[str], code: str
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    expected = _waiting(engine)
    valid = [f"{deal}-{number}" for deal, number in expected[:2]]
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        data = {"csrf": csrf, "verb": verb[0], "back": "/confirm", "pick": valid + picks}
        if not picks:
            del data["pick"]
        refused = browser.post("/confirm", data=data)
        assert refused.status_code == 422
        assert f"<code>{code}</code>" in refused.text and "Nothing was changed:" in refused.text
        assert "<b>x</b>" not in refused.text  # the page says what was sent, escaped
        assert _listed(refused.text) == expected[:50]
    assert _waiting(engine) == expected


def test_ticks_on_deals_a_rep_cannot_see_or_a_stale_form_change_nothing(engine: Engine) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "dora", UserRole.REP, T0, "east", "dora-secret")
    expected = _waiting(engine)
    with running_api(engine) as api, httpx.Client(base_url=api.base) as rep:
        csrf = log_in(rep, "dora", "dora-secret")
        unseen = rep.post("/confirm", data=_ticked(csrf, "confirm", expected[:2]))
        assert unseen.status_code == 303
        assert (
            "0 commitments confirmed on 0 deals. 2 no longer waited"
            in rep.get(unseen.headers["location"]).text
        )
        stale = rep.post("/confirm", data=_ticked("not-the-token", "confirm", expected[:2]))
        assert stale.status_code == 403 and stale.json()["errors"][0]["code"] == "csrf_failed"
    assert _waiting(engine) == expected


def test_the_deal_page_asks_who_committed_where_the_note_names_no_member_choosing_the_likely_one(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    deal = svc.open_deal(engine, now=T0, actor="carol", name="Fleet", account="Acme", owner="x")
    assert deal.id is not None
    for note in ("Raj will send the usage data by Friday.", "Legal will send redlines by Friday."):
        svc.add_interaction(
            engine,
            deal.id,
            now=T0,
            actor="carol",
            kind=InteractionKind.NOTE,
            on=T0.date(),
            summary=note,
        )
    # Raj joins the committee after his note was read: the note still says "Raj".
    svc.add_stakeholder(
        engine, deal.id, now=T0, actor="carol", name="Raj Patel", role=Role.CHAMPION
    )
    svc.add_stakeholder(engine, deal.id, now=T0, actor="carol", name="Priya Shah", role=Role.LEGAL)
    waiting = {c.person: c.number for c in svc.load_deal(engine, deal.id)[0].commitments}
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        page = browser.get(f"/deals/{deal.id}").text
        chosen = {}
        for person, number in waiting.items():
            asks = re.search(
                rf'<select id="who-{number}" name="person"[^>]*>(.*?)</select>', page, re.S
            )
            assert asks is not None
            assert re.findall(r'<option value="([^"]*)"', asks[1]) == [
                "",
                "Raj Patel",
                "Priya Shah",
            ]
            chosen[person] = re.findall(r'<option value="([^"]*)" selected>', asks[1])
        assert chosen == {"Raj": ["Raj Patel"], None: []}


def test_an_imports_notes_name_the_committee_member_a_first_name_means(engine: Engine) -> None:
    """As a logged interaction does: the sample's "Maria accepted..." is its Maria Lopez's."""
    salesforce(engine)
    who = _who(engine)
    named = {p: noted for p, (noted, committee) in who.items() if noted and committee}
    assert named
    assert all(on_committee(noted, who[p][1]) for p, noted in named.items())
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        for deal, number in named:
            page = browser.get(f"/deals/{deal}").text
            assert f'id="who-{number}"' not in page  # nobody to ask for: the gate knows them


def test_coaching_after_an_import_sends_to_the_notes_waiting_instead_of_blaming_the_reps(
    engine: Engine,
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    c, d = t.commitments, t.deals
    with engine.connect() as conn:
        waiting: dict[str, int] = {
            owner: n
            for owner, n in conn.execute(
                select(d.c.owner, func.count())
                .select_from(c.join(d, d.c.id == c.c.deal_id))
                .where(c.c.status == "inferred")
                .group_by(d.c.owner)
            )
        }
    assert waiting
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        team = browser.get("/coach").text
        for owner, n in waiting.items():
            row = team[team.index(f'data-rep="{owner}"') :]
            row = row[: row.index("</tr>")]
            assert "unconfirmed" in row and "Asks too rarely" not in row
            assert f"{n} commitments read from their notes wait" in row
            assert f'href="/confirm?owner={quote(owner)}"' in row
        one = next(iter(waiting))
        page = browser.get(f"/coach/{quote(one)}").text
        assert "Verdict: unconfirmed" in page and f'href="/confirm?owner={quote(one)}"' in page


def test_a_row_on_a_deal_without_a_committee_sends_to_the_deal_to_add_who_committed(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    deal = svc.open_deal(engine, now=T0, actor="carol", name="Fleet", account="Acme", owner="x")
    assert deal.id is not None
    logged = svc.add_interaction(
        engine,
        deal.id,
        now=T0,
        actor="carol",
        kind=InteractionKind.CALL,
        on=T0.date(),
        summary="Raj will send the usage data by Friday.",
    )
    (raj,) = [c for c in logged.proposed if c.person == "Raj"]
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        queue = browser.get("/confirm").text
        row = queue[queue.index(f'data-deal="{deal.id}" data-number="{raj.number}"') :]
        row = row[: row.index("</tr>")]
        assert "<select" not in row  # nobody to choose from
        assert f'href="/deals/{deal.id}#committee-h"' in row
        assert "add who committed to the deal's committee" in row
        sent = browser.post("/confirm", data=_ticked(csrf, "confirm", [(deal.id, raj.number)]))
        said = browser.get(sent.headers["location"]).text
        assert "1 commitment confirmed on 1 deal. 1 of them names no one" in said
    assert _status(engine, deal.id, raj.number) == "obtained"


def test_a_recorded_commitment_naming_no_member_is_given_its_stakeholder_on_the_deal_page(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    deal_id = deal_with_commitment(
        engine,
        owner="x",
        stage="resolve",
        committee={"Priya Shah": Role.LEGAL},
        kind="legal_review_started",
        person="Legal",
        action="Will send redlines",
    )
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        page = browser.get(f"/deals/{deal_id}").text
        assert f'action="/deals/{deal_id}/commitments/1/name"' in page
        assert "<code>no_buyer_person</code>" in page and "dealgate commit" not in page
        assert f'href="/deals/{deal_id}#commitment-1">Name who made #1</a>' in page
        assert 'id="commitment-1"' in page
        path = f"/deals/{deal_id}/commitments/1/name"
        for person, code in (("", "person_required"), ("Ken Okafor", "not_a_stakeholder")):
            refused = browser.post(path, data={"csrf": csrf, "person": person})
            assert refused.status_code == 422 and f"<code>{code}</code>" in refused.text
        named = browser.post(path, data={"csrf": csrf, "person": "Priya Shah"})
        assert named.status_code == 303
        page = browser.get(named.headers["location"]).text
        assert "may move to <strong>decide</strong>" in page and f'action="{path}"' not in page
        again = browser.post(path, data={"csrf": csrf, "person": "Priya Shah"})
        assert again.status_code == 422 and "<code>already_named</code>" in again.text


def _rows_and_persons(queue: str) -> tuple[list[str], list[str]]:
    """Each row's `row` and `person` as the page would send them, its choices as rendered."""
    rows = re.findall(r'name="row" value="([^"]+)" form="settle"', queue)
    persons = []
    for value in rows:
        cell = queue[queue.index(f'name="row" value="{value}"') :]
        cell = cell[: cell.index("</td>")]
        chosen = re.search(r'<option value="([^"]*)" selected>', cell)
        persons.append(chosen[1] if chosen else "")
    return rows, persons


def test_the_queue_is_one_form_a_rows_button_and_the_ticked_ones_take_who_was_chosen(
    engine: Engine,
) -> None:
    salesforce(engine)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    who = _who(engine)
    unnamed = [p for p, w in sorted(who.items()) if w[1] and not likely_member(*w)]
    assert len(unnamed) >= 3
    chosen_one, plain_one, ticked_one = unnamed[:3]
    member = who[chosen_one][1][0]
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")

        def send(pick_for: tuple[int, int] | None = None, **fields: Any) -> str:
            """The queue's form as the page renders it, `pick_for`'s row given the first of
            its committee."""
            rows, persons = _rows_and_persons(browser.get("/confirm").text)
            if pick_for is not None:
                persons = [
                    who[pick_for][1][0] if r == f"{pick_for[0]}-{pick_for[1]}" else p
                    for r, p in zip(rows, persons, strict=True)
                ]
            data = {"csrf": csrf, "back": "/confirm", "row": rows, "person": persons, **fields}
            sent = browser.post("/confirm", data=data)
            assert sent.status_code == 303, sent.text
            return browser.get(sent.headers["location"]).text

        # A row's own button with a member chosen on it: confirmed as theirs, nothing else.
        said = send(chosen_one, one=f"confirm {chosen_one[0]}-{chosen_one[1]}")
        assert f"Commitment {chosen_one[1]} confirmed, made by {member}." in said
        assert (_status(engine, *chosen_one), _person(engine, *chosen_one)) == ("obtained", member)
        assert _status(engine, *plain_one) == _status(engine, *ticked_one) == "inferred"
        # Nothing chosen: confirmed as the note said, and told who is still to be named.
        said = send(None, one=f"confirm {plain_one[0]}-{plain_one[1]}")
        assert "It names no one on the committee" in said
        assert (_status(engine, *plain_one), _person(engine, *plain_one)) == ("obtained", None)

        # Ticked with a member chosen on its row: the buttons above take the choice too.
        said = send(ticked_one, verb="confirm", pick=[f"{ticked_one[0]}-{ticked_one[1]}"])
        assert "1 commitment confirmed on 1 deal." in said and "names no one" not in said
        assert _person(engine, *ticked_one) == who[ticked_one][1][0]

        # Rows and choices that do not pair up are refused, nothing changed.
        before = _waiting(engine)
        rows, persons = _rows_and_persons(browser.get("/confirm").text)
        broken = browser.post(
            "/confirm",
            data={
                "csrf": csrf,
                "verb": "reject",
                "pick": rows[:1],
                "row": rows,
                "person": persons[:-1],
            },
        )
        assert broken.status_code == 422 and "<code>invalid_form</code>" in broken.text
        assert _waiting(engine) == before


def test_a_deal_page_says_what_its_notes_would_evidence_once_confirmed(engine: Engine) -> None:
    review = salesforce(engine).review
    assert review is not None
    claimed = review["unevidenced_stage"]
    assert any(d["read_from_notes"] for d in claimed) and any(
        not d["read_from_notes"] for d in claimed
    )
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        for d in claimed:
            page = browser.get(f"/deals/{d['id']}").text
            said = re.search(r'<p id="notes-stage" class="muted">(.*?)</p>', page, re.S)
            if not d["read_from_notes"]:
                assert said is None
                continue
            assert said is not None and f"<strong>{d['read_from_notes']}</strong>" in said[1]
            backs = PROCESS.position(d["read_from_notes"]) >= PROCESS.position(d["stage"])
            assert ("enough for the" in said[1]) is backs


def test_the_reviews_unevidenced_deals_say_what_their_notes_would_evidence(
    engine: Engine,
) -> None:
    review = salesforce(engine).review
    assert review is not None
    noted = {d["id"]: d["read_from_notes"] for d in review["unevidenced_stage"]}
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        page = browser.get("/review", params={"flag": "unevidenced_stage"}).text
        shown = {}
        for deal_id in noted:
            row = page[page.index(f'<tr data-deal="{deal_id}">') :]
            row = row[: row.index("</tr>")]
            said = re.search(r"Its notes would evidence '(\w+)'", row)
            shown[deal_id] = said[1] if said else None
        assert shown == noted and any(noted.values())
        past = (T0.date() - timedelta(days=1)).isoformat()
        earlier = browser.get("/review", params={"flag": "unevidenced_stage", "as_of": past})
        assert "Its notes would evidence" not in earlier.text  # not rewound: today's only
