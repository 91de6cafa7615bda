"""Whatever the gate asks for is done on the deal's page: the refusal links to the form that
fixes it, and names no command a page's user cannot run. Real HTTP, both databases."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.domain.commitment import Party, Status
from dealgate.domain.stakeholder import Role
from dealgate.services import deals as svc
from dealgate.services.users import add_user
from tests.api_support import running_api
from tests.builders import T0
from tests.pages_support import deal_with_commitment, log_in

CLI_WORDS = re.compile(r"dealgate (deal|commit|stakeholder|close)\b|--[a-z]")


def _deal_in_change(engine: Engine) -> int:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    deal = svc.open_deal(
        engine, now=T0, actor="carol", name="Fleet", account="Acme", owner="carol", stage="change"
    )
    assert deal.id is not None
    svc.add_commitment(
        engine, deal.id, now=T0, actor="carol", party=Party.SELLER, action="Send references"
    )
    return deal.id


def test_a_rep_takes_a_deal_out_of_change_from_its_page_alone(engine: Engine) -> None:
    deal_id = _deal_in_change(engine)
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        page = browser.get(f"/deals/{deal_id}").text
        assert "<code>prerequisite_missing</code>" in page and not CLI_WORDS.search(page)
        for anchor, words in (
            ("dissatisfaction", "Document the buyer&#39;s dissatisfaction"),
            ("record-commitment", "Record the buyer&#39;s commitment"),
        ):
            assert f'href="/deals/{deal_id}#{anchor}">{words}</a>' in page
            assert f'id="{anchor}"' in page
        assert "Not documented yet: leaving change requires it." in page
        also = page[page.index("<strong>Also:</strong>") :]
        assert also.startswith(
            "<strong>Also:</strong> Leaving &#39;change&#39; requires that the buyer&#39;s "
            "dissatisfaction"
        )
        assert f'<a href="/deals/{deal_id}#dissatisfaction">' in also[: also.index("</p>")]
        coaching = browser.get("/coach/carol").text
        row = coaching[coaching.index(f'data-deal="{deal_id}"') :]
        assert "Also: Leaving &#39;change&#39; requires" in row[: row.index("</tr>")]

        path = f"/deals/{deal_id}/dissatisfaction"
        refused = browser.post(path, data={"csrf": csrf, "dissatisfaction": "   "})
        assert refused.status_code == 422 and "<code>required</code>" in refused.text
        assert "&#39;dissatisfaction&#39; must not be empty" in refused.text
        assert svc.get_deal(engine, deal_id).deal.dissatisfaction == []
        said = "Month-end close takes nine days"
        documented = browser.post(path, data={"csrf": csrf, "dissatisfaction": said})
        assert documented.status_code == 303
        page = browser.get(documented.headers["location"]).text
        assert "Dissatisfaction documented." in page and f"{said} <span" in page
        assert (
            "<code>prerequisite_missing</code>" not in page and "dissatisfaction with" not in page
        )

        browser.post(
            f"/deals/{deal_id}/stakeholders",
            data={"csrf": csrf, "name": "Lena Ross", "role": "champion"},
        )
        browser.post(
            f"/deals/{deal_id}/commitments",
            data={
                "csrf": csrf,
                "party": "buyer",
                "kind": "change_priority_confirmed",
                "who": "Lena Ross",
                "action": "Confirmed the project is this quarter's priority",
                "due": "2026-03-10",
            },
        )
        moved = browser.post(f"/deals/{deal_id}/advance", data={"csrf": csrf})
        assert moved.status_code == 303
    assert svc.get_deal(engine, deal_id).deal.stage == "design"


def test_the_board_links_a_refused_card_to_the_forms_that_fix_it(engine: Engine) -> None:
    deal_id = _deal_in_change(engine)
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        board = browser.post(f"/deals/{deal_id}/advance", data={"csrf": csrf, "back": "board"}).text
        card = board[board.index(f'id="card-{deal_id}"') :]
        card = card[: card.index("</article>")]
        assert "Stays in change." in card and not CLI_WORDS.search(card)
        assert f'href="/deals/{deal_id}#dissatisfaction"' in card
        assert f'href="/deals/{deal_id}#record-commitment"' in card
    assert svc.get_deal(engine, deal_id).deal.stage == "change"


def test_a_commitment_moves_along_its_lifecycle_from_the_deal_page(engine: Engine) -> None:
    deal_id = _deal_in_change(engine)
    svc.add_stakeholder(
        engine, deal_id, now=T0, actor="carol", name="Lena Ross", role=Role.CHAMPION
    )
    asked = svc.add_commitment(
        engine,
        deal_id,
        now=T0,
        actor="carol",
        party=Party.BUYER,
        action="Confirm it is a priority",
        kind="change_priority_confirmed",
        person="Lena Ross",
        status=Status.ASKED,
    )
    path = f"/deals/{deal_id}/commitments/{asked.number}/status"
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        page = browser.get(f"/deals/{deal_id}").text
        row = page[page.index(f'id="commitment-{asked.number}"') :]
        row = row[: row.index("</div>")]
        assert re.findall(r'name="status" value="(\w+)"', row) == ["obtained", "declined"]
        for status, code in (("kept", "invalid_transition"), ("gone", "invalid_status")):
            refused = browser.post(path, data={"csrf": csrf, "status": status})
            assert refused.status_code == 422 and f"<code>{code}</code>" in refused.text
        assert browser.post(path, data={"csrf": "stale", "status": "obtained"}).status_code == 403
        assert svc.get_deal(engine, deal_id).deal.commitment(asked.number).status is Status.ASKED
        for status in ("obtained", "kept"):
            done = browser.post(path, data={"csrf": csrf, "status": status})
            assert done.status_code == 303
            assert (
                f"Commitment {asked.number} is now {status}."
                in browser.get(done.headers["location"]).text
            )
        page = browser.get(f"/deals/{deal_id}").text
        row = page[page.index(f'id="commitment-{asked.number}"') :]
        assert 'name="status"' not in row[: row.index("</div>")]  # kept: done with
    kept = svc.get_deal(engine, deal_id).deal.commitment(asked.number)
    assert kept.status is Status.KEPT and kept.kept_on == T0.date()


def test_another_reps_deal_cannot_be_changed_from_a_page(engine: Engine) -> None:
    deal_id = _deal_in_change(engine)
    add_user(engine, "dan", UserRole.REP, T0, "east", "dan-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "dan", "dan-secret")
        for path, data in (
            (f"/deals/{deal_id}/dissatisfaction", {"dissatisfaction": "Slow"}),
            (f"/deals/{deal_id}/commitments/1/status", {"status": "kept"}),
            (f"/deals/{deal_id}/stakeholders/1", {"name": "X", "role": "champion"}),
        ):
            refused = browser.post(path, data={"csrf": csrf, **data})
            assert refused.status_code == 404, path
    deal = svc.get_deal(engine, deal_id).deal
    assert deal.dissatisfaction == [] and deal.commitment(1).status is Status.OBTAINED


def test_a_stakeholder_is_corrected_on_the_deal_page_and_their_commitments_follow(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    deal_id = deal_with_commitment(
        engine,
        owner="carol",
        stage="design",
        committee={"Raj Patel": Role.CHAMPION, "Maria Lopez": Role.CHAMPION},
        kind="economic_buyer_meeting",
        person="Raj Patel",
        action="Meets the CFO",
    )
    path = f"/deals/{deal_id}/stakeholders/1"
    form = {"name": "Raj Patel", "role": "champion", "title": "", "notes": ""}
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        page = browser.get(f"/deals/{deal_id}").text
        assert f'action="{path}"' in page and 'value="Raj Patel"' in page
        for change, code in (
            ({"name": "maria lopez"}, "duplicate_stakeholder"),
            ({"name": " "}, "required"),
            ({"role": "boss"}, "invalid_role"),
        ):
            refused = browser.post(path, data={"csrf": csrf, **form, **change})
            assert refused.status_code == 422 and f"<code>{code}</code>" in refused.text, code
        saved = browser.post(
            path,
            data={"csrf": csrf, **form, "name": "Rajesh Patel", "role": "economic_buyer"},
        )
        assert saved.status_code == 303
        page = browser.get(saved.headers["location"]).text
        assert "Rajesh Patel saved." in page and "may move to <strong>propose</strong>" in page
    after = svc.get_deal(engine, deal_id).deal
    assert [(s.name, s.role.value) for s in after.stakeholders] == [
        ("Rajesh Patel", "economic_buyer"),
        ("Maria Lopez", "champion"),
    ]
    assert after.commitment(1).person == "Rajesh Patel"


def test_an_interaction_logged_on_the_page_says_what_came_of_it(engine: Engine) -> None:
    deal_id = _deal_in_change(engine)
    svc.add_stakeholder(
        engine, deal_id, now=T0, actor="carol", name="Lena Ross", role=Role.CHAMPION
    )
    path = f"/deals/{deal_id}/interactions"
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        meeting = {"csrf": csrf, "kind": "meeting", "on": "2026-03-02"}
        for bad, code in (
            ({"on": "02/30/2026"}, "invalid_date"),
            ({"author": "robot"}, "invalid_author"),
            ({"kind": "fax"}, "invalid_interaction_kind"),
        ):
            refused = browser.post(path, data={**meeting, "summary": "Met", **bad})
            assert refused.status_code == 422 and f"<code>{code}</code>" in refused.text, bad
        assert svc.get_deal(engine, deal_id).deal.interactions == []

        declined = browser.post(
            path,
            data={**meeting, "summary": "They will not go on this year.", "client_declined": "yes"},
        )
        said = browser.get(declined.headers["location"]).text
        assert "Interaction logged (no_sale); its note names no commitment." in said

        email = browser.post(
            path,
            data={
                **meeting,
                "kind": "email",
                "author": "buyer",
                "summary": "We will share our usage data with you by Friday. Lena",
            },
        )
        said = browser.get(email.headers["location"]).text
        assert "Interaction logged (continuation); 1 commitment read from it wait below" in said
    deal = svc.get_deal(engine, deal_id).deal
    assert [i.client_declined for i in deal.interactions] == [True, False]
    read = [c for c in deal.commitments if c.status is Status.INFERRED]
    assert [(c.party, c.kind) for c in read] == [(Party.BUYER, "data_shared")]


def test_why_the_buyer_would_change_folds_away_once_the_deal_is_past_the_stages_asking_it(
    engine: Engine,
) -> None:
    in_change = _deal_in_change(engine)
    later = svc.open_deal(
        engine, now=T0, actor="carol", name="Fleet", account="Acme", owner="carol", stage="propose"
    )
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        asking = browser.get(f"/deals/{in_change}").text
        past = browser.get(f"/deals/{later.id}").text
    assert 'id="dissatisfaction"' in asking and '<details id="dissatisfaction-notes">' not in asking
    folded = past[past.index('<details id="dissatisfaction-notes">') :]
    assert folded.index('id="dissatisfaction"') < folded.index("</summary>")
    assert "the deal is past the stages that ask for it" in folded[: folded.index("</summary>")]
    assert 'name="dissatisfaction"' in folded[: folded.index("</details>")]  # still to add to
