"""CSAT reads with their permission checks: the report (SQL counts → `kpi` tallies), the
reviewer's tasks, the Zendesk API's rating lists, and who may see what.

Who sees what:
- the report, the exports and every rating: support managers and admins; an organization's
  CSM/TAM (`Organization.account_manager`) sees the report and ratings of that organization only;
- review tasks: their assignee, support managers and admins;
- a rating inside the ticket JSON: agents who may see the ticket, and the requester who gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncWeek

from switchboard.accounts import access
from switchboard.accounts.models import Organization, SupportGroup, User
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.csat import kpi, summary
from switchboard.csat.models import (
    RATED,
    REASON_AUDIENCE,
    Kind,
    Reason,
    ReasonAudience,
    ReviewTask,
    SatisfactionRating,
    Score,
    TaskStatus,
    WeeklySummary,
)

# --- who may see -------------------------------------------------------------------------------


def is_manager(user: Any) -> bool:
    return access.is_agent(user) and bool(user.is_support_manager or user.is_staff)


def managed_org_ids(user: Any) -> list[int]:
    if not access.is_agent(user):
        return []
    return list(Organization.objects.filter(account_manager=user).values_list("pk", flat=True))


def report_scope(user: Any, organization_id: int | None) -> Q:
    """The ratings `user` may report on (optionally one organization); PermissionDenied if none."""
    if is_manager(user):
        return Q(organization_id=organization_id) if organization_id else Q()
    orgs = managed_org_ids(user)
    if not orgs:
        raise PermissionDenied(
            "The CSAT report is for support managers and for an organization's CSM/TAM."
        )
    if organization_id is None:
        if len(orgs) == 1:
            return Q(organization_id=orgs[0])
        return Q(organization_id__in=orgs)
    if organization_id not in orgs:
        raise PermissionDenied("You are not the CSM/TAM of this organization.")
    return Q(organization_id=organization_id)


def can_see_rating_in_ticket(user: Any, ticket: Any) -> bool:
    """For a ticket `user` may already see: agents see its rating; of the end-users who see the
    ticket (organization sharing), only the requester who gave it does."""
    if access.is_agent(user):
        return True
    return getattr(user, "pk", None) == ticket.requester_id


# --- the report --------------------------------------------------------------------------------

DIMENSIONS = (
    ("week", "Week"),
    ("assignee", "Agent at offer time"),
    ("group", "Group"),
    ("organization", "Organization"),
    ("support_level", "Support level"),
    ("region", "Region"),
    ("channel", "Channel"),
    ("sla", "SLA"),
)

_TALLY = {
    "eligible": Count("pk", filter=Q(kind=Kind.SURVEY)),
    "offered": Count("pk", filter=Q(kind=Kind.SURVEY) & ~Q(score=Score.UNOFFERED)),
    "responded": Count("pk", filter=Q(kind=Kind.SURVEY, score__in=RATED)),
    "good": Count("pk", filter=Q(score=Score.GOOD)),
    "bad": Count("pk", filter=Q(score=Score.BAD)),
}


def _tally(row: dict[str, Any]) -> kpi.Tally:
    return kpi.Tally(row["eligible"], row["offered"], row["responded"], row["good"], row["bad"])


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, today: date) -> Window:
        """[start, end] as dates (inclusive); default: the last 12 weeks."""

        def day(value: str | None, name: str) -> date | None:
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValidationFailed(f"{name}: {value!r} is not a date (YYYY-MM-DD).") from None

        end_day = day(end, "end") or today
        start_day = day(start, "start") or end_day - timedelta(weeks=12)
        if start_day > end_day:
            raise ValidationFailed("start: must not be after end.", field="start")
        if (end_day - start_day).days > 3 * 366:
            raise ValidationFailed("start: the report covers at most three years.", field="start")
        return cls(
            datetime.combine(start_day, time.min, UTC),
            datetime.combine(end_day + timedelta(days=1), time.min, UTC),
        )


@dataclass
class Row:
    key: Any
    label: str
    tally: kpi.Tally

    # Formatted for the page and the CSV.
    @property
    def csat(self) -> str:
        return kpi.percent(self.tally.csat)

    @property
    def lower(self) -> str:
        return kpi.percent(self.tally.csat_lower)

    @property
    def response(self) -> str:
        return kpi.percent(self.tally.response_rate)

    @property
    def offered(self) -> str:
        return kpi.percent(self.tally.offered_rate)


@dataclass
class Report:
    window: Window
    target: float
    total: kpi.Tally
    by: dict[str, list[Row]] = field(default_factory=dict)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)
    comments: list[SatisfactionRating] = field(default_factory=list)


def _base(scope: Q, window: Window) -> QuerySet[SatisfactionRating]:
    return SatisfactionRating.objects.filter(
        scope, counted_at__gte=window.start, counted_at__lt=window.end
    )


def _labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if dimension == "assignee":
        return {
            u.pk: u.name or u.email for u in User.objects.filter(pk__in=ids).only("name", "email")
        }
    if dimension == "group":
        return dict(SupportGroup.objects.filter(pk__in=ids).values_list("pk", "name"))
    if dimension == "organization":
        return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {}


_GROUPING_COLUMNS = (
    ("week", "week"),
    ("assignee", "assignee_id"),
    ("group", "group_id"),
    ("organization", "organization_id"),
    ("support_level", "support_level"),
    ("region", "region"),
    ("channel", "channel"),
    ("sla", "sla_breached"),
)


def _grouped_postgres(qs: QuerySet[SatisfactionRating]) -> dict[str, list[tuple[Any, kpi.Tally]]]:
    """Every breakdown and the total in one scan of the window (GROUPING SETS)."""
    inner = qs.annotate(week=TruncWeek("counted_at")).values(
        "week", *[c for _, c in _GROUPING_COLUMNS[1:]], "kind", "score"
    )
    inner_sql, params = inner.query.sql_with_params()
    cols = ", ".join(c for _, c in _GROUPING_COLUMNS)
    sets = ", ".join(f"({c})" for _, c in _GROUPING_COLUMNS)
    query = (
        f"SELECT GROUPING({cols}), {cols}, "  # noqa: S608 - column names are constants
        "count(*) FILTER (WHERE kind = 'survey'), "
        "count(*) FILTER (WHERE kind = 'survey' AND score <> 'unoffered'), "
        "count(*) FILTER (WHERE kind = 'survey' AND score IN ('good', 'bad')), "
        "count(*) FILTER (WHERE score = 'good'), count(*) FILTER (WHERE score = 'bad') "
        f"FROM ({inner_sql}) w GROUP BY GROUPING SETS ({sets}, ())"
    )
    n = len(_GROUPING_COLUMNS)
    out: dict[str, list[tuple[Any, kpi.Tally]]] = {name: [] for name, _ in _GROUPING_COLUMNS}
    out["total"] = []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for row in cursor.fetchall():
            mask, keys, counts = row[0], row[1 : 1 + n], row[1 + n :]
            tally = kpi.Tally(*counts)
            # GROUPING() sets bit (n-1-i) for each column i *not* in the row's grouping set.
            grouped = [i for i in range(n) if not mask & (1 << (n - 1 - i))]
            if not grouped:
                out["total"].append((None, tally))
            else:
                i = grouped[0]
                out[_GROUPING_COLUMNS[i][0]].append((keys[i], tally))
    return out


def _grouped_portable(qs: QuerySet[SatisfactionRating]) -> dict[str, list[tuple[Any, kpi.Tally]]]:
    """The same, one query per breakdown (SQLite has no GROUPING SETS)."""
    out: dict[str, list[tuple[Any, kpi.Tally]]] = {
        "total": [(None, _tally(qs.aggregate(**_TALLY)))]
    }
    week = qs.annotate(k=TruncWeek("counted_at")).values("k").annotate(**_TALLY).order_by("k")
    out["week"] = [(r["k"], _tally(r)) for r in week]
    for name, column in _GROUPING_COLUMNS[1:]:
        rows = qs.values(column).annotate(**_TALLY).order_by(column)
        out[name] = [(r[column], _tally(r)) for r in rows]
    return out


def _merge(
    *parts: dict[str, list[tuple[Any, kpi.Tally]]],
) -> dict[str, list[tuple[Any, kpi.Tally]]]:
    """Add up breakdowns computed over disjoint parts of the window, key by key."""
    summed: dict[str, dict[Any, kpi.Tally]] = {}
    for part in parts:
        for name, pairs in part.items():
            into = summed.setdefault(name, {})
            for key, tally in pairs:
                if name == "week" and key is not None:
                    key = key.replace(tzinfo=UTC) if key.tzinfo is None else key.astimezone(UTC)
                into[key] = into.get(key, kpi.Tally()) + tally
    return {name: list(pairs.items()) for name, pairs in summed.items()}


def _full_weeks(window: Window) -> tuple[datetime, datetime] | None:
    """The whole weeks (Monday 00:00 UTC to Monday) inside the window, if any."""
    first = window.start + timedelta(days=(7 - window.start.weekday()) % 7)
    last = window.end - timedelta(days=window.end.weekday())
    return (first, last) if first < last else None


def _from_summary(
    start: datetime, end: datetime
) -> tuple[dict[str, list[tuple[Any, kpi.Tally]]], dict[int, int]]:
    """Every breakdown and the bad-reason counts for whole weeks, from the weekly summary (one
    query over ~weeks × (agents + groups + organizations + ...) rows, summed per item in SQL)."""
    by_week = Case(When(dimension="total", then=F("week")), default=None)
    rows = (
        WeeklySummary.objects.filter(week__gte=start.date(), week__lt=end.date(), ratings__gt=0)
        .annotate(wk=by_week)
        .values("wk", "dimension", "item")
        .annotate(
            n=Sum("ratings"),
            e=Sum("eligible"),
            o=Sum("offered"),
            r=Sum("responded"),
            g=Sum("good"),
            b=Sum("bad"),
        )
        .order_by()
    )
    out: dict[str, list[tuple[Any, kpi.Tally]]] = {name: [] for name, _ in _GROUPING_COLUMNS}
    out["total"] = []
    reasons: dict[int, int] = {}
    for row in rows:
        if not row["n"]:
            continue
        tally = kpi.Tally(row["e"], row["o"], row["r"], row["g"], row["b"])
        dimension = row["dimension"]
        if dimension == "total":
            wk = row["wk"]
            out["week"].append((datetime(wk.year, wk.month, wk.day, tzinfo=UTC), tally))
        elif dimension == "reason":
            if tally.bad:
                reasons[summary.decode("reason", row["item"])] = tally.bad
        else:
            out[dimension].append((summary.decode(dimension, row["item"]), tally))
    total = kpi.Tally()
    for _, tally in out["week"]:
        total = total + tally
    if out["week"]:
        out["total"].append((None, total))
    return out, reasons


def _rows(dimension: str, pairs: list[tuple[Any, kpi.Tally]]) -> list[Row]:
    if dimension == "week":
        rows = []
        for key, tally in sorted(pairs, key=lambda p: p[0] or datetime.min.replace(tzinfo=UTC)):
            if key is not None and key.tzinfo is None:
                key = key.replace(tzinfo=UTC)
            rows.append(Row(key, f"Week of {key:%Y-%m-%d}" if key else "—", tally))
        return rows
    labels = _labels(dimension, [k for k, _ in pairs])
    out = []
    for key, tally in pairs:
        if dimension == "sla":
            label = {True: "SLA breached", False: "SLA met", None: "No SLA record"}[key]
        elif key in (None, ""):
            label = "None"
        else:
            label = labels.get(key, str(key))
        out.append(Row(key, label, tally))
    out.sort(key=lambda row: (-row.tally.rated, row.label))
    return out


def report(
    user: Any,
    *,
    window: Window,
    organization_id: int | None = None,
    target: float = 0.95,
    comments: int = 50,
) -> Report:
    """The CSAT report for `user` in a fixed number of queries, whatever the number of ratings:
    the breakdowns, the reasons, the comments, labels.

    Over every organization, the window's whole weeks come from the weekly summary and only the
    partial weeks at either end are counted from the ratings (one GROUPING SETS scan on
    PostgreSQL); one organization's report (CSM/TAM, or filtered) is counted from its ratings."""
    scope = report_scope(user, organization_id)
    qs = _base(scope, window)
    on_postgres = connection.vendor == "postgresql"
    weeks = _full_weeks(window) if scope == Q() else None
    if weeks is not None:
        edges = qs.filter(Q(counted_at__lt=weeks[0]) | Q(counted_at__gte=weeks[1]))
        whole, reason_counts = _from_summary(*weeks)
    else:
        edges, whole, reason_counts = qs, {}, {}
    grouped = _merge(whole, _grouped_postgres(edges) if on_postgres else _grouped_portable(edges))
    for name, _ in _GROUPING_COLUMNS:
        grouped.setdefault(name, [])
    total = kpi.Tally()
    for _, tally in grouped.get("total", []):
        total = total + tally
    out = Report(window=window, target=target, total=total)
    out.by["total"] = [Row(None, "All", total)]
    for name, _ in DIMENSIONS:
        out.by[name] = _rows(name, grouped[name])
    counts = reason_counts
    for code, n in (
        edges.filter(score=Score.BAD).values_list("reason_code").annotate(n=Count("pk")).order_by()
    ):
        counts[code] = counts.get(code, 0) + n
    out.reasons = [
        (Reason(code).label, ReasonAudience(REASON_AUDIENCE[Reason(code)]).label, counts[code])
        for code in sorted(counts, key=lambda c: -counts[c])
    ]
    out.comments = list(
        qs.filter(score__in=RATED)
        .exclude(comment="")
        .select_related("ticket", "assignee", "organization")
        .order_by("-rated_at", "-pk")[:comments]
    )
    return out


