"""The support bot: parse a slash command's text and build a Slack-compatible answer.

Commands: ``views``, ``ticket <id>``, ``oncall [schedule name]``, ``help``. Every answer is an
ephemeral message (``response_type``, mrkdwn ``text`` and a ``blocks`` section with the same text).

The bot reads as an agent-level system user: ``settings.SWITCHBOARD_CHAT_BOT_USER`` (an email) when
set, else the first active admin. View counts and ticket lookups go through the same visibility
rules as the agent workspace (`visible_tickets`), so an agent or admin sees every ticket; the
"current user" of personal conditions (e.g. "My open tickets") is that bot user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from switchboard.accounts.models import Role, User
from switchboard.oncall import queries as oncall_queries
from switchboard.oncall.models import OnCallSchedule
from switchboard.sla import queries as sla_queries
from switchboard.tickets.models import Ticket, View
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.ticket_views import count_views
from switchboard.web.links import agent_ticket_url

MAX_VIEWS = 50
MAX_SCHEDULES = 50
LOOKAHEAD = timedelta(days=8)

USAGE = "\n".join(
    [
        "*Switchboard support bot*",
        "• `views` — ticket counts of the shared views",
        "• `ticket 123` — status, priority, assignee, organization and SLA time left",
        "• `oncall` — who is on call now on every schedule",
        "• `oncall <schedule name>` — who is on call now and the next hand-off",
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


def bot_user() -> User | None:
    """The reader the bot acts as: the configured email, else the first active admin."""
    email = getattr(settings, "SWITCHBOARD_CHAT_BOT_USER", "")
    users = User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.ADMIN])
    if email:
        return users.filter(email__iexact=email).first()
    return users.filter(role=Role.ADMIN).order_by("pk").first()


def answer(text: str, now: datetime | None = None) -> dict[str, Any]:
    """The reply to a slash command whose argument text is `text`."""
    now = now or timezone.now()
    words = (text or "").strip().split(None, 1)
    command = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if command == "views" and not rest:
        return message(views_text(now))
    if command == "ticket" and rest:
        return message(ticket_text(rest.lstrip("#"), now))
    if command == "oncall":
        return message(oncall_text(rest, now))
    return message(USAGE)


# --- views ---------------------------------------------------------------------------------


def views_text(now: datetime) -> str:
    user = bot_user()
    if user is None:
        return "The support bot has no reader configured (set SWITCHBOARD_CHAT_BOT_USER)."
    views = list(View.objects.filter(owner__isnull=True, active=True)[:MAX_VIEWS])
    if not views:
        return "There are no shared views."
    counts = count_views(views, user, now)
    lines = ["*Shared views*"]
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


def ticket_text(raw_id: str, now: datetime) -> str:
    if not raw_id.isdigit():
        return f"Usage: `ticket 123` (not `ticket {escape(raw_id)}`)."
    ticket_id = int(raw_id)
    user = bot_user()
    tickets = visible_tickets(user) if user is not None else Ticket.objects.none()
    ticket = (
        tickets.select_related("assignee", "organization").filter(pk=ticket_id).first()
        if ticket_id < 2**63
        else None
    )
    if ticket is None:
        return f"Ticket #{ticket_id} not found."
    assignee = escape(ticket.assignee.name or ticket.assignee.email) if ticket.assignee else "—"
    org = escape(ticket.organization.name) if ticket.organization else "—"
    sla = sla_lines(ticket, now)
    url = ticket_url(ticket.pk)
    lines = [
        f"*<{url}|Ticket #{ticket.pk}>*: {escape(ticket.subject)}",
        f"Status: {ticket.get_status_display()}",
        f"Priority: {ticket.get_priority_display()}",
        f"Assignee: {assignee}",
        f"Organization: {org}",
        f"SLA: {'; '.join(sla) if sla else 'no running clock'}",
        url,
    ]
    return "\n".join(lines)


# --- on-call -------------------------------------------------------------------------------


def _names(user_ids: set[str]) -> dict[str, str]:
    ids = [int(u) for u in user_ids if u and str(u).isdigit()]
    return {str(pk): u.name or u.email for pk, u in User.objects.in_bulk(ids).items()}


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
            who = escape(names.get(str(uid), "?")) if uid is not None else "_nobody_"
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
    if current:
        who = escape(names.get(current.user, "?"))
        lines.append(f"On call now: {who} (until {_when(current.end)})")
    else:
        lines.append("On call now: _nobody_")
    if upcoming:
        who = escape(names.get(upcoming.user, "?"))
        lines.append(f"Next hand-off: {who} from {_when(upcoming.start)}")
    else:
        lines.append("Next hand-off: none in the next 8 days")
    return "\n".join(lines)
