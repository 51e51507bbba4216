"""Working through a view: bulk actions on the selected tickets and "Next in view" on the ticket
page (#16). The reads are in web.queries / tickets.saved_views, the writes in
tickets.actions.bulk and tickets.view_actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from switchboard.accounts import access
from switchboard.accounts.models import Role, SupportGroup, User
from switchboard.core.errors import NotFound, ValidationFailed
from switchboard.tickets.actions.bulk import bulk_update, ticket_ids_from
from switchboard.tickets.models import Macro, View
from switchboard.tickets.saved_views import tickets_in_view
from switchboard.tickets.view_actions import create_view
from switchboard.tickets.vocab import PRIORITY_ORDER, STATUS_ORDER
from switchboard.web import queries
from switchboard.web.auth import agent_page


def _choice(params: Any, name: str, allowed: list[str]) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise ValidationFailed(f"{name}: {value!r} is not one of {', '.join(allowed)}.", field=name)
    return value


def _pk(value: str, name: str) -> int:
    if not value.isdigit():
        raise ValidationFailed(f"{name}: expected an id or none, not {value!r}.", field=name)
    return int(value)


def _tags(params: Any, name: str) -> list[str]:
    return (params.get(name) or "").replace(",", " ").split()


def bulk_changes(params: Any) -> dict[str, Any]:
    """The bar's fields as update_ticket changes: only what the agent chose; `none` clears the
    assignee or the group. Unknown agents and groups are a 422."""
    changes: dict[str, Any] = {}
    assignee = (params.get("assignee") or "").strip()
    if assignee == "none":
        changes["assignee"] = None
    elif assignee:
        pk = _pk(assignee, "assignee")
        user = User.objects.filter(pk=pk, is_active=True, role__in=[Role.AGENT, Role.ADMIN]).first()
        if user is None:
            raise ValidationFailed("assignee: must be an active agent.", field="assignee")
        changes["assignee"] = user
    group = (params.get("group") or "").strip()
    if group == "none":
        changes["group"] = None
    elif group:
        found = SupportGroup.objects.filter(pk=_pk(group, "group")).first()
        if found is None:
            raise ValidationFailed("group: no such group.", field="group")
        changes["group"] = found
    if status := _choice(params, "status", list(STATUS_ORDER)):
        changes["status"] = status
    if priority := _choice(params, "priority", list(PRIORITY_ORDER)):
        changes["priority"] = priority
    if add := _tags(params, "add_tags"):
        changes["add_tags"] = add
    if remove := _tags(params, "remove_tags"):
        changes["remove_tags"] = remove
    return changes


def _loaded_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("loaded_at: not a timestamp.", field="loaded_at") from None
    if stamp.tzinfo is None:
        raise ValidationFailed("loaded_at: needs a time zone.", field="loaded_at")
    return stamp


NEXT_SCAN = 1000  # "Next in view" looks through the first 1,000 tickets of the view's order


@dataclass(frozen=True)
class NextInView:
    view: View
    next_id: int | None  # None: the last ticket of the view (as far as NEXT_SCAN reaches)
    position: int | None  # 1-based place of the open ticket in the view; None if not in it
    count: int  # tickets looked at (at most NEXT_SCAN)


def next_in_view(request: HttpRequest, ticket_id: int) -> NextInView | None:
    """The ticket after `ticket_id` in the order of the view named by `?view=` (the view list
    links tickets with it): two queries, the view (as the viewer may see it) and the view's ids
    in its order. A ticket that has left the view (just solved, say) leads to the view's first
    ticket. No `?view=`, or a view the agent may not open: None (no link)."""
    raw = (request.GET.get("view") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed("view: expected a view id.", field="view")
    try:
        view = queries.view_for_user(request.user, raw)
    except NotFound:
        return None
    ids = list(tickets_in_view(view, request.user).values_list("pk", flat=True)[:NEXT_SCAN])
    if ticket_id in ids:
        position = ids.index(ticket_id)
        following = ids[position + 1] if position + 1 < len(ids) else None
        return NextInView(view, following, position + 1, len(ids))
    first = next((pk for pk in ids if pk != ticket_id), None)
    return NextInView(view, first, None, len(ids))


def bulk_bar_context(request: HttpRequest, filters: queries.ListFilters) -> dict[str, Any]:
    """What the view page's bulk bar needs: the macros (one query), when the list was rendered
    (each ticket is then a compare-and-set) and the filters to come back to."""
    return {
        "macros": list(Macro.objects.filter(active=True).order_by("position", "title")),
        "loaded_at": timezone.now().replace(microsecond=0).isoformat(),
        "back_query": filters.query_string(),
        "can_share_views": access.can_share_views(request.user),
        "save_filters": [
            (name, getattr(filters, name))
            for name in ("sort", "order", "status", "priority", "assignee", "group", "q")
            if getattr(filters, name)
        ],
    }


@require_POST
@agent_page
def view_bulk(request: HttpRequest, view_id: int) -> HttpResponse:
    """The bulk bar of a view page: one change to the selected tickets, then back to the view
    (its sort and filters kept) with the summary."""
    view = queries.view_for_user(request.user, view_id)
    ids = ticket_ids_from(request.POST.getlist("tickets"))
    macro_id = (request.POST.get("macro") or "").strip()
    macro = queries.macro_by_id(macro_id) if macro_id else None
    outcome = bulk_update(
        actor=request.user,
        ticket_ids=ids,
        changes=bulk_changes(request.POST),
        macro=macro,
        loaded_at=_loaded_at(request.POST.get("loaded_at") or ""),
    )
    (messages.warning if outcome.skipped else messages.success)(request, outcome.summary)
    back = reverse("web-view", args=[view.pk])
    kept = queries.ListFilters.parse(QueryDict(request.POST.get("back_query") or "")).query_string()
    return redirect(f"{back}?{kept}" if kept else back)


def _filter_conditions(view: View, filters: queries.ListFilters) -> dict[str, Any]:
    """The view's conditions narrowed by the list's filters, as view conditions."""
    if filters.q:
        raise ValidationFailed(
            "q: a text filter cannot be saved in a view; clear it first.", field="q"
        )
    extra: list[dict[str, Any]] = []
    for name in ("status", "priority"):
        if value := getattr(filters, name):
            extra.append({"field": name, "operator": "is", "value": value})
    specials = {"none": None, "me": "current_user"}
    for name in ("assignee", "group"):
        if value := getattr(filters, name):
            value = specials[value] if value in specials else int(value)
            extra.append({"field": name, "operator": "is", "value": value})
    conditions = dict(view.conditions or {})
    conditions["all"] = [*conditions.get("all", []), *extra]
    return conditions


@require_POST
@agent_page
def view_save_as(request: HttpRequest, view_id: int) -> HttpResponse:
    """ "Save as my view": the open view with the list's filters and sort, as a new personal view
    (or, for admins and support managers who tick "shared", a shared one)."""
    view = queries.view_for_user(request.user, view_id)
    filters = queries.ListFilters.parse(request.POST)
    saved = create_view(
        actor=request.user,
        title=request.POST.get("title") or "",
        conditions=_filter_conditions(view, filters),
        sort_by=filters.sort or view.sort_by,
        sort_order=filters.order or view.sort_order,
        shared=request.POST.get("shared") == "on",
    )
    who = "everyone" if saved.owner_id is None else "only you"
    messages.success(request, f"Saved the view “{saved.title}” ({who} can see it).")
    return redirect("web-view", view_id=saved.pk)