def organization_summary(user: Any, organization_id: int, *, window: Window) -> kpi.Tally | None:
    """One organization's CSAT tally over `window` (one aggregate over the
    (organization, counted_at) index), or None when `user` may not see its report (not a
    support manager, admin or the organization's CSM/TAM)."""
    try:
        scope = report_scope(user, organization_id)
    except PermissionDenied:
        return None
    return _tally(_base(scope, window).aggregate(**_TALLY))


def export_queryset(user: Any, *, window: Window, organization_id: int | None = None):
    return (
        _base(report_scope(user, organization_id), window)
        .filter(score__in=RATED)
        .order_by("rated_at", "pk")
    )


# --- review tasks ------------------------------------------------------------------------------


def tasks_for(user: Any, *, include_done: bool = False) -> QuerySet[ReviewTask]:
    """The reviewer's own tasks; managers also see every unassigned one."""
    if not access.is_agent(user):
        raise PermissionDenied("Review tasks are for agents.")
    mine = Q(assignee=user)
    if is_manager(user):
        mine |= Q(assignee__isnull=True)
    qs = ReviewTask.objects.filter(mine)
    if not include_done:
        qs = qs.filter(status=TaskStatus.OPEN)
    return qs.select_related("ticket", "rating", "assignee").order_by("status", "due_at", "pk")


