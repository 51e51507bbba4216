"""Tests for switchboard.sla.business_time (DOMAIN.md section 3).

Expected values are written out by hand (UTC literals, with the local wall time in a comment);
none is computed by the code under test. The hypothesis properties at the end check the
definitions (round trip, minimality, monotonicity, additivity) and compare against an
independent minute-by-minute oracle built on zoneinfo alone.
"""

from __future__ import annotations

import copy
import math
import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.sla.business_time import (
    BusinessSchedule,
    WeeklyInterval,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_open,
    next_opening,
    open_intervals,
)

W = WeeklyInterval
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
AMS = ZoneInfo("Europe/Amsterdam")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def Z(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A UTC datetime literal."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Default schedules of DOMAIN.md section 3.
ALL_REGIONS = BusinessSchedule(
    "America/Los_Angeles",
    (
        W(6, 15 * 60, 1440),  # Sunday 15:00-24:00
        W(0, 0, 1440),
        W(1, 0, 1440),
        W(2, 0, 1440),
        W(3, 0, 1440),
        W(4, 0, 17 * 60),  # Friday 00:00-17:00
    ),
)
AMER = BusinessSchedule.weekdays("America/Los_Angeles", "05:00", "17:00")
EMEA = BusinessSchedule.weekdays("Europe/Amsterdam", "08:00", "18:00")
APAC = BusinessSchedule.weekdays("Australia/Brisbane", "09:00", "21:00")
NEW_YORK = BusinessSchedule.weekdays("America/New_York", "09:00", "17:00")
ALWAYS = BusinessSchedule.always()

# Lunch gap with UK bank holidays.
LONDON_LUNCH = BusinessSchedule(
    "Europe/London",
    tuple(W(d, 9 * 60, 12 * 60) for d in range(5))
    + tuple(W(d, 13 * 60, 17 * 60) for d in range(5)),
    frozenset(
        {
            date(2025, 5, 26),
            date(2025, 8, 25),
            date(2025, 12, 25),
            date(2025, 12, 26),
            date(2026, 1, 1),
            date(2026, 4, 3),
        }
    ),
)

# New York schedule whose Sunday and Saturday boundaries fall in DST gaps (02:00-03:00 local on
# the March change) and folds (01:00-02:00 local on the November change), with touching intervals
# and a holiday on a DST Sunday.
NY_DST_MIX = BusinessSchedule(
    "America/New_York",
    (
        W(6, 0, 90),  # Sun 00:00-01:30 (01:30 is in the November fold)
        W(6, 90, 150),  # Sun 01:30-02:30 (touching; 02:30 is in the March gap)
        W(6, 180, 240),  # Sun 03:00-04:00
        W(6, 600, 1440),  # Sun 10:00-24:00, touching Monday 00:00
        W(0, 0, 60),
        W(0, 540, 1020),
        *(W(d, 540, 720) for d in (1, 2, 3, 4)),
        *(W(d, 780, 1020) for d in (1, 2, 3, 4)),
        W(5, 60, 130),  # Sat 01:00-02:10
    ),
    frozenset(
        {
            date(2025, 3, 9),
            date(2025, 7, 4),
            date(2025, 11, 27),
            date(2025, 12, 25),
            date(2026, 1, 1),
        }
    ),
)

# Southern hemisphere: DST ends the first Sunday of April (03:00 -> 02:00), starts the first
# Sunday of October (02:00 -> 03:00).
SYDNEY_NIGHT = BusinessSchedule(
    "Australia/Sydney",
    tuple(W(d, 60, 240) for d in range(7)) + tuple(W(d, 540, 1020) for d in range(5)),
    frozenset({date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 26)}),
)

ALWAYS_NY = BusinessSchedule.always("America/New_York")


def daily(tz: str, start: str, end: str) -> BusinessSchedule:
    return BusinessSchedule.weekdays(tz, start, end, days=range(7))


# --------------------------------------------------------------------------------------------
# DOMAIN.md section 3 worked examples
# --------------------------------------------------------------------------------------------

E_START = Z(2025, 3, 7, 22, 30)  # Fri 14:30 PST


def test_e1_all_regions_24h_crosses_weekend_and_dst_start() -> None:
    """E1: Fri 2025-03-07 22:30Z + 24 business hours on All regions is Mon 19:30Z (12:30 PDT)."""
    assert add_business_minutes(ALL_REGIONS, E_START, 1440) == Z(2025, 3, 10, 19, 30)
    assert add_business_time(ALL_REGIONS, E_START, timedelta(hours=24)) == Z(2025, 3, 10, 19, 30)


def test_e1_between_is_the_inverse() -> None:
    """E1 backwards: between(start, due) is exactly 24 h / 1440 minutes."""
    assert business_time_between(ALL_REGIONS, E_START, Z(2025, 3, 10, 19, 30)) == timedelta(
        hours=24
    )
    assert business_minutes_between(ALL_REGIONS, E_START, Z(2025, 3, 10, 19, 30)) == 1440.0


def test_e3_amer_24h() -> None:
    """E3: same start on AMER (Mon-Fri 05-17 LA), 24 h, is Tue 2025-03-11 21:30Z (14:30 PDT)."""
    assert add_business_time(AMER, E_START, timedelta(hours=24)) == Z(2025, 3, 11, 21, 30)


def test_e3b_amer_4h() -> None:
    """E3b: same start on AMER, 4 h: 2.5 h on Friday, then Mon 05:00 PDT + 1.5 h = 13:30Z."""
    assert add_business_time(AMER, E_START, timedelta(hours=4)) == Z(2025, 3, 10, 13, 30)


def test_e3c_emea_8h() -> None:
    """E3c: same start on EMEA (Fri 23:30 CET, closed): Mon 08:00 CET + 8 h = 15:00Z."""
    assert add_business_time(EMEA, E_START, timedelta(hours=8)) == Z(2025, 3, 10, 15, 0)


def test_e4_urgent_30_minutes_24x7() -> None:
    """E4: 30 minutes on the 24x7 calendar schedule is simply 30 minutes later: 23:00Z."""
    assert add_business_minutes(ALWAYS, E_START, 30) == Z(2025, 3, 7, 23, 0)


def test_e5_emea_christmas_holidays() -> None:
    """E5: EMEA closed Dec 25 and 26; Wed 2025-12-24 17:00 CET + 8 h is Mon 2025-12-29 15:00 CET."""
    emea_xmas = BusinessSchedule.weekdays(
        "Europe/Amsterdam", "08:00", "18:00", holidays=[date(2025, 12, 25), date(2025, 12, 26)]
    )
    due = add_business_time(emea_xmas, datetime(2025, 12, 24, 17, 0, tzinfo=AMS), 8 * H)
    assert due == Z(2025, 12, 29, 14, 0)  # 15:00 CET
    assert due == datetime(2025, 12, 29, 15, 0, tzinfo=AMS)


