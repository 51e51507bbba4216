"""Booking with single-use links: consumed once, bound to the ticket, never overlapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
from django.core.management import call_command

from switchboard.calls import actions, availability
from switchboard.calls.models import BookingLink, Call, CallStatus
from switchboard.calls.tests.conftest import NOW, UPGRADE_ANSWERS
from switchboard.core.errors import NotFound, ValidationFailed
from switchboard.core.tokens import hash_token
from switchboard.notify.models import Delivery

pytestmark = pytest.mark.django_db


def mint(host, ticket, event_type, now=NOW):
    link, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=event_type, agent=host, now=now
    )
    return link, url.rsplit("/", 1)[1]


def book(token, start, now=NOW, **kwargs):
    kwargs.setdefault("name", "Peter Gibbons")
    kwargs.setdefault("email", "peter@initech.test")
    kwargs.setdefault("time_zone", "Australia/Brisbane")
    return actions.book_call(token=token, start=start, now=now, **kwargs)


# Tue 27 Oct 2026 10:00 New York (EDT, UTC-4) = 14:00Z.
TUESDAY_10 = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)


def test_link_token_is_random_long_and_stored_hashed(host, ticket, support_call):
    """The URL carries ≥128 random bits; only its SHA-256 is stored."""
    link, token = mint(host, ticket, support_call)
    assert len(token) >= 43  # 32 bytes, base64url
    assert link.token_hash == hash_token(token)
    assert token not in str(BookingLink.objects.values_list().get(pk=link.pk))


def test_booking_consumes_the_link_and_a_second_use_conflicts(host, ticket, support_call):
    """One booking per link: the second attempt is a 409, whatever the slot."""
    _, token = mint(host, ticket, support_call)
    call = book(token, TUESDAY_10)
    assert call.status == CallStatus.SCHEDULED
    assert call.end - call.start == timedelta(minutes=60)
    with pytest.raises(actions.Conflict, match="already been used"):
        book(token, TUESDAY_10 + timedelta(hours=2))
    assert Call.objects.count() == 1


def test_a_newer_link_revokes_the_older_one(host, ticket, support_call):
    """Minting again for the same ticket revokes the unused older link."""
    _, old = mint(host, ticket, support_call)
    _, new = mint(host, ticket, support_call)
    with pytest.raises(actions.Conflict, match="replaced by a newer one"):
        book(old, TUESDAY_10)
    assert book(new, TUESDAY_10).pk


def test_expired_and_unknown_links(host, ticket, support_call):
    _, token = mint(host, ticket, support_call)
    with pytest.raises(actions.Conflict, match="expired"):
        book(token, TUESDAY_10, now=NOW + timedelta(days=15))
    with pytest.raises(NotFound):
        book("not-a-token", TUESDAY_10)


def test_a_slot_outside_working_hours_or_not_on_the_step_is_refused(host, ticket, support_call):
    """Nothing is written: the link stays usable."""
    _, token = mint(host, ticket, support_call)
    for start in (
        datetime(2026, 10, 27, 2, 0, tzinfo=UTC),  # 22:00 New York
        TUESDAY_10 + timedelta(minutes=10),  # not on the 30-minute step
        datetime(2026, 10, 27, 20, 30, tzinfo=UTC),  # 16:30: would end after 17:00
    ):
        with pytest.raises(actions.Conflict, match="no longer available"):
            book(token, start)
    assert BookingLink.objects.get().used_at is None
    assert book(token, TUESDAY_10).pk


def test_overlapping_event_types_never_both_book_buffers_included(
    host, ticket, support_call, discovery, requester
):
    """A 15-minute call cannot start inside a 60-minute call's time or its 15-minute buffer."""
    _, token = mint(host, ticket, support_call)
    book(token, TUESDAY_10)  # 10:00-11:00 + 15 min buffer after
    from switchboard.tickets.actions.create import create_ticket

    other = create_ticket(actor=requester, requester=requester, subject="Other", description="x")
    _, token2 = mint(host, other, discovery)
    for start in (TUESDAY_10 + timedelta(minutes=30), TUESDAY_10 + timedelta(minutes=60)):
        with pytest.raises(actions.Conflict):
            book(token2, start)
    call = book(token2, TUESDAY_10 + timedelta(minutes=75))  # 11:15, after the buffer
    assert call.event_type == discovery


