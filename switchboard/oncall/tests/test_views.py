"""Who-is-on-call API, calendar feeds, and the signed acknowledge/resolve links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from switchboard.accounts.actions import issue_api_token
from switchboard.accounts.tests.factories import UserFactory
from switchboard.oncall import actions, delivery
from switchboard.oncall.models import IncidentStatus, Notification
from switchboard.oncall.tests.conftest import make_schedule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)


@pytest.fixture
def weekly(person):
    a, b = person("ann"), person("bob")
    return make_schedule("Weekly", [a, b]), a, b


def test_oncall_api_answers_agents_with_a_bearer_token(weekly, client):
    schedule, _ann, bob = weekly
    token, _ = issue_api_token(user=bob)
    response = client.get(
        "/api/oncall",
        {"at": "2026-03-10T00:00:00+00:00", "schedule": schedule.pk},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response.json() == {
        "at": "2026-03-10T00:00:00+00:00",
        "oncalls": [
            {
                "schedule": {"id": schedule.pk, "name": "Weekly", "time_zone": "UTC"},
                "user": {"id": bob.pk, "name": "Bob", "email": "bob@switchboard.test"},
                "start": "2026-03-09T07:00:00+00:00",
                "end": "2026-03-16T07:00:00+00:00",
            }
        ],
    }


def test_oncall_api_reads_the_bearer_scheme_like_the_rest_api(weekly, client):
    """One parser (core.tokens.bearer_token): the scheme is case-insensitive, as for /api/v2/,
    and a Bearer header with a wrong token is refused rather than read as no header."""
    schedule, _ann, bob = weekly
    token, _ = issue_api_token(user=bob)
    params = {"at": "2026-03-10T00:00:00+00:00", "schedule": schedule.pk}
    assert (
        client.get("/api/oncall", params, HTTP_AUTHORIZATION=f"bearer  {token}").status_code == 200
    )
    assert client.get("/api/oncall", params, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_oncall_api_accepts_a_session_and_refuses_others(weekly, client):
    _schedule, ann, _ = weekly
    assert client.get("/api/oncall").status_code == 401
    client.force_login(UserFactory())
    assert client.get("/api/oncall").status_code == 403
    client.force_login(ann)
    response = client.get("/api/oncall", {"at": "2026-03-03T00:00:00Z"})
    assert response.json()["oncalls"][0]["user"]["email"] == "ann@switchboard.test"
    assert client.get("/api/oncall", {"at": "not a time"}).status_code == 400
    assert client.get("/api/oncall", {"at": "2026-03-03T00:00:00"}).status_code == 400


def test_schedule_feed_has_one_event_per_final_shift_with_stable_uids(weekly, client):
    """15 days back to 180 days ahead; rotating the token retires the old URL."""
    schedule, _ann, _bob = weekly
    token = actions.rotate_schedule_feed_token(schedule=schedule)
    with time_machine.travel(NOW, tick=False):
        first = client.get(f"/oncall/calendar/schedule/{token}.ics")
        again = client.get(f"/oncall/calendar/schedule/{token}.ics")
    assert first.status_code == 200 and first["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(first.content)
    events = cal.walk("VEVENT")
    starts = [e.decoded("dtstart") for e in events]
    # Window [Feb 17 12:00, Aug 31 12:00): the shifts crossing its edges keep their real start
    # (Monday Feb 16 07:00) and end (Monday Sep 7 07:00); weekly Monday 07:00 hand-offs between.
    assert starts[0] == datetime(2026, 2, 16, 7, tzinfo=UTC)
    assert starts[1] == datetime(2026, 2, 23, 7, tzinfo=UTC)
    assert events[-1].decoded("dtend") == datetime(2026, 9, 7, 7, tzinfo=UTC)
    assert len(events) == 29
    assert str(events[1]["summary"]) == "On call: Bob (Weekly)"  # week 7 of the rotation
    assert str(events[2]["summary"]) == "On call: Ann (Weekly)"
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert uids == [str(e["uid"]) for e in Calendar.from_ical(again.content).walk("VEVENT")]

    new_token = actions.rotate_schedule_feed_token(schedule=schedule)
    assert client.get(f"/oncall/calendar/schedule/{token}.ics").status_code == 404
    assert client.get(f"/oncall/calendar/schedule/{new_token}.ics").status_code == 200


def test_a_shift_crossing_the_window_start_keeps_its_uid_and_start_between_fetches(weekly, client):
    """The feed's window moves with the clock; the shift that crosses its start must not (a
    calendar client would delete and re-add an event whose UID changed)."""
    schedule, _ann, _bob = weekly
    token = actions.rotate_schedule_feed_token(schedule=schedule)

    def first_event(at):
        with time_machine.travel(at, tick=False):
            body = client.get(f"/oncall/calendar/schedule/{token}.ics").content
        event = Calendar.from_ical(body).walk("VEVENT")[0]
        return str(event["uid"]), event.decoded("dtstart"), event.decoded("dtend")

    # Both fetches' windows start inside the shift of Mon Feb 16 07:00 - Mon Feb 23 07:00.
    morning = first_event(NOW)
    evening = first_event(NOW + timedelta(hours=9))
    assert morning == evening
    assert morning[1:] == (
        datetime(2026, 2, 16, 7, tzinfo=UTC),
        datetime(2026, 2, 23, 7, tzinfo=UTC),
    )


def test_user_feed_lists_only_that_users_shifts_across_schedules(weekly, person, client):
    _schedule, ann, bob = weekly
    other = make_schedule("Other", [ann], turn=timedelta(days=1))
    actions.add_override(
        schedule=other,
        user=bob,
        start=NOW,
        end=NOW + timedelta(hours=2),
        now=NOW - timedelta(days=1),
    )
    token = actions.rotate_user_feed_token(user=ann)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/oncall/calendar/user/{token}.ics")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    summaries = {str(e["summary"]) for e in events}
    assert summaries == {"On call: Ann (Weekly)", "On call: Ann (Other)"}
    other_events = [e for e in events if "Other" in str(e["summary"])]
    # Ann is always on "Other" except Bob's two-hour override: two events around it, with their
    # real edges (the schedule began Jan 5 07:00; the stretch after the override never ends, so it
    # ends where the lookup stops, beyond the window).
    (first_start, first_end), (second_start, second_end) = [
        (e.decoded("dtstart"), e.decoded("dtend")) for e in other_events
    ]
    assert (first_start, first_end) == (datetime(2026, 1, 5, 7, tzinfo=UTC), NOW)
    assert second_start == NOW + timedelta(hours=2)
    assert second_end >= NOW + timedelta(days=180)
    assert client.get("/oncall/calendar/user/wrong.ics").status_code == 404


def _email_links(emergency_setup) -> tuple[object, str, str]:
    service, _ = emergency_setup
    incident, _ = actions.trigger_incident(service=service, summary="x", dedup_key="k")
    notification = Notification.objects.filter(incident=incident).first()
    ack = delivery.action_url(notification, "acknowledge")
    resolve = delivery.action_url(notification, "resolve")
    return incident, ack.split("8000", 1)[-1], resolve.split("8000", 1)[-1]


def test_signed_link_get_confirms_and_post_with_csrf_acts(emergency):
    incident, ack, resolve = _email_links(emergency)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(ack)
    assert page.status_code == 200 and b"Acknowledge</button>" in page.content
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED  # GET changes nothing
    assert browser.post(ack).status_code == 403  # no CSRF token
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    done = browser.post(ack, {"csrfmiddlewaretoken": csrf.decode()})
    assert done.status_code == 200 and b"Done: acknowledge" in done.content
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_by.email == "amer@switchboard.test"

    page = browser.get(resolve)
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    browser.post(resolve, {"csrfmiddlewaretoken": csrf.decode()})
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_altered_or_expired_links_do_nothing(emergency):
    incident, ack, _ = _email_links(emergency)
    client = Client()
    assert client.get(ack[:-3] + "xyz").status_code == 400
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        assert client.get(ack).status_code == 400
        assert client.post(ack).status_code == 400
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
