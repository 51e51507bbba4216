"""The worker loop: runs queued jobs, retries failures, sweeps due rows, recovers lost jobs.

One process runs one loop; start several (`manage.py worker --processes N`, or N separate
commands on several machines) and PostgreSQL's SKIP LOCKED keeps them from taking the same job
or the same due row. A heartbeat row per worker lets the health check see it and lets the other
workers take back the jobs of a worker that died mid-job.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta
from traceback import format_exception
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from switchboard.core import housekeeping
from switchboard.core.jobs import policy_for
from switchboard.core.models import WorkerHeartbeat
from switchboard.core.sweeps import run_all_sweeps

logger = logging.getLogger("switchboard.worker")


class Worker:
    def __init__(
        self,
        *,
        queues: list[str] | None = None,
        interval: float = 0.5,
        sweep_interval: float | None = None,
        heartbeat_interval: float | None = None,
        dead_after: float | None = None,
        batch_size: int = 10,
        burst: bool = False,
        max_jobs: int | None = None,
        sweep: bool = True,
        worker_id: str | None = None,
        backend: str = "default",
        urgent_queues: list[str] | None = None,
    ) -> None:
        self.queues = queues or ["*"]
        # Jobs a user waits for (ticket events): run first, and between a sweep's batches.
        urgent = urgent_queues
        if urgent is None:
            urgent = settings.SWITCHBOARD_WORKER_URGENT_QUEUES
        self.urgent_queues = [q for q in urgent if "*" in self.queues or q in self.queues]
        self.interval = interval
        self.sweep_interval = sweep_interval or settings.SWITCHBOARD_SWEEP_INTERVAL
        self.heartbeat_interval = heartbeat_interval or settings.SWITCHBOARD_WORKER_HEARTBEAT
        self.dead_after = dead_after or settings.SWITCHBOARD_WORKER_DEAD_AFTER
        self.batch_size = batch_size
        self.burst = burst
        self.max_jobs = max_jobs
        self.sweep_enabled = sweep
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}-{get_random_string(12)}"
        self.backend = backend
        self.running = True
        self.jobs_run = 0
        self.sweeps_run = 0
        self._in_job = False
        self._stop_heartbeat = threading.Event()
        self._last_sweep = 0.0
        # The first sweep prunes; then once every SWITCHBOARD_HOUSEKEEPING_EVERY seconds.
        self._last_housekeeping = -float("inf")

    # --- lifecycle ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            raise KeyboardInterrupt  # second signal: stop now; the job is put back
        logger.info("worker %s stopping after the current job", self.worker_id)
        self.running = False

    def run(self) -> None:
        logger.info("worker %s starting (queues=%s)", self.worker_id, ",".join(self.queues))
        self.beat()
        beater = threading.Thread(target=self._heartbeat_loop, daemon=True)
        beater.start()
        try:
            while self.running:
                did_work = self.run_urgent() > 0
                did_work = self.run_batch() or did_work
                if (
                    self.sweep_enabled
                    and time.monotonic() - self._last_sweep >= self.sweep_interval
                ):
                    self.sweep()
                if self.max_jobs is not None and self.jobs_run >= self.max_jobs:
                    break
                if not did_work:
                    if self.burst:
                        break
                    time.sleep(self.interval)
        finally:
            self._stop_heartbeat.set()
            beater.join(timeout=5)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            logger.info("worker %s stopped after %d jobs", self.worker_id, self.jobs_run)

    def _heartbeat_loop(self) -> None:
        try:
            while not self._stop_heartbeat.wait(self.heartbeat_interval):
                try:
                    self.beat()
                except Exception:
                    logger.exception("heartbeat failed")
        finally:
            connection.close()

    def beat(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "last_seen": now,
                "jobs_run": self.jobs_run,
                "sweeps_run": self.sweeps_run,
            },
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen": now,
            },
        )

    # --- jobs --------------------------------------------------------------------------------

    def _ready(self, queues: list[str] | None = None) -> Any:
        qs = DBTaskResult.objects.ready().filter(backend_name=self.backend)
        queues = queues or self.queues
        if "*" not in queues:
            qs = qs.filter(queue_name__in=queues)
        return qs

    def claim(self, queues: list[str] | None = None) -> list[DBTaskResult]:
        """Lock and mark up to batch_size ready jobs as ours (of `queues`, default all this
        worker serves), in one short transaction."""
        close_old_connections()
        try:
            with exclusive_transaction(DBTaskResult.objects.db):
                ready = self._ready(queues).select_for_update(skip_locked=True)
                jobs = list(ready[: self.batch_size])
                self._mark_running(jobs)
                return jobs
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return []
            raise

    def _mark_running(self, jobs: list[DBTaskResult]) -> None:
        """What DBTaskResult.claim() does for each job, in one UPDATE per batch, not one per job.

        A job's worker_ids gains this worker's id (one entry per attempt); jobs are grouped by
        their current worker_ids, so a batch of first attempts is a single statement.
        """
        now = timezone.now()
        groups: dict[str, list[DBTaskResult]] = {}
        for job in jobs:
            groups.setdefault(json.dumps(job.worker_ids), []).append(job)
        for group in groups.values():
            worker_ids = [*group[0].worker_ids, self.worker_id]
            DBTaskResult.objects.filter(pk__in=[job.pk for job in group]).update(
                status=TaskResultStatus.RUNNING, started_at=now, worker_ids=worker_ids
            )
            for job in group:
                job.status = TaskResultStatus.RUNNING
                job.started_at = now
                job.worker_ids = list(worker_ids)

    def run_batch(self, queues: list[str] | None = None) -> bool:
        jobs = self.claim(queues)
        for index, job in enumerate(jobs):
            if not self.running:
                self._release(jobs[index:])
                break
            self.execute(job)
        return bool(jobs)

    def run_urgent(self, max_batches: int = 10) -> int:
        """Run the ready jobs of the urgent queues (up to max_batches claims); returns how many
        ran. Called before each batch and between a sweep's batches."""
        before = self.jobs_run
        for _ in range(max_batches if self.urgent_queues else 0):
            if not self.running or not self.run_batch(self.urgent_queues):
                break
        return self.jobs_run - before

    def _release(self, jobs: list[DBTaskResult]) -> None:
        """Give claimed-but-unstarted jobs back to the queue (on shutdown)."""
        for job in jobs:
            job.status = TaskResultStatus.READY
            job.worker_ids = job.worker_ids[:-1]
            job.save(update_fields=["status", "worker_ids"])

    def execute(self, job: DBTaskResult) -> None:
        self._in_job = True
        try:
            task = job.task
            result = job.task_result
            task_started.send(sender=type(task.get_backend()), task_result=result)
            value = task.call(*result.args, **result.kwargs)
            job.set_successful(value)
            task_finished.send(sender=type(task.get_backend()), task_result=job.task_result)
        except (KeyboardInterrupt, SystemExit):
            # Forced stop mid-job: the job has not finished, so it goes back to the queue.
            self._retry_or_fail(job, None, force_retry=True)
            raise
        except Exception as exc:
            self._retry_or_fail(job, exc)
        finally:
            self._in_job = False
            self.jobs_run += 1

    def _retry_or_fail(
        self, job: DBTaskResult, exc: BaseException | None, *, force_retry: bool = False
    ) -> None:
        attempts = len(job.worker_ids)
        policy = policy_for(job.task_path)
        if exc is not None and (force_retry or attempts < policy.max_attempts):
            job.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
            job.traceback = "".join(format_exception(exc))
        if force_retry or attempts < policy.max_attempts:
            delay = 0.0 if force_retry else policy.delay(attempts)
            job.status = TaskResultStatus.READY
            job.run_after = timezone.now() + timedelta(seconds=delay)
            job.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
            logger.warning(
                "job %s (%s) attempt %d failed; retry in %.0fs",
                job.id,
                job.task_path,
                attempts,
                delay,
            )
        else:
            job.set_failed(exc or RuntimeError("job gave up"))
            logger.error("job %s (%s) is dead after %d attempts", job.id, job.task_path, attempts)
            try:
                task_finished.send(
                    sender=type(task_backends[self.backend]), task_result=job.task_result
                )
            except Exception:
                logger.exception("task_finished signal failed for %s", job.id)

    # --- sweeping and recovery ---------------------------------------------------------------

    def sweep(self) -> None:
        self._last_sweep = time.monotonic()
        try:
            run_all_sweeps(between=self.run_urgent)
            recover_lost_jobs(dead_after=self.dead_after)
            self.sweeps_run += 1
            if (
                time.monotonic() - self._last_housekeeping
                >= settings.SWITCHBOARD_HOUSEKEEPING_EVERY
            ):
                self._last_housekeeping = time.monotonic()
                housekeeping.prune()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise


