"""Benchmark of the server-rendered web UI (agent workspace and customer portal) on PostgreSQL.

Run from the repository root (needs PostgreSQL and `wrk`: `apt-get install wrk`):

    .venv/bin/python bench/bench_web.py [--duration 15] [--connections 4] [--threads 2]
                                        [--tickets 10000] [--real-tickets 1600] [--append-results]

What it does:
1. creates a fresh database (dropped again at the end), migrates it and runs `seed_demo`;
2. adds --real-tickets tickets through `tickets.actions.create` (demo subjects and bodies,
   created over the last 30 days, 12 % in the last 3 hours; about 40 % get an agent's
   assignment and reply through `update_ticket` / `add_comment`), one ticket with 40 comments
   (`add_comment`, agent and customer replies and internal notes) requested by the demo
   customer, then runs the sweeps once (breaches marked, as the worker would);
3. copies those --real-tickets tickets in SQL until the database holds --tickets tickets: each
   copy is the ticket row (search vector included) with its comments, SLA clocks, tags and CCs
   (not its audits, clock events or notifications, which no benchmarked page reads); ANALYZE;
4. starts gunicorn with 2 sync workers on 127.0.0.1 and signs in through `POST /login/` (with
   the CSRF token, as a browser does) as the demo agent and the demo customer;
5. requests each page once and fails loudly unless it answers 200 with the expected content,
   then runs `wrk` (a separate process) per page with the session and CSRF cookies: a 3 s
   warm-up, then --duration seconds, and reports requests/s, p50 and p99 (`wrk --latency`).

Pages: `/` (agent home, view counts, due soonest), `/views/<id>/` for "Breaching within 2 h"
and "Unassigned tickets" (5,000+ tickets), `/tickets/<id>/` for the 40-comment ticket,
`/search?q=...`, `/dashboard`, `/oncall/`, the incident list `/oncall/incidents/`, the demo
customer's `/users/<id>/` and their organization's `/organizations/<id>/`, and the customer's
`/portal/`.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432), the scratch
database's name from BENCH_WEB_DB (default switchboard_bench_web). There is no
target: this measures where the pages stand. Exits 1 if any answer was not 2xx.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from benchlib import PG_URL, drop_db, free_port, parse_wrk, recreate_db, wait_http

ROOT = Path(__file__).resolve().parents[1]
# BENCH_WEB_DB: another scratch database name, so two runs on one server do not drop each other's.
DB_NAME = os.environ.get("BENCH_WEB_DB", "switchboard_bench_web")
DEMO_PASSWORD = "switchboard"
AGENT_EMAIL = "agent@switchboard.test"
CUSTOMER_EMAIL = "customer@acme.test"
BREACHING_VIEW = "Breaching within 2 h (SLA hawk)"
LARGE_VIEW = "Unassigned tickets"
SEARCH_QUERY = "upgrade"
WARMUP_SECONDS = 3
SECTION = "## Web UI (PostgreSQL, gunicorn 2 workers, wrk)"


@dataclass
class Page:
    name: str
    path: str
    session: str  # "agent" or "customer"
    marker: str  # text the 200 page must contain (proves it is the signed-in page)


@dataclass
class Result:
    page: Page
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


# --- helpers -----------------------------------------------------------------------------------


def run(cmd: list[str], **kw: object) -> str:
    """Run a command; its stderr (progress) goes to ours, its stdout is returned."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout[-3000:]}")
    return str(proc.stdout)


