"""Logging in to the pages over HTTP, as a browser does: the login form's token, then the
session's; and a stored deal for the pages to show."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from dealgate.domain.commitment import Party
from dealgate.domain.stakeholder import Role
from dealgate.services import deals as svc
from tests.builders import T0


def log_in(browser: httpx.Client, name: str, password: str) -> str:
    """Logs `name` in; the session's CSRF token, for the forms."""
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token is not None
    data = {"name": name, "password": password, "csrf": token.group(1)}
    assert browser.post("/login", data=data).status_code == 303
    session = re.search(r'name="csrf" value="([^"]+)"', browser.get("/deals/new").text)
    assert session is not None
    return session.group(1)


def deal_with_commitment(
    engine: Engine,
    *,
    owner: str,
    stage: str,
    committee: dict[str, Role],
    kind: str,
    person: str,
    action: str,
) -> int:
    """A deal in `stage` whose committee is `committee`, with one dated buyer commitment of
    `kind` naming `person` (a member or not); its id."""
    deal = svc.open_deal(
        engine, now=T0, actor=owner, name="Fleet", account="Acme", owner=owner, stage=stage
    )
    assert deal.id is not None
    for name, role in committee.items():
        svc.add_stakeholder(engine, deal.id, now=T0, actor=owner, name=name, role=role)
    svc.add_commitment(
        engine,
        deal.id,
        now=T0,
        actor=owner,
        party=Party.BUYER,
        action=action,
        kind=kind,
        person=person,
        due=T0.date(),
    )
    return deal.id
