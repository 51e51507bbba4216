"""Ticket.search_vector: the agents' per-ticket full-text document (PostgreSQL fills and indexes it).

The column is added everywhere (SQLite never fills it). On PostgreSQL only: existing tickets are
backfilled with one UPDATE and the column gets a GIN index, built CONCURRENTLY so that adding it
to a large live database does not block writes. The document is what
`switchboard.tickets.search_index` maintains: subject + description + comment bodies of the ticket
and of the tickets merged into it, in (ticket id, subject first, then comments by time) order.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX_NAME = "tickets_ticket_search_vector_idx"
CREATE_INDEX = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX_NAME} ON tickets_ticket "
    "USING gin (search_vector)"
)
DROP_INDEX = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX_NAME}"

# Each part of a document belongs to its ticket (owner) and, if that ticket was merged, also to
# the ticket it was merged into (whose conversation shows the source's comments by reference).
BACKFILL = """
UPDATE tickets_ticket t
SET search_vector = to_tsvector('english'::regconfig, d.document)
FROM (
    SELECT owner, string_agg(part, ' ' ORDER BY source_id, kind, at, part_id) AS document
    FROM (
        SELECT k.id AS owner, k.id AS source_id, 0 AS kind, k.created_at AS at, k.id AS part_id,
               COALESCE(k.subject, '') || ' ' || COALESCE(k.description, '') AS part
        FROM tickets_ticket k
        UNION ALL
        SELECT k.merged_into_id, k.id, 0, k.created_at, k.id,
               COALESCE(k.subject, '') || ' ' || COALESCE(k.description, '')
        FROM tickets_ticket k WHERE k.merged_into_id IS NOT NULL
        UNION ALL
        SELECT c.ticket_id, c.ticket_id, 1, c.created_at, c.id, COALESCE(c.body, '')
        FROM tickets_comment c
        UNION ALL
        SELECT k.merged_into_id, c.ticket_id, 1, c.created_at, c.id, COALESCE(c.body, '')
        FROM tickets_comment c JOIN tickets_ticket k ON k.id = c.ticket_id
        WHERE k.merged_into_id IS NOT NULL
    ) parts
    GROUP BY owner
) d
WHERE d.owner = t.id
"""


def backfill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BACKFILL)
    schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("tickets", "0003_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(backfill_and_index, drop_index, elidable=False),
    ]
