"""Urgent jobs (ticket events) are not held back by other work: the worker runs them before
its other queues and between the batches of a long sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from switchboard.core import jobs, sweeps
from switchboard.core.models import Timer
from switchboard.core.tests import sample_jobs
from switchboard.core.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_long_sweep_runs_urgent_jobs_between_its_batches(tmp_path, monkeypatch):
    """Three due rows swept one per batch: the event job queued before the sweep has run by the
    time the second row is handled, not after the whole sweep."""
    witness = tmp_path / "witness"
    seen: list[bool] = []

    def handler(timer: Timer, now) -> None:
        seen.append(witness.exists())
        timer.due_at = None
        timer.save(update_fields=["due_at"])

    slow = sweeps.Sweep("test.slow", Timer, "due_at", handler, batch_size=1)
    monkeypatch.setattr(sweeps, "_SWEEPS", {"test.slow": slow})
    past = timezone.now() - timedelta(minutes=1)
    for key in "abc":
        Timer.objects.create(kind="test.slow", key=key, due_at=past)
    jobs.enqueue(sample_jobs.record.using(queue_name="events"), str(witness), "event")

    Worker(worker_id="w-sweep", urgent_queues=["events"]).sweep()

    assert seen == [False, True, True]
    assert witness.read_text() == "event\n"
    assert not Timer.objects.filter(due_at__isnull=False).exists()


def test_urgent_jobs_run_before_the_other_queues(tmp_path):
    """A worker serving every queue takes the event job first, even behind a higher-priority
    default job; a worker that does not serve the events queue never runs it."""
    witness = tmp_path / "witness"
    jobs.enqueue(sample_jobs.record.using(priority=50), str(witness), "default")
    jobs.enqueue(sample_jobs.record.using(queue_name="events"), str(witness), "event")

    assert Worker(worker_id="w-other", queues=["default"]).run_urgent() == 0
    assert not witness.exists()

    Worker(worker_id="w-all", burst=True, sweep=False).run()
    assert witness.read_text() == "event\ndefault\n"
    assert not DBTaskResult.objects.ready().exists()
