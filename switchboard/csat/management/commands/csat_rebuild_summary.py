"""Rebuild the CSAT report's weekly summary from the ratings (after loading ratings by other
means than the csat actions, or to check it: the result is the same when nothing drifted)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from switchboard.csat.summary import recompute


class Command(BaseCommand):
    help = "Rebuild the CSAT report's weekly summary (csat_weeklysummary) from the ratings."

    def handle(self, *args, **options) -> None:
        began = time.perf_counter()
        n = recompute()
        self.stdout.write(f"{n} summary rows in {time.perf_counter() - began:.1f} s")
