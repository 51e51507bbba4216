"""Regenerate the web UI screenshots from the demo data.

    .venv/bin/python docs/screenshots/make_screenshots.py

Builds a throw-away SQLite database in a temporary directory (`migrate` + `seed_demo`), starts
`manage.py runserver` on a free local port, signs in as the demo agent with Playwright driving
Debian's Chromium (/usr/bin/chromium, headless; nothing is downloaded), and writes
agent-home.png, ticket-page.png and dashboard.png next to this file, and the phone (375 px)
shots agent-home-phone.png, agent-menu-phone.png and ticket-page-phone.png. If portal_shots.py
is here too, its `shoot_portal` adds the customer portal's portal-form.png. Your own database is not
touched. Pass `--base-url http://host:port` to shoot a server that is already running with the
demo data instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
AGENT_EMAIL = "agent@switchboard.test"
PASSWORD = "switchboard"
VIEWPORT = {"width": 1366, "height": 800}
PHONE = {"width": 375, "height": 812}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=2):  # noqa: S310 - local URL
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {timeout:.0f} s")


def shoot_agent(page: object, base_url: str, out: Path) -> list[Path]:
    """Sign in as the demo agent; save the home page, a busy ticket and the dashboard."""
    page.goto(f"{base_url}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", AGENT_EMAIL)  # type: ignore[attr-defined]
    page.fill("#id_password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/")  # type: ignore[attr-defined]
    written = []

    home = out / "agent-home.png"
    page.screenshot(path=str(home))  # type: ignore[attr-defined]
    written.append(home)

    # The ticket whose SLA runs out first: it has a conversation, an organization and clocks.
    link = page.locator("table.tickets td.subject a").first  # type: ignore[attr-defined]
    link.click()
    page.wait_for_url(f"{base_url}/tickets/**")  # type: ignore[attr-defined]
    page.select_option("#macro-select", label="General::Invite customer call")  # type: ignore[attr-defined]
    page.locator("#macro-preview-content h4").wait_for()  # type: ignore[attr-defined]
    ticket = out / "ticket-page.png"
    page.screenshot(path=str(ticket), full_page=True)  # type: ignore[attr-defined]
    written.append(ticket)

    page.goto(f"{base_url}/dashboard")  # type: ignore[attr-defined]
    dashboard = out / "dashboard.png"
    page.screenshot(path=str(dashboard), full_page=True)  # type: ignore[attr-defined]
    written.append(dashboard)
    return written


def shoot_phone(page: object, base_url: str, out: Path) -> list[Path]:
    """The same agent on a 375 px phone: the home page (menu collapsed), the menu open, and a
    ticket page (full length)."""
    page.goto(f"{base_url}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", AGENT_EMAIL)  # type: ignore[attr-defined]
    page.fill("#id_password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/")  # type: ignore[attr-defined]
    written = [out / "agent-home-phone.png", out / "agent-menu-phone.png"]
    page.screenshot(path=str(written[0]))  # type: ignore[attr-defined]
    page.click(".menu-toggle")  # type: ignore[attr-defined]
    page.screenshot(path=str(written[1]))  # type: ignore[attr-defined]
    page.click(".menu-toggle")  # type: ignore[attr-defined]
    page.locator("td.subject a").first.click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/tickets/**")  # type: ignore[attr-defined]
    written.append(out / "ticket-page-phone.png")
    page.screenshot(path=str(written[-1]), full_page=True)  # type: ignore[attr-defined]
    return written


def shoot_all(base_url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport=VIEWPORT)
        written += shoot_agent(context.new_page(), base_url, out)
        context.close()
        context = browser.new_context(viewport=PHONE)
        written += shoot_phone(context.new_page(), base_url, out)
        context.close()
        portal = HERE / "portal_shots.py"
        if portal.exists():  # the customer portal's own screenshot
            spec = importlib.util.spec_from_file_location("portal_shots", portal)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            context = browser.new_context(viewport=VIEWPORT)
            written.append(module.shoot_portal(context.new_page(), base_url, out))
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="shoot an already running server with demo data")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the PNG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run bin/ensure-chromium")
    if args.base_url:
        written = shoot_all(args.base_url.rstrip("/"), args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="switchboard-shots-") as tmp:
            env = dict(os.environ)
            env.update(
                DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite3",
                SWITCHBOARD_VAR_DIR=tmp,
                SWITCHBOARD_ENV="development",
                DEBUG="1",
                SECRET_KEY="screenshots-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
                PYTHONUNBUFFERED="1",
            )
            _manage(env, "migrate", "--verbosity", "0")
            _manage(env, "seed_demo")
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "runserver",
                    "--noreload",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                _wait_until_up(base_url, server)
                written = shoot_all(base_url, args.out)
            finally:
                server.terminate()
                server.wait(timeout=10)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
