"""The requester copies colleagues on their ticket, or stops copying them (portal).

Who may be copied is decided by tickets.actions.ccs (colleagues of the ticket's organization
only); the change is audited like any other. Errors re-render the ticket page (4xx)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from switchboard.core.errors import SwitchboardError
from switchboard.tickets import queries as ticket_queries
from switchboard.tickets.actions.ccs import change_ccs
from switchboard.web.forms import first_error
from switchboard.web.portal.views import _error, _ticket_page
from switchboard.web.ticket_forms import CcForm


@login_required
@require_POST
def ticket_ccs(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        ticket = ticket_queries.ticket_for_user(request.user, ticket_id)
    except SwitchboardError as exc:
        return _error(request, exc)
    form = CcForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket.pk, status=422, cc_error=first_error(form))
    try:
        change_ccs(ticket=ticket, actor=request.user, **form.changes())
    except SwitchboardError as exc:
        return _ticket_page(request, ticket.pk, status=exc.status_code, cc_error=exc.message)
    messages.success(request, "The people copied on this ticket were updated.")
    return redirect("portal:ticket", ticket_id=ticket.pk)
