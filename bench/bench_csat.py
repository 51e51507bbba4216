"""Benchmark of the CSAT report's queries and of the survey sweep on PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/bench_csat.py [--tickets 1000000] [--ratings 200000]
                                         [--due 10000] [--runs 15] [--append-results]

Creates its own PostgreSQL database (dropped first if left over, dropped again at the end) and
migrates it. Bulk-loads, in SQL (INSERT ... SELECT generate_series): 1,000 organizations,
10,000 end-users, 50 agents, N tickets (default 1,000,000), and one survey row per solve for 90 %
of them: 10 % excluded, the rest offered; R of them (default 200,000) answered (92 % good, 8 % bad
with a reason, a third with a comment), spread over two years (so the default 12-week window of
the page holds about 1/9 of them). Then the report's weekly summary is rebuilt from them
(`csat.summary.recompute`, what `manage.py csat_rebuild_summary` does; the csat actions maintain
it row by row, the bulk load bypasses them) and VACUUM ANALYZE (as autovacuum would have).

Measures, --runs times each after 3 warm-ups (median and p95):
  (a) the /csat/ page's queries: `csat.queries.report(manager, window=last 12 weeks)` — the total,
      eight breakdowns, the reasons, 50 comments and the labels — through the Django ORM;
  (b) the same over the last year (a manager widening the window);
and once:
  (c) unless --due 0, the survey sweep over D due surveys (default 10,000): `run_sweep` of
      "csat.surveys", each offer = token, frozen attribution, the tag `csat_survey_sent` (an
      audited ticket update and its event), the survey email queued in the outbox.

Target: (a) p95 < 300 ms; (c) every due survey handled within one sweep interval's worth of
backlog, reported as surveys per second. The server is taken from BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_sla_pg import insert_series  # noqa: E402
from benchlib import drop_db, recreate_db  # noqa: E402

TARGET_MS = 300.0
DB_NAME = "switchboard_bench_csat"


def load(tickets: int, ratings: int, due: int, now: datetime) -> None:
    from django.db import connection

    from switchboard.accounts.models import Organization, SupportGroup, User
    from switchboard.csat.models import SatisfactionRating
    from switchboard.tickets.models import Ticket

    ts = f"'{now.isoformat()}'::timestamptz"
    t = insert_series(
        Organization,
        1000,
        {
            "name": "'Bench org ' || g",
            "support_level": "(ARRAY['standard','priority','none'])[1 + mod(g, 3)]",
            "preferred_region": "(ARRAY['amer','emea','apac'])[1 + mod(g, 3)]",
            "created_at": ts,
            "updated_at": ts,
        },
    )
    print(f"organizations: 1,000 in {t:.1f} s")
    insert_series(SupportGroup, 10, {"name": "'Group ' || g", "created_at": ts, "updated_at": ts})
    first_org = Organization.objects.order_by("pk").values_list("pk", flat=True).first()
    insert_series(
        User,
        10_000,
        {
            "email": "'user' || g || '@bench.test'",
            "password": "'!'",
            "name": "'User ' || g",
            "role": "'end_user'",
            "organization": f"{first_org} + mod(g, 1000)",
            "created_at": ts,
            "updated_at": ts,
        },
    )
    insert_series(
        User,
        50,
        {
            "email": "'agent' || g || '@bench.test'",
            "password": "'!'",
            "name": "'Agent ' || g",
            "role": "'agent'",
            "is_support_manager": "g = 1",
            "created_at": ts,
            "updated_at": ts,
        },
        start=1,
    )
    first_user = User.objects.filter(role="end_user").order_by("pk").values_list("pk", flat=True)[0]
    first_agent = User.objects.filter(role="agent").order_by("pk").values_list("pk", flat=True)[0]
    first_group = SupportGroup.objects.order_by("pk").values_list("pk", flat=True)[0]
    # Tickets 1..due are solved 25 hours ago, their surveys due (part c); the rest are history.
    t = insert_series(
        Ticket,
        tickets,
        {
            "subject": "'Bench ticket ' || g",
            "description": "'Something is broken'",
            "status": f"CASE WHEN g <= {due} THEN 'solved' ELSE 'closed' END",
            "priority": "(ARRAY['low','normal','high','urgent'])[1 + mod(g, 4)]",
            "requester": f"{first_user} + mod(g, 10000)",
            "organization": f"{first_org} + mod(g, 1000)",
            "assignee": f"{first_agent} + mod(g, 50)",
            "group": f"{first_group} + mod(g, 10)",
            "preferred_region": "(ARRAY['amer','emea','apac'])[1 + mod(g, 3)]",
            "channel": "(ARRAY['web','email','api'])[1 + mod(g, 3)]",
            "created_at": f"{ts} - interval '730 days' + g * interval '60 seconds'",
            "solved_at": f"{ts} - interval '25 hours'",
            "updated_at": ts,
        },
    )
    print(f"tickets: {tickets:,} in {t:.1f} s")
    first_ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
    # History: one survey per solve for 90 % of tickets after the `due` ones, spread over two
    # years by a multiplicative hash (neighbouring ids are not neighbouring times).
    history = (tickets - due) * 9 // 10
    at = f"{ts} - mod(g::bigint * 7919, 63072000) * interval '1 second'"
    # rows 1..ratings are answered; of the rest, every 9th was excluded
    answered = f"g <= {ratings}"
    score = (
        f"CASE WHEN {answered} THEN (CASE WHEN mod(g, 12) = 0 THEN 'bad' ELSE 'good' END) "
        "WHEN mod(g, 9) = 0 THEN 'unoffered' ELSE 'offered' END"
    )
    t = insert_series(
        SatisfactionRating,
        history,
        {
            "ticket": f"{first_ticket} + {due} - 1 + g",
            "requester": f"{first_user} + mod({due} - 1 + g, 10000)",
            "kind": "'survey'",
            "solve_cycle": "1",
            "score": score,
            "reason_code": f"CASE WHEN {answered} AND mod(g, 12) = 0 THEN 1000 + mod(g, 5) "
            "ELSE 0 END",
            "comment": f"CASE WHEN {answered} AND mod(g, 3) = 0 THEN 'Comment ' || g ELSE '' END",
            "source": f"CASE WHEN {answered} THEN 'email_link' ELSE '' END",
            "excluded_reason": f"CASE WHEN NOT ({answered}) AND mod(g, 9) = 0 "
            "THEN 'close_by_merge' ELSE '' END",
            "solved_at": f"{at} - interval '1 day'",
            "offered_at": f"CASE WHEN ({answered}) OR mod(g, 9) <> 0 THEN {at} END",
            "rated_at": f"CASE WHEN {answered} THEN {at} + interval '3 hours' END",
            "counted_at": at,
            "assignee": f"{first_agent} + mod(g, 50)",
            "group": f"{first_group} + mod(g, 10)",
            "organization": f"{first_org} + mod({due} - 1 + g, 1000)",
            "support_level": "(ARRAY['standard','priority','none'])[1 + mod(g, 3)]",
            "region": "(ARRAY['amer','emea','apac'])[1 + mod(g, 3)]",
            "channel": "(ARRAY['web','email','api'])[1 + mod(g, 3)]",
            "sla_breached": "mod(g, 7) = 0",
            "created_at": f"{at} - interval '1 day'",
            "updated_at": at,
        },
    )
    print(f"survey rows: {history:,} ({ratings:,} answered) in {t:.1f} s")
    t = insert_series(
        SatisfactionRating,
        due,
        {
            "ticket": f"{first_ticket} - 1 + g",
            "requester": f"{first_user} + mod(g - 1, 10000)",
            "kind": "'survey'",
            "solve_cycle": "1",
            "score": "'unoffered'",
            "solved_at": f"{ts} - interval '25 hours'",
            "due_at": f"{ts} - interval '1 hour'",
            "organization": f"{first_org} + mod(g - 1, 1000)",
            "created_at": f"{ts} - interval '25 hours'",
            "updated_at": f"{ts} - interval '25 hours'",
        },
    )
    print(f"due surveys: {due:,} in {t:.1f} s")
    from switchboard.csat.summary import recompute

    began = time.perf_counter()
    n = recompute()
    print(f"weekly summary: {n:,} rows rebuilt in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum does to a table loaded long ago: statistics and the visibility map
        # (which lets the report's covering index answer without visiting the heap).
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - began:.1f} s")


def timed(fn, runs: int) -> tuple[float, float, list[float]]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=200_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--append-results", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = recreate_db(DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, connections
    from django.db.models import Count

    try:
        from django.core.management import call_command

        from switchboard.accounts.models import User
        from switchboard.core.sweeps import registered_sweeps, run_sweep
        from switchboard.csat import queries
        from switchboard.csat.models import SatisfactionRating
        from switchboard.csat.sweeps import SWEEP_NAME
        from switchboard.notify.models import Delivery

        call_command("migrate", verbosity=0)
        now = datetime.now(UTC).replace(microsecond=0)
        load(args.tickets, args.ratings, args.due, now)
        manager = User.objects.get(email="agent1@bench.test")
        today = now.date()

        def page(days: int):
            window = queries.Window.parse(
                (today - timedelta(days=days)).isoformat(), today.isoformat(), today=today
            )
            return lambda: queries.report(manager, window=window)

        w12 = page(84)
        report = w12()
        a_median, a_p95, _ = timed(w12, args.runs)
        b_median, b_p95, _ = timed(page(365), args.runs)
        year = page(365)()

        # (c) the sweep over every due survey (the worker runs it every 5 s; here: one call)
        sweep = next(s for s in registered_sweeps() if s.name == SWEEP_NAME)
        began = time.perf_counter()
        handled = 0
        while True:
            n = run_sweep(sweep, datetime.now(UTC))
            handled += n
            if n == 0:
                break
        sweep_s = time.perf_counter() - began
        offered = SatisfactionRating.objects.filter(
            due_at__isnull=True, counted_at__gte=now
        ).aggregate(n=Count("pk"))["n"]
        emails = Delivery.objects.filter(event="csat.survey").count()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM csat_satisfactionrating")
            rows = cursor.fetchone()[0]
        load_avg = os.getloadavg()
    finally:
        connections.close_all()
        if not args.keep:
            drop_db(DB_NAME)

    ok = a_p95 < TARGET_MS and handled == args.due and emails == args.due
    sweep_row = (
        f"| (c) survey sweep, {args.due:,} due | {sweep_s:.1f} s total | — "
        f"| {handled:,} handled, {offered:,} offered, {emails:,} emails, "
        f"{handled / sweep_s:.0f}/s | all sent |"
        if args.due
        else "| (c) survey sweep | not run (--due 0) | — | — | — |"
    )
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/bench_csat.py", *sys.argv[1:]]
    )
    cpu = platform.processor() or platform.machine()
    machine = f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), {platform.system()} "
    machine += f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {server}"
    load_text = " / ".join(f"{v:.1f}" for v in load_avg)
    rows_md = "\n".join(
        [
            f"| (a) /csat/ queries, last 12 weeks | {a_median:.1f} ms | {a_p95:.1f} ms "
            f"| n = {report.total.rated:,} ratings, {report.total.eligible:,} eligible solves "
            f"| p95 < {TARGET_MS:.0f} ms |",
            f"| (b) /csat/ queries, last year | {b_median:.1f} ms | {b_p95:.1f} ms "
            f"| n = {year.total.rated:,} ratings | — |",
            sweep_row,
        ]
    )
    section = f"""
## CSAT report and survey sweep (PostgreSQL)

- Date: {now.strftime("%Y-%m-%d %H:%M")} UTC
- Machine: {machine}; load average {load_text} at the end (shared VM)
- Command: `{command}`
- Data: {args.tickets:,} tickets, {rows:,} survey rows over two years, {args.ratings:,} answered
  (92 % good); {args.due:,} surveys due; weekly summary rebuilt; VACUUM ANALYZEd.
- {args.runs} timed runs after 3 warm-ups, through the Django ORM (the whole `report()` call: total,
  8 breakdowns, reasons, 50 comments, labels):

| measure | median | p95 | result | target |
|---|---|---|---|---|
{rows_md}

Result: {"PASS" if ok else "FAIL"}.
"""
    print(section)
    if args.append_results:
        results = ROOT / "bench" / "RESULTS.md"
        with results.open("a") as handle:
            handle.write(section)
        print(f"appended to {results}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
