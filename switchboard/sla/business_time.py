"""Business-time arithmetic for SLA clocks (DOMAIN.md section 3).

Pure Python (stdlib only, no Django), so it can be tested and benchmarked on its own.

Model
-----
A :class:`BusinessSchedule` is an IANA time zone, weekly wall-clock intervals in that zone
(several per day allowed) and holiday dates (local dates that are fully closed). For every local
date the intervals of that date's weekday are converted to UTC *for that date*, so a day with a
DST change keeps its wall-clock hours: 09:00-17:00 is still 09:00-17:00 local, although the day
itself is 23 h or 25 h long.

Definitions (DOMAIN.md section 3):

* ``between(a, b)`` is the length of ``[a, b)`` that falls inside open business time (zero when
  ``b <= a``).
* ``add(start, n)`` is the earliest instant ``t >= start`` with ``between(start, t) == n``. A clock
  started outside business hours therefore begins at the next opening, a target that runs out
  exactly at closing time is due *at* closing time, and ``add(start, 0) == start``.

Open spans are half-open ``[opening, closing)``: ``is_open`` is true at the opening instant and
false at the closing instant. Intervals that touch (Sunday 15:00-24:00 followed by Monday
00:00-24:00, or 09:00-12:00 followed by 12:00-17:00) form one continuous open span.

Wall-clock boundaries that do not map to exactly one instant
-------------------------------------------------------------
Each interval boundary (a local date plus a minute of that day, 24:00 meaning 00:00 of the next
date) is mapped to *the earliest instant at which the schedule's clock reads that wall time or
later*. Concretely:

* **Gap** (the wall time does not exist, e.g. 02:30 on the spring-forward day in New York): the
  boundary is the instant the clock jumps, i.e. the UTC instant of the post-transition wall time
  (03:00 EDT = 07:00Z on 2025-03-09). An interval 02:30-04:00 that day is open 03:00-04:00 EDT
  (1 h); an interval lying entirely inside the gap (02:00-02:30) is empty that day.
* **Fold** (the wall time occurs twice, e.g. 01:30 on the fall-back day in New York): the boundary
  is the first occurrence (``fold=0``, 01:30 EDT = 05:30Z on 2025-11-02). An interval 01:00-04:00
  that day is open 01:00 EDT-04:00 EST (4 h); an interval 00:00-01:30 closes at the first 01:30,
  so the repeated 01:00-01:30 EST is closed.

This mapping is monotone, so intervals never invert and touching intervals stay touching.

Performance
-----------
Nothing steps minute by minute. For each schedule the open spans of one UTC week (Monday 00:00Z to
the next Monday 00:00Z) are computed once, stored as sorted integer microseconds with cumulative
sums, and cached on the schedule (bounded); a query is a couple of ``bisect`` calls, and long
targets walk week by week. A schedule with no open time for ten years raises ``ValueError``
instead of looping.

All public functions take aware datetimes (any time zone) and return aware UTC datetimes; naive
datetimes raise ``ValueError``. Results are exact to the microsecond.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BusinessSchedule",
    "WeeklyInterval",
    "add_business_minutes",
    "add_business_time",
    "business_minutes_between",
    "business_time_between",
    "is_open",
    "next_opening",
    "open_intervals",
]

_MINUTES_PER_DAY = 1440
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
_US_PER_WEEK = 7 * _US_PER_DAY
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US
# Week k covers [_WEEK0 + k weeks, _WEEK0 + (k + 1) weeks); 1970-01-05 was a Monday.
_WEEK0_US = 4 * _US_PER_DAY
# Give up after this many consecutive weeks without any open time (about ten years).
_MAX_EMPTY_WEEKS = 522
# Bound on the per-schedule week cache (about 150 years of weeks); cleared when exceeded.
_MAX_CACHED_WEEKS = 8192


@dataclass(frozen=True)
class WeeklyInterval:
    """One open interval of the week, in the schedule's local wall-clock time.

    ``weekday`` is 0 (Monday) to 6 (Sunday); ``start_minute`` (0..1439) and ``end_minute``
    (1..1440, 1440 meaning midnight at the end of the day) are minutes after local midnight, with
    ``end_minute > start_minute``. The interval is half-open: ``[start, end)``.
    """

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        for name in ("weekday", "start_minute", "end_minute"):
            value = getattr(self, name)
            if type(value) is not int:
                raise ValueError(f"WeeklyInterval.{name} must be an int, got {value!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(
                f"WeeklyInterval.weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday}"
            )
        if not 0 <= self.start_minute <= _MINUTES_PER_DAY - 1:
            raise ValueError(
                f"WeeklyInterval.start_minute must be 0..1439, got {self.start_minute}"
            )
        if not 1 <= self.end_minute <= _MINUTES_PER_DAY:
            raise ValueError(f"WeeklyInterval.end_minute must be 1..1440, got {self.end_minute}")
        if self.end_minute <= self.start_minute:
            raise ValueError(
                "WeeklyInterval.end_minute must be after start_minute, got "
                f"{_fmt_minute(self.start_minute)}-{_fmt_minute(self.end_minute)}"
            )

    def __str__(self) -> str:
        day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[self.weekday]
        return f"{day} {_fmt_minute(self.start_minute)}-{_fmt_minute(self.end_minute)}"


@dataclass(frozen=True)
class BusinessSchedule:
    """A time zone, weekly wall-clock open intervals and fully closed local dates.

    Validated on construction (``ValueError``): the zone must exist, there must be at least one
    interval, intervals of the same weekday must not overlap (touching is fine) and holidays must
    be dates. ``intervals`` is stored sorted by (weekday, start) and ``holidays`` as a frozenset,
    so equal schedules compare and hash equal. Instances are immutable and hashable; each one
    caches its computed open spans.
    """

    tz: str
    intervals: tuple[WeeklyInterval, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str) or not self.tz:
            raise ValueError(f"BusinessSchedule.tz must be an IANA time zone name, got {self.tz!r}")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'America'
            raise ValueError(f"BusinessSchedule.tz: unknown time zone {self.tz!r}") from exc

        intervals = tuple(self.intervals)
        for interval in intervals:
            if not isinstance(interval, WeeklyInterval):
                raise ValueError(
                    f"BusinessSchedule.intervals must contain WeeklyInterval, got {interval!r}"
                )
        if not intervals:
            raise ValueError("BusinessSchedule.intervals must contain at least one interval")
        ordered = tuple(sorted(intervals, key=lambda i: (i.weekday, i.start_minute)))
        for prev, cur in pairwise(ordered):
            if prev.weekday == cur.weekday and cur.start_minute < prev.end_minute:
                raise ValueError(f"BusinessSchedule.intervals overlap: {prev} and {cur}")
        object.__setattr__(self, "intervals", ordered)

        holidays = frozenset(self.holidays)
        for day in holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"BusinessSchedule.holidays must contain dates, got {day!r}")
        object.__setattr__(self, "holidays", holidays)

    @classmethod
    def always(cls, tz: str = "UTC") -> BusinessSchedule:
        """24x7: every instant is open, so business time equals calendar (elapsed) time."""
        return cls(tz, tuple(WeeklyInterval(d, 0, _MINUTES_PER_DAY) for d in range(7)))

    @classmethod
    def weekdays(
        cls,
        tz: str,
        start: str = "09:00",
        end: str = "17:00",
        days: Iterable[int] = range(5),
        holidays: Iterable[date] = (),
    ) -> BusinessSchedule:
        """The same ``start``-``end`` ("HH:MM", end may be "24:00") on each of ``days`` (0=Mon)."""
        start_minute = _parse_hhmm(start)
        end_minute = _parse_hhmm(end)
        return cls(
            tz,
            tuple(WeeklyInterval(d, start_minute, end_minute) for d in days),
            frozenset(holidays),
        )

    def __getstate__(self) -> dict[str, object]:
        # Pickle / deepcopy only the fields, not the span cache.
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    @functools.cached_property
    def _compiled(self) -> _Compiled:
        # cached_property writes to the instance __dict__, which a frozen dataclass allows; it is
        # not a dataclass field, so it takes no part in eq/hash/repr.
        return _Compiled(self)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def add_business_time(schedule: BusinessSchedule, start: datetime, delta: timedelta) -> datetime:
    """The earliest instant ``t >= start`` with ``business_time_between(start, t) == delta``."""
    if not isinstance(delta, timedelta):
        raise TypeError(f"delta must be a timedelta, got {type(delta).__name__}")
    n = delta // _ONE_US
    if n < 0:
        raise ValueError(f"delta must not be negative, got {delta}")
    return _from_us(schedule._compiled.add(_to_us(start, "start"), n))


def add_business_minutes(schedule: BusinessSchedule, start: datetime, minutes: float) -> datetime:
    """:func:`add_business_time` with the target in (possibly fractional) business minutes.

    Fractional minutes are rounded to the nearest microsecond.
    """
    if type(minutes) is int:
        n = minutes * _US_PER_MINUTE
    else:
        if not isinstance(minutes, (int, float)) or isinstance(minutes, bool):
            raise TypeError(f"minutes must be an int or float, got {type(minutes).__name__}")
        if not math.isfinite(minutes):
            raise ValueError(f"minutes must be finite, got {minutes}")
        n = round(minutes * _US_PER_MINUTE)
    if n < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")
    return _from_us(schedule._compiled.add(_to_us(start, "start"), n))


def business_time_between(schedule: BusinessSchedule, a: datetime, b: datetime) -> timedelta:
    """The length of ``[a, b)`` inside open business time; ``timedelta(0)`` if ``b <= a``."""
    return timedelta(microseconds=schedule._compiled.between(_to_us(a, "a"), _to_us(b, "b")))


def business_minutes_between(schedule: BusinessSchedule, a: datetime, b: datetime) -> float:
    """:func:`business_time_between` in (fractional) minutes."""
    return schedule._compiled.between(_to_us(a, "a"), _to_us(b, "b")) / _US_PER_MINUTE


def open_intervals(
    schedule: BusinessSchedule, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The open spans ``(opening, closing)`` in UTC, clipped to ``[start, end)``, in order.

    Touching spans are merged, so each yielded span is a maximal continuous stretch of open time.
    """
    return _open_intervals(schedule._compiled, _to_us(start, "start"), _to_us(end, "end"))


