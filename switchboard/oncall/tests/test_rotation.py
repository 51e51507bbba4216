"""Tests for the pure on-call module: rotation maths, restrictions, overrides, layers, DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.oncall.rotation import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    final_shifts,
    layer_shifts,
    next_handoff,
    on_call_at,
)

AMS = ZoneInfo("Europe/Amsterdam")
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MICRO = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def rows(shifts: list[Shift]) -> list[tuple[str, datetime, datetime, int | str]]:
    return [(s.user, s.start, s.end, s.source) for s in shifts]


def daily_abc(**changes: object) -> Layer:
    """Users a, b, c taking daily turns from Monday 2025-06-02 00:00 UTC, open-ended."""
    layer = Layer(
        users=("a", "b", "c"),
        rotation_virtual_start=utc(2025, 6, 2),
        turn_length=DAY,
        start=utc(2025, 6, 2),
    )
    return replace(layer, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ rotation maths


def test_rotation_hands_over_at_turn_boundaries_with_inclusive_start_and_exclusive_end() -> None:
    """Daily turns go a, b, c, a, ...; a turn includes its first instant and not its last."""
    schedule = Schedule("UTC", (daily_abc(),))

    assert on_call_at(schedule, utc(2025, 6, 2)) == "a"
    assert on_call_at(schedule, utc(2025, 6, 3) - MICRO) == "a"
    assert on_call_at(schedule, utc(2025, 6, 3)) == "b"
    assert on_call_at(schedule, utc(2025, 6, 4, 23, 59, 59)) == "c"
    assert on_call_at(schedule, utc(2025, 6, 5)) == "a"
    assert on_call_at(schedule, utc(2025, 7, 2, 12)) == "a"  # 30 days in: 30 mod 3 = 0
    assert on_call_at(schedule, utc(2025, 7, 3, 12)) == "b"


def test_rotation_counts_backwards_before_rotation_virtual_start() -> None:
    """Turns before the virtual start continue the cycle backwards (turn -1 is the last user)."""
    schedule = Schedule("UTC", (daily_abc(start=utc(2025, 5, 30)),))

    assert on_call_at(schedule, utc(2025, 6, 1, 12)) == "c"
    assert on_call_at(schedule, utc(2025, 5, 31, 12)) == "b"
    assert on_call_at(schedule, utc(2025, 5, 30, 12)) == "a"


def test_nobody_is_on_call_before_the_layer_starts() -> None:
    """Before the layer's start nobody is on call, even though the rotation is defined there."""
    schedule = Schedule("UTC", (daily_abc(start=utc(2025, 6, 4, 12)),))

    assert on_call_at(schedule, utc(2025, 6, 4, 12) - MICRO) is None
    assert on_call_at(schedule, utc(2025, 6, 4, 12)) == "c"
    assert rows(final_shifts(schedule, utc(2025, 6, 4), utc(2025, 6, 6))) == [
        ("c", utc(2025, 6, 4, 12), utc(2025, 6, 5), 0),
        ("a", utc(2025, 6, 5), utc(2025, 6, 6), 0),
    ]


def test_nobody_is_on_call_from_the_layer_end() -> None:
    """A layer's end is exclusive: its last user is on until just before it, then nobody."""
    schedule = Schedule("UTC", (daily_abc(end=utc(2025, 6, 3, 18)),))

    assert on_call_at(schedule, utc(2025, 6, 3, 18) - MICRO) == "b"
    assert on_call_at(schedule, utc(2025, 6, 3, 18)) is None
    assert on_call_at(schedule, utc(2026, 1, 1)) is None
    assert rows(final_shifts(schedule, utc(2025, 6, 1), utc(2025, 6, 10))) == [
        ("a", utc(2025, 6, 2), utc(2025, 6, 3), 0),
        ("b", utc(2025, 6, 3), utc(2025, 6, 3, 18), 0),
    ]


def test_on_call_far_from_the_rotation_start_is_computed_directly() -> None:
    """Fifty years of hourly turns (438,312 of them, divisible by 3) land back on the first user."""
    layer = Layer(("a", "b", "c"), utc(2000, 1, 1), timedelta(hours=1), start=utc(2000, 1, 1))
    schedule = Schedule("UTC", (layer,))

    assert on_call_at(schedule, utc(2050, 1, 1)) == "a"
    assert on_call_at(schedule, utc(2050, 1, 1, 1)) == "b"
    assert on_call_at(schedule, utc(2050, 1, 1) - MICRO) == "c"


def test_inputs_in_any_zone_are_accepted_and_shifts_come_back_in_utc() -> None:
    """Aware datetimes in any zone work; every rendered shift boundary is in UTC."""
    schedule = Schedule("UTC", (daily_abc(),))
    start = datetime(2025, 6, 3, 2, tzinfo=AMS)  # 00:00 UTC

    assert on_call_at(schedule, start) == "b"
    shifts = final_shifts(schedule, start, start + DAY)
    assert rows(shifts) == [("b", utc(2025, 6, 3), utc(2025, 6, 4), 0)]
    assert shifts[0].start.tzinfo is UTC and shifts[0].end.tzinfo is UTC


# ------------------------------------------------------------------------------ DST hand-offs


def test_weekly_handoff_keeps_local_time_across_the_spring_dst_change() -> None:
    """Monday 09:00 Amsterdam hand-off: 08:00 UTC in CET, 07:00 UTC after clocks go forward."""
    rvs = datetime(2025, 3, 24, 9, tzinfo=AMS)  # Monday, CET
    layer = Layer(("a", "b"), rvs, WEEK, start=utc(2025, 1, 1))
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert next_handoff(schedule, utc(2025, 3, 25)) == utc(2025, 3, 31, 7)
    assert on_call_at(schedule, utc(2025, 3, 31, 7) - MICRO) == "a"
    assert on_call_at(schedule, utc(2025, 3, 31, 7)) == "b"
    assert next_handoff(schedule, utc(2025, 3, 31, 7)) == utc(2025, 4, 7, 7)


def test_weekly_handoff_keeps_local_time_across_the_autumn_dst_change() -> None:
    """Monday 09:00 Amsterdam hand-off: 07:00 UTC in CEST, 08:00 UTC after clocks go back."""
    rvs = datetime(2025, 10, 20, 9, tzinfo=AMS)  # Monday, CEST
    layer = Layer(("a", "b"), rvs, WEEK, start=utc(2025, 1, 1))
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert rvs.astimezone(UTC) == utc(2025, 10, 20, 7)
    assert next_handoff(schedule, utc(2025, 10, 21)) == utc(2025, 10, 27, 8)
    assert on_call_at(schedule, utc(2025, 10, 27, 7, 30)) == "a"
    assert on_call_at(schedule, utc(2025, 10, 27, 8)) == "b"


