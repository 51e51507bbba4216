"""The jobs layer: transactional enqueue, retries with backoff, the dead state, timers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from switchboard.core import jobs
from switchboard.core.models import Timer
from switchboard.core.sweeps import run_all_sweeps
from switchboard.core.tests import sample_jobs
from switchboard.core.timers import cancel_timer, schedule_timer
from switchboard.core.worker import run_pending_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_job_enqueued_in_a_rolled_back_transaction_never_runs(tmp_path):
    """A job queued inside a transaction that rolls back does not exist and never runs."""
    witness = tmp_path / "w"

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        jobs.enqueue(sample_jobs.record, str(witness), "should not run")
        raise Boom
    assert DBTaskResult.objects.count() == 0
    assert run_pending_jobs() == 0
    assert lines(witness) == []


def test_committed_job_runs_exactly_once(tmp_path):
    """A job committed with its transaction runs once; running the queue again does nothing."""
    witness = tmp_path / "w"
    with transaction.atomic():
        job_id = jobs.enqueue(sample_jobs.record, str(witness), "hello")
    assert run_pending_jobs() == 1
    assert run_pending_jobs() == 0
    assert lines(witness) == ["hello"]
    result = DBTaskResult.objects.get(pk=job_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "hello"


def test_failing_job_retries_with_backoff_then_is_dead(tmp_path):
    """A job that keeps failing is retried after growing delays, then left FAILED with its error."""
    witness = tmp_path / "w"
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        job_id = jobs.enqueue(sample_jobs.always_fails, str(witness))
        assert run_pending_jobs() == 1
        job = DBTaskResult.objects.get(pk=job_id)
        assert job.status == TaskResultStatus.READY
        first_delay = (job.run_after - start).total_seconds()
        assert 8 <= first_delay <= 12  # 10 s ± 20 % jitter
        assert "the receiver is down" in job.traceback

        assert run_pending_jobs() == 0  # not due yet: no hot loop
        clock.shift(timedelta(seconds=13))
        assert run_pending_jobs() == 1
        job.refresh_from_db()
        second_delay = (job.run_after - timezone.now()).total_seconds()
        assert 16 <= second_delay <= 24  # doubled

        clock.shift(timedelta(seconds=25))
        assert run_pending_jobs() == 1
        job.refresh_from_db()
        assert job.status == TaskResultStatus.FAILED
        assert job.exception_class_path == "builtins.RuntimeError"
        assert len(job.worker_ids) == 3
        clock.shift(timedelta(days=1))
        assert run_pending_jobs() == 0
    assert lines(witness) == ["attempt"] * 3


def test_transient_failures_recover(tmp_path):
    """A job failing twice then succeeding ends SUCCESSFUL after three attempts."""
    witness = tmp_path / "w"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        job_id = jobs.enqueue(sample_jobs.fails_twice_then_succeeds, str(witness))
        for _ in range(3):
            run_pending_jobs()
            clock.shift(timedelta(seconds=10))
    job = DBTaskResult.objects.get(pk=job_id)
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert len(lines(witness)) == 3


def test_timer_fires_once_when_due_and_can_be_moved_or_cancelled(tmp_path):
    """A timer fires at its due time only, once; rescheduling moves it; cancelling stops it."""
    witness = tmp_path / "w"
    now = timezone.now()
    schedule_timer(
        "test.append", key="a", due_at=now + timedelta(minutes=5), payload={"path": str(witness)}
    )
    schedule_timer(
        "test.append", key="b", due_at=now + timedelta(minutes=1), payload={"path": str(witness)}
    )
    schedule_timer(
        "test.append", key="a", due_at=now + timedelta(minutes=2), payload={"path": str(witness)}
    )
    schedule_timer("test.append", key="c", due_at=now, payload={"path": str(witness)})
    cancel_timer("test.append", key="c")
    assert Timer.objects.count() == 3
    run_all_sweeps(now)
    assert lines(witness) == []
    run_all_sweeps(now + timedelta(minutes=3))
    assert lines(witness) == ["b", "a"]
    run_all_sweeps(now + timedelta(hours=1))
    assert lines(witness) == ["b", "a"]
    assert Timer.objects.get(key="a").fired_at == now + timedelta(minutes=3)


def test_a_handler_that_re_arms_its_timer_keeps_the_new_due_time(tmp_path):
    """A handler may move its own deadline (e.g. "not yet: the delay was raised"): the sweep
    records the firing without clearing the new due time."""
    witness = tmp_path / "w"
    now = timezone.now()
    schedule_timer("test.rearm", key="r", due_at=now, payload={"path": str(witness), "again": 1})
    run_all_sweeps(now)
    assert lines(witness) == ["r"]
    assert Timer.objects.get(key="r").due_at == now + timedelta(minutes=1)
    run_all_sweeps(now + timedelta(minutes=2))
    run_all_sweeps(now + timedelta(hours=1))
    assert lines(witness) == ["r", "r"]
    assert Timer.objects.get(key="r").due_at is None


def test_a_failing_timer_handler_is_retried_later_without_blocking_others(tmp_path):
    """A handler error parks that timer with backoff and the error text; the others still fire."""
    witness = tmp_path / "w"
    now = timezone.now()
    schedule_timer("test.append", key="bad", due_at=now, payload={})  # KeyError: no path
    schedule_timer("test.append", key="good", due_at=now, payload={"path": str(witness)})
    run_all_sweeps(now)
    assert lines(witness) == ["good"]
    bad = Timer.objects.get(key="bad")
    assert bad.fired_at is None and bad.attempts == 1
    assert bad.due_at == now + timedelta(minutes=2)
    assert "KeyError" in bad.last_error
