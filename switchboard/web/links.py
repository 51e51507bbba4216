"""Absolute links to the human pages, for emails, chat messages and webhooks.

Notifications link here, never to `/api/v2/...json`. The routes are fixed: the agent ticket page
is `/tickets/<id>/`, the customer's is `/portal/tickets/<id>/` (web/urls.py, web/portal/urls.py).
"""

from __future__ import annotations

from django.conf import settings


def agent_ticket_url(ticket_id: int) -> str:
    return f"{settings.SWITCHBOARD_BASE_URL}/tickets/{int(ticket_id)}/"


def portal_ticket_url(ticket_id: int) -> str:
    return f"{settings.SWITCHBOARD_BASE_URL}/portal/tickets/{int(ticket_id)}/"
