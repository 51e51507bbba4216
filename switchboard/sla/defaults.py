"""The shipped SLA configuration: regional schedules and the two support-level policies.

Installed by a data migration and by demo.seed(); `install_defaults` only creates what is
missing (matched by name / title), so admins' edits to the shipped rows survive.
"""

from __future__ import annotations

from typing import Any

H = 60  # minutes per hour

# name, region, time zone, [(weekday, start_minute, end_minute), ...]
SCHEDULES: list[tuple[str, str, str, list[tuple[int, int, int]]]] = [
    (
        "All regions",
        "all",
        "America/Los_Angeles",
        # 24x5: Sunday 15:00 through Friday 17:00 Pacific.
        [(6, 15 * H, 24 * H), *[(d, 0, 24 * H) for d in range(4)], (4, 0, 17 * H)],
    ),
    ("AMER", "amer", "America/Los_Angeles", [(d, 5 * H, 17 * H) for d in range(5)]),
    ("EMEA", "emea", "Europe/Amsterdam", [(d, 8 * H, 18 * H) for d in range(5)]),
    ("APAC", "apac", "Australia/Brisbane", [(d, 9 * H, 21 * H) for d in range(5)]),
]

# metric -> priority -> (minutes, business_hours)
Targets = dict[str, dict[str, tuple[int, bool]]]

PRIORITY_TARGETS: Targets = {
    "first_reply": {
        "urgent": (30, False),  # emergency: 24x7
        "high": (4 * H, True),
        "normal": (8 * H, True),
        "low": (24 * H, True),
    },
    "next_reply": {
        "urgent": (1 * H, False),
        "high": (8 * H, True),
        "normal": (24 * H, True),
        "low": (48 * H, True),
    },
    "periodic_update": {
        "urgent": (4 * H, False),
        "high": (24 * H, True),
    },
    "agent_work": {
        "urgent": (24 * H, False),
        "high": (40 * H, True),
        "normal": (80 * H, True),
        "low": (160 * H, True),
    },
}

STANDARD_TARGETS: Targets = {
    "first_reply": dict.fromkeys(("urgent", "high", "normal", "low"), (24 * H, True)),
    "next_reply": dict.fromkeys(("urgent", "high", "normal", "low"), (24 * H, True)),
}


def _level(level: str) -> dict[str, Any]:
    return {
        "all": [
            {"field": "organization.support_level", "operator": "is", "value": level},
            # The company's own staff get no SLA unless an admin adds a policy for them.
            {"field": "organization.is_internal", "operator": "is", "value": False},
        ]
    }


# title, position, conditions, targets, description
POLICIES: list[tuple[str, int, dict[str, Any], Targets, str]] = [
    (
        "Priority support",
        10,
        _level("priority"),
        PRIORITY_TARGETS,
        "Priority support level: emergencies (urgent) around the clock, the rest in the "
        "ticket's regional business hours.",
    ),
    (
        "Standard support",
        20,
        _level("standard"),
        STANDARD_TARGETS,
        "Standard support level: 24 business hours for first and next replies.",
    ),
]


def install_defaults(apps: Any) -> bool:
    """Create the shipped schedules and policies that do not exist yet; True if any was made.

    `apps` is a migration's app registry or `django.apps.apps`.
    """
    Schedule = apps.get_model("sla", "Schedule")
    ScheduleInterval = apps.get_model("sla", "ScheduleInterval")
    Policy = apps.get_model("sla", "Policy")
    PolicyTarget = apps.get_model("sla", "PolicyTarget")
    created = False
    for name, region, tz, intervals in SCHEDULES:
        if Schedule.objects.filter(name=name).exists():
            continue
        region_free = not Schedule.objects.filter(region=region).exists()
        schedule = Schedule.objects.create(
            name=name, time_zone=tz, region=region if region_free else ""
        )
        ScheduleInterval.objects.bulk_create(
            [
                ScheduleInterval(schedule=schedule, weekday=d, start_minute=s, end_minute=e)
                for d, s, e in intervals
            ]
        )
        created = True
    for title, position, conditions, targets, description in POLICIES:
        if Policy.objects.filter(title=title).exists():
            continue
        policy = Policy.objects.create(
            title=title, position=position, conditions=conditions, description=description
        )
        PolicyTarget.objects.bulk_create(
            [
                PolicyTarget(
                    policy=policy,
                    metric=metric,
                    priority=priority,
                    minutes=minutes,
                    business_hours=business,
                )
                for metric, by_priority in targets.items()
                for priority, (minutes, business) in by_priority.items()
            ]
        )
        created = True
    return created
