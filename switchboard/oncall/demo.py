"""Demo on-call setup for `manage.py seed_demo`: the handbook's schedules, policies, services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction

from switchboard.accounts.models import User
from switchboard.oncall import actions
from switchboard.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    OnCallSchedule,
    Service,
)

# Monday 07:00 UTC: the weekly hand-off of every handbook rotation.
HANDOFF = datetime(2026, 1, 5, 7, tzinfo=UTC)
WEEK = timedelta(days=7)

# name, users (demo emails), daily window (start "HH:MM", minutes) or None, turn length
SCHEDULES = [
    ("Customer Emergency AMER", ["agent", "brooke", "carlos", "dana"], ("15:00", 480), WEEK),
    ("Customer Emergency APAC", ["isabel", "jun", "kiri", "liam"], ("23:00", 480), WEEK),
    ("Customer Emergency EMEA", ["emil", "fatima", "gareth", "hana"], ("07:00", 480), WEEK),
    ("Support Manager AMER", ["morgan.manager"], ("15:00", 480), WEEK),
    ("Support Manager APAC", ["oscar.manager"], ("23:00", 480), WEEK),
    ("Support Manager EMEA", ["nadia.manager"], ("07:00", 480), WEEK),
    ("EMEA Escalation", ["nadia.manager", "gareth"], None, WEEK),
    ("US Federal On-call", ["brooke", "dana"], None, WEEK),
    ("FRT Hawk", ["agent", "emil", "isabel", "fatima", "jun", "carlos"], None, WEEK),
    ("SLA Hawk", ["brooke", "gareth", "kiri", "dana", "hana", "liam"], None, WEEK),
    (
        "SSAT Reviewing Manager",
        ["morgan.manager", "nadia.manager", "oscar.manager"],
        None,
        WEEK,
    ),
]

# name, num_loops, [(delay minutes, schedules, named users)]
POLICIES = [
    (
        "Customer Emergency",
        5,
        [
            (
                10,
                [
                    "Customer Emergency AMER",
                    "Customer Emergency APAC",
                    "Customer Emergency EMEA",
                ],
                [],
            ),
            (5, ["Support Manager AMER", "Support Manager APAC", "Support Manager EMEA"], []),
            (15, ["EMEA Escalation"], ["nadia.manager", "morgan.manager"]),
        ],
    ),
    (
        "US Federal",
        2,
        [
            (15, ["US Federal On-call"], []),
            (20, ["Support Manager AMER"], []),
            (30, [], ["morgan.manager", "oscar.manager"]),
        ],
    ),
    (
        "Support Managers",
        2,
        [(15, ["Support Manager AMER", "Support Manager APAC", "Support Manager EMEA"], [])],
    ),
]

# name, policy, chat alert, urgent helpdesk rule, email address
SERVICES = [
    ("Customer Emergency", "Customer Emergency", True, True, "emergency@oncall.switchboard.test"),
    ("US Federal", "US Federal", False, False, "federal@oncall.switchboard.test"),
    ("Support Managers", "Support Managers", True, False, "managers@oncall.switchboard.test"),
]
SCHEDULING_ONLY = ["FRT Hawk", "SLA Hawk", "SSAT Reviewing Manager"]


def _user(handle: str) -> User:
    return User.objects.get(email=f"{handle}@switchboard.test")


@transaction.atomic
def seed() -> bool:
    """Create the handbook's on-call setup; False (and no change) when it is already there."""
    if OnCallSchedule.objects.filter(name="Customer Emergency AMER").exists():
        return False
    schedules: dict[str, OnCallSchedule] = {}
    for name, handles, window, turn in SCHEDULES:
        schedule = OnCallSchedule.objects.create(name=name, time_zone="UTC")
        restrictions = []
        if window:
            restrictions = [
                {"kind": "daily", "start_time": window[0], "duration_minutes": window[1]}
            ]
        actions.add_layer(
            schedule=schedule,
            users=[_user(h).pk for h in handles],
            rotation_virtual_start=HANDOFF,
            turn_length=turn,
            restrictions=restrictions,
            name="Weekly rotation",
        )
        schedules[name] = schedule
    policies: dict[str, EscalationPolicy] = {}
    for name, loops, levels in POLICIES:
        policy = EscalationPolicy.objects.create(name=name, num_loops=loops)
        for position, (delay, schedule_names, handles) in enumerate(levels):
            level = EscalationLevel.objects.create(
                policy=policy, position=position, delay_minutes=delay
            )
            level.schedules.set([schedules[n] for n in schedule_names])
            level.users.set([_user(h) for h in handles])
        policies[name] = policy
    for name, policy, chat, urgent, email in SERVICES:
        Service.objects.create(
            name=name,
            escalation_policy=policies[policy],
            chat_alert=chat,
            pages_for_urgent_priority_tickets=urgent,
            email_address=email,
        )
    for name in SCHEDULING_ONLY:
        Service.objects.create(
            name=name, scheduling_only=True, chat_alert=False, integration_key=None
        )
    return True


def settle_incidents() -> bool:
    """Resolve the incidents the demo tickets opened (urgent tickets from priority-support
    customers page the Customer Emergency service) and cancel their queued pages and channel
    alerts: demo history must not page anyone the moment a worker starts. False when none was
    open."""
    from switchboard.oncall import delivery
    from switchboard.oncall.models import Incident, IncidentStatus

    settled = False
    for incident in Incident.objects.exclude(status=IncidentStatus.RESOLVED).filter(
        origin="helpdesk"
    ):
        actions.resolve_incident(incident=incident)
        delivery.cancel_queued_pages(incident.pk, channel_alerts=True)
        settled = True
    return settled
