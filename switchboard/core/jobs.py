"""The one way apps run work in the background.

`@job(...)` declares a task (Django's Tasks API, database backend) with a retry policy, and
`enqueue(task, ...)` writes it in the caller's transaction: if that transaction rolls back, the job
never existed. The worker (core/worker.py) runs jobs, retries failures with exponential backoff,
and leaves a job that keeps failing in the FAILED ("dead") state, visible in the admin.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task as tasks_task
from django_tasks.base import Task


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base: float  # seconds before the 2nd attempt; doubles each time
    backoff_max: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), with jitter."""
        raw = min(self.backoff_max, self.backoff_base * (2 ** max(0, attempt - 1)))
        return raw * random.uniform(0.8, 1.2)


_POLICIES: dict[str, RetryPolicy] = {}


def default_policy() -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.SWITCHBOARD_JOB_MAX_ATTEMPTS, backoff_base=5.0, backoff_max=3600.0
    )


def policy_for(task_path: str) -> RetryPolicy:
    return _POLICIES.get(task_path) or default_policy()


def job(
    *,
    queue: str = "default",
    priority: int = 0,
    max_attempts: int | None = None,
    backoff_base: float = 5.0,
    backoff_max: float = 3600.0,
) -> Callable[[Callable[..., Any]], Task[Any, Any]]:
    """Declare a background job. The function must be idempotent: it may run more than once."""

    def decorate(func: Callable[..., Any]) -> Task[Any, Any]:
        declared = tasks_task(queue_name=queue, priority=priority)(func)
        _POLICIES[declared.module_path] = RetryPolicy(
            max_attempts=max_attempts or settings.SWITCHBOARD_JOB_MAX_ATTEMPTS,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        return declared

    return decorate


def enqueue(
    task: Task[Any, Any],
    *args: Any,
    run_after: datetime | timedelta | None = None,
    **kwargs: Any,
) -> str:
    """Queue `task(*args, **kwargs)` as part of the current transaction; returns the job id.

    Arguments must be JSON-serialisable (pass ids, not model instances).
    """
    if run_after is not None:
        task = task.using(run_after=run_after)
    # savepoint=False: inside the caller's transaction this is one INSERT, not three statements;
    # a failure still rolls the caller's whole transaction back, which is what we want.
    with transaction.atomic(savepoint=False):
        result = task.enqueue(*args, **kwargs)
    return str(result.id)
