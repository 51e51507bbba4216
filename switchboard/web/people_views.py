"""User and organization pages of the agent workspace: /users/<id>/ and /organizations/<id>/.

Agents only (`agent_page`: end-users go to the portal, anonymous visitors to sign-in). Reads are
`web.people_queries`; each form POSTs (with its CSRF token) to one action in
`accounts.actions` — notes, the organization's profile — or, to verify entitlement,
`tickets.actions.entitlement` (which also re-associates the person's unsolved tickets); each checks
who may do it and records the audit event, then redirects back (PRG). A refused or invalid post
answers with the page, the message and its 4xx; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_POST

from switchboard.accounts import actions as account_actions
from switchboard.accounts.models import Organization, Role, User
from switchboard.core.errors import NotFound, SwitchboardError, ValidationFailed
from switchboard.tickets.actions import entitlement as entitlement_actions
from switchboard.web import people_queries
from switchboard.web.auth import agent_page


def _user_response(
    request: HttpRequest, user_id: Any, *, error: str = "", status: int = 200
) -> HttpResponse:
    page = people_queries.user_page(request.user, user_id, request.GET)
    return render(request, "web/user_page.html", {"p": page, "error": error}, status=status)


def _organization_response(
    request: HttpRequest, organization_id: Any, *, error: str = "", status: int = 200
) -> HttpResponse:
    page = people_queries.organization_page(request.user, organization_id, request.GET)
    return render(request, "web/organization_page.html", {"p": page, "error": error}, status=status)


def _target_user(user_id: Any) -> User:
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise NotFound()
    return person


def _target_organization(organization_id: Any) -> Organization:
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        raise NotFound()
    return org


@require_GET
@agent_page
def user_page(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_response(request, user_id)


@require_POST
@agent_page
def user_notes(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _target_user(user_id)
    try:
        account_actions.set_user_notes(
            actor=request.user,  # type: ignore[arg-type]
            user=person,
            notes=request.POST.get("notes", ""),
        )
    except SwitchboardError as exc:
        return _user_response(request, user_id, error=exc.message, status=exc.status_code)
    messages.success(request, "Notes saved.")
    return redirect("web-user", user_id=person.pk)


def _verify(request: HttpRequest, person: User, org: Organization) -> str:
    """Verify `person`'s entitlement as a member of `org` (the form's reason recorded); the
    success message."""
    changed = entitlement_actions.verify_requester(
        agent=request.user,  # type: ignore[arg-type]
        user=person,
        organization=org,
        reason=(request.POST.get("reason") or "").strip()[:255],
    )
    message = f"Entitlement verified: {person.email} is a member of {org.name}."
    if changed:
        message += f" {len(changed)} unsolved ticket{pluralize(len(changed))} moved to {org.name}."
    return message


@require_POST
@agent_page
def user_verify(request: HttpRequest, user_id: int) -> HttpResponse:
    """Verify an end-user's entitlement: associate them with the organization named."""
    person = _target_user(user_id)
    name = (request.POST.get("organization") or "").strip()
    org = Organization.objects.filter(name__iexact=name).first() if name else None
    try:
        if org is None:
            raise ValidationFailed(
                f"organization: no organization is called {name!r}."
                if name
                else "organization: name the organization to associate them with.",
                field="organization",
            )
        messages.success(request, _verify(request, person, org))
    except SwitchboardError as exc:
        return _user_response(request, user_id, error=exc.message, status=exc.status_code)
    return redirect("web-user", user_id=person.pk)


@require_GET
@agent_page
def organization_page(request: HttpRequest, organization_id: int) -> HttpResponse:
    return _organization_response(request, organization_id)


@require_POST
@agent_page
def organization_profile(request: HttpRequest, organization_id: int) -> HttpResponse:
    """Notes, sharing and domains (admins and support managers; the action checks)."""
    org = _target_organization(organization_id)
    domains = [d for d in (request.POST.get("domain_names") or "").replace(",", " ").split() if d]
    try:
        account_actions.edit_organization_profile(
            actor=request.user,  # type: ignore[arg-type]
            organization=org,
            notes=request.POST.get("notes", ""),
            sharing=request.POST.get("sharing", ""),
            domain_names=domains,
        )
    except SwitchboardError as exc:
        return _organization_response(
            request, organization_id, error=exc.message, status=exc.status_code
        )
    messages.success(request, "Organization updated.")
    return redirect("web-organization", organization_id=org.pk)


@require_POST
@agent_page
def organization_verify(request: HttpRequest, organization_id: int) -> HttpResponse:
    """Verify entitlement: associate the end-user with this email address with the organization.
    An address nobody uses is the same clear 422 as a malformed one."""
    org = _target_organization(organization_id)
    email = (request.POST.get("email") or "").strip()
    person = User.objects.filter(email__iexact=email, role=Role.END_USER).first() if email else None
    try:
        if person is None:
            raise ValidationFailed(
                f"email: no customer account uses {email!r}."
                if email
                else "email: the requester's email address.",
                field="email",
            )
        messages.success(request, _verify(request, person, org))
    except SwitchboardError as exc:
        return _organization_response(
            request, organization_id, error=exc.message, status=exc.status_code
        )
    return redirect("web-organization", organization_id=org.pk)
