"""`manage.py seed_demo`: a believable demo company. Safe to run again (each part runs once)."""

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand

from switchboard.core.seeding import seeding

# Each module has `seed() -> bool` (False when its data is already there). Order matters.
DEMO_MODULES = [
    "switchboard.accounts.demo",
    "switchboard.oncall.demo",  # before tickets: urgent priority-support tickets page its services
    "switchboard.tickets.demo",
    "switchboard.sla.demo",
    "switchboard.csat.demo",  # after tickets: a few ratings on the solved ones
    "switchboard.calls.demo",  # after tickets: books calls on demo tickets
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    def handle(self, *args: Any, **opts: Any) -> None:
        for path in DEMO_MODULES:
            with seeding():  # demo history: nobody is notified of it
                created = import_module(path).seed()
            self.stdout.write(f"{path}: {'created' if created else 'already present'}")
