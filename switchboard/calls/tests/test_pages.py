"""Agent pages for calls (ticket buttons, /calls/, feeds, settings) and the public booking page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.calls import actions
from switchboard.calls.models import BookingLink, Call, CallSuggestion, EventType
from switchboard.calls.tests.conftest import NOW, WEEKDAYS_9_TO_5
from switchboard.web.queries import pick_lists

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(client, host):
    client.force_login(host)
    return client


def book_one(host, ticket, event_type, start):
    _, url = actions.mint_booking_link(actor=host, ticket=ticket, event_type=event_type, agent=host)
    return actions.book_call(
        token=url.rsplit("/", 1)[1], start=start, name="P", email="p@initech.test"
    )


def test_mint_button_shows_the_link_once_and_revokes_older(agent_client, ticket, support_call):
    response = agent_client.post(
        f"/tickets/{ticket.pk}/calls/link",
        {"event_type": support_call.pk, "target": "me"},
        follow=True,
    )
    assert response.status_code == 200
    assert re.search(r"/book/[A-Za-z0-9_-]{43}", response.content.decode())
    agent_client.post(f"/tickets/{ticket.pk}/calls/link", {"event_type": support_call.pk})
    assert BookingLink.objects.filter(revoked_at__isnull=True).count() == 1
    bad = agent_client.post(f"/tickets/{ticket.pk}/calls/link", {"event_type": "x"})
    assert bad.status_code == 422


def test_customers_cannot_use_agent_call_pages(client, requester, ticket, support_call):
    client.force_login(requester)
    response = client.post(f"/tickets/{ticket.pk}/calls/link", {"event_type": support_call.pk})
    assert response.status_code == 302 and BookingLink.objects.count() == 0
    assert client.get("/calls/").status_code == 302


def test_team_calendar_shows_support_calls_with_bounded_queries(
    agent_client, host, ticket, support_call, requester
):
    hidden = EventType.objects.create(
        title="Sales demo", slug="sales-demo", minimum_notice_minutes=0
    )
    other = AgentFactory(name="Bea", working_hours=WEEKDAYS_9_TO_5)
    book_one(host, ticket, support_call, TUESDAY_10)
    book_one(other, ticket, hidden, TUESDAY_10)
    with CaptureQueriesContext(connection) as few:
        page = agent_client.get("/calls/?view=week&date=2026-10-27").content.decode()
    assert "Support call" in page and "Sales demo" not in page
    for i in range(5):
        start = TUESDAY_10 + timedelta(days=1 + i // 3, hours=2 * (i % 3))
        book_one(other, ticket, support_call, start)
    with CaptureQueriesContext(connection) as many:
        page = agent_client.get("/calls/?view=week&date=2026-10-27").content.decode()
    assert page.count('class="call-row"') == 6
    assert len(many) == len(few)
    day = agent_client.get("/calls/?view=day&date=2026-10-27").content.decode()
    assert day.count('class="call-row"') == 1 and "10:00" in day  # New York time


def test_feeds_behind_hashed_rotatable_tokens(agent_client, host, ticket, support_call):
    book_one(host, ticket, support_call, TUESDAY_10)
    agent_client.post("/calls/feeds/team/rotate")
    page = agent_client.get("/calls/").content.decode()
    url = re.search(r"http://testserver(/calls/feeds/[A-Za-z0-9_-]+\.ics)", page).group(1)
    anonymous = agent_client.__class__()
    feed = anonymous.get(url)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    assert [e["dtstart"].dt.astimezone(UTC) for e in cal.walk("VEVENT")] == [TUESDAY_10]
    agent_client.post("/calls/feeds/team/rotate")
    assert anonymous.get(url).status_code == 404
    assert anonymous.get("/calls/feeds/guess.ics").status_code == 404
    assert agent_client.post("/calls/feeds/other/rotate").status_code == 422


def test_booking_page_lists_slots_in_the_chosen_zone_and_books(client, host, ticket, support_call):
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host
    )
    path = url.split("testserver", 1)[-1] if "testserver" in url else "/" + url.split("/", 3)[3]
    page = client.get(path + "?tz=Europe/Berlin").content.decode()
    assert 'value="2026-10-27T14:00:00+00:00"' in page
    assert "> 15:00</label>" in page  # 10:00 New York = 15:00 Berlin (CET since 25 Oct)
    bad = client.get(path + "?tz=Nowhere/Land")
    assert "not a known time zone" in bad.content.decode()
    missing = client.post(path, {"tz": "Europe/Berlin", "name": "P", "email": "p@x.test"})
    assert missing.status_code == 422 and "choose a time" in missing.content.decode()
    ok = client.post(
        path,
        {"tz": "Europe/Berlin", "name": "P", "email": "p@x.test", "start": TUESDAY_10.isoformat()},
    )
    assert ok.status_code == 201 and "15:00 (Europe/Berlin)" in ok.content.decode()
    used = client.get(path)
    assert used.status_code == 410 and "already been used" in used.content.decode()
    assert client.get("/book/nonsense").status_code == 404


def test_ticket_page_calls_panel_and_start_now(agent_client, host, ticket, support_call):
    book_one(host, ticket, support_call, TUESDAY_10)
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="calls-panel"' in page and "Support call" in page and 'id="mint-link"' in page
    response = agent_client.post(
        f"/tickets/{ticket.pk}/calls/start", {"event_type": support_call.pk}, follow=True
    )
    assert "Meeting link posted" in response.content.decode()
    assert Call.objects.filter(immediate=True).count() == 1


def test_call_settings_page_sets_hours_room_and_validates(agent_client, host):
    form = {
        "time_zone": "Europe/Berlin",
        "hours_mon": "09:00-12:00, 13:00-17:30",
        "hours_fri": "10:00-14:00",
        "meeting_url": "https://example.webex.com/meet/ada",
        "calendar_url": "",
    }
    for broken, message in [
        ({"meeting_url": "ftp://x"}, "http"),
        ({"hours_mon": "9 to 5"}, "09:00-17:00"),
        ({"hours_mon": "17:00-09:00"}, "must end after it starts"),
        ({"time_zone": "Mars/Base"}, "not a known time zone"),
    ]:
        bad = agent_client.post("/calls/settings", {**form, **broken})
        assert bad.status_code == 422 and message in bad.content.decode(), broken
    host.refresh_from_db()
    assert host.time_zone == "America/New_York"  # nothing was written
    ok = agent_client.post("/calls/settings", form)
    assert ok.status_code == 302
    host.refresh_from_db()
    assert host.time_zone == "Europe/Berlin"
    assert host.working_hours == {
        "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
        "fri": [["10:00", "14:00"]],
    }
    assert host.call_settings.meeting_provider == "webex"
    page = agent_client.get("/calls/settings").content.decode()
    assert 'value="09:00-12:00, 13:00-17:30"' in page


def test_call_suggested_view_lists_flagged_tickets(agent_client, requester, host):
    from switchboard.tickets.actions.create import create_ticket

    vague = create_ticket(
        actor=requester, requester=requester, subject="Help", description="It doesn't work."
    )
    create_ticket(
        actor=requester,
        requester=requester,
        subject="Runner error",
        description="Since upgrading to 17.5.1 our runners fail with error: x509 certificate "
        "signed by unknown authority when cloning from /srv/gitlab. Steps: register a runner...",
    )
    assert list(CallSuggestion.objects.values_list("ticket_id", flat=True)) == [vague.pk]
    page = agent_client.get("/calls/suggested").content.decode()
    assert f"#{vague.pk} Help" in page and "very unclear" in page
    assert "Runner error" not in page
    agent_client.post(f"/tickets/{vague.pk}/calls/dismiss-suggestion")
    assert f"#{vague.pk} Help" not in agent_client.get("/calls/suggested").content.decode()


def test_ticket_page_query_count_does_not_grow_with_calls(agent_client, host, ticket, support_call):
    book_one(host, ticket, support_call, TUESDAY_10)
    pick_lists()  # cached, as in a running process (web/tests/test_pick_lists_cache.py)
    with CaptureQueriesContext(connection) as one:
        agent_client.get(f"/tickets/{ticket.pk}/")
    for i in range(1, 4):
        call = book_one(host, ticket, support_call, TUESDAY_10 + timedelta(hours=2 * i))
        call.answers = {"current_version": "16.11"}
        call.save()
    with CaptureQueriesContext(connection) as five:
        page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert page.count('class="call"') == 4 and 'id="org-intake"' in page
    assert len(five) == len(one)


def test_the_calls_panel_shows_the_organizations_newest_upgrade_intake(
    agent_client, host, requester, ticket, support_call
):
    """The intake is the newest call of any of the organization's tickets that answered the
    current version, never a canceled one; the ticket's own calls come with it in one query."""
    from switchboard.calls.queries import calls_and_intake
    from switchboard.tickets.actions.create import create_ticket

    # given: an intake on another ticket of Initech, a newer canceled one, an older one here
    other = create_ticket(actor=requester, requester=requester, subject="Other", description="x")
    theirs = book_one(host, other, support_call, TUESDAY_10 + timedelta(hours=2))
    canceled = book_one(host, other, support_call, TUESDAY_10 + timedelta(hours=4))
    ours = book_one(host, ticket, support_call, TUESDAY_10)
    Call.objects.filter(pk__in=[theirs.pk, canceled.pk, ours.pk]).update(
        answers={"current_version": "16.11"}
    )
    Call.objects.filter(pk=canceled.pk).update(status="canceled")
    # when / then
    with CaptureQueriesContext(connection) as read:
        calls, intake = calls_and_intake(ticket)
    assert [c.pk for c in calls] == [ours.pk] and intake.pk == theirs.pk and len(read) == 1
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"ticket #{other.pk}):" in page
    # an intake on this very ticket, once it is the newest
    Call.objects.filter(pk=theirs.pk).update(answers={})
    calls, intake = calls_and_intake(ticket)
    assert intake.pk == ours.pk and calls[0] is intake
    Call.objects.filter(pk=ours.pk).update(status="canceled")
    assert calls_and_intake(ticket)[1] is None
