"""Ticket.sla_due_at always equals the earliest due time of the ticket's running clocks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.core.errors import ValidationFailed
from switchboard.core.sweeps import run_all_sweeps
from switchboard.sla.models import TicketClock
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 6, 15, 0, tzinfo=UTC)


def check_invariants(tickets: list[Ticket]) -> None:
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        clocks = list(TicketClock.objects.filter(ticket=ticket))
        running = [c.due_at for c in clocks if c.state == "running"]
        assert ticket.sla_due_at == (min(running) if running else None), ticket.pk
        active = [c.metric for c in clocks if c.stopped_at is None]
        assert len(active) == len(set(active))
        for c in clocks:
            assert (c.state == "paused") == (c.due_at is None and c.stopped_at is None)
            if c.state in ("fulfilled", "cancelled"):
                assert c.stopped_at is not None
        if ticket.status in ("solved", "closed"):
            assert not [c for c in clocks if c.stopped_at is None and c.state != "breached"]


@pytest.mark.parametrize("seed", range(8))
def test_due_column_matches_running_clocks_after_random_actions(
    seed, travel, customer, support_agent
):
    rng = random.Random(seed)
    now = travel(START)
    requesters = [customer("priority", "amer"), customer("standard", "emea"), customer("priority")]
    tickets: list[Ticket] = []
    for _ in range(60):
        now += timedelta(minutes=rng.choice([1, 7, 45, 180, 600, 1500]))
        travel(now)
        choice = rng.random()
        try:
            if choice < 0.15 or not tickets:
                requester = rng.choice(requesters)
                tickets.append(
                    create_ticket(
                        actor=rng.choice([SYSTEM, SYSTEM, support_agent]),
                        requester=requester,
                        subject="Help",
                        description="Broken",
                        priority=rng.choice(["low", "normal", "high", "urgent"]),
                    )
                )
            else:
                ticket = rng.choice(tickets)
                if choice < 0.35:
                    add_comment(
                        ticket=ticket, author=ticket.requester, body="Any news?", public=True
                    )
                elif choice < 0.55:
                    add_comment(
                        ticket=ticket,
                        author=support_agent,
                        body="Update",
                        public=rng.random() < 0.8,
                    )
                elif choice < 0.75:
                    update_ticket(
                        ticket=ticket,
                        actor=support_agent,
                        status=rng.choice(["open", "pending", "hold", "solved"]),
                    )
                elif choice < 0.9:
                    update_ticket(
                        ticket=ticket,
                        actor=support_agent,
                        priority=rng.choice(["low", "normal", "high", "urgent"]),
                    )
                else:
                    run_all_sweeps(now)
        except ValidationFailed:
            pass  # e.g. a change to a ticket that auto-closed
        check_invariants(tickets)