def test_slots_follow_the_agents_wall_clock_across_us_dst_end(host, support_call):
    """Sunday 1 Nov 2026 (US DST ends at 02:00): 09:00 New York is 14:00Z, a week before 13:00Z."""
    now = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    before = availability.slots_for(
        host,
        support_call,
        start=datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
        end=datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
        now=now - timedelta(days=1),
    )
    after = availability.slots_for(
        host,
        support_call,
        start=datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
        end=datetime(2026, 11, 2, 0, 0, tzinfo=UTC),
        now=now,
    )
    assert before[0] == datetime(2026, 10, 25, 13, 0, tzinfo=UTC)
    assert after[0] == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert after[-1] == datetime(2026, 11, 1, 21, 0, tzinfo=UTC)  # 16:00 EST, ends at 17:00


def test_restricted_event_type_needs_priority_or_implementation_support(
    host, ticket, upgrade, requester
):
    org = requester.organization
    org.support_level = "standard"
    org.save()
    with pytest.raises(ValidationFailed, match="priority support or implementation support"):
        mint(host, ticket, upgrade)
    from switchboard.calls.models import OrganizationCallPolicy

    OrganizationCallPolicy.objects.create(organization=org, implementation_support=True)
    assert mint(host, ticket, upgrade)[1]


def test_upgrade_questions_are_required_and_stored(host, ticket, upgrade):
    _, token = mint(host, ticket, upgrade)
    start = TUESDAY_10 + timedelta(minutes=30)
    with pytest.raises(ValidationFailed, match="backup has finished"):
        book(token, start, answers={**UPGRADE_ANSWERS, "backup_finished": False})
    with pytest.raises(ValidationFailed, match="Current version is required"):
        book(token, start, answers={**UPGRADE_ANSWERS, "current_version": " "})
    with pytest.raises(ValidationFailed, match="not a question"):
        book(token, start, answers={**UPGRADE_ANSWERS, "extra": "x"})
    call = book(token, start, answers=UPGRADE_ANSWERS)
    assert call.answers["target_version"] == "17.5.1"
    note = ticket.comments.filter(public=False, metadata__call_id=call.pk).first()
    assert "Current version: 16.11.2" in note.body


def test_booking_effects_on_the_ticket_and_outbox(host, ticket, support_call):
    """Internal note, public confirmation, tag, and .ics invites in each reader's zone."""
    _, token = mint(host, ticket, support_call)
    call = book(token, TUESDAY_10)
    ticket.refresh_from_db()
    assert "call_scheduled" in ticket.tag_names()
    public = ticket.comments.filter(public=True, metadata__call_id=call.pk).get()
    assert "Wed 28 Oct 2026, 00:00 (Australia/Brisbane, UTC+10:00)" in public.body
    assert "/book/manage/" not in public.body  # bearer links only in the invitee's email
    invites = Delivery.objects.filter(event="call.request").order_by("recipient")
    assert sorted(d.recipient for d in invites) == ["ada@switchboard.test", "peter@initech.test"]
    instants = set()
    for delivery in invites:
        cal = icalendar.Calendar.from_ical(delivery.payload["calendar"]["ics"])
        assert str(cal["method"]) == "REQUEST"
        event = cal.walk("VEVENT")[0]
        assert str(event["uid"]) == call.uid and int(event["sequence"]) == 0
        instants.add(event["dtstart"].dt.astimezone(UTC))
    assert instants == {TUESDAY_10}
    customer = invites.get(recipient="peter@initech.test")
    assert "/book/manage/" in customer.payload["text"]
    assert customer.payload["sensitive"] is True