def is_open(schedule: BusinessSchedule, t: datetime) -> bool:
    """Whether the instant ``t`` is inside open business time (openings open, closings closed)."""
    return schedule._compiled.is_open(_to_us(t, "t"))


def next_opening(schedule: BusinessSchedule, t: datetime) -> datetime:
    """The earliest open instant ``>= t`` (``t`` itself, in UTC, if the schedule is open at t)."""
    return _from_us(schedule._compiled.next_opening(_to_us(t, "t")))


# --------------------------------------------------------------------------------------------
# Internals: integer microseconds since the Unix epoch (UTC)
# --------------------------------------------------------------------------------------------


def _fmt_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_hhmm(value: str) -> int:
    hours, sep, minutes = value.partition(":")
    if (
        not sep
        or len(hours) != 2
        or len(minutes) != 2
        or not hours.isdigit()
        or not minutes.isdigit()
        or int(minutes) > 59
    ):
        raise ValueError(f"expected a time as 'HH:MM', got {value!r}")
    total = int(hours) * 60 + int(minutes)
    if total > _MINUTES_PER_DAY:
        raise ValueError(f"time must be between 00:00 and 24:00, got {value!r}")
    return total


def _to_us(dt: datetime, name: str) -> int:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got naive {dt}")
    td = dt - _EPOCH
    return (td.days * 86_400 + td.seconds) * _US_PER_SECOND + td.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _naive_to_us(naive: datetime) -> int:
    td = naive - _EPOCH_NAIVE
    return (td.days * 86_400 + td.seconds) * _US_PER_SECOND + td.microseconds


