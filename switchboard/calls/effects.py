"""What a call does to its ticket and who is told: notes, replies, the tag, .ics emails, events.

Called by `calls.actions` inside their transaction, so every note, email and webhook commits
(or rolls back) with the booking. Everything sent goes through the notify outbox.

Who sees what: the internal note (agents only) carries the intake answers and the invitee's
details; the public reply carries what the whole ticket audience may see (time, agent, meeting
link, recording note) but never the reschedule/cancel link, which is a bearer link and goes only
to the invitee's own email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from switchboard.accounts.models import User
from switchboard.calls import ics, links
from switchboard.calls.models import Call
from switchboard.core.seeding import is_seeding
from switchboard.notify.models import Endpoint, EndpointKind
from switchboard.notify.outbox import queue as outbox
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.models import Channel

TAG = "call_scheduled"

RECORDING_NOTE = (
    "If you would like the session recorded, please start and keep the recording on your side, "
    "so that anything sensitive shown on screen stays within your own security boundary."
)
LOCK_NOTE = (
    "This organization allows only WebEx: lock the meeting once it starts so that you (as the "
    "presenter) have to let people in; otherwise others may join the room."
)
NO_SHOW_REPLY = (
    "Hi {first_name},\n\nI'm sorry we didn't get a chance to meet for our call today. Could you "
    "please use this link to schedule a new call at a time that suits you?\n\n{url}\n\n"
    "Best regards,\n{agent}"
)
CHECKLIST = (
    "- Set expectations: the call lasts {minutes} minutes; wrap-up starts at {wrap} minutes.\n"
    "- Make sure the customer has access to the applicable systems (servers, admin area, logs).\n"
    "- With 15 minutes left, start winding down; then stop and decide: solvable in the next few "
    "minutes, or more research / another call.\n"
    "- Review: summary, what was learned, next steps for us and for the customer, next call."
)


def local(dt: datetime, zone: str) -> str:
    """'Sun 1 Nov 2026, 10:30 (Australia/Brisbane, UTC+10:00)'."""
    value = dt.astimezone(ZoneInfo(zone))
    offset = value.strftime("%z")
    return f"{value:%a} {value.day} {value:%b %Y, %H:%M} ({zone}, UTC{offset[:3]}:{offset[3:]})"


def _first_name(name: str) -> str:
    return (name or "").split()[0] if (name or "").split() else "there"


def _agent_name(user: User | None) -> str:
    return (user.name or user.email) if user is not None else ""


def answers_text(call: Call) -> str:
    return "\n".join(f"- {label}: {text}" for label, text in call.answer_rows)


def _event(call: Call) -> ics.CallEvent:
    ticket = call.ticket
    people: list[tuple[str, str]] = [(call.invitee_name, call.invitee_email)]
    requester = ticket.requester
    if requester.email.lower() != call.invitee_email.lower():
        people.append((requester.name, requester.email))
    if call.second_agent is not None:
        people.append((_agent_name(call.second_agent), call.second_agent.email))
    description = (
        f"{call.event_type.title} about ticket #{ticket.pk}: {ticket.subject}\n"
        f"Join: {call.meeting_url}\n\n{RECORDING_NOTE}"
    )
    return ics.CallEvent(
        uid=call.uid,
        sequence=call.sequence,
        start=call.start,
        end=call.end,
        summary=f"{call.event_type.title} with {_agent_name(call.agent)} (ticket #{ticket.pk})",
        description=description,
        location=call.meeting_url,
        url=call.meeting_url,
        organizer_email=call.agent.email,
        organizer_name=_agent_name(call.agent),
        attendees=tuple(people),
        canceled=call.status == "canceled",
        updated=call.updated_at,
    )


def recipients(call: Call) -> list[tuple[str, str, bool]]:
    """(email, zone, is_customer) of everyone the invite goes to, each once."""
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()

    def add(email: str, zone: str, customer: bool) -> None:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            out.append((email, zone or "UTC", customer))

    add(call.invitee_email, call.invitee_time_zone, True)
    requester = call.ticket.requester
    add(requester.email, call.invitee_time_zone, True)
    add(call.agent.email, call.agent.time_zone, False)
    if call.second_agent is not None:
        add(call.second_agent.email, call.second_agent.time_zone, False)
    return out


def send_invites(call: Call, *, method: str, headline: str) -> None:
    """The .ics email (REQUEST or CANCEL) to the invitee, requester and agents, in their zones.

    Nobody is emailed while demo or imported history is loaded (core.seeding)."""
    if is_seeding():
        return
    event = _event(call)
    for email, zone, customer in recipients(call):
        lines = [
            headline,
            "",
            f"{call.event_type.title} with {_agent_name(call.agent)}",
            f"When: {local(call.start, zone)}, {call.event_type.duration_minutes} minutes",
            f"Ticket: #{call.ticket.pk} {call.ticket.subject}",
        ]
        if method == "REQUEST":
            lines.append(f"Join: {call.meeting_url}")
            lines += ["", RECORDING_NOTE]
        if customer:
            if method == "REQUEST" and email.lower() == call.invitee_email.lower():
                lines += ["", f"Reschedule or cancel: {links.manage_url(call.pk, call.uid)}"]
        else:
            if call.lock_meeting and method == "REQUEST":
                lines += ["", LOCK_NOTE]
            if call.answers:
                lines += ["", "Intake answers:", answers_text(call)]
            from switchboard.core.links import agent_ticket_url

            lines += ["", f"Ticket: {agent_ticket_url(call.ticket.pk)}"]
        outbox.queue_email(
            to=email,
            subject=f"{headline}: {call.event_type.title}",
            text="\n".join(lines),
            event=f"call.{method.lower()}",
            idempotency_key=f"call:{call.pk}:{call.sequence}:{method}:{email.lower()}"[:200],
            ticket=call.ticket,
            source="calls",
            sensitive=customer,  # the manage link is a bearer link: not kept once sent
            calendar=(method, ics.invite(event, zone=zone, method=method)),
        )


def payload(call: Call) -> dict[str, Any]:
    """The webhook body of a call event (endpoints are admin-configured, internal receivers)."""
    return {
        "call": {
            "id": call.pk,
            "uid": call.uid,
            "status": call.status,
            "sequence": call.sequence,
            "event_type": call.event_type.slug,
            "start": call.start.isoformat(),
            "end": call.end.isoformat(),
            "agent_id": call.agent_id,
            "second_agent_id": call.second_agent_id,
            "ticket_id": call.ticket_id,
            "meeting_provider": call.meeting_provider,
        }
    }


def publish(call: Call, event: str, text: str) -> None:
    """Webhook event for each subscribed webhook endpoint; a chat post for each chat channel."""
    if is_seeding():
        return
    for endpoint in Endpoint.objects.filter(is_active=True):
        body = {"text": text} if endpoint.kind == EndpointKind.CHAT else payload(call)
        outbox.queue_endpoint(
            endpoint=endpoint,
            event=event,
            payload=body,
            idempotency_key=f"{event}:{call.pk}:{call.sequence}:{endpoint.pk}",
            ticket=call.ticket,
            source="calls",
        )


def _note(call: Call, body: str, *, at: datetime, author: User | None = None) -> None:
    add_comment(
        ticket=call.ticket,
        author=author or call.agent,
        body=body,
        public=False,
        channel=Channel.SYSTEM,
        at=at,
        metadata={"call_id": call.pk},
    )


def _reply(call: Call, body: str, *, at: datetime, tags: list[str] | None = None) -> None:
    add_comment(
        ticket=call.ticket,
        author=call.agent,
        body=body,
        public=True,
        channel=Channel.SYSTEM,
        at=at,
        metadata={"call_id": call.pk},
        changes={"add_tags": tags} if tags else None,
    )


def _booked_note(call: Call) -> str:
    lines = [
        f"{call.event_type.title} booked by {call.invitee_name} <{call.invitee_email}> "
        f"for {local(call.start, call.agent.time_zone or 'UTC')}.",
        f"Invitee's time: {local(call.start, call.invitee_time_zone)}.",
        f"Agent: {_agent_name(call.agent)}. Meeting: {call.meeting_url}",
    ]
    if call.lock_meeting:
        lines.append(LOCK_NOTE)
    if call.answers:
        lines += ["", "Intake answers:", answers_text(call)]
    return "\n".join(lines)


def on_booked(call: Call, *, now: datetime, replaces: int | None = None) -> None:
    """`replaces`: the call a no-show's fresh link was sent for."""
    note = _booked_note(call)
    if replaces is not None:
        note = f"Rebooked after the no-show of call #{replaces}.\n{note}"
    _note(call, note, at=now)
    _reply(
        call,
        f"Your {call.event_type.title} with {_agent_name(call.agent)} is booked for "
        f"{local(call.start, call.invitee_time_zone)}.\n\nJoin: {call.meeting_url}\n\n"
        f"{RECORDING_NOTE}\n\nThe invitation with a calendar file went to "
        f"{call.invitee_email}; its links let you reschedule or cancel.",
        at=now,
        tags=[TAG],
    )
    send_invites(call, method="REQUEST", headline="Call booked")
    publish(
        call,
        "call.booked",
        f"Call booked on ticket #{call.ticket_id}: {call.event_type.title} with "
        f"{_agent_name(call.agent)}, {local(call.start, 'UTC')}",
    )


