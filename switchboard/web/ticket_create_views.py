"""The agent's "New ticket" page (on behalf of a requester, or a proactive ticket to a
customer), the CC box of the ticket page, and the people picker both use.

Thin views: parse a form, call the tickets actions (create_ticket, actions.ccs.change_ccs),
redirect; errors re-render the form with the message (4xx) and write nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from switchboard.accounts.models import User
from switchboard.core.errors import SwitchboardError, ValidationFailed
from switchboard.tickets.actions.ccs import change_ccs, person_for_email
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Channel
from switchboard.tickets.queries import ticket_for_user
from switchboard.web import queries
from switchboard.web.auth import agent_page
from switchboard.web.forms import first_error
from switchboard.web.ticket_edits import requester_choices
from switchboard.web.ticket_forms import CcForm, NewTicketForm
from switchboard.web.views import _ticket_response


def _page(request: HttpRequest, form: NewTicketForm, *, status: int = 200, error: str = ""):
    return render(
        request,
        "web/new_ticket.html",
        {"form": form, "agents": queries.agents(), "error": error},
        status=status,
    )


def _requester(actor: Any, value: str, name: str) -> User:
    """The requester the agent picked: an email (existing person or a new end-user), or the
    exact name of one person."""
    value = value.strip()
    if "@" in value:
        return person_for_email(actor=actor, email=value, name=name, field="requester")
    matches = list(User.objects.filter(name__iexact=value, is_active=True)[:2])
    if len(matches) != 1:
        raise ValidationFailed(
            f"requester: {'several people are' if matches else 'nobody is'} called {value!r}; "
            "type their email address.",
            field="requester",
        )
    return matches[0]


@require_http_methods(["GET", "POST"])
@agent_page
def new_ticket(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {"requester": request.GET.get("requester", ""), "visibility": "public"}
        return _page(request, NewTicketForm(initial=initial))
    form = NewTicketForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422, error=first_error(form))
    data = form.cleaned_data
    user = request.user
    assignee = None
    if data["assignee"] is not None:
        assignee = next((a for a in queries.agents() if a.pk == data["assignee"]), None)
        if assignee is None:
            return _page(request, form, status=422, error="assignee: not an active agent.")
    try:
        with transaction.atomic():
            requester = _requester(user, data["requester"], data["requester_name"])
            ccs: dict[int, User] = {}
            for email in data["ccs"]:
                cc = person_for_email(actor=user, email=email, field="ccs")
                if cc.pk != requester.pk:
                    ccs.setdefault(cc.pk, cc)
            ticket = create_ticket(
                actor=user,  # type: ignore[arg-type]
                requester=requester,
                subject=data["subject"],
                description=data["body"],
                channel=Channel.WEB,
                priority=data["priority"],
                ticket_type=data["ticket_type"],
                ccs=list(ccs.values()),
                assignee=assignee,
                public=form.public,
            )
    except SwitchboardError as exc:
        return _page(request, form, status=exc.status_code, error=exc.message)
    messages.success(
        request,
        f"Ticket #{ticket.pk} was created for {requester.name or requester.email}."
        + (" The first comment was emailed to them." if form.public else ""),
    )
    return redirect("web-ticket", ticket_id=ticket.pk)


@require_GET
@agent_page
def people_suggest(request: HttpRequest) -> HttpResponse:
    """`<option>`s for the requester and CC pickers (a datalist): people whose name or email
    contains what was typed. One query."""
    typed = next(
        (request.GET[k] for k in ("q", "requester", "add", "ccs") if request.GET.get(k)), ""
    )
    if len(typed) > 200:
        raise ValidationFailed("q: at most 200 characters.", field="q")
    return render(request, "web/partials/people_options.html", {"people": requester_choices(typed)})


@require_POST
@agent_page
def ticket_ccs(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Copy people (emails; a new address becomes an end-user) or stop copying one."""
    ticket = ticket_for_user(request.user, ticket_id)
    form = CcForm(request.POST)
    if not form.is_valid():
        return _ticket_response(
            request, ticket.pk, status=422, error=first_error(form), error_form="ccs"
        )
    try:
        change_ccs(ticket=ticket, actor=request.user, **form.changes())
    except SwitchboardError as exc:
        return _ticket_response(
            request, ticket.pk, status=exc.status_code, error=exc.message, error_form="ccs"
        )
    messages.success(request, "CCs updated.")
    return redirect("web-ticket", ticket_id=ticket.pk)