def test_e6_pause_and_resume_across_dst_end() -> None:
    """E6: NY 09-17, 8 h, created Fri 14:00 EDT, pending 16:00 -> Mon 10:00 EST: due 16:00 EST.

    Consumed before the pause is 2 h, so 6 h remain from the resume time; the wall-clock length of
    the pause is never added.
    """
    created = Z(2025, 10, 31, 18, 0)  # Fri 14:00 EDT
    paused = Z(2025, 10, 31, 20, 0)  # Fri 16:00 EDT
    resumed = Z(2025, 11, 3, 15, 0)  # Mon 10:00 EST
    consumed = business_time_between(NEW_YORK, created, paused)
    assert consumed == 2 * H
    due = add_business_time(NEW_YORK, resumed, 8 * H - consumed)
    assert due == Z(2025, 11, 3, 21, 0)  # Mon 16:00 EST


def test_e7_priority_raised_recomputes_from_original_start() -> None:
    """E7: NY, Tue 2025-06-03 09:00 EDT + 8 h is 17:00 EDT; + 4 h is 13:00 EDT, before 14:00."""
    start = Z(2025, 6, 3, 13, 0)  # 09:00 EDT
    assert add_business_time(NEW_YORK, start, 8 * H) == Z(2025, 6, 3, 21, 0)
    new_due = add_business_time(NEW_YORK, start, 4 * H)
    assert new_due == Z(2025, 6, 3, 17, 0)  # 13:00 EDT
    assert new_due < Z(2025, 6, 3, 18, 0)  # already past at 14:00 EDT: breached at once


def test_e8_next_reply_all_regions_and_amer() -> None:
    """E8: Fri 2025-06-06 16:50 PDT + 8 h: All regions Sun 22:50 PDT, AMER Mon 12:50 PDT."""
    reply = Z(2025, 6, 6, 23, 50)  # Fri 16:50 PDT
    assert add_business_time(ALL_REGIONS, reply, 8 * H) == Z(2025, 6, 9, 5, 50)  # Sun 22:50 PDT
    assert add_business_time(AMER, reply, 8 * H) == Z(2025, 6, 9, 19, 50)  # Mon 12:50 PDT


def test_calendar_time_fri_to_mon_across_november_change_is_67_hours() -> None:
    """Fri 16:00 EDT -> Mon 10:00 EST (2025-10-31 -> 11-03) is 67 h elapsed, not 66."""
    fri = datetime(2025, 10, 31, 16, 0, tzinfo=NY)
    mon = datetime(2025, 11, 3, 10, 0, tzinfo=NY)
    assert business_time_between(ALWAYS, fri, mon) == 67 * H
    assert business_time_between(ALWAYS_NY, fri, mon) == 67 * H
    assert business_time_between(NEW_YORK, fri, mon) == 2 * H  # 16-17 Fri + 09-10 Mon


# --------------------------------------------------------------------------------------------
# Basic behaviour: boundaries, zero, precision, time zones of inputs and outputs
# --------------------------------------------------------------------------------------------

AMER_MON_OPEN = Z(2025, 3, 10, 12, 0)  # Mon 05:00 PDT
AMER_MON_CLOSE = Z(2025, 3, 11, 0, 0)  # Mon 17:00 PDT


def test_target_ending_exactly_at_closing_is_due_at_closing() -> None:
    """12 h from Monday's opening on AMER is due at Monday's closing, not Tuesday's opening."""
    assert add_business_time(AMER, AMER_MON_OPEN, 12 * H) == AMER_MON_CLOSE
    assert add_business_minutes(ALL_REGIONS, Z(2025, 6, 6, 23, 50), 10) == Z(2025, 6, 7, 0, 0)


def test_start_exactly_at_opening_counts_from_opening() -> None:
    """A clock started at opening time runs at once: +1 minute is 05:01 PDT."""
    assert is_open(AMER, AMER_MON_OPEN)
    assert next_opening(AMER, AMER_MON_OPEN) == AMER_MON_OPEN
    assert add_business_minutes(AMER, AMER_MON_OPEN, 1) == Z(2025, 3, 10, 12, 1)


def test_start_exactly_at_closing_waits_for_next_opening() -> None:
    """Closing instants are closed: +1 minute from Monday 17:00 PDT is Tuesday 05:01 PDT."""
    assert not is_open(AMER, AMER_MON_CLOSE)
    assert is_open(AMER, AMER_MON_CLOSE - US)
    assert next_opening(AMER, AMER_MON_CLOSE) == Z(2025, 3, 11, 12, 0)
    assert add_business_minutes(AMER, AMER_MON_CLOSE, 1) == Z(2025, 3, 11, 12, 1)
    assert business_time_between(AMER, AMER_MON_CLOSE, Z(2025, 3, 11, 12, 0)) == timedelta(0)


def test_start_outside_hours_begins_at_next_opening() -> None:
    """Saturday start on AMER: 1 h is due Monday 06:00 PDT."""
    assert add_business_time(AMER, Z(2025, 3, 8, 18, 0), H) == Z(2025, 3, 10, 13, 0)


def test_add_zero_returns_start_even_when_closed() -> None:
    """add(start, 0) == start, open or closed, and it comes back in UTC."""
    saturday = datetime(2025, 3, 8, 10, 0, tzinfo=LA)
    result = add_business_time(AMER, saturday, timedelta(0))
    assert result == Z(2025, 3, 8, 18, 0)
    assert result.tzinfo is UTC
    assert add_business_minutes(AMER, AMER_MON_OPEN, 0) == AMER_MON_OPEN
    assert add_business_minutes(AMER, saturday, 0.0) == Z(2025, 3, 8, 18, 0)


def test_results_are_utc_whatever_the_input_zone() -> None:
    """Inputs in any zone give the same instant; outputs are aware UTC datetimes."""
    local_start = datetime(2025, 3, 7, 14, 30, tzinfo=LA)  # == E_START
    due = add_business_minutes(ALL_REGIONS, local_start, 1440)
    assert due == Z(2025, 3, 10, 19, 30)
    assert due.tzinfo is UTC
    assert next_opening(AMER, local_start).tzinfo is UTC
    spans = list(open_intervals(AMER, local_start, Z(2025, 3, 8, 12)))
    assert spans == [(Z(2025, 3, 7, 22, 30), Z(2025, 3, 8, 1, 0))]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in spans)


def test_between_is_zero_when_b_not_after_a() -> None:
    """between(a, b) is 0 for b == a and for b < a."""
    assert business_time_between(AMER, AMER_MON_OPEN, AMER_MON_OPEN) == timedelta(0)
    assert business_time_between(AMER, AMER_MON_CLOSE, AMER_MON_OPEN) == timedelta(0)
    assert business_minutes_between(AMER, AMER_MON_CLOSE, AMER_MON_OPEN) == 0.0


def test_microsecond_precision() -> None:
    """Arithmetic is exact to the microsecond."""
    t = AMER_MON_OPEN + US
    assert add_business_time(AMER, t, US) == AMER_MON_OPEN + 2 * US
    assert business_time_between(AMER, AMER_MON_OPEN - US, t) == US
    assert add_business_time(AMER, AMER_MON_CLOSE - US, 2 * US) == Z(2025, 3, 11, 12, 0) + US


