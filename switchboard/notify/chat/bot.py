"""The support bot: parse a slash command's text and build a Slack-compatible answer.

Commands: ``views``, ``ticket <id>``, ``oncall [schedule name]``, ``link``, ``unlink``, ``help``;
and the separate slash command ``/pd-support-manager <what for>``, which opens an incident on the
support managers' service (the handbook's way to page the manager on call).
Every answer is an ephemeral message (``response_type``, mrkdwn ``text`` and a ``blocks`` section
with the same text).

The bot answers as the person asking: the chat user (workspace and user id from the signed
request) must be linked to an active Switchboard agent or admin (`ChatIdentity`, made with
``link``); view counts are that user's views (shared and personal) counted with their access, and
ticket lookups go through the access rules (`visible_tickets`) as that user and are rendered
from the projection (`tickets.projection.ticket_view_for`). Unknown chat users are refused with
how to link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from switchboard.accounts.models import User
from switchboard.core.errors import NotFound, ValidationFailed
from switchboard.core.links import agent_ticket_url, portal_ticket_url
from switchboard.notify.chat import actions as actions_chat
from switchboard.notify.chat.actions import ChatUser
from switchboard.oncall import actions as oncall_actions
from switchboard.oncall import queries as oncall_queries
from switchboard.oncall.models import OnCallSchedule, Service
from switchboard.sla import queries as sla_queries
from switchboard.tickets import projection
from switchboard.tickets.models import Ticket
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.saved_views import count_views, views_for

SUPPORT_MANAGER_COMMAND = "/pd-support-manager"
MAX_VIEWS = 50
MAX_SCHEDULES = 50
LOOKAHEAD = timedelta(days=8)

USAGE = "\n".join(
    [
        "*Switchboard support bot*",
        "• `views` — ticket counts of your views (shared and personal)",
        "• `ticket 123` — status, priority, assignee, organization and SLA time left",
        "• `oncall` — who is on call now on every schedule",
        "• `oncall <schedule name>` — who is on call now and the next hand-off",
        "• `link` — link your chat account to your Switchboard account (once)",
        "• `unlink` — remove that link",
        "• `help` — this message",
    ]
)


def escape(text: str) -> str:
    """Slack mrkdwn control characters (&, <, >) as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(text: str) -> dict[str, Any]:
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def answer(
    text: str, chat_user: ChatUser | None, now: datetime | None = None, command_name: str = ""
) -> dict[str, Any]:
    """The reply to the slash command `command_name` (the support bot's when blank) whose
    argument text is `text`, sent by `chat_user`."""
    now = now or timezone.now()
    if command_name == SUPPORT_MANAGER_COMMAND:
        return message(page_support_managers(text, chat_user, now))
    words = (text or "").strip().split(None, 1)
    command = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if command == "link" and not rest:
        return message(link_text(chat_user))
    if command == "unlink" and not rest:
        return message(unlink_text(chat_user))
    known = (command == "views" and not rest) or (command == "ticket" and rest)
    if not known and command != "oncall":
        return message(USAGE)
    user, refusal = reader(chat_user)
    if user is None:
        return message(refusal)
    if command == "views":
        return message(views_text(user, now))
    if command == "ticket":
        return message(ticket_text(rest.lstrip("#"), user, now))
    return message(oncall_text(rest, now))


# --- who is asking -------------------------------------------------------------------------


def reader(chat_user: ChatUser | None) -> tuple[User | None, str]:
    """The Switchboard user to answer as, or None and why not."""
    if chat_user is None:
        return None, "This request does not say which chat user sent it, so I cannot answer."
    user = actions_chat.linked_user(chat_user)
    if user is None:
        return None, (
            f"Your chat account ({escape(chat_user.label)}) is not linked to a Switchboard "
            "account, so I cannot answer for you. Run `/switchboard link` to link it."
        )
    if not (user.is_active and user.is_agent):
        return None, (
            "Your chat account is linked to a Switchboard account that is not an active agent "
            "or admin. Ask an admin, or run `/switchboard unlink`."
        )
    return user, ""


