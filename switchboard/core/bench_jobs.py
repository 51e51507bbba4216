"""Jobs used by bench/bench_jobs.py; workers load them with SWITCHBOARD_PLUGINS=this module."""

from __future__ import annotations

from switchboard.core.jobs import job


@job()
def noop() -> None:
    """Do nothing: the benchmark measures the job machinery, not the work."""
