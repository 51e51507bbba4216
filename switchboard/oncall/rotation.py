"""Who is on call at an instant, and the rendered shifts of a schedule (PagerDuty's model).

Pure computation: stdlib only, no Django, no ORM. Every datetime going in must be timezone-aware;
every datetime coming out is in UTC.

Model (all frozen dataclasses; sequences are stored as tuples)
---------------------------------------------------------------
``Restriction``
    ``kind`` ("daily" | "weekly"), ``start_time`` (naive local ``time``), ``duration``
    (``timedelta``; daily: (0, 24h], weekly: (0, 7d]), ``start_weekday`` (weekly only,
    0 = Monday ... 6 = Sunday). Build with ``Restriction.daily(time(8), timedelta(hours=8))`` or
    ``Restriction.weekly(0, time(9), timedelta(days=4, hours=8))``. A window starts at the local
    wall-clock ``start_time`` (on every day, or on every ``start_weekday``) in the schedule's zone
    and ends at the local wall-clock time ``start + duration``, so "08:00 for 8 hours" is
    08:00-16:00 local on every day, DST or not. A layer with several restrictions is on duty in
    their union.
``Layer``
    ``users`` (ordered user ids), ``rotation_virtual_start`` (aware; turn 0 starts here and
    belongs to ``users[0]``), ``turn_length`` (positive ``timedelta``), ``start`` (aware; the layer
    covers nothing before it), ``end`` (aware or ``None`` = open-ended; exclusive),
    ``restrictions`` (tuple of ``Restriction``; empty = always on duty), ``name`` (free text).
``Override``
    ``user``, ``start``, ``end`` (aware, half-open ``[start, end)``), ``created_at`` (aware; the
    newest covering override wins, ties broken by position: the later one in
    ``Schedule.overrides`` wins).
``Schedule``
    ``tz`` (IANA zone name), ``layers`` (lowest to highest priority), ``overrides``.
``Shift``
    ``user``, ``start``, ``end`` (UTC, half-open), ``source`` (layer index, or ``"override"``).

Rules
-----
* Turn ``k`` of a layer is ``[H(k), H(k+1))`` and belongs to ``users[k mod n]`` (``k`` may be
  negative before ``rotation_virtual_start``). When ``turn_length`` is a whole number of days,
  ``H(k)`` is the local wall-clock time of ``rotation_virtual_start`` plus ``k * turn_length``
  in the schedule's zone (a Monday 09:00 Europe/Amsterdam hand-off stays 09:00 local across DST);
  otherwise ``H(k) = rotation_virtual_start + k * turn_length`` in absolute time.
* Local wall-clock times are turned into instants like this: an ambiguous time (clocks going back)
  is its first occurrence; a time that does not exist (clocks going forward) is the instant the
  clocks jump, i.e. the first existing instant after it (02:30 on a 02:00->03:00 night becomes
  03:00). This keeps the mapping monotonic, so windows never invert.
* Restrictions clip turns; they never shift the rotation: the user whose turn falls entirely
  outside the restriction windows is skipped, not deferred.
* A layer covers ``t`` when ``start <= t < end`` and ``t`` is inside its restriction windows (if
  any). Who is on call at ``t``: the newest override covering ``t``; else the user of the highest
  layer covering ``t``; else nobody (``None``).
* ``final_shifts`` merges adjacent shifts of the same user; a merged shift keeps the ``source``
  of its earliest piece.

"Edits apply to the future only" is the caller's job: end the old layer at the edit instant and add
a new layer starting there. Nothing before the edit instant changes.

Cost: ``on_call_at`` is O(layers * restrictions + overrides) by direct arithmetic (the turn index
is computed, never found by walking turns from the rotation start); ``final_shifts`` is linear in
the number of turns, restriction windows and overrides inside the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Layer",
    "Override",
    "Restriction",
    "Schedule",
    "Shift",
    "final_shifts",
    "layer_shifts",
    "next_handoff",
    "on_call_at",
]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_TICK = timedelta(microseconds=1)
_ZERO = timedelta(0)

RestrictionKind = Literal["daily", "weekly"]
ShiftSource = int | Literal["override"]


# --------------------------------------------------------------------------- validation helpers


def _aware(value: object, what: str) -> datetime:
    """Return ``value`` in UTC, or raise ValueError if it is not an aware datetime."""
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive datetime {value!r}")
    return value.astimezone(UTC)


def _tuple_of(values: Iterable[object] | object, kind: type, what: str) -> tuple[object, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(f"{what} must be a sequence of {kind.__name__}, got {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, kind):
            raise ValueError(f"{what} must contain only {kind.__name__}, got {item!r}")
    return items


# --------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Restriction:
    """A recurring local-time window during which a layer is on duty."""

    kind: RestrictionKind
    start_time: time
    duration: timedelta
    start_weekday: int | None = None

    @classmethod
    def daily(cls, start_time: time, duration: timedelta) -> Restriction:
        return cls("daily", start_time, duration)

    @classmethod
    def weekly(cls, start_weekday: int, start_time: time, duration: timedelta) -> Restriction:
        return cls("weekly", start_time, duration, start_weekday)

    def __post_init__(self) -> None:
        if self.kind not in ("daily", "weekly"):
            raise ValueError(f"restriction kind must be 'daily' or 'weekly', got {self.kind!r}")
        if not isinstance(self.start_time, time) or self.start_time.tzinfo is not None:
            raise ValueError(
                f"restriction start_time must be a naive local time, got {self.start_time!r}"
            )
        if not isinstance(self.duration, timedelta):
            raise ValueError(f"restriction duration must be a timedelta, got {self.duration!r}")
        period = self.period
        if not _ZERO < self.duration <= period:
            raise ValueError(
                f"{self.kind} restriction duration must be in (0, {period}], got {self.duration}"
            )
        if self.kind == "daily":
            if self.start_weekday is not None:
                raise ValueError("a daily restriction takes no start_weekday")
        elif not (
            isinstance(self.start_weekday, int)
            and not isinstance(self.start_weekday, bool)
            and 0 <= self.start_weekday <= 6
        ):
            raise ValueError(
                "weekly restriction start_weekday must be 0 (Monday) to 6 (Sunday), "
                f"got {self.start_weekday!r}"
            )

    @property
    def period(self) -> timedelta:
        return _DAY if self.kind == "daily" else _WEEK


@dataclass(frozen=True)
class Layer:
    """One rotation: users take turns of ``turn_length`` from ``rotation_virtual_start``."""

    users: tuple[str, ...]
    rotation_virtual_start: datetime
    turn_length: timedelta
    start: datetime
    end: datetime | None = None
    restrictions: tuple[Restriction, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        users = _tuple_of(self.users, str, "layer users")
        if not users:
            raise ValueError("layer users must not be empty")
        if any(not u for u in users):
            raise ValueError("layer users must be non-empty user ids")
        object.__setattr__(self, "users", users)
        object.__setattr__(
            self,
            "rotation_virtual_start",
            _aware(self.rotation_virtual_start, "layer rotation_virtual_start"),
        )
        if not isinstance(self.turn_length, timedelta) or self.turn_length <= _ZERO:
            raise ValueError(
                f"layer turn_length must be a positive timedelta, got {self.turn_length!r}"
            )
        object.__setattr__(self, "start", _aware(self.start, "layer start"))
        if self.end is not None:
            end = _aware(self.end, "layer end")
            if end <= self.start:
                raise ValueError(f"layer end ({end}) must be after its start ({self.start})")
            object.__setattr__(self, "end", end)
        restrictions = _tuple_of(self.restrictions, Restriction, "layer restrictions")
        object.__setattr__(self, "restrictions", restrictions)

    @property
    def hands_off_in_local_days(self) -> bool:
        """True when hand-offs keep local wall-clock time (turn length is whole days)."""
        return self.turn_length % _DAY == _ZERO


@dataclass(frozen=True)
class Override:
    """``user`` is on call during ``[start, end)``, above every layer."""

    user: str
    start: datetime
    end: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or not self.user:
            raise ValueError(f"override user must be a non-empty user id, got {self.user!r}")
        start = _aware(self.start, "override start")
        end = _aware(self.end, "override end")
        if end <= start:
            raise ValueError(f"override end ({end}) must be after its start ({start})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "created_at", _aware(self.created_at, "override created_at"))


@dataclass(frozen=True)
class Schedule:
    """A time zone, layers from lowest to highest priority, and overrides."""

    tz: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str) or not self.tz:
            raise ValueError(f"schedule tz must be an IANA time zone name, got {self.tz!r}")
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "layers", _tuple_of(self.layers, Layer, "schedule layers"))
        object.__setattr__(
            self, "overrides", _tuple_of(self.overrides, Override, "schedule overrides")
        )


@dataclass(frozen=True)
class Shift:
    """``user`` is on call during ``[start, end)`` (UTC) because of ``source``."""

    user: str
    start: datetime
    end: datetime
    source: ShiftSource


# ----------------------------------------------------------------------------- local time


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The instant of naive wall-clock ``local`` in ``zone`` (see the module rules)."""
    after = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if after.astimezone(zone).replace(tzinfo=None) == local:
        return after  # exists; fold=0 picks the first occurrence when ambiguous
    # ``local`` falls in a gap. fold=0 reads it with the offset before the jump (an instant at or
    # after the jump), fold=1 with the offset after it (an instant before the jump). Bisect for
    # the jump itself.
    before = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    target = after.astimezone(zone).utcoffset()
    while after - before > _TICK:
        mid = before + (after - before) // 2
        if mid.astimezone(zone).utcoffset() == target:
            after = mid
        else:
            before = mid
    return after


