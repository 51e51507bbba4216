"""Hawk queries, index use on PostgreSQL, demo seeding and policy conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from switchboard.accounts.access import SYSTEM
from switchboard.core.sweeps import registered_sweeps
from switchboard.sla import demo
from switchboard.sla.conditions import ConditionError, matches, validate_conditions
from switchboard.sla.models import Metric, Policy, Schedule, TicketClock
from switchboard.sla.queries import breached, breaching_within, clocks_for, time_left
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket

NOW = datetime(2025, 3, 10, 16, 0, tzinfo=UTC)  # Mon 09:00 PDT


def open_ticket(requester, priority="normal") -> Ticket:
    return create_ticket(
        actor=SYSTEM, requester=requester, subject="Down", description="Help", priority=priority
    )


@pytest.mark.django_db
def test_breaching_within_and_breached(travel, customer, support_agent):
    travel(NOW)
    urgent = open_ticket(customer("priority"), priority="urgent")  # due 16:30
    normal = open_ticket(customer("priority"), priority="normal")  # due 00:00 next day
    solved = open_ticket(customer("priority"), priority="urgent")
    update_ticket(ticket=solved, actor=support_agent, status="solved")

    assert list(breaching_within(120, NOW)) == [urgent]
    assert set(breaching_within(8 * 60 + 1, NOW)) == {urgent, normal}

    from switchboard.core.sweeps import run_all_sweeps

    run_all_sweeps(NOW + timedelta(minutes=31))
    assert list(breached()) == [urgent]
    assert list(breaching_within(120, NOW + timedelta(minutes=31))) == []

    first = clocks_for(urgent).get(metric=Metric.FIRST_REPLY)
    assert time_left(first, NOW + timedelta(minutes=40)) == timedelta(minutes=-10)
    work = clocks_for(normal).get(metric=Metric.AGENT_WORK)
    assert time_left(work, NOW) == timedelta(hours=80)  # Priority normal: 80 business hours


@pytest.mark.django_db
def test_time_left_of_a_paused_clock_is_remaining_business_time(travel, customer, support_agent):
    travel(NOW)
    ticket = open_ticket(customer("priority", "amer"), priority="high")
    travel(NOW + timedelta(hours=3))
    update_ticket(ticket=ticket, actor=support_agent, status="hold")
    work = TicketClock.objects.get(ticket=ticket, metric=Metric.AGENT_WORK)
    assert work.state == "paused"
    assert time_left(work, NOW + timedelta(days=3)) == timedelta(hours=37)


@pytest.mark.postgres
@pytest.mark.django_db
def test_hawk_count_and_breach_sweep_use_their_indexes(travel, customer):
    travel(NOW)
    requester = customer("priority")
    for priority in ("urgent", "high", "normal", "low") * 3:
        open_ticket(requester, priority=priority)

    with connection.cursor() as cursor:
        # Tiny tables are cheaper to scan; forbid that so the plan shows the usable index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = breaching_within(120, NOW).order_by().values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) hawk", params)
        hawk_plan = "\n".join(row[0] for row in cursor.fetchall())

        sweep = next(s for s in registered_sweeps() if s.name == "sla.breach")
        due = sweep.due_rows(NOW + timedelta(hours=1)).select_for_update(skip_locked=True)
        sweep_plan = due[: sweep.batch_size].explain()

    assert "ticket_sla_due_idx" in hawk_plan, hawk_plan
    assert "sla_clock_due_idx" in sweep_plan, sweep_plan
    assert "SKIP LOCKED" in str(due.query) or "LockRows" in sweep_plan


@pytest.mark.django_db
def test_defaults_are_shipped_and_demo_seed_is_idempotent(travel, customer):
    assert set(Schedule.objects.values_list("name", "region")) == {
        ("All regions", "all"),
        ("AMER", "amer"),
        ("EMEA", "emea"),
        ("APAC", "apac"),
    }
    assert list(Policy.objects.values_list("title", flat=True)) == [
        "Priority support",
        "Standard support",
    ]
    travel(NOW)
    ticket = open_ticket(customer("standard"))
    TicketClock.objects.filter(ticket=ticket).delete()  # as if created before the SLA app
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=None)

    assert demo.seed() is True
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == datetime(2025, 3, 11, 16, tzinfo=UTC)
    assert demo.seed() is False
    assert TicketClock.objects.filter(ticket=ticket).count() == 1


def test_conditions_all_and_any():
    facts = {"organization.support_level": "priority", "priority": "high", "tags": ["vip", "x"]}
    assert matches({}, facts)
    assert matches({"all": [{"field": "priority", "operator": "in", "value": ["high"]}]}, facts)
    assert not matches(
        {
            "all": [{"field": "organization.support_level", "operator": "is", "value": "priority"}],
            "any": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "tags", "operator": "not_includes", "value": "vip"},
            ],
        },
        facts,
    )
    assert matches({"any": [{"field": "tags", "operator": "includes", "value": ["vip"]}]}, facts)
    with pytest.raises(ConditionError):
        validate_conditions({"all": [{"field": "nope", "operator": "is", "value": 1}]})
