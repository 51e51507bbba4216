"""URL patterns of the Zendesk-compatible API (mounted at /api/v2/) and its docs page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja.openapi.docs import Swagger

from switchboard.api.zendesk import calls, misc, people, satisfaction, tickets
from switchboard.api.zendesk.base import api

api.add_router("", tickets.router)
api.add_router("", people.router)
api.add_router("", misc.router)
api.add_router("", satisfaction.router)
api.add_router("", calls.router)


def docs(request: HttpRequest) -> HttpResponse:
    """Human docs (Swagger UI) for /api/v2/openapi.json."""
    return Swagger().render_page(request, api)


api_urls = api.urls
