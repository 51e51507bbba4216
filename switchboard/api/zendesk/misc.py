"""search, views, macros, tags, ticket_fields, slas/policies and the incremental exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from switchboard.api.zendesk.base import actor, forbidden, json_response, route
from switchboard.api.zendesk.pagination import (
    BadPagination,
    decode_cursor,
    encode_cursor,
    page_url,
    paginate,
    parse_ids,
)
from switchboard.api.zendesk.render import Renderer
from switchboard.api.zendesk.schemas import ERRORS, Loose, TicketList
from switchboard.api.zendesk.tickets import PageParams, render_tickets
from switchboard.core.errors import NotFound
from switchboard.tickets import queries
from switchboard.tickets.models import Macro, TicketField, TicketTag, View

router = Router(tags=["search, views, macros, configuration, exports"])

INCREMENTAL_PAGE = 1000


def _agents_only(request: HttpRequest, what: str) -> HttpResponse | None:
    if not actor(request).is_agent:
        return forbidden(f"Only agents can read {what}.")
    return None


# --- search ------------------------------------------------------------------------------------


class SearchParams(Schema):
    query: str = Field(max_length=2000)
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(100, ge=1, le=100)
    sort_by: str | None = Field(None, max_length=40)
    sort_order: str | None = Field(None, pattern="^(asc|desc)$")


class SearchOut(Schema):
    results: list[Loose]
    count: int
    next_page: str | None
    previous_page: str | None
    facets: Any = None


@route(router, ["GET"], "/search", response={200: SearchOut, **ERRORS})
def search(request: HttpRequest, params: Query[SearchParams]) -> HttpResponse:
    """The tickets query language (`type:ticket status<solved tags:x`). 100 per page; only the
    first 1,000 results can be paged through (a later page answers 422)."""
    from switchboard.tickets.search import MAX_RESULTS
    from switchboard.tickets.search import search as run_search
    from switchboard.tickets.search_query import QuerySyntaxError

    who = actor(request)
    try:
        results = run_search(
            who,
            params.query,
            sort_by=params.sort_by or "updated_at",
            sort_order=params.sort_order or "desc",
        )
    except QuerySyntaxError as exc:
        return json_response(
            {
                "error": "InvalidQuery",
                "description": str(exc),
                "details": {"query": [{"description": str(exc), "error": "InvalidQuery"}]},
                "token": exc.token,
            },
            status=400,
        )
    rows = results.page(params.page, params.per_page)
    count = results.count
    renderer = Renderer(request)
    renderer.prepare([r.object for r in rows if r.result_type == "ticket"])
    out = []
    for row in rows:
        if row.result_type == "ticket":
            item = renderer.ticket(row.object)
        elif row.result_type == "user":
            item = renderer.user(row.object)
        else:
            item = renderer.organization(row.object)
        item["result_type"] = row.result_type
        out.append(item)
    reachable = min(count, MAX_RESULTS)
    has_next = params.page * params.per_page < reachable
    return json_response(
        {
            "results": out,
            "count": count,
            "next_page": page_url(request, page=params.page + 1) if has_next else None,
            "previous_page": page_url(request, page=params.page - 1) if params.page > 1 else None,
            "facets": None,
        }
    )


# --- views -------------------------------------------------------------------------------------


class ViewOut(Loose):
    id: int
    url: str
    title: str
    active: bool
    position: int
    conditions: dict[str, Any]
    execution: dict[str, Any]


class ViewList(Schema):
    views: list[ViewOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: dict[str, Any] | None = None
    links: dict[str, Any] | None = None


class ViewEnvelope(Schema):
    view: ViewOut


class ViewCount(Schema):
    view_id: int
    url: str
    value: int
    pretty: str
    fresh: bool


class ViewCountEnvelope(Schema):
    view_count: ViewCount


class ViewCounts(Schema):
    view_counts: list[ViewCount]


def _view(request: HttpRequest, view_id: int) -> View:
    from switchboard.tickets.saved_views import views_for

    view = views_for(actor(request)).filter(pk=view_id).first()
    if view is None:
        raise NotFound()
    return view


def _count(renderer: Renderer, view_id: int, value: int) -> dict[str, Any]:
    return {
        "view_id": view_id,
        "url": renderer.url(f"views/{view_id}/count.json"),
        "value": value,
        "pretty": f"{value:,}",
        "fresh": True,
    }


@route(router, ["GET"], "/views", response={200: ViewList, **ERRORS})
def list_views(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Shared views and the caller's own. Agents only."""
    from switchboard.tickets.saved_views import views_for

    if denied := _agents_only(request, "views"):
        return denied
    renderer = Renderer(request)
    qs = views_for(actor(request))
    return json_response(
        paginate(request, qs, "views", lambda rows: [renderer.view(v) for v in rows], keyset=False)
    )


