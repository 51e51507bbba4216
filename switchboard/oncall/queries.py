"""Reads: build `rotation.Schedule` values from rows and answer "who is on call" and "which
shifts" through the pure module. Only the layers and overrides touching the asked window load."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from django.db.models import Q

from switchboard.accounts.access import is_agent
from switchboard.accounts.models import User
from switchboard.core.errors import NotFound
from switchboard.core.tokens import hash_token
from switchboard.oncall import rotation
from switchboard.oncall.models import (
    Incident,
    IncidentLogEntry,
    IncidentStatus,
    OnCallSchedule,
    ScheduleLayer,
    ScheduleOverride,
    Service,
    UserCalendarFeed,
)

_TICK = timedelta(microseconds=1)
FEED_PAST = timedelta(days=15)
FEED_FUTURE = timedelta(days=180)


def restriction_from_json(data: dict) -> rotation.Restriction:
    hh, mm = (int(part) for part in str(data["start_time"]).split(":")[:2])
    duration = timedelta(minutes=int(data["duration_minutes"]))
    if data.get("kind") == "weekly":
        return rotation.Restriction.weekly(int(data["start_weekday"]), time(hh, mm), duration)
    return rotation.Restriction.daily(time(hh, mm), duration)


def _layer(
    users: Iterable[object],
    rotation_virtual_start: datetime,
    turn_length: timedelta,
    start: datetime,
    end: datetime | None,
    restrictions: list[dict] | None,
    name: str,
) -> rotation.Layer:
    return rotation.Layer(
        users=tuple(str(u) for u in users),
        rotation_virtual_start=rotation_virtual_start,
        turn_length=turn_length,
        start=start,
        end=end,
        restrictions=tuple(restriction_from_json(r) for r in restrictions or ()),
        name=name,
    )


def layer_from_row(row: ScheduleLayer) -> rotation.Layer:
    return _layer(
        row.users,
        row.rotation_virtual_start,
        row.turn_length,
        row.start,
        row.end,
        row.restrictions,
        row.name,
    )


_LAYER_COLUMNS = (
    "users",
    "rotation_virtual_start",
    "turn_length",
    "start",
    "end",
    "restrictions",
    "name",
    "position",
    "pk",
)


def load_schedule(schedule: OnCallSchedule, start: datetime, end: datetime) -> rotation.Schedule:
    """`schedule` as a pure value, with the layers and overrides that touch [start, end).

    Reads plain tuples, not model instances: this is the hot path of "who is on call". The one
    way a schedule is loaded (the layer editor's preview builds single layers with
    `layer_from_row`).
    """
    layers = (
        ScheduleLayer.objects.filter(schedule=schedule, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .values_list(*_LAYER_COLUMNS)
    )
    overrides = (
        ScheduleOverride.objects.filter(schedule=schedule, start__lt=end, end__gt=start)
        .order_by("created_at", "pk")
        .values_list("user_id", "start", "end", "created_at")
    )
    return schedule_from_rows(schedule, layers, overrides)


def schedule_from_rows(
    schedule: OnCallSchedule,
    layer_rows: Iterable[tuple],
    override_rows: Iterable[tuple],
) -> rotation.Schedule:
    """The pure schedule from `_LAYER_COLUMNS` layer rows and (user_id, start, end, created_at)
    override rows (in precedence order): used by `load_schedule` and by the agent page, which
    loads every schedule's rows in two queries."""
    # In position order, then by start and id (the columns end with position and pk).
    ordered = sorted(layer_rows, key=lambda r: (r[7], r[3], r[8]))
    return rotation.Schedule(
        tz=schedule.time_zone,
        layers=tuple(_layer(*row[:7]) for row in ordered if row[0]),
        overrides=tuple(
            rotation.Override(str(user_id), o_start, o_end, created)
            for user_id, o_start, o_end, created in override_rows
        ),
    )


def on_call_user_id(schedule: OnCallSchedule, t: datetime) -> int | None:
    """The id of the user on call on `schedule` at `t` (two small queries), or None."""
    user = rotation.on_call_at(load_schedule(schedule, t, t + _TICK), t)
    return int(user) if user is not None else None


def on_call_at(schedule: OnCallSchedule, t: datetime) -> User | None:
    user_id = on_call_user_id(schedule, t)
    return User.objects.filter(pk=user_id).first() if user_id is not None else None


def shifts(schedule: OnCallSchedule, start: datetime, end: datetime) -> list[rotation.Shift]:
    """The final (rendered) shifts of `schedule` in [start, end); users are id strings."""
    return rotation.final_shifts(load_schedule(schedule, start, end), start, end)


EDGE_LOOKUP_LIMIT = timedelta(days=400)
_GRID_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _aligned(t: datetime, step: timedelta, *, down: bool = False) -> datetime:
    """`t` moved down (or up) to a multiple of `step` after a fixed epoch."""
    steps, rest = divmod(t - _GRID_EPOCH, step)
    if rest and not down:
        steps += 1
    return _GRID_EPOCH + steps * step


