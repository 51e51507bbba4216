"""Benchmark the pure on-call module: who-is-on-call latency and a 195-day final-schedule render.

Run from the repository root: ``python bench/bench_oncall.py``. Prints figures in Markdown for
bench/RESULTS.md. Inputs are generated from a fixed seed, so runs are comparable.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from switchboard.oncall.rotation import (
    Layer,
    Override,
    Restriction,
    Schedule,
    final_shifts,
    on_call_at,
)

SEED = 20250601
NOW = datetime(2025, 3, 15, 12, tzinfo=UTC)  # fixed "now": the window crosses both DST changes
WINDOW_START = NOW - timedelta(days=15)
WINDOW_END = NOW + timedelta(days=180)
ZONES = [
    "UTC",
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Tokyo",
]
TURNS = [timedelta(hours=12), timedelta(days=1), timedelta(days=2), timedelta(days=7)]
CALLS_PER_SCHEDULE = 200
FINAL_RUNS = 15


def random_schedule(rng: random.Random, number: int) -> Schedule:
    """2-3 layers of 5-10 users, restricted upper layers, 0-4 overrides, rotations from 2022."""
    tz = rng.choice(ZONES)
    zone = ZoneInfo(tz)
    people = [f"s{number}-u{i}" for i in range(rng.randint(5, 10))]
    layers = []
    for index in range(rng.randint(2, 3)):
        users = tuple(rng.sample(people, rng.randint(3, len(people))))
        rvs = datetime(2022, 1, 3, rng.choice([7, 9, 15]), tzinfo=zone)
        restrictions: tuple[Restriction, ...] = ()
        if index == 1:
            restrictions = (Restriction.daily(time(rng.choice([7, 8, 9])), timedelta(hours=8)),)
        elif index == 2:
            # Out-of-hours: weeknights 18:00-08:00 and the whole weekend.
            nights = [Restriction.weekly(day, time(18), timedelta(hours=14)) for day in range(5)]
            restrictions = (*nights, Restriction.weekly(5, time(0), timedelta(days=2)))
        start = datetime(2023, 1, 1, tzinfo=UTC)
        layers.append(Layer(users, rvs, rng.choice(TURNS), start, restrictions=restrictions))
    overrides = []
    for _ in range(rng.randint(0, 4)):
        start = WINDOW_START + timedelta(hours=rng.randint(0, 195 * 24))
        end = start + timedelta(hours=rng.randint(1, 48))
        overrides.append(Override(rng.choice(people), start, end, created_at=start))
    return Schedule(tz, tuple(layers), tuple(overrides))


def ten_person_schedule() -> Schedule:
    """A weekly 24/7 layer of 10 and a daily-turn 09:00-17:00 layer of 5, in New York."""
    zone = ZoneInfo("America/New_York")
    people = tuple(f"agent-{i:02}" for i in range(10))
    rvs = datetime(2024, 1, 1, 9, tzinfo=zone)
    weekly = Layer(people, rvs, timedelta(days=7), start=datetime(2024, 1, 1, tzinfo=UTC))
    office = Layer(
        people[:5],
        rvs,
        timedelta(days=1),
        start=datetime(2024, 1, 1, tzinfo=UTC),
        restrictions=(Restriction.daily(time(9), timedelta(hours=8)),),
    )
    overrides = tuple(
        Override(people[i], NOW + timedelta(days=3 * i), NOW + timedelta(days=3 * i, hours=20), NOW)
        for i in range(5)
    )
    return Schedule("America/New_York", (weekly, office), overrides)


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def bench_on_call_at(rng: random.Random) -> list[str]:
    schedules = [random_schedule(rng, n) for n in range(100)]
    span = int((WINDOW_END - WINDOW_START).total_seconds())
    timings_us: list[float] = []
    for schedule in schedules:
        instants = [
            WINDOW_START + timedelta(seconds=rng.randrange(span)) for _ in range(CALLS_PER_SCHEDULE)
        ]
        for t in instants:
            begin = clock.perf_counter_ns()
            on_call_at(schedule, t)
            timings_us.append((clock.perf_counter_ns() - begin) / 1000)
    timings_us.sort()
    layers = sum(len(s.layers) for s in schedules)
    overrides = sum(len(s.overrides) for s in schedules)
    non_utc = sum(s.tz != "UTC" for s in schedules)
    return [
        f"on_call_at: 100 schedules ({layers} layers, {overrides} overrides, {non_utc} non-UTC), "
        f"{len(timings_us)} calls at random instants in [now-15d, now+180d)",
        f"  p50 {percentile(timings_us, 0.50):.1f} us   p99 {percentile(timings_us, 0.99):.1f} us"
        f"   max {timings_us[-1]:.1f} us   mean {statistics.fmean(timings_us):.1f} us"
        "   (target p99 < 5000 us)",
    ]


def bench_final_shifts() -> list[str]:
    schedule = ten_person_schedule()
    runs_ms: list[float] = []
    shifts = []
    for _ in range(FINAL_RUNS):
        begin = clock.perf_counter_ns()
        shifts = final_shifts(schedule, WINDOW_START, WINDOW_END)
        runs_ms.append((clock.perf_counter_ns() - begin) / 1e6)
    return [
        "final_shifts: 10-person schedule (weekly layer + daily-turn 09:00-17:00 layer, "
        "America/New_York, 5 overrides), 195-day window (now-15d .. now+180d), "
        f"{len(shifts)} shifts",
        f"  median {statistics.median(runs_ms):.2f} ms   min {min(runs_ms):.2f} ms   "
        f"max {max(runs_ms):.2f} ms over {FINAL_RUNS} runs   (target < 200 ms)",
    ]


def bench_final_shifts_all(rng: random.Random) -> list[str]:
    schedules = [random_schedule(rng, n) for n in range(100)]
    begin = clock.perf_counter_ns()
    total = sum(len(final_shifts(s, WINDOW_START, WINDOW_END)) for s in schedules)
    elapsed_ms = (clock.perf_counter_ns() - begin) / 1e6
    return [
        f"final_shifts: the 100 random schedules, 195-day window each: {elapsed_ms:.0f} ms total, "
        f"{elapsed_ms / 100:.2f} ms per schedule, {total} shifts",
    ]


def main() -> None:
    rng = random.Random(SEED)
    header = [
        f"machine: {platform.platform()} ({platform.machine()}, {os.cpu_count()} CPUs)",
        f"python:  {platform.python_implementation()} {platform.python_version()}",
        f"date:    {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "command: python bench/bench_oncall.py",
        f"inputs:  seed {SEED}, now = {NOW:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    lines = header + bench_on_call_at(rng) + bench_final_shifts() + bench_final_shifts_all(rng)
    print("```")
    print("\n".join(lines))
    print("```")


if __name__ == "__main__":
    main()
