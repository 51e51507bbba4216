"""Every write about calls: mint and consume links, book, reschedule, cancel, the call flow.

Each action is one transaction. Booking consumes the link, re-checks the agent's availability
under a row lock on the agent and inserts the call in that same transaction; PostgreSQL's
exclusion constraint on the agent's blocked range backs the check (SQLite serializes writers).
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import Role, SupportGroup, SupportLevel, User
from switchboard.calls import availability, effects, links
from switchboard.calls.models import (
    ACTIVE_STATUSES,
    AgentCallSettings,
    BookingLink,
    Call,
    CallFeedToken,
    CallStatus,
    EventType,
    FeedKind,
    FlowStep,
    MeetingProvider,
    OrganizationCallPolicy,
    SecondRole,
)
from switchboard.core.errors import NotFound, PermissionDenied, SwitchboardError, ValidationFailed
from switchboard.core.tokens import hash_token, new_token
from switchboard.tickets.models import Ticket, TicketStatus


class Conflict(SwitchboardError):
    """The link is used, revoked or expired, or the slot was taken meanwhile (HTTP 409)."""

    status_code = 409


MAX_ANSWER = 2000


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require_agent(user: Any) -> User:
    if not access.is_agent(user) or not getattr(user, "is_active", False):
        raise PermissionDenied("Only agents can do this.")
    return user  # type: ignore[no-any-return]


def _active_agent(agent_id: Any, field: str) -> User:
    agent = User.objects.filter(
        pk=agent_id, is_active=True, role__in=(Role.AGENT, Role.ADMIN)
    ).first()
    if agent is None:
        raise ValidationFailed(f"{field}: user {agent_id} is not an active agent.", field=field)
    return agent


def organization_allows(event_type: EventType, ticket: Ticket) -> bool:
    """Restricted event types only for priority-support or implementation-support orgs."""
    if not event_type.priority_or_implementation_only:
        return True
    org = ticket.organization
    if org is None:
        return False
    if org.support_level == SupportLevel.PRIORITY:
        return True
    return OrganizationCallPolicy.objects.filter(
        organization=org, implementation_support=True
    ).exists()


# --- meeting rooms -------------------------------------------------------------------------------


def _provider_of(url: str, declared: str) -> str:
    if declared:
        return declared
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("zoom.us"):
        return MeetingProvider.ZOOM
    if host.endswith("webex.com"):
        return MeetingProvider.WEBEX
    return MeetingProvider.JITSI


def _jitsi_room(ticket: Ticket) -> str:
    base = str(settings.SWITCHBOARD_CALLS_JITSI_BASE_URL).rstrip("/")
    return f"{base}/Switchboard-{ticket.pk}-{secrets.token_urlsafe(12)}"


def meeting_for(agent: User, ticket: Ticket) -> tuple[str, str, bool]:
    """(url, provider, lock the meeting?) for a call of `agent` about `ticket`.

    The agent's own room unless the organization requires a provider; a required WebEx uses the
    agent's WebEx room or the team's (SWITCHBOARD_CALLS_WEBEX_ROOM_URL) and must be locked.
    """
    own = AgentCallSettings.objects.filter(user=agent).first()
    own_url = own.meeting_url if own else ""
    own_provider = _provider_of(own_url, own.meeting_provider if own else "") if own_url else ""
    required = ""
    if ticket.organization_id:
        policy = OrganizationCallPolicy.objects.filter(organization_id=ticket.organization_id)
        required = policy.values_list("required_provider", flat=True).first() or ""
    if required == MeetingProvider.WEBEX:
        if own_provider == MeetingProvider.WEBEX:
            return own_url, MeetingProvider.WEBEX, True
        team_room = str(getattr(settings, "SWITCHBOARD_CALLS_WEBEX_ROOM_URL", ""))
        if not team_room:
            raise ValidationFailed(
                "This organization allows only WebEx: set the team's WebEx room "
                "(SWITCHBOARD_CALLS_WEBEX_ROOM_URL) or the agent's own WebEx room.",
                field="meeting",
            )
        return team_room, MeetingProvider.WEBEX, True
    if required == MeetingProvider.ZOOM:
        if own_provider != MeetingProvider.ZOOM:
            raise ValidationFailed(
                "This organization requires Zoom: the agent has no Zoom room.", field="meeting"
            )
        return own_url, MeetingProvider.ZOOM, False
    if required == MeetingProvider.JITSI or not own_url:
        return _jitsi_room(ticket), MeetingProvider.JITSI, False
    return own_url, own_provider, False


# --- links ---------------------------------------------------------------------------------------


def link_days() -> float:
    return float(getattr(settings, "SWITCHBOARD_CALLS_LINK_DAYS", 14))


@transaction.atomic
def mint_booking_link(
    *,
    actor: User,
    ticket: Ticket,
    event_type: EventType,
    agent: User | None = None,
    group: SupportGroup | None = None,
    reschedules: Call | None = None,
    now: datetime | None = None,
) -> tuple[BookingLink, str]:
    """A fresh single-use link for the ticket; every older unused link of the ticket is revoked.

    Returns the link row and its URL; the token itself is never stored.
    """
    now = _now(now)
    _require_agent(actor)
    access.require(actor, ticket, access.Action.COMMENT)
    if (agent is None) == (group is None):
        raise ValidationFailed("Give exactly one of agent_id or group_id.", field="agent_id")
    if agent is not None:
        agent = _active_agent(agent.pk, "agent_id")
    if (
        group is not None
        and not group.agents.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN)).exists()
    ):
        raise ValidationFailed(f'group_id: group "{group.name}" has no active agents.', "group_id")
    if not event_type.active:
        raise ValidationFailed(f'event_type: "{event_type.title}" is inactive.', field="event_type")
    if not organization_allows(event_type, ticket):
        raise ValidationFailed(
            f'event_type: "{event_type.title}" is only for organizations with priority support '
            "or implementation support.",
            field="event_type",
        )
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed("The ticket is closed: open a follow-up first.", field="ticket_id")
    if agent is not None:
        meeting_for(agent, ticket)  # fail now, not when the customer books
    BookingLink.objects.filter(ticket=ticket, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token = new_token()
    link = BookingLink.objects.create(
        token_hash=hash_token(token),
        ticket=ticket,
        event_type=event_type,
        agent=agent,
        group=group,
        created_by=actor,
        reschedules=reschedules,
        expires_at=now + timedelta(days=link_days()),
    )
    return link, links.booking_url(token)


def link_problem(link: BookingLink, now: datetime) -> str:
    """Why the link cannot be booked ("" when it can)."""
    if link.used_at is not None:
        return "This booking link has already been used."
    if link.revoked_at is not None:
        return "This booking link was replaced by a newer one; please use the latest link."
    if link.expires_at <= now:
        return "This booking link has expired; please ask for a new one."
    return ""


def candidates(link: BookingLink) -> list[User]:
    """Who a link books: its agent, or the group's agents, least recently booked first."""
    if link.agent_id is not None:
        return [link.agent]  # type: ignore[list-item]
    agents = (
        User.objects.filter(
            support_groups=link.group_id, is_active=True, role__in=(Role.AGENT, Role.ADMIN)
        )
        .annotate(last_booked=Max("calls__created_at"))
        .order_by("last_booked", "pk")
    )
    # Never booked sorts first: NULLS FIRST is the default ascending order on SQLite, not on PG.
    ordered = list(agents)
    return [a for a in ordered if a.last_booked is None] + [  # type: ignore[attr-defined]
        a
        for a in ordered
        if a.last_booked is not None  # type: ignore[attr-defined]
    ]


