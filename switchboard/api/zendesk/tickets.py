"""tickets, show_many, comments, tags, macro previews: parse → one action or query → render."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Max, Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, StrictBool, StrictInt, StrictStr

from switchboard.accounts.models import Organization, SupportGroup, User
from switchboard.api import actions as api_actions
from switchboard.api.models import JobStatus
from switchboard.api.zendesk.base import actor, forbidden, json_response, route
from switchboard.api.zendesk.pagination import paginate, parse_ids
from switchboard.api.zendesk.render import ZENDESK_FIELD, Renderer
from switchboard.api.zendesk.schemas import (
    ERRORS,
    AuditList,
    CommentList,
    TagsIn,
    TagsOut,
    TicketAuditEnvelope,
    TicketEnvelope,
    TicketIn,
    TicketList,
)
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.tickets import queries
from switchboard.tickets.actions import comments, create, lifecycle, update
from switchboard.tickets.models import AuditEvent, Channel, Macro, Ticket, TicketAudit

router = Router(tags=["tickets"])


class PageParams(Schema):
    page: int | None = Field(None, ge=1, le=100_000)
    per_page: int | None = Field(None, ge=1, le=100)
    page_size: int | None = Field(None, alias="page[size]", ge=1, le=100)
    page_after: str | None = Field(None, alias="page[after]")


def render_tickets(request: HttpRequest) -> Any:
    return Renderer(request).tickets


def _reload(ticket_id: int) -> Ticket:
    """The ticket as committed (listeners such as the SLA engine update it in SQL)."""
    return Ticket.objects.get(pk=ticket_id)


def _audits(ticket: Ticket, after_pk: int) -> list[TicketAudit]:
    return list(
        TicketAudit.objects.filter(ticket=ticket, pk__gt=after_pk)
        .prefetch_related(Prefetch("events", queryset=AuditEvent.objects.select_related("comment")))
        .order_by("pk")
    )


def _ticket_and_audit(
    request: HttpRequest,
    ticket: Ticket,
    audits: list[TicketAudit],
    who: User,
    status: int,
    *,
    new: bool = False,
) -> HttpResponse:
    """`new`: the ticket was created by this request (it has no rating yet)."""
    renderer = Renderer(request)
    rendered = renderer.tickets([ticket], rated=not new)[0]
    if audits:
        audit = renderer.audit(audits)
    else:  # nothing changed: an empty audit, as the request wrote none
        audit = {
            "id": None,
            "ticket_id": ticket.pk,
            "created_at": None,
            "author_id": who.pk,
            "via": {"channel": Channel.API, "source": {"from": {}, "to": {}, "rel": None}},
            "metadata": {},
            "events": [],
        }
    return json_response({"ticket": rendered, "audit": audit}, status=status)


# --- lookups of ids sent in a body -------------------------------------------------------------


def _user(pk: int, field: str) -> User:
    # [:1], not first(): first() orders by pk, and compiling that ORDER BY costs more CPU than
    # the rest of the query on this wide row (bench/RESULTS.md, issue 12).
    user = next(iter(User.objects.filter(pk=pk).select_related("organization")[:1]), None)
    if user is None:
        raise ValidationFailed(f"{field}: no user with id {pk}.", field=field, code="InvalidValue")
    return user


def _group(pk: int | None) -> SupportGroup | None:
    if pk is None:
        return None
    group = SupportGroup.objects.filter(pk=pk).first()
    if group is None:
        raise ValidationFailed(f"group_id: no group with id {pk}.", field="group_id")
    return group


def _organization(pk: int | None) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationFailed(
            f"organization_id: no organization with id {pk}.", field="organization_id"
        )
    return org


def _users(ids: list[int], field: str) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"{field}: no user with id {missing[0]}.", field=field)
    return [found[i] for i in ids]


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Zendesk ticket fields → keyword arguments of update_ticket/add_comment."""
    changes: dict[str, Any] = {}
    simple = {
        "subject": "subject",
        "status": "status",
        "priority": "priority",
        "type": "ticket_type",
        "tags": "tags",
        "additional_tags": "add_tags",
        "remove_tags": "remove_tags",
        "external_id": "external_id",
        "product_line": "product_line",
        "preferred_region": "preferred_region",
    }
    for name, target in simple.items():
        if name in data:
            changes[target] = data[name]
    if "custom_fields" in data:
        changes["custom_fields"] = data["custom_fields"] or []
    if "assignee_id" in data:
        pk = data["assignee_id"]
        changes["assignee"] = None if pk is None else _user(pk, "assignee_id")
    if "group_id" in data:
        changes["group"] = _group(data["group_id"])
    if "organization_id" in data:
        changes["organization"] = _organization(data["organization_id"])
    if "requester_id" in data:
        if data["requester_id"] is None:
            raise ValidationFailed("requester_id: cannot be blank.", field="requester_id")
        changes["requester"] = _user(data["requester_id"], "requester_id")
    if "collaborator_ids" in data:
        changes["ccs"] = _users(data["collaborator_ids"] or [], "collaborator_ids")
    return changes