@route(router, ["GET"], "/views/{int:view_id}", response={200: ViewEnvelope, **ERRORS})
def show_view(request: HttpRequest, view_id: int) -> HttpResponse:
    if denied := _agents_only(request, "views"):
        return denied
    return json_response({"view": Renderer(request).view(_view(request, view_id))})


@route(router, ["GET"], "/views/{int:view_id}/count", response={200: ViewCountEnvelope, **ERRORS})
def count_view(request: HttpRequest, view_id: int) -> HttpResponse:
    from switchboard.tickets.saved_views import count_view as count

    if denied := _agents_only(request, "views"):
        return denied
    view = _view(request, view_id)
    value = count(view, actor(request))
    return json_response({"view_count": _count(Renderer(request), view.pk, value)})


@route(router, ["GET"], "/views/{int:view_id}/tickets", response={200: TicketList, **ERRORS})
def view_tickets(request: HttpRequest, view_id: int, params: Query[PageParams]) -> HttpResponse:
    """The view's tickets in the view's order."""
    from switchboard.tickets.saved_views import tickets_in_view

    if denied := _agents_only(request, "views"):
        return denied
    view = _view(request, view_id)
    qs = tickets_in_view(view, actor(request))
    return json_response(paginate(request, qs, "tickets", render_tickets(request), keyset=False))


def _count_many(request: HttpRequest, ids: str) -> HttpResponse:
    from switchboard.tickets.saved_views import count_views, views_for

    if denied := _agents_only(request, "views"):
        return denied
    wanted = parse_ids(ids, what="view", limit=20)
    views = list(views_for(actor(request)).filter(pk__in=wanted))
    counts = count_views(views, actor(request))
    renderer = Renderer(request)
    return json_response(
        {"view_counts": [_count(renderer, v.pk, counts.get(v.pk, 0)) for v in views]}
    )


@route(router, ["GET"], "/views/count_many", response={200: ViewCounts, **ERRORS})
def count_many_views(request: HttpRequest, ids: str) -> HttpResponse:
    """Counts of up to 20 views (`ids=1,2`) in one query."""
    return _count_many(request, ids)


@route(router, ["GET"], "/views/count", response={200: ViewCounts, **ERRORS})
def count_views(request: HttpRequest, ids: str) -> HttpResponse:
    """Same as views/count_many."""
    return _count_many(request, ids)


# --- macros, tags, ticket fields, SLA policies -------------------------------------------------


class MacroOut(Loose):
    id: int
    url: str
    title: str
    actions: list[Any]
    active: bool


