"""Durability with real worker processes: no job or due row run twice, none lost on SIGKILL.

These run on SQLite and on PostgreSQL; on PostgreSQL the workers claim with
SELECT ... FOR UPDATE SKIP LOCKED, which is the production setup.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from switchboard.core import jobs
from switchboard.core.models import Timer, WorkerHeartbeat
from switchboard.core.tests import sample_jobs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FAST = {
    "SWITCHBOARD_PLUGINS": "switchboard.core.tests.sample_jobs",
    "SWITCHBOARD_WORKER_HEARTBEAT": "0.5",
    "SWITCHBOARD_WORKER_DEAD_AFTER": "3",
    "SWITCHBOARD_SWEEP_INTERVAL": "0.2",
}


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_two_workers_run_each_of_1000_jobs_exactly_once(tmp_path, spawn):
    """Two workers draining one queue together run every job once: no duplicates, none missed."""
    witness = tmp_path / "witness"
    for i in range(1000):
        jobs.enqueue(sample_jobs.record, str(witness), f"job-{i}")
    workers = [spawn("worker", "--burst", "--no-sweep", env=FAST) for _ in range(2)]
    for proc in workers:
        assert proc.wait(timeout=240) == 0
    counts = Counter(witness.read_text().splitlines())
    assert len(counts) == 1000
    assert set(counts.values()) == {1}
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1000
    per_worker = Counter(w[0] for w in DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert len(per_worker) == 2, "both workers should have taken part"


def test_two_sweepers_fire_each_due_timer_exactly_once(tmp_path, spawn):
    """Two workers sweeping the same due rows at once fire each of 500 timers exactly once."""
    witness = tmp_path / "witness"
    due = timezone.now() - timedelta(seconds=1)
    Timer.objects.bulk_create(
        [
            Timer(kind="test.append", key=f"t{i}", due_at=due, payload={"path": str(witness)})
            for i in range(500)
        ]
    )
    for _ in range(2):
        spawn("worker", "--sweep-interval", "0.1", env=FAST)
    wait_for(
        lambda: not Timer.objects.filter(fired_at__isnull=True).exists(), 90, "all timers to fire"
    )
    counts = Counter(witness.read_text().splitlines())
    assert len(counts) == 500
    assert set(counts.values()) == {1}


def test_job_of_a_killed_worker_is_retried_not_lost(tmp_path, spawn):
    """SIGKILL mid-job: when the worker's heartbeat goes stale, another worker runs the job."""
    marker = tmp_path / "marker"
    job_id = jobs.enqueue(sample_jobs.slow_unless_retried, str(marker))
    victim = spawn("worker", env=FAST)
    wait_for(lambda: marker.exists(), 60, "the first worker to start the job")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    job = DBTaskResult.objects.get(pk=job_id)
    assert job.status == TaskResultStatus.RUNNING  # orphaned, not lost

    spawn("worker", env=FAST)
    wait_for(
        lambda: DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.SUCCESSFUL,
        60,
        "the job to be recovered and finished",
    )
    job.refresh_from_db()
    assert job.return_value == "finished on retry"
    assert len(job.worker_ids) == 2 and job.worker_ids[0] != job.worker_ids[1]
    assert marker.read_text().splitlines() == ["started", "finished"]


def test_worker_heartbeat_is_visible_and_removed_on_clean_stop(spawn):
    """A running worker shows in the heartbeat table; SIGTERM stops it cleanly and removes it."""
    proc = spawn("worker", env=FAST)
    wait_for(lambda: WorkerHeartbeat.objects.exists(), 30, "a heartbeat")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.parametrize(
    ("env", "args", "added"),
    [
        ({"SWITCHBOARD_WORKER_NICE": "7"}, (), 7),
        ({"SWITCHBOARD_WORKER_NICE": "7"}, ("--nice", "0"), 0),
        ({"SWITCHBOARD_WORKER_NICE": "7"}, ("--processes", "2", "--nice", "3"), 3),
    ],
)
def test_the_worker_runs_jobs_at_the_niceness_it_is_given(tmp_path, spawn, env, args, added):
    """SWITCHBOARD_WORKER_NICE (or --nice) lowers the worker's CPU priority, once, also in the
    processes a supervising worker starts: requests on the same host get the CPU first."""
    import os

    witness = tmp_path / "witness"
    for _ in range(4):
        jobs.enqueue(sample_jobs.record_niceness, str(witness))
    proc = spawn("worker", "--burst", "--no-sweep", *args, env={**FAST, **env})
    assert proc.wait(timeout=120) == 0
    expected = min(19, os.nice(0) + added)
    assert set(witness.read_text().split()) == {str(expected)}