def test_fractional_minutes() -> None:
    """add_business_minutes accepts floats (30 s here) and between reports fractional minutes."""
    assert add_business_minutes(AMER, AMER_MON_OPEN, 0.5) == Z(2025, 3, 10, 12, 0, 30)
    assert business_minutes_between(AMER, AMER_MON_OPEN, Z(2025, 3, 10, 12, 0, 30)) == 0.5


def test_long_target_walks_many_weeks() -> None:
    """600 h on AMER from Mon 2025-03-10 05:00 PDT = 50 full days: Fri 2025-05-16 17:00 PDT."""
    assert add_business_time(AMER, AMER_MON_OPEN, 600 * H) == Z(2025, 5, 17, 0, 0)
    assert business_time_between(AMER, AMER_MON_OPEN, Z(2025, 5, 17, 0, 0)) == 600 * H


def test_between_over_a_year_counts_every_business_day() -> None:
    """NY 09-17 over calendar 2025 (261 weekdays, no holidays) is 2088 h."""
    assert business_time_between(NEW_YORK, Z(2025, 1, 1), Z(2026, 1, 1)) == 2088 * H


def test_always_schedule_is_calendar_time() -> None:
    """always() counts every instant: 3 days 5 h from a random instant is exactly that later."""
    start = Z(2026, 7, 19, 3, 4, 5)
    assert add_business_time(ALWAYS, start, timedelta(days=3, hours=5)) == Z(2026, 7, 22, 8, 4, 5)
    assert is_open(ALWAYS_NY, datetime(2025, 3, 9, 3, 0, tzinfo=NY))
    # 2025-03-09 in New York is 23 h long, 2025-11-02 is 25 h long.
    day = business_time_between(
        ALWAYS_NY, datetime(2025, 3, 9, tzinfo=NY), datetime(2025, 3, 10, tzinfo=NY)
    )
    assert day == 23 * H
    day = business_time_between(
        ALWAYS_NY, datetime(2025, 11, 2, tzinfo=NY), datetime(2025, 11, 3, tzinfo=NY)
    )
    assert day == 25 * H


# --------------------------------------------------------------------------------------------
# Adjacent intervals, several intervals per day, open_intervals, next_opening
# --------------------------------------------------------------------------------------------


def test_adjacent_intervals_across_midnight_are_one_span() -> None:
    """All regions: Sun 15:00 PDT through Fri 17:00 PDT is one continuous open span."""
    spans = list(open_intervals(ALL_REGIONS, Z(2025, 6, 7), Z(2025, 6, 15, 12)))
    assert spans == [(Z(2025, 6, 8, 22, 0), Z(2025, 6, 14, 0, 0))]
    assert is_open(ALL_REGIONS, Z(2025, 6, 9, 7, 0))  # Mon 00:00 PDT, the day boundary
    assert is_open(ALL_REGIONS, Z(2025, 6, 9, 0, 0))
    # Sun 23:59 PDT + 2 min runs straight through midnight: Mon 00:01 PDT.
    assert add_business_minutes(ALL_REGIONS, Z(2025, 6, 9, 6, 59), 2) == Z(2025, 6, 9, 7, 1)


def test_touching_intervals_same_day_are_one_span() -> None:
    """Mon 09:00-12:00 and 12:00-17:00 behave as 09:00-17:00."""
    split = BusinessSchedule("UTC", (W(0, 540, 720), W(0, 720, 1020)))
    assert list(open_intervals(split, Z(2025, 6, 9), Z(2025, 6, 10))) == [
        (Z(2025, 6, 9, 9), Z(2025, 6, 9, 17))
    ]
    assert is_open(split, Z(2025, 6, 9, 12))
    assert add_business_time(split, Z(2025, 6, 9, 11), 2 * H) == Z(2025, 6, 9, 13)


def test_touching_intervals_across_week_end_are_one_span() -> None:
    """Sun 22:00-24:00 then Mon 00:00-02:00 UTC is one span Sun 22:00 -> Mon 02:00."""
    sched = BusinessSchedule("UTC", (W(0, 0, 120), W(6, 1320, 1440)))
    assert list(open_intervals(sched, Z(2025, 6, 1), Z(2025, 6, 10))) == [
        (Z(2025, 6, 1, 22), Z(2025, 6, 2, 2)),
        (Z(2025, 6, 8, 22), Z(2025, 6, 9, 2)),
    ]


def test_lunch_gap_is_skipped() -> None:
    """London 09-12 + 13-17: Tue 11:00 BST + 2 h is 14:00 BST (the lunch hour does not count)."""
    assert add_business_time(LONDON_LUNCH, Z(2025, 6, 3, 10), 2 * H) == Z(2025, 6, 3, 13)


def test_lunch_gap_target_ending_at_lunch_is_due_at_lunch() -> None:
    """Tue 11:00 BST + 1 h is due at 12:00 BST, the start of lunch, not at 13:00."""
    assert add_business_time(LONDON_LUNCH, Z(2025, 6, 3, 10), H) == Z(2025, 6, 3, 11)


def test_lunch_gap_start_during_lunch() -> None:
    """Started 12:30 BST during lunch: 30 min is due 13:30 BST; lunch itself is closed."""
    assert not is_open(LONDON_LUNCH, Z(2025, 6, 3, 11, 30))
    assert next_opening(LONDON_LUNCH, Z(2025, 6, 3, 11, 30)) == Z(2025, 6, 3, 12)
    assert add_business_minutes(LONDON_LUNCH, Z(2025, 6, 3, 11, 30), 30) == Z(2025, 6, 3, 12, 30)


def test_lunch_gap_day_total_and_spans() -> None:
    """A London lunch-gap weekday has 7 business hours in two spans (08-11Z, 12-16Z in BST)."""
    assert business_time_between(LONDON_LUNCH, Z(2025, 6, 3), Z(2025, 6, 4)) == 7 * H
    assert list(open_intervals(LONDON_LUNCH, Z(2025, 6, 3), Z(2025, 6, 4))) == [
        (Z(2025, 6, 3, 8), Z(2025, 6, 3, 11)),
        (Z(2025, 6, 3, 12), Z(2025, 6, 3, 16)),
    ]


def test_lunch_gap_over_weekend() -> None:
    """Fri 16:30 BST + 1 h: 30 min Friday, then Mon 09:30 BST."""
    assert add_business_time(LONDON_LUNCH, Z(2025, 6, 6, 15, 30), H) == Z(2025, 6, 9, 8, 30)


