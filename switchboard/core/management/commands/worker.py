"""`manage.py worker`: run background jobs and deadline sweeps (see switchboard/core/worker.py)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from switchboard.core import prepared
from switchboard.core.worker import Worker, lower_priority


class Command(BaseCommand):
    help = "Run the background worker: jobs, retries, and the due-time sweeper."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queue names, * = all")
        parser.add_argument("--processes", type=int, default=1, help="worker processes to run")
        parser.add_argument("--interval", type=float, default=0.5, help="idle poll seconds")
        parser.add_argument("--sweep-interval", type=float, default=None)
        parser.add_argument("--batch-size", type=int, default=10, help="jobs claimed at once")
        parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--max-jobs", type=int, default=None)
        parser.add_argument("--no-sweep", action="store_true", help="run jobs only")
        parser.add_argument("--worker-id", default=None)
        parser.add_argument(
            "--nice",
            type=int,
            default=None,
            help="added to the process's niceness (default SWITCHBOARD_WORKER_NICE)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["processes"] > 1:
            self._supervise(opts)
            return
        lower_priority(settings.SWITCHBOARD_WORKER_NICE if opts["nice"] is None else opts["nice"])
        prepared.for_this_process()
        worker = Worker(
            queues=[q for q in opts["queues"].split(",") if q],
            interval=opts["interval"],
            sweep_interval=opts["sweep_interval"],
            batch_size=opts["batch_size"],
            burst=opts["burst"],
            max_jobs=opts["max_jobs"],
            sweep=not opts["no_sweep"],
            worker_id=opts["worker_id"],
        )
        worker.install_signal_handlers()
        with contextlib.suppress(KeyboardInterrupt):
            worker.run()

    def _supervise(self, opts: dict[str, Any]) -> None:
        """Run N single-process workers and restart any that dies, until told to stop."""
        argv = [sys.argv[0], "worker", "--processes", "1", "--queues", opts["queues"]]
        argv += ["--interval", str(opts["interval"]), "--batch-size", str(opts["batch_size"])]
        if opts["nice"] is not None:
            argv += ["--nice", str(opts["nice"])]
        if opts["sweep_interval"]:
            argv += ["--sweep-interval", str(opts["sweep_interval"])]
        for flag in ("burst", "no_sweep"):
            if opts[flag]:
                argv.append("--" + flag.replace("_", "-"))
        children = [subprocess.Popen([sys.executable, *argv]) for _ in range(opts["processes"])]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while True:
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping and not opts["burst"]:
                    self.stderr.write(f"worker process {child.pid} exited; restarting")
                    children[i] = subprocess.Popen([sys.executable, *argv])
            if all(child.poll() is not None for child in children):
                break
            time.sleep(0.5)
