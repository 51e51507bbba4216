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


def portal_feedback_url(ticket_id: int) -> str:
    """The requester's "how are we doing" page (mid-ticket feedback) in the portal."""
    return f"{settings.SWITCHBOARD_BASE_URL}/portal/tickets/{int(ticket_id)}/feedback"


def csat_survey_url(token: str, score: str) -> str:
    """The survey page a survey email links to: shows the choice, records nothing until POST."""
    return f"{settings.SWITCHBOARD_BASE_URL}/csat/survey/{token}/?score={score}"


def csat_task_url(task_id: int) -> str:
    return f"{settings.SWITCHBOARD_BASE_URL}/csat/tasks/{int(task_id)}/"


def crm_case_url(ticket_id: int) -> str:
    """The ticket's CRM case (a redirect to the record once pushed); "" when no CRM is set up."""
    if not getattr(settings, "SALESFORCE_URL", ""):
        return ""
    return f"{settings.SWITCHBOARD_BASE_URL}/crm/tickets/{int(ticket_id)}/case/"
