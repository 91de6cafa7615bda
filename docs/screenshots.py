"""Regenerate the README screenshots: run `make run` (or `dealgate serve --port 8765` on the
demo database with a manager maria / "correct horse"), then `python docs/screenshots.py`."""

from playwright.sync_api import sync_playwright

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
    page.goto("http://127.0.0.1:8765/login")
    page.fill("#name", "maria")
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url("http://127.0.0.1:8765/")
    page.screenshot(path="docs/screenshots/board.png")
    page.goto("http://127.0.0.1:8765/deals/5")
    page.screenshot(path="docs/screenshots/deal.png", full_page=True)
    page.goto("http://127.0.0.1:8765/review")
    page.screenshot(path="docs/screenshots/review.png")
    b.close()
