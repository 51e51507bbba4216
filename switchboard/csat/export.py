"""One plain record per rating, shared by the webhook, the CSV and JSON Lines exports and the
report's comment list: who receives these (managers, subscribed webhooks) may see every field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from switchboard.csat.models import Reason, SatisfactionRating

FIELDS = (
    "id",
    "ticket_id",
    "kind",
    "solve_cycle",
    "score",
    "reason_code",
    "reason",
    "comment",
    "source",
    "requester_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "support_level",
    "region",
    "channel",
    "sla_breached",
    "solved_at",
    "offered_at",
    "rated_at",
)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def rating_record(r: SatisfactionRating) -> dict[str, Any]:
    return {
        "id": r.pk,
        "ticket_id": r.ticket_id,
        "kind": r.kind,
        "solve_cycle": r.solve_cycle,
        "score": r.score,
        "reason_code": r.reason_code,
        "reason": Reason(r.reason_code).label,
        "comment": r.comment,
        "source": r.source,
        "requester_id": r.requester_id,
        "assignee_id": r.assignee_id,
        "group_id": r.group_id,
        "organization_id": r.organization_id,
        "support_level": r.support_level,
        "region": r.region,
        "channel": r.channel,
        "sla_breached": r.sla_breached,
        "solved_at": _iso(r.solved_at),
        "offered_at": _iso(r.offered_at),
        "rated_at": _iso(r.rated_at),
    }


def _safe_cell(value: Any) -> Any:
    # A comment starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_lines(ratings: Iterable[SatisfactionRating]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    yield buffer.getvalue()
    for rating in ratings:
        buffer.seek(0)
        buffer.truncate()
        record = rating_record(rating)
        writer.writerow([_safe_cell(record[f]) for f in FIELDS])
        yield buffer.getvalue()


def jsonl_lines(ratings: Iterable[SatisfactionRating]) -> Iterator[str]:
    for rating in ratings:
        yield json.dumps(rating_record(rating), ensure_ascii=False) + "\n"
