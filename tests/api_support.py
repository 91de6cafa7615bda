"""A real dealgate server on a loopback port, for API tests over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine

from dealgate.api.app import create_app
from dealgate.domain.access import UserRole
from dealgate.services.users import add_user
from tests.builders import T0


@contextmanager
def serve(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Api:
    base: str
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = "admin") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base + "/api/v1", headers=headers, timeout=30)


USERS = [
    ("admin", UserRole.ADMIN, None),
    ("maria", UserRole.MANAGER, "east"),
    ("alice", UserRole.REP, "east"),
    ("bruno", UserRole.REP, "west"),
]


def make_users(engine: Engine) -> dict[str, str]:
    return {name: add_user(engine, name, role, T0, team)[1] for name, role, team in USERS}


@contextmanager
def running_api(engine: Engine, clock: datetime = T0, webhooks: bool = False) -> Iterator[Api]:
    tokens = make_users(engine)
    app = create_app(engine, clock=lambda: clock, webhooks=webhooks)
    with serve(app) as base:
        yield Api(base, tokens)