def _comment_body(comment: dict[str, Any] | None, who: User) -> str:
    if not comment:
        return ""
    if comment.get("author_id") not in (None, who.pk):
        # Posting as someone else would put words in their mouth; refuse rather than ignore.
        raise ValidationFailed(
            "comment.author_id: a comment is posted as the authenticated user; "
            f"leave author_id out or send {who.pk}.",
            field="comment.author_id",
        )
    return comment.get("body") or comment.get("html_body") or ""


# --- endpoints ---------------------------------------------------------------------------------


@route(router, ["GET"], "/tickets", response={200: TicketList, **ERRORS})
def list_tickets(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Tickets the caller may see, oldest first. Offset or cursor pagination."""
    qs = queries.visible_tickets(actor(request)).order_by("pk")
    return json_response(paginate(request, qs, "tickets", render_tickets(request)))


@route(router, ["GET"], "/tickets/show_many", response={200: TicketList, **ERRORS})
def show_many(request: HttpRequest, ids: str) -> HttpResponse:
    """Up to 100 tickets by id (`ids=1,2,3`); ids the caller may not see are left out."""
    wanted = parse_ids(ids, what="ticket", limit=100)
    qs = queries.visible_tickets(actor(request)).filter(pk__in=wanted).order_by("pk")
    rows = Renderer(request).tickets(list(qs))
    return json_response({"tickets": rows, "count": len(rows)})


@route(router, ["GET"], "/tickets/{int:ticket_id}", response={200: TicketEnvelope, **ERRORS})
def show_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = queries.ticket_row_for_user(actor(request), ticket_id)
    return json_response({"ticket": Renderer(request).tickets([ticket])[0]})


@route(router, ["POST"], "/tickets", response={201: TicketAuditEnvelope, **ERRORS})
def create_ticket(request: HttpRequest, payload: TicketIn) -> HttpResponse:
    """Open a ticket; the first comment is `comment.body` (or `description`). 201 + Location."""
    who = actor(request)
    data = payload.ticket.model_dump(exclude_unset=True)
    comment = data.get("comment")
    body = _comment_body(comment, who) or data.get("description") or ""
    public = bool(comment.get("public", True)) if comment else True
    if data.get("via_followup_source_id") is not None:
        with transaction.atomic():
            try:
                source = queries.ticket_for_user(who, data["via_followup_source_id"])
            except NotFound:
                raise ValidationFailed(
                    "via_followup_source_id: no such ticket.", field="via_followup_source_id"
                ) from None
            ticket = create.create_follow_up(
                source=source, actor=who, body=body, channel=Channel.API
            )
            audits = _audits(ticket, 0)
        return _created(request, _reload(ticket.pk), audits, who)
    requester = None
    requester_email = requester_name = ""
    if data.get("requester_id") is not None:
        requester = _user(data["requester_id"], "requester_id")
    elif data.get("requester"):
        requester_email = data["requester"].get("email") or ""
        requester_name = data["requester"].get("name") or ""
    else:
        requester = who
    changes = _changes({k: v for k, v in data.items() if k != "requester_id"})
    # open_ticket is its own transaction; a second write (the organization) shares it.
    moves_org = "organization" in changes
    with transaction.atomic() if moves_org else nullcontext():
        posted = create.open_ticket(
            actor=who,
            subject=data.get("subject") or "",
            description=body,
            requester=requester,
            requester_email=requester_email,
            requester_name=requester_name,
            channel=Channel.API,
            priority=changes.get("priority"),
            ticket_type=changes.get("ticket_type") or "",
            status=changes.get("status"),
            tags=changes.get("tags") or (),
            assignee=changes.get("assignee"),
            group=changes.get("group"),
            ccs=changes.get("ccs") or (),
            custom_fields=changes.get("custom_fields"),
            product_line=changes.get("product_line"),
            preferred_region=changes.get("preferred_region"),
            public=public,
            external_id=changes.get("external_id") or "",
        )
        ticket = posted.ticket
        org = changes.get("organization")
        if moves_org and org != ticket.organization:
            ticket = update.update_ticket(
                ticket=ticket, actor=who, via=Channel.API, organization=org
            )
            # The answer's audit is what this request wrote; the worker's rules write theirs later.
            audits = _audits(ticket, 0)
            ticket = _reload(ticket.pk)
        else:
            # The ticket as open_ticket wrote it (the in-request SLA listener keeps the object in
            # step with what it writes), and its audit as saved: nothing to read back.
            audits = [posted.audit] if posted.audit is not None else _audits(ticket, 0)
    return _created(request, ticket, audits, who)


def _created(
    request: HttpRequest, ticket: Ticket, audits: list[TicketAudit], who: User
) -> HttpResponse:
    """201 with the new ticket (it has no rating yet), this request's audit and its Location."""
    response = _ticket_and_audit(request, ticket, audits, who, 201, new=True)
    response["Location"] = Renderer(request).url(f"tickets/{ticket.pk}.json")
    return response


def _safe_update_stamp(data: dict[str, Any]) -> datetime | None:
    """The `updated_stamp` to check when `safe_update` is true; None otherwise."""
    safe, raw = data.pop("safe_update", None), data.pop("updated_stamp", None)
    if not safe:
        return None
    if not raw:
        raise ValidationFailed(
            "updated_stamp: required with safe_update (the ticket's updated_at as you read it).",
            field="updated_stamp",
            code="BlankValue",
        )
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"updated_stamp: {raw[:40]!r} is not an ISO 8601 time such as 2024-05-01T10:00:00Z.",
            field="updated_stamp",
        ) from None
    if stamp.tzinfo is None:
        raise ValidationFailed(
            "updated_stamp: include the time zone (Z for UTC).", field="updated_stamp"
        )
    return stamp


