"""Jobs used by bench/bench_jobs.py; its workers load them with SWITCHBOARD_PLUGINS=bench.noop_jobs
(run from the repository root, so `bench` is importable; the package ships no benchmark code)."""

from __future__ import annotations

from switchboard.core.jobs import job


@job()
def noop() -> None:
    """Do nothing: the benchmark measures the job machinery, not the work."""