def clean_answers(event_type: EventType, answers: Any) -> dict[str, Any]:
    """Check the invitee's answers against the event type's questions; return the clean ones."""
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationFailed("answers: expected an object keyed by question.", field="answers")
    questions = {q["key"]: q for q in event_type.questions or []}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValidationFailed(
            f"answers.{unknown[0]}: not a question of this call.", field="answers"
        )
    clean: dict[str, Any] = {}
    for key, question in questions.items():
        kind = question.get("kind", "text")
        required = question.get("required", True)
        value = answers.get(key)
        label = question["label"]
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if required or kind == "confirm":
                raise ValidationFailed(
                    f"answers.{key}: {label} is required.", field=f"answers.{key}"
                )
            continue
        if kind in ("boolean", "confirm"):
            if isinstance(value, str) and value.lower() in ("yes", "true", "on", "1"):
                value = True
            elif isinstance(value, str) and value.lower() in ("no", "false", "0"):
                value = False
            if not isinstance(value, bool):
                raise ValidationFailed(f"answers.{key}: answer yes or no.", field=f"answers.{key}")
            if kind == "confirm" and value is not True:
                raise ValidationFailed(
                    f"answers.{key}: {label} must be confirmed before booking.",
                    field=f"answers.{key}",
                )
        elif kind == "choice":
            if value not in question["choices"]:
                raise ValidationFailed(
                    f"answers.{key}: choose one of {', '.join(question['choices'])}.",
                    field=f"answers.{key}",
                )
        else:
            if not isinstance(value, str) or len(value) > MAX_ANSWER:
                raise ValidationFailed(
                    f"answers.{key}: text of at most {MAX_ANSWER} characters.",
                    field=f"answers.{key}",
                )
        clean[key] = value
    return clean


