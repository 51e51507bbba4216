"""Fixtures for the CSAT tests: a customer organization, an agent, the internal org, and the
"SSAT Reviewing Manager" weekly rotation of three managers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.accounts.tests.factories import (
    AgentFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)
from switchboard.notify.models import Delivery
from switchboard.oncall import actions as oncall_actions
from switchboard.oncall.models import OnCallSchedule
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import solve_ticket, update_ticket

# A Monday 07:00 UTC: the handbook's weekly hand-off.
HANDOFF = datetime(2026, 1, 5, 7, tzinfo=UTC)
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme", support_level="priority", preferred_region="emea")


@pytest.fixture
def customer(org):
    return UserFactory(email="cara@acme.test", name="Cara Customer", organization=org)


@pytest.fixture
def group(db):
    return SupportGroupFactory(name="Self-managed")


@pytest.fixture
def agent(group):
    user = AgentFactory(email="alex@switchboard.test", name="Alex Agent")
    user.support_groups.add(group)
    return user


@pytest.fixture
def managers(db):
    return [
        AgentFactory(email=f"{h}@switchboard.test", name=h.title(), is_support_manager=True)
        for h in ("morgan", "nadia", "oscar")
    ]


@pytest.fixture
def reviewing_schedule(managers):
    """Morgan the week of 2026-01-05, Nadia the next, Oscar the one after, and round again."""
    schedule = OnCallSchedule.objects.create(name="SSAT Reviewing Manager", time_zone="UTC")
    oncall_actions.add_layer(
        schedule=schedule,
        users=[m.pk for m in managers],
        rotation_virtual_start=HANDOFF,
        turn_length=timedelta(days=7),
        restrictions=[],
        name="Weekly rotation",
    )
    return schedule


def new_ticket(requester, **kw):
    kw.setdefault("subject", "Runner stuck")
    kw.setdefault("description", "Pipelines hang at 'pending' since the upgrade.")
    return create_ticket(actor=kw.pop("actor", requester), requester=requester, **kw)


def solved_ticket(requester, agent, group=None, **kw):
    ticket = new_ticket(requester, **kw)
    update_ticket(ticket=ticket, actor=agent, assignee=agent, group=group)
    return solve_ticket(ticket=ticket, actor=agent)


def survey_emails():
    return list(Delivery.objects.filter(event="csat.survey").order_by("pk"))


def links_in(delivery):
    payload = delivery.payload
    return sorted(set(URL.findall(payload["text"]) + URL.findall(payload["html"])))


def survey_token(delivery, score="good"):
    for link in links_in(delivery):
        match = re.search(r"/csat/survey/([^/]+)/\?score=" + score, link)
        if match:
            return match.group(1)
    raise AssertionError("no survey link in the email")
