"""`manage.py crm_sync [--full] [--dry-run]`: one Salesforce sync now (docs/crm.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from switchboard.crm.checks import run_checks
from switchboard.crm.connector import CrmError
from switchboard.crm.report import plan_lines
from switchboard.crm.runner import SyncBusy, run_sync


class Command(BaseCommand):
    help = "Sync Salesforce accounts and contacts into organizations and users."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Every account and contact (Bulk API 2.0)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show the diff; write nothing.")

    def handle(self, *args: Any, full: bool = False, dry_run: bool = False, **options: Any) -> None:
        try:
            result = run_sync(full=full, dry_run=dry_run, trigger="crm_sync command")
        except (CrmError, SyncBusy) as exc:
            raise CommandError(str(exc)) from exc
        for line in plan_lines(result.plan):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            kind = "Full" if result.full else "Incremental"
            self.stdout.write(self.style.SUCCESS(f"{kind} sync done (run {result.run.pk})."))
            # The worker runs the checks after every sync too; here they run now, for the reader.
            integrity = run_checks(trigger="after crm_sync")
            self.stdout.write(
                f"Integrity findings: {sum(integrity.counts.values())} (/crm/integrity/)."
            )