def _clean_invitee(name: Any, email: Any, time_zone: Any) -> tuple[str, str, str]:
    for field, value in (("name", name), ("email", email), ("tz", time_zone)):
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"{field}: expected text.", field=field)
    name = " ".join(str(name or "").split())
    if not name or len(name) > 200:
        raise ValidationFailed("name: 1 to 200 characters.", field="name")
    email = str(email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            f"email: {email!r} is not an email address.", field="email"
        ) from None
    time_zone = str(time_zone or "UTC")
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationFailed(f"tz: {time_zone!r} is not a known time zone.", field="tz")
    return name, email, time_zone


MAX_AHEAD = timedelta(days=5 * 366)


def _aware(start: Any, now: datetime | None = None) -> datetime:
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise ValidationFailed(
            "start: an ISO 8601 time with its offset, e.g. 2026-11-01T09:00:00Z.", field="start"
        )
    now = _now(now)
    if not now - timedelta(days=1) <= start <= now + MAX_AHEAD:
        raise ValidationFailed("start: not within the next five years.", field="start")
    return start


def _lock_agent(agent: User) -> None:
    # Serializes bookings per agent (PostgreSQL); SQLite's IMMEDIATE transactions serialize all.
    list(User.objects.select_for_update().filter(pk=agent.pk).values_list("pk"))


def _insert(call: Call) -> Call:
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError as exc:
        # calls_no_overlap: a concurrent booking won the agent's time (PostgreSQL).
        raise Conflict("That time was just taken; please pick another.", code="SlotTaken") from exc
    return call


def _blocked(event_type: EventType, start: datetime) -> tuple[datetime, datetime, datetime]:
    rules = availability.rules_for(event_type)
    end = start + rules.duration
    lo, hi = rules.blocked(start)
    return end, lo, hi