def wrk(url: str, cookie: str, *, duration: int, connections: int, threads: int) -> dict:
    out = run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            url,
        ]
    )
    return parse_wrk(out)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back instead of following them: a redirect to /login/ is a failure."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def sign_in(base: str, email: str) -> str:
    """Sign in like a browser: GET /login/ (CSRF cookie + token), POST the form; the cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(f"{base}/login/", timeout=30) as response:
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not token:
        sys.exit("sign-in: no csrfmiddlewaretoken on /login/")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": email, "password": DEMO_PASSWORD}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=form, method="POST")
    try:
        with opener.open(request, timeout=30) as response:
            sys.exit(f"sign-in as {email}: expected a redirect, got {response.status}")
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            sys.exit(f"sign-in as {email}: HTTP {exc.code}\n{exc.read()[:2000]!r}")
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies or "csrftoken" not in cookies:
        sys.exit(f"sign-in as {email}: no session cookie (got {sorted(cookies)})")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def check_page(base: str, page: Page, cookie: str) -> int:
    """One request; exit unless it is a 200 holding the page's marker. Returns the body size."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(base + page.path, headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=60) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        sys.exit(
            f"FAIL: GET {page.path} ({page.name}) answered {exc.code} "
            f"{exc.headers.get('Location') or ''}\n{exc.read()[:2000]!r}"
        )
    if status != 200:
        sys.exit(f"FAIL: GET {page.path} ({page.name}) answered {status}, expected 200")
    if page.marker not in body:
        sys.exit(f"FAIL: GET {page.path} ({page.name}): 200 but {page.marker!r} not in the page")
    return len(body.encode())


# --- seeding -----------------------------------------------------------------------------------