def _local(t: datetime, zone: ZoneInfo) -> datetime:
    return t.astimezone(zone).replace(tzinfo=None)


# --------------------------------------------------------------------------------- restrictions


def _restriction_windows(
    restrictions: tuple[Restriction, ...], zone: ZoneInfo, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """The union of the restriction windows, clipped to ``[lo, hi)``, sorted and merged."""
    first_day = _local(lo, zone).date()
    last_day = _local(hi, zone).date() + _DAY
    raw: list[tuple[datetime, datetime]] = []
    for r in restrictions:
        # A window starting more than a period (+ a day of DST slack) before lo cannot reach it.
        day: date = first_day - r.period - _DAY
        step = r.period
        if r.start_weekday is not None:
            day += timedelta(days=(r.start_weekday - day.weekday()) % 7)
        while day <= last_day:
            local_start = datetime.combine(day, r.start_time)
            start = _to_utc(local_start, zone)
            end = _to_utc(local_start + r.duration, zone)
            if start < hi and end > lo and end > start:
                raw.append((max(start, lo), min(end, hi)))
            day += step
    raw.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


# ------------------------------------------------------------------------------------ turns


class _Rotation:
    """Hand-off arithmetic for one layer in one zone."""

    __slots__ = ("anchor", "layer", "zone")

    def __init__(self, layer: Layer, zone: ZoneInfo) -> None:
        self.layer = layer
        self.zone = zone
        self.anchor = _local(layer.rotation_virtual_start, zone)

    def handoff(self, k: int) -> datetime:
        """H(k): the instant turn ``k`` starts."""
        layer = self.layer
        if layer.hands_off_in_local_days:
            return _to_utc(self.anchor + k * layer.turn_length, self.zone)
        return layer.rotation_virtual_start + k * layer.turn_length

    def turn_at(self, t: datetime) -> int:
        """The ``k`` with H(k) <= t < H(k+1), by arithmetic plus at most a step or two."""
        layer = self.layer
        if not layer.hands_off_in_local_days:
            return (t - layer.rotation_virtual_start) // layer.turn_length
        # Wall-clock days between the anchor and t. It can be one turn short when t is in the
        # second pass of a repeated hour (its wall clock reads earlier than the hand-off's first
        # occurrence); the first loop is a guard only, as _to_utc is monotonic.
        k = (_local(t, self.zone) - self.anchor) // layer.turn_length
        while self.handoff(k) > t:
            k -= 1
        while self.handoff(k + 1) <= t:
            k += 1
        return k

    def user(self, k: int) -> str:
        users = self.layer.users
        return users[k % len(users)]


def _layer_bounds(layer: Layer, lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    lo = max(lo, layer.start)
    if layer.end is not None:
        hi = min(hi, layer.end)
    return lo, hi


def _layer_covers(layer: Layer, zone: ZoneInfo, t: datetime) -> bool:
    if t < layer.start or (layer.end is not None and t >= layer.end):
        return False
    if not layer.restrictions:
        return True
    return bool(_restriction_windows(layer.restrictions, zone, t, t + _TICK))


def _layer_pieces(
    schedule: Schedule, index: int, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime, str]]:
    """Layer ``index``'s on-duty pieces in ``[lo, hi)``: one per (turn x window), unmerged."""
    layer = schedule.layers[index]
    lo, hi = _layer_bounds(layer, lo, hi)
    if lo >= hi:
        return []
    if layer.restrictions:
        windows = _restriction_windows(layer.restrictions, schedule.zone, lo, hi)
    else:
        windows = [(lo, hi)]
    if not windows:
        return []
    rotation = _Rotation(layer, schedule.zone)
    k = rotation.turn_at(windows[0][0])
    turn_end = rotation.handoff(k + 1)
    pieces: list[tuple[datetime, datetime, str]] = []
    for w_start, w_end in windows:
        if turn_end <= w_start:  # jump over the turns that fall entirely in a restriction gap
            k = rotation.turn_at(w_start)
            turn_end = rotation.handoff(k + 1)
        pos = w_start
        while pos < w_end:
            piece_end = min(turn_end, w_end)
            if piece_end > pos:
                pieces.append((pos, piece_end, rotation.user(k)))
            if turn_end > w_end:
                break
            pos = piece_end
            k += 1
            turn_end = rotation.handoff(k + 1)
    return pieces


def _merge(shifts: list[Shift]) -> list[Shift]:
    """Merge touching shifts of the same user; the merged shift keeps the first source."""
    merged: list[Shift] = []
    for shift in shifts:
        if merged and merged[-1].user == shift.user and merged[-1].end == shift.start:
            last = merged[-1]
            merged[-1] = Shift(last.user, last.start, shift.end, last.source)
        else:
            merged.append(shift)
    return merged


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    lo = _aware(start, "window start")
    hi = _aware(end, "window end")
    if hi <= lo:
        raise ValueError(f"window end ({hi}) must be after its start ({lo})")
    return lo, hi


def _overrides_by_precedence(schedule: Schedule) -> list[Override]:
    """Overrides from the winning one down: newest ``created_at`` first, then later position."""
    ranked = sorted(
        enumerate(schedule.overrides), key=lambda io: (io[1].created_at, io[0]), reverse=True
    )
    return [o for _, o in ranked]


# ------------------------------------------------------------------------------------- API


def on_call_at(schedule: Schedule, t: datetime) -> str | None:
    """The user on call at ``t``: newest covering override, else highest covering layer."""
    t = _aware(t, "t")
    winner: tuple[datetime, int] | None = None
    winner_user: str | None = None
    for position, override in enumerate(schedule.overrides):
        if override.start <= t < override.end:
            rank = (override.created_at, position)
            if winner is None or rank > winner:
                winner, winner_user = rank, override.user
    if winner_user is not None:
        return winner_user
    zone = schedule.zone
    for layer in reversed(schedule.layers):
        if _layer_covers(layer, zone, t):
            rotation = _Rotation(layer, zone)
            return rotation.user(rotation.turn_at(t))
    return None


def layer_shifts(
    schedule: Schedule, layer_index: int, start: datetime, end: datetime
) -> list[Shift]:
    """Layer ``layer_index``'s own shifts in ``[start, end)``, restrictions applied.

    Ignores other layers and overrides. Touching shifts of the same user are merged.
    """
    lo, hi = _window(start, end)
    if not 0 <= layer_index < len(schedule.layers):
        raise ValueError(
            f"layer_index {layer_index} out of range for {len(schedule.layers)} layer(s)"
        )
    pieces = _layer_pieces(schedule, layer_index, lo, hi)
    return _merge([Shift(user, s, e, layer_index) for s, e, user in pieces])


def final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The rendered schedule in ``[start, end)`` after layer precedence and overrides.

    Shifts are sorted, non-overlapping, clipped to the window; touching shifts of the same user
    are merged and stretches where nobody is on call are left out.
    """
    lo, hi = _window(start, end)
    layers = [_layer_pieces(schedule, i, lo, hi) for i in range(len(schedule.layers))]
    overrides = [o for o in _overrides_by_precedence(schedule) if o.start < hi and o.end > lo]

    edges = {lo, hi}
    for pieces in layers:
        for s, e, _ in pieces:
            edges.add(s)
            edges.add(e)
    for o in overrides:
        edges.add(max(o.start, lo))
        edges.add(min(o.end, hi))
    cuts = sorted(edges)

    cursor = [0] * len(layers)
    out: list[Shift] = []
    for seg_start, seg_end in pairwise(cuts):
        chosen: Shift | None = None
        for o in overrides:
            if o.start <= seg_start < o.end:
                chosen = Shift(o.user, seg_start, seg_end, "override")
                break
        # Advance every layer's cursor (even when an override wins) so the sweep stays linear.
        for i in range(len(layers) - 1, -1, -1):
            pieces = layers[i]
            j = cursor[i]
            while j < len(pieces) and pieces[j][1] <= seg_start:
                j += 1
            cursor[i] = j
            if chosen is None and j < len(pieces) and pieces[j][0] <= seg_start:
                chosen = Shift(pieces[j][2], seg_start, seg_end, i)
        if chosen is not None:
            out.append(chosen)
    return _merge(out)


def next_handoff(
    schedule: Schedule, t: datetime, *, horizon: timedelta = timedelta(days=366)
) -> datetime | None:
    """The first instant after ``t`` at which ``on_call_at`` changes (to another user or nobody).

    Looks at most ``horizon`` ahead; ``None`` when nothing changes in ``(t, t + horizon)``.
    """
    t = _aware(t, "t")
    if not isinstance(horizon, timedelta) or horizon <= _ZERO:
        raise ValueError(f"horizon must be a positive timedelta, got {horizon!r}")
    current = on_call_at(schedule, t)
    limit = t + horizon
    span = timedelta(days=8)
    while True:
        window_end = min(t + span, limit)
        shifts = final_shifts(schedule, t, window_end)
        if current is None:
            if shifts:
                return shifts[0].start
        elif shifts[0].end < window_end:
            return shifts[0].end
        if window_end >= limit:
            return None
        span *= 2