def test_open_intervals_clips_to_the_window() -> None:
    """open_intervals clips spans to [start, end) and yields nothing for an empty window."""
    spans = list(open_intervals(NEW_YORK, Z(2025, 6, 3, 15), Z(2025, 6, 4, 14)))
    assert spans == [(Z(2025, 6, 3, 15), Z(2025, 6, 3, 21)), (Z(2025, 6, 4, 13), Z(2025, 6, 4, 14))]
    assert list(open_intervals(NEW_YORK, Z(2025, 6, 4), Z(2025, 6, 3))) == []
    assert list(open_intervals(NEW_YORK, Z(2025, 6, 7), Z(2025, 6, 8))) == []


def test_next_opening_examples() -> None:
    """next_opening: itself when open, later the same day, after a weekend, after a holiday."""
    assert next_opening(NEW_YORK, Z(2025, 6, 3, 15, 7)) == Z(2025, 6, 3, 15, 7)
    assert next_opening(NEW_YORK, Z(2025, 6, 3, 5)) == Z(2025, 6, 3, 13)  # 09:00 EDT
    assert next_opening(NEW_YORK, Z(2025, 6, 6, 21)) == Z(2025, 6, 9, 13)  # Fri 17:00 -> Mon
    assert next_opening(NEW_YORK, Z(2025, 11, 1, 12)) == Z(2025, 11, 3, 14)  # Mon 09:00 EST


# --------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------


def test_start_on_a_holiday_waits_for_the_next_working_day() -> None:
    """EMEA closed Dec 25-26: Thu 2025-12-25 10:00 CET + 1 h is Mon 2025-12-29 09:00 CET."""
    emea = BusinessSchedule.weekdays(
        "Europe/Amsterdam", "08:00", "18:00", holidays={date(2025, 12, 25), date(2025, 12, 26)}
    )
    assert not is_open(emea, Z(2025, 12, 25, 9))
    assert next_opening(emea, Z(2025, 12, 25, 9)) == Z(2025, 12, 29, 7)
    assert add_business_time(emea, Z(2025, 12, 25, 9), H) == Z(2025, 12, 29, 8)


def test_holiday_week() -> None:
    """AMER closed Thanksgiving week (Nov 24-28 2025): Fri 16:00 PST + 2 h is Mon Dec 1 06:00."""
    amer = BusinessSchedule.weekdays(
        "America/Los_Angeles",
        "05:00",
        "17:00",
        holidays=[date(2025, 11, 24) + timedelta(days=i) for i in range(5)],
    )
    due = add_business_time(amer, Z(2025, 11, 22, 0), 2 * H)
    assert due == Z(2025, 12, 1, 14)  # Mon 06:00 PST
    assert business_time_between(amer, Z(2025, 11, 22, 0), due) == 2 * H
    assert business_time_between(amer, Z(2025, 11, 23), Z(2025, 11, 30)) == timedelta(0)


def test_holiday_closes_only_its_own_local_date() -> None:
    """All regions with Monday 2025-06-09 a holiday: Sunday evening is still open, Monday not.

    Fri 16:50 PDT + 10 h: 10 min Friday, 9 h Sunday 15:00-24:00, then 50 min from Tue 00:00 PDT.
    """
    sched = BusinessSchedule(ALL_REGIONS.tz, ALL_REGIONS.intervals, frozenset({date(2025, 6, 9)}))
    assert is_open(sched, Z(2025, 6, 9, 6, 59))  # Sun 23:59 PDT
    assert not is_open(sched, Z(2025, 6, 9, 7, 0))  # Mon 00:00 PDT
    assert add_business_time(sched, Z(2025, 6, 6, 23, 50), 10 * H) == Z(2025, 6, 10, 7, 50)


def test_holidays_are_local_dates() -> None:
    """APAC (Brisbane, UTC+10) holiday Mon 2025-06-09 covers Mon 00:00Z (10:00 AEST) but not Tue."""
    apac = BusinessSchedule.weekdays(
        "Australia/Brisbane", "09:00", "21:00", holidays=[date(2025, 6, 9)]
    )
    assert is_open(APAC, Z(2025, 6, 9, 0))
    assert not is_open(apac, Z(2025, 6, 9, 0))
    assert is_open(apac, Z(2025, 6, 9, 23))  # Tue 09:00 AEST
    assert is_open(apac, Z(2025, 6, 10, 0))


def test_lunch_gap_schedule_bank_holiday() -> None:
    """London closed Mon 2025-08-25: Fri 16:00 BST + 2 h is Tue 10:00 BST."""
    assert add_business_time(LONDON_LUNCH, Z(2025, 8, 22, 15), 2 * H) == Z(2025, 8, 26, 9)


def test_schedule_without_open_time_for_ten_years_raises() -> None:
    """Every date closed for 12 years: add and next_opening raise instead of looping forever."""
    first = date(2025, 1, 1)
    days = frozenset(first + timedelta(days=i) for i in range((date(2037, 1, 1) - first).days))
    closed = BusinessSchedule.weekdays("UTC", holidays=days)
    with pytest.raises(ValueError, match="no open time"):
        add_business_minutes(closed, Z(2025, 6, 2), 1)
    with pytest.raises(ValueError, match="no open time"):
        next_opening(closed, Z(2025, 6, 2))
    assert business_time_between(closed, Z(2025, 1, 1), Z(2027, 1, 1)) == timedelta(0)
    assert add_business_minutes(closed, Z(2025, 6, 2), 0) == Z(2025, 6, 2)


def test_long_closure_under_ten_years_is_walked() -> None:
    """Closed 2025-2030: +1 min from 2025-06-02 is Wed 2031-01-01 09:01Z."""
    first = date(2025, 1, 1)
    days = frozenset(first + timedelta(days=i) for i in range((date(2031, 1, 1) - first).days))
    closed = BusinessSchedule.weekdays("UTC", holidays=days)
    assert add_business_minutes(closed, Z(2025, 6, 2), 1) == Z(2031, 1, 1, 9, 1)
    assert next_opening(closed, Z(2025, 6, 2)) == Z(2031, 1, 1, 9)


