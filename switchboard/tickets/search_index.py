"""Upkeep of Ticket.search_vector, the agents' full-text document (PostgreSQL only).

The document is to_tsvector('english', ...) of the ticket's subject + description + every comment
body (internal notes included: only agents search it), plus the same of each ticket merged into it
(its conversation shows theirs by reference, see queries.comments_for), plus a bigram lexeme
`a_b` for each pair of lexemes at adjacent positions (so that phrases are index lookups). It is
built by migration 0005's SQL function switchboard_search_doc(text) (its
switchboard_search_doc_append is no longer called: the worker recomputes, which is safe to run
twice). Migrations 0004/0005 backfill it and 0004 GIN-indexes it; `search.py` filters agents'
free text on it.

The worker keeps the documents after each ticket event (`on_ticket_event`, listed in
events.LISTENERS); a redaction refreshes at once, in its transaction. One UPDATE each.
Elsewhere than on PostgreSQL they do nothing (SQLite searches by substring, see search.py).

PostgreSQL caps a tsvector at 1 MB. A ticket whose text would exceed it (say, megabytes of pasted
logs with many distinct tokens) keeps a document built from its first FALLBACK_CHARS characters
rather than failing the action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DataError, OperationalError, connection, transaction

from switchboard.tickets.events import EventKind, TicketEvent

log = logging.getLogger(__name__)

FTS_CONFIG = "english"  # as search.FTS_CONFIG; hard-coded in migration 0005's functions
# At most ~5 bytes of tsvector per character of text, plus up to ~5 more for the bigrams: < 1 MB.
FALLBACK_CHARS = 100_000

# The document of ticket t, in the order of migration 0004's backfill: by source ticket id, its
# subject + description first, then its comments by time.
_DOCUMENT = """(
    SELECT string_agg(p.part, ' ' ORDER BY p.source_id, p.kind, p.at, p.part_id)
    FROM (
        SELECT k.id AS source_id, 0 AS kind, k.created_at AS at, k.id AS part_id,
               COALESCE(k.subject, '') || ' ' || COALESCE(k.description, '') AS part
        FROM tickets_ticket k WHERE k.id = t.id OR k.merged_into_id = t.id
        UNION ALL
        SELECT c.ticket_id, 1, c.created_at, c.id, COALESCE(c.body, '')
        FROM tickets_comment c
        WHERE c.ticket_id = t.id
           OR c.ticket_id IN (SELECT k.id FROM tickets_ticket k WHERE k.merged_into_id = t.id)
    ) p
)"""

# The tickets named and those they were merged into (whose documents include theirs).
_REFRESH = """
UPDATE tickets_ticket t
SET search_vector = switchboard_search_doc(COALESCE({document}, ''))
WHERE t.id = ANY(%s)
   OR t.id IN (SELECT m.merged_into_id FROM tickets_ticket m WHERE m.id = ANY(%s))
"""


def _enabled() -> bool:
    return connection.vendor == "postgresql"


def _too_long(error: Exception) -> bool:
    """PostgreSQL's program_limit_exceeded: "string is too long for tsvector"."""
    return getattr(error.__cause__, "sqlstate", None) == "54000"


def _execute(sql: str, params: list[object]) -> bool:
    """Run `sql` in a savepoint; False if the document would exceed the tsvector size limit."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except (DataError, OperationalError) as error:
        if not _too_long(error):
            raise
        return False
    return True


def _refresh_truncated(ids: list[int]) -> None:
    sql = _REFRESH.format(document=f"left({_DOCUMENT}, {FALLBACK_CHARS})")
    log.warning("search_vector of tickets %s: text too long, indexing the start only", ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, ids])


def refresh(ticket_ids: Iterable[int]) -> None:
    """Recompute the documents of these tickets (and of the tickets they were merged into)."""
    if not _enabled():
        return
    ids = sorted({int(pk) for pk in ticket_ids})
    if ids and not _execute(_REFRESH.format(document=_DOCUMENT), [ids, ids]):
        _refresh_truncated(ids)


def on_ticket_event(event: TicketEvent) -> None:
    """Ticket-event listener (worker, see events.LISTENERS): recompute the document after a change
    to the ticket's text. A recompute, not an append, so that running it twice is harmless."""
    if (
        event.kind in (EventKind.CREATED, EventKind.MERGED)
        or event.comment is not None
        or event.changed("subject")
    ):
        refresh([event.ticket.pk])
