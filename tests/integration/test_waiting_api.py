"""The commitments waiting for a person over the API, on both databases: the queue the page
'To confirm' shows, and settling several at once, for scripts and other tools."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.api_support import running_api
from tests.integration.test_confirm_page import _status, _waiting
from tests.integration.test_import import salesforce


def test_a_script_lists_what_waits_and_settles_several_at_once(engine: Engine) -> None:
    salesforce(engine)
    expected = _waiting(engine)
    with running_api(engine) as api, api.client("admin") as admin, api.client("alice") as rep:
        first = admin.get("/commitments/waiting", params={"limit": 3})
        assert first.status_code == 200
        assert first.json()["total"] == len(expected)
        rest = admin.get("/commitments/waiting", params={"limit": 500, "offset": 3}).json()
        items = first.json()["items"] + rest["items"]
        assert [(i["deal_id"], i["number"]) for i in items] == expected  # largest deal first
        buyers = [i for i in items if i["party"] == "buyer"]
        assert all(i["likely"] is None or i["likely"] in ("", *i["committee"]) for i in buyers)
        assert all(i["likely"] is None for i in items if i["party"] == "seller")
        owner = items[0]["owner"]
        theirs = admin.get("/commitments/waiting", params={"owner": owner, "limit": 500}).json()
        assert theirs["items"] and {i["owner"] for i in theirs["items"]} == {owner}

        ready = [i for i in items if i["likely"] is None][:3]
        named_none = [i for i in buyers if i["likely"] == ""][:1]
        picks = [{"deal_id": i["deal_id"], "number": i["number"]} for i in ready + named_none]
        settled = admin.post("/commitments/settle", json={"verb": "confirm", "picks": picks})
        assert settled.status_code == 200
        assert settled.json() == {
            "settled": len(picks),
            "deals": len({p["deal_id"] for p in picks}),
            "passed_over": 0,
            "unnamed": len(named_none),  # confirmed naming no one: to be named for the gate
        }
        confirmed = {_status(engine, p["deal_id"], p["number"]) for p in picks}
        assert confirmed <= {"obtained", "kept"}
        again = admin.post("/commitments/settle", json={"verb": "reject", "picks": picks})
        assert again.json()["passed_over"] == len(picks)  # settled already: left as they are
        assert again.json()["settled"] == 0

        # A rep sees, and settles, nothing of the export's deals (they own none of them).
        assert rep.get("/commitments/waiting").json() == {"total": 0, "items": []}
        left = _waiting(engine)
        unseen = [{"deal_id": d, "number": n} for d, n in left[:2]]
        blind = rep.post("/commitments/settle", json={"verb": "confirm", "picks": unseen})
        assert blind.json()["passed_over"] == len(unseen) and _waiting(engine) == left

        for bad in (
            {"verb": "confirm", "picks": []},
            {"verb": "destroy", "picks": picks},
            {"verb": "confirm", "picks": [{"deal_id": 0, "number": 1}]},
            {"verb": "confirm", "picks": [{"deal_id": 1, "number": 1}] * 501},
        ):
            refused = admin.post("/commitments/settle", json=bad)
            assert refused.status_code == 422 and refused.json()["ok"] is False
        assert _waiting(engine) == left
