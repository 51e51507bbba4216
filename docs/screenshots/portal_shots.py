"""The customer portal's screenshot: the new-ticket form, signed in as the demo customer.

Called by make_screenshots.py (the agent workspace's script) with a Playwright page, the running
app's base URL, and where to write: a directory (→ <dir>/portal-form.png) or a .png path.
Run alone against a server with `manage.py seed_demo` data:

    .venv/bin/python docs/screenshots/portal_shots.py http://127.0.0.1:8099 docs/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

DEMO_EMAIL = "customer@acme.test"
DEMO_PASSWORD = "switchboard"
FILENAME = "portal-form.png"


def shoot_portal(page: Any, base_url: str, path: str | Path) -> Path:
    """Sign in through /login/ as the demo customer and save the filled-in new-ticket form."""
    base_url = base_url.rstrip("/")
    out = Path(path)
    if out.suffix.lower() != ".png":
        out = out / FILENAME
    out.parent.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/portal/**")

    page.goto(f"{base_url}/portal/tickets/new")
    page.get_by_label("Summary").fill("Pipelines stuck in pending after upgrading to 16.4")
    page.get_by_label("When did it start, and how often does it happen?").fill(
        "Since Monday 09:00 CET, on every project"
    )
    page.get_by_label("Business impact").fill("No deployments for 40 developers")
    page.get_by_label("Steps to reproduce").fill("1. Push a commit\n2. Open the pipeline")
    page.get_by_label("Current behaviour").fill("Jobs stay in 'pending' and never start")
    page.get_by_label("Expected behaviour").fill("Jobs start within a minute")
    page.get_by_label("Recent changes").fill("Upgraded the runners on Sunday")
    page.get_by_label("Version", exact=True).first.fill("16.4.1")
    page.get_by_label("Install type", exact=True).first.select_option("Docker")
    page.get_by_label("Severity 2 — High").check()
    page.get_by_label("Preferred region").select_option("emea")
    page.get_by_label("Business impact").click()  # let the sensitive-information check answer
    page.get_by_text("No passwords, tokens or keys found").wait_for(timeout=5000)
    page.screenshot(path=str(out), full_page=True)
    return out


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    base_url = argv[1] if len(argv) > 1 else "http://127.0.0.1:8099"
    target = argv[2] if len(argv) > 2 else str(Path(__file__).resolve().parent)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        print(shoot_portal(page, base_url, target))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
