"""Benchmark of the Zendesk-compatible REST API against django-helpdesk's ticket API (issue 4).

Run from the repository root (needs PostgreSQL and `wrk`: `apt-get install wrk`):

    .venv/bin/python bench/bench_api.py [--duration 20] [--connections 4] [--worker here|after]
                                        [--append-results]

What it does, for each of the two systems on the same machine and PostgreSQL server:
1. creates a fresh database (dropped at the end), migrates it and seeds an admin with an API
   token, a customer and --tickets tickets;
2. starts gunicorn with 2 sync workers on 127.0.0.1;
3. runs `wrk` (a separate process) for a warm-up, then --duration seconds per call:
   GET one ticket (random ids over the seeded range) and POST a new ticket;
4. reports requests/s and p99 latency, and fails the call if any answer was not 2xx.

Switchboard's worker applies each ticket event after the request. By default (`--worker here`)
it runs on the same CPUs during wrk; `--worker after` stops it for the POST run and starts it
when wrk ends (the request path alone, as with workers on hosts of their own). Either way the
report says how many events were queued when wrk stopped and how long the worker took to catch up.

Switchboard: `GET /api/v2/tickets/{id}.json`, `POST /api/v2/tickets.json`, token auth
(Bearer), rate limiting on (limit set high enough never to answer 429, so every request still
pays for its counter update). django-helpdesk 2.6.1 (the reference): `GET /api/tickets/{id}/`,
`POST /api/tickets/`, DRF token auth (`Authorization: Token ...`; its default Basic auth would
hash a password on every request), e-mail sending off. django-helpdesk is installed into its own
virtualenv under /tmp by this script, never into the project's.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
Targets: Switchboard >= 2x django-helpdesk's throughput on both calls; p99 < 50 ms for the read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from benchlib import PG_URL, drop_db, free_port, parse_wrk, recreate_db, wait_http

ROOT = Path(__file__).resolve().parents[1]
HELPDESK_DIR = Path(os.environ.get("BENCH_HELPDESK_DIR", "/tmp/sb-bench-helpdesk"))
HELPDESK_VERSION = "2.6.1"


@dataclass
class Result:
    system: str
    call: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


# --- helpers -----------------------------------------------------------------------------------


def run(cmd: list[str], **kw: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return str(proc.stdout)


def wrk(url: str, script: str, *, duration: int, connections: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                path,
                url,
            ]
        )
    finally:
        os.unlink(path)
    return parse_wrk(out)


def lua_get(path_format: str, first: int, last: int, auth: str) -> str:
    return textwrap.dedent(f"""
        math.randomseed(42)
        wrk.headers["Authorization"] = "{auth}"
        request = function()
          return wrk.format("GET", string.format("{path_format}", math.random({first}, {last})))
        end
    """)


def lua_post(path: str, body: dict, auth: str) -> str:
    return textwrap.dedent(f"""
        wrk.method = "POST"
        wrk.headers["Authorization"] = "{auth}"
        wrk.headers["Content-Type"] = "application/json"
        wrk.body = [[{json.dumps(body)}]]
        wrk.path = "{path}"
    """)


# --- the two systems ---------------------------------------------------------------------------

SWITCHBOARD_SEED = """
import json
from switchboard.accounts import actions as a
from switchboard.accounts.access import SYSTEM
from switchboard.tickets.actions.create import create_ticket
admin = a.create_user(actor=SYSTEM, email="bench-admin@switchboard.test", name="Bench",
                      role="admin")
token, _ = a.issue_api_token(user=admin, name="bench")
org = a.create_organization(actor=SYSTEM, name="Bench Org", domain_names=["bench.test"],
                            support_level="standard")
customer = a.create_user(actor=admin, email="customer@bench.test", name="Customer")
ids = [create_ticket(actor=admin, requester=customer, subject=f"Ticket {{i}}",
                     description="Seeded for the API benchmark.", tags=["bench"]).pk
       for i in range({n})]
print(json.dumps({{"token": token, "customer": customer.pk, "first": min(ids), "last": max(ids)}}))
"""

HELPDESK_SETTINGS = """
import os
from urllib.parse import urlparse
u = urlparse(os.environ["DATABASE_URL"])
SECRET_KEY = "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework",
    "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": u.path.lstrip("/"),
    "USER": u.username or "postgres", "HOST": u.hostname, "PORT": u.port or 5432,
    "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
}}
SITE_ID = 1
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication"]}
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams, not part of the ticket API
"""

HELPDESK_URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

HELPDESK_SEED = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue, Ticket
admin = get_user_model().objects.create_superuser("bench", "bench@helpdesk.test", "unused-pw-123")
token = Token.objects.create(user=admin).key
queue = Queue.objects.create(title="Bench", slug="bench", email_address="q@helpdesk.test")
ids = [Ticket.objects.create(title=f"Ticket {{i}}", queue=queue, description="Seeded.",
                             submitter_email="customer@bench.test").pk for i in range({n})]
print(json.dumps({{"token": token, "queue": queue.pk, "first": min(ids), "last": max(ids)}}))
"""


