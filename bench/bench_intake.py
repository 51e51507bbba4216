"""Benchmark of email intake (issue 5): 1,000 messages through `manage.py ingest_email`.

Run from the repository root:

    .venv/bin/python bench/bench_intake.py [--count 1000] [--concurrency 2] [--database-url URL]

Uses a fresh SQLite database in a temporary directory (or --database-url, e.g. an empty
PostgreSQL database), migrates it, then:

1. pipe: starts one `manage.py ingest_email` process per message, like an MTA pipe, at most
   --concurrency at a time, and reports per-message latency (process start-up included:
   p50/p95/max) and messages/s over the whole run;
2. in-process: calls `receive_email` for --count further messages in this process and reports
   messages/s and per-message latency (parsing, deciding, the ticket actions, one transaction).

The message mix: 70 % new requests from 50 senders (half of them from an organization's
domain), 20 % replies to the sender's own earlier message (threaded by In-Reply-To), 10 %
auto-replies (ignored). Every message is checked afterwards: one InboundEmail per message and
no process failed. Wall-clock figures depend on the machine's other load; the script prints
the load average next to them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_message(i: int, prefix: str) -> bytes:
    group = i // 5
    sender = f"customer{group % 50}@{'acme.bench' if group % 2 else 'unknown.bench'}"
    msg = EmailMessage()
    msg["From"] = f"Customer {group % 50} <{sender}>"
    msg["To"] = "support@switchboard.test"
    msg["Message-ID"] = f"<{prefix}-{i}@client.bench>"
    kind = i % 10
    if kind in (4, 9):  # reply to the same sender's message four earlier
        msg["Subject"] = f"Re: Request {i - 4}"
        msg["In-Reply-To"] = f"<{prefix}-{i - 4}@client.bench>"
        body = "Thanks, here is more detail.\n\nOn Mon, Jan 1, 2026 at 10:00 AM Support wrote:\n> ?"
    elif kind == 7:
        msg["Subject"] = "Out of office"
        msg["Auto-Submitted"] = "auto-replied"
        body = "I am away until Monday."
    else:
        msg["Subject"] = f"Request {i}"
        body = f"Request number {i}.\n\n" + "Log line: everything is slow today.\n" * 20
    msg.set_content(body)
    return msg.as_bytes()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        SWITCHBOARD_VAR_DIR=str(work / "var"),
        SECRET_KEY="bench-intake-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        LOG_LEVEL="WARNING",
        DEBUG="0",
    )
    python = sys.executable
    manage = str(ROOT / "manage.py")
    subprocess.run([python, manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [
            python,
            manage,
            "shell",
            "-c",
            "from switchboard.accounts.models import Organization, OrganizationDomain;"
            "o=Organization.objects.create(name='Acme', support_level='standard');"
            "OrganizationDomain.objects.create(organization=o, domain='acme.bench')",
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )

    # 1. The MTA pipe: one process per message.
    messages = [make_message(i, "pipe") for i in range(args.count)]

    def ingest(raw: bytes) -> tuple[float, int]:
        start = time.perf_counter()
        proc = subprocess.run(
            [python, manage, "ingest_email"], input=raw, env=env, capture_output=True, cwd=ROOT
        )
        return time.perf_counter() - start, proc.returncode

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(ingest, messages))
    pipe_wall = time.perf_counter() - started
    latencies = [r[0] for r in results]
    failures = sum(1 for r in results if r[1] != 0)
    load_pipe = os.getloadavg()[0]

    # 2. In process.
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from collections import Counter

    from switchboard.notify.mail.intake import receive_email
    from switchboard.notify.models import InboundEmail, InboundSource

    inproc = [make_message(i, "inproc") for i in range(args.count)]
    per: list[float] = []
    started = time.perf_counter()
    for raw in inproc:
        t0 = time.perf_counter()
        receive_email(raw, source=InboundSource.PIPE)
        per.append(time.perf_counter() - t0)
    inproc_wall = time.perf_counter() - started
    load_inproc = os.getloadavg()[0]

    outcomes = Counter(InboundEmail.objects.values_list("outcome", flat=True))
    assert InboundEmail.objects.count() == 2 * args.count, "every message must be logged once"
    db = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"
    print(f"# Email intake benchmark ({db}, {os.cpu_count()} CPUs)")
    print(
        f"- pipe: {args.count} `ingest_email` processes, concurrency {args.concurrency}: "
        f"{args.count / pipe_wall:.1f} messages/s; latency per message p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms; {failures} failed; load avg {load_pipe:.1f}"
    )
    print(
        f"- in-process `receive_email`: {args.count / inproc_wall:.1f} messages/s; p50 "
        f"{statistics.median(per) * 1000:.1f} ms, p95 {percentile(per, 0.95) * 1000:.1f} ms; "
        f"load avg {load_inproc:.1f}"
    )
    print(f"- outcomes over both runs: {dict(sorted(outcomes.items()))}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
