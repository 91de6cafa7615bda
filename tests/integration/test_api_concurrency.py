"""Twenty clients advance the same deal at once over real HTTP: exactly one move happens."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from dealgate.store import tables as t
from tests.api_support import running_api


def test_twenty_clients_advance_one_deal_once(engine: Engine) -> None:
    with running_api(engine) as api:
        alice = api.client("alice")
        deal = alice.post("/deals", json={"name": "Fleet", "account": "Acme"}).json()
        path = f"/deals/{deal['id']}"
        alice.post(f"{path}/stakeholders", json={"name": "Raj Patel", "role": "champion"})
        alice.post(
            f"{path}/commitments",
            json={
                "party": "buyer",
                "action": "Intro",
                "kind": "intro_call_booked",
                "person": "Raj Patel",
                "due": "2026-03-09",
            },
        )
        version = alice.get(path).json()["version"]
        barrier = threading.Barrier(20)
        statuses: list[int] = []
        lock = threading.Lock()

        def advance(use_if_match: bool) -> None:
            with api.client("alice") as client:
                headers = {"If-Match": f'"{version}"'} if use_if_match else {}
                barrier.wait()
                response = client.post(f"{path}/advance", json={}, headers=headers)
                with lock:
                    statuses.append(response.status_code)

        threads = [threading.Thread(target=advance, args=(n % 2 == 0,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(statuses) == 20
        assert statuses.count(200) == 1, statuses
        assert set(statuses) <= {200, 409, 422}
        assert alice.get(path).json()["stage"] == "discover"
    with engine.connect() as conn:
        moves = conn.execute(
            select(func.count())
            .select_from(t.events)
            .where(t.events.c.deal_id == deal["id"], t.events.c.type == "deal.advanced")
        ).scalar_one()
        total = conn.execute(
            select(func.count()).select_from(t.events).where(t.events.c.deal_id == deal["id"])
        ).scalar_one()
    assert moves == 1
    assert total == 4  # opened, stakeholder, commitment, one advance: no duplicates
