"""Time rules: stored due times swept by the worker, once per ticket per condition instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.core.models import Timer
from switchboard.core.sweeps import run_all_sweeps
from switchboard.notify.models import Delivery
from switchboard.notify.rules import shipped
from switchboard.notify.rules.automations import TIMER_KIND
from switchboard.notify.rules.models import TimeRule, TimeRuleFiring, Trigger
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import solve_ticket, update_ticket
from switchboard.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _shipped_rules():
    """Shipped rules come from the migration; a transactional test elsewhere may have flushed
    them, so make sure they are there (seeding is idempotent)."""
    shipped.seed(environ={})


@pytest.fixture(autouse=True)
def _no_triggers(_shipped_rules):
    # Only the time rules under test send anything.
    Trigger.objects.all().delete()


@pytest.fixture
def customer():
    org = OrganizationFactory(name="Acme", support_level="priority")
    return UserFactory(email="cara@acme.test", name="Cara", organization=org)


@pytest.fixture
def agent():
    return AgentFactory()


def at(moment, func, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return func(*args, **kwargs)


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        run_all_sweeps(moment)


def test_pending_reminder_fires_once_per_pending_period(customer, agent):
    """N hours after a ticket goes pending the requester is reminded once; leaving pending
    cancels it; a new pending period is a new instance."""
    rule = TimeRule.objects.create(
        title="Remind",
        kind="pending_reminder",
        amount=2,
        actions=[{"type": "email_requester", "template": "rules/time_rule_reminder"}],
    )
    t0 = TUESDAY
    ticket = at(t0, create_ticket, actor=customer, subject="Help", description="x")
    at(t0, update_ticket, ticket=ticket, actor=agent, status="pending")
    sweep(t0 + timedelta(hours=1, minutes=59))
    assert not Delivery.objects.exists()
    sweep(t0 + timedelta(hours=2))
    sweep(t0 + timedelta(hours=3))
    mails = list(Delivery.objects.all())
    assert [m.recipient for m in mails] == [customer.email]
    assert mails[0].event == "automation.pending_reminder"
    assert f"/portal/tickets/{ticket.pk}/" in mails[0].payload["text"]
    # The requester answers (→ open), the agent asks again: a new pending period.
    at(t0 + timedelta(hours=4), add_comment, ticket=ticket, author=customer, body="ok")
    at(t0 + timedelta(hours=5), update_ticket, ticket=ticket, actor=agent, status="pending")
    sweep(t0 + timedelta(hours=7))
    assert Delivery.objects.count() == 2
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 2
    # Leaving pending before the due time cancels the reminder.
    at(t0 + timedelta(hours=8), update_ticket, ticket=ticket, actor=agent, status="open")
    at(t0 + timedelta(hours=9), update_ticket, ticket=ticket, actor=agent, status="pending")
    at(t0 + timedelta(hours=10), update_ticket, ticket=ticket, actor=agent, status="open")
    sweep(t0 + timedelta(hours=12))
    assert Delivery.objects.count() == 2


def test_close_solved_rule_with_n_sets_the_close_delay(customer, agent):
    """With N set, solved tickets close after N days: the rule sets the delay of the one close
    timer (no timer of its own), closed by the system once."""
    rule = TimeRule.objects.get(shipped_key="close_solved")
    rule.amount = 2
    rule.save()
    ticket = at(TUESDAY, create_ticket, actor=customer, subject="Help", description="x")
    at(TUESDAY, solve_ticket, ticket=ticket, actor=agent, comment="Fixed")
    builtin = Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk))
    assert builtin.due_at == TUESDAY + timedelta(days=2)
    assert not Timer.objects.filter(kind=TIMER_KIND).exists()
    sweep(TUESDAY + timedelta(days=2) - timedelta(seconds=1))
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    sweep(TUESDAY + timedelta(days=2))
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at == TUESDAY + timedelta(days=2)
    closing = ticket.audits.filter(events__field="status", events__to_value="closed")
    assert closing.count() == 1 and closing.get().actor is None


def test_raising_n_after_the_solve_waits_for_the_new_due_time(customer, agent):
    """The close timer re-checks the delay when it fires: N raised since means later."""
    TimeRule.objects.filter(shipped_key="close_solved").update(amount=2)
    ticket = at(TUESDAY, create_ticket, actor=customer, subject="Help", description="x")
    at(TUESDAY, solve_ticket, ticket=ticket, actor=agent, comment="Fixed")
    TimeRule.objects.filter(shipped_key="close_solved").update(amount=3)
    sweep(TUESDAY + timedelta(days=2))
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    sweep(TUESDAY + timedelta(days=3))
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_close_rule_timers_armed_before_the_merge_of_mechanisms_move_to_the_close_timer(
    customer, agent
):
    """Migration 0010: a due time the close rule armed itself becomes the ticket's close timer."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("switchboard.notify.migrations.0010_close_rule_timers")
    rule = TimeRule.objects.get(shipped_key="close_solved")
    ticket = at(TUESDAY, create_ticket, actor=customer, subject="Help", description="x")
    at(TUESDAY, solve_ticket, ticket=ticket, actor=agent, comment="Fixed")
    Timer.objects.filter(kind="tickets.close_solved").update(due_at=None)
    Timer.objects.create(
        kind=TIMER_KIND, key=f"{rule.pk}:{ticket.pk}", due_at=TUESDAY + timedelta(days=2)
    )
    migration.forward(apps, None)
    assert not Timer.objects.filter(kind=TIMER_KIND).exists()
    moved = Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk))
    assert moved.due_at == TUESDAY + timedelta(days=2)