def link_text(chat_user: ChatUser | None) -> str:
    if chat_user is None:
        return "This request does not say which chat user sent it, so it cannot be linked."
    path = reverse("chat-link", args=[actions_chat.link_token(chat_user)])
    url = f"{settings.SWITCHBOARD_BASE_URL}{path}"
    minutes = actions_chat.LINK_MAX_AGE_SECONDS // 60
    current = actions_chat.linked_user(chat_user)
    lines = [
        f"<{url}|Link {escape(chat_user.label)} to your Switchboard account> — open it within "
        f"{minutes} minutes, signed in to Switchboard as an agent, and confirm. "
        "Do not share this link: whoever opens it links your chat account to theirs."
    ]
    if current is not None:
        lines.append(f"(Now linked to {escape(current.email)}; linking again replaces that.)")
    return "\n".join(lines)


def unlink_text(chat_user: ChatUser | None) -> str:
    if chat_user is None:
        return "This request does not say which chat user sent it."
    if actions_chat.unlink_chat_user(chat_user=chat_user):
        return "Unlinked. I will not answer for this chat account until it is linked again."
    return "Your chat account was not linked."


# --- views ---------------------------------------------------------------------------------


def views_text(user: User, now: datetime) -> str:
    views = list(views_for(user)[:MAX_VIEWS])
    if not views:
        return "You have no views."
    counts = count_views(views, user, now)
    lines = ["*Your views*"]
    lines += [f"• {escape(view.title)}: *{counts.get(view.pk, 0)}*" for view in views]
    return "\n".join(lines)


# --- ticket --------------------------------------------------------------------------------