def _wall_to_us(zone: tzinfo, wall: datetime) -> int:
    """The earliest instant at which the clock of ``zone`` reads ``wall`` (naive) or later.

    Existing and ambiguous wall times give their first occurrence (fold=0); wall times in a gap
    give the instant of the transition (the post-transition wall time the clock jumps to).
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return _to_us(first, "wall")
    # Gap. Interpreting the wall time with the offsets before and after the transition gives one
    # instant on each side of it; binary-search (whole seconds: tz transitions are whole
    # seconds) for the first instant whose wall clock reads >= wall.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo_us, hi_us = sorted((_to_us(first, "wall"), _to_us(other, "wall")))
    lo, hi = lo_us // _US_PER_SECOND, -(-hi_us // _US_PER_SECOND)  # invariant: f(lo) < wall
    while hi - lo > 1:
        mid = (lo + hi) // 2
        mid_wall = (_EPOCH + timedelta(seconds=mid)).astimezone(zone).replace(tzinfo=None)
        if mid_wall >= wall:
            hi = mid
        else:
            lo = mid
    return hi * _US_PER_SECOND


class _Week:
    """Open spans of one UTC week: sorted, disjoint, non-touching, clipped to the week."""

    __slots__ = ("cum", "cum_end", "ends", "starts", "total")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]
        self.cum: list[int] = []  # open time in the week before span i
        self.cum_end: list[int] = []  # open time in the week up to the end of span i
        acc = 0
        for s, e in spans:
            self.cum.append(acc)
            acc += e - s
            self.cum_end.append(acc)
        self.total = acc

    def pos(self, x: int) -> int:
        """Open time between the start of the week and ``x`` (``x`` inside the week)."""
        i = bisect_right(self.ends, x)
        if i == len(self.ends):
            return self.total
        s = self.starts[i]
        return self.cum[i] + (x - s if x > s else 0)

    def at(self, p: int) -> int:
        """The earliest instant at which ``pos`` reaches ``p`` (``0 < p <= total``)."""
        j = bisect_left(self.cum_end, p)
        return self.starts[j] + (p - self.cum[j])


class _Compiled:
    """Per-schedule lookup structures and the week cache."""

    __slots__ = ("by_weekday", "holidays", "weeks", "zone")

    def __init__(self, schedule: BusinessSchedule) -> None:
        self.zone = ZoneInfo(schedule.tz)
        self.holidays = schedule.holidays
        by_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for interval in schedule.intervals:  # sorted by (weekday, start)
            by_weekday[interval.weekday].append((interval.start_minute, interval.end_minute))
        self.by_weekday = tuple(tuple(day) for day in by_weekday)
        self.weeks: dict[int, _Week] = {}

    def week(self, k: int) -> _Week:
        w = self.weeks.get(k)
        if w is None:
            if len(self.weeks) >= _MAX_CACHED_WEEKS:
                self.weeks.clear()
            w = self.weeks[k] = self._build_week(k)
        return w

    def _build_week(self, k: int) -> _Week:
        w0 = _WEEK0_US + k * _US_PER_WEEK
        w1 = w0 + _US_PER_WEEK
        # Local dates whose intervals can reach into the week: UTC offsets are within +-1 day,
        # and an interval of date d lies within [d 00:00, d+1 00:00] local.
        first_day = (_EPOCH_NAIVE + timedelta(microseconds=w0)).date() - timedelta(days=2)
        spans: list[tuple[int, int]] = []
        for offset in range(11):
            day = first_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            midnight = datetime(day.year, day.month, day.day)
            for start_minute, end_minute in self.by_weekday[day.weekday()]:
                s = _wall_to_us(self.zone, midnight + timedelta(minutes=start_minute))
                e = _wall_to_us(self.zone, midnight + timedelta(minutes=end_minute))
                s = max(s, w0)
                e = min(e, w1)
                if s >= e:
                    continue
                if spans and s <= spans[-1][1]:  # touching (or, defensively, overlapping)
                    if e > spans[-1][1]:
                        spans[-1] = (spans[-1][0], e)
                else:
                    spans.append((s, e))
        return _Week(spans)

    # -- queries ------------------------------------------------------------------------------

    def add(self, x: int, n: int) -> int:
        if n == 0:
            return x
        if x + n > _MAX_US:  # business time never runs faster than calendar time
            raise OverflowError("business time target is beyond datetime.max")
        k = (x - _WEEK0_US) // _US_PER_WEEK
        w = self.week(k)
        target = w.pos(x) + n
        if target <= w.total:
            return w.at(target)
        remaining = target - w.total
        empty = 0
        while True:
            k += 1
            w = self.week(k)
            if remaining <= w.total:
                return w.at(remaining)
            if w.total:
                remaining -= w.total
                empty = 0
            else:
                empty += 1
                if empty > _MAX_EMPTY_WEEKS:
                    raise ValueError(
                        "schedule has no open time for ten years after "
                        f"{_from_us(x).isoformat()}; cannot add business time"
                    )

    def between(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        ka = (a - _WEEK0_US) // _US_PER_WEEK
        kb = (b - _WEEK0_US) // _US_PER_WEEK
        wa = self.week(ka)
        if ka == kb:
            return wa.pos(b) - wa.pos(a)
        total = wa.total - wa.pos(a)
        for k in range(ka + 1, kb):
            total += self.week(k).total
        return total + self.week(kb).pos(b)

    def is_open(self, x: int) -> bool:
        w = self.week((x - _WEEK0_US) // _US_PER_WEEK)
        i = bisect_right(w.ends, x)
        return i < len(w.ends) and w.starts[i] <= x

    def next_opening(self, x: int) -> int:
        k = (x - _WEEK0_US) // _US_PER_WEEK
        w = self.week(k)
        i = bisect_right(w.ends, x)
        if i < len(w.ends):
            return max(x, w.starts[i])
        for _ in range(_MAX_EMPTY_WEEKS + 1):
            k += 1
            w = self.week(k)
            if w.starts:
                return w.starts[0]
        raise ValueError(f"schedule has no open time for ten years after {_from_us(x).isoformat()}")


def _open_intervals(c: _Compiled, start: int, end: int) -> Iterator[tuple[datetime, datetime]]:
    if end <= start:
        return
    pending: tuple[int, int] | None = None
    for k in range((start - _WEEK0_US) // _US_PER_WEEK, (end - 1 - _WEEK0_US) // _US_PER_WEEK + 1):
        w = c.week(k)
        for s, e in zip(w.starts, w.ends, strict=True):
            s = max(s, start)
            e = min(e, end)
            if s >= e:
                continue
            if pending is not None and pending[1] == s:  # continues across the week boundary
                pending = (pending[0], e)
                continue
            if pending is not None:
                yield _from_us(pending[0]), _from_us(pending[1])
            pending = (s, e)
    if pending is not None:
        yield _from_us(pending[0]), _from_us(pending[1])
