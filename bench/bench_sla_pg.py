"""Benchmark of the SLA hawk query and the breach sweep's claim query on PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/bench_sla_pg.py [--tickets 1000000] [--running 200000] [--runs 20]
                                           [--append-results]

Creates its own PostgreSQL database (dropped first if left over, dropped again at the end) and
migrates it. Bulk-loads, in SQL (INSERT ... SELECT generate_series): 1,000 organizations,
10,000 end-users, N tickets (default 1,000,000) and their SLA clocks: R tickets (default 200,000)
are open with one running clock each, due uniformly over now ± 5 days, Ticket.sla_due_at set to
it; every other ticket gets two stopped clocks (fulfilled / breached-and-answered) and no due time,
so the partial indexes have to do the filtering. Then ANALYZE.

Measures, --runs times each (median and p95, after 3 warm-up runs):
  (a) the "breaching within 2 h" count: switchboard.sla.queries.breaching_within(120, now).count()
      (Ticket.sla_due_at in [now, now + 2 h), status not solved/closed);
  (b) the breach sweeper's claim: the exact queryset of the registered "sla.breach" sweep,
      `sweep.due_rows(now).select_for_update(skip_locked=True)[:batch_size]`, evaluated inside a
      transaction that is rolled back (nothing is marked, so every run claims the same rows).
Both timings include the Django ORM round trip. Prints EXPLAIN (ANALYZE, BUFFERS) of each, and a
Markdown section for bench/RESULTS.md (appended with --append-results). Target: < 50 ms each.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432); the
maintenance database `postgres` is used to create and drop the benchmark database.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 50.0
DB_NAME = "switchboard_bench_sla"


def admin_conn(base_url: str) -> psycopg.Connection:
    return psycopg.connect(f"{base_url}/postgres", autocommit=True)


def recreate_database(base_url: str) -> None:
    with admin_conn(base_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def drop_database(base_url: str) -> None:
    with admin_conn(base_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
        )


def column_defaults(model, overrides: dict[str, str]) -> tuple[list[str], list[str], list[object]]:
    """Columns, SQL expressions and params for INSERT ... SELECT of `model`.

    Known columns come from `overrides` (SQL over the series variable `g`); any other column
    (other apps add fields to tickets) gets NULL or its Python default, so the script keeps
    working as the models grow.
    """
    from django.db import connection

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in overrides or field.column in overrides:
            exprs.append(overrides.get(field.name) or overrides[field.column])
        elif field.null:
            exprs.append("NULL")
        elif field.get_default() is not None:  # its default, or "" for text fields
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise SystemExit(f"bench: no value for {model.__name__}.{field.name}; add an override")
    return columns, exprs, params


def insert_series(model, count: int, overrides: dict[str, str], start: int = 1) -> float:
    from django.db import connection

    columns, exprs, params = column_defaults(model, overrides)
    quoted = ", ".join(f'"{c}"' for c in columns)
    select = ", ".join(exprs)
    query = (
        f'INSERT INTO "{model._meta.db_table}" ({quoted}) '
        f"SELECT {select} FROM generate_series({int(start)}, {int(start + count - 1)}) g"
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(query, params)
    return time.perf_counter() - began


def load(tickets: int, running: int, now: datetime) -> None:
    from django.db import connection

    from switchboard.accounts.models import Organization, User
    from switchboard.sla.models import Policy, TicketClock
    from switchboard.tickets.models import Ticket

    ts = f"'{now.isoformat()}'::timestamptz"
    policy_id = Policy.objects.get(title="Priority support").pk
    t = insert_series(
        Organization,
        1000,
        {
            "name": "'Bench org ' || g",
            "support_level": "(ARRAY['standard','priority'])[1 + mod(g, 2)]",
            "created_at": ts,
            "updated_at": ts,
        },
    )
    print(f"organizations: 1,000 in {t:.1f} s")
    t = insert_series(
        User,
        10_000,
        {
            "email": "'user' || g || '@bench.test'",
            "password": "'!'",
            "name": "'User ' || g",
            "role": "'end_user'",
            "organization": "(SELECT min(id) FROM accounts_organization) + mod(g, 1000)",
            "created_at": ts,
            "updated_at": ts,
        },
    )
    print(f"users: 10,000 in {t:.1f} s")
    first_user = User.objects.order_by("pk").values_list("pk", flat=True).first()
    first_org = Organization.objects.order_by("pk").values_list("pk", flat=True).first()
    # Tickets 1..running are open with a due time in now ± 5 days (10 days = 864,000 s, spread
    # by a multiplicative hash so neighbouring ids are not neighbouring due times).
    due = f"{ts} + ((mod(g::bigint * 7919, 864000) - 432000) * interval '1 second')"
    t = insert_series(
        Ticket,
        tickets,
        {
            "subject": "'Bench ticket ' || g",
            "description": "'Something is broken'",
            "status": f"CASE WHEN g <= {running} THEN 'open' "
            "ELSE (ARRAY['new','open','pending','hold','solved','closed','closed','closed'])"
            "[1 + mod(g, 8)] END",
            "priority": "(ARRAY['low','normal','high','urgent'])[1 + mod(g, 4)]",
            "requester": f"{first_user} + mod(g, 10000)",
            "organization": f"{first_org} + mod(g, 1000)",
            "preferred_region": "'all'",
            "channel": "'web'",
            "sla_due_at": f"CASE WHEN g <= {running} THEN {due} END",
            "created_at": f"{ts} - interval '20 days' + g * interval '1 second'",
            "updated_at": ts,
        },
    )
    print(f"tickets: {tickets:,} in {t:.1f} s")
    first_ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
    common = {
        "policy": str(policy_id),
        "priority": "'normal'",
        "target_minutes": "480",
        "business_hours": "true",
        "original_started_at": f"{ts} - interval '6 days'",
        "started_at": f"{ts} - interval '6 days'",
        "created_at": f"{ts} - interval '6 days'",
        "updated_at": ts,
    }
    t = insert_series(
        TicketClock,
        running,
        {
            **common,
            "ticket": f"{first_ticket} - 1 + g",
            "metric": "'first_reply'",
            "state": "'running'",
            "due_at": due,
            "next_warning_at": f"{due} - interval '120 minutes'",
        },
    )
    print(f"running clocks: {running:,} in {t:.1f} s")
    stopped = tickets - running
    t = insert_series(
        TicketClock,
        stopped * 2,
        {
            **common,
            "ticket": f"{first_ticket} + {running} + (g - 1) / 2",
            "metric": "(ARRAY['first_reply','agent_work'])[1 + mod(g, 2)]",
            "state": "(ARRAY['fulfilled','breached'])[1 + mod(g / 2, 2)]",
            "due_at": f"{ts} - interval '10 days' + mod(g, 86400) * interval '1 second'",
            "breached_at": f"CASE WHEN mod(g / 2, 2) = 1 THEN {ts} - interval '9 days' END",
            "fulfilled_at": f"{ts} - interval '8 days'",
            "stopped_at": f"{ts} - interval '8 days'",
        },
    )
    print(f"stopped clocks: {stopped * 2:,} in {t:.1f} s")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"ANALYZE in {time.perf_counter() - began:.1f} s")


def timed(fn, runs: int) -> tuple[float, float, object]:
    for _ in range(3):
        result = fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def explain(queryset_sql: tuple[str, tuple], prefix: str = "") -> str:
    from django.db import connection

    query, params = queryset_sql
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {prefix}{query}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--running", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--append-results", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    recreate_database(base_url)
    os.environ["DATABASE_URL"] = f"{base_url}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.db import connections

    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        from switchboard.core.sweeps import registered_sweeps
        from switchboard.sla.queries import breaching_within

        call_command("migrate", verbosity=0)
        now = datetime.now(UTC).replace(microsecond=0)
        load(args.tickets, args.running, now)

        hawk = breaching_within(120, now)
        hawk_median, hawk_p95, hawk_count = timed(hawk.count, args.runs)

        sweep = next(s for s in registered_sweeps() if s.name == "sla.breach")

        def claim() -> int:
            with transaction.atomic():
                rows = list(
                    sweep.due_rows(now).select_for_update(skip_locked=True)[: sweep.batch_size]
                )
                transaction.set_rollback(True)
            return len(rows)

        sweep_median, sweep_p95, claimed = timed(claim, args.runs)

        count_sql, count_params = hawk.order_by().values("pk").query.sql_with_params()
        hawk_plan = explain((f"SELECT count(*) FROM ({count_sql}) hawk", count_params))
        with transaction.atomic():
            claim_qs = sweep.due_rows(now).select_for_update(skip_locked=True)[: sweep.batch_size]
            sweep_plan = explain(claim_qs.query.sql_with_params())
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(base_url)

    print("\n(a) breaching within 2 h, count:")
    print(hawk_plan)
    print("\n(b) breach sweep claim (FOR UPDATE SKIP LOCKED LIMIT batch):")
    print(sweep_plan)

    ok = hawk_median < TARGET_MS and sweep_median < TARGET_MS
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/bench_sla_pg.py", *sys.argv[1:]]
    )
    cpu = platform.processor() or platform.machine()
    machine = f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), {platform.system()} "
    machine += f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {server}"
    rows = [
        (
            "(a) breaching within 2 h, `queries.breaching_within(120).count()`",
            hawk_median,
            hawk_p95,
            f"{hawk_count:,} tickets",
        ),
        (
            f"(b) breach sweep claim, `select_for_update(skip_locked=True)[:{sweep.batch_size}]`",
            sweep_median,
            sweep_p95,
            f"{claimed} rows",
        ),
    ]
    table = "\n".join(
        f"| {name} | {median:.2f} ms | {p95:.2f} ms | {result} | < {TARGET_MS:.0f} ms |"
        for name, median, p95, result in rows
    )
    stopped = 2 * (args.tickets - args.running)
    section = f"""
## SLA (PostgreSQL)

- Date: {now.strftime("%Y-%m-%d %H:%M")} UTC
- Machine: {machine}
- Command: `{command}`
- Data: {args.tickets:,} tickets, {args.running:,} open with a running clock due within
  now ± 5 days (Ticket.sla_due_at set), {stopped:,} stopped clocks; ANALYZEd.
- {args.runs} timed runs after 3 warm-ups, through the Django ORM:

| query | median | p95 | result | target |
|---|---|---|---|---|
{table}

Plans: (a) {_plan_summary(hawk_plan)}; (b) {_plan_summary(sweep_plan)}.
Result: {"PASS" if ok else "FAIL"}.
"""
    print(section)
    if args.append_results:
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n")
        with results.open("a") as handle:
            handle.write(section)
        print(f"appended to {results}")
    sys.exit(0 if ok else 1)


def _plan_summary(plan: str) -> str:
    names = [
        line.strip().split(" on ")[0].lstrip("-> ").strip()
        + " on "
        + line.split(" on ")[1].split(" ")[0]
        for line in plan.splitlines()
        if "Index" in line and " on " in line
    ]
    return ", ".join(dict.fromkeys(names)) or "no index scan"


if __name__ == "__main__":
    main()
