"""Helpers shared by the HTTP benchmarks (bench_api.py, bench_web.py): a scratch PostgreSQL
database, a free port, waiting for a server, and reading wrk's latency figures."""

from __future__ import annotations

import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import psycopg
from psycopg import sql

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drop_db(name: str) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def recreate_db(name: str) -> str:
    """An empty database `name` (dropped first if left over); returns its URL."""
    drop_db(name)
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG_URL}/{name}"


def wait_http(url: str, timeout: float = 60) -> None:
    """Return once `url` answers below 500; exit the benchmark if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"server at {url} did not come up")


def wrk_ms(value: str) -> float:
    """wrk's "1.23ms" / "850.00us" / "1.02s" in milliseconds."""
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict:
    """req/s, p50/p99 (ms), request count and errors (non-2xx/3xx + socket errors) from
    `wrk --latency` output; `raw` keeps the whole text."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = wrk_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = wrk_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total, "errors": errors, "raw": out}


def api_client_with_customer() -> tuple[Any, dict[str, str], int]:
    """In a migrated database, after django.setup(): an admin with an API token, an organization
    and a customer in it. Returns (a Django test client, its Authorization header, the
    customer's id) for the in-process API benchmarks; settings as a server would have them."""
    from django.conf import settings
    from django.test import Client

    from switchboard.accounts import actions as a
    from switchboard.accounts.access import SYSTEM

    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SWITCHBOARD_API_RATE_LIMIT = 10**9
    admin = a.create_user(actor=SYSTEM, email="bench-admin@bench.test", name="B", role="admin")
    a.create_organization(
        actor=SYSTEM, name="Bench Org", domain_names=["bench.test"], support_level="standard"
    )
    customer = a.create_user(actor=admin, email="customer@bench.test", name="Customer")
    token, _ = a.issue_api_token(user=admin, name="bench")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}, customer.pk


def run_in_scratch_db(db: str, measure: Any, *args: Any) -> None:
    """Create database `db` (dropped again at the end), point Django at it, set Django up,
    migrate, then call `measure(*args)`: the frame of the in-process benchmarks."""
    os.environ["DATABASE_URL"] = recreate_db(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        try:
            measure(*args)
        finally:
            connection.close()
    finally:
        drop_db(db)
