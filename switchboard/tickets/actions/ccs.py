"""Who is copied on a ticket (CCs), and the people an agent names by email.

Rules (DOMAIN.md §1: a CC sees the ticket they are copied on, its public side only):
- agents copy anyone active: an existing user, or a new address, which becomes an end-user
  (placed in the organization that owns its email domain, as on any first contact);
- the requester (an end-user) copies colleagues only: active end-users of the ticket's
  organization, or a new address at one of its email domains. A customer never copies an agent,
  someone of another organization, or (without an organization) anyone: a CC gains access to
  the ticket, and a portal form must not create accounts for arbitrary addresses.
Other end-users (CCs, colleagues who can see the ticket) do not change the list.
Every change goes through tickets.actions.update.update_ticket, which audits it (field `ccs`)
and calls `check_ccs` (as create_ticket does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from switchboard.accounts import access
from switchboard.accounts import actions as account_actions
from switchboard.accounts.access import Actor
from switchboard.accounts.models import Organization, Role, User
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.tickets.models import Ticket

MAX_CCS = 48  # Zendesk's limit of CCs on a ticket


def clean_email(value: str, field: str = "email") -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            f"{field}: {value!r} is not an email address.", field=field, code="InvalidValue"
        ) from None
    return email


def _label(user: User) -> str:
    return user.email


def check_ccs(*, actor: Actor, ticket: Ticket, users: list[User], before: Iterable[int]) -> None:
    """Refuse a CC list `actor` may not set (only the users added to `before` are checked)."""
    if len(users) > MAX_CCS:
        raise ValidationFailed(f"ccs: at most {MAX_CCS} people can be copied.", field="ccs")
    had = set(before)
    added = [u for u in users if u.pk not in had]
    for user in added:
        if not user.is_active:
            raise ValidationFailed(f"ccs: {_label(user)} is deactivated.", field="ccs")
    if access.is_agent(actor) or not added:
        return
    if ticket.requester_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the requester can change who is copied.")
    for user in added:
        if user.role != Role.END_USER:
            raise PermissionDenied(f"ccs: you cannot copy {_label(user)}.")
        if ticket.organization_id is None or user.organization_id != ticket.organization_id:
            raise PermissionDenied(
                f"ccs: {_label(user)} is not in your organization; only colleagues can be copied."
            )


def person_for_email(*, actor: Actor, email: str, name: str = "", field: str = "email") -> User:
    """The user with this address, or a new end-user (matched to an organization by domain).

    End-users may only name colleagues: an address outside their organization's domains is
    refused before anything is created."""
    email = clean_email(email, field)
    existing = User.objects.filter(email__iexact=email).select_related("organization").first()
    if existing is not None:
        return existing
    if not access.is_agent(actor):
        org: Organization | None = account_actions.organization_for_email(email)
        if org is None or org.pk != getattr(actor, "organization_id", None):
            raise PermissionDenied(
                f"{field}: {email} is not an address of your organization; only colleagues "
                "can be copied."
            )
    return account_actions.create_user(
        actor=access.SYSTEM, email=email, name=(name or "").strip() or email.split("@")[0]
    )


@transaction.atomic
def change_ccs(
    *,
    ticket: Ticket,
    actor: Actor,
    add_emails: Iterable[str] = (),
    remove_ids: Iterable[int] = (),
    via: str = "web",
) -> Ticket:
    """Copy people by email and stop copying others (by user id), as one audited change."""
    from switchboard.tickets.actions.update import update_ticket

    access.require_actor(actor)
    if not access.is_agent(actor) and ticket.requester_id != getattr(actor, "pk", None):
        access.require(actor, ticket, access.Action.VIEW)
        raise PermissionDenied("Only the requester can change who is copied.")
    current = list(ticket.ccs.all())
    drop = set(remove_ids)
    wanted: dict[int, User] = {u.pk: u for u in current if u.pk not in drop}
    for raw in add_emails:
        user = person_for_email(actor=actor, email=raw, field="ccs")
        if user.pk == ticket.requester_id:
            raise ValidationFailed(
                f"ccs: {user.email} is the requester; they get every public reply already.",
                field="ccs",
            )
        wanted.setdefault(user.pk, user)
    if set(wanted) == {u.pk for u in current}:
        return ticket
    return update_ticket(ticket=ticket, actor=actor, via=via, ccs=list(wanted.values()))


def parse_emails(value: Any) -> list[str]:
    """Addresses typed into one box: separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", str(value or "").strip()) if part]
