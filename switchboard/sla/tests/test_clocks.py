"""SLA clocks driven through the real ticket actions: DOMAIN.md §3 worked examples and rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import UserFactory
from switchboard.core.sweeps import run_all_sweeps
from switchboard.sla.models import (
    ClockEvent,
    Holiday,
    Metric,
    Policy,
    PolicyTarget,
    Schedule,
    ScheduleInterval,
    TicketClock,
)
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def open_ticket(requester, *, priority="normal", region=None, actor=SYSTEM, **kw) -> Ticket:
    return create_ticket(
        actor=actor,
        requester=requester,
        subject="It is broken",
        description="Since this morning.",
        priority=priority,
        preferred_region=region,
        **kw,
    )


def clock(ticket: Ticket, metric: str) -> TicketClock:
    return TicketClock.objects.filter(ticket=ticket, metric=metric).latest("pk")


def kinds(c: TicketClock) -> list[str]:
    return list(ClockEvent.objects.filter(clock=c).order_by("pk").values_list("kind", flat=True))


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def new_york(db) -> Policy:
    """A policy for the organization "NY Corp" on a New York Mon-Fri 09:00-17:00 schedule."""
    schedule = Schedule.objects.create(name="New York office", time_zone="America/New_York")
    ScheduleInterval.objects.bulk_create(
        [
            ScheduleInterval(schedule=schedule, weekday=d, start_minute=540, end_minute=1020)
            for d in range(5)
        ]
    )
    return Policy.objects.create(
        title="New York",
        position=0,
        schedule=schedule,
        conditions={"all": [{"field": "organization.name", "operator": "is", "value": "NY Corp"}]},
    )


def target(policy: Policy, metric: str, priority: str, minutes: int, business: bool = True):
    PolicyTarget.objects.create(
        policy=policy, metric=metric, priority=priority, minutes=minutes, business_hours=business
    )


# --- DOMAIN.md §3 worked examples --------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "level", "priority", "region", "due"),
    [
        ("E1", "standard", "normal", "all", "2025-03-10T19:30:00+00:00"),
        ("E3", "standard", "normal", "amer", "2025-03-11T21:30:00+00:00"),
        ("E3b", "priority", "high", "amer", "2025-03-10T13:30:00+00:00"),
        ("E3c", "priority", "normal", "emea", "2025-03-10T15:00:00+00:00"),
        ("E4", "priority", "urgent", "all", "2025-03-07T23:00:00+00:00"),
    ],
)
def test_first_reply_due_for_worked_examples(travel, customer, case, level, priority, region, due):
    """A ticket created Fri 2025-03-07 22:30Z gets the first-reply due time of DOMAIN.md §3."""
    # given
    requester = customer(level, region)
    travel(utc("2025-03-07T22:30:00+00:00"))
    # when
    ticket = open_ticket(requester, priority=priority)
    # then
    first = clock(ticket, Metric.FIRST_REPLY)
    assert first.state == "running"
    assert first.due_at == utc(due)
    assert first.original_started_at == utc("2025-03-07T22:30:00+00:00")
    assert fresh(ticket).sla_due_at == utc(due)
    assert kinds(first) == ["activate"]


def test_emergency_target_is_calendar_time(travel, customer):
    """E4: the urgent 30 min target runs 24x7, with no schedule on the clock."""
    travel(utc("2025-03-07T22:30:00+00:00"))
    ticket = open_ticket(customer("priority"), priority="urgent")
    first = clock(ticket, Metric.FIRST_REPLY)
    assert (first.target_minutes, first.business_hours, first.schedule_id) == (30, False, None)


def test_e5_emea_holidays_are_closed(travel, customer):
    """E5: EMEA with Dec 25 and 26 as holidays, created Wed 2025-12-24 17:00 CET, 8 h."""
    emea = Schedule.objects.get(region="emea")
    Holiday.objects.create(schedule=emea, date=date(2025, 12, 25), name="Christmas Day")
    Holiday.objects.create(schedule=emea, date=date(2025, 12, 26), name="Boxing Day")
    travel(utc("2025-12-24T17:00:00+01:00"))
    ticket = open_ticket(customer("priority", "emea"), priority="normal")
    assert clock(ticket, Metric.FIRST_REPLY).due_at == utc("2025-12-29T15:00:00+01:00")


def test_e6_agent_work_time_pauses_while_pending(travel, customer, support_agent, new_york):
    """E6: 8 h agent work, created Fri 14:00, pending Fri 16:00 → Mon 10:00: due Mon 16:00 EST."""
    target(new_york, Metric.AGENT_WORK, "normal", 480)
    requester = customer("standard", name="NY Corp")
    travel(utc("2025-10-31T14:00:00-04:00"))
    ticket = open_ticket(requester)
    work = clock(ticket, Metric.AGENT_WORK)
    assert work.due_at == utc("2025-11-03T14:00:00-05:00")  # 3 h Friday + 5 h Monday

    travel(utc("2025-10-31T16:00:00-04:00"))
    update_ticket(ticket=ticket, actor=support_agent, status="pending")
    work.refresh_from_db()
    assert (work.state, work.due_at, work.consumed) == ("paused", None, timedelta(hours=2))
    assert fresh(ticket).sla_due_at is None

    travel(utc("2025-11-03T10:00:00-05:00"))
    add_comment(ticket=ticket, author=requester, body="Any news?", public=True)
    work.refresh_from_db()
    assert fresh(ticket).status == "open"
    assert work.state == "running"
    assert work.due_at == utc("2025-11-03T16:00:00-05:00")
    assert fresh(ticket).sla_due_at == utc("2025-11-03T16:00:00-05:00")
    assert kinds(work) == ["activate", "pause", "resume"]


def test_e7_priority_raised_past_the_new_target_breaches_at_once(
    travel, customer, support_agent, new_york, sla_events
):
    """E7: normal 8 h (due 17:00) raised at 14:00 to a 4 h target: due 13:00, breached at 14:00."""
    target(new_york, Metric.FIRST_REPLY, "normal", 480)
    target(new_york, Metric.FIRST_REPLY, "high", 240)
    travel(utc("2025-06-03T09:00:00-04:00"))
    ticket = open_ticket(customer("standard", name="NY Corp"))
    first = clock(ticket, Metric.FIRST_REPLY)
    assert first.due_at == utc("2025-06-03T17:00:00-04:00")

    travel(utc("2025-06-03T14:00:00-04:00"))
    update_ticket(ticket=ticket, actor=support_agent, priority="high")

    first.refresh_from_db()
    assert first.state == "breached"
    assert first.due_at == utc("2025-06-03T13:00:00-04:00")
    assert first.breached_at == utc("2025-06-03T14:00:00-04:00")
    assert (first.priority, first.target_minutes) == ("high", 240)
    assert kinds(first) == ["activate", "recompute", "breach"]
    assert sla_events == [("breach", first.pk, -60.0)]
    assert fresh(ticket).sla_due_at is None


def test_priority_lowered_recomputes_from_the_original_start(travel, customer, support_agent):
    """Normal → low on Priority support, AMER: 24 business hours from the original start."""
    travel(utc("2025-03-10T16:00:00+00:00"))  # Mon 09:00 PDT
    ticket = open_ticket(customer("priority", "amer"), priority="normal")
    assert clock(ticket, Metric.FIRST_REPLY).due_at == utc("2025-03-10T17:00:00-07:00")
    travel(utc("2025-03-10T18:00:00+00:00"))
    update_ticket(ticket=ticket, actor=support_agent, priority="low")
    first = clock(ticket, Metric.FIRST_REPLY)
    # Mon 09-17 (8 h) + Tue 05-17 (12 h) + Wed 05:00 + 4 h
    assert first.due_at == utc("2025-03-12T09:00:00-07:00")
    assert first.state == "running"


@pytest.mark.parametrize(
    ("region", "due"),
    [("all", "2025-06-08T22:50:00-07:00"), ("amer", "2025-06-09T12:50:00-07:00")],
)
def test_e8_next_reply_all_regions_and_amer(travel, customer, support_agent, region, due):
    """E8: customer reply Fri 2025-06-06 16:50 PDT, next reply 8 h: Sun 22:50 / Mon 12:50 PDT."""
    requester = customer("priority", region)
    travel(utc("2025-06-06T10:00:00-07:00"))
    ticket = open_ticket(requester, priority="high")
    travel(utc("2025-06-06T11:00:00-07:00"))
    add_comment(ticket=ticket, author=support_agent, body="Looking.", public=True)
    travel(utc("2025-06-06T16:50:00-07:00"))
    add_comment(ticket=ticket, author=requester, body="Still broken.", public=True)

    reply = clock(ticket, Metric.NEXT_REPLY)
    assert reply.original_started_at == utc("2025-06-06T16:50:00-07:00")
    assert reply.due_at == utc(due)
    assert clock(ticket, Metric.FIRST_REPLY).state == "fulfilled"


# --- policies and entitlement ------------------------------------------------------------------


def test_first_matching_policy_by_position_applies(travel, customer):
    """Two policies match: the lower position wins; deactivated, the next one applies."""
    special = Policy.objects.create(
        title="Acme special",
        position=5,
        conditions={"all": [{"field": "organization.name", "operator": "is", "value": "Acme"}]},
    )
    target(special, Metric.FIRST_REPLY, "normal", 60, business=False)
    requester = customer("standard", name="Acme")
    travel(utc("2025-03-10T16:00:00+00:00"))

    ticket = open_ticket(requester)
    first = clock(ticket, Metric.FIRST_REPLY)
    assert (first.policy, first.due_at) == (special, utc("2025-03-10T17:00:00+00:00"))

    special.position = 30
    special.save()
    other = open_ticket(requester)
    assert clock(other, Metric.FIRST_REPLY).policy.title == "Standard support"


def test_no_sla_without_entitlement(travel, customer, org_factory):
    """No organization, support level none, an unverified requester or the internal org:
    no clocks and no due time."""
    travel(utc("2025-03-10T16:00:00+00:00"))
    no_org = open_ticket(UserFactory(organization=None))
    level_none = open_ticket(customer("none"))
    unverified = open_ticket(customer("priority"), tags=["entitlement_unverified"])
    internal = open_ticket(customer("priority", is_internal=True))
    for ticket in (no_org, level_none, unverified, internal):
        assert not TicketClock.objects.filter(ticket=ticket).exists()
        assert fresh(ticket).sla_due_at is None
    assert "entitlement_unverified" in fresh(no_org).tag_names()


def test_policy_that_starts_to_match_applies_from_that_update(travel, customer, support_agent):
    """A requester verified later: the first reply clock starts at that update, not creation."""
    requester = customer("none")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester)
    assert fresh(ticket).sla_due_at is None
    org = requester.organization
    org.support_level = "standard"
    org.save()
    travel(utc("2025-03-11T16:00:00+00:00"))  # Tue 09:00 PDT
    update_ticket(ticket=ticket, actor=support_agent, ticket_type="question")
    first = clock(ticket, Metric.FIRST_REPLY)
    assert first.original_started_at == utc("2025-03-11T16:00:00+00:00")
    assert first.due_at == utc("2025-03-12T16:00:00+00:00")  # 24 h of the 24x5 schedule


# --- fulfilment --------------------------------------------------------------------------------


def test_only_a_public_agent_comment_fulfils_first_reply(travel, customer, support_agent):
    """An internal note and the requester's own comment leave the clock running."""
    requester = customer("standard")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester)
    travel(utc("2025-03-10T16:10:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="note", public=False)
    add_comment(ticket=ticket, author=requester, body="more info", public=True)
    first = clock(ticket, Metric.FIRST_REPLY)
    assert first.state == "running"
    assert not TicketClock.objects.filter(ticket=ticket, metric=Metric.NEXT_REPLY).exists()

    travel(utc("2025-03-10T16:20:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="On it", public=True)
    first.refresh_from_db()
    assert (first.state, first.fulfilled_at) == ("fulfilled", utc("2025-03-10T16:20:00+00:00"))
    assert kinds(first) == ["activate", "fulfil"]
    assert fresh(ticket).sla_due_at is None  # standard: no periodic update, no agent work time


def test_next_reply_starts_at_the_oldest_unanswered_comment(travel, customer, support_agent):
    requester = customer("standard")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester)
    add_comment(ticket=ticket, author=support_agent, body="Hi", public=True)
    travel(utc("2025-03-10T17:00:00+00:00"))
    add_comment(ticket=ticket, author=requester, body="one", public=True)
    travel(utc("2025-03-10T18:00:00+00:00"))
    add_comment(ticket=ticket, author=requester, body="two", public=True)
    reply = clock(ticket, Metric.NEXT_REPLY)
    assert TicketClock.objects.filter(ticket=ticket, metric=Metric.NEXT_REPLY).count() == 1
    assert reply.original_started_at == utc("2025-03-10T17:00:00+00:00")
    assert reply.due_at == utc("2025-03-11T17:00:00+00:00")
    travel(utc("2025-03-10T19:00:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="Answer", public=True)
    reply.refresh_from_db()
    assert reply.state == "fulfilled"


def test_periodic_update_runs_between_public_agent_comments(travel, customer, support_agent):
    """Priority urgent: each public agent reply starts a 4 h calendar periodic update."""
    requester = customer("priority")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester, priority="urgent")
    travel(utc("2025-03-10T16:05:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="Joining a call", public=True)
    update = clock(ticket, Metric.PERIODIC_UPDATE)
    assert update.due_at == utc("2025-03-10T20:05:00+00:00")
    travel(utc("2025-03-10T17:00:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="Fixed db", public=True)
    update.refresh_from_db()
    assert update.state == "fulfilled"
    assert clock(ticket, Metric.PERIODIC_UPDATE).due_at == utc("2025-03-10T21:00:00+00:00")


def test_ticket_opened_by_agent_with_public_comment_has_no_first_reply(
    travel, customer, support_agent
):
    requester = customer("priority")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester, priority="urgent", actor=support_agent)
    assert not TicketClock.objects.filter(ticket=ticket, metric=Metric.FIRST_REPLY).exists()
    assert clock(ticket, Metric.PERIODIC_UPDATE).due_at == utc("2025-03-10T20:00:00+00:00")


def test_solving_fulfils_work_time_and_cancels_replies_reopen_restarts(
    travel, customer, support_agent
):
    """Solved: agent work fulfilled, reply clocks cancelled. Requester reply reopens: work time
    continues from what it had used, and a next reply clock starts."""
    requester = customer("priority", "amer")
    travel(utc("2025-03-10T16:00:00+00:00"))  # Mon 09:00 PDT
    ticket = open_ticket(requester, priority="high")
    travel(utc("2025-03-10T17:00:00+00:00"))
    update_ticket(ticket=ticket, actor=support_agent, status="solved")
    work = clock(ticket, Metric.AGENT_WORK)
    first = clock(ticket, Metric.FIRST_REPLY)
    assert (work.state, first.state) == ("fulfilled", "cancelled")
    assert fresh(ticket).sla_due_at is None

    travel(utc("2025-03-11T12:00:00+00:00"))  # Tue 05:00 PDT
    add_comment(ticket=ticket, author=requester, body="Not fixed", public=True)
    work.refresh_from_db()
    assert work.state == "running"
    # 40 h target, 1 h used Monday: Tue 12 h + Wed 12 h + Thu 12 h + Fri 05:00 + 3 h
    assert work.due_at == utc("2025-03-14T08:00:00-07:00")
    reply = clock(ticket, Metric.NEXT_REPLY)
    assert reply.due_at == utc("2025-03-11T13:00:00-07:00")  # 8 h from 05:00
    assert fresh(ticket).sla_due_at == reply.due_at


# --- sweeps and warnings -----------------------------------------------------------------------


def test_breach_sweep_marks_due_clocks_once(travel, customer, sla_events):
    requester = customer("standard")
    travel(utc("2025-03-10T16:00:00+00:00"))
    late = open_ticket(requester)
    travel(utc("2025-03-11T10:00:00+00:00"))
    on_time = open_ticket(requester)
    now = utc("2025-03-11T16:30:00+00:00")
    travel(now)

    run_all_sweeps(now)
    run_all_sweeps(now)

    first = clock(late, Metric.FIRST_REPLY)
    assert first.state == "breached"
    assert first.breached_at == utc("2025-03-11T16:00:00+00:00")
    assert kinds(first) == ["activate", "breach"]
    assert ClockEvent.objects.filter(kind="breach").count() == 1
    assert clock(on_time, Metric.FIRST_REPLY).state == "running"
    assert [(k, c) for k, c, _ in sla_events if k == "breach"] == [("breach", first.pk)]
    assert fresh(late).sla_due_at is None
    assert fresh(on_time).sla_due_at == utc("2025-03-12T10:00:00+00:00")


def test_breached_clock_is_fulfilled_late(travel, customer, support_agent):
    requester = customer("standard")
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(requester)
    run_all_sweeps(utc("2025-03-12T00:00:00+00:00"))
    travel(utc("2025-03-12T00:00:00+00:00"))
    add_comment(ticket=ticket, author=support_agent, body="Sorry", public=True)
    first = clock(ticket, Metric.FIRST_REPLY)
    assert (first.state, first.fulfilled_at) == ("breached", utc("2025-03-12T00:00:00+00:00"))
    assert kinds(first) == ["activate", "breach", "fulfil"]


def test_warning_fires_once_per_threshold(travel, customer, settings, sla_events):
    settings.SWITCHBOARD_SLA_WARNING_MINUTES = [120, 30]
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(customer("standard"))
    first = clock(ticket, Metric.FIRST_REPLY)
    due = utc("2025-03-11T16:00:00+00:00")
    assert first.due_at == due
    assert first.next_warning_at == due - timedelta(minutes=120)

    for minutes_before in (125, 119, 100, 29, 10):
        run_all_sweeps(due - timedelta(minutes=minutes_before))

    assert sla_events == [("warning", first.pk, 119.0), ("warning", first.pk, 29.0)]
    first.refresh_from_db()
    assert first.warned_minutes == [120, 30]
    assert first.next_warning_at is None
    assert kinds(first) == ["activate", "warning", "warning"]


def test_thresholds_crossed_together_give_one_warning(travel, customer, settings, sla_events):
    """Urgent 30 min target: both 120 and 30 are crossed at once → one warning."""
    settings.SWITCHBOARD_SLA_WARNING_MINUTES = [120, 30]
    travel(utc("2025-03-10T16:00:00+00:00"))
    ticket = open_ticket(customer("priority"), priority="urgent")
    run_all_sweeps(utc("2025-03-10T16:05:00+00:00"))
    run_all_sweeps(utc("2025-03-10T16:10:00+00:00"))
    first = clock(ticket, Metric.FIRST_REPLY)
    assert [e for e in sla_events if e[1] == first.pk] == [("warning", first.pk, 25.0)]


# --- query counts ------------------------------------------------------------------------------


def test_query_counts_are_bounded(
    travel, customer, support_agent, django_assert_max_num_queries, settings
):
    """In the request, a write pays for its SLA clocks and one queued event job; the triggers,
    time rules, CSAT, calls and CRM listeners run in the worker (tickets/events.py)."""
    settings.SWITCHBOARD_TICKET_EVENTS_INLINE = False
    requester = customer("priority", "amer")
    travel(utc("2025-03-10T16:00:00+00:00"))
    with django_assert_max_num_queries(25):
        ticket = open_ticket(requester, priority="high")
    with django_assert_max_num_queries(25):
        add_comment(ticket=ticket, author=support_agent, body="Hello", public=True)
    with django_assert_max_num_queries(25):
        add_comment(ticket=ticket, author=requester, body="Thanks", public=True)
