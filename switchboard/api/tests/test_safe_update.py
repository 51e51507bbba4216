"""Zendesk's collision protection: PUT /api/v2/tickets/{id} with safe_update and updated_stamp
answers 409 when the ticket changed since that stamp, and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import TicketAudit


def _ticket(customer):
    return create_ticket(actor=customer, subject="Printer on fire", description="Help")


def test_safe_update_with_a_stale_stamp_is_a_409(agent_api, agent_user, customer):
    """Another change after the stamp: 409 in Zendesk's shape, nothing written."""
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        ticket = _ticket(customer)
    stamp = agent_api.get(f"tickets/{ticket.pk}").json()["ticket"]["updated_at"]
    update_ticket(ticket=ticket, actor=agent_user, priority="high")
    audits = TicketAudit.objects.filter(ticket=ticket).count()

    response = agent_api.put(
        f"tickets/{ticket.pk}",
        {
            "ticket": {
                "status": "pending",
                "comment": {"body": "Stale reply", "public": True},
                "safe_update": True,
                "updated_stamp": stamp,
            }
        },
    )

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "UpdateConflict"
    assert "Safe Update prevented the update" in body["description"]
    ticket.refresh_from_db()
    assert ticket.status != "pending" and ticket.priority == "high"
    assert TicketAudit.objects.filter(ticket=ticket).count() == audits


def test_safe_update_with_a_fresh_stamp_and_plain_updates_succeed(agent_api, customer):
    """The current stamp passes; without safe_update a stale client updates as before."""
    ticket = _ticket(customer)
    stamp = agent_api.get(f"tickets/{ticket.pk}").json()["ticket"]["updated_at"]
    response = agent_api.put(
        f"tickets/{ticket.pk}",
        {"ticket": {"priority": "high", "safe_update": True, "updated_stamp": stamp}},
    )
    assert response.status_code == 200, response.content
    response = agent_api.put(
        f"tickets/{ticket.pk}", {"ticket": {"priority": "low", "updated_stamp": stamp}}
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_safe_update_needs_a_readable_stamp(agent_api, customer):
    """safe_update without a stamp, or with one that is not an ISO time with a zone: 422."""
    ticket = _ticket(customer)
    for extra in ({}, {"updated_stamp": "yesterday"}, {"updated_stamp": "2024-01-01T00:00:00"}):
        response = agent_api.put(
            f"tickets/{ticket.pk}",
            {"ticket": {"priority": "high", "safe_update": True, **extra}},
        )
        assert response.status_code == 422, extra
        assert "updated_stamp" in response.json()["details"]
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
