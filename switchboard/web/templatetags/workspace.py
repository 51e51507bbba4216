"""Template filters of the agent workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

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


# A number no route of ours has in its text: reversed in place of a page's id, then replaced.
_PLACEHOLDER = "9876543210"
_routes: dict[tuple[str, str, Any, bool], tuple[str, str]] = {}


@register.simple_tag
def link(name: str, pk: Any = None) -> str:
    """`{% url name %}` or `{% url name pk %}` for a route with no argument or one `<int:...>`
    argument, at the cost of a string join: the route is reversed once per process (script
    prefix and URLconf) with a placeholder for the id. reverse() took 20-40 µs a link, and the
    ticket page and the agent home print 30-50 links. Takes `as name` like `{% url %}`."""
    key = (name, get_script_prefix(), get_urlconf(), pk is None)
    route = _routes.get(key)
    if route is None:
        if pk is None:
            route = (reverse(name), "")
        else:
            parts = reverse(name, args=[int(_PLACEHOLDER)]).split(_PLACEHOLDER)
            if len(parts) != 2:  # not a one-id route: as {% url %} does
                return reverse(name, args=[pk])
            route = (parts[0], parts[1])
        _routes[key] = route
    if pk is None:
        return route[0]
    number = int(pk)
    if number < 0:  # no <int:...> route takes it: reverse() raises NoReverseMatch
        return reverse(name, args=[pk])
    return f"{route[0]}{number}{route[1]}"