def test_sub_day_turns_use_absolute_time_across_dst() -> None:
    """12-hour turns keep 12 real hours: the 08:00 CET hand-off becomes 09:00 CEST."""
    rvs = datetime(2025, 3, 29, 8, tzinfo=AMS)  # 07:00 UTC
    layer = Layer(("a", "b", "c"), rvs, timedelta(hours=12), start=utc(2025, 1, 1))
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert next_handoff(schedule, utc(2025, 3, 29, 8)) == utc(2025, 3, 29, 19)
    assert next_handoff(schedule, utc(2025, 3, 29, 20)) == utc(2025, 3, 30, 7)
    assert on_call_at(schedule, utc(2025, 3, 30, 7) - MICRO) == "b"
    assert on_call_at(schedule, utc(2025, 3, 30, 7)) == "c"


def test_daily_handoff_in_the_spring_gap_happens_when_clocks_jump() -> None:
    """A 02:30 local hand-off on the night 02:00 does not exist happens at 03:00 CEST."""
    rvs = datetime(2025, 3, 28, 2, 30, tzinfo=AMS)  # 01:30 UTC
    layer = Layer(("a", "b"), rvs, DAY, start=utc(2025, 1, 1))
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert next_handoff(schedule, utc(2025, 3, 28, 12)) == utc(2025, 3, 29, 1, 30)
    assert next_handoff(schedule, utc(2025, 3, 29, 12)) == utc(2025, 3, 30, 1)
    assert next_handoff(schedule, utc(2025, 3, 30, 1)) == utc(2025, 3, 31, 0, 30)
    assert on_call_at(schedule, utc(2025, 3, 30, 1) - MICRO) == "b"
    assert on_call_at(schedule, utc(2025, 3, 30, 1)) == "a"


def test_daily_handoff_in_the_repeated_autumn_hour_happens_at_its_first_occurrence() -> None:
    """A 02:30 local hand-off on the night 02:00-03:00 happens twice takes the first 02:30."""
    rvs = datetime(2025, 10, 24, 2, 30, tzinfo=AMS)  # 00:30 UTC
    layer = Layer(("a", "b"), rvs, DAY, start=utc(2025, 1, 1))
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert next_handoff(schedule, utc(2025, 10, 24, 12)) == utc(2025, 10, 25, 0, 30)
    assert next_handoff(schedule, utc(2025, 10, 25, 12)) == utc(2025, 10, 26, 0, 30)
    assert next_handoff(schedule, utc(2025, 10, 26, 0, 30)) == utc(2025, 10, 27, 1, 30)
    # 01:10 UTC reads 02:10 CET, "before 02:30" on the wall, yet after the hand-off.
    assert on_call_at(schedule, utc(2025, 10, 26, 0, 30) - MICRO) == "b"
    assert on_call_at(schedule, utc(2025, 10, 26, 1, 10)) == "a"


def test_restriction_windows_follow_local_time_through_dst_gaps_and_repeats() -> None:
    """A 02:00-04:00 local window lasts 1 h on the spring night and 3 h on the autumn night."""
    layer = Layer(
        ("a",),
        utc(2025, 1, 1),
        WEEK,
        start=utc(2025, 1, 1),
        restrictions=(Restriction.daily(time(2), timedelta(hours=2)),),
    )
    schedule = Schedule("Europe/Amsterdam", (layer,))

    assert rows(layer_shifts(schedule, 0, utc(2025, 3, 29), utc(2025, 4, 1))) == [
        ("a", utc(2025, 3, 29, 1), utc(2025, 3, 29, 3), 0),
        ("a", utc(2025, 3, 30, 1), utc(2025, 3, 30, 2), 0),
        ("a", utc(2025, 3, 31, 0), utc(2025, 3, 31, 2), 0),
    ]
    assert rows(layer_shifts(schedule, 0, utc(2025, 10, 25), utc(2025, 10, 28))) == [
        ("a", utc(2025, 10, 25, 0), utc(2025, 10, 25, 2), 0),
        ("a", utc(2025, 10, 26, 0), utc(2025, 10, 26, 3), 0),
        ("a", utc(2025, 10, 27, 1), utc(2025, 10, 27, 3), 0),
    ]


# ------------------------------------------------------------------------ handbook follow-the-sun


def handbook_schedule() -> Schedule:
    """AMER 15-23, APAC 23-07, EMEA 07-15 UTC; weekly turns handing off Monday 07:00 UTC."""
    handoff = utc(2025, 6, 2, 7)  # Monday

    def region(users: tuple[str, str], hour: int, name: str) -> Layer:
        window = Restriction.daily(time(hour), timedelta(hours=8))
        return Layer(users, handoff, WEEK, start=utc(2025, 1, 6), restrictions=(window,), name=name)

    return Schedule(
        "UTC",
        (
            region(("ava", "ben"), 15, "AMER"),
            region(("chen", "dev"), 23, "APAC"),
            region(("emil", "fay"), 7, "EMEA"),
        ),
    )


def test_follow_the_sun_hands_over_between_regions_and_weeks() -> None:
    """Each region is on in its UTC hours; Monday 07:00 UTC moves every region to its next user."""
    schedule = handbook_schedule()

    assert on_call_at(schedule, utc(2025, 6, 2, 6, 59, 59)) == "dev"  # last week's APAC
    assert on_call_at(schedule, utc(2025, 6, 2, 7)) == "emil"
    assert on_call_at(schedule, utc(2025, 6, 4, 14, 59, 59)) == "emil"
    assert on_call_at(schedule, utc(2025, 6, 4, 15)) == "ava"
    assert on_call_at(schedule, utc(2025, 6, 4, 22, 59, 59)) == "ava"
    assert on_call_at(schedule, utc(2025, 6, 7, 23)) == "chen"
    assert on_call_at(schedule, utc(2025, 6, 8, 3, 30)) == "chen"
    assert on_call_at(schedule, utc(2025, 6, 9, 7) - MICRO) == "chen"
    assert on_call_at(schedule, utc(2025, 6, 9, 7)) == "fay"
    assert on_call_at(schedule, utc(2025, 6, 9, 15)) == "ben"
    assert on_call_at(schedule, utc(2025, 6, 9, 23)) == "dev"
    assert next_handoff(schedule, utc(2025, 6, 9, 3)) == utc(2025, 6, 9, 7)