def task_for_user(user: Any, task_id: int) -> ReviewTask:
    task = (
        ReviewTask.objects.select_related("ticket", "rating", "assignee", "done_by")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not access.is_agent(user):
        raise NotFound()
    if not (task.assignee_id == user.pk or is_manager(user)):
        raise NotFound()
    return task


# --- the Zendesk API ---------------------------------------------------------------------------

SCORE_FILTERS: dict[str, Q] = {
    "offered": Q(score=Score.OFFERED),
    "unoffered": Q(score=Score.UNOFFERED),
    "received": Q(score__in=RATED),
    "received_with_comment": Q(score__in=RATED) & ~Q(comment=""),
    "received_without_comment": Q(score__in=RATED, comment=""),
    "good": Q(score=Score.GOOD),
    "good_with_comment": Q(score=Score.GOOD) & ~Q(comment=""),
    "good_without_comment": Q(score=Score.GOOD, comment=""),
    "bad": Q(score=Score.BAD),
    "bad_with_comment": Q(score=Score.BAD) & ~Q(comment=""),
    "bad_without_comment": Q(score=Score.BAD, comment=""),
}


def api_scope(user: Any) -> Q:
    """Ratings an API caller may list: every rating for managers, the managed organizations'
    for a CSM/TAM; nothing for other agents or end-users."""
    if is_manager(user):
        return Q()
    orgs = managed_org_ids(user)
    if not orgs:
        raise PermissionDenied("Satisfaction ratings are for support managers and CSMs/TAMs.")
    return Q(organization_id__in=orgs)


def ratings_for_api(
    user: Any,
    *,
    score: str | None,
    start_time: datetime | None,
    end_time: datetime | None,
) -> QuerySet[SatisfactionRating]:
    if score is not None and score not in SCORE_FILTERS:
        known = ", ".join(SCORE_FILTERS)
        raise ValidationFailed(f"score: {score!r} is not one of {known}.", field="score")
    qs = SatisfactionRating.objects.filter(api_scope(user))
    if score is not None:
        qs = qs.filter(SCORE_FILTERS[score])
    if start_time is not None:
        qs = qs.filter(updated_at__gte=start_time)
    if end_time is not None:
        qs = qs.filter(updated_at__lt=end_time)
    return qs.order_by("pk")


def rating_for_api(user: Any, rating_id: int) -> SatisfactionRating:
    rating = SatisfactionRating.objects.filter(api_scope(user), pk=rating_id).first()
    if rating is None:
        raise NotFound()
    return rating


def latest_ratings(ticket_ids: list[int]) -> dict[int, SatisfactionRating]:
    """Each ticket's current rating (latest survey cycle, or mid-ticket feedback), one query."""
    out: dict[int, SatisfactionRating] = {}
    if not ticket_ids:
        return out
    # Raw SQL: the API renders this for every ticket it answers with; the ORM's query building
    # cost twice the whole query (and it is the same query as the ORM's, on the same index).
    table = SatisfactionRating._meta.db_table
    marks = ", ".join(["%s"] * len(ticket_ids))
    rows = SatisfactionRating.objects.raw(
        f"SELECT * FROM {table} WHERE ticket_id IN ({marks}) AND kind IN (%s, %s) "  # noqa: S608
        "ORDER BY ticket_id, solve_cycle, rated_at, id",
        [*ticket_ids, Kind.SURVEY.value, Kind.FEEDBACK.value],
    )
    for rating in rows:
        current = out.get(rating.ticket_id)
        if current is None or rating.score != Score.UNOFFERED or current.score == Score.UNOFFERED:
            out[rating.ticket_id] = rating
    return out
