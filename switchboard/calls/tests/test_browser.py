"""The whole booking path in Chromium: the agent's invite macro, the customer's booking page in
Brisbane on the day US daylight saving time ends, the ticket, /calls/, both .ics files, and a
no-show (with time travel) that posts a fresh link which works exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.calls.models import Call, CallStatus
from switchboard.calls.tests.conftest import ensure_event_types
from switchboard.core.sweeps import registered_sweeps, run_sweep
from switchboard.notify.models import Delivery
from switchboard.notify.rules import shipped
from switchboard.tickets.actions.create import create_ticket
from switchboard.web.tests.conftest import PASSWORD, install_shipped_config

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EVERY_DAY = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
START = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
# Sunday 1 Nov 2026, 10:00 in New York: EST since 02:00 that morning, so 15:00Z (a week earlier
# 10:00 was 14:00Z). In Brisbane (UTC+10, no DST) that is Monday 2 Nov, 01:00.
SLOT = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def emailed_link(ticket, recipient: str, after_pk: int = 0) -> str:
    for delivery in Delivery.objects.filter(
        ticket=ticket, recipient=recipient, channel="email", pk__gt=after_pk
    ).order_by("-pk"):
        found = re.search(r"https?://\S+/book/[A-Za-z0-9_-]{43,}", delivery.payload.get("text", ""))
        if found:
            return found.group(0)
    raise AssertionError(f"no booking link emailed to {recipient}")


def flow_sweep():
    return next(s for s in registered_sweeps() if s.name == "calls.flow")


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def test_invite_book_from_brisbane_on_us_dst_end_then_no_show(
    browser, live_server, page, settings, travel
):
    settings.SWITCHBOARD_BASE_URL = live_server.url
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600  # the browser's clock is not traveling
    install_shipped_config()
    ensure_event_types()
    shipped.seed()
    agent = AgentFactory(
        name="Ada Agent",
        email="ada@switchboard.test",
        time_zone="America/New_York",
        working_hours=EVERY_DAY,
    )
    org = OrganizationFactory(name="Initech", support_level="priority")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    ticket = create_ticket(
        actor=customer,
        requester=customer,
        subject="Upgrade from 16.11 to 17.5",
        description="We would like help with our upgrade.",
    )

    # the agent applies the invite macro, with the upgrade call type
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.pk}/")
    page.select_option("#call-type-select", label="Upgrade assistance")
    page.select_option("#macro-select", label="General::Invite customer call")
    page.locator("#macro-preview-content h4", has_text="General::Invite customer call").wait_for()
    assert "{{current_user.booking_link}}" in page.input_value("#reply-body")
    assert "new single-use booking link" in page.locator("#booking-link-note").inner_text()
    page.click("#send-reply")
    page.locator(".comment.public", has_text="single-use link").wait_for()
    link = emailed_link(ticket, customer.email)
    assert urlsplit(link).netloc == urlsplit(live_server.url).netloc

    # the customer opens the emailed link in Brisbane: the page switches to their zone
    customer_context = browser.new_context(
        timezone_id="Australia/Brisbane", base_url=live_server.url, locale="en-AU"
    )
    customer_context.set_default_timeout(15_000)
    book = customer_context.new_page()
    book.goto(urlsplit(link).path)
    book.wait_for_url(re.compile(r"tz=Australia%2FBrisbane"))
    assert book.locator("#tz-select").input_value() == "Australia/Brisbane"
    book.click("#later")  # the next 7 days: Mon 2 Nov (Brisbane) holds New York's 1 Nov
    day = book.locator(".slot-day[data-date='2026-11-02']")
    day.wait_for()
    slot = day.locator(f"input[value='{SLOT.isoformat()}']")
    assert slot.locator("xpath=..").inner_text().strip() == "01:00"
    slot.check()
    book.select_option("#q_installation_type", label="Omnibus (Linux package)")
    book.fill("#q_current_version", "16.11.2")
    book.fill("#q_target_version", "17.5.1")
    book.check("#q_uses_ci_yes")
    book.check("#q_backup_finished")
    book.click("#book-submit")
    booked = book.locator("#booked-time")
    booked.wait_for()
    assert booked.inner_text() == "Monday 2 November 2026, 01:00 (Australia/Brisbane)"

    call = Call.objects.get()
    assert call.start == SLOT and call.event_type.slug == "upgrade-assistance"
    assert call.answers["backup_finished"] is True and call.answers["uses_ci"] is True

    # the ticket shows the call; the agent sees it on /calls/
    page.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator(f"#call-{call.pk}")
    assert "Upgrade assistance" in panel.inner_text() and "Scheduled" in panel.inner_text()
    assert "16.11.2" in page.locator("#org-intake").inner_text()
    page.goto("/calls/?view=day&date=2026-11-01")
    assert page.locator(f".call-row[data-call='{call.pk}']").inner_text().startswith("10:00")

    # both invitations parse and give the same instant, each in its reader's zone
    instants, zones = set(), set()
    for recipient in (customer.email, agent.email):
        delivery = Delivery.objects.get(event="call.request", recipient=recipient)
        cal = icalendar.Calendar.from_ical(delivery.payload["calendar"]["ics"])
        event = cal.walk("VEVENT")[0]
        assert str(cal["method"]) == "REQUEST" and str(event["uid"]) == call.uid
        instants.add(event["dtstart"].dt.astimezone(UTC))
        zones.add(str(event["dtstart"].params["TZID"]))
    assert instants == {SLOT}
    assert zones == {"Australia/Brisbane", "America/New_York"}

    # the call starts; nobody joins; 11 minutes in, the agent records the no-show
    travel.move_to(SLOT + timedelta(seconds=1))
    run_sweep(flow_sweep())
    travel.move_to(SLOT + timedelta(minutes=11))
    run_sweep(flow_sweep())
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS
    assert ticket.comments.filter(body__contains="has not been marked as joined").exists()
    last_email = Delivery.objects.order_by("-pk").first().pk
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("#call-card").wait_for()
    page.click(f"#no-show-{call.pk}")
    page.locator(".comment.public", has_text="sorry we didn't get a chance to meet").wait_for()
    call.refresh_from_db()
    assert call.status == CallStatus.NO_SHOW

    fresh = emailed_link(ticket, customer.email, after_pk=last_email)
    assert fresh != link
    book.goto(urlsplit(link).path + "?tz=Australia/Brisbane")
    assert "already been used" in book.locator("#link-problem").inner_text()
    book.goto(urlsplit(fresh).path + "?tz=Australia/Brisbane")
    book.locator(".slot input[type=radio]").first.check()
    book.select_option("#q_installation_type", label="Omnibus (Linux package)")
    book.fill("#q_current_version", "16.11.2")
    book.fill("#q_target_version", "17.5.1")
    book.check("#q_uses_ci_no")
    book.check("#q_backup_finished")
    book.click("#book-submit")
    book.locator("#booked-time").wait_for()
    assert Call.objects.filter(status=CallStatus.SCHEDULED).count() == 1
    book.goto(urlsplit(fresh).path + "?tz=Australia/Brisbane")
    assert "already been used" in book.locator("#link-problem").inner_text()
    customer_context.close()
