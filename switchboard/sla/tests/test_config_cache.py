"""SLA policies and schedules are cached per process (core/generations.py): every way of
writing them must start a new generation, so the next ticket sees the edit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.access import SYSTEM
from switchboard.core import generations
from switchboard.core.models import ConfigGeneration, Timer
from switchboard.sla import clocks
from switchboard.sla.business_time import is_open
from switchboard.sla.models import Holiday, Metric, Policy, PolicyTarget, Schedule, TicketClock
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_policy(db) -> Policy:
    policy = Policy.objects.create(
        title="Acme",
        position=-1,
        conditions={"all": [{"field": "organization.name", "operator": "is", "value": "Acme"}]},
    )
    PolicyTarget.objects.create(
        policy=policy, metric="first_reply", priority="normal", minutes=60, business_hours=False
    )
    return policy


@pytest.fixture
def acme_customer(customer):
    return customer("standard", name="Acme")


def first_reply_minutes(requester) -> int | None:
    ticket = create_ticket(actor=SYSTEM, requester=requester, subject="s", description="d")
    found = TicketClock.objects.filter(ticket=ticket, metric=Metric.FIRST_REPLY).first()
    return found.target_minutes if found else None


def test_policies_load_once_per_generation(acme_policy):
    clocks.active_policies()
    with CaptureQueriesContext(connection) as reads:
        policies = clocks.active_policies()
    assert policies[0].title == "Acme"
    assert len(reads) == 1  # the generation token, not the policies and their targets


@pytest.mark.parametrize(
    "edit",
    [
        "save",
        "queryset_update",
        "related_create",
        "bulk_create",
        "delete_target",
        "queryset_delete",
    ],
)
def test_every_write_path_reaches_the_next_ticket(acme_policy, acme_customer, edit):
    assert first_reply_minutes(acme_customer) == 60  # cached now
    target = acme_policy.targets.get()
    if edit == "save":
        target.minutes = 15
        target.save()
    elif edit == "queryset_update":
        PolicyTarget.objects.filter(pk=target.pk).update(minutes=15)
    elif edit == "related_create":
        target.delete()
        acme_policy.targets.create(metric="first_reply", priority="normal", minutes=15)
    elif edit == "bulk_create":
        PolicyTarget.objects.filter(pk=target.pk).delete()
        PolicyTarget.objects.bulk_create(
            [PolicyTarget(policy=acme_policy, metric="first_reply", priority="normal", minutes=15)]
        )
    elif edit == "delete_target":
        target.delete()
    elif edit == "queryset_delete":
        Policy.objects.filter(pk=acme_policy.pk).delete()
    expected = None if edit == "delete_target" else 15
    if edit == "queryset_delete":
        expected = first_reply_minutes_without_cache(acme_customer)
    assert first_reply_minutes(acme_customer) == expected


def first_reply_minutes_without_cache(requester) -> int | None:
    generations.clear()
    return first_reply_minutes(requester)


def test_a_rolled_back_edit_leaves_no_stale_cache(acme_policy, acme_customer):
    assert first_reply_minutes(acme_customer) == 60
    with pytest.raises(RuntimeError), transaction.atomic():
        PolicyTarget.objects.filter(policy=acme_policy).update(minutes=5)
        assert first_reply_minutes(acme_customer) == 5  # the writer sees its own edit
        raise RuntimeError("rolled back")
    assert first_reply_minutes(acme_customer) == 60
    # A later edit never reuses the rolled-back token (tokens are random, not counters).
    PolicyTarget.objects.filter(policy=acme_policy).update(minutes=45)
    assert first_reply_minutes(acme_customer) == 45


def test_another_process_edit_is_seen(acme_policy, acme_customer):
    """Another process's commit changes the token row; this process reloads."""
    assert first_reply_minutes(acme_customer) == 60
    with connection.cursor() as cursor:  # what another process's edit leaves behind
        cursor.execute("UPDATE sla_policytarget SET minutes = 20")
        cursor.execute("UPDATE core_configgeneration SET token = 'elsewhere' WHERE name = 'sla'")
    assert ConfigGeneration.objects.get(name="sla").token == "elsewhere"
    assert first_reply_minutes(acme_customer) == 20


def test_schedule_hours_and_holidays_are_refreshed(travel):
    schedule = Schedule.objects.create(name="Berlin", time_zone="Europe/Berlin")
    schedule.intervals.create(weekday=0, start_minute=540, end_minute=1020)
    first = clocks.business_schedule(schedule.pk)
    assert clocks.business_schedule(schedule.pk) is first
    Holiday.objects.create(schedule=schedule, date=date(2026, 12, 28), name="Closed")
    second = clocks.business_schedule(schedule.pk)
    assert second is not first
    monday = datetime(2026, 12, 28, 10, tzinfo=UTC)
    assert is_open(first, monday) and not is_open(second, monday)


def test_watch_refuses_a_model_whose_bulk_writes_would_not_bump():
    with pytest.raises(TypeError, match="watched_manager"):
        generations.watch("sla", Timer)