def test_reschedule_keeps_the_call_and_raises_the_sequence_cancel_sends_cancel(
    host, ticket, support_call
):
    _, token = mint(host, ticket, support_call)
    call = book(token, TUESDAY_10)
    moved = actions.reschedule_call(call=call, start=TUESDAY_10 + timedelta(days=1), now=NOW)
    assert moved.pk == call.pk and moved.sequence == 1 and moved.uid == call.uid
    canceled = actions.cancel_call(call=moved, reason="Solved by email", now=NOW)
    assert canceled.status == CallStatus.CANCELED and canceled.sequence == 2
    cancel = Delivery.objects.filter(event="call.cancel", recipient="peter@initech.test").get()
    cal = icalendar.Calendar.from_ical(cancel.payload["calendar"]["ics"])
    assert str(cal["method"]) == "CANCEL"
    assert int(cal.walk("VEVENT")[0]["sequence"]) == 2
    # the freed time can be booked again
    _, token2 = mint(host, ticket, support_call)
    assert book(token2, TUESDAY_10 + timedelta(days=1)).pk


def test_team_link_books_the_least_recently_booked_free_agent(ticket, support_call, host):
    from switchboard.accounts.tests.factories import AgentFactory, SupportGroupFactory
    from switchboard.calls.tests.conftest import WEEKDAYS_9_TO_5

    group = SupportGroupFactory(name="Support")
    bea = AgentFactory(name="Bea", time_zone="America/New_York", working_hours=WEEKDAYS_9_TO_5)
    host.support_groups.add(group)
    bea.support_groups.add(group)
    # Ada was booked before; Bea never: Bea gets the first team booking.
    _, token = mint(host, ticket, support_call)
    book(token, TUESDAY_10 + timedelta(days=2))
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, group=group, now=NOW
    )
    first = book(url.rsplit("/", 1)[1], TUESDAY_10)
    assert first.agent == bea
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, group=group, now=NOW
    )
    second = book(url.rsplit("/", 1)[1], TUESDAY_10)  # Bea is busy then: Ada
    assert second.agent == host


def test_busy_calendar_from_a_local_ics_server_blocks_slots(host, support_call, tmp_path):
    """The worker reads the agent's iCal URL (recurring events expanded) into busy times."""
    import http.server
    import threading

    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:standup@test\r\nDTSTAMP:20261001T000000Z\r\n"
        b"DTSTART;TZID=America/New_York:20261026T100000\r\n"
        b"DTEND;TZID=America/New_York:20261026T110000\r\n"
        b"RRULE:FREQ=DAILY;COUNT=10\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:free@test\r\nDTSTAMP:20261001T000000Z\r\n"
        b"DTSTART:20261027T180000Z\r\nDTEND:20261027T190000Z\r\nTRANSP:TRANSPARENT\r\n"
        b"SUMMARY:Optional\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from switchboard.calls import tasks
        from switchboard.calls.models import AgentCallSettings

        row = actions.save_agent_call_settings(
            actor=host, calendar_url=f"http://127.0.0.1:{server.server_port}/cal.ics"
        )
        tasks.refresh_busy(row, NOW)
    finally:
        server.shutdown()
    row = AgentCallSettings.objects.get(pk=row.pk)
    assert row.busy_error == "" and len(row.busy) >= 8
    day = availability.slots_for(
        host,
        support_call,
        start=TUESDAY_10 - timedelta(hours=1),
        end=TUESDAY_10 + timedelta(hours=9),
        now=NOW,
    )
    # 10:00-11:00 New York is busy every day: no call may overlap it; 14:00 (transparent) is free
    assert TUESDAY_10 not in day and TUESDAY_10 - timedelta(minutes=30) not in day
    assert datetime(2026, 10, 27, 18, 0, tzinfo=UTC) in day
    assert TUESDAY_10 + timedelta(hours=1) in day