def test_follow_the_sun_final_shifts_for_a_week() -> None:
    """A week renders as 8-hour regional shifts, with the Monday 07:00 UTC hand-off at each end."""
    schedule = handbook_schedule()

    shifts = final_shifts(schedule, utc(2025, 6, 2), utc(2025, 6, 9, 15))

    assert rows(shifts) == [
        ("dev", utc(2025, 6, 2, 0), utc(2025, 6, 2, 7), 1),
        ("emil", utc(2025, 6, 2, 7), utc(2025, 6, 2, 15), 2),
        ("ava", utc(2025, 6, 2, 15), utc(2025, 6, 2, 23), 0),
        ("chen", utc(2025, 6, 2, 23), utc(2025, 6, 3, 7), 1),
        ("emil", utc(2025, 6, 3, 7), utc(2025, 6, 3, 15), 2),
        ("ava", utc(2025, 6, 3, 15), utc(2025, 6, 3, 23), 0),
        ("chen", utc(2025, 6, 3, 23), utc(2025, 6, 4, 7), 1),
        ("emil", utc(2025, 6, 4, 7), utc(2025, 6, 4, 15), 2),
        ("ava", utc(2025, 6, 4, 15), utc(2025, 6, 4, 23), 0),
        ("chen", utc(2025, 6, 4, 23), utc(2025, 6, 5, 7), 1),
        ("emil", utc(2025, 6, 5, 7), utc(2025, 6, 5, 15), 2),
        ("ava", utc(2025, 6, 5, 15), utc(2025, 6, 5, 23), 0),
        ("chen", utc(2025, 6, 5, 23), utc(2025, 6, 6, 7), 1),
        ("emil", utc(2025, 6, 6, 7), utc(2025, 6, 6, 15), 2),
        ("ava", utc(2025, 6, 6, 15), utc(2025, 6, 6, 23), 0),
        ("chen", utc(2025, 6, 6, 23), utc(2025, 6, 7, 7), 1),
        ("emil", utc(2025, 6, 7, 7), utc(2025, 6, 7, 15), 2),
        ("ava", utc(2025, 6, 7, 15), utc(2025, 6, 7, 23), 0),
        ("chen", utc(2025, 6, 7, 23), utc(2025, 6, 8, 7), 1),
        ("emil", utc(2025, 6, 8, 7), utc(2025, 6, 8, 15), 2),
        ("ava", utc(2025, 6, 8, 15), utc(2025, 6, 8, 23), 0),
        ("chen", utc(2025, 6, 8, 23), utc(2025, 6, 9, 7), 1),
        ("fay", utc(2025, 6, 9, 7), utc(2025, 6, 9, 15), 2),
    ]


def amsterdam_day_and_night(rotation_virtual_start: datetime) -> Schedule:
    """Day layer 08:00-16:00 local, night layer 16:00-08:00 local, weekly Monday 09:00 hand-off."""
    start = utc(2025, 1, 1)
    day = Layer(
        ("emma", "lars", "sofia"),
        rotation_virtual_start,
        WEEK,
        start=start,
        restrictions=(Restriction.daily(time(8), timedelta(hours=8)),),
        name="day",
    )
    night = Layer(
        ("noor", "piet"),
        rotation_virtual_start,
        WEEK,
        start=start,
        restrictions=(Restriction.daily(time(16), timedelta(hours=16)),),
        name="night",
    )
    return Schedule("Europe/Amsterdam", (day, night))


def test_amsterdam_week_with_clocks_going_forward_keeps_local_boundaries() -> None:
    """From 2025-03-30 every boundary is an hour earlier in UTC; the 09:00 hand-off is 07:00 UTC."""
    schedule = amsterdam_day_and_night(datetime(2025, 3, 17, 9, tzinfo=AMS))

    shifts = final_shifts(schedule, utc(2025, 3, 29), utc(2025, 4, 1))

    assert rows(shifts) == [
        ("piet", utc(2025, 3, 29, 0), utc(2025, 3, 29, 7), 1),
        ("lars", utc(2025, 3, 29, 7), utc(2025, 3, 29, 15), 0),
        ("piet", utc(2025, 3, 29, 15), utc(2025, 3, 30, 6), 1),  # 16:00 CET to 08:00 CEST
        ("lars", utc(2025, 3, 30, 6), utc(2025, 3, 30, 14), 0),
        ("piet", utc(2025, 3, 30, 14), utc(2025, 3, 31, 6), 1),
        ("lars", utc(2025, 3, 31, 6), utc(2025, 3, 31, 7), 0),
        ("sofia", utc(2025, 3, 31, 7), utc(2025, 3, 31, 14), 0),  # 09:00 CEST hand-off
        ("noor", utc(2025, 3, 31, 14), utc(2025, 4, 1), 1),
    ]


def test_amsterdam_week_with_clocks_going_back_keeps_local_boundaries() -> None:
    """From 2025-10-26 every boundary is an hour later in UTC; the 09:00 hand-off is 08:00 UTC."""
    schedule = amsterdam_day_and_night(datetime(2025, 10, 13, 9, tzinfo=AMS))

    shifts = final_shifts(schedule, utc(2025, 10, 25), utc(2025, 10, 28))

    assert rows(shifts) == [
        ("piet", utc(2025, 10, 25, 0), utc(2025, 10, 25, 6), 1),
        ("lars", utc(2025, 10, 25, 6), utc(2025, 10, 25, 14), 0),
        ("piet", utc(2025, 10, 25, 14), utc(2025, 10, 26, 7), 1),  # 16:00 CEST to 08:00 CET
        ("lars", utc(2025, 10, 26, 7), utc(2025, 10, 26, 15), 0),
        ("piet", utc(2025, 10, 26, 15), utc(2025, 10, 27, 7), 1),
        ("lars", utc(2025, 10, 27, 7), utc(2025, 10, 27, 8), 0),
        ("sofia", utc(2025, 10, 27, 8), utc(2025, 10, 27, 15), 0),  # 09:00 CET hand-off
        ("noor", utc(2025, 10, 27, 15), utc(2025, 10, 28), 1),
    ]
    assert on_call_at(schedule, utc(2025, 10, 27, 7, 59)) == "lars"
    assert on_call_at(schedule, utc(2025, 10, 27, 8)) == "sofia"


