"""Suite-wide fixtures: database vendor markers and helpers for tests that start processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    except ImproperlyConfigured:
        return  # run with -p no:django: only pure-module tests, nothing to mark
    skip_pg = pytest.mark.skip(reason="PostgreSQL-only behaviour; runs in the PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    """Factories set passwords; PBKDF2's 1M rounds would cost ~0.3 s per user in tests."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _ticket_events_inline() -> None:
    """Tests read trigger and listener effects right after an action: run the worker half of
    each ticket event at once (tickets/events.py). tickets/tests/test_event_jobs.py turns it off
    and drives the real worker."""
    from django.conf import settings

    settings.SWITCHBOARD_TICKET_EVENTS_INLINE = True


def database_url_for_tests() -> str:
    """A DATABASE_URL pointing child processes at the database this test run uses."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child `manage.py` process sharing this test's database."""
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    env.update(
        DATABASE_URL=database_url_for_tests(),
        SWITCHBOARD_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="test-secret-key-for-child-processes-0123456789abcdefghijklmnop",
        PYTHONUNBUFFERED="1",
        DEBUG="0",
    )
    return env


@pytest.fixture
def spawn(child_env: dict[str, str]) -> Iterator[object]:
    """Start `manage.py ...` children; every one still running is killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(
        *args: str, env: dict[str, str] | None = None, **popen: object
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env={**child_env, **(env or {})},
            cwd=ROOT,
            **popen,  # type: ignore[arg-type]
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


# --- account fixtures shared by every app's tests --------------------------------------------


@pytest.fixture
def org_factory(db):
    from switchboard.accounts.tests import factories

    return factories.OrganizationFactory


@pytest.fixture
def user_factory(db):
    from switchboard.accounts.tests import factories

    return factories.UserFactory


@pytest.fixture
def agent(db):
    from switchboard.accounts.tests import factories

    return factories.AgentFactory()


@pytest.fixture
def admin_user(db):
    from switchboard.accounts.tests import factories

    return factories.AdminFactory()


# --- Browser tests ---------------------------------------------------------------------------
# Playwright (Python) drives Debian's Chromium, headless; it never downloads a browser.
# `bin/ensure-chromium` (run by `make test`) installs the package when it is missing.
CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: run bin/ensure-chromium")
        pytest.skip(f"{CHROMIUM} is missing: run bin/ensure-chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are
    # still synchronous and safe. Child processes never inherit this (see `child_env`).
    os.environ[ASYNC_UNSAFE] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()
    os.environ.pop(ASYNC_UNSAFE, None)


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh browser context (no cookies) on a 1366×800 laptop screen; `page.base` is the app."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    new_page.base = live_server.url
    yield new_page
    context.close()


@pytest.fixture
def nojs_page(browser, live_server) -> Iterator[object]:
    """Like `page`, with JavaScript disabled (pages must read and reply without it)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    new_page.base = live_server.url
    yield new_page
    context.close()


@pytest.fixture(autouse=True)
def _fresh_config_caches() -> None:
    """Each test starts with no cached configuration (core/generations.py): a transactional
    test's flush empties tables without the signals that start a new generation."""
    from switchboard.core import generations

    generations.clear()
