"""Writes to saved views: an agent saves a personal view (only they see it); admins and support
managers may save a shared one. Who may open which view is `accounts.access.views_q`."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from switchboard.accounts import access
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.tickets.models import View
from switchboard.tickets.saved_views import SORT_COLUMNS, validate_view_conditions


@transaction.atomic
def create_view(
    *,
    actor: Any,
    title: str,
    conditions: dict[str, Any],
    sort_by: str = "updated_at",
    sort_order: str = "desc",
    shared: bool = False,
) -> View:
    """A new active view, personal (owned by `actor`) unless `shared`. Agents only; a shared
    view needs `access.can_share_views`. Conditions are checked as for any view."""
    if not access.is_agent(actor) or actor is access.SYSTEM:
        raise PermissionDenied("Only agents can save views.")
    if shared and not access.can_share_views(actor):
        raise PermissionDenied("Only admins and support managers can save shared views.")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("title: cannot be blank.", field="title", code="BlankValue")
    if len(title) > 150:
        raise ValidationFailed("title: at most 150 characters.", field="title", code="TooLong")
    validate_view_conditions(conditions)
    if sort_by not in SORT_COLUMNS:
        raise ValidationFailed(
            f"sort_by: {sort_by!r} is not one of {', '.join(SORT_COLUMNS)}.", field="sort_by"
        )
    if sort_order not in ("asc", "desc"):
        raise ValidationFailed("sort_order: use asc or desc.", field="sort_order")
    return View.objects.create(
        title=title,
        conditions=conditions,
        sort_by=sort_by,
        sort_order=sort_order,
        owner=None if shared else actor,
    )
