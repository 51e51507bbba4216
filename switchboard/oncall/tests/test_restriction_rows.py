"""A layer's time restrictions are edited as rows (daily or weekly windows) in the admin, stored
in the format the rotation reads, and a row that cannot be read is refused next to the row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.oncall import queries, rotation
from switchboard.oncall.models import OnCallSchedule, ScheduleLayer
from switchboard.oncall.restriction_form import json_to_row, row_to_json

pytestmark = pytest.mark.django_db

LAYER_ADD = "/admin/oncall/schedulelayer/add/"
EMPTY = {"kind": "", "day": "", "start": "", "end_day": "", "end": ""}


def _post(schedule, ann, rows) -> dict:
    data = {
        "schedule": schedule.pk,
        "position": "0",
        "name": "Business hours",
        "users": [str(ann.pk)],
        "rotation_virtual_start_0": "2026-01-05",
        "rotation_virtual_start_1": "07:00:00",
        "turn_length": "7 00:00:00",
        "start_0": "2026-01-05",
        "start_1": "07:00:00",
    }
    for part in EMPTY:
        data[f"restrictions-{part}"] = [row.get(part, "") for row in rows]
    return data


@pytest.fixture
def setup(db):
    return OnCallSchedule.objects.create(name="EMEA"), AgentFactory(name="Ann Agent")


def test_rows_are_stored_as_restrictions_and_shown_again(admin_client, setup):
    schedule, ann = setup
    page = admin_client.get(LAYER_ADD).content.decode()
    assert 'class="restriction-rows"' in page and "Add a window…" in page
    rows = [
        {"kind": "daily", "start": "08:00", "end": "16:00"},
        {"kind": "weekly", "day": "4", "start": "17:00", "end_day": "0", "end": "09:00"},
        EMPTY,  # the empty row to add one is ignored
    ]
    response = admin_client.post(LAYER_ADD, _post(schedule, ann, rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    layer = ScheduleLayer.objects.get()
    assert layer.restrictions == [
        {"kind": "daily", "start_time": "08:00", "duration_minutes": 480},
        {"kind": "weekly", "start_weekday": 4, "start_time": "17:00", "duration_minutes": 3840},
    ]
    # the rotation reads them: on duty on a Tuesday at 10:00 (UTC schedule), off at 20:00
    assert len(queries.layer_from_row(layer).restrictions) == 2
    start = datetime(2026, 3, 2, tzinfo=UTC)
    loaded = queries.load_schedule(schedule, start, start + timedelta(days=7))
    assert rotation.on_call_at(loaded, datetime(2026, 3, 3, 10, tzinfo=UTC)) == str(ann.pk)
    assert rotation.on_call_at(loaded, datetime(2026, 3, 3, 20, tzinfo=UTC)) is None

    change = admin_client.get(f"/admin/oncall/schedulelayer/{layer.pk}/change/").content.decode()
    assert change.count('<tr class="restriction-row') == 3  # two windows and an empty row
    assert 'value="08:00"' in change and 'value="16:00"' in change
    assert 'value="4" selected>Friday' in change and 'value="0" selected>Monday' in change


def test_a_row_is_removed_by_choosing_remove(admin_client, setup):
    schedule, ann = setup
    layer = ScheduleLayer.objects.create(
        schedule=schedule,
        users=[ann.pk],
        rotation_virtual_start=datetime(2026, 1, 5, 7, tzinfo=UTC),
        turn_length=timedelta(days=7),
        start=datetime(2026, 1, 5, 7, tzinfo=UTC),
        restrictions=[{"kind": "daily", "start_time": "08:00", "duration_minutes": 480}],
    )
    rows = [{"kind": "remove", "start": "08:00", "end": "16:00"}, EMPTY]
    url = f"/admin/oncall/schedulelayer/{layer.pk}/change/"
    response = admin_client.post(url, _post(schedule, ann, rows))
    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.restrictions == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"kind": "daily", "start": "25:00", "end": "16:00"},
            "start time &#x27;25:00&#x27; is not",
        ),
        ({"kind": "daily", "start": "08:00", "end": ""}, "give a start time and an end time"),
        ({"kind": "", "start": "08:00", "end": "16:00"}, "choose daily or weekly"),
        ({"kind": "weekly", "start": "08:00", "end_day": "1", "end": "16:00"}, "choose the start"),
        ({"kind": "daily", "day": "2", "start": "08:00", "end": "16:00"}, "runs every day"),
    ],
)
def test_a_bad_row_is_refused_next_to_the_row(admin_client, setup, row, message):
    schedule, ann = setup
    ok = {"kind": "daily", "start": "08:00", "end": "16:00"}
    response = admin_client.post(LAYER_ADD, _post(schedule, ann, [ok, row]))
    assert response.status_code == 200
    html = response.content.decode()
    errorlist = html.split('class="errorlist')[1].split("</ul>")[0]
    assert "Row 2:" in errorlist and message in errorlist
    # and in the row itself, which keeps what was typed
    first, second = html.split('<tr class="restriction-row')[1:3]
    assert "has-error" not in first
    assert "has-error" in second and "Row 2:" in second and message in second
    assert not ScheduleLayer.objects.exists()


@pytest.mark.parametrize(
    "stored",
    [
        {"kind": "daily", "start_time": "22:00", "duration_minutes": 600},
        {"kind": "daily", "start_time": "00:00", "duration_minutes": 1440},
        {"kind": "weekly", "start_weekday": 6, "start_time": "23:30", "duration_minutes": 90},
        {"kind": "weekly", "start_weekday": 0, "start_time": "09:00", "duration_minutes": 10080},
    ],
)
def test_rows_and_stored_restrictions_round_trip(stored):
    assert row_to_json(json_to_row(stored)) == stored
