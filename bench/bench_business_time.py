"""Benchmark of switchboard.sla.business_time (DOMAIN.md section 3, performance requirement).

Run from the repository root:

    python bench/bench_business_time.py [--calls 100000] [--runs 3] [--seed 20250307]

100,000 add_business_minutes calls on the "All regions" schedule (Sunday 15:00 -> Friday 17:00
America/Los_Angeles) with random UTC starts across 2024-2027 and random integer targets of
1..7200 business minutes (up to 5 business days), then 100,000 business_minutes_between calls
over the same (start, due) pairs. Each run uses a freshly built (equal) schedule, so the per-week
span cache starts cold and its build time is included. Inputs are generated before timing; the
results are checked (between(start, add(start, n)) == n) after timing. Prints Markdown that can
be pasted into bench/RESULTS.md. Requirement: each function under 2 s for 100,000 calls.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from switchboard.sla.business_time import (
    BusinessSchedule,
    WeeklyInterval,
    add_business_minutes,
    business_minutes_between,
)

LIMIT_SECONDS = 2.0


def all_regions() -> BusinessSchedule:
    """Sun 15:00-24:00, Mon-Thu 00:00-24:00, Fri 00:00-17:00 America/Los_Angeles."""
    return BusinessSchedule(
        "America/Los_Angeles",
        (
            WeeklyInterval(6, 15 * 60, 1440),
            *(WeeklyInterval(d, 0, 1440) for d in range(4)),
            WeeklyInterval(4, 0, 17 * 60),
        ),
    )


def make_inputs(calls: int, seed: int) -> tuple[list[datetime], list[int]]:
    rnd = random.Random(seed)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    span_us = (datetime(2028, 1, 1, tzinfo=UTC) - first) // timedelta(microseconds=1)
    starts = [first + timedelta(microseconds=rnd.randrange(span_us)) for _ in range(calls)]
    targets = [rnd.randint(1, 7200) for _ in range(calls)]
    return starts, targets


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250307)
    args = parser.parse_args()

    starts, targets = make_inputs(args.calls, args.seed)
    pairs = list(zip(starts, targets, strict=True))

    add_times: list[float] = []
    between_times: list[float] = []
    dues: list[datetime] = []
    for _ in range(args.runs):
        schedule = all_regions()  # fresh instance: cold week cache

        def run_add(schedule: BusinessSchedule = schedule) -> None:
            dues[:] = [add_business_minutes(schedule, s, n) for s, n in pairs]

        add_times.append(timed(run_add))
        spans = list(zip(starts, dues, strict=True))
        schedule = all_regions()
        minutes: list[float] = []

        def run_between(
            schedule: BusinessSchedule = schedule,
            spans: list[tuple[datetime, datetime]] = spans,
            out: list[float] = minutes,
        ) -> None:
            out[:] = [business_minutes_between(schedule, a, b) for a, b in spans]

        between_times.append(timed(run_between))

        bad = sum(m != n for m, n in zip(minutes, targets, strict=True))
        if bad:
            print(f"ERROR: {bad} round trips between(start, add(start, n)) != n", file=sys.stderr)
            return 1

    rows = [("add_business_minutes", add_times), ("business_minutes_between", between_times)]
    ok = all(statistics.median(t) < LIMIT_SECONDS for _, t in rows)
    now = datetime.now(UTC)
    print(f"## business_time benchmark, {now:%Y-%m-%d %H:%M} UTC")
    print()
    print(
        f"- command: `python bench/bench_business_time.py` (calls={args.calls}, seed={args.seed})"
    )
    print(f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"- python: {platform.python_implementation()} {platform.python_version()}")
    print(
        "- workload: All regions schedule (Sun 15:00 -> Fri 17:00 America/Los_Angeles), random "
        "UTC starts 2024-2027, random targets 1..7200 business minutes; between() over the "
        "resulting (start, due) pairs; cold week cache each run; round trips verified"
    )
    print()
    print("| function | calls | median total (s) | per call (µs) | runs (s) |")
    print("|---|---:|---:|---:|---|")
    for name, times in rows:
        med = statistics.median(times)
        runs = ", ".join(f"{t:.3f}" for t in times)
        print(f"| `{name}` | {args.calls:,} | {med:.3f} | {med / args.calls * 1e6:.2f} | {runs} |")
    print()
    verdict = "PASS" if ok else "FAIL"
    print(f"Requirement: < {LIMIT_SECONDS:.0f} s per {args.calls:,} calls: **{verdict}**")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
