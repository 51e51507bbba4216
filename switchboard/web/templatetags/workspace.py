"""Template filters of the agent workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from switchboard.oncall.views import viewer_zone
from switchboard.web.presenters import channel_label, time_html

register = template.Library()


@register.filter
def via_label(channel: str, user: Any) -> str:
    """The channel in words for the person who used it: `{{ c.channel|via_label:c.author }}`."""
    return channel_label(channel, getattr(user, "role", None))


@register.filter
def when(value: datetime | None, user: Any) -> str:
    """An instant in the viewer's time zone, UTC on hover: `{{ c.created_at|when:user }}`.

    The one way agent pages show a time, so the ticket page and /oncall/ agree for the same
    instant: `<time datetime="2026-12-04T22:18:00+00:00" title="2026-12-04 22:18 UTC">Fri 04 Dec
    23:18</time>` for a viewer in Europe/Paris.
    """
    return time_html(value, viewer_zone(user))
