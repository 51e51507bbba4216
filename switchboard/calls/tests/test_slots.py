"""Slot finding (pure): property tests against a brute-force reference, and DST in real zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.calls.slots import SlotRules, find_slots, is_bookable, merge
from switchboard.sla.business_time import BusinessSchedule, open_intervals

BASE = datetime(2026, 10, 26, tzinfo=UTC)
MIN = timedelta(minutes=1)


def reference(open_spans, busy, rules, now, start, end):
    """Every aligned start that satisfies the rules, by brute force."""
    out = []
    for span_start, span_end in merge(open_spans):
        s = span_start
        while s + rules.duration <= span_end:
            lo, hi = rules.blocked(s)
            if (
                start <= s < end
                and s >= now + rules.minimum_notice
                and s < now + rules.booking_window
                and not any(a < hi and lo < b for a, b in busy)
            ):
                out.append(s)
            s += rules.step
    return sorted(set(out))


minutes = st.integers(min_value=0, max_value=7 * 24 * 60)
intervals = st.lists(
    st.tuples(minutes, st.integers(min_value=5, max_value=600)).map(
        lambda t: (BASE + t[0] * MIN, BASE + (t[0] + t[1]) * MIN)
    ),
    max_size=12,
)
rules_strategy = st.builds(
    SlotRules,
    duration=st.sampled_from([15, 30, 45, 60, 90]).map(lambda m: m * MIN),
    buffer_before=st.sampled_from([0, 5, 10, 15]).map(lambda m: m * MIN),
    buffer_after=st.sampled_from([0, 5, 15, 30]).map(lambda m: m * MIN),
    step=st.sampled_from([5, 15, 30, 60]).map(lambda m: m * MIN),
    minimum_notice=st.sampled_from([0, 60, 240]).map(lambda m: m * MIN),
    booking_window=st.sampled_from([1, 3, 30]).map(lambda d: timedelta(days=d)),
)


@settings(max_examples=300, deadline=None)
@given(
    open_spans=intervals,
    busy=intervals,
    rules=rules_strategy,
    now_offset=minutes,
    start_offset=minutes,
    length=st.integers(min_value=0, max_value=7 * 24 * 60),
)
def test_slots_equal_the_brute_force_reference(
    open_spans, busy, rules, now_offset, start_offset, length
):
    """Exactly the aligned starts that fit, clear every buffered busy time and the notice."""
    now = BASE + now_offset * MIN
    start = BASE + start_offset * MIN
    end = start + length * MIN
    found = find_slots(open_spans=open_spans, busy=busy, rules=rules, now=now, start=start, end=end)
    assert found == reference(open_spans, busy, rules, now, start, end)
    for slot in found[:5]:
        assert is_bookable(slot, open_spans=open_spans, busy=busy, rules=rules, now=now)


@settings(max_examples=200, deadline=None)
@given(
    busy=intervals,
    rules=rules_strategy,
)
def test_a_booked_slot_is_never_offered_again_with_its_buffers(busy, rules):
    """Booking a found slot (its buffered time becomes busy) removes every overlapping start."""
    spans = [(BASE, BASE + timedelta(days=7))]
    now = BASE - timedelta(days=1)
    found = find_slots(
        open_spans=spans, busy=busy, rules=rules, now=now, start=BASE, end=BASE + timedelta(days=7)
    )
    if not found:
        return
    taken = rules.blocked(found[0])
    after = find_slots(
        open_spans=spans,
        busy=[*busy, taken],
        rules=rules,
        now=now,
        start=BASE,
        end=BASE + timedelta(days=7),
    )
    for slot in after:
        lo, hi = rules.blocked(slot)
        assert hi <= taken[0] or lo >= taken[1]


ZONES = [
    "America/New_York",  # DST ends 1 Nov 2026
    "Europe/London",  # DST ends 25 Oct 2026
    "Australia/Adelaide",  # half-hour zone with DST (starts 4 Oct 2026)
    "Asia/Kolkata",  # half-hour zone, no DST
    "America/St_Johns",  # half-hour zone with DST
    "Australia/Lord_Howe",  # a half-hour DST shift
]


@settings(max_examples=120, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.integers(min_value=0, max_value=60),
    opening=st.sampled_from(["00:30", "01:00", "02:30", "08:00", "09:00"]),
    step=st.sampled_from([15, 30, 60]),
)
def test_slots_keep_local_wall_clock_hours_across_dst(zone, day, opening, step):
    """Every slot starts and ends inside the local working hours, on the step from opening."""
    schedule = BusinessSchedule.weekdays(zone, opening, "17:00", days=range(7))
    first = date(2026, 9, 20) + timedelta(days=day)
    start = datetime.combine(first, datetime.min.time(), UTC) - timedelta(days=1)
    end = start + timedelta(days=4)
    spans = list(open_intervals(schedule, start, end))
    rules = SlotRules(duration=timedelta(minutes=60), step=timedelta(minutes=step))
    found = find_slots(
        open_spans=spans,
        busy=[],
        rules=rules,
        now=start - timedelta(days=1),
        start=start + timedelta(days=1),
        end=end - timedelta(days=1),
    )
    tz = ZoneInfo(zone)
    h, m = map(int, opening.split(":"))
    for slot in found:
        local = slot.astimezone(tz)
        local_end = (slot + rules.duration).astimezone(tz)
        # a wall time in a spring-forward gap opens at the jump (later), never earlier
        assert (local.hour, local.minute) >= (h, m)
        assert local_end.date() == local.date() and (local_end.hour, local_end.minute) <= (17, 0)
        # a gap day may move the opening; slots are still whole steps from the span's start
        span = next(s for s in spans if s[0] <= slot < s[1])
        assert (slot - span[0]) % rules.step == timedelta(0)


def test_new_york_on_the_day_dst_ends():
    """Sunday 1 Nov 2026: 09:00-17:00 New York is 14:00Z-22:00Z (EST), the day before 13:00Z."""
    schedule = BusinessSchedule.weekdays("America/New_York", "09:00", "17:00", days=range(7))
    spans = list(
        open_intervals(
            schedule, datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
        )
    )
    rules = SlotRules(duration=timedelta(minutes=60), step=timedelta(minutes=60))
    found = find_slots(
        open_spans=spans,
        busy=[],
        rules=rules,
        now=datetime(2026, 10, 1, tzinfo=UTC),
        start=datetime(2026, 10, 31, tzinfo=UTC),
        end=datetime(2026, 11, 3, tzinfo=UTC),
    )
    saturday = [s for s in found if s.day == 31]
    sunday = [s for s in found if s.date() == date(2026, 11, 1)]
    assert saturday[0] == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert sunday[0] == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert len(sunday) == 8  # 09:00 ... 16:00


def test_rules_reject_nonsense():
    import pytest

    with pytest.raises(ValueError):
        SlotRules(duration=timedelta(0))
    with pytest.raises(ValueError):
        SlotRules(duration=MIN, step=timedelta(0))
    with pytest.raises(ValueError):
        SlotRules(duration=MIN, buffer_after=-MIN)
