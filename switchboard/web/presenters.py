"""How the agent workspace shows time: durations ("1h 12m") and SLA badges (pure, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