# --------------------------------------------------------------------------------------------
# DST: wall-clock hours are kept on change days, in three zones, both directions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        # 09:00-17:00 local on the change day and the day before.
        ("America/New_York", date(2025, 3, 8), (Z(2025, 3, 8, 14), Z(2025, 3, 8, 22))),
        ("America/New_York", date(2025, 3, 9), (Z(2025, 3, 9, 13), Z(2025, 3, 9, 21))),
        ("America/New_York", date(2025, 11, 1), (Z(2025, 11, 1, 13), Z(2025, 11, 1, 21))),
        ("America/New_York", date(2025, 11, 2), (Z(2025, 11, 2, 14), Z(2025, 11, 2, 22))),
        ("Europe/Amsterdam", date(2025, 3, 29), (Z(2025, 3, 29, 8), Z(2025, 3, 29, 16))),
        ("Europe/Amsterdam", date(2025, 3, 30), (Z(2025, 3, 30, 7), Z(2025, 3, 30, 15))),
        ("Europe/Amsterdam", date(2025, 10, 25), (Z(2025, 10, 25, 7), Z(2025, 10, 25, 15))),
        ("Europe/Amsterdam", date(2025, 10, 26), (Z(2025, 10, 26, 8), Z(2025, 10, 26, 16))),
        ("Australia/Sydney", date(2025, 4, 5), (Z(2025, 4, 4, 22), Z(2025, 4, 5, 6))),
        ("Australia/Sydney", date(2025, 4, 6), (Z(2025, 4, 5, 23), Z(2025, 4, 6, 7))),
        ("Australia/Sydney", date(2025, 10, 4), (Z(2025, 10, 3, 23), Z(2025, 10, 4, 7))),
        ("Australia/Sydney", date(2025, 10, 5), (Z(2025, 10, 4, 22), Z(2025, 10, 5, 6))),
    ],
)
def test_dst_day_keeps_wall_clock_hours(
    tz: str, day: date, expected: tuple[datetime, datetime]
) -> None:
    """A 09:00-17:00 local interval is 8 h and those local hours on and around DST change days."""
    sched = daily(tz, "09:00", "17:00")
    zone = ZoneInfo(tz)
    lo = datetime(day.year, day.month, day.day, tzinfo=zone)
    hi = lo + timedelta(days=1)
    assert list(open_intervals(sched, lo, hi)) == [expected]
    assert business_time_between(sched, lo, hi) == 8 * H
    assert add_business_time(sched, lo, 8 * H) == expected[1]


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        # Spring forward: 01:00-04:00 loses the skipped hour -> 2 h.
        ("America/New_York", (Z(2025, 3, 9, 6), Z(2025, 3, 9, 8))),  # 01:00 EST - 04:00 EDT
        ("Europe/Amsterdam", (Z(2025, 3, 30, 0), Z(2025, 3, 30, 2))),  # 01:00 CET - 04:00 CEST
        ("Australia/Sydney", (Z(2025, 10, 4, 15), Z(2025, 10, 4, 17))),  # 01:00 AEST - 04:00 AEDT
        # Fall back: 01:00-04:00 contains the repeated hour -> 4 h.
        ("America/New_York", (Z(2025, 11, 2, 5), Z(2025, 11, 2, 9))),  # 01:00 EDT - 04:00 EST
        ("Europe/Amsterdam", (Z(2025, 10, 25, 23), Z(2025, 10, 26, 3))),  # 01:00 CEST - 04:00 CET
        ("Australia/Sydney", (Z(2025, 4, 5, 14), Z(2025, 4, 5, 18))),  # 01:00 AEDT - 04:00 AEST
    ],
)
def test_interval_touching_the_dst_hour(tz: str, expected: tuple[datetime, datetime]) -> None:
    """An interval 01:00-04:00 spanning the change hour is 2 h in spring and 4 h in autumn."""
    sched = daily(tz, "01:00", "04:00")
    s, e = expected
    window = (s - 12 * H, e + 6 * H)
    assert list(open_intervals(sched, *window)) == [expected]
    assert business_time_between(sched, *window) == e - s
    assert add_business_time(sched, s, e - s) == e
    assert add_business_time(sched, s - 2 * H, timedelta(minutes=30)) == s + 30 * MIN


def test_interval_touching_the_dst_hour_on_ordinary_days_is_3h() -> None:
    """Control: the same 01:00-04:00 interval is 3 h on the days before the changes."""
    sched = daily("America/New_York", "01:00", "04:00")
    assert list(open_intervals(sched, Z(2025, 3, 8), Z(2025, 3, 9))) == [
        (Z(2025, 3, 8, 6), Z(2025, 3, 8, 9))
    ]
    assert list(open_intervals(sched, Z(2025, 11, 1), Z(2025, 11, 2))) == [
        (Z(2025, 11, 1, 5), Z(2025, 11, 1, 8))
    ]


def test_add_across_spring_gap_continues_next_day() -> None:
    """NY 01:00-04:00 daily, Mar 9 01:00 EST + 2.5 h: 2 h that day, then Mar 10 01:30 EDT."""
    sched = daily("America/New_York", "01:00", "04:00")
    assert add_business_time(sched, Z(2025, 3, 9, 6), 2 * H + 30 * MIN) == Z(2025, 3, 10, 5, 30)


def test_across_dst_start_weekend_all_regions() -> None:
    """All regions Sunday 2025-03-09 (DST began 02:00) opens 15:00 PDT = 22:00Z, not 23:00Z."""
    assert next_opening(ALL_REGIONS, Z(2025, 3, 8, 12)) == Z(2025, 3, 9, 22)
    assert next_opening(ALL_REGIONS, Z(2025, 3, 1, 12)) == Z(2025, 3, 2, 23)  # PST the week before


# --------------------------------------------------------------------------------------------
# DST gap and fold resolution of interval boundaries (documented in the module docstring)
# --------------------------------------------------------------------------------------------


def test_gap_start_boundary_maps_to_the_transition_instant() -> None:
    """Sun 02:30-04:00 NY: on 2025-03-09 02:30 does not exist, so it opens at 03:00 EDT (07:00Z).

    On the next Sunday (no change) the same interval is 02:30-04:00 EDT, 1.5 h.
    """
    sched = BusinessSchedule("America/New_York", (W(6, 150, 240),))
    assert list(open_intervals(sched, Z(2025, 3, 9), Z(2025, 3, 17))) == [
        (Z(2025, 3, 9, 7), Z(2025, 3, 9, 8)),
        (Z(2025, 3, 16, 6, 30), Z(2025, 3, 16, 8)),
    ]
    assert not is_open(sched, Z(2025, 3, 9, 6, 59))
    assert is_open(sched, Z(2025, 3, 9, 7))
    assert next_opening(sched, Z(2025, 3, 9, 5)) == Z(2025, 3, 9, 7)


def test_gap_end_boundary_maps_to_the_transition_instant() -> None:
    """Sun 00:00-02:30 NY on 2025-03-09 closes at the jump, 07:00Z: 00:00 EST-03:00 EDT = 2 h."""
    sched = BusinessSchedule("America/New_York", (W(6, 0, 150),))
    assert business_time_between(sched, Z(2025, 3, 9), Z(2025, 3, 10)) == 2 * H
    assert list(open_intervals(sched, Z(2025, 3, 9), Z(2025, 3, 10))) == [
        (Z(2025, 3, 9, 5), Z(2025, 3, 9, 7))
    ]


def test_interval_entirely_in_the_gap_is_empty_that_day() -> None:
    """Sun 02:00-02:30 NY has no open time on 2025-03-09; a week earlier it is 30 min."""
    sched = BusinessSchedule("America/New_York", (W(6, 120, 150),))
    assert business_time_between(sched, Z(2025, 3, 9), Z(2025, 3, 10)) == timedelta(0)
    assert business_time_between(sched, Z(2025, 3, 2), Z(2025, 3, 3)) == 30 * MIN
    assert next_opening(sched, Z(2025, 3, 9)) == Z(2025, 3, 16, 6)  # 02:00 EDT