# Runs in `manage.py shell -c`; parameters come in BENCH_WEB_PARAMS (JSON). Progress on stderr,
# one JSON line on stdout at the end.
SEED = r"""
import json, os, random, sys, time
from datetime import timedelta
from django.db import connection, transaction
from django.utils import timezone
from switchboard.accounts.models import Role, User
from switchboard.core.sweeps import run_all_sweeps
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets import demo
from switchboard.tickets.models import Comment, Ticket, View
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.search import search
from switchboard.tickets.saved_views import count_views, views_for

params = json.loads(os.environ["BENCH_WEB_PARAMS"])
rng = random.Random(20260301)
now = timezone.now().replace(second=0, microsecond=0)
agents = list(User.objects.filter(role=Role.AGENT).order_by("pk"))
customers = list(User.objects.filter(role=Role.END_USER, organization__is_internal=False)
                 .exclude(organization=None).order_by("pk"))
unverified = list(User.objects.filter(role=Role.END_USER, organization=None).order_by("pk"))
agent = User.objects.get(email=params["agent"])
customer = User.objects.get(email=params["customer"])

def log(message):
    print(f"seed: {message}", file=sys.stderr, flush=True)

# 1. Real tickets through the actions.
began = time.perf_counter()
first_real = None
last_real = None
for i in range(params["real"]):
    requester = (unverified[i % len(unverified)] if i % 25 == 0 and unverified
                 else customers[i % len(customers)])
    if rng.random() < 0.12:
        created = now - timedelta(minutes=rng.randrange(1, 180))
    else:
        created = now - timedelta(minutes=rng.randrange(180, 30 * 24 * 60))
    ticket = create_ticket(  # an agent files it (type and tags are agent-only fields)
        actor=agents[i % len(agents)],
        requester=requester,
        subject=rng.choice(demo.SUBJECTS),
        description=rng.choice(demo.BODIES).format(
            when=rng.choice(demo.WHEN), impact=rng.choice(demo.IMPACT),
            steps=rng.choice(demo.STEPS)),
        priority=rng.choices(["low", "normal", "high", "urgent"], weights=[2, 6, 3, 1])[0],
        ticket_type=rng.choice(["question", "incident", "problem", ""]),
        tags=rng.sample(demo.TAGS, k=rng.randrange(0, 3)),
        channel=rng.choice(["web", "web", "email", "api"]),
        created_at=created,
        version=rng.choice(["16.2.1", "16.3.0", "15.11.8"]),
        install_type=rng.choice(["Omnibus", "Helm chart", "Source"]),
    )
    first_real = first_real or ticket.pk
    last_real = ticket.pk
    step = created + timedelta(minutes=rng.randrange(20, 600))
    if ticket.status != "closed" and rng.random() < 0.4 and step < now:
        who = rng.choice(agents)
        update_ticket(ticket=ticket, actor=who, assignee=who, at=step)
        add_comment(
            ticket=ticket, author=who, body=rng.choice(demo.AGENT_REPLIES),
            status=rng.choices(["open", "pending", "hold", "solved"], weights=[4, 3, 1, 3])[0],
            at=step)
    if (i + 1) % 400 == 0:
        log(f"{i + 1} tickets through create_ticket ({time.perf_counter() - began:.0f} s)")
real_seconds = time.perf_counter() - began

# 2. The long conversation: 1 + 39 comments.
start = now - timedelta(days=3)
big = create_ticket(
    actor=agent, requester=customer, subject="Geo failover drill: replication never catches up",
    description=demo.BODIES[0].format(when=demo.WHEN[0], impact=demo.IMPACT[0],
                                      steps=demo.STEPS[0]),
    priority="high", ticket_type="incident", tags=["geo", "ha"], created_at=start)
for n in range(1, 40):
    at = start + timedelta(minutes=60 * n)
    if n % 8 == 0:
        add_comment(ticket=big, author=agent, public=False, at=at,
                            body="Internal: discussed with the Geo team; see the linked issue.")
    elif n % 2:
        add_comment(ticket=big, author=agent, body=rng.choice(demo.AGENT_REPLIES),
                            status="pending", at=at)
    else:
        add_comment(ticket=big, author=customer, body=rng.choice(demo.CUSTOMER_REPLIES),
                            at=at)
run_all_sweeps(timezone.now())
log(f"{params['real']} tickets + the 40-comment ticket in {time.perf_counter() - began:.0f} s")

# 3. Copies of the real tickets, in SQL, up to the wanted total.
def columns(table, skip):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() ORDER BY ordinal_position", [table])
        return [row[0] for row in cursor.fetchall() if row[0] not in skip]

copy_began = time.perf_counter()
missing = params["total"] - Ticket.objects.count()
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE bench_clone_map (old_id bigint, new_id bigint) "
                   "ON COMMIT DROP")
    cursor.execute(
        "INSERT INTO bench_clone_map SELECT old_id, "
        "nextval(pg_get_serial_sequence('tickets_ticket', 'id')) FROM ("
        " SELECT t.id AS old_id FROM tickets_ticket t, generate_series(1, %s) AS k"
        " WHERE t.id BETWEEN %s AND %s AND t.merged_into_id IS NULL"
        " AND t.follow_up_source_id IS NULL ORDER BY k, t.id LIMIT %s) AS picked",
        [max(1, missing // max(1, last_real - first_real + 1) + 1), first_real, last_real,
         max(0, missing)])
    cursor.execute("CREATE INDEX ON bench_clone_map (old_id)")
    cols = columns("tickets_ticket", {"id"})
    listed = ", ".join(f'"{c}"' for c in cols)
    cursor.execute(
        f'INSERT INTO tickets_ticket ("id", {listed}) SELECT m.new_id, '
        + ", ".join(f't."{c}"' for c in cols)
        + " FROM bench_clone_map m JOIN tickets_ticket t ON t.id = m.old_id")
    copied = {"tickets": cursor.rowcount}
    for table in ("tickets_comment", "sla_ticketclock", "tickets_tickettag",
                  "tickets_ticket_ccs"):
        cols = columns(table, {"id", "ticket_id"})
        listed = ", ".join(f'"{c}"' for c in cols)
        cursor.execute(
            f'INSERT INTO {table} ("ticket_id", {listed}) SELECT m.new_id, '
            + ", ".join(f'x."{c}"' for c in cols)
            + f" FROM bench_clone_map m JOIN {table} x ON x.ticket_id = m.old_id")
        copied[table] = cursor.rowcount
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
log(f"copied in SQL: {copied} in {time.perf_counter() - copy_began:.1f} s")

views = list(views_for(agent))
counts = count_views(views, agent)
by_title = {v.title: v for v in views}
breaching = by_title[params["breaching_view"]]
large = by_title[params["large_view"]]
print(json.dumps({
    "real_seconds": round(real_seconds),
    "tickets": Ticket.objects.count(),
    "comments": Comment.objects.count(),
    "users": User.objects.count(),
    "copied": copied["tickets"],
    "open_tickets": Ticket.objects.filter(status__in=["new", "open", "pending", "hold"]).count(),
    "breaching_view": breaching.pk,
    "breaching_count": counts.get(breaching.pk, 0),
    "large_view": large.pk,
    "large_count": counts.get(large.pk, 0),
    "view_count": len(views),
    "big_ticket": big.pk,
    "big_comments": Comment.objects.filter(ticket=big).count(),
    "big_subject": big.subject,
    "search_count": search(agent, params["search"]).counts().get("ticket", 0),
    "customer_id": customer.pk,
    "customer_name": customer.name or customer.email,
    "customer_tickets": Ticket.objects.filter(requester=customer).count(),
    "org_id": customer.organization_id,
    "org_name": customer.organization.name,
    "org_tickets": Ticket.objects.filter(organization_id=customer.organization_id).count(),
    "portal_mine": visible_tickets(customer).filter(requester=customer).count(),
    "portal_visible": visible_tickets(customer).count(),
}))
"""