@transaction.atomic
def book_call(
    *,
    token: str,
    start: Any,
    name: Any,
    email: Any,
    time_zone: Any = "UTC",
    answers: Any = None,
    now: datetime | None = None,
) -> Call:
    """The invitee books a slot with a single-use link (public, no login).

    NotFound for an unknown token; Conflict (409) when the link is used, revoked or expired, or
    the time is no longer free; ValidationFailed (422) for bad input. Nothing is written unless
    the whole booking succeeds.
    """
    now = _now(now)
    link = (
        BookingLink.objects.select_related("ticket", "event_type", "agent", "group")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if link is None:
        raise NotFound("No such booking link.")
    problem = link_problem(link, now)
    if problem:  # the answer that matters most, before any complaint about the input
        raise Conflict(problem, code="LinkUsed")
    start = _aware(start, now)
    name, email, time_zone = _clean_invitee(name, email, time_zone)
    event_type = link.event_type
    answers = clean_answers(event_type, answers)
    # Consume first: of N concurrent requests exactly one sees the unused row (the others wait
    # on its row lock, then re-read used_at). A later failure rolls the consumption back.
    consumed = BookingLink.objects.filter(
        pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not consumed:
        link.refresh_from_db()
        raise Conflict(link_problem(link, now) or "This link cannot be used.", code="LinkUsed")
    agent = _choose_agent(link, event_type, start, now)
    end, blocked_start, blocked_end = _blocked(event_type, start)
    meeting_url, provider, lock = meeting_for(agent, link.ticket)
    call = _insert(
        Call(
            ticket=link.ticket,
            event_type=event_type,
            agent=agent,
            link=link,
            start=start,
            end=end,
            blocked_start=blocked_start,
            blocked_end=blocked_end,
            uid=f"call-{secrets.token_hex(12)}@switchboard",
            invitee_name=name,
            invitee_email=email,
            invitee_time_zone=time_zone,
            answers=answers,
            meeting_url=meeting_url,
            meeting_provider=provider,
            lock_meeting=lock,
            flow_step=FlowStep.START,
            flow_due_at=start,
        )
    )
    effects.on_booked(call, now=now, replaces=link.reschedules_id)
    return call


def _choose_agent(link: BookingLink, event_type: EventType, start: datetime, now: datetime) -> User:
    for agent in candidates(link):
        if availability.is_free(agent, event_type, start, now=now):
            _lock_agent(agent)
            # Re-check under the lock: a booking that committed meanwhile is now visible.
            if availability.is_free(agent, event_type, start, now=now):
                return agent
            break
    raise Conflict("That time is no longer available; please pick another.", code="SlotTaken")


def _may_manage(call: Call, actor: User | None) -> None:
    """None = the invitee through their signed link; otherwise an agent who may see the ticket."""
    if actor is None:
        return
    _require_agent(actor)
    access.require(actor, call.ticket, access.Action.COMMENT)


def _locked(call: Call) -> Call:
    return (
        Call.objects.select_for_update()
        .select_related("ticket", "event_type", "agent")
        .get(pk=call.pk)
    )


@transaction.atomic
def reschedule_call(
    *, call: Call, start: Any, actor: User | None = None, now: datetime | None = None
) -> Call:
    """Move a scheduled call (same Call, same UID, SEQUENCE + 1); the agent must be free."""
    now = _now(now)
    _may_manage(call, actor)
    call = _locked(call)
    if call.status != CallStatus.SCHEDULED:
        raise Conflict(f"The call is {call.get_status_display().lower()}: it cannot be moved.")
    start = _aware(start, now)
    if start == call.start:
        raise ValidationFailed("start: the call is already at that time.", field="start")
    _lock_agent(call.agent)
    if not availability.is_free(
        call.agent, call.event_type, start, now=now, exclude_call_id=call.pk
    ):
        raise Conflict("That time is not available; please pick another.", code="SlotTaken")
    previous = call.start
    call.end, call.blocked_start, call.blocked_end = _blocked(call.event_type, start)
    call.start = start
    call.sequence += 1
    call.flow_step = FlowStep.START
    call.flow_due_at = start
    _insert(call)
    effects.on_rescheduled(call, previous=previous, actor=actor, now=now)
    return call


@transaction.atomic
def cancel_call(
    *, call: Call, actor: User | None = None, reason: str = "", now: datetime | None = None
) -> Call:
    """Cancel a scheduled call: METHOD:CANCEL to everyone, a note and a reply on the ticket."""
    now = _now(now)
    _may_manage(call, actor)
    call = _locked(call)
    if call.status != CallStatus.SCHEDULED:
        raise Conflict(f"The call is {call.get_status_display().lower()}: it cannot be canceled.")
    reason = " ".join((reason or "").split())[:300]
    call.status = CallStatus.CANCELED
    call.canceled_reason = reason
    call.sequence += 1
    call.flow_step = FlowStep.DONE
    call.flow_due_at = None
    call.save()
    effects.on_canceled(call, actor=actor, now=now)
    return call


@transaction.atomic
def set_second_agent(
    *, call: Call, actor: User, agent: User | None, role: str = SecondRole.SHADOW
) -> Call:
    """Add (or remove, agent=None) a shadow or backup agent; they get the invite too."""
    _may_manage(call, actor)
    call = _locked(call)
    if not call.is_active:
        raise Conflict("The call is over: its people can no longer change.")
    if agent is not None:
        agent = _active_agent(agent.pk, "agent_id")
        if agent.pk == call.agent_id:
            raise ValidationFailed("agent_id: that agent already leads the call.", field="agent_id")
        if role not in SecondRole.values:
            raise ValidationFailed(f"role: one of {', '.join(SecondRole.values)}.", field="role")
    call.second_agent = agent
    call.second_role = role if agent is not None else ""
    call.sequence += 1
    call.save()
    effects.on_second_agent(call, actor=actor)
    return call


@transaction.atomic
def mark_customer_joined(*, call: Call, actor: User, now: datetime | None = None) -> Call:
    _may_manage(call, actor)
    call = _locked(call)
    if call.status not in ACTIVE_STATUSES:
        raise Conflict("The call is over.")
    call.customer_joined_at = call.customer_joined_at or _now(now)
    call.save(update_fields=["customer_joined_at", "updated_at"])
    return call


@transaction.atomic
def record_no_show(*, call: Call, actor: User, now: datetime | None = None) -> tuple[Call, str]:
    """The customer did not join: end the call, reply with a fresh link (the old one revoked)."""
    now = _now(now)
    _may_manage(call, actor)
    call = _locked(call)
    if call.status not in ACTIVE_STATUSES:
        raise Conflict("Only a scheduled or running call can be a no-show.")
    if now < call.start:
        raise ValidationFailed("The call has not started yet.", field="status")
    call.status = CallStatus.NO_SHOW
    call.ended_at = now
    call.flow_step = FlowStep.DONE
    call.flow_due_at = None
    call.save()
    _link, url = mint_booking_link(
        actor=actor,
        ticket=call.ticket,
        event_type=call.event_type,
        agent=call.agent if call.link is None or call.link.agent_id else None,
        group=call.link.group if call.link is not None and call.link.group_id else None,
        reschedules=call,
        now=now,
    )
    effects.on_no_show(call, actor=actor, url=url, now=now)
    return call, url


def summary_delay() -> timedelta:
    return timedelta(
        minutes=float(getattr(settings, "SWITCHBOARD_CALLS_SUMMARY_REMINDER_MINUTES", 60))
    )


@transaction.atomic
def end_call(*, call: Call, actor: User, now: datetime | None = None) -> Call:
    """The call is over: the summary is due (the post-call macro opens pre-filled)."""
    now = _now(now)
    _may_manage(call, actor)
    call = _locked(call)
    if call.status not in ACTIVE_STATUSES:
        raise Conflict("The call is not running.")
    call.status = CallStatus.ENDED
    call.started_at = call.started_at or min(now, call.start)
    call.ended_at = now
    call.flow_step = FlowStep.SUMMARY
    call.flow_due_at = now + summary_delay()
    call.save()
    effects.on_ended(call, actor=actor, now=now)
    return call


@transaction.atomic
def start_call_now(
    *, actor: User, ticket: Ticket, event_type: EventType, now: datetime | None = None
) -> Call:
    """An urgent call: a meeting link posted on the ticket at once, the call running now."""
    now = _now(now)
    _require_agent(actor)
    access.require(actor, ticket, access.Action.COMMENT)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed("The ticket is closed.", field="ticket_id")
    start = now.replace(microsecond=0)
    end, blocked_start, blocked_end = _blocked(event_type, start)
    _lock_agent(actor)
    busy = availability.calls_busy(actor, blocked_start, blocked_end)
    if busy:
        raise Conflict("You already have a call at this time.", code="SlotTaken")
    meeting_url, provider, lock = meeting_for(actor, ticket)
    requester = ticket.requester
    call = _insert(
        Call(
            ticket=ticket,
            event_type=event_type,
            agent=actor,
            start=start,
            end=end,
            blocked_start=blocked_start,
            blocked_end=blocked_end,
            uid=f"call-{secrets.token_hex(12)}@switchboard",
            invitee_name=requester.name or requester.email,
            invitee_email=requester.email,
            invitee_time_zone=requester.time_zone or "UTC",
            meeting_url=meeting_url,
            meeting_provider=provider,
            lock_meeting=lock,
            immediate=True,
            status=CallStatus.SCHEDULED,
            flow_step=FlowStep.START,
            flow_due_at=start,
        )
    )
    effects.on_started_now(call, actor=actor, now=now)
    return call


def mark_summary_posted(*, ticket_id: int, at: datetime) -> int:
    """A public agent reply after an ended call is its summary: the reminder is off (one
    UPDATE, atomic by itself)."""
    return Call.objects.filter(
        ticket_id=ticket_id,
        status=CallStatus.ENDED,
        summary_posted_at__isnull=True,
        ended_at__lte=at,
    ).update(summary_posted_at=at, flow_step=FlowStep.DONE, flow_due_at=None)


@transaction.atomic
def rotate_feed_token(*, user: User, kind: str) -> str:
    """A new secret for the user's team or own-calls feed; the old URL stops working."""
    _require_agent(user)
    if kind not in FeedKind.values:
        raise ValidationFailed(f"kind: one of {', '.join(FeedKind.values)}.", field="kind")
    return CallFeedToken.rotate(user=user, kind=kind)


@transaction.atomic
def save_agent_call_settings(*, actor: User, **fields: Any) -> AgentCallSettings:
    """The agent's own meeting room and busy-calendar URL (refreshed by the worker)."""
    from switchboard.notify.outbox.endpoints import validate_url

    _require_agent(actor)
    row, _ = AgentCallSettings.objects.get_or_create(user=actor)
    if "meeting_url" in fields:
        url = (fields["meeting_url"] or "").strip()
        row.meeting_url = validate_url(url) if url else ""
        row.meeting_provider = _provider_of(url, "") if url else ""
    if "calendar_url" in fields:
        url = (fields["calendar_url"] or "").strip()
        row.calendar_url = validate_url(url) if url else ""
        row.busy = []
        row.busy_error = ""
        row.busy_refresh_due_at = timezone.now() if url else None
    row.save()
    return row


@transaction.atomic
def dismiss_suggestion(*, ticket: Ticket, actor: User) -> None:
    """The agent decided against a call: the ticket leaves the "Call suggested" view."""
    from switchboard.calls.models import CallSuggestion

    _require_agent(actor)
    access.require(actor, ticket, access.Action.COMMENT)
    CallSuggestion.objects.filter(ticket=ticket, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )
