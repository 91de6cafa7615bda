"""The baseline for bench/api.py: a bare FastAPI endpoint that returns a constant."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
def constant() -> dict[str, int]:
    return {"ok": 1}
