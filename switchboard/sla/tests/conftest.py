"""Fixtures for the SLA tests: a controllable clock, organizations per support level, hooks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.sla import hooks


@pytest.fixture
def travel() -> Iterator[object]:
    """travel(datetime) freezes "now" there (no ticking) until the next call or the test end."""
    current: list[time_machine.travel] = []

    def to(when: datetime) -> datetime:
        if current:
            current.pop().stop()
        traveller = time_machine.travel(when, tick=False)
        traveller.start()
        current.append(traveller)
        return when

    yield to
    if current:
        current.pop().stop()


@pytest.fixture
def customer(db):
    """customer(support_level, region="all", **org fields) -> an end-user of a new organization."""

    def make(support_level: str = "standard", region: str = "all", **org_fields):
        org = OrganizationFactory(
            support_level=support_level, preferred_region=region, **org_fields
        )
        return UserFactory(organization=org)

    return make


@pytest.fixture
def support_agent(db):
    return AgentFactory()


@pytest.fixture
def sla_events() -> Iterator[list[tuple[str, int, float]]]:
    """Everything the SLA hooks announce, as (kind, clock id, minutes_left)."""
    heard: list[tuple[str, int, float]] = []

    def listener(kind, clock, minutes_left):
        heard.append((kind, clock.pk, minutes_left))

    hooks.on_sla_event(listener)
    yield heard
    hooks.remove_listener(listener)