@route(router, ["PUT"], "/tickets/{int:ticket_id}", response={200: TicketAuditEnvelope, **ERRORS})
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketIn) -> HttpResponse:
    """Partial update: only the fields sent change. `comment` adds a reply or internal note.
    With `safe_update: true` and `updated_stamp`, a ticket changed since answers 409."""
    who = actor(request)
    data = payload.ticket.model_dump(exclude_unset=True)
    stamp = _safe_update_stamp(data)
    with transaction.atomic():
        ticket = queries.ticket_for_user(who, ticket_id)
        if stamp is not None:
            ticket = update.require_unchanged_since(ticket=ticket, stamp=stamp)
        before = ticket.audits.aggregate(m=Max("pk"))["m"] or 0
        changes = _changes(data)
        comment = data.get("comment")
        if comment is not None:
            status = changes.pop("status", None)
            comments.add_comment(
                ticket=ticket,
                author=who,
                body=_comment_body(comment, who),
                public=bool(comment.get("public", True)),
                channel=Channel.API,
                status=status,
                changes=changes or None,
            )
        elif changes:
            update.update_ticket(ticket=ticket, actor=who, via=Channel.API, **changes)
        audits = _audits(ticket, before)
    return _ticket_and_audit(request, _reload(ticket.pk), audits, who, 200)