def test_touching_intervals_across_the_gap_stay_one_span() -> None:
    """Sun 00:00-02:30 + 02:30-04:00 NY on 2025-03-09: one span 00:00 EST-04:00 EDT (05-08Z)."""
    sched = BusinessSchedule("America/New_York", (W(6, 0, 150), W(6, 150, 240)))
    assert list(open_intervals(sched, Z(2025, 3, 9), Z(2025, 3, 10))) == [
        (Z(2025, 3, 9, 5), Z(2025, 3, 9, 8))
    ]


@pytest.mark.parametrize(
    ("tz", "week_start", "expected"),
    [
        # Sun 02:30-05:00 where 02:00-03:00 is skipped: opens at the jump.
        ("Europe/Amsterdam", Z(2025, 3, 29), (Z(2025, 3, 30, 1), Z(2025, 3, 30, 3))),
        ("Australia/Sydney", Z(2025, 10, 4), (Z(2025, 10, 4, 16), Z(2025, 10, 4, 18))),
    ],
)
def test_gap_boundary_other_zones(
    tz: str, week_start: datetime, expected: tuple[datetime, datetime]
) -> None:
    """Sun 02:30-05:00 on the spring-forward day opens at the jump (03:00 local): 2 h."""
    sched = BusinessSchedule(tz, (W(6, 150, 300),))
    assert list(open_intervals(sched, week_start, week_start + 2 * timedelta(days=1))) == [expected]


def test_fold_end_boundary_is_the_first_occurrence() -> None:
    """Sun 00:00-01:30 NY on 2025-11-02 closes at the first 01:30 (EDT, 05:30Z).

    The repeated 01:00-01:30 EST (06:00-06:30Z) is therefore closed.
    """
    sched = BusinessSchedule("America/New_York", (W(6, 0, 90),))
    assert list(open_intervals(sched, Z(2025, 11, 2), Z(2025, 11, 3))) == [
        (Z(2025, 11, 2, 4), Z(2025, 11, 2, 5, 30))
    ]
    assert is_open(sched, Z(2025, 11, 2, 5, 15))  # 01:15 EDT
    assert not is_open(sched, Z(2025, 11, 2, 6, 15))  # 01:15 EST, the second 01:15
    assert not is_open(sched, datetime(2025, 11, 2, 1, 15, fold=1, tzinfo=NY))
    assert is_open(sched, datetime(2025, 11, 2, 1, 15, fold=0, tzinfo=NY))


def test_fold_start_boundary_is_the_first_occurrence() -> None:
    """Sun 01:30-03:00 NY on 2025-11-02 opens at the first 01:30 (05:30Z) until 03:00 EST: 2.5 h."""
    sched = BusinessSchedule("America/New_York", (W(6, 90, 180),))
    assert list(open_intervals(sched, Z(2025, 11, 2), Z(2025, 11, 3))) == [
        (Z(2025, 11, 2, 5, 30), Z(2025, 11, 2, 8))
    ]
    assert business_time_between(sched, Z(2025, 11, 2), Z(2025, 11, 3)) == 2 * H + 30 * MIN


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        # Sun 02:30-03:00 where 02:00-03:00 is repeated: first 02:30 until the single 03:00.
        ("Europe/Amsterdam", (Z(2025, 10, 26, 0, 30), Z(2025, 10, 26, 2))),
        ("Australia/Sydney", (Z(2025, 4, 5, 15, 30), Z(2025, 4, 5, 17))),
    ],
)
def test_fold_boundary_other_zones(tz: str, expected: tuple[datetime, datetime]) -> None:
    """Sun 02:30-03:00 on the fall-back day is 1.5 h: from the first 02:30 to 03:00."""
    sched = BusinessSchedule(tz, (W(6, 150, 180),))
    s, e = expected
    assert list(open_intervals(sched, s - 6 * H, e + 6 * H)) == [expected]
    assert business_time_between(sched, s - 6 * H, e + 6 * H) == 90 * MIN


def test_aware_inputs_with_fold_are_respected() -> None:
    """Inputs are instants: 01:30 EDT (fold=0) and 01:30 EST (fold=1) are 1 h apart."""
    first = datetime(2025, 11, 2, 1, 30, fold=0, tzinfo=NY)
    second = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=NY)
    assert business_time_between(ALWAYS, first, second) == H
    assert add_business_time(ALWAYS_NY, first, H) == Z(2025, 11, 2, 6, 30)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((7, 0, 60), "weekday"),
        ((-1, 0, 60), "weekday"),
        ((0, -1, 60), "start_minute"),
        ((0, 1440, 1441), "start_minute"),
        ((0, 0, 0), "end_minute"),
        ((0, 0, 1441), "end_minute"),
        ((0, 600, 600), "after start_minute"),
        ((0, 600, 540), "after start_minute"),
        ((0, 540.0, 600), "int"),
        ((True, 540, 600), "int"),
    ],
)
def test_weekly_interval_validation(args: tuple[Any, ...], message: str) -> None:
    """WeeklyInterval rejects out-of-range or non-int fields and empty/inverted intervals."""
    with pytest.raises(ValueError, match=message):
        WeeklyInterval(*args)


def test_weekly_interval_accepts_full_day() -> None:
    """00:00-24:00 is a valid interval."""
    assert WeeklyInterval(6, 0, 1440).end_minute == 1440


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus_Mons", "intervals": (W(0, 0, 60),)}, "unknown time zone"),
        ({"tz": "", "intervals": (W(0, 0, 60),)}, "IANA"),
        ({"tz": "../etc/passwd", "intervals": (W(0, 0, 60),)}, "unknown time zone"),
        ({"tz": "America", "intervals": (W(0, 0, 60),)}, "unknown time zone"),
        ({"tz": "UTC", "intervals": ()}, "at least one"),
        ({"tz": "UTC", "intervals": (W(0, 540, 720), W(0, 660, 900))}, "overlap"),
        ({"tz": "UTC", "intervals": (W(0, 540, 720), W(0, 540, 720))}, "overlap"),
        ({"tz": "UTC", "intervals": (W(0, 0, 1440), W(0, 600, 660))}, "overlap"),
        ({"tz": "UTC", "intervals": ((0, 540, 720),)}, "WeeklyInterval"),
        (
            {"tz": "UTC", "intervals": (W(0, 0, 60),), "holidays": {datetime(2025, 12, 25)}},
            "dates",
        ),
        ({"tz": "UTC", "intervals": (W(0, 0, 60),), "holidays": {"2025-12-25"}}, "dates"),
    ],
)
def test_schedule_validation(kwargs: dict[str, Any], message: str) -> None:
    """BusinessSchedule rejects unknown zones, no intervals, overlaps and non-date holidays."""
    with pytest.raises(ValueError, match=message):
        BusinessSchedule(**kwargs)


