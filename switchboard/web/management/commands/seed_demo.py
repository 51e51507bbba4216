"""`manage.py seed_demo`: a believable demo company. Safe to run again (each part runs once).

It lives in web, the top layer, because it composes every app's demo module (core imports no app
above it; docs/architecture.md)."""

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand

from switchboard.core.seeding import seeding

# Each entry is a module with `seed() -> bool` (False when its data is already there), or
# "module:function" for another such function. Order matters.
DEMO_MODULES = [
    "switchboard.accounts.demo",
    "switchboard.oncall.demo",  # before tickets: urgent priority-support tickets page its services
    "switchboard.tickets.demo",
    "switchboard.sla.demo",
    "switchboard.csat.demo",  # after tickets: a few ratings on the solved ones
    "switchboard.calls.demo",  # after tickets: books calls on demo tickets
    # last: the incidents the demo tickets opened are history, resolved, their pages cancelled
    "switchboard.oncall.demo:settle_incidents",
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    def handle(self, *args: Any, **opts: Any) -> None:
        for path in DEMO_MODULES:
            module, _, function = path.partition(":")
            with seeding():  # demo history: nobody is notified of it
                created = getattr(import_module(module), function or "seed")()
            self.stdout.write(f"{path}: {'created' if created else 'already present'}")