@route(router, ["DELETE"], "/tickets/{int:ticket_id}", response={204: None, **ERRORS})
def delete_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Admins only. 204."""
    who = actor(request)
    ticket = queries.ticket_for_user(who, ticket_id)
    lifecycle.delete_ticket(ticket=ticket, actor=who)
    return HttpResponse(status=204)


@route(router, ["GET"], "/tickets/{int:ticket_id}/comments", response={200: CommentList, **ERRORS})
def list_comments(request: HttpRequest, ticket_id: int, params: Query[PageParams]) -> HttpResponse:
    """The conversation, oldest first; internal notes only for agents."""
    who = actor(request)
    ticket = queries.ticket_for_user(who, ticket_id)
    qs = queries.comments_for(who, ticket)
    renderer = Renderer(request)
    return json_response(
        paginate(request, qs, "comments", lambda rows: renderer.comments(list(rows)), keyset=False)
    )


@route(router, ["GET"], "/tickets/{int:ticket_id}/audits", response={200: AuditList, **ERRORS})
def list_audits(request: HttpRequest, ticket_id: int, params: Query[PageParams]) -> HttpResponse:
    """The ticket's history, oldest first, each audit with its events. Agents only (as in
    Zendesk); rendered through tickets.projection like every other output."""
    who = actor(request)
    if not who.is_agent:
        return forbidden("Only agents can read a ticket's audits.")
    ticket = queries.ticket_for_user(who, ticket_id)
    qs = (
        TicketAudit.objects.filter(ticket=ticket)
        .prefetch_related(Prefetch("events", queryset=AuditEvent.objects.select_related("comment")))
        .order_by("pk")
    )
    renderer = Renderer(request)
    return json_response(
        paginate(request, qs, "audits", lambda rows: [renderer.audit([a]) for a in rows])
    )


def _tags_response(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket's tags as the caller may see them (end-users: none; tickets.projection)."""
    ticket = _reload(ticket_id)
    return json_response({"tags": Renderer(request).tickets([ticket])[0]["tags"]})


# --- merge and job statuses --------------------------------------------------------------------

MAX_ID = 2**63 - 1


class MergeIn(Schema):
    """Zendesk's merge body. Strict types: `true` is not an id, "yes" is not a boolean."""

    ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=5)
    target_comment: StrictStr | None = Field(None, max_length=65_000)
    source_comment: StrictStr | None = Field(None, max_length=65_000)
    target_comment_is_public: StrictBool | None = None
    source_comment_is_public: StrictBool | None = None


class JobStatusOut(Schema):
    job_status: dict[str, Any]


def _job_status(request: HttpRequest, job: JobStatus) -> dict[str, Any]:
    return {
        "job_status": {
            "id": job.id,
            "url": Renderer(request).url(f"job_statuses/{job.id}.json"),
            "total": job.total,
            "progress": job.progress,
            "status": job.status,
            "message": job.message or None,
            "results": job.results,
        }
    }


@route(
    router,
    ["POST"],
    "/tickets/{int:ticket_id}/merge",
    response={200: JobStatusOut, **ERRORS},
)
def merge_tickets(request: HttpRequest, ticket_id: int, payload: MergeIn) -> HttpResponse:
    """Merge the tickets `ids` into this one (agents). Across requesters the carried comments
    and the notes are internal by default; across organizations they cannot be public (422).
    Answers with a job status, readable at /job_statuses/{id}."""
    who = actor(request)
    if not who.is_agent:
        return forbidden("Only agents can merge tickets.")
    target = queries.ticket_for_user(who, ticket_id)
    found = {t.pk: t for t in Ticket.objects.filter(pk__in=payload.ids)}
    missing = [pk for pk in payload.ids if pk not in found]
    if missing:
        raise ValidationFailed(f"ids: no ticket with id {missing[0]}.", field="ids")
    job = api_actions.merge_tickets_job(
        actor=who,
        target=target,
        sources=list(found.values()),
        target_comment=payload.target_comment or "",
        source_comment=payload.source_comment or "",
        target_comment_public=payload.target_comment_is_public,
        source_comment_public=payload.source_comment_is_public,
    )
    return json_response(_job_status(request, job))


