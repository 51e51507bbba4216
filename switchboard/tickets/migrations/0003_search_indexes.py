"""PostgreSQL full-text search indexes (GIN on expressions); nothing on other databases.

The expressions must stay identical to `switchboard.tickets.search.ticket_document()` and
`comment_document()` (what Django's SearchVector compiles to), or the planner will not use them.
Built CONCURRENTLY so that adding them to a large live database does not block writes.
"""

from django.db import migrations

TICKET_DOCUMENT = (
    "to_tsvector('english'::regconfig, COALESCE(subject, '') || ' ' || COALESCE(description, ''))"
)
COMMENT_DOCUMENT = "to_tsvector('english'::regconfig, COALESCE(body, ''))"

INDEXES = [
    ("tickets_ticket_fts_idx", "tickets_ticket", TICKET_DOCUMENT),
    ("tickets_comment_fts_idx", "tickets_comment", COMMENT_DOCUMENT),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (({expression}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("tickets", "0002_shipped_macros_and_views")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