# -------------------------------------------------------------------------------- restrictions


def test_restriction_skips_the_weekend_turn_instead_of_moving_it_to_monday() -> None:
    """With a weekday-only window the Saturday user is skipped; Monday keeps its own user."""
    weekdays = Restriction.weekly(0, time(0), timedelta(days=5))
    schedule = Schedule("UTC", (daily_abc(restrictions=(weekdays,)),))

    assert on_call_at(schedule, utc(2025, 6, 7, 12)) is None  # Saturday: c's turn, clipped
    assert on_call_at(schedule, utc(2025, 6, 9, 12)) == "b"  # Monday: turn 7 -> b, not c
    assert rows(layer_shifts(schedule, 0, utc(2025, 6, 2), utc(2025, 6, 10))) == [
        ("a", utc(2025, 6, 2), utc(2025, 6, 3), 0),
        ("b", utc(2025, 6, 3), utc(2025, 6, 4), 0),
        ("c", utc(2025, 6, 4), utc(2025, 6, 5), 0),
        ("a", utc(2025, 6, 5), utc(2025, 6, 6), 0),
        ("b", utc(2025, 6, 6), utc(2025, 6, 7), 0),
        ("b", utc(2025, 6, 9), utc(2025, 6, 10), 0),
    ]


def test_daily_restriction_clips_each_turn_to_its_hours() -> None:
    """A 09:00-17:00 restriction leaves only those hours of each daily turn."""
    office = Restriction.daily(time(9), timedelta(hours=8))
    schedule = Schedule("UTC", (daily_abc(restrictions=(office,)),))

    assert on_call_at(schedule, utc(2025, 6, 3, 8, 59)) is None
    assert on_call_at(schedule, utc(2025, 6, 3, 9)) == "b"
    assert on_call_at(schedule, utc(2025, 6, 3, 17)) is None
    assert rows(final_shifts(schedule, utc(2025, 6, 2, 12), utc(2025, 6, 4))) == [
        ("a", utc(2025, 6, 2, 12), utc(2025, 6, 2, 17), 0),
        ("b", utc(2025, 6, 3, 9), utc(2025, 6, 3, 17), 0),
    ]


def test_restriction_window_across_a_turn_boundary_is_split_between_users() -> None:
    """An overnight 22:00-06:00 window crosses the midnight hand-off: two users share it."""
    overnight = Restriction.daily(time(22), timedelta(hours=8))
    schedule = Schedule("UTC", (daily_abc(restrictions=(overnight,)),))

    assert rows(final_shifts(schedule, utc(2025, 6, 2), utc(2025, 6, 3, 12))) == [
        ("a", utc(2025, 6, 2, 0), utc(2025, 6, 2, 6), 0),
        ("a", utc(2025, 6, 2, 22), utc(2025, 6, 3, 0), 0),
        ("b", utc(2025, 6, 3, 0), utc(2025, 6, 3, 6), 0),
    ]


def test_several_restrictions_cover_their_union() -> None:
    """Overlapping windows 08:00-12:00 and 10:00-14:00 plus 20:00-21:00 give 08-14 and 20-21."""
    layer = Layer(
        ("a",),
        utc(2025, 6, 2),
        WEEK,
        start=utc(2025, 6, 2),
        restrictions=(
            Restriction.daily(time(8), timedelta(hours=4)),
            Restriction.daily(time(10), timedelta(hours=4)),
            Restriction.daily(time(20), timedelta(hours=1)),
        ),
    )
    schedule = Schedule("UTC", (layer,))

    assert rows(layer_shifts(schedule, 0, utc(2025, 6, 3), utc(2025, 6, 4))) == [
        ("a", utc(2025, 6, 3, 8), utc(2025, 6, 3, 14), 0),
        ("a", utc(2025, 6, 3, 20), utc(2025, 6, 3, 21), 0),
    ]


def test_weekly_restriction_across_the_weekend_covers_friday_evening_to_monday_morning() -> None:
    """Friday 17:00 for 2 days 16 hours is on duty until Monday 09:00."""
    weekend = Restriction.weekly(4, time(17), timedelta(days=2, hours=16))
    layer = Layer(("a", "b"), utc(2025, 6, 2), WEEK, start=utc(2025, 1, 6), restrictions=(weekend,))
    schedule = Schedule("UTC", (layer,))

    assert on_call_at(schedule, utc(2025, 6, 6, 16, 59)) is None
    assert on_call_at(schedule, utc(2025, 6, 8, 3)) == "a"
    assert rows(final_shifts(schedule, utc(2025, 6, 2), utc(2025, 6, 16))) == [
        ("a", utc(2025, 6, 2), utc(2025, 6, 2, 9), 0),
        ("a", utc(2025, 6, 6, 17), utc(2025, 6, 9), 0),
        ("b", utc(2025, 6, 9), utc(2025, 6, 9, 9), 0),
        ("b", utc(2025, 6, 13, 17), utc(2025, 6, 16), 0),
    ]


def test_full_day_restriction_is_the_same_as_no_restriction() -> None:
    """A 24-hour daily window leaves the rotation unclipped and unsplit."""
    always = Restriction.daily(time(6), timedelta(hours=24))
    schedule = Schedule("UTC", (daily_abc(restrictions=(always,)),))

    assert rows(layer_shifts(schedule, 0, utc(2025, 6, 2), utc(2025, 6, 4))) == [
        ("a", utc(2025, 6, 2), utc(2025, 6, 3), 0),
        ("b", utc(2025, 6, 3), utc(2025, 6, 4), 0),
    ]


# ----------------------------------------------------------------------------------- overrides


