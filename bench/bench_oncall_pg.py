"""Benchmark of on-call through the model layer on PostgreSQL: who is on call, a calendar
feed, and escalation step lateness under load with a real worker process.

Run from the repository root:

    .venv/bin/python bench/bench_oncall_pg.py [--schedules 100] [--calls 20] [--incidents 1000]
                                              [--append-results]

Creates its own PostgreSQL database (dropped first if left over, and again at the end).

(a) who is on call: 100 schedules (2-3 layers of 5-10 users, daily/weekly turns, restricted upper
    layers, 0-4 overrides, zones with DST); `queries.on_call_user_id(schedule, t)` at random
    instants within ±180 days, 20 calls per schedule; per-call latency (2 queries + rotation).
(b) a 180-day feed: a 10-person daily-rotation schedule with a restricted second layer and
    overrides; GET of its secret feed URL through Django's test client (view, queries, rotation,
    icalendar rendering), 15 days back to 180 days ahead.
(c) escalation lateness: N incidents (default 1,000) are triggered at once on a 3-level policy
    (1 minute between levels), so N steps fall due at the same instant, twice, and then N
    exhaustions; one real `manage.py worker` process (default 5 s sweep interval) runs them and
    delivers the 3·N email notifications meanwhile. Lateness = wall-clock time the step ran minus
    its stored due time (recorded by the sweep handler in the log entry).

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = "switchboard_bench_oncall"
SEED = 20261122
ZONES = ["UTC", "UTC", "Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Asia/Tokyo"]


def admin(base_url: str, statement: str) -> None:
    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(DB_NAME)))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def make_users(n: int, prefix: str):
    from switchboard.accounts.models import Role, User

    return User.objects.bulk_create(
        [
            User(email=f"{prefix}{i}@bench.test", name=f"{prefix} {i}", role=Role.AGENT)
            for i in range(n)
        ]
    )


def build_schedules(rng: random.Random, count: int, now: datetime):
    from switchboard.oncall import actions
    from switchboard.oncall.models import OnCallSchedule

    schedules = []
    for number in range(count):
        schedule = OnCallSchedule.objects.create(
            name=f"bench {number}", time_zone=rng.choice(ZONES)
        )
        people = make_users(rng.randint(5, 10), f"s{number}u")
        for index in range(rng.randint(2, 3)):
            users = rng.sample(people, rng.randint(3, len(people)))
            restrictions = []
            if index == 1:
                restrictions = [{"kind": "daily", "start_time": "08:00", "duration_minutes": 480}]
            elif index == 2:
                restrictions = [
                    {
                        "kind": "weekly",
                        "start_weekday": 4,
                        "start_time": "18:00",
                        "duration_minutes": 60 * 62,
                    }
                ]
            actions.add_layer(
                schedule=schedule,
                users=[u.pk for u in users],
                rotation_virtual_start=datetime(2024, 1, 1, rng.choice([7, 9]), tzinfo=UTC),
                turn_length=rng.choice([timedelta(hours=12), timedelta(days=1), timedelta(days=7)]),
                restrictions=restrictions,
            )
        for _ in range(rng.randint(0, 4)):
            start = now + timedelta(hours=rng.randint(-2000, 2000))
            actions.add_override(
                schedule=schedule,
                user=rng.choice(people),
                start=start,
                end=start + timedelta(hours=rng.randint(1, 48)),
                now=now,
            )
        schedules.append(schedule)
    return schedules


def bench_who(rng: random.Random, schedules, calls: int, now: datetime) -> dict:
    from switchboard.oncall import queries

    for schedule in schedules[:10]:  # warm-up
        queries.on_call_user_id(schedule, now)
    timings = []
    for schedule in schedules:
        for _ in range(calls):
            t = now + timedelta(seconds=rng.randint(-180 * 86400, 180 * 86400))
            start = time.perf_counter()
            queries.on_call_user_id(schedule, t)
            timings.append((time.perf_counter() - start) * 1000)
    return {
        "n": len(timings),
        "median": statistics.median(timings),
        "p99": pct(timings, 99),
        "max": max(timings),
    }


def bench_feed(rng: random.Random, now: datetime, runs: int) -> dict:
    from django.test import Client

    from switchboard.oncall import actions
    from switchboard.oncall.models import OnCallSchedule

    schedule = OnCallSchedule.objects.create(name="feed bench", time_zone="Europe/Amsterdam")
    people = make_users(10, "feed")
    actions.add_layer(
        schedule=schedule,
        users=[u.pk for u in people],
        rotation_virtual_start=datetime(2024, 1, 1, 9, tzinfo=UTC),
        turn_length=timedelta(days=1),
    )
    actions.add_layer(
        schedule=schedule,
        users=[u.pk for u in people[::-1]],
        rotation_virtual_start=datetime(2024, 1, 1, 9, tzinfo=UTC),
        turn_length=timedelta(days=7),
        restrictions=[{"kind": "daily", "start_time": "09:00", "duration_minutes": 480}],
    )
    for _ in range(10):
        start = now + timedelta(hours=rng.randint(-300, 4000))
        actions.add_override(
            schedule=schedule,
            user=rng.choice(people),
            start=start,
            end=start + timedelta(hours=6),
            now=now,
        )
    token = actions.rotate_schedule_feed_token(schedule=schedule)
    client = Client()
    url = f"/oncall/calendar/schedule/{token}.ics"
    body = client.get(url).content
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return {
        "events": body.count(b"BEGIN:VEVENT"),
        "median": statistics.median(timings),
        "p95": pct(timings, 95),
        "max": max(timings),
    }


def bench_lateness(incidents: int, base_url: str) -> dict:
    from django.db.models import Count

    from switchboard.oncall import actions
    from switchboard.oncall.models import (
        EscalationLevel,
        EscalationPolicy,
        Incident,
        IncidentLogEntry,
        Notification,
        Service,
    )

    people = make_users(3, "esc")
    policy = EscalationPolicy.objects.create(name="bench", num_loops=0)
    for position, person in enumerate(people):
        level = EscalationLevel.objects.create(policy=policy, position=position, delay_minutes=1)
        level.users.set([person])
    service = Service.objects.create(name="bench", escalation_policy=policy)
    started = time.monotonic()
    for i in range(incidents):
        actions.trigger_incident(service=service, summary=f"bench {i}", dedup_key=f"b{i}")
    trigger_seconds = time.monotonic() - started
    env = {
        **os.environ,
        "DATABASE_URL": f"{base_url}/{DB_NAME}",
        "EMAIL_URL": "memory:",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker"], env=env, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if not Incident.objects.filter(exhausted_at__isnull=True).exists() and not (
                Notification.objects.filter(status="pending").exists()
            ):
                break
            time.sleep(1)
        else:
            raise SystemExit("escalation did not finish within 15 minutes")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    late = [
        float(d["late_seconds"])
        for d in IncidentLogEntry.objects.filter(
            kind__in=["escalate", "exhausted"], data__has_key="late_seconds"
        ).values_list("data", flat=True)
        if d.get("late_seconds") is not None
    ]
    sent = Notification.objects.filter(status="sent").count()
    dupes = (
        Notification.objects.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1)
    ).count()
    return {
        "steps": len(late),
        "median": statistics.median(late),
        "p99": pct(late, 99),
        "max": max(late),
        "sent": sent,
        "dupes": dupes,
        "trigger_seconds": trigger_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=100)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--feed-runs", type=int, default=20)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--append-results", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    admin(base_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    admin(base_url, "CREATE DATABASE {}")
    os.environ["DATABASE_URL"] = f"{base_url}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    try:
        call_command("migrate", verbosity=0)
        rng = random.Random(SEED)
        now = datetime.now(UTC).replace(microsecond=0)
        schedules = build_schedules(rng, args.schedules, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        who = bench_who(rng, schedules, args.calls, now)
        feed = bench_feed(rng, now, args.feed_runs)
        lateness = bench_lateness(args.incidents, base_url)
    finally:
        connections.close_all()
        admin(base_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")

    ok = who["p99"] < 5 and feed["median"] < 200 and lateness["p99"] < 30 and not lateness["dupes"]
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/bench_oncall_pg.py", *sys.argv[1:]]
    )
    machine = f"{platform.node()}, {os.cpu_count()} CPUs ({platform.machine()}), "
    machine += f"Linux {platform.release()}, Python {platform.python_version()}, "
    machine += f"PostgreSQL {server}"
    n = args.incidents
    row_a = (
        f"| (a) who is on call, `queries.on_call_user_id` ({args.schedules} schedules × "
        f"{args.calls} random instants, {who['n']:,} calls) | {who['median']:.2f} ms | "
        f"p99 {who['p99']:.2f} ms (max {who['max']:.1f}) | p99 < 5 ms |"
    )
    row_b = (
        f"| (b) 180-day feed (+15 days back), 10-person schedule, GET via the view "
        f"({feed['events']} VEVENTs, {args.feed_runs} runs) | {feed['median']:.1f} ms | "
        f"p95 {feed['p95']:.1f} ms | < 200 ms |"
    )
    row_c = (
        f"| (c) escalation step lateness, {n:,} open incidents, 1 worker, "
        f"{lateness['steps']:,} steps | {lateness['median']:.2f} s | "
        f"p99 {lateness['p99']:.2f} s (max {lateness['max']:.2f}) | p99 < 30 s |"
    )
    section = f"""
## On-call (PostgreSQL, through the model layer)

- Date: {now.strftime("%Y-%m-%d %H:%M")} UTC
- Machine: {machine}
- Command: `{command}`

| measure | median | tail | target |
|---|---|---|---|
{row_a}
{row_b}
{row_c}

(c): {n:,} incidents triggered at once (took {lateness["trigger_seconds"]:.1f} s, level 0 paged
in each trigger's transaction), so {n:,} level-1 steps were due at about the same instant, then
{n:,} level-2 steps, then {n:,} exhaustions; one `manage.py worker` with the default 5 s sweep
interval ran them while delivering {lateness["sent"]:,} emails (locmem backend); duplicate
idempotency keys: {lateness["dupes"]}. Lateness includes the sweep interval.
Result: {"PASS" if ok else "FAIL"}.
"""
    print(section)
    if args.append_results:
        with (ROOT / "bench" / "RESULTS.md").open("a") as handle:
            handle.write(section)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
