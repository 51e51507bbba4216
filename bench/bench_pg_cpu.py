"""PostgreSQL's CPU per API ticket creation, in the request and in the worker (issue 12).

Run from the repository root (Linux: reads the server backend's /proc/<pid>/stat, so the
PostgreSQL server must run on this machine):

    .venv/bin/python bench/bench_pg_cpu.py [--creates 300]

Creates a scratch database (`bench_pg_cpu`, dropped at the end), then in this one process:
N `POST /api/v2/tickets.json` through Django's test client, then one worker runs the queued
jobs (ticket events, then the emails they queue). One connection does all of it, so the CPU of
its PostgreSQL backend around each phase is PostgreSQL's share of that work. Reports per
creation: this process's CPU and the backend's, for the requests and for the worker.
SWITCHBOARD_PG_PREPARED=api|all|off (default api) chooses the prepared statements.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchlib import api_client_with_customer, run_in_scratch_db  # noqa: E402

DB = "bench_pg_cpu"


def backend_cpu(connection: object, pid: list[int]) -> float:
    """Seconds of CPU the connection's PostgreSQL backend has used."""
    if not pid:
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT pg_backend_pid()")
            pid.append(cursor.fetchone()[0])
    fields = Path(f"/proc/{pid[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(n: int) -> None:
    from django.db import connection

    from switchboard.core import prepared
    from switchboard.core.worker import Worker

    client, auth, customer_id = api_client_with_customer()
    body = json.dumps(
        {
            "ticket": {
                "subject": "The login page fails after the upgrade",
                "comment": {"body": "Created by bench/bench_pg_cpu.py. " * 10},
                "requester_id": customer_id,
                "priority": "normal",
            }
        }
    )

    def create() -> None:
        response = client.post("/api/v2/tickets.json", body, "application/json", **auth)
        assert response.status_code == 201, response.content

    def drain() -> int:
        prepared.for_this_process()  # as `manage.py worker` does
        worker = Worker(burst=True, sweep=False, worker_id="bench")
        while worker.run_batch():
            pass
        return worker.jobs_run

    for _ in range(20):  # warm-up: caches, the first request's imports
        create()
    drain()
    pid: list[int] = []
    pg0, py0 = backend_cpu(connection, pid), time.process_time()
    for _ in range(n):
        create()
    pg1, py1 = backend_cpu(connection, pid), time.process_time()
    jobs = drain()
    pg2, py2 = backend_cpu(connection, pid), time.process_time()
    per = 1000 / n
    print(
        f"requests: Python {(py1 - py0) * per:.2f} ms, PostgreSQL {(pg1 - pg0) * per:.2f} ms "
        f"per creation ({n} creations)"
    )
    print(
        f"worker:   Python {(py2 - py1) * per:.2f} ms, PostgreSQL {(pg2 - pg1) * per:.2f} ms "
        f"per creation ({jobs} jobs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=300)
    args = parser.parse_args()
    run_in_scratch_db(DB, measure, args.creates)


if __name__ == "__main__":
    main()