def test_override_inside_a_shift_splits_it() -> None:
    """An override in the middle of b's turn puts x on call for exactly its span."""
    override = Override("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 14), created_at=utc(2025, 6, 1))
    schedule = Schedule("UTC", (daily_abc(),), (override,))

    assert on_call_at(schedule, utc(2025, 6, 3, 12)) == "x"
    assert on_call_at(schedule, utc(2025, 6, 3, 14)) == "b"
    assert rows(final_shifts(schedule, utc(2025, 6, 3), utc(2025, 6, 4))) == [
        ("b", utc(2025, 6, 3, 0), utc(2025, 6, 3, 10), 0),
        ("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 14), "override"),
        ("b", utc(2025, 6, 3, 14), utc(2025, 6, 4, 0), 0),
    ]


def test_override_across_two_shifts_covers_the_handoff() -> None:
    """An override from 18:00 to 06:00 takes the end of b's turn and the start of c's."""
    override = Override("x", utc(2025, 6, 3, 18), utc(2025, 6, 4, 6), created_at=utc(2025, 6, 1))
    schedule = Schedule("UTC", (daily_abc(),), (override,))

    assert on_call_at(schedule, utc(2025, 6, 4)) == "x"
    assert rows(final_shifts(schedule, utc(2025, 6, 3), utc(2025, 6, 5))) == [
        ("b", utc(2025, 6, 3), utc(2025, 6, 3, 18), 0),
        ("x", utc(2025, 6, 3, 18), utc(2025, 6, 4, 6), "override"),
        ("c", utc(2025, 6, 4, 6), utc(2025, 6, 5), 0),
    ]


def test_overlapping_overrides_newest_wins() -> None:
    """Where overrides overlap, the one created last wins, wherever it sits in the list."""
    older = Override("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 16), created_at=utc(2025, 6, 1))
    newer = Override("y", utc(2025, 6, 3, 12), utc(2025, 6, 3, 14), created_at=utc(2025, 6, 1, 1))
    schedule = Schedule("UTC", (daily_abc(),), (newer, older))

    assert on_call_at(schedule, utc(2025, 6, 3, 13)) == "y"
    assert rows(final_shifts(schedule, utc(2025, 6, 3, 9), utc(2025, 6, 3, 17))) == [
        ("b", utc(2025, 6, 3, 9), utc(2025, 6, 3, 10), 0),
        ("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 12), "override"),
        ("y", utc(2025, 6, 3, 12), utc(2025, 6, 3, 14), "override"),
        ("x", utc(2025, 6, 3, 14), utc(2025, 6, 3, 16), "override"),
        ("b", utc(2025, 6, 3, 16), utc(2025, 6, 3, 17), 0),
    ]


def test_older_override_is_hidden_by_a_newer_one_that_contains_it() -> None:
    """A short override created before a long one over the same hours never shows."""
    short = Override("y", utc(2025, 6, 3, 12), utc(2025, 6, 3, 14), created_at=utc(2025, 6, 1))
    long = Override("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 16), created_at=utc(2025, 6, 2))
    schedule = Schedule("UTC", (daily_abc(),), (short, long))

    assert on_call_at(schedule, utc(2025, 6, 3, 13)) == "x"
    assert rows(final_shifts(schedule, utc(2025, 6, 3, 9), utc(2025, 6, 3, 17))) == [
        ("b", utc(2025, 6, 3, 9), utc(2025, 6, 3, 10), 0),
        ("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 16), "override"),
        ("b", utc(2025, 6, 3, 16), utc(2025, 6, 3, 17), 0),
    ]


def test_overrides_created_at_the_same_instant_are_ranked_by_position() -> None:
    """With equal created_at the override later in the list wins."""
    created = utc(2025, 6, 1)
    first = Override("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 16), created_at=created)
    second = Override("y", utc(2025, 6, 3, 12), utc(2025, 6, 3, 20), created_at=created)
    schedule = Schedule("UTC", (daily_abc(),), (first, second))

    assert on_call_at(schedule, utc(2025, 6, 3, 13)) == "y"
    assert rows(final_shifts(schedule, utc(2025, 6, 3, 10), utc(2025, 6, 3, 20))) == [
        ("x", utc(2025, 6, 3, 10), utc(2025, 6, 3, 12), "override"),
        ("y", utc(2025, 6, 3, 12), utc(2025, 6, 3, 20), "override"),
    ]


def test_override_outside_any_layer_coverage_still_puts_someone_on_call() -> None:
    """On a Saturday the weekday-only layer is off, but an override still pages its user."""
    weekdays = Restriction.weekly(0, time(0), timedelta(days=5))
    override = Override("zed", utc(2025, 6, 7, 10), utc(2025, 6, 7, 12), created_at=utc(2025, 6, 1))
    schedule = Schedule("UTC", (daily_abc(restrictions=(weekdays,)),), (override,))

    assert on_call_at(schedule, utc(2025, 6, 7, 11)) == "zed"
    assert on_call_at(schedule, utc(2025, 6, 7, 12)) is None
    assert rows(final_shifts(schedule, utc(2025, 6, 7), utc(2025, 6, 8))) == [
        ("zed", utc(2025, 6, 7, 10), utc(2025, 6, 7, 12), "override"),
    ]


def test_schedule_with_only_an_override_has_someone_on_call_for_it() -> None:
    """A schedule without layers is empty except for its overrides."""
    override = Override("zed", utc(2025, 6, 7, 10), utc(2025, 6, 7, 12), created_at=utc(2025, 6, 1))
    schedule = Schedule("UTC", (), (override,))

    assert on_call_at(schedule, utc(2025, 6, 7, 9)) is None
    assert on_call_at(schedule, utc(2025, 6, 7, 10)) == "zed"
    assert rows(final_shifts(schedule, utc(2025, 6, 7, 11), utc(2025, 6, 8))) == [
        ("zed", utc(2025, 6, 7, 11), utc(2025, 6, 7, 12), "override"),
    ]


def test_override_by_the_user_already_on_call_merges_into_one_shift() -> None:
    """b overriding the night after b's turn makes one b shift; it keeps its first source."""
    override = Override("b", utc(2025, 6, 3, 22), utc(2025, 6, 4, 2), created_at=utc(2025, 6, 1))
    schedule = Schedule("UTC", (daily_abc(),), (override,))

    assert rows(final_shifts(schedule, utc(2025, 6, 3), utc(2025, 6, 5))) == [
        ("b", utc(2025, 6, 3), utc(2025, 6, 4, 2), 0),
        ("c", utc(2025, 6, 4, 2), utc(2025, 6, 5), 0),
    ]


# ---------------------------------------------------------------------------- layer precedence


def office_hours_over_base() -> Schedule:
    """Layer 0: a, b, c daily around the clock. Layer 1: mia weekdays 09:00-17:00 UTC."""
    office = Layer(
        ("mia",),
        utc(2025, 6, 2),
        WEEK,
        start=utc(2025, 6, 2),
        restrictions=tuple(
            Restriction.weekly(day, time(9), timedelta(hours=8)) for day in range(5)
        ),
    )
    return Schedule("UTC", (daily_abc(), office))


def test_higher_layer_wins_where_it_covers_and_lower_shows_through_its_gaps() -> None:
    """mia (higher) is on in office hours; the base rotation fills nights and the weekend."""
    schedule = office_hours_over_base()

    assert on_call_at(schedule, utc(2025, 6, 3, 12)) == "mia"
    assert on_call_at(schedule, utc(2025, 6, 3, 20)) == "b"
    assert on_call_at(schedule, utc(2025, 6, 7, 12)) == "c"  # Saturday: no office hours
    assert rows(final_shifts(schedule, utc(2025, 6, 6), utc(2025, 6, 8))) == [
        ("b", utc(2025, 6, 6, 0), utc(2025, 6, 6, 9), 0),
        ("mia", utc(2025, 6, 6, 9), utc(2025, 6, 6, 17), 1),
        ("b", utc(2025, 6, 6, 17), utc(2025, 6, 7, 0), 0),
        ("c", utc(2025, 6, 7, 0), utc(2025, 6, 8, 0), 0),
    ]


def test_layer_shifts_show_one_layer_without_precedence_or_overrides() -> None:
    """layer_shifts(0) is the base rotation even where mia and an override are on call."""
    override = Override("zed", utc(2025, 6, 3, 1), utc(2025, 6, 3, 2), created_at=utc(2025, 6, 1))
    schedule = replace(office_hours_over_base(), overrides=(override,))

    assert rows(layer_shifts(schedule, 0, utc(2025, 6, 3), utc(2025, 6, 4))) == [
        ("b", utc(2025, 6, 3), utc(2025, 6, 4), 0),
    ]
    assert rows(layer_shifts(schedule, 1, utc(2025, 6, 3), utc(2025, 6, 4))) == [
        ("mia", utc(2025, 6, 3, 9), utc(2025, 6, 3, 17), 1),
    ]


def test_higher_layer_is_ignored_outside_its_start_and_end() -> None:
    """A higher layer that has not started yet or has ended lets the lower layer show."""
    cover = Layer(("zed",), utc(2025, 6, 4), DAY, start=utc(2025, 6, 4), end=utc(2025, 6, 5))
    schedule = Schedule("UTC", (daily_abc(), cover))

    assert on_call_at(schedule, utc(2025, 6, 3, 12)) == "b"
    assert on_call_at(schedule, utc(2025, 6, 4, 12)) == "zed"
    assert on_call_at(schedule, utc(2025, 6, 5, 12)) == "a"


# ------------------------------------------------------------------------- edits, future only


def test_editing_a_layer_changes_only_the_future() -> None:
    """Ending the old layer at T and adding a reordered one from T keeps every shift before T."""
    edit_at = utc(2025, 6, 5, 12)
    original = Schedule("UTC", (daily_abc(),))
    old = daily_abc(end=edit_at)
    new = Layer(("c", "a", "b"), edit_at, DAY, start=edit_at)
    edited = Schedule("UTC", (old, new))

    before = final_shifts(original, utc(2025, 6, 2), edit_at)
    shifts = final_shifts(edited, utc(2025, 6, 2), utc(2025, 6, 8))

    assert rows(shifts) == [
        ("a", utc(2025, 6, 2), utc(2025, 6, 3), 0),
        ("b", utc(2025, 6, 3), utc(2025, 6, 4), 0),
        ("c", utc(2025, 6, 4), utc(2025, 6, 5), 0),
        ("a", utc(2025, 6, 5), utc(2025, 6, 5, 12), 0),
        ("c", utc(2025, 6, 5, 12), utc(2025, 6, 6, 12), 1),
        ("a", utc(2025, 6, 6, 12), utc(2025, 6, 7, 12), 1),
        ("b", utc(2025, 6, 7, 12), utc(2025, 6, 8), 1),
    ]
    assert shifts[:4] == before
    assert on_call_at(edited, edit_at - MICRO) == on_call_at(original, edit_at - MICRO) == "a"


# ------------------------------------------------------------------------------- next hand-off


def test_next_handoff_is_the_next_change_of_the_person_on_call() -> None:
    """From inside b's turn the next change is the midnight hand-off to c."""
    schedule = Schedule("UTC", (daily_abc(),))

    assert next_handoff(schedule, utc(2025, 6, 3, 5)) == utc(2025, 6, 4)
    assert next_handoff(schedule, utc(2025, 6, 4)) == utc(2025, 6, 5)


def test_next_handoff_counts_going_off_call_and_coming_on_call() -> None:
    """Leaving a restriction window is a change to nobody; from nobody, the next shift start."""
    office = Restriction.daily(time(9), timedelta(hours=8))
    schedule = Schedule("UTC", (daily_abc(restrictions=(office,)),))

    assert next_handoff(schedule, utc(2025, 6, 3, 10)) == utc(2025, 6, 3, 17)
    assert next_handoff(schedule, utc(2025, 6, 3, 17)) == utc(2025, 6, 4, 9)
    assert next_handoff(schedule, utc(2025, 5, 1)) == utc(2025, 6, 2, 9)


def test_next_handoff_is_none_when_nothing_changes_within_the_horizon() -> None:
    """A one-person open-ended layer never hands off; an empty future never changes."""
    solo = Layer(("a",), utc(2025, 6, 2), WEEK, start=utc(2025, 6, 2))
    schedule = Schedule("UTC", (solo,))

    assert next_handoff(schedule, utc(2025, 6, 3)) is None
    assert next_handoff(Schedule("UTC"), utc(2025, 6, 3)) is None
    ended = Schedule("UTC", (replace(solo, end=utc(2026, 2, 1)),))
    assert next_handoff(ended, utc(2025, 6, 3)) == utc(2026, 2, 1)
    assert next_handoff(ended, utc(2025, 6, 3), horizon=timedelta(days=30)) is None


def test_empty_schedule_has_nobody_on_call() -> None:
    """No layers and no overrides: nobody, and no shifts."""
    schedule = Schedule("Europe/Amsterdam")

    assert on_call_at(schedule, utc(2025, 6, 3)) is None
    assert final_shifts(schedule, utc(2025, 6, 3), utc(2025, 6, 4)) == []


# ---------------------------------------------------------------------------------- validation


def test_layer_rejects_empty_users() -> None:
    """A layer needs at least one user."""
    with pytest.raises(ValueError, match="users must not be empty"):
        Layer((), utc(2025, 6, 2), DAY, start=utc(2025, 6, 2))


def test_layer_rejects_a_bare_string_as_users() -> None:
    """users="abc" is a mistake, not three users."""
    with pytest.raises(ValueError, match="sequence of str"):
        Layer("abc", utc(2025, 6, 2), DAY, start=utc(2025, 6, 2))  # type: ignore[arg-type]


def test_layer_rejects_non_positive_turn_length() -> None:
    """Turn length must be positive."""
    with pytest.raises(ValueError, match="turn_length must be a positive timedelta"):
        Layer(("a",), utc(2025, 6, 2), timedelta(0), start=utc(2025, 6, 2))
    with pytest.raises(ValueError, match="turn_length must be a positive timedelta"):
        Layer(("a",), utc(2025, 6, 2), -DAY, start=utc(2025, 6, 2))


def test_layer_rejects_naive_datetimes() -> None:
    """Rotation start, start and end must be timezone-aware."""
    naive = datetime(2025, 6, 2)
    with pytest.raises(ValueError, match="rotation_virtual_start must be timezone-aware"):
        Layer(("a",), naive, DAY, start=utc(2025, 6, 2))
    with pytest.raises(ValueError, match="layer start must be timezone-aware"):
        Layer(("a",), utc(2025, 6, 2), DAY, start=naive)
    with pytest.raises(ValueError, match="layer end must be timezone-aware"):
        Layer(("a",), utc(2025, 6, 2), DAY, start=utc(2025, 6, 2), end=datetime(2025, 7, 1))


def test_layer_rejects_end_not_after_start() -> None:
    """A layer's end must be strictly after its start."""
    with pytest.raises(ValueError, match="must be after its start"):
        Layer(("a",), utc(2025, 6, 2), DAY, start=utc(2025, 6, 2), end=utc(2025, 6, 2))


def test_override_rejects_naive_datetimes_and_empty_spans() -> None:
    """Overrides need aware datetimes, a user, and end after start."""
    with pytest.raises(ValueError, match="override start must be timezone-aware"):
        Override("x", datetime(2025, 6, 3), utc(2025, 6, 4), created_at=utc(2025, 6, 1))
    with pytest.raises(ValueError, match="created_at must be timezone-aware"):
        Override("x", utc(2025, 6, 3), utc(2025, 6, 4), created_at=datetime(2025, 6, 1))
    with pytest.raises(ValueError, match="must be after its start"):
        Override("x", utc(2025, 6, 4), utc(2025, 6, 3), created_at=utc(2025, 6, 1))
    with pytest.raises(ValueError, match="non-empty user id"):
        Override("", utc(2025, 6, 3), utc(2025, 6, 4), created_at=utc(2025, 6, 1))


def test_restriction_rejects_bad_durations_and_weekdays() -> None:
    """Durations fit in their period; weekdays are 0-6; start times are naive local times."""
    with pytest.raises(ValueError, match=r"daily restriction duration must be in \(0, 1 day"):
        Restriction.daily(time(8), timedelta(hours=25))
    with pytest.raises(ValueError, match="duration must be in"):
        Restriction.daily(time(8), timedelta(0))
    with pytest.raises(ValueError, match=r"weekly restriction duration must be in \(0, 7 days"):
        Restriction.weekly(0, time(8), timedelta(days=8))
    with pytest.raises(ValueError, match="start_weekday must be 0"):
        Restriction.weekly(7, time(8), timedelta(hours=8))
    with pytest.raises(ValueError, match="naive local time"):
        Restriction.daily(time(8, tzinfo=UTC), timedelta(hours=8))


def test_schedule_rejects_unknown_time_zones() -> None:
    """The zone must be a known IANA name."""
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Schedule("Mars/Olympus")


def test_queries_reject_naive_instants_and_empty_windows() -> None:
    """on_call_at, final_shifts, layer_shifts and next_handoff need aware, non-empty input."""
    schedule = Schedule("UTC", (daily_abc(),))
    with pytest.raises(ValueError, match="t must be timezone-aware"):
        on_call_at(schedule, datetime(2025, 6, 3))
    with pytest.raises(ValueError, match="t must be timezone-aware"):
        next_handoff(schedule, datetime(2025, 6, 3))
    with pytest.raises(ValueError, match="window start must be timezone-aware"):
        final_shifts(schedule, datetime(2025, 6, 3), utc(2025, 6, 4))
    with pytest.raises(ValueError, match=r"window end .* must be after its start"):
        final_shifts(schedule, utc(2025, 6, 4), utc(2025, 6, 4))
    with pytest.raises(ValueError, match=r"window end .* must be after its start"):
        layer_shifts(schedule, 0, utc(2025, 6, 4), utc(2025, 6, 3))
    with pytest.raises(ValueError, match="layer_index 1 out of range"):
        layer_shifts(schedule, 1, utc(2025, 6, 3), utc(2025, 6, 4))


# --------------------------------------------------------------------------------- properties

ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/St_Johns",  # -03:30 / -02:30
    "Pacific/Chatham",  # +12:45 / +13:45, changes at 02:45 / 03:45 local
    "Asia/Kolkata",
]
# Near DST changes (Northern spring/autumn, US, Southern hemisphere) and a quiet week.
BASES = [
    utc(2025, 3, 9),
    utc(2025, 3, 30),
    utc(2025, 4, 6),
    utc(2025, 6, 15),
    utc(2025, 9, 28),
    utc(2025, 10, 5),
    utc(2025, 10, 26),
    utc(2025, 11, 2),
]
TURNS = [
    timedelta(minutes=45),
    timedelta(hours=1),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=36),
    DAY,
    timedelta(days=2),
    WEEK,
]
USERS = ["ann", "bob", "cat", "dan"]
MINUTE = timedelta(minutes=1)


@st.composite
def restriction_strategy(draw: st.DrawFn) -> Restriction:
    start_time = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    if draw(st.booleans()):
        return Restriction.daily(start_time, draw(st.integers(1, 24 * 4)) * 15 * MINUTE)
    weekday = draw(st.integers(0, 6))
    return Restriction.weekly(weekday, start_time, draw(st.integers(1, 7 * 24)) * 60 * MINUTE)


@st.composite
def layer_strategy(draw: st.DrawFn, base: datetime) -> Layer:
    users = tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)))
    rvs = base + draw(st.integers(-40 * 24 * 60, 10 * 24 * 60)) * MINUTE
    start = base + draw(st.integers(-30 * 24 * 60, 8 * 24 * 60)) * MINUTE
    end = None
    if draw(st.booleans()):
        end = start + draw(st.integers(1, 30 * 24 * 60)) * MINUTE
    restrictions = tuple(draw(st.lists(restriction_strategy(), max_size=2)))
    return Layer(users, rvs, draw(st.sampled_from(TURNS)), start, end, restrictions)


@st.composite
def override_strategy(draw: st.DrawFn, base: datetime) -> Override:
    start = base + draw(st.integers(-5 * 24 * 60, 10 * 24 * 60)) * MINUTE
    end = start + draw(st.integers(1, 3 * 24 * 60)) * MINUTE
    created_at = base + draw(st.integers(0, 3)) * timedelta(hours=1)  # ties on purpose
    return Override(draw(st.sampled_from([*USERS, "zed"])), start, end, created_at)


@st.composite
def scenario_strategy(
    draw: st.DrawFn, zones: list[str] = ZONES
) -> tuple[Schedule, datetime, datetime, list[datetime]]:
    base = draw(st.sampled_from(BASES))
    layers = tuple(draw(st.lists(layer_strategy(base), max_size=3)))
    overrides = tuple(draw(st.lists(override_strategy(base), max_size=3)))
    schedule = Schedule(draw(st.sampled_from(zones)), layers, overrides)
    lo = base + draw(st.integers(-6 * 24 * 60, 6 * 24 * 60)) * MINUTE
    hi = lo + draw(st.integers(1, 12 * 24 * 60)) * MINUTE
    span = int((hi - lo).total_seconds())
    seconds = draw(st.lists(st.integers(0, span - 1), min_size=1, max_size=20))
    return schedule, lo, hi, [lo + timedelta(seconds=s) for s in seconds]


def merged(shifts: list[Shift]) -> list[tuple[str, datetime, datetime]]:
    out: list[tuple[str, datetime, datetime]] = []
    for s in shifts:
        if out and out[-1][0] == s.user and out[-1][2] == s.start:
            out[-1] = (s.user, out[-1][1], s.end)
        else:
            out.append((s.user, s.start, s.end))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy())
def test_on_call_at_agrees_with_final_shifts(
    scenario: tuple[Schedule, datetime, datetime, list[datetime]],
) -> None:
    """At every instant, on_call_at names the user of the final shift holding it (or None);
    final shifts are sorted, non-overlapping, inside the window and maximally merged."""
    schedule, lo, hi, instants = scenario
    shifts = final_shifts(schedule, lo, hi)

    for shift in shifts:
        assert lo <= shift.start < shift.end <= hi
    for prev, nxt in pairwise(shifts):
        assert prev.end <= nxt.start
        assert not (prev.end == nxt.start and prev.user == nxt.user)

    # Random instants, plus every boundary and the instant just inside each end.
    probes = list(instants)
    for shift in shifts:
        probes += [shift.start, shift.end - MICRO]
        if shift.end < hi:
            probes.append(shift.end)
    for t in probes:
        holding = [s.user for s in shifts if s.start <= t < s.end]
        assert on_call_at(schedule, t) == (holding[0] if holding else None), t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(), st.integers(1, 10_000))
