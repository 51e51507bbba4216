"""`manage.py crm_import accounts.csv [contacts.csv] [--dry-run]`: a Salesforce report or Data
Loader export, with the sync's mapping, dry run and checks (docs/crm.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from switchboard.core.errors import SwitchboardError
from switchboard.crm.fileimport import import_files
from switchboard.crm.report import plan_lines


class Command(BaseCommand):
    help = "Import CRM accounts (and contacts) from CSV exports into organizations and users."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("accounts", type=Path, help="Accounts CSV (report or Data Loader).")
        parser.add_argument("contacts", type=Path, nargs="?", help="Contacts CSV (optional).")
        parser.add_argument("--dry-run", action="store_true", help="Show the diff; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        for path in (options["accounts"], options["contacts"]):
            if path is not None and not path.is_file():
                raise CommandError(f"{path}: no such file.")
        try:
            result = import_files(
                options["accounts"], options["contacts"], dry_run=options["dry_run"]
            )
        except SwitchboardError as exc:
            raise CommandError(exc.message) from exc
        for line in plan_lines(result.plan):
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {result.rows} rows read, nothing was written.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {result.rows} rows (run {result.run.pk}).")
            )
