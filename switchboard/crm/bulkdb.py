"""Bulk reads and writes for the sync: COPY on PostgreSQL, Django's bulk statements elsewhere.

A full sync writes hundreds of thousands of rows; Django's bulk_create binds every value in
Python (client-side) and spends most of its time there. On PostgreSQL these helpers use COPY
(new rows take ids drawn from the table's sequence first, so callers know them) and, for
upserts, COPY into a temporary table followed by one ``INSERT … ON CONFLICT DO UPDATE``. Large
``IN`` lookups use one server-bound ``= ANY(%s)`` array. On SQLite they fall back to the ORM.
Rows are dicts of column attnames (``organization_id``); missing columns take the model's
defaults, ``auto_now``/``auto_now_add`` columns the given time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models import JSONField

CHUNK = 900  # SQLite's IN lists


def _pg() -> bool:
    return connection.vendor == "postgresql"


def is_postgresql() -> bool:
    return _pg()


def _raw_cursor() -> psycopg.Cursor[Any]:
    """A server-binding cursor on Django's connection (inside Django's transaction)."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]


def _row_builder(fields: list[models.Field[Any, Any]], now: datetime) -> Any:
    """A function turning a row dict into COPY values: given columns, else the model default
    (computed once per call, not per row), auto_now columns `now`, JSON dumped."""
    index: dict[str, int] = {}
    defaults: list[Any] = []
    json_columns: set[int] = set()
    for position, field in enumerate(fields):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default: Any = now
        else:
            default = field.get_default()
        if isinstance(field, JSONField):
            json_columns.add(position)
            if default is not None:
                default = json.dumps(default)
        index[field.attname] = position
        defaults.append(default)

    def build(row: dict[str, Any]) -> list[Any]:
        # Start from the defaults and put in the row's own columns (unknown keys are ignored).
        out = defaults.copy()
        for attname, value in row.items():
            position = index.get(attname)
            if position is None:
                continue
            if position in json_columns and value is not None:
                value = json.dumps(value)
            out[position] = value
        return out

    return build


def fast_commit() -> None:
    """Bulk writes of the sync need not wait for the WAL flush: the sync is idempotent and its
    watermark is written after (and so, in WAL order, never without) the rows it covers."""
    if _pg():
        with _raw_cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def values_in(
    model: type[models.Model], field: str, keys: Iterable[Any], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """`model.objects.filter(<field>__in=keys).values(*fields)`, fast for 100,000 keys."""
    keys = list(dict.fromkeys(k for k in keys if k is not None))
    if not keys:
        return []
    if not _pg():
        out: list[dict[str, Any]] = []
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            out.extend(model._default_manager.filter(**{f"{field}__in": chunk}).values(*fields))
        return out
    meta = model._meta
    columns = [meta.get_field(f).column for f in fields]
    key_column = meta.get_field(field).column
    query = psycopg.sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s)").format(
        psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(c) for c in columns),
        psycopg.sql.Identifier(meta.db_table),
        psycopg.sql.Identifier(key_column),
    )
    with _raw_cursor() as cursor:
        cursor.execute(query, [keys])
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]


def values_in_lower(
    model: type[models.Model], field: str, keys: Iterable[str], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows whose lower-cased `field` is one of `keys` (already lower-case)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    if not _pg():
        from django.db.models.functions import Lower

        out: list[dict[str, Any]] = []
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            out.extend(
                model._default_manager.annotate(_lower=Lower(field))
                .filter(_lower__in=chunk)
                .values(*fields)
            )
        return out
    meta = model._meta
    query = psycopg.sql.SQL("SELECT {} FROM {} WHERE lower({}) = ANY(%s)").format(
        psycopg.sql.SQL(", ").join(
            psycopg.sql.Identifier(meta.get_field(f).column) for f in fields
        ),
        psycopg.sql.Identifier(meta.db_table),
        psycopg.sql.Identifier(meta.get_field(field).column),
    )
    with _raw_cursor() as cursor:
        cursor.execute(query, [keys])
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]


def insert(model: type[models.Model], rows: list[dict[str, Any]], *, now: datetime) -> list[int]:
    """Insert new rows; returns their primary keys in order."""
    if not rows:
        return []
    if not _pg():
        objs = model._default_manager.bulk_create([model(**r) for r in rows], batch_size=2000)
        return [o.pk for o in objs]
    meta = model._meta
    with _raw_cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        fields = _columns(model, with_pk=False)
        names = [meta.pk.column, *(f.column for f in fields)]
        statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg.sql.Identifier(meta.db_table),
            psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(n) for n in names),
        )
        build = _row_builder(fields, now)
        with cursor.copy(statement) as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row([pk, *build(row)])
    return ids