def ensure_helpdesk() -> Path:
    """A virtualenv with django-helpdesk and a minimal project using it, under /tmp."""
    venv = HELPDESK_DIR / "venv"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "gunicorn").exists():
        HELPDESK_DIR.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "venv", str(venv)])
        run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                f"django-helpdesk=={HELPDESK_VERSION}",
                "djangorestframework>=3.15",
                "gunicorn>=23",
                "psycopg[binary]>=3.2",
            ]
        )
    project = HELPDESK_DIR / "project"
    (project / "hdproject").mkdir(parents=True, exist_ok=True)
    (project / "hdproject" / "__init__.py").write_text("")
    (project / "hdproject" / "settings.py").write_text(HELPDESK_SETTINGS)
    (project / "hdproject" / "urls.py").write_text(HELPDESK_URLS)
    (project / "hdproject" / "wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    (project / "manage.py").write_text(
        "import sys\nfrom django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    return project


def start_gunicorn(gunicorn: str, app: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [gunicorn, app, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bench_system(
    name: str,
    *,
    port: int,
    get_script: str,
    post_script: str,
    args: argparse.Namespace,
    before_post: Callable[[], None] | None = None,
) -> list[Result]:
    base = f"http://127.0.0.1:{port}"
    results = []
    for call, script in (("GET ticket", get_script), ("POST ticket", post_script)):
        if call == "POST ticket" and before_post is not None:
            before_post()
        wrk(base, script, duration=3, connections=args.connections, threads=args.threads)
        out = wrk(
            base, script, duration=args.duration, connections=args.connections, threads=args.threads
        )
        results.append(
            Result(name, call, out["rps"], out["p50"], out["p99"], out["requests"], out["errors"])
        )
        print(
            f"{name:<15} {call:<12} {out['rps']:8.1f} req/s  p50 {out['p50']:6.1f} ms  "
            f"p99 {out['p99']:6.1f} ms  ({out['requests']} requests, {out['errors']} errors)",
            flush=True,
        )
    return results


def bench_switchboard(args: argparse.Namespace) -> list[Result]:
    db = "switchboard_bench_api"
    url = recreate_db(db)
    var = Path(tempfile.mkdtemp(prefix="sb-bench-api-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SWITCHBOARD_VAR_DIR": str(var),
        "SECRET_KEY": "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SWITCHBOARD_API_RATE_LIMIT": "1000000000",
    }
    py = str(ROOT / ".venv" / "bin" / "python")
    run([py, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT)
    seed = json.loads(
        run(
            [py, "manage.py", "shell", "-c", SWITCHBOARD_SEED.format(n=args.tickets)],
            # The seed's own ticket events run as it goes: the worker starts with no backlog.
            env={**env, "SWITCHBOARD_TICKET_EVENTS_INLINE": "1"},
            cwd=ROOT,
        )
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = start_gunicorn(
        str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", port, env, ROOT
    )

    # The worker half of each ticket event (triggers, time rules, search, ...) runs here, on the
    # same machine, while wrk loads the web server: its cost is in the figures. With
    # --worker after, it is stopped for the POST run and started again when wrk ends, as if it
    # ran on a host of its own: the figures are then the request path's alone.
    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(
            [py, "manage.py", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop_worker() -> None:
        worker.terminate()
        worker.wait(timeout=30)

    worker = start_worker()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        # The seed's tickets queued their notifications (one email each): let the worker send
        # them before measuring, or the GET figures include a backlog no steady state has.
        wait_for_jobs(url)
        auth = f"Bearer {seed['token']}"
        body = {
            "ticket": {
                "subject": "Benchmark ticket",
                "comment": {"body": "Created by bench/bench_api.py."},
                "requester_id": seed["customer"],
                "priority": "normal",
            }
        }
        results = bench_system(
            "Switchboard",
            port=port,
            get_script=lua_get("/api/v2/tickets/%d.json", seed["first"], seed["last"], auth),
            post_script=lua_post("/api/v2/tickets.json", body, auth),
            args=args,
            before_post=stop_worker if args.worker == "after" else None,
        )
        if args.worker == "after":
            worker = start_worker()
        report_event_backlog(url)
        return results
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        drop_db(db)
        shutil.rmtree(var, ignore_errors=True)


def wait_for_jobs(url: str, timeout: float = 300) -> None:
    """Until no job is ready or running (the worker has drained the queue)."""
    query = (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN ('READY', 'RUNNING') AND run_after <= now()"
    )
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute(query).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() - started > timeout:
                sys.exit(f"the worker did not drain the seed's jobs in {timeout:.0f} s")
            time.sleep(0.5)


def report_event_backlog(url: str) -> None:
    """Ticket events the worker had not run when wrk stopped, and how long it took to catch up."""
    query = (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s AND status IN ('READY', 'RUNNING')"
    )
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        (backlog,) = conn.execute(query, ["%process_ticket_event"]).fetchone()
        pending = backlog
        while pending and time.monotonic() - started < 300:
            time.sleep(0.2)
            (pending,) = conn.execute(query, ["%process_ticket_event"]).fetchone()
    print(
        f"Switchboard     ticket events queued when wrk stopped: {backlog}; "
        f"worker caught up {time.monotonic() - started:.1f} s later",
        flush=True,
    )


def bench_helpdesk(args: argparse.Namespace) -> list[Result]:
    project = ensure_helpdesk()
    venv = HELPDESK_DIR / "venv" / "bin"
    db = "helpdesk_bench_api"
    url = recreate_db(db)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV")},
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "hdproject.settings",
        "PYTHONPATH": str(project),
    }
    run([str(venv / "python"), "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=project)
    seed = json.loads(
        run(
            [
                str(venv / "python"),
                "manage.py",
                "shell",
                "-c",
                HELPDESK_SEED.format(n=args.tickets),
            ],
            env=env,
            cwd=project,
        )
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = start_gunicorn(
        str(venv / "gunicorn"), "hdproject.wsgi:application", port, env, project
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/tickets/")
        auth = f"Token {seed['token']}"
        body = {
            "queue": seed["queue"],
            "title": "Benchmark ticket",
            "description": "Created by bench/bench_api.py.",
            "submitter_email": "customer@bench.test",
            "priority": 3,
        }
        return bench_system(
            "django-helpdesk",
            port=port,
            get_script=lua_get("/api/tickets/%d/", seed["first"], seed["last"], auth),
            post_script=lua_post("/api/tickets/", body, auth),
            args=args,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_db(db)


# --- report ------------------------------------------------------------------------------------


def machine() -> str:
    with psycopg.connect(f"{PG_URL}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (
        f"{platform.node() or 'host'}, {os.cpu_count()} CPUs ({platform.machine()}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


def report(results: list[Result], args: argparse.Namespace) -> tuple[str, bool]:
    by = {(r.system, r.call): r for r in results}
    lines = [
        "## REST API (PostgreSQL, gunicorn 2 workers, wrk)",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; wrk, gunicorn and PostgreSQL share it",
        f"- Command: `.venv/bin/python bench/bench_api.py --duration {args.duration} "
        f"--connections {args.connections}"
        f"{' --worker after' if args.worker == 'after' else ''}"
        f"{' --append-results' if args.append_results else ''}`",
        "- Switchboard's worker: "
        + (
            "stopped for the POST run and started when wrk ended (the request path alone, as "
            "with workers on their own hosts)"
            if args.worker == "after"
            else "running on the same CPUs during both runs (its cost is in the figures)"
        ),
        f"- {args.tickets} seeded tickets per system; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per call after a 3 s warm-up; "
        "GET picks random seeded ids. Reference: django-helpdesk "
        f"{HELPDESK_VERSION} (DRF token auth) in its own virtualenv under /tmp.",
        "",
        "| call | Switchboard req/s | p99 | django-helpdesk req/s | p99 | ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    ok = True
    for call, target in (("GET ticket", "≥ 2x, p99 < 50 ms"), ("POST ticket", "≥ 2x")):
        sb, hd = by[("Switchboard", call)], by[("django-helpdesk", call)]
        ratio = sb.rps / hd.rps if hd.rps else float("inf")
        passed = ratio >= 2 and (call != "GET ticket" or sb.p99_ms < 50)
        passed = passed and sb.errors == 0 and hd.errors == 0
        ok = ok and passed
        lines.append(
            f"| {call} | {sb.rps:,.0f} | {sb.p99_ms:.1f} ms | {hd.rps:,.0f} | {hd.p99_ms:.1f} ms "
            f"| {ratio:.2f}x | {target}: {'PASS' if passed else 'FAIL'} |"
        )
    errors = sum(r.errors for r in results)
    lines += [
        "",
        f"Non-2xx answers or socket errors: {errors}. Result: {'PASS' if ok else 'FAIL'}.",
    ]
    return "\n".join(lines) + "\n", ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--skip-helpdesk", action="store_true")
    parser.add_argument(
        "--worker",
        choices=["here", "after"],
        default="here",
        help="Switchboard's worker during the POST run: on the same CPUs, or started after it",
    )
    parser.add_argument("--append-results", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    results = bench_switchboard(args)
    if args.skip_helpdesk:
        return
    results += bench_helpdesk(args)
    text, ok = report(results, args)
    print()
    print(text)
    if args.append_results:
        with (ROOT / "bench" / "RESULTS.md").open("a") as f:
            f.write("\n" + text)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
