"""The page of commitments to confirm, over real HTTP on both databases: everything an import
read from text, in one queue, confirmed or rejected without opening each deal."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, select

from dealgate.domain.access import UserRole
from dealgate.services.users import add_user
from dealgate.store import tables as t
from tests.api_support import running_api
from tests.builders import T0
from tests.integration.test_import import salesforce
from tests.pages_support import log_in


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