class MacroList(Schema):
    macros: list[MacroOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: dict[str, Any] | None = None
    links: dict[str, Any] | None = None


class MacroEnvelope(Schema):
    macro: MacroOut


@route(router, ["GET"], "/macros", response={200: MacroList, **ERRORS})
def list_macros(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Macros the caller may use (active, and unrestricted or restricted to one of their
    groups). Agents only."""
    if denied := _agents_only(request, "macros"):
        return denied
    renderer = Renderer(request)
    return json_response(
        paginate(
            request,
            _macros(request),
            "macros",
            lambda rows: [renderer.macro(m) for m in rows],
            keyset=False,
        )
    )


def _macros(request: HttpRequest) -> Any:
    who = actor(request)
    qs = Macro.objects.filter(active=True).order_by("position", "title", "pk")
    if who.role != "admin":
        qs = qs.filter(
            Q(restricted_to_group__isnull=True)
            | Q(restricted_to_group__in=who.support_groups.values("pk"))
        )
    return qs


@route(router, ["GET"], "/macros/{int:macro_id}", response={200: MacroEnvelope, **ERRORS})
def show_macro(request: HttpRequest, macro_id: int) -> HttpResponse:
    if denied := _agents_only(request, "macros"):
        return denied
    macro = _macros(request).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound()
    return json_response({"macro": Renderer(request).macro(macro)})


class TagCount(Schema):
    name: str
    count: int


class TagList(Schema):
    tags: list[TagCount]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: dict[str, Any] | None = None
    links: dict[str, Any] | None = None


@route(router, ["GET"], "/tags", response={200: TagList, **ERRORS})
def list_tags(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Tags in use, most used first, with their ticket counts. Agents only."""
    if denied := _agents_only(request, "tags"):
        return denied
    qs = TicketTag.objects.values("name").annotate(count=Count("pk")).order_by("-count", "name")
    return json_response(
        paginate(
            request,
            qs,
            "tags",
            lambda rows: [{"name": r["name"], "count": r["count"]} for r in rows],
            keyset=False,
        )
    )


class TicketFieldOut(Loose):
    id: int
    url: str
    type: str
    title: str
    active: bool
    required: bool


class TicketFieldList(Schema):
    ticket_fields: list[TicketFieldOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: dict[str, Any] | None = None
    links: dict[str, Any] | None = None


class TicketFieldEnvelope(Schema):
    ticket_field: TicketFieldOut


def _ticket_fields(request: HttpRequest) -> Any:
    qs = TicketField.objects.order_by("position", "pk")
    if not actor(request).is_agent:
        qs = qs.filter(active=True, visible_in_portal=True)
    return qs


@route(router, ["GET"], "/ticket_fields", response={200: TicketFieldList, **ERRORS})
def list_ticket_fields(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Custom ticket fields (end-users: those shown in the portal)."""
    renderer = Renderer(request)
    return json_response(
        paginate(
            request,
            _ticket_fields(request),
            "ticket_fields",
            lambda rows: [renderer.ticket_field(f) for f in rows],
            keyset=False,
        )
    )


@route(
    router, ["GET"], "/ticket_fields/{int:field_id}", response={200: TicketFieldEnvelope, **ERRORS}
)
def show_ticket_field(request: HttpRequest, field_id: int) -> HttpResponse:
    field = _ticket_fields(request).filter(pk=field_id).first()
    if field is None:
        raise NotFound()
    return json_response({"ticket_field": Renderer(request).ticket_field(field)})


METRIC_NAMES = {
    "first_reply": "first_reply_time",
    "next_reply": "next_reply_time",
    "periodic_update": "periodic_update_time",
    "agent_work": "agent_work_time",
}


class SlaPolicyOut(Loose):
    id: int
    url: str
    title: str
    position: int
    filter: dict[str, Any]
    policy_metrics: list[dict[str, Any]]


class SlaPolicyList(Schema):
    sla_policies: list[SlaPolicyOut]
    count: int
    next_page: str | None = None
    previous_page: str | None = None


@route(router, ["GET"], "/slas/policies", response={200: SlaPolicyList, **ERRORS})
def list_sla_policies(request: HttpRequest) -> HttpResponse:
    """SLA policies in the order they are tried. Agents only."""
    from switchboard.sla.models import Policy

    if denied := _agents_only(request, "SLA policies"):
        return denied
    renderer = Renderer(request)
    policies = []
    for p in Policy.objects.prefetch_related("targets").order_by("position", "pk"):
        conditions = p.conditions or {}
        policies.append(
            {
                "id": p.pk,
                "url": renderer.url(f"slas/policies/{p.pk}.json"),
                "title": p.title,
                "description": p.description,
                "position": p.position,
                "active": p.active,
                "schedule_id": p.schedule_id,
                "filter": {"all": conditions.get("all", []), "any": conditions.get("any", [])},
                "policy_metrics": [
                    {
                        "priority": t.priority,
                        "metric": METRIC_NAMES.get(t.metric, t.metric),
                        "target": t.minutes,
                        "business_hours": t.business_hours,
                    }
                    for t in p.targets.all()
                ],
                "created_at": renderer_iso(p.created_at),
                "updated_at": renderer_iso(p.updated_at),
            }
        )
    return json_response(
        {"sla_policies": policies, "count": len(policies), "next_page": None, "previous_page": None}
    )


def renderer_iso(value: datetime | None) -> str | None:
    from switchboard.api.zendesk.render import iso

    return iso(value)


# --- incremental exports -----------------------------------------------------------------------


class IncrementalOut(Schema):
    tickets: list[dict[str, Any]]
    count: int
    next_page: str | None
    end_time: int
    end_of_stream: bool


class CursorIncrementalOut(Schema):
    tickets: list[dict[str, Any]]
    after_url: str | None
    after_cursor: str | None
    before_url: str | None
    before_cursor: str | None
    end_of_stream: bool


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


@route(router, ["GET"], "/incremental/tickets", response={200: IncrementalOut, **ERRORS})
def incremental_tickets(
    request: HttpRequest, start_time: int = Query(..., ge=0, le=32503680000)
) -> HttpResponse:
    """Time-based export: tickets updated at or after `start_time` (Unix seconds), oldest change
    first, 1,000 a page. Follow `next_page` until `end_of_stream`. Agents only."""
    if denied := _agents_only(request, "the export"):
        return denied
    qs = (
        queries.visible_tickets(actor(request))
        .filter(updated_at__gte=_from_epoch(start_time))
        .order_by("updated_at", "pk")
    )
    rows = list(qs[:INCREMENTAL_PAGE])
    end_of_stream = len(rows) < INCREMENTAL_PAGE
    end_time = _epoch(rows[-1].updated_at) if rows else start_time
    if not end_of_stream and end_time == start_time:
        end_time += 1  # a full page in one second: move on (the cursor export never skips)
    renderer = Renderer(request)
    return json_response(
        {
            "tickets": renderer.tickets(rows),
            "count": len(rows),
            "next_page": page_url(request, start_time=end_time),
            "end_time": end_time,
            "end_of_stream": end_of_stream,
        }
    )


@route(
    router, ["GET"], "/incremental/tickets/cursor", response={200: CursorIncrementalOut, **ERRORS}
)
def incremental_tickets_cursor(
    request: HttpRequest,
    start_time: int | None = Query(None, ge=0, le=32503680000),
    cursor: str | None = None,
    per_page: int = Query(INCREMENTAL_PAGE, ge=1, le=INCREMENTAL_PAGE),
) -> HttpResponse:
    """Cursor export: give `start_time` once, then follow `after_url` (or pass `cursor`) until
    `end_of_stream`; keep the last `after_cursor` to resume later. Agents only."""
    if denied := _agents_only(request, "the export"):
        return denied
    qs = queries.visible_tickets(actor(request)).order_by("updated_at", "pk")
    if cursor:
        data = decode_cursor(cursor, "cursor")
        try:
            at = datetime.fromisoformat(data["t"])
            last = int(data["i"])
        except (KeyError, TypeError, ValueError):
            raise BadPagination("cursor: not a cursor this API issued.") from None
        qs = qs.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=last))
    elif start_time is not None:
        qs = qs.filter(updated_at__gte=_from_epoch(start_time))
    else:
        raise BadPagination("start_time or cursor is required.")
    rows = list(qs[:per_page])
    end_of_stream = len(rows) < per_page
    after = None
    if rows:
        after = encode_cursor({"t": rows[-1].updated_at.isoformat(), "i": rows[-1].pk})
    elif cursor:
        after = cursor
    renderer = Renderer(request)
    after_url = page_url(request, cursor=after, start_time=None) if after else None
    return json_response(
        {
            "tickets": renderer.tickets(rows),
            "after_url": after_url,
            "after_cursor": after,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": end_of_stream,
        }
    )