def test_schedule_accepts_touching_intervals_and_normalises_order() -> None:
    """Touching intervals are allowed; intervals are sorted so equal schedules compare equal."""
    holiday = date(2025, 1, 1)
    # A set / list for holidays is coerced to a frozenset at runtime.
    a = BusinessSchedule("UTC", (W(1, 0, 60), W(0, 720, 1020), W(0, 540, 720)), {holiday})  # type: ignore[arg-type]
    b = BusinessSchedule("UTC", (W(0, 540, 720), W(0, 720, 1020), W(1, 0, 60)), [holiday])  # type: ignore[arg-type]
    assert a == b
    assert hash(a) == hash(b)
    assert a.intervals == (W(0, 540, 720), W(0, 720, 1020), W(1, 0, 60))
    assert a.holidays == frozenset({date(2025, 1, 1)})


def test_schedule_pickles_and_copies_without_its_cache() -> None:
    """A used schedule survives pickle and deepcopy: equal, and it computes the same results."""
    add_business_minutes(ALL_REGIONS, E_START, 1440)  # populate the span cache
    for clone in (pickle.loads(pickle.dumps(ALL_REGIONS)), copy.deepcopy(ALL_REGIONS)):
        assert clone == ALL_REGIONS
        assert "_compiled" not in vars(clone)
        assert add_business_minutes(clone, E_START, 1440) == Z(2025, 3, 10, 19, 30)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9:00", "17:00"),
        ("09:00", "25:00"),
        ("09:60", "17:00"),
        ("0900", "1700"),
        ("17:00", "09:00"),
    ],
)
def test_weekdays_helper_validation(start: str, end: str) -> None:
    """BusinessSchedule.weekdays needs "HH:MM" times with start before end (end up to 24:00)."""
    with pytest.raises(ValueError):
        BusinessSchedule.weekdays("UTC", start, end)


def test_weekdays_helper_builds_intervals() -> None:
    """weekdays(tz, "08:00", "24:00", days=[5, 6]) opens Saturday and Sunday 08:00-24:00."""
    sched = BusinessSchedule.weekdays("UTC", "08:00", "24:00", days=[5, 6])
    assert sched.intervals == (W(5, 480, 1440), W(6, 480, 1440))
    assert BusinessSchedule.weekdays("Europe/Amsterdam", "08:00", "18:00") == EMEA
    assert ALWAYS.intervals == tuple(W(d, 0, 1440) for d in range(7))
    assert ALWAYS.tz == "UTC"


NAIVE = datetime(2025, 3, 7, 22, 30)
AWARE = Z(2025, 3, 7, 22, 30)
CALLS: list[Callable[[], object]] = [
    lambda: add_business_time(AMER, NAIVE, H),
    lambda: add_business_minutes(AMER, NAIVE, 60),
    lambda: business_time_between(AMER, NAIVE, AWARE),
    lambda: business_time_between(AMER, AWARE, NAIVE),
    lambda: business_minutes_between(AMER, NAIVE, AWARE),
    lambda: open_intervals(AMER, NAIVE, AWARE),
    lambda: open_intervals(AMER, AWARE, NAIVE),
    lambda: is_open(AMER, NAIVE),
    lambda: next_opening(AMER, NAIVE),
]


@pytest.mark.parametrize("call", CALLS)
def test_naive_datetimes_raise_value_error(call: Callable[[], object]) -> None:
    """Every public function rejects naive datetimes with ValueError (open_intervals eagerly)."""
    with pytest.raises(ValueError, match="aware"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(AMER, AWARE, -US),
        lambda: add_business_minutes(AMER, AWARE, -1),
        lambda: add_business_minutes(AMER, AWARE, -0.5),
        lambda: add_business_minutes(AMER, AWARE, math.nan),
        lambda: add_business_minutes(AMER, AWARE, math.inf),
    ],
)
def test_negative_or_non_finite_targets_raise_value_error(call: Callable[[], object]) -> None:
    """Targets must be finite and non-negative."""
    with pytest.raises(ValueError):
        call()


def test_wrong_types_raise_type_error() -> None:
    """Non-datetime instants and non-timedelta deltas are type errors."""
    with pytest.raises(TypeError):
        add_business_time(AMER, AWARE, 60)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        is_open(AMER, date(2025, 3, 7))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_business_minutes(AMER, AWARE, "60")  # type: ignore[arg-type]


def test_target_beyond_datetime_max_raises_overflow() -> None:
    """A target that cannot fit before datetime.max fails fast instead of walking weeks."""
    with pytest.raises(OverflowError):
        add_business_minutes(AMER, AWARE, 1e12)


# --------------------------------------------------------------------------------------------
# Hypothesis properties
# --------------------------------------------------------------------------------------------

SCHEDULES = {
    "all_regions": ALL_REGIONS,
    "amer": AMER,
    "emea": EMEA,
    "apac": APAC,
    "london_lunch_holidays": LONDON_LUNCH,
    "ny_dst_mix": NY_DST_MIX,
    "sydney_night": SYDNEY_NIGHT,
    "always_ny": ALWAYS_NY,
}
schedule_params = pytest.mark.parametrize(
    "sched", list(SCHEDULES.values()), ids=list(SCHEDULES.keys())
)
PROPS = settings(max_examples=200, deadline=None)

# DST transitions 2024-2027 of the zones above (UTC instants; hot spots for sampling).
_TRANSITIONS_TEXT = """
2024-03-10T07 2024-11-03T06 2025-03-09T07 2025-11-02T06 2026-03-08T07 2026-11-01T06
2027-03-14T07 2027-11-07T06
2024-03-10T10 2024-11-03T09 2025-03-09T10 2025-11-02T09 2026-03-08T10 2026-11-01T09
2027-03-14T10 2027-11-07T09
2024-03-31T01 2024-10-27T01 2025-03-30T01 2025-10-26T01 2026-03-29T01 2026-10-25T01
2027-03-28T01 2027-10-31T01
2024-04-06T16 2024-10-05T16 2025-04-05T16 2025-10-04T16 2026-04-04T16 2026-10-03T16
2027-04-03T16 2027-10-02T16
"""  # New York, Los Angeles, Amsterdam/London, Sydney
TRANSITIONS = [
    datetime.strptime(s, "%Y-%m-%dT%H").replace(tzinfo=UTC) for s in _TRANSITIONS_TEXT.split()
]
RANGE_START = Z(2024, 1, 1)
RANGE_US = (Z(2028, 1, 1) - RANGE_START) // US
DAY_US = timedelta(days=1) // US


@st.composite
def instants(draw: st.DrawFn, minute_aligned: bool = False) -> datetime:
    """UTC instants in 2024-2027, half of them within 3 days of a DST transition."""
    if draw(st.booleans()):
        t = RANGE_START + draw(st.integers(0, RANGE_US)) * US
    else:
        base = draw(st.sampled_from(TRANSITIONS))
        t = base + draw(st.integers(-3 * DAY_US, 3 * DAY_US)) * US
    if minute_aligned:
        t = t.replace(second=0, microsecond=0)
    return t


