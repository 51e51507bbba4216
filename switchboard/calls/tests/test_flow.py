"""The call flow from stored due times, the agent's buttons, meeting rooms and call events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.calls import actions
from switchboard.calls.models import (
    AgentCallSettings,
    BookingLink,
    CallStatus,
    FlowStep,
    OrganizationCallPolicy,
)
from switchboard.calls.tests.conftest import NOW
from switchboard.core.errors import ValidationFailed
from switchboard.core.sweeps import registered_sweeps, run_sweep
from switchboard.notify.models import Delivery, Endpoint
from switchboard.notify.outbox.signing import new_secret

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)


def sweep(now):
    return run_sweep(next(s for s in registered_sweeps() if s.name == "calls.flow"), now)


@pytest.fixture
def call(host, ticket, support_call):
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host, now=NOW
    )
    return actions.book_call(
        token=url.rsplit("/", 1)[1],
        start=TUESDAY_10,
        name="Peter Gibbons",
        email="peter@initech.test",
        time_zone="Europe/Berlin",
        now=NOW,
    )


def notes(ticket, text):
    return ticket.comments.filter(public=False, body__contains=text).count()


def test_card_at_start_no_show_prompt_at_10_wrap_up_at_45_each_once(call, ticket):
    assert sweep(TUESDAY_10 - timedelta(seconds=1)) == 0
    sweep(TUESDAY_10)
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS and call.flow_step == FlowStep.NO_SHOW
    assert notes(ticket, "Call card") == 1
    assert "wrap-up starts at 45 minutes" in ticket.comments.get(body__contains="Call card").body
    sweep(TUESDAY_10 + timedelta(minutes=5))  # nothing due yet
    sweep(TUESDAY_10 + timedelta(minutes=10))
    assert notes(ticket, "has not been marked as joined") == 1
    sweep(TUESDAY_10 + timedelta(minutes=44))
    assert notes(ticket, "Time to wrap up") == 0
    sweep(TUESDAY_10 + timedelta(minutes=45))
    sweep(TUESDAY_10 + timedelta(minutes=50))
    assert notes(ticket, "Time to wrap up (15 minutes left)") == 1
    call.refresh_from_db()
    assert call.flow_due_at is None
    assert (
        Delivery.objects.filter(event="call.reminder", recipient="ada@switchboard.test").count()
        == 3
    )


def test_joined_customer_means_no_no_show_prompt(call, ticket, host):
    sweep(TUESDAY_10)
    actions.mark_customer_joined(call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=2))
    sweep(TUESDAY_10 + timedelta(minutes=10))
    assert notes(ticket, "has not been marked as joined") == 0


def test_no_show_ends_the_call_and_replies_with_a_fresh_link(call, ticket, host):
    sweep(TUESDAY_10)
    with pytest.raises(ValidationFailed):
        actions.record_no_show(call=call, actor=host, now=TUESDAY_10 - timedelta(minutes=5))
    call, url = actions.record_no_show(
        call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=11)
    )
    assert call.status == CallStatus.NO_SHOW and call.flow_due_at is None
    reply = ticket.comments.filter(public=True, metadata__no_show=True).get()
    assert "sorry we didn't get a chance to meet" in reply.body and url in reply.body
    fresh = BookingLink.objects.filter(used_at__isnull=True, revoked_at__isnull=True).get()
    assert fresh.reschedules_id == call.pk
    with pytest.raises(actions.Conflict):
        actions.record_no_show(call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=12))


def test_ended_call_summary_reminder_unless_a_summary_follows(call, ticket, host, settings):
    settings.SWITCHBOARD_CALLS_SUMMARY_REMINDER_MINUTES = 30
    sweep(TUESDAY_10)
    ended = actions.end_call(call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=50))
    assert ended.flow_step == FlowStep.SUMMARY
    assert ended.flow_due_at == TUESDAY_10 + timedelta(minutes=80)
    sweep(TUESDAY_10 + timedelta(minutes=80))
    assert notes(ticket, "No summary has been posted") == 1
    sweep(TUESDAY_10 + timedelta(minutes=90))
    assert notes(ticket, "No summary has been posted") == 1


def test_a_public_agent_reply_after_the_call_is_its_summary(call, ticket, host):
    from switchboard.tickets.actions.comments import add_comment

    sweep(TUESDAY_10)
    actions.end_call(call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=50))
    add_comment(ticket=ticket, author=host, body="Summary: we upgraded.", public=True)
    call.refresh_from_db()
    assert call.summary_posted_at is not None and call.flow_due_at is None


def test_ticket_page_prefills_the_post_call_macro_after_the_call(call, ticket, host, client):
    import importlib

    from django.apps import apps

    importlib.import_module(
        "switchboard.tickets.migrations.0002_shipped_macros_and_views"
    ).create_shipped(apps, None)
    sweep(TUESDAY_10)
    actions.end_call(call=call, actor=host, now=TUESDAY_10 + timedelta(minutes=50))
    client.force_login(host)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Next call recommendation" in page  # the post-call macro's text in the reply box


def test_cancel_and_reschedule_by_the_invitee_through_the_signed_link(call, client):
    from switchboard.calls import links

    path = links.manage_url(call.pk, call.uid).split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert client.get(f"/{path}x").status_code == 404  # altered signature
    forged = links.sign_manage(call.pk, "another-uid")
    assert client.get(f"/book/manage/{forged}").status_code == 404
    response = client.post(f"/{path}/cancel", {"reason": "Fixed it"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == CallStatus.CANCELED and call.sequence == 1
    again = client.post(f"/{path}/cancel")
    assert again.status_code == 409


def test_start_a_call_now_posts_a_meeting_link(host, ticket, discovery, settings):
    settings.SWITCHBOARD_CALLS_JITSI_BASE_URL = "https://jitsi.internal.example"
    call = actions.start_call_now(actor=host, ticket=ticket, event_type=discovery, now=NOW)
    assert call.meeting_url.startswith("https://jitsi.internal.example/Switchboard-")
    reply = ticket.comments.filter(public=True, metadata__call_id=call.pk).get()
    assert call.meeting_url in reply.body
    with pytest.raises(actions.Conflict):
        actions.start_call_now(actor=host, ticket=ticket, event_type=discovery, now=NOW)


def test_webex_only_organizations_get_the_team_room_and_the_lock_note(
    host, ticket, support_call, requester, settings
):
    OrganizationCallPolicy.objects.create(
        organization=requester.organization, required_provider="webex"
    )
    AgentCallSettings.objects.create(user=host, meeting_url="https://zoom.us/j/123")
    with pytest.raises(ValidationFailed, match="allows only WebEx"):
        actions.mint_booking_link(actor=host, ticket=ticket, event_type=support_call, agent=host)
    settings.SWITCHBOARD_CALLS_WEBEX_ROOM_URL = "https://example.webex.com/meet/support"
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host, now=NOW
    )
    call = actions.book_call(
        token=url.rsplit("/", 1)[1], start=TUESDAY_10, name="P", email="p@initech.test", now=NOW
    )
    assert call.meeting_url == "https://example.webex.com/meet/support" and call.lock_meeting
    agent_mail = Delivery.objects.get(event="call.request", recipient="ada@switchboard.test")
    assert "lock the meeting" in agent_mail.payload["text"]
    customer_mail = Delivery.objects.get(event="call.request", recipient="peter@initech.test")
    assert "lock the meeting" not in customer_mail.payload["text"]
    assert "start and keep the recording on your side" in customer_mail.payload["text"]


def test_agents_own_room_is_used(host, ticket, support_call):
    AgentCallSettings.objects.create(user=host, meeting_url="https://zoom.us/j/42")
    url, provider, lock = actions.meeting_for(host, ticket)
    assert (url, provider, lock) == ("https://zoom.us/j/42", "zoom", False)


def test_call_events_go_to_webhooks_and_chat(call, host, ticket):
    webhook = Endpoint.objects.create(
        name="crm", kind="webhook", url="http://127.0.0.1:9/hook", events=[], secret=new_secret()
    )
    chat = Endpoint.objects.create(
        name="support-chat",
        kind="chat",
        url="http://127.0.0.1:9/chat",
        events=["call.canceled"],
        secret=new_secret(),
    )
    actions.reschedule_call(call=call, start=TUESDAY_10 + timedelta(hours=2), actor=host, now=NOW)
    actions.cancel_call(call=call, actor=host, now=NOW)
    events = sorted(
        (d.endpoint.name, d.event) for d in Delivery.objects.filter(endpoint__isnull=False)
    )
    assert events == [
        ("crm", "call.canceled"),
        ("crm", "call.rescheduled"),
        ("support-chat", "call.canceled"),
    ]
    hook = Delivery.objects.get(endpoint=webhook, event="call.canceled")
    assert hook.payload["data"]["call"]["status"] == "canceled"
    assert "invitee" not in hook.payload["data"]["call"]  # no customer details in webhooks
    assert "Call on ticket" in Delivery.objects.get(endpoint=chat).payload["text"]


def test_second_agent_shadow_gets_the_invite(call, host):
    from switchboard.accounts.tests.factories import AgentFactory

    shadow = AgentFactory(email="sam@switchboard.test", time_zone="Europe/London")
    updated = actions.set_second_agent(call=call, actor=host, agent=shadow, role="shadow")
    assert updated.sequence == 1 and updated.second_role == "shadow"
    invite = Delivery.objects.get(event="call.request", recipient="sam@switchboard.test")
    assert "Europe/London" in invite.payload["calendar"]["ics"]
    with pytest.raises(ValidationFailed):
        actions.set_second_agent(call=call, actor=host, agent=host, role="backup")
