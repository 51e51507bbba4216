"""How the agent workspace shows time: durations ("1h 12m") and SLA badges (pure, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Below this much time left a badge turns amber: the "Breaching within 2 h" view's window.
WARN_BEFORE = timedelta(hours=2)


def format_duration(delta: timedelta) -> str:
    """A short human duration: "<1m", "12m", "1h 12m", "3d 4h" (sign ignored)."""
    seconds = abs(int(delta.total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return "<1m"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def time_html(value: datetime | None, zone: Any) -> str:
    """An instant in `zone`, UTC on hover (see the `when` template filter, which uses it)."""
    from django.utils.html import format_html

    from switchboard.oncall.views import local_time

    if not value:
        return ""
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        utc.isoformat(),
        utc.strftime("%Y-%m-%d %H:%M UTC"),
        local_time(value, zone),
    )


@dataclass(frozen=True)
class Badge:
    """What an SLA badge says and its colour: ok (green), warn (amber), breached (red), none."""

    text: str
    level: str
    title: str = ""


def sla_badge(due_at: datetime | None, breached_at: datetime | None, now: datetime) -> Badge:
    """The badge of a ticket from its earliest running due time and its oldest unanswered breach.

    An unanswered breach wins over the next running clock: the customer is still waiting.
    """
    if breached_at is not None or (due_at is not None and due_at <= now):
        since = breached_at if breached_at is not None else due_at
        assert since is not None
        ago = now - since
        text = "breached" if ago < timedelta(minutes=1) else f"breached {format_duration(ago)} ago"
        return Badge(text, "breached", f"SLA breached at {since:%Y-%m-%d %H:%M} UTC")
    if due_at is None:
        return Badge("no SLA", "none", "No running SLA clock")
    left = due_at - now
    level = "warn" if left < WARN_BEFORE else "ok"
    return Badge(format_duration(left), level, f"Due {due_at:%Y-%m-%d %H:%M} UTC")


@dataclass(frozen=True)
class ClockRow:
    metric: str
    state: str
    text: str
    level: str
    due_at: datetime | None


def clock_row(
    *,
    metric: str,
    state: str,
    left: timedelta | None,
    due_at: datetime | None,
    breached_at: datetime | None,
    stopped_at: datetime | None,
    now: datetime,
) -> ClockRow:
    """One SLA clock of the ticket page: "met", "breached 5m ago", "paused, 3h left", "1h 12m"."""
    if state == "fulfilled":
        return ClockRow(metric, state, "met", "met", due_at)
    if state == "cancelled":
        return ClockRow(metric, state, "cancelled", "none", due_at)
    if state == "breached":
        if stopped_at is not None:
            return ClockRow(metric, state, "breached (answered)", "breached", due_at)
        since = breached_at or due_at or now
        return ClockRow(
            metric, state, f"breached {format_duration(now - since)} ago", "breached", due_at
        )
    if state == "paused":
        text = f"paused, {format_duration(left)} left" if left is not None else "paused"
        return ClockRow(metric, state, text, "none", due_at)
    if left is None:
        return ClockRow(metric, state, "running", "ok", due_at)
    if left <= timedelta(0):
        return ClockRow(metric, state, f"breached {format_duration(left)} ago", "breached", due_at)
    return ClockRow(
        metric,
        state,
        f"{format_duration(left)} left",
        "warn" if left < WARN_BEFORE else "ok",
        due_at,
    )


# --- history: audit events as people read them --------------------------------------------------

FIELD_LABELS = {
    "ticket_type": "type",
    "ccs": "CCs",
    "preferred_region": "region",
    "product_line": "product",
    "merged_into": "merged into",
    "merged_from": "merged here",
    "via_followup_source_id": "follow-up of",
    "custom_fields": "custom fields",
    "external_id": "external id",
}
# Which lookup names a field's ids: users, groups, organizations.
ID_KINDS = {
    "assignee": "user",
    "requester": "user",
    "submitter": "user",
    "ccs": "user",
    "group": "group",
    "organization": "org",
}
TICKET_REFS = {"merged_into", "merged_from", "via_followup_source_id"}
NOTICES = {
    "comment_redacted": "redacted secrets in a comment",
    "description_redacted": "redacted secrets in the description",
    "attachment_redacted": "redacted secrets in an attachment",
}


def channel_label(channel: str, actor_role: str | None) -> str:
    """How a change arrived, in words: "web" is the portal for customers and the agent
    workspace for agents (both post web forms)."""
    if channel == "web":
        if actor_role == "end_user":
            return "portal"
        return "agent workspace" if actor_role in ("agent", "admin") else "web"
    return {
        "email": "email",
        "api": "API",
        "mailing_list": "mailing list",
        "chat": "chat",
        "phone": "phone",
        "system": "automation",
    }.get(channel, channel)


def _value(
    field: str, value: object, names: dict[tuple[str, int], str], labels: dict[Any, str]
) -> str:
    if value is None or value == "" or value == []:
        return "—"
    kind = ID_KINDS.get(field)
    if isinstance(value, list):
        return ", ".join(_value(field, item, names, labels) for item in value)
    if kind and isinstance(value, int):
        return names.get((kind, value), f"{'user' if kind == 'user' else kind} {value} (deleted)")
    if field in TICKET_REFS:
        return f"#{value}"
    if isinstance(value, dict):
        return "; ".join(
            f"{labels.get(('field', int(key)) if str(key).isdigit() else key, key)}: "
            f"{_value('', v, names, labels)}"
            for key, v in value.items()
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(labels.get((field, value), value))


def describe_event(
    *,
    kind: str,
    field: str,
    from_value: object,
    to_value: object,
    comment_public: bool | None,
    names: dict[tuple[str, int], str],
    labels: dict[Any, str],
) -> str:
    """One audit event as a sentence fragment: "added an internal note", "assignee: Ann → Bo".

    `names` maps ("user"|"group"|"org", id) to a name; `labels` maps (field, stored value) to
    its display label (statuses, priorities, custom field titles as ("field", id))."""
    if kind == "Comment":
        if comment_public is None:
            return "added a comment (since deleted)"
        return "added a public reply" if comment_public else "added an internal note"
    if field in NOTICES:
        return NOTICES[field]
    label = FIELD_LABELS.get(field, field.replace("_", " ") or kind.lower())
    new = _value(field, to_value, names, labels)
    if kind == "Create":
        return f"{label}: {new}"
    if field == "tags" and isinstance(from_value, list) and isinstance(to_value, list):
        added = [t for t in to_value if t not in from_value]
        removed = [t for t in from_value if t not in to_value]
        parts = []
        if added:
            parts.append("added " + ", ".join(added))
        if removed:
            parts.append("removed " + ", ".join(removed))
        return "tags: " + ("; ".join(parts) or "unchanged")
    return f"{label}: {_value(field, from_value, names, labels)} → {new}"
