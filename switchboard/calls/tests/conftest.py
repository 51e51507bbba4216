"""Fixtures for calls: an agent with working hours, a priority-support ticket, the event types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.calls.models import EventType
from switchboard.tickets.actions.create import create_ticket

WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sun")}
# Monday 2 Nov 2026, 00:00 UTC: the day after US DST ends (Sunday 1 Nov).
NOW = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def host(db):
    return AgentFactory(
        name="Ada Agent",
        email="ada@switchboard.test",
        time_zone="America/New_York",
        working_hours=WEEKDAYS_9_TO_5,
    )


@pytest.fixture
def requester(db):
    org = OrganizationFactory(name="Initech", support_level="priority")
    return UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)


@pytest.fixture
def ticket(requester):
    return create_ticket(
        actor=requester,
        requester=requester,
        subject="Upgrade to 17.5",
        description="We want to upgrade from 16.11 to 17.5 with your help.",
    )


def ensure_event_types() -> None:
    """The seeded event types (a transactional test's flush removes migration data)."""
    import importlib

    from django.apps import apps

    importlib.import_module(
        "switchboard.calls.migrations.0002_no_overlap_constraint_and_event_types"
    ).create_event_types(apps, None)


@pytest.fixture
def support_call(db):
    ensure_event_types()
    return EventType.objects.get(slug="support-call")


@pytest.fixture
def discovery(db):
    ensure_event_types()
    return EventType.objects.get(slug="support-discovery-call")


@pytest.fixture
def upgrade(db):
    ensure_event_types()
    return EventType.objects.get(slug="upgrade-assistance")


UPGRADE_ANSWERS = {
    "installation_type": "Omnibus (Linux package)",
    "current_version": "16.11.2",
    "target_version": "17.5.1",
    "uses_ci": True,
    "backup_finished": True,
}