def test_close_solved_rule_without_n_leaves_the_builtin_timer(customer, agent, settings):
    """N blank (as shipped): SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS and the built-in timer apply."""
    settings.SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS = 1
    ticket = at(TUESDAY, create_ticket, actor=customer, subject="Help", description="x")
    at(TUESDAY, solve_ticket, ticket=ticket, actor=agent, comment="Fixed")
    builtin = Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk))
    assert builtin.due_at == TUESDAY + timedelta(days=1)
    assert not Timer.objects.filter(kind=TIMER_KIND).exists()


def test_switching_the_close_rule_off_hands_tickets_back(customer, agent, settings):
    """A ticket solved under the rule still closes (at the built-in delay) if the rule is
    deactivated before its due time."""
    settings.SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS = 4
    TimeRule.objects.filter(shipped_key="close_solved").update(amount=2)
    ticket = at(TUESDAY, create_ticket, actor=customer, subject="Help", description="x")
    at(TUESDAY, solve_ticket, ticket=ticket, actor=agent, comment="Fixed")
    TimeRule.objects.filter(shipped_key="close_solved").update(is_active=False)
    sweep(TUESDAY + timedelta(days=2))
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    sweep(TUESDAY + timedelta(days=4))
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_sla_breached_rule_fires_once(customer):
    """The SLA-breached time rule fires from the breach, once per clock."""
    rule = TimeRule.objects.create(
        title="Breached",
        kind="sla_breached",
        conditions_all=[{"field": "priority", "operator": "is", "value": "high"}],
        actions=[{"type": "add_tags", "value": ["sla_breached"]}],
    )
    ticket = at(
        TUESDAY,
        create_ticket,
        actor=customer,
        subject="Down",
        description="x",
        priority="high",
    )
    ticket.refresh_from_db()
    due = ticket.sla_due_at
    assert due is not None
    sweep(due - timedelta(seconds=1))
    assert not TimeRuleFiring.objects.exists()
    sweep(due)
    sweep(due + timedelta(hours=1))
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert "sla_breached" in Ticket.objects.get(pk=ticket.pk).tag_names()


def test_sla_minutes_left_rule_fires_at_its_own_mark(customer, agent):
    """'Less than 45 minutes left' fires 45 minutes before the due time (not at a configured
    warning threshold), once, and moves when the due time moves."""
    rule = TimeRule.objects.create(
        title="45 left",
        kind="sla_minutes_left",
        amount=45,
        actions=[{"type": "add_tags", "value": ["sla_45"]}],
    )
    ticket = at(
        TUESDAY,
        create_ticket,
        actor=customer,
        subject="Down",
        description="x",
        priority="normal",
    )
    # Raised to high at 13:00: the due time moves to created + 4 h.
    at(
        TUESDAY + timedelta(hours=1),
        update_ticket,
        ticket=ticket,
        actor=agent,
        priority="high",
    )
    ticket.refresh_from_db()
    due = ticket.sla_due_at
    assert due == TUESDAY + timedelta(hours=4)
    sweep(due - timedelta(minutes=46))
    assert not TimeRuleFiring.objects.exists()
    sweep(due - timedelta(minutes=44))
    sweep(due - timedelta(minutes=10))
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert "sla_45" in Ticket.objects.get(pk=ticket.pk).tag_names()


def test_time_rule_validation():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Set N"):
        TimeRule(
            title="x", kind="pending_reminder", actions=[{"type": "add_tags", "value": "a"}]
        ).full_clean()
    with pytest.raises(ValidationError, match="non-empty list"):
        TimeRule(title="y", kind="sla_breached").full_clean()
    TimeRule(title="z", kind="close_solved", amount=3).full_clean()
    with pytest.raises(ValidationError, match="no conditions or actions"):
        TimeRule(
            title="w", kind="close_solved", actions=[{"type": "add_tags", "value": "a"}]
        ).full_clean()
