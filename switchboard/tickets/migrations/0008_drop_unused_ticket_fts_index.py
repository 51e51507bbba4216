"""Drop the GIN index on to_tsvector(subject || description) (migration 0003): no query uses
that expression any more — agents search `search_vector` (0004, 0005) and end users the
subject alone (`search.subject_document`) — yet PostgreSQL computed it on every ticket insert
and update. The comments' index (same migration) stays: end users' comment search uses it."""

from django.db import migrations


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS tickets_ticket_fts_idx")


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_ticket_fts_idx ON tickets_ticket "
            "USING gin ((to_tsvector('english'::regconfig, "
            "COALESCE(subject, '') || ' ' || COALESCE(description, ''))))"
        )


class Migration(migrations.Migration):
    atomic = False  # DROP/CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("tickets", "0007_fewer_indexes")]

    operations = [migrations.RunPython(drop, recreate)]