# Targets up to 10 business days of 12 h, as microseconds, whole seconds or whole minutes.
targets = st.one_of(
    st.integers(0, 120 * 3600 * 10**6).map(lambda n: n * US),
    st.integers(0, 120 * 3600).map(lambda n: timedelta(seconds=n)),
    st.integers(0, 120 * 60).map(lambda n: timedelta(minutes=n)),
    st.sampled_from([timedelta(0), US, MIN, H, 8 * H, 24 * H]),
)


@schedule_params
@PROPS
@given(start=instants(), n=targets)
def test_property_between_inverts_add(
    sched: BusinessSchedule, start: datetime, n: timedelta
) -> None:
    """between(start, add(start, n)) == n, and add(start, n) >= start."""
    due = add_business_time(sched, start, n)
    assert due >= start
    assert business_time_between(sched, start, due) == n


@schedule_params
@PROPS
@given(start=instants(), n=targets)
def test_property_add_is_the_earliest_instant(
    sched: BusinessSchedule, start: datetime, n: timedelta
) -> None:
    """For n > 0, one microsecond before add(start, n) less than n has elapsed; add(s, 0) == s."""
    due = add_business_time(sched, start, n)
    if n == timedelta(0):
        assert due == start
    else:
        assert business_time_between(sched, start, due - US) < n
        assert is_open(sched, due - US)


@schedule_params
@PROPS
@given(start=instants(), minutes=st.integers(0, 7200))
def test_property_minutes_and_timedelta_agree(
    sched: BusinessSchedule, start: datetime, minutes: int
) -> None:
    """add_business_minutes(m) == add_business_time(timedelta(minutes=m)), and back again."""
    due = add_business_minutes(sched, start, minutes)
    assert due == add_business_time(sched, start, timedelta(minutes=minutes))
    assert business_minutes_between(sched, start, due) == minutes


@schedule_params
@PROPS
@given(start=instants(), n1=targets, n2=targets)
def test_property_add_is_monotone_in_n(
    sched: BusinessSchedule, start: datetime, n1: timedelta, n2: timedelta
) -> None:
    """n1 <= n2 implies add(start, n1) <= add(start, n2)."""
    n1, n2 = sorted((n1, n2))
    assert add_business_time(sched, start, n1) <= add_business_time(sched, start, n2)


@schedule_params
@PROPS
@given(s1=instants(), s2=instants(), n=targets)
def test_property_add_is_monotone_in_start(
    sched: BusinessSchedule, s1: datetime, s2: datetime, n: timedelta
) -> None:
    """start1 <= start2 implies add(start1, n) <= add(start2, n)."""
    s1, s2 = sorted((s1, s2))
    assert add_business_time(sched, s1, n) <= add_business_time(sched, s2, n)


@schedule_params
@PROPS
@given(a=instants(), b=instants(), c=instants())
def test_property_between_is_additive(
    sched: BusinessSchedule, a: datetime, b: datetime, c: datetime
) -> None:
    """between(a, b) + between(b, c) == between(a, c) for a <= b <= c; and never exceeds c - a."""
    a, b, c = sorted((a, b, c))
    ab = business_time_between(sched, a, b)
    bc = business_time_between(sched, b, c)
    assert ab + bc == business_time_between(sched, a, c)
    assert timedelta(0) <= ab <= b - a


@schedule_params
@PROPS
@given(a=instants(), span=st.integers(0, 10 * DAY_US))
def test_property_open_intervals_sum_to_between(
    sched: BusinessSchedule, a: datetime, span: int
) -> None:
    """open_intervals spans are ordered, non-touching, inside [a, b) and sum to between(a, b)."""
    b = a + span * US
    spans = list(open_intervals(sched, a, b))
    assert sum((e - s for s, e in spans), timedelta(0)) == business_time_between(sched, a, b)
    for s, e in spans:
        assert a <= s < e <= b
        assert is_open(sched, s)
        assert is_open(sched, e - US)
    for (_, e1), (s2, _) in pairwise(spans):
        assert e1 < s2
        assert not is_open(sched, e1)


@schedule_params
@PROPS
@given(t=instants())
def test_property_is_open_and_next_opening_agree_with_between(
    sched: BusinessSchedule, t: datetime
) -> None:
    """is_open(t) iff the microsecond [t, t+1us) counts; next_opening(t) is open and >= t."""
    assert is_open(sched, t) == (business_time_between(sched, t, t + US) == US)
    nxt = next_opening(sched, t)
    assert nxt >= t
    assert is_open(sched, nxt)
    assert business_time_between(sched, t, nxt) == timedelta(0)
    assert (nxt == t) == is_open(sched, t)


# Independent oracle ------------------------------------------------------------------------


def oracle_is_open(sched: BusinessSchedule, t: datetime) -> bool:
    """Open status of instant t from zoneinfo alone, applying the documented gap/fold rules.

    Outside a repeated hour the local wall time w of t is open iff some interval of t's local
    date has start <= w < end (a boundary in a gap maps to the jump, so times after the jump are
    compared as usual). During the second pass of a repeated hour every boundary inside the
    repeated range has already passed (first occurrence), so t is open iff some interval has
    start < P <= end, where P is the wall time at which the repetition ends.
    """
    zone = ZoneInfo(sched.tz)
    local = t.astimezone(zone)
    day = local.date()
    if day in sched.holidays:
        return False
    intervals = [i for i in sched.intervals if i.weekday == day.weekday()]
    if local.fold == 1:
        probe = t
        while probe.astimezone(zone).fold == 1:
            probe += MIN
        end = probe.astimezone(zone)
        p = end.hour * 60 + end.minute
        return any(i.start_minute < p <= i.end_minute for i in intervals)
    w = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    return any(i.start_minute <= w < i.end_minute for i in intervals)


ORACLE_SCHEDULES = {
    "all_regions": ALL_REGIONS,
    "amer": AMER,
    "emea": EMEA,
    "london_lunch_holidays": LONDON_LUNCH,
    "ny_dst_mix": NY_DST_MIX,
    "sydney_night": SYDNEY_NIGHT,
}
oracle_params = pytest.mark.parametrize(
    "sched", list(ORACLE_SCHEDULES.values()), ids=list(ORACLE_SCHEDULES.keys())
)


@oracle_params
@settings(max_examples=100, deadline=None)
@given(a=instants(minute_aligned=True), minutes=st.integers(0, 1500))
def test_property_between_matches_minute_by_minute_oracle(
    sched: BusinessSchedule, a: datetime, minutes: int
) -> None:
    """On minute-aligned windows (all boundaries here are whole UTC minutes), between(a, b)
    equals the count of open minutes according to the oracle."""
    b = a + minutes * MIN
    expected = sum(oracle_is_open(sched, a + i * MIN) for i in range(minutes))
    assert business_time_between(sched, a, b) == expected * MIN


@oracle_params
@PROPS
@given(t=instants())
def test_property_is_open_matches_oracle(sched: BusinessSchedule, t: datetime) -> None:
    """is_open agrees with the zoneinfo-only oracle at arbitrary microsecond instants."""
    assert is_open(sched, t) == oracle_is_open(sched, t)