def on_rescheduled(call: Call, *, previous: datetime, actor: User | None, now: datetime) -> None:
    who = _agent_name(actor) if actor is not None else call.invitee_name
    _note(
        call,
        f"{call.event_type.title} moved by {who} from {local(previous, call.agent.time_zone)} "
        f"to {local(call.start, call.agent.time_zone)}.",
        at=now,
    )
    _reply(
        call,
        f"Your {call.event_type.title} is now on {local(call.start, call.invitee_time_zone)}."
        f"\n\nJoin: {call.meeting_url}",
        at=now,
    )
    send_invites(call, method="REQUEST", headline="Call moved")
    publish(call, "call.rescheduled", f"Call on ticket #{call.ticket_id} moved")


def on_canceled(call: Call, *, actor: User | None, now: datetime) -> None:
    who = _agent_name(actor) if actor is not None else call.invitee_name
    reason = f" Reason: {call.canceled_reason}" if call.canceled_reason else ""
    _note(call, f"{call.event_type.title} canceled by {who}.{reason}", at=now)
    _reply(
        call,
        f"The {call.event_type.title} on {local(call.start, call.invitee_time_zone)} is "
        f"canceled.{reason}",
        at=now,
    )
    send_invites(call, method="CANCEL", headline="Call canceled")
    publish(call, "call.canceled", f"Call on ticket #{call.ticket_id} canceled")


