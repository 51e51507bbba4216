"""Migration 0009: the shipped requester rules copy the CCs, unless an admin edited them."""

from __future__ import annotations

import pytest
from django.apps import apps

from switchboard.notify.rules.models import Trigger
from switchboard.notify.rules.shipped import PREVIOUS_TRIGGERS, TRIGGERS, upgrade_unedited

pytestmark = pytest.mark.django_db


def test_unedited_rules_are_upgraded_and_edited_ones_left_alone():
    Trigger.objects.filter(shipped_key__startswith="requester_").delete()
    old_received = PREVIOUS_TRIGGERS["requester_received"]
    Trigger.objects.create(
        shipped_key="requester_received", events=["ticket.created"], position=50, **old_received
    )
    edited = {**PREVIOUS_TRIGGERS["requester_public_reply"], "title": "Our own wording"}
    Trigger.objects.create(
        shipped_key="requester_public_reply", events=["ticket.commented"], position=60, **edited
    )

    upgrade_unedited(apps)

    current = {spec["shipped_key"]: spec for spec in TRIGGERS}
    received = Trigger.objects.get(shipped_key="requester_received")
    assert received.actions == current["requester_received"]["actions"]
    assert received.title == "Requester and CCs: ticket received"
    reply = Trigger.objects.get(shipped_key="requester_public_reply")
    assert reply.title == "Our own wording" and reply.actions == edited["actions"]
    proactive = Trigger.objects.get(shipped_key="requester_proactive")
    assert {a["type"] for a in proactive.actions} == {"email_requester", "email_ccs"}


def test_a_customer_request_is_confirmed_and_an_agents_ticket_is_not():
    """ "Received" is for requests a customer opened; an agent's public first comment is sent
    as the proactive email instead (never both)."""
    from switchboard.accounts.tests.factories import AgentFactory, UserFactory
    from switchboard.notify.outbox.models import Delivery
    from switchboard.tickets.actions.create import create_ticket

    customer = UserFactory(email="cara@acme.test", name="Cara")
    mine = create_ticket(actor=customer, requester=customer, subject="Help", description="Hi")
    theirs = create_ticket(
        actor=AgentFactory(), requester=customer, subject="FYI", description="Heads up"
    )
    received = Delivery.objects.get(ticket=mine, recipient=customer.email)
    assert "We received your request" in received.payload["text"]
    (proactive,) = Delivery.objects.filter(ticket=theirs, recipient=customer.email)
    assert "Heads up" in proactive.payload["text"]
    assert "We received your request" not in proactive.payload["text"]
