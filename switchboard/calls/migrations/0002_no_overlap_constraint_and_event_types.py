"""PostgreSQL: no two active calls of one agent overlap (buffers included), enforced by an
exclusion constraint over tstzrange(blocked_start, blocked_end) with btree_gist for the agent
column. SQLite has no such constraint: bookings there are serialized (IMMEDIATE transactions)
and re-checked under the lock. Also the handbook's event types, as data (created when missing,
matched by slug; admins may edit them).
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = """
ALTER TABLE calls_call ADD CONSTRAINT calls_no_overlap EXCLUDE USING gist (
    agent_id WITH =,
    tstzrange(blocked_start, blocked_end, '[)') WITH &&
) WHERE (status IN ('scheduled', 'in_progress'))
"""


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE calls_call DROP CONSTRAINT IF EXISTS calls_no_overlap")


UPGRADE_QUESTIONS = [
    {
        "key": "installation_type",
        "label": "Type of installation",
        "kind": "choice",
        "choices": ["Omnibus (Linux package)", "Source", "Docker", "Helm chart"],
        "required": True,
    },
    {"key": "current_version", "label": "Current version", "kind": "text", "required": True},
    {
        "key": "target_version",
        "label": "Version you are upgrading to",
        "kind": "text",
        "required": True,
    },
    {"key": "uses_ci", "label": "Do you use CI?", "kind": "boolean", "required": True},
    {
        "key": "backup_finished",
        "label": "I confirm a backup has finished before the call",
        "kind": "confirm",
        "required": True,
    },
]

EVENT_TYPES = [
    {
        "slug": "support-call",
        "title": "Support call",
        "description": "A one-hour call; wrap-up starts at 45 minutes.",
        "duration_minutes": 60,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 15,
        "position": 10,
        "questions": [],
    },
    {
        "slug": "support-discovery-call",
        "title": "Support – Discovery call",
        "description": "A short call to learn enough to troubleshoot asynchronously again.",
        "duration_minutes": 15,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 5,
        "step_minutes": 15,
        "position": 20,
        "questions": [],
    },
    {
        "slug": "upgrade-assistance",
        "title": "Upgrade assistance",
        "description": "Live upgrade assistance (priority support or implementation support).",
        "duration_minutes": 60,
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 15,
        "position": 30,
        "priority_or_implementation_only": True,
        "on_team_calendar": True,
        "questions": UPGRADE_QUESTIONS,
    },
]


def create_event_types(apps, schema_editor):
    EventType = apps.get_model("calls", "EventType")
    for data in EVENT_TYPES:
        if not EventType.objects.filter(slug=data["slug"]).exists():
            EventType.objects.create(**data)


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint),
        migrations.RunPython(create_event_types, migrations.RunPython.noop),
    ]
