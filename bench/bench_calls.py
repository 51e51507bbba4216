"""Benchmark of customer calls on PostgreSQL: slot finding and booking throughput.

Run from the repository root:

    .venv/bin/python bench/bench_calls.py [--calls 500] [--runs 30] [--bookings 100]
                                          [--threads 4] [--repeat 2] [--append-results]

Creates its own PostgreSQL database `switchboard_bench_calls` (dropped first if left over, and
again at the end) and migrates it. Then:

  (a) slots: one agent (America/New_York, 06:00-22:00 every day) with N existing 15-minute calls
      (default 500) spread evenly over the next 14 days (one every ~40 minutes); times
      `availability.slots_for(agent, "Support – Discovery call", 14-day window)` (15 minutes +
      5 after, step 15: it fits between the existing calls, so the slot list is long) -- the
      booking page's and the API's slot query: the working-hours spans, the calls query, slot
      finding -- --runs times after 3 warm-ups; median and p95. Target: < 50 ms.
  (b) booking throughput: --bookings single-use links over --threads threads, each thread with
      its own connection, booking distinct free slots of 8 agents through `actions.book_call`
      (consume the link, lock the agent, re-check, insert under the exclusion constraint, the
      ticket's note, reply and tag, the .ics emails into the outbox); bookings per second.

The whole measurement runs --repeat times (default 2) on fresh data; the Markdown section for
bench/RESULTS.md (appended with --append-results) reports every run and the spread. The server
is BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402

DB_NAME = "switchboard_bench_calls"
TARGET_MS = 50.0
HOURS = {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_world(n_calls: int, now: datetime):
    """One busy agent with n_calls calls over 14 days; 8 free agents; one ticket each."""
    from django.db import connection

    from switchboard.accounts.models import Organization, Role, User
    from switchboard.calls.models import Call, EventType
    from switchboard.core.seeding import seeding
    from switchboard.tickets.actions.create import create_ticket

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE calls_call, calls_bookinglink, tickets_ticket, notify_delivery, "
            "django_tasks_database_dbtaskresult CASCADE"
        )
    org, _ = Organization.objects.get_or_create(name="Bench Corp", support_level="priority")
    customer, _ = User.objects.get_or_create(
        email="customer@bench.test", defaults={"organization": org, "name": "Bench Customer"}
    )
    agents = []
    for i in range(9):
        agent, _ = User.objects.get_or_create(
            email=f"agent{i}@bench.test",
            defaults={
                "role": Role.AGENT,
                "name": f"Agent {i}",
                "time_zone": "America/New_York",
                "working_hours": HOURS,
            },
        )
        agents.append(agent)
    with seeding():
        ticket = create_ticket(
            actor=customer, requester=customer, subject="Bench", description="Bench ticket"
        )
    support = EventType.objects.get(slug="support-call")
    discovery = EventType.objects.get(slug="support-discovery-call")
    busy = agents[0]
    gap = timedelta(days=14) / n_calls
    rows = []
    for i in range(n_calls):
        start = (now + i * gap).replace(second=0, microsecond=0)
        rows.append(
            Call(
                ticket=ticket,
                event_type=discovery,
                agent=busy,
                start=start,
                end=start + timedelta(minutes=15),
                blocked_start=start,
                blocked_end=start + timedelta(minutes=15),
                uid=f"bench-{i}",
                invitee_name="Bench",
                invitee_email="customer@bench.test",
                meeting_url="https://meet.example/bench",
                meeting_provider="jitsi",
                flow_due_at=None,
                flow_step="",
            )
        )
    Call.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call")
    return busy, agents[1:], ticket, support, discovery, customer


def time_slots(busy, support, now: datetime, runs: int) -> tuple[list[float], int]:
    from switchboard.calls import availability

    def once() -> int:
        return len(
            availability.slots_for(busy, support, start=now, end=now + timedelta(days=14), now=now)
        )

    for _ in range(3):
        found = once()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        found = once()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, found


def booking_throughput(agents, ticket, support, customer, bookings: int, threads: int, now):
    """Mint `bookings` links (one ticket per link), then book them from `threads` threads."""
    from django.db import connection

    from switchboard.calls import actions, availability
    from switchboard.core.seeding import seeding
    from switchboard.tickets.actions.create import create_ticket

    jobs: list[tuple[str, datetime]] = []
    free = {
        a.pk: availability.slots_for(a, support, start=now, end=now + timedelta(days=14), now=now)
        for a in agents
    }
    per_agent = {a.pk: iter(free[a.pk][::6]) for a in agents}  # 3 h apart: never overlapping
    for i in range(bookings):
        agent = agents[i % len(agents)]
        with seeding():
            t = create_ticket(actor=customer, requester=customer, subject=f"B{i}", description="b")
        _link, url = actions.mint_booking_link(
            actor=agent, ticket=t, event_type=support, agent=agent, now=now
        )
        jobs.append((url.rsplit("/", 1)[1], next(per_agent[agent.pk])))
    chunks = [jobs[i::threads] for i in range(threads)]
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)

    def work(chunk: list[tuple[str, datetime]]) -> None:
        barrier.wait()
        try:
            for token, start in chunk:
                try:
                    actions.book_call(
                        token=token, start=start, name="Bench", email="b@bench.test", now=now
                    )
                except Exception as exc:  # reported below
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return bookings / elapsed, elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--bookings", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--append-results", action="store_true")
    args = parser.parse_args()

    url = benchlib.recreate_db(DB_NAME)
    try:
        setup_django(url)
        results = []
        for run in range(args.repeat):
            now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
            busy, agents, ticket, support, discovery, customer = make_world(args.calls, now)
            timings, found = time_slots(busy, discovery, now, args.runs)
            rate, elapsed, errors = booking_throughput(
                agents, ticket, support, customer, args.bookings, args.threads, now
            )
            ordered = sorted(timings)
            result = {
                "median": statistics.median(timings),
                "p95": ordered[int(0.95 * (len(ordered) - 1))],
                "slots": found,
                "rate": rate,
                "elapsed": elapsed,
                "errors": errors,
            }
            results.append(result)
            print(
                f"run {run + 1}: slots median {result['median']:.2f} ms, p95 {result['p95']:.2f} ms"
                f" ({found} slots); booking {rate:.1f}/s ({args.bookings} in {elapsed:.1f} s, "
                f"{args.threads} threads, {len(errors)} errors)"
            )
            for error in errors[:5]:
                print("  ", error)
    finally:
        from django.db import connections

        connections.close_all()
        benchlib.drop_db(DB_NAME)

    from django.db import connection as conn

    medians = [r["median"] for r in results]
    rates = [r["rate"] for r in results]
    load = os.getloadavg()[0]
    verdict = (
        "PASS" if max(medians) < TARGET_MS and not any(r["errors"] for r in results) else "FAIL"
    )
    lines = [
        "",
        "## Customer calls (PostgreSQL)",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.node()}, {os.cpu_count()} CPUs ({platform.machine()}), Linux "
        f"{platform.release()}, Python {platform.python_version()}; shared with other engineers' "
        f"test suites (load average {load:.1f} at the end)",
        f"- Command: `.venv/bin/python bench/{shlex.join(['bench_calls.py', *sys.argv[1:]])}`",
        f"- Data: one agent with {args.calls} existing 15-minute calls over 14 days (06:00-22:00 "
        f"New York, every day); booking: {args.bookings} single-use links over 8 free agents, "
        f"{args.threads} threads with their own connections. {args.repeat} runs on fresh data.",
        "",
        "| run | slots, 14 days, 500 calls: median | p95 | slots found | booking throughput "
        "| errors |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(results, 1):
        lines.append(
            f"| {i} | {r['median']:.2f} ms | {r['p95']:.2f} ms | {r['slots']} | "
            f"{r['rate']:.1f} bookings/s | {len(r['errors'])} |"
        )
    spread_ms = max(medians) - min(medians)
    spread_rate = (max(rates) - min(rates)) / max(rates) * 100 if max(rates) else 0
    lines += [
        "",
        f"Spread between runs: slots median {spread_ms:.2f} ms; throughput {spread_rate:.0f} %. "
        f"Target (slots) < {TARGET_MS:.0f} ms. Result: {verdict}.",
    ]
    del conn
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append_results:
        with open(ROOT / "bench" / "RESULTS.md", "a") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
