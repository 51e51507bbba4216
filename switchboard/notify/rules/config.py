"""What the rule engine reads on every event — the active triggers, the active time rules and the
endpoints by name — loaded once per generation of the "rules" namespace (core/generations.py):
one token query per event instead of three queries. Read-only: shared by every event."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.core import generations
from switchboard.notify.outbox.models import Endpoint
from switchboard.notify.rules.models import TimeRule, Trigger


@dataclass(frozen=True)
class RulesConfig:
    triggers: tuple[Trigger, ...]  # active, by position
    time_rules: tuple[TimeRule, ...]  # active, by position
    endpoints: dict[str, Endpoint]  # every endpoint (active or not) by its name (unique)


def _load() -> RulesConfig:
    return RulesConfig(
        triggers=tuple(Trigger.objects.filter(is_active=True).order_by("position", "pk")),
        time_rules=tuple(TimeRule.objects.filter(is_active=True).order_by("position", "pk")),
        endpoints={endpoint.name: endpoint for endpoint in Endpoint.objects.all()},
    )


def current() -> RulesConfig:
    """The rules as this transaction sees them (a cached copy while nothing changed)."""
    return generations.cached("rules", "config", _load)
