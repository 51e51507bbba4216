"""The report's weekly summary: per ISO week (Monday, UTC) and per report dimension, how many
counted rating rows there are (`ratings`) and their tallies (eligible, offered, responded, good,
bad).

It is maintained by the csat actions in the same transaction as the rating write, as a delta:
`changed(before, after)` subtracts the row's old contribution and adds its new one (a rating
changing Good → Bad moves one count from `good` to `bad` in each of its buckets), so re-running
an action that changes nothing changes nothing. `recompute()` (management command
`csat_rebuild_summary`, and migration 0003) rebuilds it from the ratings; use it after loading
ratings by other means than the actions.

Items (keys) are text: "" for none (no assignee/group/organization/SLA record, blank support level,
region or channel), the id for foreign keys, "t"/"f" for SLA breached, the code for reasons.
The "total" dimension (item "") is the week's total; the "reason" dimension's `bad` column is
the bad-reason breakdown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek

SUMMARY_DIMENSIONS = (
    ("total", None),
    ("assignee", "assignee_id"),
    ("group", "group_id"),
    ("organization", "organization_id"),
    ("support_level", "support_level"),
    ("region", "region"),
    ("channel", "channel"),
    ("sla", "sla_breached"),
    ("reason", "reason_code"),
)
COUNTS = ("ratings", "eligible", "offered", "responded", "good", "bad")


def week_of(at: datetime) -> date:
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def encode(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def decode(dimension: str, key: str) -> Any:
    if dimension in ("assignee", "group", "organization", "reason"):
        return int(key) if key else None
    if dimension == "sla":
        return {"t": True, "f": False, "": None}[key]
    return key


class Snapshot(NamedTuple):
    week: date
    keys: tuple[str, ...]  # one per SUMMARY_DIMENSIONS
    counts: tuple[int, ...]  # COUNTS


def snapshot(rating: Any) -> Snapshot | None:
    """The rating's contribution to the summary (None if it is not counted)."""
    if rating.counted_at is None:
        return None
    survey = rating.kind == "survey"
    counts = (
        1,
        int(survey),
        int(survey and rating.score != "unoffered"),
        int(survey and rating.score in ("good", "bad")),
        int(rating.score == "good"),
        int(rating.score == "bad"),
    )
    keys = tuple(
        "" if column is None else encode(getattr(rating, column))
        for _, column in SUMMARY_DIMENSIONS
    )
    return Snapshot(week_of(rating.counted_at), keys, counts)


def _add(deltas: dict, snap: Snapshot | None, sign: int) -> None:
    if snap is None:
        return
    for (dimension, _), key in zip(SUMMARY_DIMENSIONS, snap.keys, strict=True):
        bucket = deltas.setdefault((snap.week, dimension, key), [0] * len(COUNTS))
        for i, n in enumerate(snap.counts):
            bucket[i] += sign * n


def changed(before: Snapshot | None, after: Snapshot | None) -> None:
    """Apply a rating's change (before → after) to the summary, in the caller's transaction."""
    if before == after:
        return
    deltas: dict[tuple[date, str, str], list[int]] = {}
    _add(deltas, before, -1)
    _add(deltas, after, +1)
    # Sorted: concurrent writers take the bucket rows' locks in the same order (no deadlock).
    rows = [(*k, *v) for k, v in sorted(deltas.items()) if any(v)]
    if not rows:
        return
    table = "csat_weeklysummary"
    cols = ", ".join(COUNTS)
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTS)
    sql = (
        f"INSERT INTO {table} (week, dimension, item, {cols}) "  # noqa: S608 - constants
        f"VALUES (%s, %s, %s, {', '.join(['%s'] * len(COUNTS))}) "
        f"ON CONFLICT (week, dimension, item) DO UPDATE SET {update}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def recompute(rating_model: Any = None, summary_model: Any = None) -> int:
    """Rebuild the summary from the ratings; returns the number of summary rows."""
    if rating_model is None:
        from switchboard.csat.models import SatisfactionRating as rating_model
        from switchboard.csat.models import WeeklySummary as summary_model

    survey = Q(kind="survey")
    tally = {
        "n_ratings": Count("pk"),
        "n_eligible": Count("pk", filter=survey),
        "n_offered": Count("pk", filter=survey & ~Q(score="unoffered")),
        "n_responded": Count("pk", filter=survey & Q(score__in=("good", "bad"))),
        "n_good": Count("pk", filter=Q(score="good")),
        "n_bad": Count("pk", filter=Q(score="bad")),
    }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait (their rating change is applied after this commits, on top of it).
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {summary_model._meta.db_table} IN EXCLUSIVE MODE")
        summary_model.objects.all().delete()
        base = rating_model.objects.filter(counted_at__isnull=False).annotate(
            wk=TruncWeek("counted_at")
        )
        made = []
        for dimension, column in SUMMARY_DIMENSIONS:
            group = ("wk",) if column is None else ("wk", column)
            for row in base.values(*group).annotate(**tally).order_by():
                wk = row["wk"]
                made.append(
                    summary_model(
                        week=wk.date() if isinstance(wk, datetime) else wk,
                        dimension=dimension,
                        item="" if column is None else encode(row[column]),
                        **{c: row[f"n_{c}"] for c in COUNTS},
                    )
                )
        summary_model.objects.bulk_create(made, batch_size=2000)
    return len(made)