def seed(env: dict, args: argparse.Namespace) -> tuple[dict, float]:
    py = str(ROOT / ".venv" / "bin" / "python")
    began = time.perf_counter()
    run([py, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT)
    run([py, "manage.py", "seed_demo"], env=env, cwd=ROOT)
    print(f"seed: migrate + seed_demo in {time.perf_counter() - began:.0f} s", flush=True)
    params = {
        "real": args.real_tickets,
        "total": args.tickets,
        "agent": AGENT_EMAIL,
        "customer": CUSTOMER_EMAIL,
        "breaching_view": BREACHING_VIEW,
        "large_view": LARGE_VIEW,
        "search": SEARCH_QUERY,
    }
    out = run(
        [py, "manage.py", "shell", "-c", SEED],
        env={**env, "BENCH_WEB_PARAMS": json.dumps(params)},
        cwd=ROOT,
    )
    data = json.loads(out.strip().splitlines()[-1])
    return data, time.perf_counter() - began


# --- the benchmark -----------------------------------------------------------------------------


def pages(data: dict) -> list[Page]:
    return [
        Page("agent home (view counts, due soonest)", "/", "agent", "Due soonest"),
        Page(
            f"view: Breaching within 2 h ({data['breaching_count']:,} tickets)",
            f"/views/{data['breaching_view']}/",
            "agent",
            "Breaching within 2 h",
        ),
        Page(
            f"view: {LARGE_VIEW} ({data['large_count']:,} tickets; first page of 50)",
            f"/views/{data['large_view']}/",
            "agent",
            LARGE_VIEW,
        ),
        Page(
            f"ticket page ({data['big_comments']} comments)",
            f"/tickets/{data['big_ticket']}/",
            "agent",
            data["big_subject"],
        ),
        Page(
            f"search `{SEARCH_QUERY}` ({data['search_count']:,} tickets; first page of 50)",
            f"/search?q={urllib.parse.quote(SEARCH_QUERY)}",
            "agent",
            "Tickets",
        ),
        Page("manager dashboard", "/dashboard", "agent", "<svg"),
        Page("who is on call (/oncall/)", "/oncall/", "agent", "Who is on call"),
        Page("incident list (open)", "/oncall/incidents/", "agent", "<h1>Incidents</h1>"),
        Page(
            f"user page ({data['customer_tickets']:,} requested tickets; first page of 25)",
            f"/users/{data['customer_id']}/",
            "agent",
            data["customer_name"],
        ),
        Page(
            f"organization page ({data['org_tickets']:,} tickets; unsolved, first page of 25)",
            f"/organizations/{data['org_id']}/",
            "agent",
            data["org_name"],
        ),
        Page(
            f"customer portal ({data['portal_visible']:,} visible tickets)",
            "/portal/",
            "customer",
            "My tickets",
        ),
    ]


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bench(args: argparse.Namespace) -> tuple[dict, float, list[Result]]:
    load_at_start = os.getloadavg()[0]
    url = recreate_db(DB_NAME)
    var = Path(tempfile.mkdtemp(prefix="sb-bench-web-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SWITCHBOARD_VAR_DIR": str(var),
        "SECRET_KEY": "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    try:
        data, seed_seconds = seed(env, args)
        data["load_at_start"] = load_at_start
        print(
            f"seed: {data['tickets']:,} tickets ({data['copied']:,} copied in SQL), "
            f"{data['comments']:,} comments in {seed_seconds:.0f} s",
            flush=True,
        )
        port = free_port()
        server = start_gunicorn(port, env)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        cookies = {"agent": sign_in(base, AGENT_EMAIL), "customer": sign_in(base, CUSTOMER_EMAIL)}
        todo = pages(data)
        for page in todo:  # every page once, before any load: 200 with its content, or stop
            size = check_page(base, page, cookies[page.session])
            print(f"check: GET {page.path} -> 200 ({size:,} bytes)", flush=True)
        results = []
        for page in todo:
            cookie = cookies[page.session]
            wrk(
                base + page.path,
                cookie,
                duration=WARMUP_SECONDS,
                connections=args.connections,
                threads=args.threads,
            )
            out = wrk(
                base + page.path,
                cookie,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
            )
            results.append(
                Result(page, out["rps"], out["p50"], out["p99"], out["requests"], out["errors"])
            )
            print(
                f"{page.path:<22} {out['rps']:7.1f} req/s  p50 {out['p50']:7.1f} ms  "
                f"p99 {out['p99']:7.1f} ms  ({out['requests']} requests, "
                f"{out['errors']} errors)",
                flush=True,
            )
        return data, seed_seconds, results
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_db(DB_NAME)
        shutil.rmtree(var, ignore_errors=True)


# --- report ------------------------------------------------------------------------------------


def machine() -> str:
    with psycopg.connect(f"{PG_URL}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (
        f"{platform.node() or 'host'}, {os.cpu_count()} CPUs ({platform.machine()}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


def command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python", "bench/bench_web.py"]
    defaults = {"duration": 15, "connections": 4, "threads": 2, "tickets": 10_000}
    defaults["real_tickets"] = 1600
    for key, default in defaults.items():
        if getattr(args, key) != default:
            parts += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if args.append_results:
        parts.append("--append-results")
    return shlex.join(parts)


def report(data: dict, seed_seconds: float, results: list[Result], args: argparse.Namespace) -> str:
    errors = sum(r.errors for r in results)
    load_start, load = data["load_at_start"], os.getloadavg()[0]
    lines = [
        SECTION,
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; wrk, gunicorn and PostgreSQL share it "
        f"(load average {load_start:.1f} before the run, {load:.1f} at the end)",
        f"- Command: `{command(args)}`",
        f"- Data: `seed_demo` + {args.real_tickets:,} tickets through "
        "`tickets.actions.create.create_ticket` (40 % then assigned and answered through "
        "`update_ticket`/`add_comment`) + one 40-comment ticket, then those tickets copied in SQL "
        "(ticket rows with their comments, SLA clocks, tags, CCs) up to "
        f"{data['tickets']:,} tickets ({data['copied']:,} copies), {data['comments']:,} comments, "
        f"{data['open_tickets']:,} unsolved, {data['users']:,} users; ANALYZEd; seeding took "
        f"{seed_seconds:.0f} s.",
        f"- wrk {args.threads} threads, {args.connections} connections, {args.duration} s per "
        f"page after a {WARMUP_SECONDS} s warm-up, one URL per page; signed in through "
        "`POST /login/` (CSRF), the session and CSRF cookies sent with every request. Each page "
        "was first checked once: 200 with its content.",
        "",
        "| page | path | req/s | p50 | p99 | requests |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.page.name} | `{r.page.path}` | {r.rps:,.0f} | {r.p50_ms:.1f} ms "
            f"| {r.p99_ms:.1f} ms | {r.requests:,} |"
        )
    lines += [
        "",
        f"Non-2xx answers or socket errors: {errors}. No target; "
        f"Result: {'PASS (all 200)' if errors == 0 else 'FAIL'}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tickets", type=int, default=10_000, help="total tickets")
    parser.add_argument(
        "--real-tickets", type=int, default=1600, help="tickets made through create_ticket"
    )
    parser.add_argument("--append-results", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    data, seed_seconds, results = bench(args)
    text = report(data, seed_seconds, results, args)
    print()
    print(text)
    if args.append_results:
        with (ROOT / "bench" / "RESULTS.md").open("a") as f:
            f.write("\n" + text)
    sys.exit(0 if all(r.errors == 0 for r in results) else 1)


if __name__ == "__main__":
    main()
