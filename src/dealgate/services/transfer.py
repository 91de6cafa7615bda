"""Giving every deal of one owner to a user: how an import's owners that are no user, or a rep
who left, hand their deals to someone who sees them (Salesforce's "mass transfer")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from dealgate.domain.errors import invalid
from dealgate.store.unit_of_work import UnitOfWork

CHUNK = 200  # deals per transaction: a stopped transfer keeps what it did


@dataclass(frozen=True)
class Transfer:
    from_owner: str
    to_user: str
    deals: int  # given to the user by this run
    closed_kept: int  # closed deals left with their owner (`open_only`)


def transfer_deals(
    engine: Engine,
    *,
    from_owner: str,
    to_user: str,
    now: datetime,
    actor: str,
    open_only: bool = False,
) -> Transfer:
    """Each deal records the change of owner as any edit does. Run again, a transfer stopped
    midway gives the rest; a deal someone else changed meanwhile stops it with `conflict`
    (that chunk undone, the ones before kept)."""
    with UnitOfWork(engine, write=False) as uow:
        users = uow.users.names()
        owned = uow.users.deals_owned_by(from_owner)
    if to_user not in users:
        raise invalid(
            "unknown_user",
            f'No dealgate user is called "{to_user}" (users: '
            f"{', '.join(users[:20]) or 'none yet'}). Give the deals to a user, or add one "
            f"first (`dealgate user add {to_user} --role rep --team TEAM`).",
            "to",
        )
    if to_user == from_owner:
        raise invalid(
            "same_owner",
            f'"{from_owner}" is both the owner and the user to give to: name another user.',
            "to",
        )
    if not owned:
        with UnitOfWork(engine, write=False) as uow:  # only to say which owners there are
            names = ", ".join(list(uow.users.owners_without_user())[:10]) or "none"
        raise invalid(
            "no_deals",
            f'No deal to give: "{from_owner}" owns none. Owners no user is called, whose '
            f"deals only admins see: {names}.",
            "from",
            status=404,
        )
    given = kept = 0
    after = 0
    while True:
        with UnitOfWork(engine) as uow:
            deals = uow.deals.find(owner=from_owner, after_id=after, limit=CHUNK)
            if not deals:
                break
            for deal in deals:
                if open_only and deal.is_closed:
                    kept += 1
                    continue
                deal.update(now=now, actor=actor, owner=to_user)
                uow.deals.save(deal)
                given += 1
            uow.commit()
        last = deals[-1].id
        assert last is not None  # deals read from the database have their id
        after = last
    return Transfer(from_owner, to_user, given, kept)
