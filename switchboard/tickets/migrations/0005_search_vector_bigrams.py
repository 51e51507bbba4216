"""Ticket.search_vector gains adjacent-word bigram lexemes, so that phrases are index lookups.

A phrase needs word positions, which the GIN index does not keep: PostgreSQL rechecks every
ticket holding all its words (with a small vocabulary, most of them). So the document now also
holds, for each pair of lexemes at positions p and p+1, the lexeme `a_b` (e.g. `licens_user`).
The default parser splits words on `_`, so these never collide with a word's own lexeme. A phrase
then ANDs its bigrams (an index lookup) with its `phraseto_tsquery` (which keeps results exact),
see `search.py`.

PostgreSQL only: creates the IMMUTABLE SQL functions used wherever the document is built
(`search_index.py` and the backfill below) and re-fills every ticket once. Reversible: the reverse
re-fills the documents without bigrams (migration 0004's) and drops the functions.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION switchboard_bigrams(doc tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_to_tsvector(array_agg(DISTINCT a.lexeme || '_' || b.lexeme)),
                    ''::tsvector)
    FROM (SELECT u.lexeme, p FROM unnest(doc) u, unnest(u.positions) p) a
    JOIN (SELECT u.lexeme, p FROM unnest(doc) u, unnest(u.positions) p) b ON b.p = a.p + 1
    WHERE octet_length(a.lexeme) + octet_length(b.lexeme) < 2047
$$;

CREATE OR REPLACE FUNCTION switchboard_search_doc(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT d || switchboard_bigrams(d) FROM to_tsvector('english'::regconfig, body) d
$$;

CREATE OR REPLACE FUNCTION switchboard_search_doc_append(doc tsvector, body text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT d || switchboard_bigrams(d)
    FROM (SELECT doc || to_tsvector('english'::regconfig, body)) x(d)
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS switchboard_search_doc_append(tsvector, text);
DROP FUNCTION IF EXISTS switchboard_search_doc(text);
DROP FUNCTION IF EXISTS switchboard_bigrams(tsvector);
"""

# Migration 0004's backfill, with the document built by switchboard_search_doc().
_BACKFILL = """
UPDATE tickets_ticket t
SET search_vector = {build}
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
BACKFILL = _BACKFILL.format(build="switchboard_search_doc(d.document)")
BACKFILL_WITHOUT_BIGRAMS = _BACKFILL.format(build="to_tsvector('english'::regconfig, d.document)")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(BACKFILL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BACKFILL_WITHOUT_BIGRAMS)
    schema_editor.execute(DROP_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_ticket_search_vector"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
