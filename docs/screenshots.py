"""Regenerate the README screenshots: run `make run` (demo data; maria / dealgate-demo), then
`python docs/screenshots.py` (DEALGATE_URL when the server is not at http://127.0.0.1:8000)."""

import os

from playwright.sync_api import sync_playwright

BASE = os.environ.get("DEALGATE_URL", "http://127.0.0.1:8000")

with sync_playwright() as p:
    b = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    page = b.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{BASE}/login")
    page.fill("#name", "maria")
    page.fill("#password", "dealgate-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{BASE}/")
    page.screenshot(path="docs/screenshots/board.png")
    page.goto(f"{BASE}/deals/5")
    page.screenshot(path="docs/screenshots/deal.png", full_page=True)
    page.goto(f"{BASE}/review")
    page.screenshot(path="docs/screenshots/review.png")
    page.goto(f"{BASE}/confirm")
    page.screenshot(path="docs/screenshots/confirm.png")
    b.close()
