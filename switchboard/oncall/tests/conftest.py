"""Fixtures for the on-call tests: people, always-on schedules and the Customer Emergency setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.oncall import actions
from switchboard.oncall.models import EscalationLevel, EscalationPolicy, OnCallSchedule, Service

EPOCH = datetime(2026, 1, 5, 7, tzinfo=UTC)  # a Monday, 07:00 UTC


def make_schedule(name: str, users, *, tz: str = "UTC", turn=timedelta(days=7), **layer):
    schedule = OnCallSchedule.objects.create(name=name, time_zone=tz)
    if users:
        actions.add_layer(
            schedule=schedule,
            users=[u.pk for u in users],
            rotation_virtual_start=layer.pop("rotation_virtual_start", EPOCH),
            turn_length=turn,
            **layer,
        )
    return schedule


@pytest.fixture
def person(db):
    def make(handle: str):
        return AgentFactory(email=f"{handle}@switchboard.test", name=handle.title())

    return make


@pytest.fixture
def emergency(person):
    """The Customer Emergency policy with one always-on person per schedule.

    Level 0 (10 min): the AMER/APAC/EMEA emergency schedules; level 1 (5 min): the three
    support-manager schedules; level 2 (15 min): the EMEA escalation schedule and two named
    managers. Five repeats.
    """
    names = {}
    for handle in [
        "amer",
        "apac",
        "emea",
        "mgr-amer",
        "mgr-apac",
        "mgr-emea",
        "esc",
        "nadia",
        "morgan",
    ]:
        names[handle] = person(handle)
    sched = {h: make_schedule(f"S {h}", [names[h]]) for h in list(names)[:7]}
    policy = EscalationPolicy.objects.create(name="Customer Emergency", num_loops=5)
    levels = [
        (10, ["amer", "apac", "emea"], []),
        (5, ["mgr-amer", "mgr-apac", "mgr-emea"], []),
        (15, ["esc"], ["nadia", "morgan"]),
    ]
    for position, (delay, schedules, users) in enumerate(levels):
        level = EscalationLevel.objects.create(
            policy=policy, position=position, delay_minutes=delay
        )
        level.schedules.set([sched[s] for s in schedules])
        level.users.set([names[u] for u in users])
    service = Service.objects.create(name="Customer Emergency", escalation_policy=policy)
    return service, names
