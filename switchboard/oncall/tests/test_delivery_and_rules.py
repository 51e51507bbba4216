"""Chat delivery to a real receiver, retries, the helpdesk rule and the demo seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryAttempt
from switchboard.oncall import actions, escalation
from switchboard.oncall.models import (
    ContactMethod,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    NotificationStatus,
    OnCallSchedule,
    Service,
)
from switchboard.oncall.tests.receiver import Receiver

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_chat_pages_and_channel_alert_reach_the_webhook_once_with_retries(emergency):
    """A 503 is retried with backoff; each page arrives once with its idempotency key."""
    service, people = emergency
    with Receiver(fail_first=1) as receiver:
        service.chat_webhook_url = receiver.url
        service.save()
        ContactMethod.objects.create(user=people["amer"], channel="chat", address=receiver.url)
        with time_machine.travel(T0, tick=False) as traveller:
            incident, _ = actions.trigger_incident(service=service, summary="db", dedup_key="d")
            # channel alert + amer (chat) + apac, emea (email): 4 on-call jobs hand 4 messages
            # to the outbox, whose first attempts send them
            assert run_pending_jobs() == 8
            assert len(receiver.posts) == 1  # the first POST got a 503
            traveller.shift(timedelta(minutes=5))
            assert run_pending_jobs() == 1  # the outbox's retry
            assert run_pending_jobs() == 0
    assert len(receiver.posts) == 2 and len(set(receiver.keys)) == 2
    assert {p["incident"]["dedup_key"] for p in receiver.posts} == {"d"}
    assert any("acknowledge" in p["links"] for p in receiver.posts)
    statuses = list(incident.notifications.values_list("status", flat=True))
    assert statuses == [NotificationStatus.SENT] * 4
    # A retried (not dead) delivery is not a failed notification; the outbox logs the attempt.
    assert incident.log.filter(kind="notify_failed").count() == 0
    assert Delivery.objects.filter(channel="chat", status="delivered").count() == 2
    assert DeliveryAttempt.objects.filter(ok=False, response_status=503).count() == 1


@pytest.fixture
def priority_org(org_factory):
    return org_factory(name="Acme", support_level="priority")


@pytest.mark.django_db
def test_urgent_ticket_from_priority_org_pages_customer_emergency(
    emergency, priority_org, user_factory, agent
):
    from switchboard.tickets.actions.create import create_ticket
    from switchboard.tickets.actions.update import update_ticket

    service, _ = emergency
    service.pages_for_urgent_priority_tickets = True
    service.save()
    customer = user_factory(organization=priority_org)
    normal = create_ticket(
        actor=customer,
        requester=customer,
        subject="slow",
        description="it is slow",
        priority="normal",
    )
    assert not Incident.objects.exists()
    urgent = create_ticket(
        actor=customer,
        requester=customer,
        subject="down",
        description="all down",
        priority="urgent",
    )
    incident = Incident.objects.get()
    assert (incident.dedup_key, incident.ticket_id, incident.origin) == (
        f"ticket-{urgent.pk}",
        urgent.pk,
        "helpdesk",
    )
    update_ticket(ticket=normal, actor=agent, priority="urgent")
    update_ticket(ticket=normal, actor=agent, subject="down now")  # no second page
    assert set(Incident.objects.values_list("dedup_key", flat=True)) == {
        f"ticket-{urgent.pk}",
        f"ticket-{normal.pk}",
    }


def _urgent_ticket(emergency, priority_org, user_factory):
    from switchboard.tickets.actions.create import create_ticket

    service, _ = emergency
    service.pages_for_urgent_priority_tickets = True
    service.save()
    customer = user_factory(organization=priority_org)
    ticket = create_ticket(
        actor=customer,
        requester=customer,
        subject="down",
        description="all down",
        priority="urgent",
    )
    return ticket, customer, Incident.objects.get(ticket_id=ticket.pk)


@pytest.mark.django_db
def test_a_public_agent_reply_acknowledges_the_ticket_incident(
    emergency, priority_org, user_factory, agent
):
    """Someone is on it: the incident stops paging, and its log says why. A customer's reply or
    an internal note does not count."""
    from switchboard.tickets.actions.comments import add_comment

    ticket, customer, incident = _urgent_ticket(emergency, priority_org, user_factory)
    add_comment(ticket=ticket, author=customer, body="still down")
    add_comment(ticket=ticket, author=agent, body="looking", public=False)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED

    add_comment(ticket=ticket, author=agent, body="We are on it.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_by == agent and incident.next_escalation_at is None
    entry = incident.log.get(kind="acknowledge")
    assert f"ticket #{ticket.pk} got a public reply from an agent" in entry.message


@pytest.mark.django_db
def test_solving_the_ticket_acknowledges_its_incident(emergency, priority_org, user_factory, agent):
    from switchboard.tickets.actions.update import update_ticket

    ticket, _customer, incident = _urgent_ticket(emergency, priority_org, user_factory)
    update_ticket(ticket=ticket, actor=agent, status="solved")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert f"ticket #{ticket.pk} was solved" in incident.log.get(kind="acknowledge").message


@pytest.mark.django_db
def test_ticket_response_acknowledgement_can_be_turned_off(
    emergency, priority_org, user_factory, agent, settings
):
    from switchboard.tickets.actions.comments import add_comment

    settings.SWITCHBOARD_ONCALL_ACK_ON_TICKET_RESPONSE = False
    ticket, _customer, incident = _urgent_ticket(emergency, priority_org, user_factory)
    add_comment(ticket=ticket, author=agent, body="We are on it.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


@pytest.mark.django_db
def test_urgent_ticket_from_standard_org_pages_nobody(emergency, org_factory, user_factory):
    from switchboard.tickets.actions.create import create_ticket

    service, _ = emergency
    service.pages_for_urgent_priority_tickets = True
    service.save()
    customer = user_factory(organization=org_factory(support_level="standard"))
    create_ticket(
        actor=customer,
        requester=customer,
        subject="down",
        description="all down",
        priority="urgent",
    )
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_demo_seed_builds_the_handbook_setup_once():
    from switchboard.accounts import demo as accounts_demo
    from switchboard.oncall import demo

    accounts_demo.seed()
    assert demo.seed() is True
    assert demo.seed() is False
    assert OnCallSchedule.objects.count() == 11
    policy = EscalationPolicy.objects.get(name="Customer Emergency")
    assert policy.num_loops == 5
    assert [lv.delay_minutes for lv in policy.levels.all()] == [10, 5, 15]
    federal = Service.objects.get(name="US Federal")
    assert federal.chat_alert is False
    assert [lv.delay_minutes for lv in federal.escalation_policy.levels.all()] == [15, 20, 30]
    assert set(Service.objects.filter(scheduling_only=True).values_list("name", flat=True)) == {
        "FRT Hawk",
        "SLA Hawk",
        "SSAT Reviewing Manager",
    }
    # Follow the sun: at 10:00 UTC on a Monday only EMEA is on call on level 0.
    snapshot = escalation.snapshot_policy(policy, Service.objects.get(name="Customer Emergency"))
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    level0 = [u.email for u in escalation.level_targets(snapshot["levels"][0], at)]
    assert level0 == ["emil@switchboard.test"]  # week 8 of a four-person rotation: users[0]
    late = [
        u.email for u in escalation.level_targets(snapshot["levels"][0], at + timedelta(hours=6))
    ]
    assert late == ["agent@switchboard.test"]
    night = escalation.level_targets(snapshot["levels"][0], at + timedelta(hours=14))
    assert [u.email for u in night] == ["isabel@switchboard.test"]


@pytest.mark.django_db
def test_email_to_a_service_address_opens_one_incident_per_subject(emergency):
    service, _ = emergency
    service.email_address = "emergency@oncall.switchboard.test"
    service.save()
    first, created = actions.trigger_from_email(
        recipient="Emergency@oncall.switchboard.test", subject="DB down", sender="mon@x.test"
    )
    again, created_again = actions.trigger_from_email(
        recipient="emergency@oncall.switchboard.test", subject="db down", sender="mon@x.test"
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert (first.origin, first.source, first.summary) == ("email", "mon@x.test", "DB down")
    assert actions.trigger_from_email(recipient="nobody@x.test", subject="x") is None
