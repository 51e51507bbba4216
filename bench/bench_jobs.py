"""Benchmark of the jobs layer on PostgreSQL (foundation issue: bench/ requirement).

Run from the repository root:

    .venv/bin/python bench/bench_jobs.py [--jobs 10000] [--runs 3] [--workers 2]

Creates its own PostgreSQL database (dropped and re-created; dropped again at the end, also on
error or Ctrl-C), migrates it, then per run:

1. enqueues N no-op jobs (bench.noop_jobs.noop) with switchboard.core.jobs.enqueue,
   1,000 per transaction (timed), then ANALYZEs the jobs table, untimed, as autovacuum would on a
   database in service (--no-analyze skips it);
2. starts W `manage.py worker --burst --no-sweep` processes and waits until they have run every
   job and exited, then checks that all N jobs are SUCCESSFUL. The execute time runs from starting
   the workers (Python and Django start-up included) to the last job's finished_at.

Reports enqueue, execute-only and end-to-end (enqueue + execute) jobs/s, median of the runs, and
prints Markdown for bench/RESULTS.md. Target: >= 500 jobs/s end-to-end with 2 workers on the
2-core reference machine. Workers run with LOG_LEVEL=WARNING (at the default INFO, django-tasks
logs two lines per job).

Wall-clock rates are only meaningful on an otherwise idle machine, so each run first waits (up to
--quiet-wait s) for the CPUs to be idle, and a run during which other processes took more than
--max-others of the CPUs is reported, discarded and repeated (at most --retries times). It also
prints the CPU time spent per job (this process, the workers and their PostgreSQL backends, read
from /proc when the server is local), which other load changes much less.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432); its
maintenance database `postgres` is used to create and drop the benchmark database.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_JOBS_PER_S = 500.0
PLUGIN = "bench.noop_jobs"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Run:
    jobs: int
    enqueue_s: float
    execute_s: float
    drain_s: float  # first job started -> last job finished: the steady-state rate
    busy_before: float  # share of the CPUs busy just before the run (other processes)
    enqueue_cpu: float  # CPU seconds: this process
    enqueue_pg_cpu: float | None  # CPU seconds: its PostgreSQL backend
    worker_cpu: float  # CPU seconds: the worker processes
    worker_pg_cpu: float | None  # CPU seconds: their PostgreSQL backends
    others: float | None  # share of the CPUs other processes used during the run

    @property
    def enqueue_rate(self) -> float:
        return self.jobs / self.enqueue_s

    @property
    def execute_rate(self) -> float:
        return self.jobs / self.execute_s

    @property
    def drain_rate(self) -> float:
        return self.jobs / self.drain_s

    @property
    def end_to_end_rate(self) -> float:
        return self.jobs / (self.enqueue_s + self.execute_s)

    def ms_per_job(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1000 / self.jobs

    @property
    def cpu_ms_per_job(self) -> float | None:
        """All CPU time per job, enqueue and execute, client and server."""
        if self.enqueue_pg_cpu is None or self.worker_pg_cpu is None:
            return None
        total = self.enqueue_cpu + self.enqueue_pg_cpu + self.worker_cpu + self.worker_pg_cpu
        return total * 1000 / self.jobs


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- the database ---------------------------------------------------------------------------


def admin_connect(server_url: str) -> psycopg.Connection:
    return psycopg.connect(f"{server_url}/postgres", autocommit=True)


def drop_database(server_url: str, name: str) -> None:
    with admin_connect(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def create_database(server_url: str, name: str) -> None:
    drop_database(server_url, name)
    with admin_connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_version(server_url: str) -> str:
    with admin_connect(server_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return row[0] if row else "?"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def reset_tables() -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from switchboard.core.models import WorkerHeartbeat

    tables = [DBTaskResult._meta.db_table, WorkerHeartbeat._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def analyze_jobs_table() -> None:
    """Give the planner statistics, as autovacuum keeps them on a database in service.

    A never-analysed table has none, and then PostgreSQL claims with a bitmap scan and a sort of
    every READY row (milliseconds per claim with 10,000 queued) instead of walking the partial
    ordering index; that is an artefact of the benchmark's new database, not of production.
    """
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(DBTaskResult._meta.db_table)}")


# --- CPU accounting -------------------------------------------------------------------------


def cpu_counters() -> tuple[float, float] | None:
    """(total, busy) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        total = sum(fields[:8])
        return total / CLOCK_TICKS, (total - fields[3] - fields[4]) / CLOCK_TICKS  # - idle, iowait
    except (OSError, ValueError, IndexError):
        return None


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy (0..1) over `seconds` (0 where /proc/stat is unavailable)."""
    before = cpu_counters()
    time.sleep(seconds)
    after = cpu_counters()
    if before is None or after is None:
        return 0.0
    return (after[1] - before[1]) / max(1e-9, after[0] - before[0])


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait (up to max_wait s) until the CPUs are idle; returns the busy share last measured."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process on this machine, None if it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


class BackendCpu:
    """CPU used by the client backends of one database, sampled while they run."""

    def __init__(self, server_url: str, database: str) -> None:
        self.conn = admin_connect(server_url)
        self.database = database
        self.seen: dict[int, float] = {}
        self.readable = True

    def sample(self) -> None:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = "
            "'client backend'",
            [self.database],
        ).fetchall()
        for (pid,) in rows:
            cpu = process_cpu(pid)
            if cpu is None:
                self.readable = False
            else:
                self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def total(self, exclude: set[int] | frozenset[int] = frozenset()) -> float | None:
        if not self.readable or not self.seen:
            return None
        return sum(cpu for pid, cpu in self.seen.items() if pid not in exclude)

    def close(self) -> None:
        self.conn.close()


def own_backend() -> tuple[int, float | None]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid, process_cpu(pid)


# --- the two phases -------------------------------------------------------------------------


def enqueue_jobs(count: int, per_transaction: int) -> tuple[float, float, float | None]:
    """Enqueue `count` no-op jobs; returns (seconds, CPU seconds, backend CPU seconds)."""
    from django.db import transaction

    from bench.noop_jobs import noop
    from switchboard.core.jobs import enqueue

    pid, pg0 = own_backend()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    done = 0
    while done < count:
        batch = min(per_transaction, count - done)
        with transaction.atomic():
            for _ in range(batch):
                enqueue(noop)
        done += batch
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    pg1 = process_cpu(pid)
    return elapsed, cpu, None if pg0 is None or pg1 is None else pg1 - pg0


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute_jobs(
    count: int,
    workers: int,
    worker_args: list[str],
    env: dict[str, str],
    timeout: float,
    backends: BackendCpu,
) -> tuple[float, float, float, float | None]:
    """Run the workers to completion: (execute s, drain s, worker CPU s, backend CPU s)."""
    from django.db import connection
    from django.db.models import Count, Max, Min
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    connection.close()  # no idle connection of ours during the timing
    backends.seen.clear()
    backends.sample()
    before = set(backends.seen)  # not the workers' (the sampler's own is not a client of this db)
    argv = [sys.executable, str(ROOT / "manage.py"), "worker", *worker_args]
    children: list[subprocess.Popen[bytes]] = []
    cpu0 = children_cpu()
    started = datetime.now(UTC)
    try:
        children = [subprocess.Popen(argv, env=env, cwd=ROOT) for _ in range(workers)]
        deadline = time.monotonic() + timeout
        while any(child.poll() is None for child in children):
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers still running after {timeout:.0f} s")
            backends.sample()
            time.sleep(0.1)
        for child in children:
            if child.returncode != 0:
                raise RuntimeError(f"worker {child.pid} exited with status {child.returncode}")
    finally:
        stop_children(children)
    worker_cpu = children_cpu() - cpu0
    counts = dict(
        DBTaskResult.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    ok = counts.get(TaskResultStatus.SUCCESSFUL, 0)
    if ok != count:
        raise RuntimeError(f"{ok} of {count} jobs SUCCESSFUL after the workers exited: {counts}")
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    return (
        (span["last"] - started).total_seconds(),
        (span["last"] - span["first"]).total_seconds(),
        worker_cpu,
        backends.total(exclude=before),
    )


# --- main -----------------------------------------------------------------------------------


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    # SIGTERM, and SIGINT even when started in the background, unwind through the clean-up:
    # stop the workers, drop the database.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--batch-size", type=int, default=None, help="worker --batch-size")
    parser.add_argument("--per-transaction", type=int, default=1_000, help="enqueues per commit")
    parser.add_argument(
        "--no-analyze", action="store_true", help="leave the new table without planner statistics"
    )
    parser.add_argument("--database", default="switchboard_bench_jobs")
    parser.add_argument(
        "--quiet-wait", type=float, default=120, help="seconds to wait for idle CPUs per run"
    )
    parser.add_argument(
        "--quiet-limit", type=float, default=0.15, help="CPU busy share counted as idle"
    )
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.10,
        help="discard and repeat a run if other processes took more of the CPUs than this",
    )
    parser.add_argument("--retries", type=int, default=10, help="discarded runs allowed")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run, at most")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    worker_args = ["--burst", "--no-sweep"]
    if args.batch_size:
        worker_args += ["--batch-size", str(args.batch_size)]

    var_dir = tempfile.mkdtemp(prefix="switchboard-bench-jobs-")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{server_url}/{args.database}",
        SWITCHBOARD_PLUGINS=PLUGIN,
        SWITCHBOARD_VAR_DIR=var_dir,
        SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuv",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("SWITCHBOARD_ENV", None)

    pg_version = postgres_version(server_url)
    command = ".venv/bin/python bench/bench_jobs.py " + shlex.join(sys.argv[1:])
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(f"python:  {sys.version.split()[0]}, PostgreSQL {pg_version}")
    print(f"date:    {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command: {command.strip()}")
    workers = f"{args.workers} x `manage.py worker {' '.join(worker_args)}`"
    print(f"jobs: {args.jobs}, runs: {args.runs}, workers: {workers}")
    print()

    runs: list[Run] = []
    create_database(server_url, args.database)
    backends = BackendCpu(server_url, args.database)
    try:
        setup_django(env)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        attempt = 0
        while len(runs) < args.runs:
            attempt += 1
            if attempt > args.runs + args.retries:
                raise RuntimeError(f"no quiet machine after {attempt - 1} attempts; see above")
            reset_tables()
            busy = wait_for_quiet(args.quiet_limit, args.quiet_wait)
            counters0 = cpu_counters()
            enqueue_s, enqueue_cpu, enqueue_pg_cpu = enqueue_jobs(args.jobs, args.per_transaction)
            if not args.no_analyze:
                analyze_jobs_table()  # not timed
            execute_s, drain_s, worker_cpu, worker_pg_cpu = execute_jobs(
                args.jobs, args.workers, worker_args, env, args.timeout, backends
            )
            counters1 = cpu_counters()
            others = None
            if counters0 and counters1 and enqueue_pg_cpu is not None and worker_pg_cpu is not None:
                ours = enqueue_cpu + enqueue_pg_cpu + worker_cpu + worker_pg_cpu
                busy_s = counters1[1] - counters0[1]
                others = max(0.0, busy_s - ours) / max(1e-9, counters1[0] - counters0[0])
            run = Run(
                args.jobs,
                enqueue_s,
                execute_s,
                drain_s,
                busy,
                enqueue_cpu,
                enqueue_pg_cpu,
                worker_cpu,
                worker_pg_cpu,
                others,
            )
            discard = others is not None and others > args.max_others
            if not discard:
                runs.append(run)
            label = f"run {len(runs)}" if not discard else "discarded run"
            print(
                f"{label}: "
                f"enqueue {enqueue_s:.2f} s = {run.enqueue_rate:.0f} jobs/s; "
                f"execute {execute_s:.2f} s = {run.execute_rate:.0f} jobs/s "
                f"(first start -> last finish {run.drain_rate:.0f} jobs/s); "
                f"end-to-end {run.end_to_end_rate:.0f} jobs/s"
            )
            print(
                f"      CPU ms/job: enqueue {run.ms_per_job(enqueue_cpu):.2f} + postgres "
                f"{fmt_ms(run.ms_per_job(enqueue_pg_cpu))}; workers "
                f"{run.ms_per_job(worker_cpu):.2f} + postgres "
                f"{fmt_ms(run.ms_per_job(worker_pg_cpu))}; total {fmt_ms(run.cpu_ms_per_job)}"
            )
            print(
                f"      CPUs busy just before the run {busy:.0%}; other processes' share of the "
                f"CPUs during it {'n/a' if others is None else format(others, '.0%')}"
                + (f" > {args.max_others:.0%}: run discarded, repeated" if discard else "")
            )
    finally:
        backends.close()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        drop_database(server_url, args.database)
        shutil.rmtree(var_dir, ignore_errors=True)

    e2e = statistics.median(r.end_to_end_rate for r in runs)
    exe = statistics.median(r.execute_rate for r in runs)
    enq = statistics.median(r.enqueue_rate for r in runs)
    drain = statistics.median(r.drain_rate for r in runs)
    cpu_values = [r.cpu_ms_per_job for r in runs if r.cpu_ms_per_job is not None]
    cpu = statistics.median(cpu_values) if cpu_values else None
    busiest = max(r.busy_before for r in runs)
    others_values = [r.others for r in runs if r.others is not None]
    worst_others = max(others_values) if others_values else None
    verdict = "meets" if e2e >= TARGET_JOBS_PER_S else "MISSES"
    print()
    print(
        f"median of {len(runs)}: enqueue {enq:.0f} jobs/s, execute {exe:.0f} jobs/s "
        f"(first start -> last finish {drain:.0f} jobs/s), end-to-end {e2e:.0f} jobs/s -> "
        f"{verdict} the target of {TARGET_JOBS_PER_S:.0f} jobs/s; CPU {fmt_ms(cpu)} ms/job; "
        f"CPUs at most {busiest:.0%} busy before a run, other processes' share during a run at "
        f"most {'n/a' if worst_others is None else format(worst_others, '.0%')}"
    )
    if busiest > args.quiet_limit or (worst_others or 0) > args.quiet_limit:
        print("WARNING: other work shared the CPUs; the wall-clock rates are understated.")
    print()
    print(
        "| date | jobs | workers | enqueue jobs/s | execute jobs/s | end-to-end jobs/s "
        "| CPU ms/job | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {args.jobs:,} | {args.workers} | {enq:,.0f} | "
        f"{exe:,.0f} | **{e2e:,.0f}** | {fmt_ms(cpu)} | ≥ {TARGET_JOBS_PER_S:.0f}: "
        f"{verdict.lower()} |"
    )
    return 0 if e2e >= TARGET_JOBS_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
