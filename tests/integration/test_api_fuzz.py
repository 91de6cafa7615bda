"""schemathesis against the app's own OpenAPI document, over real HTTP on loopback:
no 5xx, and every response matches its schema (errors included)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from dealgate.api.app import create_app
from dealgate.services.demo import fill_demo
from dealgate.services.setup import init_database
from dealgate.store.db import make_engine
from tests.api_support import make_users, serve
from tests.builders import T0

schema = schemathesis.openapi.from_dict(create_app(webhooks=False).openapi())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'fuzz.db'}")
        init_database(engine, T0)
        fill_demo(engine, T0 + timedelta(days=160), deals=12)
        token = make_users(engine)["admin"]
        with serve(create_app(engine, clock=lambda: T0, webhooks=False)) as base:
            yield base, token
        engine.dispose()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_own_schema(case: Any, server: tuple[str, str]) -> None:
    base, token = server
    case.call_and_validate(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