def test_final_shifts_do_not_depend_on_how_the_window_is_cut(
    scenario: tuple[Schedule, datetime, datetime, list[datetime]], cut: int
) -> None:
    """Rendering [lo, hi) equals rendering [lo, mid) and [mid, hi) and joining the pieces."""
    schedule, lo, hi, _ = scenario
    mid = lo + (hi - lo) * cut // 10_001
    if not lo < mid < hi:
        return

    whole = merged(final_shifts(schedule, lo, hi))
    joined = merged(final_shifts(schedule, lo, mid) + final_shifts(schedule, mid, hi))

    assert whole == joined


def reference_on_call(schedule: Schedule, t: datetime) -> str | None:
    """Independent oracle for UTC schedules: modular arithmetic on seconds, no DST involved."""
    covering = [
        (o.created_at, i, o.user) for i, o in enumerate(schedule.overrides) if o.start <= t < o.end
    ]
    if covering:
        return max(covering)[2]
    for layer in reversed(schedule.layers):
        if t < layer.start or (layer.end is not None and t >= layer.end):
            continue
        if layer.restrictions:
            midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
            monday = midnight - timedelta(days=t.weekday())
            inside = False
            for r in layer.restrictions:
                offset = timedelta(hours=r.start_time.hour, minutes=r.start_time.minute)
                if r.kind == "daily":
                    inside |= (t - midnight - offset) % DAY < r.duration
                else:
                    assert r.start_weekday is not None
                    since = t - monday - r.start_weekday * DAY - offset
                    inside |= since % WEEK < r.duration
            if not inside:
                continue
        k = (t - layer.rotation_virtual_start) // layer.turn_length
        return layer.users[k % len(layer.users)]
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(zones=["UTC"]))
def test_on_call_at_matches_a_brute_force_reference_in_utc(
    scenario: tuple[Schedule, datetime, datetime, list[datetime]],
) -> None:
    """In UTC the rule is plain modular arithmetic; on_call_at agrees with it everywhere."""
    schedule, lo, hi, instants = scenario
    shifts = final_shifts(schedule, lo, hi)
    probes = list(instants) + [s.start for s in shifts] + [s.end - MICRO for s in shifts]

    for t in probes:
        assert on_call_at(schedule, t) == reference_on_call(schedule, t), t


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(BASES),
    st.integers(5, 22),
    st.sampled_from([0, 15, 30]),
    st.sampled_from([1, 2, 7, 14]),
)
def test_whole_day_handoffs_keep_local_wall_clock_time(
    zone_name: str, base: datetime, hour: int, minute: int, days: int
) -> None:
    """Every hand-off of a whole-day rotation happens at the rotation start's local time."""
    zone = ZoneInfo(zone_name)
    rvs = datetime.combine(base.date() - timedelta(days=20), time(hour, minute), tzinfo=zone)
    layer = Layer(("a", "b"), rvs, days * DAY, start=rvs)
    schedule = Schedule(zone_name, (layer,))

    shifts = layer_shifts(schedule, 0, rvs, base + timedelta(days=40))

    assert len(shifts) >= 2
    for shift in shifts:
        assert shift.start.astimezone(zone).time() == time(hour, minute)