def on_second_agent(call: Call, *, actor: User) -> None:
    if call.second_agent is None:
        _note(call, "The second agent was removed from the call.", at=call.updated_at, author=actor)
        return
    _note(
        call,
        f"{_agent_name(call.second_agent)} joins the call as "
        f"{call.get_second_role_display().lower()}.",
        at=call.updated_at,
        author=actor,
    )
    send_invites(call, method="REQUEST", headline="Call updated")


def on_no_show(call: Call, *, actor: User, url: str, now: datetime) -> None:
    _note(call, "The customer did not join within 10 minutes: recorded as a no-show.", at=now)
    add_comment(
        ticket=call.ticket,
        author=actor,
        body=NO_SHOW_REPLY.format(
            first_name=_first_name(call.invitee_name), url=url, agent=_agent_name(actor)
        ),
        public=True,
        channel=Channel.WEB,
        at=now,
        metadata={"call_id": call.pk, "no_show": True},
    )
    publish(call, "call.no_show", f"No-show on ticket #{call.ticket_id}'s call")


def on_ended(call: Call, *, actor: User, now: datetime) -> None:
    _note(
        call,
        "The call ended. Write the summary now with the General::Post customer call macro "
        "(it is pre-filled on the ticket page).",
        at=now,
        author=actor,
    )


def on_started_now(call: Call, *, actor: User, now: datetime) -> None:
    _reply(
        call,
        f"Let's talk now: please join {call.meeting_url}\n\n{RECORDING_NOTE}",
        at=now,
        tags=[TAG],
    )
    if call.lock_meeting:
        _note(call, LOCK_NOTE, at=now)
    publish(call, "call.booked", f"Call started now on ticket #{call.ticket_id}")


def call_card(call: Call) -> str:
    minutes = call.event_type.duration_minutes
    wrap = wrap_up_minutes(minutes)
    return (
        f"Call card: {call.event_type.title} with {call.invitee_name} has started "
        f"({call.meeting_url}).\n" + CHECKLIST.format(minutes=minutes, wrap=wrap)
    )


def wrap_up_minutes(duration: int) -> int:
    """45 of 60 minutes (the handbook); the same three quarters of shorter calls."""
    return max(1, (duration * 3) // 4)


def remind_agent(call: Call, *, subject: str, body: str, key: str, at: datetime) -> None:
    """An internal note on the ticket and an email to the agent."""
    from switchboard.core.links import agent_ticket_url

    _note(call, body, at=at)
    outbox.queue_email(
        to=call.agent.email,
        subject=subject,
        text=f"{body}\n\n{agent_ticket_url(call.ticket_id)}",
        event="call.reminder",
        idempotency_key=f"call:{call.pk}:{key}",
        ticket=call.ticket,
        source="calls",
    )
