"""Template filters of the agent workspace."""

from __future__ import annotations

from typing import Any

from django import template

from switchboard.web.presenters import channel_label

register = template.Library()


@register.filter
def via_label(channel: str, user: Any) -> str:
    """The channel in words for the person who used it: `{{ c.channel|via_label:c.author }}`."""
    return channel_label(channel, getattr(user, "role", None))
