"""Schedules through the model layer: rows → rotation.Schedule → shifts and who is on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from switchboard.oncall import actions, queries
from switchboard.oncall.models import ScheduleLayer
from switchboard.oncall.tests.conftest import make_schedule

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def as_tuples(shifts, people):
    by_id = {str(p.pk): name for name, p in people.items()}
    return [(by_id[s.user], s.start, s.end) for s in shifts]


def window(start: str, minutes: int) -> list:
    return [{"kind": "daily", "start_time": start, "duration_minutes": minutes}]


def test_follow_the_sun_week_has_three_regional_shifts_a_day(person):
    """EMEA 07–15, AMER 15–23, APAC 23–07 UTC; the weekly hand-off is Monday 07:00 UTC."""
    people = {h: person(h) for h in ["e1", "e2", "a1", "a2", "p1", "p2"]}
    schedule = make_schedule(
        "Follow the sun", [people["e1"], people["e2"]], restrictions=window("07:00", 480)
    )
    for region, start in (("a", "15:00"), ("p", "23:00")):
        actions.add_layer(
            schedule=schedule,
            users=[people[f"{region}1"].pk, people[f"{region}2"].pk],
            rotation_virtual_start=utc(2026, 1, 5, 7),
            turn_length=timedelta(days=7),
            restrictions=window(start, 480),
        )
    # 2026-03-02 is eight weeks after the rotation start: everybody's first person again.
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 2, 7), utc(2026, 3, 9, 15)), people)
    expected = []
    for day in range(7):
        d = utc(2026, 3, 2) + timedelta(days=day)
        expected += [
            ("e1", d + timedelta(hours=7), d + timedelta(hours=15)),
            ("a1", d + timedelta(hours=15), d + timedelta(hours=23)),
            ("p1", d + timedelta(hours=23), d + timedelta(hours=31)),
        ]
    expected.append(("e2", utc(2026, 3, 9, 7), utc(2026, 3, 9, 15)))
    assert got == expected
    assert queries.on_call_at(schedule, utc(2026, 3, 4, 3)) == people["p1"]
    assert queries.on_call_at(schedule, utc(2026, 3, 9, 6, 59)) == people["p1"]
    assert queries.on_call_at(schedule, utc(2026, 3, 9, 7)) == people["e2"]
    assert queries.on_call_at(schedule, utc(2026, 3, 9, 16)) == people["a2"]


def test_daily_hand_off_keeps_local_time_across_the_dst_change(person):
    """Amsterdam 09:00–17:00 daily turns: 08:00 UTC in CET, 07:00 UTC from Sunday 29 March."""
    people = {h: person(h) for h in ["x", "y"]}
    ams = ZoneInfo("Europe/Amsterdam")
    schedule = make_schedule(
        "Amsterdam days",
        [people["x"], people["y"]],
        tz="Europe/Amsterdam",
        turn=timedelta(days=1),
        rotation_virtual_start=datetime(2026, 3, 23, 9, tzinfo=ams),
        restrictions=window("09:00", 480),
    )
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 23), utc(2026, 3, 31)), people)
    assert got == [
        ("x", utc(2026, 3, 23, 8), utc(2026, 3, 23, 16)),
        ("y", utc(2026, 3, 24, 8), utc(2026, 3, 24, 16)),
        ("x", utc(2026, 3, 25, 8), utc(2026, 3, 25, 16)),
        ("y", utc(2026, 3, 26, 8), utc(2026, 3, 26, 16)),
        ("x", utc(2026, 3, 27, 8), utc(2026, 3, 27, 16)),
        ("y", utc(2026, 3, 28, 8), utc(2026, 3, 28, 16)),
        ("x", utc(2026, 3, 29, 7), utc(2026, 3, 29, 15)),
        ("y", utc(2026, 3, 30, 7), utc(2026, 3, 30, 15)),
    ]
    assert queries.on_call_at(schedule, utc(2026, 3, 29, 7)) == people["x"]
    assert queries.on_call_at(schedule, utc(2026, 3, 29, 6, 59)) is None
    assert queries.on_call_at(schedule, utc(2026, 3, 28, 15, 59)) == people["y"]


def test_weekly_new_york_hand_off_moves_in_utc_when_clocks_change(person):
    """Monday 09:00 New York: 14:00 UTC before 8 March 2026, 13:00 UTC after."""
    people = {h: person(h) for h in ["n1", "n2"]}
    ny = ZoneInfo("America/New_York")
    schedule = make_schedule(
        "New York weekly",
        [people["n1"], people["n2"]],
        tz="America/New_York",
        rotation_virtual_start=datetime(2026, 2, 23, 9, tzinfo=ny),
    )
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 1), utc(2026, 3, 20)), people)
    assert got == [
        ("n1", utc(2026, 3, 1), utc(2026, 3, 2, 14)),
        ("n2", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),
        ("n1", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
        ("n2", utc(2026, 3, 16, 13), utc(2026, 3, 20)),
    ]


def test_overrides_inside_and_across_shifts_newest_first(person):
    """An override inside a shift splits it; one across a hand-off covers both sides."""
    people = {h: person(h) for h in ["a", "b", "c", "d", "e"]}
    schedule = make_schedule("Weekly", [people["a"], people["b"]])
    created = utc(2026, 2, 1)
    actions.add_override(
        schedule=schedule,
        user=people["c"],
        start=utc(2026, 3, 3, 10),
        end=utc(2026, 3, 3, 12),
        now=created,
    )
    actions.add_override(
        schedule=schedule,
        user=people["d"],
        start=utc(2026, 3, 9, 5),
        end=utc(2026, 3, 9, 9),
        now=created,
    )
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 2, 7), utc(2026, 3, 16, 7)), people)
    assert got == [
        ("a", utc(2026, 3, 2, 7), utc(2026, 3, 3, 10)),
        ("c", utc(2026, 3, 3, 10), utc(2026, 3, 3, 12)),
        ("a", utc(2026, 3, 3, 12), utc(2026, 3, 9, 5)),
        ("d", utc(2026, 3, 9, 5), utc(2026, 3, 9, 9)),
        ("b", utc(2026, 3, 9, 9), utc(2026, 3, 16, 7)),
    ]
    # A newer override over part of c's wins there.
    actions.add_override(
        schedule=schedule,
        user=people["e"],
        start=utc(2026, 3, 3, 11),
        end=utc(2026, 3, 3, 13),
        now=created + timedelta(days=1),
    )
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 3, 9), utc(2026, 3, 3, 14)), people)
    assert got == [
        ("a", utc(2026, 3, 3, 9), utc(2026, 3, 3, 10)),
        ("c", utc(2026, 3, 3, 10), utc(2026, 3, 3, 11)),
        ("e", utc(2026, 3, 3, 11), utc(2026, 3, 3, 13)),
        ("a", utc(2026, 3, 3, 13), utc(2026, 3, 3, 14)),
    ]
    assert queries.on_call_at(schedule, utc(2026, 3, 9, 6)) == people["d"]


def test_editing_a_layer_changes_the_future_only(person):
    """Changing the users at 12:00 ends the old row there; the morning keeps the old rotation."""
    people = {h: person(h) for h in ["a", "b", "c"]}
    schedule = make_schedule("Daily", [people["a"], people["b"]], turn=timedelta(days=1))
    layer = schedule.layers.get()
    now = utc(2026, 3, 3, 12)
    before = as_tuples(queries.shifts(schedule, utc(2026, 3, 2, 7), now), people)

    new = actions.edit_layer(layer=layer, users=[people["c"].pk], now=now)

    layer.refresh_from_db()
    assert (layer.end, new.start, new.position) == (now, now, layer.position)
    assert ScheduleLayer.objects.filter(schedule=schedule).count() == 2
    assert as_tuples(queries.shifts(schedule, utc(2026, 3, 2, 7), now), people) == before
    got = as_tuples(queries.shifts(schedule, utc(2026, 3, 2, 7), utc(2026, 3, 5, 7)), people)
    assert got == [
        ("a", utc(2026, 3, 2, 7), utc(2026, 3, 3, 7)),
        ("b", utc(2026, 3, 3, 7), utc(2026, 3, 3, 12)),
        ("c", utc(2026, 3, 3, 12), utc(2026, 3, 5, 7)),
    ]


def test_a_layer_with_an_unknown_user_is_rejected(person):
    from switchboard.core.errors import ValidationFailed

    schedule = make_schedule("Empty", [])
    with pytest.raises(ValidationFailed, match="unknown user ids"):
        actions.add_layer(
            schedule=schedule,
            users=[987654],
            rotation_virtual_start=utc(2026, 1, 1),
            turn_length=timedelta(days=1),
        )
    with pytest.raises(ValidationFailed, match="turn_length"):
        actions.add_layer(
            schedule=schedule,
            users=[person("z").pk],
            rotation_virtual_start=utc(2026, 1, 1),
            turn_length=timedelta(0),
        )
