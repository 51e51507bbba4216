"""PostgreSQL only: a covering index for the /csat/ report's window scan, so the GROUPING SETS
query reads every column it groups and counts from the index (an index-only scan) instead of
fetching ~100,000 scattered heap rows for a 12-week window. SQLite uses csat_counted_idx."""

from django.db import migrations

NAME = "csat_counted_cover_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON csat_satisfactionrating (counted_at) "
        "INCLUDE (kind, score, reason_code, assignee_id, group_id, organization_id, "
        "support_level, region, channel, sla_breached) WHERE counted_at IS NOT NULL"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("csat", "0001_satisfaction_ratings")]
    operations = [migrations.RunPython(create, drop)]