def lower_priority(increment: int) -> int:
    """Add `increment` (clamped to 0-19) to this process's niceness; returns the niceness now.
    A worker sharing a host with the web processes yields the CPU to requests under a burst."""
    increment = max(0, min(19, increment))
    try:
        niceness = os.nice(increment)
    except OSError:  # a platform or sandbox that refuses: run as is
        logger.warning("could not lower the worker's CPU priority by %d", increment)
        return os.nice(0)
    if increment:
        logger.info("worker niceness %d", niceness)
    return niceness


def recover_lost_jobs(*, dead_after: float, backend: str = "default") -> int:
    """Put back the running jobs of workers that stopped beating (killed, crashed, lost host)."""
    now = timezone.now()
    horizon = now - timedelta(seconds=dead_after)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=horizon).values_list("worker_id", flat=True)
    )
    recovered = 0
    with transaction.atomic():
        running = DBTaskResult.objects.running().filter(
            backend_name=backend, started_at__lte=horizon
        )
        for job in running.select_for_update(skip_locked=True):
            if job.worker_ids and job.worker_ids[-1] in alive:
                continue
            policy = policy_for(job.task_path)
            job.exception_class_path = "switchboard.core.worker.WorkerLost"
            job.traceback = f"worker {job.worker_ids[-1] if job.worker_ids else '?'} stopped"
            if len(job.worker_ids) < policy.max_attempts:
                job.status = TaskResultStatus.READY
                job.run_after = now
                job.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
            else:
                job.status = TaskResultStatus.FAILED
                job.finished_at = now
                job.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
            recovered += 1
    WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()
    if recovered:
        logger.warning("recovered %d jobs from stopped workers", recovered)
    return recovered


def run_pending_jobs(*, max_jobs: int = 10_000) -> int:
    """Run every ready job in this process (tests and one-off commands); returns jobs run."""
    worker = Worker(burst=True, sweep=False, max_jobs=max_jobs, worker_id="inline")
    total = 0
    while total < max_jobs:
        jobs = worker.claim()
        if not jobs:
            break
        for job in jobs:
            worker.execute(job)
        total += len(jobs)
    return total
