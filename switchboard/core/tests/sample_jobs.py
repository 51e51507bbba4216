"""Jobs and timer handlers used by the jobs-layer tests (imported by child workers too)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from switchboard.core.jobs import job
from switchboard.core.models import Timer
from switchboard.core.timers import schedule_timer, timer_handler


def _append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@job(max_attempts=3)
def record(path: str, value: str) -> str:
    """Append `value` to a witness file: each run leaves one line."""
    _append(path, value)
    return value


@job(max_attempts=3, backoff_base=10)
def always_fails(path: str) -> None:
    _append(path, "attempt")
    raise RuntimeError("the receiver is down")


@job(max_attempts=5, backoff_base=1)
def fails_twice_then_succeeds(path: str) -> str:
    attempts = len(Path(path).read_text().splitlines()) if Path(path).exists() else 0
    _append(path, "attempt")
    if attempts < 2:
        raise ConnectionError(f"attempt {attempts + 1} failed")
    return "ok"


@job(max_attempts=3)
def slow_unless_retried(marker: str) -> str:
    """First run marks the file and hangs (to be killed); a retry sees the mark and finishes."""
    if Path(marker).exists():
        _append(marker, "finished")
        return "finished on retry"
    _append(marker, "started")
    time.sleep(120)
    return "finished first time"


@timer_handler("test.append")
def append_timer(timer: Timer, now: object) -> None:
    _append(timer.payload["path"], timer.key)


@timer_handler("test.rearm")
def rearm_timer(timer: Timer, now: datetime) -> None:
    """Appends its key, and re-arms itself a minute later while the payload says `again`."""
    _append(timer.payload["path"], timer.key)
    if timer.payload.get("again"):
        schedule_timer(
            "test.rearm",
            key=timer.key,
            due_at=now + timedelta(minutes=1),
            payload={"path": timer.payload["path"]},
        )


@job(max_attempts=1)
def record_niceness(path: str) -> int:
    """Append the running process's niceness to a witness file."""
    niceness = os.nice(0)
    _append(path, str(niceness))
    return niceness
