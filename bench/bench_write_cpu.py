"""CPU per API request and one worker's event-job throughput, in-process (issue 12).

Run from the repository root:

    .venv/bin/python bench/bench_write_cpu.py [--requests 500]

Less sensitive to other load on the machine than wrk: creates a scratch PostgreSQL database
(`bench_write_cpu`, dropped again at the end), migrates it, then through Django's test client:

1. N `POST /api/v2/tickets.json` and N `GET /api/v2/tickets/{id}.json` back to back, each timed
   with `time.process_time()` (this process's CPU: Django, the API, the ORM, psycopg; not
   PostgreSQL's), reporting the median and the statements one request sends (BEGIN/COMMIT not
   counted);
2. one `core.worker.Worker` on the `events` queue runs the N queued ticket-event jobs (triggers,
   time rules, search, ...) in the same process: jobs/s (wall) and CPU per job.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchlib import api_client_with_customer, run_in_scratch_db  # noqa: E402

DB = "bench_write_cpu"


def measure(n: int) -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from switchboard.core import prepared
    from switchboard.core.worker import Worker

    client, auth, customer_id = api_client_with_customer()
    body = json.dumps(
        {
            "ticket": {
                "subject": "Benchmark ticket",
                "comment": {"body": "Created by bench."},
                "requester_id": customer_id,
                "priority": "normal",
            }
        }
    )

    def create() -> int:
        response = client.post("/api/v2/tickets.json", body, "application/json", **auth)
        assert response.status_code == 201, response.content
        return int(response.json()["ticket"]["id"])

    def show(ticket_id: int) -> None:
        response = client.get(f"/api/v2/tickets/{ticket_id}.json", **auth)
        assert response.status_code == 200, response.content

    ticket_id = create()  # the first request of a process loads more (warm-up, not counted)
    show(ticket_id)

    def queries(request, *args) -> int:
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            request(*args)
        return count

    create_queries, show_queries = queries(create), queries(show, ticket_id)
    DBTaskResult.objects.all().delete()
    create_cpu, show_cpu = [], []
    for _ in range(n):
        start = time.process_time()
        create()
        create_cpu.append((time.process_time() - start) * 1000)
    for _ in range(n):
        start = time.process_time()
        show(ticket_id)
        show_cpu.append((time.process_time() - start) * 1000)
    print(
        f"POST tickets.json: {create_queries} queries, "
        f"CPU median {statistics.median(create_cpu):.2f} ms ({n} requests)"
    )
    print(
        f"GET tickets/{{id}}.json: {show_queries} queries, "
        f"CPU median {statistics.median(show_cpu):.2f} ms ({n} requests)"
    )
    prepared.for_this_process()  # as `manage.py worker` does
    worker = Worker(queues=["events"], burst=True, sweep=False, worker_id="bench")
    wall, cpu = time.perf_counter(), time.process_time()
    while worker.run_batch():
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"one worker, events queue: {worker.jobs_run} jobs in {wall:.1f} s = "
        f"{worker.jobs_run / wall:.1f} jobs/s, CPU {cpu / worker.jobs_run * 1000:.1f} ms per job"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    run_in_scratch_db(DB, measure, args.requests)


if __name__ == "__main__":
    main()