def whole_shifts(schedule: OnCallSchedule, start: datetime, end: datetime) -> list[rotation.Shift]:
    """The final shifts overlapping [start, end), each with its true start and end: a shift that
    crosses an edge of the window is not cut there. (A feed's window moves with every fetch; a
    shift cut at the window's start would change its start, and so its UID, each time, and
    calendar clients would delete and re-add it.) Looks beyond each edge in growing steps, up to
    EDGE_LOOKUP_LIMIT. The bounds looked at are aligned to a grid of their own size, so even a
    stretch longer than the limit (one person always on call) gets the same start on every fetch
    for a long while, instead of one that follows the clock."""
    before = after = timedelta(days=2)
    while True:
        lo, hi = _aligned(start - before, before, down=True), _aligned(end + after, after)
        found = shifts(schedule, lo, hi)
        grow_before = bool(found) and found[0].start <= lo and found[0].end > start
        grow_after = bool(found) and found[-1].end >= hi and found[-1].start < end
        grow_before = grow_before and before < EDGE_LOOKUP_LIMIT
        grow_after = grow_after and after < EDGE_LOOKUP_LIMIT
        if not (grow_before or grow_after):
            break
        before = min(before * 4, EDGE_LOOKUP_LIMIT) if grow_before else before
        after = min(after * 4, EDGE_LOOKUP_LIMIT) if grow_after else after
    return [s for s in found if s.end > start and s.start < end]


def current_shift(schedule: OnCallSchedule, t: datetime) -> rotation.Shift | None:
    """The final shift covering `t`, with its true start and end (looked for within ±8 days)."""
    span = timedelta(days=8)
    for shift in shifts(schedule, t - span, t + span):
        if shift.start <= t < shift.end:
            return shift
    return None


def user_shifts(
    user: User, start: datetime, end: datetime
) -> list[tuple[OnCallSchedule, rotation.Shift]]:
    """`user`'s final shifts on every schedule in [start, end), sorted by start."""
    uid = str(user.pk)
    # JSON containment is not portable (SQLite): filter the (few) layer rows in Python.
    ids = {
        schedule_id
        for schedule_id, users in ScheduleLayer.objects.filter(start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .values_list("schedule_id", "users")
        if user.pk in users
    }
    ids.update(
        ScheduleOverride.objects.filter(user=user, start__lt=end, end__gt=start).values_list(
            "schedule_id", flat=True
        )
    )
    out: list[tuple[OnCallSchedule, rotation.Shift]] = []
    for schedule in OnCallSchedule.objects.filter(pk__in=ids):
        out.extend((schedule, s) for s in whole_shifts(schedule, start, end) if s.user == uid)
    out.sort(key=lambda item: (item[1].start, item[0].name))
    return out


def schedule_for_feed_token(token: str) -> OnCallSchedule | None:
    if not token or len(token) > 200:
        return None
    return OnCallSchedule.objects.filter(ical_token_hash=hash_token(token)).first()


def user_for_feed_token(token: str) -> User | None:
    feed = UserCalendarFeed.by_token(token)
    return feed.user if feed is not None and feed.user.is_active else None


# --------------------------------------------------------------------------------- incidents

INCIDENTS_PER_PAGE = 25


def _require_agent(viewer: User) -> None:
    if not is_agent(viewer):
        raise NotFound()


def incident_page(
    viewer: User, *, status: str = "", service_id: int | None = None, page: int = 1
) -> tuple[list[Incident], int]:
    """One page of incidents, newest first, and how many match (two queries, any page).

    `status`: one of IncidentStatus or "" (open: triggered and acknowledged). Agents only.
    """
    _require_agent(viewer)
    rows = Incident.objects.all()
    open_only = ~Q(status=IncidentStatus.RESOLVED)
    rows = rows.filter(Q(status=status) if status else open_only)
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    total = rows.count()
    start = (max(page, 1) - 1) * INCIDENTS_PER_PAGE
    listed = list(
        rows.select_related("service", "acknowledged_by", "resolved_by").order_by(
            "-created_at", "-pk"
        )[start : start + INCIDENTS_PER_PAGE]
    )
    return listed, total


def incident_for(viewer: User, incident_id: int) -> Incident:
    """One incident with its service and the people on it (one query). Agents only."""
    _require_agent(viewer)
    incident = (
        Incident.objects.select_related("service", "acknowledged_by", "resolved_by")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound()
    return incident


def incident_log(incident: Incident) -> list[IncidentLogEntry]:
    return list(incident.log.select_related("user").order_by("at", "pk"))


def pageable_services() -> list[Service]:
    """Services an incident can be opened on: not scheduling-only, with a policy."""
    return list(
        Service.objects.filter(scheduling_only=False, escalation_policy__isnull=False).order_by(
            "name"
        )
    )


def incident_services() -> list[Service]:
    """Services that can have incidents (not scheduling-only): the list page's filter."""
    return list(Service.objects.filter(scheduling_only=False).order_by("name"))


def agents() -> list[User]:
    """Active agents and admins by name: the choices of every "pick a person" control."""
    return list(
        User.objects.filter(is_active=True, role__in=("agent", "admin")).order_by("name", "email")
    )
