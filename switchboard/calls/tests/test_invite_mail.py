"""The invitation as real MIME through a local SMTP server: an iTIP part and invite.ics."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from switchboard.calls import actions
from switchboard.calls.tests.conftest import NOW
from switchboard.notify.models import Delivery
from switchboard.notify.outbox.delivery import send
from switchboard.notify.tests.conftest import smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_invitation_email_carries_a_request_part_and_a_file(
    host,
    ticket,
    support_call,
    smtp_server,  # noqa: F811
):
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host, now=NOW
    )
    call = actions.book_call(
        token=url.rsplit("/", 1)[1],
        start=datetime(2026, 10, 27, 14, 0, tzinfo=UTC),
        name="Peter",
        email="peter@initech.test",
        time_zone="Asia/Kolkata",
        now=NOW,
    )
    delivery = Delivery.objects.get(event="call.request", recipient="peter@initech.test")
    assert send(delivery).ok
    smtp_server.wait_for(1)
    message = smtp_server.messages[0]
    parts = {part.get_content_type(): part for part in message.walk()}
    calendar = parts["text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    attachment = next(p for p in message.walk() if p.get_filename() == "invite.ics")
    for body in (calendar.get_content(), attachment.get_content()):
        if isinstance(body, bytes):
            body = body.decode()
        event = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
        assert str(event["uid"]) == call.uid
        assert event["dtstart"].dt.tzinfo.key == "Asia/Kolkata"
        assert event["dtstart"].dt.astimezone(UTC) == call.start
    assert "/book/manage/" in parts["text/plain"].get_content()
