"""Escalation run end to end with time travel: the sweep pages level after level from stored
due times; acknowledge stops it, an acknowledgement timeout re-triggers, resolve cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from switchboard.core.errors import ValidationFailed
from switchboard.core.sweeps import run_all_sweeps
from switchboard.core.worker import run_pending_jobs
from switchboard.oncall import actions
from switchboard.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    LogKind,
    Notification,
    NotificationStatus,
    Service,
)
from switchboard.oncall.tests.conftest import make_schedule

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
LEVELS = [
    ["amer", "apac", "emea"],
    ["mgr-amer", "mgr-apac", "mgr-emea"],
    ["esc", "morgan", "nadia"],
]


def minutes(at: datetime) -> float:
    return (at - T0).total_seconds() / 60


def run_minutes(traveller, until: int, start: int = 0) -> None:
    """Sweep once a minute from T0+start to T0+until, as a worker would."""
    for minute in range(start, until + 1):
        traveller.move_to(T0 + timedelta(minutes=minute))
        run_all_sweeps()


def steps(incident: Incident) -> list[tuple]:
    """(minute, kind, level, loop, notified handles) for each escalation log entry."""
    out = []
    for entry in incident.log.exclude(kind__in=[LogKind.NOTIFY, LogKind.NOTIFIED]):
        handles = sorted(
            e.split("@")[0] for e in entry.message.removeprefix("notifying ").split(", ")
        )
        who = handles if entry.kind == LogKind.ESCALATE else None
        out.append((minutes(entry.at), entry.kind, entry.level, entry.loop, who))
    return out


@pytest.mark.django_db(transaction=True)  # the worker closes non-autocommit connections
def test_customer_emergency_runs_levels_loops_five_times_then_exhausts(emergency):
    """Level 0 at 0, managers at 10, escalation at 15, back to level 0 at 30; six passes
    (the first and five repeats) and then exhausted at 180 minutes."""
    service, _people = emergency
    with time_machine.travel(T0, tick=False) as traveller:
        incident, created = actions.trigger_incident(
            service=service, summary="Customer down", dedup_key="acme-down"
        )
        assert created
        run_minutes(traveller, 200)

    incident.refresh_from_db()
    expected = [(0.0, LogKind.TRIGGER, None, None, None)]
    for loop in range(6):
        base = 30 * loop
        if loop:
            expected.append((float(base), LogKind.LOOP, None, loop, None))
        for level, offset in enumerate([0, 10, 15]):
            expected.append((float(base + offset), LogKind.ESCALATE, level, loop, LEVELS[level]))
    expected.append((180.0, LogKind.EXHAUSTED, None, None, None))
    assert steps(incident) == expected
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.next_escalation_at is None
    assert incident.exhausted_at == T0 + timedelta(minutes=180)
    assert incident.escalation_step == 19  # 18 pages and the exhaustion

    # Each of the 18 steps paged three people by email, each exactly once.
    assert Notification.objects.filter(incident=incident).count() == 54
    with time_machine.travel(T0 + timedelta(minutes=201), tick=False):
        assert run_pending_jobs() == 108  # 54 on-call jobs hand 54 emails to the outbox
    assert len(mail.outbox) == 54
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 54
    first = sorted(m.to[0] for m in mail.outbox[:3])
    assert first == ["amer@switchboard.test", "apac@switchboard.test", "emea@switchboard.test"]
    assert "/oncall/incidents/link/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)  # the worker closes non-autocommit connections
def test_acknowledge_stops_escalation_and_cancels_pending_pages(emergency):
    service, _ = emergency
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="x", dedup_key="k")
        run_minutes(traveller, 12)  # managers paged at 10
        traveller.move_to(T0 + timedelta(minutes=12))
        actions.acknowledge_incident(incident=incident)
        run_minutes(traveller, 120, start=12)
        incident.refresh_from_db()
        assert [
            (minutes(e.at), e.kind)
            for e in incident.log.filter(
                kind__in=[LogKind.ESCALATE, LogKind.ACKNOWLEDGE, LogKind.EXHAUSTED]
            )
        ] == [(0.0, LogKind.ESCALATE), (10.0, LogKind.ESCALATE), (12.0, LogKind.ACKNOWLEDGE)]
        assert incident.status == IncidentStatus.ACKNOWLEDGED
        assert incident.next_escalation_at is None and incident.ack_timeout_at is None
        assert run_pending_jobs() == 6  # the six queued pages find the incident acknowledged
    assert mail.outbox == []
    assert Notification.objects.filter(status=NotificationStatus.CANCELLED).count() == 6


def test_acknowledgement_timeout_returns_to_triggered_and_restarts(emergency):
    """With a 30-minute acknowledgement timeout, an ack at 5 re-triggers at 35 from level 0."""
    service, _ = emergency
    service.ack_timeout_minutes = 30
    service.save()
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="x", dedup_key="k")
        traveller.move_to(T0 + timedelta(minutes=5))
        incident = actions.acknowledge_incident(incident=incident)
        assert incident.ack_timeout_at == T0 + timedelta(minutes=35)
        run_minutes(traveller, 50, start=5)
    incident.refresh_from_db()
    assert [
        (minutes(e.at), e.kind, e.level, e.loop)
        for e in incident.log.exclude(kind__in=[LogKind.NOTIFY, LogKind.TRIGGER])
    ] == [
        (0.0, LogKind.ESCALATE, 0, 0),
        (5.0, LogKind.ACKNOWLEDGE, None, None),
        (35.0, LogKind.ACK_TIMEOUT, None, None),
        (35.0, LogKind.ESCALATE, 0, 0),
        (45.0, LogKind.ESCALATE, 1, 0),
        (50.0, LogKind.ESCALATE, 2, 0),
    ]
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.next_escalation_at == T0 + timedelta(minutes=65)


@pytest.mark.django_db(transaction=True)  # the worker closes non-autocommit connections
def test_resolve_cancels_every_pending_step_and_page(emergency):
    service, _ = emergency
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="x", dedup_key="k")
        traveller.move_to(T0 + timedelta(minutes=2))
        incident = actions.resolve_incident(incident=incident)
        run_minutes(traveller, 240, start=2)
        assert run_pending_jobs() == 3
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert (incident.next_escalation_at, incident.ack_timeout_at) == (None, None)
    assert incident.log.filter(kind=LogKind.ESCALATE).count() == 1
    assert mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) == {"cancelled"}
    # Acting on a resolved incident changes nothing.
    assert actions.acknowledge_incident(incident=incident).status == IncidentStatus.RESOLVED


def test_empty_level_is_skipped_at_once(person):
    empty = make_schedule("Nobody", [])
    boss = person("boss")
    policy = EscalationPolicy.objects.create(name="P", num_loops=0)
    first = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    first.schedules.set([empty])
    second = EscalationLevel.objects.create(policy=policy, position=1, delay_minutes=10)
    second.users.set([boss])
    service = Service.objects.create(name="S", escalation_policy=policy)
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="x")
        run_minutes(traveller, 20)
    assert [
        (minutes(e.at), e.kind, e.level) for e in incident.log.exclude(kind=LogKind.NOTIFY)
    ] == [
        (0.0, LogKind.TRIGGER, None),
        (0.0, LogKind.SKIP, 0),
        (0.0, LogKind.ESCALATE, 1),
        (10.0, LogKind.EXHAUSTED, None),
    ]
    assert list(Notification.objects.values_list("user__email", flat=True)) == [boss.email]


def test_dedup_key_joins_the_open_incident_and_a_resolved_one_frees_it(emergency):
    service, _ = emergency
    with time_machine.travel(T0, tick=False):
        first, created = actions.trigger_incident(service=service, summary="a", dedup_key="k")
        again, created_again = actions.trigger_incident(service=service, summary="b", dedup_key="k")
        assert (again.pk, created, created_again) == (first.pk, True, False)
        assert first.log.filter(kind=LogKind.DEDUPLICATED).count() == 1
        assert Notification.objects.count() == 3  # the repeat paged nobody
        actions.resolve_incident(incident=first)
        third, created_third = actions.trigger_incident(service=service, summary="c", dedup_key="k")
    assert created_third and third.pk != first.pk


def test_policy_is_frozen_when_the_incident_triggers(emergency, person):
    service, _ = emergency
    with time_machine.travel(T0, tick=False) as traveller:
        _incident, _ = actions.trigger_incident(service=service, summary="x")
        level = service.escalation_policy.levels.get(position=1)
        level.schedules.clear()
        level.users.set([person("latecomer")])
        run_minutes(traveller, 10)
    emails = set(Notification.objects.filter(level=1).values_list("user__email", flat=True))
    assert emails == {f"mgr-{r}@switchboard.test" for r in ("amer", "apac", "emea")}


def test_scheduling_only_services_never_page(db):
    service = Service.objects.create(name="FRT Hawk", scheduling_only=True)
    with pytest.raises(ValidationFailed, match="scheduling-only"):
        actions.trigger_incident(service=service, summary="x")
    assert not Incident.objects.exists()
