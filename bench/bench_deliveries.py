"""Benchmark of the delivery layer (issue 5): webhooks and emails through a real worker.

Run from the repository root:

    .venv/bin/python bench/bench_deliveries.py [--count 1000] [--workers 1] [--rate 0] [--pg]

Starts a local HTTP receiver and a local SMTP server (aiosmtpd) in this process, creates a
fresh database (SQLite in a temporary directory; with --pg a database `sb_bench_deliveries` on
BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432, dropped again at the end), migrates it,
starts W `manage.py worker` processes pointed at both servers, then queues --count webhook
deliveries and --count emails, one transaction each (as a trigger firing on a ticket change
would), interleaved (at most --rate pairs per second, to measure latency without a backlog).
It waits until both servers have received everything and every delivery is
DELIVERED, then prints, per channel, the latency from the queueing transaction's commit to the
server receiving the message (p50, p99, max) and the throughput (messages/s from the first
commit to the last arrival).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PG_DB = "sb_bench_deliveries"


def pg_admin(statement: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(PG_DB)))


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, latencies: list[float], first_commit: float, last_arrival: float) -> None:
    ms = [v * 1000 for v in latencies]
    span = last_arrival - first_commit
    print(
        f"{name:8} n={len(ms):5}  p50={statistics.median(ms):7.1f} ms  "
        f"p99={percentile(ms, 99):7.1f} ms  max={max(ms):7.1f} ms  "
        f"throughput={len(ms) / span:6.1f}/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="webhooks, and as many emails")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--rate", type=float, default=0, help="queue at most this many pairs/s (0 = no limit)"
    )
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sb-bench-deliveries-"))
    if args.pg:
        pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        pg_admin("CREATE DATABASE {}")
        database_url = f"{PG_URL}/{PG_DB}"
    else:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SWITCHBOARD_VAR_DIR": str(tmp / "var"),
        "SECRET_KEY": "bench-deliveries-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from switchboard.notify.tests.conftest import HTTPReceiver, SMTPServer

    call_command("migrate", verbosity=0)
    receiver = HTTPReceiver()
    receiver._thread.start()
    smtp = SMTPServer()
    smtp.controller.start()
    env.update(smtp.env)
    children: list[subprocess.Popen[bytes]] = []
    try:
        return run(args, env, receiver, smtp, children)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        receiver.server.shutdown()
        smtp.controller.stop()
        from django.db import connections

        connections.close_all()
        if args.pg:
            pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, env, receiver, smtp, children) -> int:
    from django.db import transaction

    from switchboard.accounts.models import User
    from switchboard.core.models import WorkerHeartbeat
    from switchboard.notify.models import Delivery, DeliveryStatus
    from switchboard.notify.outbox.endpoints import create_endpoint
    from switchboard.notify.outbox.queue import queue_email, queue_endpoint

    admin = User.objects.create_superuser("bench@switchboard.test")
    hook = create_endpoint(actor=admin, name="bench", kind="webhook", url=receiver.url)

    argv = [sys.executable, str(ROOT / "manage.py"), "worker"]
    children.extend(subprocess.Popen(argv, env=env, cwd=ROOT) for _ in range(args.workers))
    deadline = time.monotonic() + 60
    while WorkerHeartbeat.objects.count() < args.workers:
        if time.monotonic() > deadline:
            print("workers did not start", file=sys.stderr)
            return 1
        time.sleep(0.1)

    hook_commit: dict[str, float] = {}
    mail_commit: dict[str, float] = {}
    first_commit = time.time()
    for i in range(args.count):
        if args.rate:
            time.sleep(max(0.0, first_commit + i / args.rate - time.time()))
        key = f"bench-hook-{i}"
        with transaction.atomic():
            queue_endpoint(
                endpoint=hook, event="ticket.updated", payload={"i": i}, idempotency_key=key
            )
        hook_commit[key] = time.time()
        with transaction.atomic():
            mail = queue_email(
                to=f"user{i}@example.com",
                subject=f"Update {i}",
                text=f"Body {i}",
                html=f"<p>Body {i}</p>",
                event="ticket.updated",
                idempotency_key=f"bench-mail-{i}",
            )
        mail_commit[str(mail.pk)] = time.time()
    enqueue_seconds = time.time() - first_commit

    deadline = time.monotonic() + args.timeout
    total = 2 * args.count
    while Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() < total:
        if time.monotonic() > deadline or any(c.poll() is not None for c in children):
            done = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
            print(f"gave up: {done}/{total} delivered", file=sys.stderr)
            return 1
        time.sleep(0.2)

    hook_arrival: dict[str, float] = {}
    for request in receiver.requests:
        hook_arrival.setdefault(request.headers["idempotency-key"], request.received_at)
    mail_arrival: dict[str, float] = {}
    for envelope, message in zip(smtp.envelopes, smtp.messages, strict=True):
        mail_arrival.setdefault(message["X-Switchboard-Delivery"], envelope.received_at)
    assert set(hook_arrival) == set(hook_commit), "a webhook is missing"
    assert set(mail_arrival) == set(mail_commit), "an email is missing"

    db = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"\n{args.count} webhooks + {args.count} emails, {args.workers} worker(s), {db}, "
        f"rate {args.rate or 'unlimited'} pairs/s, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(f"queued in {enqueue_seconds:.1f} s ({total / enqueue_seconds:.0f} transactions/s)")
    last = max([*hook_arrival.values(), *mail_arrival.values()])
    report(
        "webhook",
        [hook_arrival[k] - hook_commit[k] for k in hook_commit],
        first_commit,
        max(hook_arrival.values()),
    )
    report(
        "email",
        [mail_arrival[k] - mail_commit[k] for k in mail_commit],
        first_commit,
        max(mail_arrival.values()),
    )
    print(f"all      n={total:5}  throughput={total / (last - first_commit):6.1f}/s")
    cpu = [process_cpu_seconds(child.pid) for child in children]
    if all(value is not None for value in cpu):
        # Load-independent: what the workers themselves spent (start-up and idle polls included).
        print(f"worker CPU {sum(cpu) * 1000 / total:.2f} ms per delivery")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