@route(router, ["GET"], "/job_statuses/{slug:job_id}", response={200: JobStatusOut, **ERRORS})
def show_job_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """A job status the caller started (admins: any)."""
    who = actor(request)
    jobs = JobStatus.objects.all() if who.role == "admin" else JobStatus.objects.filter(owner=who)
    job = jobs.filter(pk=job_id[:32]).first()
    if job is None:
        raise NotFound()
    return json_response(_job_status(request, job))


@route(router, ["GET"], "/tickets/{int:ticket_id}/tags", response={200: TagsOut, **ERRORS})
def ticket_tags(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = queries.ticket_for_user(actor(request), ticket_id)
    return _tags_response(request, ticket.pk)


@route(router, ["POST"], "/tickets/{int:ticket_id}/tags", response={200: TagsOut, **ERRORS})
def set_ticket_tags(request: HttpRequest, ticket_id: int, payload: TagsIn) -> HttpResponse:
    """Replace the ticket's tags."""
    who = actor(request)
    ticket = queries.ticket_for_user(who, ticket_id)
    update.set_tags(ticket=ticket, actor=who, tags=payload.tags, via=Channel.API)
    return _tags_response(request, ticket.pk)


@route(router, ["PUT"], "/tickets/{int:ticket_id}/tags", response={200: TagsOut, **ERRORS})
def add_ticket_tags(request: HttpRequest, ticket_id: int, payload: TagsIn) -> HttpResponse:
    """Add tags, keeping the others."""
    who = actor(request)
    ticket = queries.ticket_for_user(who, ticket_id)
    update.add_tags(ticket=ticket, actor=who, tags=payload.tags, via=Channel.API)
    return _tags_response(request, ticket.pk)


@route(router, ["DELETE"], "/tickets/{int:ticket_id}/tags", response={200: TagsOut, **ERRORS})
def remove_ticket_tags(request: HttpRequest, ticket_id: int, payload: TagsIn) -> HttpResponse:
    """Remove the tags named."""
    who = actor(request)
    ticket = queries.ticket_for_user(who, ticket_id)
    update.remove_tags(ticket=ticket, actor=who, tags=payload.tags, via=Channel.API)
    return _tags_response(request, ticket.pk)


class MacroResult(Schema):
    result: dict[str, Any]


@route(
    router,
    ["GET"],
    "/tickets/{int:ticket_id}/macros/{int:macro_id}/apply",
    response={200: MacroResult, **ERRORS},
)
def macro_preview(request: HttpRequest, ticket_id: int, macro_id: int) -> HttpResponse:
    """What applying the macro would do to the ticket. Writes nothing."""
    from switchboard.tickets.macros import preview_macro

    who = actor(request)
    if not who.is_agent:
        return forbidden("Only agents can use macros.")
    ticket = queries.ticket_for_user(who, ticket_id)
    macro = Macro.objects.filter(pk=macro_id).first()
    if macro is None:
        raise NotFound()
    try:
        preview = preview_macro(macro=macro, ticket=ticket, actor=who)
    except PermissionDenied:
        raise NotFound() from None
    result_ticket: dict[str, Any] = {"id": ticket.pk}
    for row in preview["changes"]:
        name = ZENDESK_FIELD.get(row["field"], row["field"])
        value = row["to"]
        result_ticket[name] = value["id"] if isinstance(value, dict) and "id" in value else value
    result_ticket["tags"] = preview["tags"]["after"]
    comment = preview["comment"]
    return json_response(
        {
            "result": {
                "ticket": result_ticket,
                "comment": {"body": comment["body"], "public": comment["public"]}
                if comment
                else None,
                "preview": preview,
            }
        }
    )