def test_macro_placeholder_mints_a_link_that_answers(host, ticket, support_call, client):
    """The shipped invite macro's link opens the booking page (it used to answer 404)."""
    import importlib

    from django.apps import apps

    from switchboard.tickets.actions.macros import apply_macro
    from switchboard.tickets.models import Macro

    if not Macro.objects.filter(title="General::Invite customer call").exists():
        importlib.import_module(
            "switchboard.tickets.migrations.0002_shipped_macros_and_views"
        ).create_shipped(apps, None)
    macro = Macro.objects.get(title="General::Invite customer call")
    apply_macro(ticket=ticket, macro=macro, actor=host)
    body = ticket.comments.filter(metadata__macro_id=macro.pk).get().body
    url = next(w for w in body.split() if "/book/" in w)
    assert BookingLink.objects.filter(token_hash=hash_token(url.rsplit("/", 1)[1])).exists()
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200


def test_seeded_event_types(db):
    call_command("migrate", "calls", verbosity=0)
    from switchboard.calls.models import EventType

    titles = {e.slug: e for e in EventType.objects.all()}
    assert titles["support-call"].duration_minutes == 60
    assert titles["support-discovery-call"].duration_minutes == 15
    assert titles["support-discovery-call"].shows_on_team_calendar
    assert titles["upgrade-assistance"].priority_or_implementation_only


def test_holidays_of_the_agents_holiday_calendar_close_the_day(host, support_call):
    from datetime import date

    from switchboard.calls.models import AgentCallSettings
    from switchboard.sla.models import Holiday, Schedule

    schedule = Schedule.objects.create(name="US holidays", time_zone="America/New_York")
    Holiday.objects.create(schedule=schedule, date=date(2026, 10, 27), name="Company day")
    AgentCallSettings.objects.create(user=host, holiday_schedule=schedule)
    found = availability.slots_for(
        host,
        support_call,
        start=datetime(2026, 10, 27, 0, 0, tzinfo=UTC),
        end=datetime(2026, 10, 29, 0, 0, tzinfo=UTC),
        now=NOW,
    )
    assert found and all(s.date() == date(2026, 10, 28) for s in found)


def test_team_link_with_nobody_free_is_a_conflict(ticket, support_call, host):
    from switchboard.accounts.tests.factories import SupportGroupFactory

    group = SupportGroupFactory(name="Solo")
    host.support_groups.add(group)
    _, token = mint(host, ticket, support_call)
    book(token, TUESDAY_10)
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, group=group, now=NOW
    )
    with pytest.raises(actions.Conflict, match="no longer available"):
        book(url.rsplit("/", 1)[1], TUESDAY_10)


def test_the_worker_sweep_hands_busy_calendars_to_a_job(host):
    """Due calendars become one job each (fetched outside the sweep's transaction)."""
    from django_tasks_db.models import DBTaskResult

    from switchboard.calls.models import AgentCallSettings
    from switchboard.core.sweeps import registered_sweeps, run_sweep

    row = AgentCallSettings.objects.create(
        user=host, calendar_url="http://127.0.0.1:9/cal.ics", busy_refresh_due_at=NOW
    )
    sweep = next(s for s in registered_sweeps() if s.name == "calls.busy_calendars")
    assert run_sweep(sweep, NOW) == 1
    job = DBTaskResult.objects.get(task_path__endswith="refresh_busy_calendar")
    assert job.args_kwargs["args"] == [row.pk]
    row.refresh_from_db()
    assert row.busy_refresh_due_at > NOW
    assert run_sweep(sweep, NOW) == 0
    # the job itself: an unreachable calendar keeps the (empty) busy list and records why
    from switchboard.calls.tasks import refresh_busy_calendar

    outcome = refresh_busy_calendar.call(row.pk)
    assert "URLError" in outcome or "ConnectionRefused" in outcome, outcome
    row.refresh_from_db()
    assert row.busy_error and row.busy == []