def format_duration(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    return " ".join(parts)


def ticket_url(ticket_id: int) -> str:
    return agent_ticket_url(ticket_id)


def sla_lines(ticket: Ticket, now: datetime) -> list[str]:
    lines = []
    for clock in sla_queries.clocks_for(ticket):
        left = sla_queries.time_left(clock, now)
        if left is None:
            continue
        label = clock.get_metric_display()
        if left < timedelta(0):
            lines.append(f"{label}: breached {format_duration(left)} ago")
        elif clock.state == "paused":
            lines.append(f"{label}: {format_duration(left)} left (paused)")
        else:
            lines.append(f"{label}: {format_duration(left)} left")
    return lines


def ticket_text(raw_id: str, user: User, now: datetime) -> str:
    """One ticket as `user` may see it: found through the access rules, rendered from the
    projection (`ticket_view_for`), never from model fields by hand."""
    if not raw_id.isascii() or not raw_id.isdigit():
        return f"Usage: `ticket 123` (not `ticket {escape(raw_id)}`)."
    ticket_id = int(raw_id)
    ticket = (
        visible_tickets(user)
        .select_related("assignee", "organization")
        .filter(pk=ticket_id)
        .first()
        if ticket_id < 2**63
        else None
    )
    if ticket is None:
        return f"Ticket #{ticket_id} not found."
    try:
        view = projection.ticket_view_for(user, ticket)
    except NotFound:
        return f"Ticket #{ticket_id} not found."
    url = ticket_url(view.id) if view.internal else portal_ticket_url(view.id)
    lines = [
        f"*<{url}|Ticket #{view.id}>*: {escape(view.subject)}",
        f"Status: {view.status_label}",
        f"Priority: {view.priority_label}",
    ]
    if view.internal:
        assignee = ticket.assignee if view.assignee_id else None
        org = ticket.organization if view.organization_id else None
        sla = sla_lines(ticket, now)
        lines += [
            f"Assignee: {escape(assignee.name or assignee.email) if assignee else '—'}",
            f"Organization: {escape(org.name) if org else '—'}",
            f"SLA: {'; '.join(sla) if sla else 'no running clock'}",
        ]
    lines.append(url)
    return "\n".join(lines)


# --- on-call -------------------------------------------------------------------------------


def _names(user_ids: set[str]) -> dict[str, str]:
    """Names of the active agents and admins among `user_ids`: nobody else is shown on call."""
    ids = [int(u) for u in user_ids if u and str(u).isdigit()]
    people = User.objects.filter(pk__in=ids, is_active=True, role__in=("agent", "admin"))
    return {str(u.pk): u.name or u.email for u in people}


def _when(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def oncall_text(name: str, now: datetime) -> str:
    if not name:
        schedules = list(OnCallSchedule.objects.order_by("name")[:MAX_SCHEDULES])
        if not schedules:
            return "There are no on-call schedules."
        on_call = {s.pk: oncall_queries.on_call_user_id(s, now) for s in schedules}
        names = _names({str(uid) for uid in on_call.values() if uid is not None})
        lines = ["*On call now*"]
        for schedule in schedules:
            uid = on_call[schedule.pk]
            who = escape(names[str(uid)]) if str(uid) in names else "_nobody_"
            lines.append(f"• {escape(schedule.name)}: {who}")
        return "\n".join(lines)
    schedule = OnCallSchedule.objects.filter(name__iexact=name).first()
    if schedule is None:
        known = list(OnCallSchedule.objects.order_by("name").values_list("name", flat=True))
        listing = ", ".join(escape(n) for n in known[:MAX_SCHEDULES]) or "none yet"
        return f"No on-call schedule named “{escape(name)}”. Schedules: {listing}."
    shifts = oncall_queries.shifts(schedule, now - LOOKAHEAD, now + LOOKAHEAD)
    current = next((s for s in shifts if s.start <= now < s.end), None)
    after = current.end if current else now
    # The next hand-off: the first later shift of someone other than the person on call now.
    upcoming = next(
        (s for s in shifts if s.start >= after and (current is None or s.user != current.user)),
        None,
    )
    names = _names({s.user for s in (current, upcoming) if s is not None})
    lines = [f"*{escape(schedule.name)}*"]
    if current and current.user in names:
        who = escape(names[current.user])
        lines.append(f"On call now: {who} (until {_when(current.end)})")
    else:
        lines.append("On call now: _nobody_")
    if upcoming:
        who = escape(names.get(upcoming.user, "nobody (not an active agent)"))
        lines.append(f"Next hand-off: {who} from {_when(upcoming.start)}")
    else:
        lines.append("Next hand-off: none in the next 8 days")
    return "\n".join(lines)


# --- paging the support managers -------------------------------------------------------------


def page_support_managers(text: str, chat_user: ChatUser | None, now: datetime) -> str:
    """`/pd-support-manager <what for>`: an incident on the support managers' service, opened
    as the linked agent (the same action as the workspace's "Open an incident")."""
    user, refusal = reader(chat_user)
    if user is None:
        return refusal
    title = (text or "").strip()
    if not title:
        return (
            f"Usage: `{SUPPORT_MANAGER_COMMAND} <what you need a manager for>` — pages the "
            "support manager on call."
        )
    name = settings.SWITCHBOARD_ONCALL_SUPPORT_MANAGER_SERVICE
    service = Service.objects.filter(name=name).first()
    if service is None:
        return f"There is no on-call service named “{escape(name)}” to page. Ask an admin."
    try:
        incident = oncall_actions.open_incident_by_hand(
            service=service,
            title=title,
            user=user,
            via="chat",
            details=f"Opened from chat by {chat_user.label}." if chat_user else "",
            now=now,
        )
    except ValidationFailed as exc:
        return f"Nobody was paged: {escape(exc.message)}"
    path = reverse("web-incident", args=[incident.pk])
    url = f"{settings.SWITCHBOARD_BASE_URL}{path}"
    return (
        f"Paged *{escape(service.name)}*: <{url}|incident #{incident.pk}> “{escape(title)}”. "
        "The incident page shows who is notified and who acknowledges."
    )
