"""CRM pages of the agent workspace: the integrity page (agents read, admins fix), the case link,
the sync preview."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from switchboard.accounts.models import Role
from switchboard.core.errors import PermissionDenied, SwitchboardError
from switchboard.crm import actions, queries
from switchboard.crm.checks import run_checks
from switchboard.crm.models import CaseLink
from switchboard.tickets.queries import ticket_for_user
from switchboard.web.auth import agent_page


def _require_admin(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.ADMIN:
        raise PermissionDenied("Only admins can do that.")


@require_GET
@agent_page
def integrity(request: HttpRequest) -> HttpResponse:
    data = queries.integrity_page(check=request.GET.get("check", ""), page=request.GET.get("page"))
    return render(
        request,
        "crm/integrity.html",
        {"p": data, "is_admin": getattr(request.user, "role", None) == Role.ADMIN},
    )


def _back(request: HttpRequest) -> HttpResponse:
    url = reverse("crm:integrity")
    check = request.POST.get("check", "")
    if check and check.isidentifier():
        url += f"?check={check}"
    return redirect(url)


@require_POST
@agent_page
def apply_fix(request: HttpRequest, finding_id: int) -> HttpResponse:
    _require_admin(request)
    try:
        done = actions.apply_fix(actor=request.user, finding_id=finding_id)  # type: ignore[arg-type]
    except SwitchboardError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(request, done)
    return _back(request)


@require_POST
@agent_page
def run_now(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    run = run_checks(trigger=f"by {request.user.email}"[:60])  # type: ignore[union-attr]
    messages.success(request, f"Checks ran: {sum(run.counts.values())} findings.")
    return _back(request)


@require_GET
@agent_page
def case_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket's CRM case record (linked from the TAM's new-ticket email)."""
    ticket = ticket_for_user(request.user, ticket_id)
    link = CaseLink.objects.filter(ticket=ticket).first()
    base = getattr(settings, "SALESFORCE_URL", "")
    if link is None or not base:
        context: dict[str, Any] = {"ticket": ticket, "configured": bool(base)}
        return render(request, "crm/case_pending.html", context, status=404)
    return redirect(f"{base}/lightning/r/{link.sobject}/{link.case_id}/view")