def upsert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    key: str,
    update: Sequence[str],
    now: datetime,
) -> None:
    """Insert rows, or update `update` columns of the row with the same `key` (unique).

    Of rows sharing a key, the last one wins. On PostgreSQL, when none of the keys is in the
    table yet (a first full sync), the rows are copied straight in; otherwise they go through a
    temporary table and one ``INSERT … ON CONFLICT DO UPDATE``. (A row with one of the keys
    written by another transaction in between makes the COPY fail with a unique violation: the
    whole page rolls back and the next sync writes it.)"""
    if not rows:
        return
    key_attname = model._meta.get_field(key).attname
    rows = list({row[key_attname]: row for row in rows}.values())
    if not _pg():
        model._default_manager.bulk_create(
            [model(**r) for r in rows],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=[key],
            update_fields=list(update),
        )
        return
    meta = model._meta
    # A natural primary key (sf_id) is a column to copy; a generated one is not.
    fields = _columns(model, with_pk=not isinstance(meta.pk, models.fields.AutoFieldMixin))
    names = [f.column for f in fields]
    table = meta.db_table
    temp = f"tmp_{table}"
    ident = psycopg.sql.Identifier
    column_list = psycopg.sql.SQL(", ").join(ident(n) for n in names)
    build = _row_builder(fields, now)
    with _raw_cursor() as cursor:
        cursor.execute(
            psycopg.sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {} = ANY(%s))").format(
                ident(table), ident(meta.get_field(key).column)
            ),
            [[row[key_attname] for row in rows]],
        )
        if not cursor.fetchone()[0]:  # type: ignore[index]
            with cursor.copy(
                psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(ident(table), column_list)
            ) as copy:
                for row in rows:
                    copy.write_row(build(row))
            return
        cursor.execute(
            psycopg.sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
            ).format(ident(temp), ident(table))
        )
        cursor.execute(psycopg.sql.SQL("TRUNCATE {}").format(ident(temp)))
        with cursor.copy(
            psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(ident(temp), column_list)
        ) as copy:
            for row in rows:
                copy.write_row(build(row))
        key_column = meta.get_field(key).column
        assignments = psycopg.sql.SQL(", ").join(
            psycopg.sql.SQL("{} = EXCLUDED.{}").format(
                ident(meta.get_field(u).column), ident(meta.get_field(u).column)
            )
            for u in update
        )
        cursor.execute(
            psycopg.sql.SQL(
                "INSERT INTO {} ({}) SELECT DISTINCT ON ({}) {} FROM {} "
                "ON CONFLICT ({}) DO UPDATE SET {}"
            ).format(
                ident(table),
                column_list,
                ident(key_column),
                column_list,
                ident(temp),
                ident(key_column),
                assignments,
            )
        )


def audit_new_users(user_ids: list[int], *, reason: str, now: datetime) -> None:
    """PostgreSQL: the audit rows of users a sync just created, written by one INSERT … SELECT
    from the users table (no row goes through Python): per user, "organization_id" with the new
    organization, and "is_sold_to_contact" False → True if the user is a sold-to contact. Rows
    are ordered (and so numbered) user by user, as the row-by-row path does."""
    if not user_ids:
        return
    from switchboard.accounts.models import AccountAuditEvent, User

    ident = psycopg.sql.Identifier
    query = psycopg.sql.SQL(
        "INSERT INTO {audit} (created_at, actor_id, organization_id, user_id, field, old_value,"
        " new_value, reason)"
        " SELECT %(now)s, NULL, u.organization_id, u.id, v.field, v.old_value,"
        " CASE WHEN v.ord = 1 THEN u.organization_id::text ELSE 'True' END, %(reason)s"
        " FROM {users} u CROSS JOIN (VALUES (1, 'organization_id', ''),"
        " (2, 'is_sold_to_contact', 'False')) AS v(ord, field, old_value)"
        " WHERE u.id = ANY(%(ids)s) AND (v.ord = 1 OR u.is_sold_to_contact)"
        " ORDER BY u.id, v.ord"
    ).format(audit=ident(AccountAuditEvent._meta.db_table), users=ident(User._meta.db_table))
    with _raw_cursor() as cursor:
        cursor.execute(query, {"now": now, "reason": reason, "ids": user_ids})
