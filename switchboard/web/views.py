"""The agent workspace: views with live counts, ticket lists, the ticket page, search, dashboard.

Thin views: parse the request, call one query or one action (tickets.actions — the one write
path), render or redirect (POST → redirect → GET). HTMX requests get the same answers; the
templates pick the fragment they need (hx-select), so every page works without JavaScript.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from switchboard.accounts.access import Action
from switchboard.accounts.models import SupportGroup
from switchboard.core.errors import Conflict, SwitchboardError, ValidationFailed
from switchboard.core.paging import page_number
from switchboard.tickets.actions.comments import post_comment
from switchboard.tickets.actions.create import create_follow_up
from switchboard.tickets.actions.macros import apply_macro
from switchboard.tickets.actions.merge import merge_tickets, plan_merge
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.actions.uploads import NewFile
from switchboard.tickets.attachments import redact_attachment, redact_comment
from switchboard.tickets.macros import expand_deferred, plan_macro, preview_macro
from switchboard.tickets.models import Ticket, TicketType
from switchboard.tickets.queries import ticket_for_user
from switchboard.tickets.saved_views import count_views
from switchboard.tickets.search import MAX_RESULTS
from switchboard.tickets.search import search as run_search
from switchboard.tickets.search_query import QuerySyntaxError
from switchboard.web import actions as web_actions
from switchboard.web import calls_views, charts, dashboard, queries, ticket_edits, view_workspace
from switchboard.web.auth import agent_page
from switchboard.web.forms import FollowUpForm, MergeForm, PropertiesForm, ReplyForm, first_error

# --- home: the views with live counts ------------------------------------------------------------


def _views_with_counts(user: Any) -> list[tuple[Any, int]]:
    views = queries.home_views(user)
    counts = count_views(views, user)  # one query for every count
    return [(view, counts.get(view.pk, 0)) for view in views]


@require_GET
@agent_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/home.html",
        {"views": _views_with_counts(request.user), "due": queries.due_soonest(request.user)},
    )


@require_GET
@agent_page
def view_counts(request: HttpRequest) -> HttpResponse:
    """The counts partial HTMX refreshes every 30 s (also a plain page without JS)."""
    return render(
        request, "web/partials/view_counts.html", {"views": _views_with_counts(request.user)}
    )


# --- a view's ticket list ----------------------------------------------------------------------


@require_GET
@agent_page
def view_list(request: HttpRequest, view_id: int) -> HttpResponse:
    view = queries.view_for_user(request.user, view_id)
    filters = queries.ListFilters.parse(request.GET)
    page = queries.view_page(request.user, view, filters)
    sort_links = {}
    for key in queries.SORTS:
        current = page.sort_by == key
        order = "asc" if current and page.sort_order == "desc" else "desc"
        if not current and key in queries.ASCENDING_FIRST:
            order = "asc"
        arrow = ("▲" if page.sort_order == "asc" else "▼") if current else ""
        sort_links[key] = {
            "url": "?" + filters.query_string(sort=key, order=order, page="1"),
            "arrow": arrow,
            "label": queries.SORTS[key],
        }
    pages = {
        "previous": "?" + filters.query_string(page=str(page.previous_page_number()))
        if page.has_previous()
        else "",
        "next": "?" + filters.query_string(page=str(page.number + 1)) if page.has_next() else "",
    }
    return render(
        request,
        "web/view_list.html",
        {
            "view": view,
            "page": page,
            "filters": filters,
            "sort_links": sort_links,
            "pages": pages,
            "statuses": Ticket._meta.get_field("status").choices,
            "priorities": Ticket._meta.get_field("priority").choices,
            "agents": queries.agents(),
            "groups": queries.groups(),
            **view_workspace.bulk_bar_context(request, filters),
        },
    )


# --- the ticket page ---------------------------------------------------------------------------


def _ticket_response(
    request: HttpRequest,
    ticket_id: Any,
    *,
    status: int = 200,
    reply_form: ReplyForm | None = None,
    preview: dict[str, Any] | None = None,
    error: str = "",
    error_form: str = "",
    conflict: dict[str, Any] | None = None,
    page: queries.TicketPage | None = None,
) -> HttpResponse:
    data = page or queries.ticket_page(request.user, ticket_id)
    calls = calls_views.calls_panel(request.user, data.ticket, data.event_types)
    if reply_form is None:
        reply_form = ReplyForm(initial={"visibility": reply_visibility(request)})
        if calls["summary_due"]:
            reply_form = _summary_form(request, data.ticket) or reply_form
    return render(
        request,
        "web/ticket.html",
        {
            "p": data,
            "ticket": data.ticket,
            "reply_form": reply_form,
            "preview": preview,
            "error": error,
            "error_form": error_form,
            "conflict": conflict,
            "submit_statuses": ReplyForm.base_fields["status"].choices,  # type: ignore[attr-defined]
            "priorities": Ticket._meta.get_field("priority").choices,
            "ticket_types": TicketType.choices,
            "calls": calls,
            "next_in_view": view_workspace.next_in_view(request, data.ticket.pk),
        },
        status=status,
    )


POST_CALL_MACRO = "General::Post customer call"
REPLY_VISIBILITY = "reply_visibility"


def reply_visibility(request: HttpRequest) -> str:
    """The reply box's public/internal toggle as the agent last sent it (kept in their session:
    after the submit and on every reload)."""
    value = request.session.get(REPLY_VISIBILITY)
    return value if value in ("public", "internal") else "public"


def _summary_form(request: HttpRequest, ticket: Ticket) -> ReplyForm | None:
    """A call ended without a summary: the reply box opens with the post-call macro filled in."""
    macro = queries.macro_by_title(POST_CALL_MACRO)
    if macro is None:
        return None
    try:
        plan = plan_macro(macro=macro, ticket=ticket, actor=request.user)  # type: ignore[arg-type]
    except SwitchboardError:
        return None
    return ReplyForm(
        initial={"visibility": "public", "body": plan.comment_body, "macro": str(macro.pk)}
    )


@require_GET
@agent_page
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_response(request, ticket_id)


def legacy_ticket_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Macros rendered `{{ticket.url}}` as /agent/tickets/<id>: keep those links working."""
    return redirect("web-ticket", ticket_id=ticket_id, permanent=True)


@require_GET
@agent_page
def ticket_history(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket, audits = queries.audit_history(request.user, ticket_id)
    template = (
        "web/partials/history.html" if request.headers.get("HX-Request") else "web/history.html"
    )
    return render(request, template, {"ticket": ticket, "audits": audits})


@require_GET
@agent_page
def ticket_activity(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """HTMX partial the ticket page polls: "<agent> is replying", "someone else updated this
    ticket" (since `since`, the updated_at the page was rendered with)."""
    raw = request.GET.get("since") or ""
    try:
        since = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            "since: the ticket's updated_at as the page was rendered (ISO 8601).", field="since"
        ) from None
    if since.tzinfo is None:
        raise ValidationFailed("since: include the time zone offset.", field="since")
    activity = queries.ticket_activity(request.user, ticket_id, since)
    return render(
        request, "web/partials/activity.html", {"activity": activity, "ticket_id": ticket_id}
    )


@require_POST
@agent_page
def ticket_presence(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The reply box reports typing (`activity=replying`) or leaving it (`activity=idle`)."""
    ticket = ticket_for_user(request.user, ticket_id)
    activity = request.POST.get("activity")
    if activity == "replying":
        web_actions.note_replying(ticket=ticket, user=request.user)  # type: ignore[arg-type]
    elif activity == "idle":
        web_actions.clear_presence(ticket=ticket, user=request.user)  # type: ignore[arg-type]
    else:
        raise ValidationFailed("activity: replying or idle.", field="activity")
    return HttpResponse(status=204)


def _preview(request: HttpRequest, ticket: Ticket, macro_id: Any) -> dict[str, Any]:
    macro = queries.macro_by_id(macro_id)
    return preview_macro(macro=macro, ticket=ticket, actor=request.user)  # type: ignore[arg-type]


@require_GET
@agent_page
def macro_preview(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """HTMX partial: what the chosen macro would do; fills an empty reply box with its text."""
    ticket = ticket_for_user(request.user, ticket_id)
    if not request.GET.get("macro"):
        return render(request, "web/partials/macro_preview.html", {"preview": None})
    try:
        preview = _preview(request, ticket, request.GET.get("macro"))
    except SwitchboardError as exc:
        return render(
            request,
            "web/partials/macro_preview.html",
            {"preview": None, "error": exc.message},
            status=exc.status_code,
        )
    fill = not (request.GET.get("body") or "").strip() and preview["comment"] is not None
    return render(request, "web/partials/macro_preview.html", {"preview": preview, "fill": fill})


def _reply(request: HttpRequest, ticket: Ticket, form: ReplyForm) -> None:
    """One reply: a comment (with the macro's changes, status and attachments), or a macro."""
    user = request.user
    data = form.cleaned_data
    body = (data.get("body") or "").strip()
    status = data.get("status") or None
    files = data.get("files") or []
    macro = queries.macro_by_id(data["macro"]) if data.get("macro") else None
    keep = status is None  # "Keep status": the status stays, even new
    with transaction.atomic():
        if macro is not None and not body and status is None and not files:
            apply_macro(
                ticket=ticket,
                macro=macro,
                actor=user,  # type: ignore[arg-type]
                options={"call_type": request.POST.get("call_type", "")},
                assign_on_reply=True,
                keep_status=keep,
            )
            return
        changes: dict[str, Any] = {}
        public = form.public
        if macro is not None:
            plan = plan_macro(macro=macro, ticket=ticket, actor=user)  # type: ignore[arg-type]
            changes = dict(plan.changes)
            if not body:
                body, public = plan.comment_body, plan.comment_public
        if status is not None:
            changes["status"] = status
        # A booking-link placeholder (the invite macro's preview keeps it) becomes a real link.
        body = expand_deferred(
            body,
            ticket=ticket,
            actor=user,  # type: ignore[arg-type]
            options={"call_type": request.POST.get("call_type", "")},
        )
        if not body:
            if files:
                raise ValidationFailed(
                    "files: attachments go with a reply; write a few words.", field="files"
                )
            update_ticket(
                ticket=ticket,
                actor=user,  # type: ignore[arg-type]
                keep_status=keep and "status" not in changes,
                **changes,
            )
            return
        post_comment(
            ticket=ticket,
            author=user,  # type: ignore[arg-type]
            body=body,
            public=public,
            changes=changes or None,
            metadata={"macro_id": macro.pk} if macro is not None else None,
            keep_status=keep and "status" not in changes,
            assign_on_reply=True,
            files=[NewFile(upload.name, upload) for upload in files],
        )


@require_POST
@agent_page
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_for_user(request.user, ticket_id, Action.COMMENT)
    form = ReplyForm(request.POST, request.FILES)
    if "preview" in request.POST:  # the no-JS macro preview: show it, fill an empty reply box
        macro_id = request.POST.get("macro")
        if not macro_id:
            return _ticket_response(
                request,
                ticket.pk,
                status=422,
                reply_form=form,
                error="macro: choose a macro to preview.",
                error_form="reply",
            )
        preview = _preview(request, ticket, macro_id)
        values = request.POST.copy()
        if not values.get("body", "").strip() and preview["comment"]:
            values["body"] = preview["comment"]["body"]
            values["visibility"] = "public" if preview["comment"]["public"] else "internal"
        return _ticket_response(request, ticket.pk, reply_form=ReplyForm(values), preview=preview)
    if not form.is_valid():
        return _ticket_response(
            request,
            ticket.pk,
            status=422,
            reply_form=form,
            error=first_error(form),
            error_form="reply",
        )
    try:
        _reply(request, ticket, form)
    except SwitchboardError as exc:
        return _ticket_response(
            request,
            ticket.pk,
            status=exc.status_code,
            reply_form=form,
            error=exc.message,
            error_form="reply",
        )
    web_actions.clear_presence(ticket=ticket, user=request.user)  # type: ignore[arg-type]
    request.session[REPLY_VISIBILITY] = "public" if form.public else "internal"
    messages.success(request, "Reply sent." if form.public else "Note added.")
    return redirect("web-ticket", ticket_id=ticket.pk)


def _label(name: str, value: Any, page: Any) -> str:
    """How the conflict box names a value: agents and groups by name."""
    if value in (None, ""):
        return "— none —"
    if name == "assignee":
        agent = next((a for a in page.agents if a.pk == value), None)
        return (agent.name or agent.email) if agent else f"user {value}"
    if name == "group":
        group = next((g for g in page.groups if g.pk == value), None)
        return group.name if group else f"group {value}"
    if name == "priority":
        return str(dict(Ticket._meta.get_field("priority").choices).get(value, value))
    if name in ("requester", "ticket_type"):
        return ticket_edits.label(name, value, page.ticket)
    return str(value)


def _properties_conflict(
    request: HttpRequest, ticket_id: int, data: dict[str, Any], exc: Conflict
) -> HttpResponse:
    """409: the ticket page with both values of each conflicting field, and a form that applies
    the agent's values over the current ones if they still want to."""
    page = queries.ticket_page(request.user, ticket_id)
    current = page.ticket
    added = [t for t in data["tags"] if t not in data["original_tags"]]
    removed = set(data["original_tags"]) - set(data["tags"])
    mine_tags = [t for t in [*page.tags, *added] if t not in removed]
    conflict = {
        "message": exc.message,
        "rows": [
            {
                "field": name,
                "mine": _label(name, mine, page),
                "theirs": _label(name, theirs, page),
            }
            for name, mine, theirs in exc.conflicts
        ],
        "retry": {
            "tags": " ".join(dict.fromkeys(mine_tags)),
            "priority": data["priority"],
            "assignee": data["assignee"] or "",
            "group": data["group"] or "",
            "original_tags": " ".join(page.tags),
            "original_priority": current.priority,
            "original_assignee": current.assignee_id or "",
            "original_group": current.group_id or "",
            **ticket_edits.retry_values(request.POST, data, current),
        },
    }
    return _ticket_response(request, ticket_id, status=409, conflict=conflict, page=page)


@require_POST
@agent_page
def ticket_properties(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Tags, priority, assignee and group. Only what the agent changed relative to the values
    the page was rendered with (the form's hidden originals) is sent, as a compare-and-set:
    tags as additions and removals, the other fields as a Conflict (409, both values shown) if
    someone else changed them meanwhile. Fields the agent left alone are never written."""
    ticket = ticket_for_user(request.user, ticket_id)
    form = PropertiesForm(request.POST)
    if not form.is_valid():
        return _ticket_response(
            request, ticket.pk, status=422, error=first_error(form), error_form="properties"
        )
    data = form.cleaned_data
    changes: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    added = [t for t in data["tags"] if t not in data["original_tags"]]
    removed = [t for t in data["original_tags"] if t not in data["tags"]]
    if added:
        changes["add_tags"] = added
    if removed:
        changes["remove_tags"] = removed
    if data["priority"] != data["original_priority"]:
        changes["priority"] = data["priority"]
        expected["priority"] = data["original_priority"]
    if data["assignee"] != data["original_assignee"]:
        assignee = None
        if data["assignee"] is not None:
            assignee = next((a for a in queries.agents() if a.pk == data["assignee"]), None)
            if assignee is None:
                return _ticket_response(
                    request,
                    ticket.pk,
                    status=422,
                    error="assignee: not an active agent.",
                    error_form="properties",
                )
        changes["assignee"] = assignee
        expected["assignee"] = data["original_assignee"]
    if data["group"] != data["original_group"]:
        group = None
        if data["group"] is not None:
            group = SupportGroup.objects.filter(pk=data["group"]).first()
            if group is None:
                return _ticket_response(
                    request,
                    ticket.pk,
                    status=422,
                    error="group: no such group.",
                    error_form="properties",
                )
        changes["group"] = group
        expected["group"] = data["original_group"]
    edits = ticket_edits.edited_fields(request.POST, data)
    changes.update(edits.changes)
    expected.update(edits.expected)
    if changes or edits.requester_email:
        try:
            with transaction.atomic():
                ticket_edits.resolve_requester(request.user, edits, changes, expected)
                if changes:
                    update_ticket(
                        ticket=ticket,
                        actor=request.user,  # type: ignore[arg-type]
                        expected=expected,
                        **changes,
                    )
        except Conflict as exc:
            return _properties_conflict(request, ticket.pk, data, exc)
        except SwitchboardError as exc:
            return _ticket_response(
                request,
                ticket.pk,
                status=exc.status_code,
                error=exc.message,
                error_form="properties",
            )
        messages.success(request, "Ticket updated.")
    return redirect("web-ticket", ticket_id=ticket.pk)


def _merge_error(
    request: HttpRequest, ticket: Ticket, exc: SwitchboardError, target: Any
) -> HttpResponse:
    message = exc.message
    if exc.status_code == 404:
        message = f"target: ticket #{target} was not found."
    return _ticket_response(
        request,
        ticket.pk,
        status=422 if exc.status_code == 404 else exc.status_code,
        error=message,
        error_form="merge",
    )


@require_http_methods(["GET", "POST"])
@agent_page
def ticket_merge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Merge this ticket into another: GET (or a POST without `confirm`) shows what will happen
    and asks; the confirmed POST merges. The choices the agent may make are those plan_merge
    allows; merge_tickets checks them again."""
    ticket = ticket_for_user(request.user, ticket_id)
    form = MergeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return _ticket_response(
            request, ticket.pk, status=422, error=first_error(form), error_form="merge"
        )
    data = form.cleaned_data
    try:
        target = ticket_for_user(request.user, data["target"])
        plan = plan_merge(sources=[ticket], target=target)
    except SwitchboardError as exc:
        return _merge_error(request, ticket, exc, data["target"])
    carried_public = plan.public_by_default if data["public"] is None else data["public"]
    if request.method == "POST" and data["confirm"]:
        try:
            merge_tickets(
                actor=request.user,  # type: ignore[arg-type]
                sources=[ticket],
                target=target,
                source_comment_public=carried_public,
                target_comment_public=carried_public,
            )
        except ValidationFailed as exc:
            return render(
                request,
                "web/merge_confirm.html",
                {"plan": plan, "ticket": ticket, "public": False, "error": exc.message},
                status=422,
            )
        except SwitchboardError as exc:
            return _merge_error(request, ticket, exc, data["target"])
        messages.success(request, f"Ticket #{ticket.pk} was merged into #{target.pk}.")
        return redirect("web-ticket", ticket_id=target.pk)
    return render(
        request,
        "web/merge_confirm.html",
        {"plan": plan, "ticket": ticket, "public": carried_public and plan.public_allowed},
    )


@require_POST
@agent_page
def ticket_follow_up(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_for_user(request.user, ticket_id)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _ticket_response(
            request, ticket.pk, status=422, error=first_error(form), error_form="follow_up"
        )
    try:
        follow_up = create_follow_up(
            source=ticket,
            actor=request.user,
            body=form.cleaned_data["body"],  # type: ignore[arg-type]
        )
    except SwitchboardError as exc:
        return _ticket_response(
            request, ticket.pk, status=exc.status_code, error=exc.message, error_form="follow_up"
        )
    messages.success(request, f"Follow-up #{follow_up.pk} created.")
    return redirect("web-ticket", ticket_id=follow_up.pk)


@require_POST
@agent_page
def ticket_redact(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Replace the secrets the scanner found in one comment or attachment."""
    ticket = ticket_for_user(request.user, ticket_id)
    if request.POST.get("comment"):
        comment = queries.comment_on(ticket, request.POST["comment"])
        redact_comment(actor=request.user, comment=comment)  # type: ignore[arg-type]
    elif request.POST.get("attachment"):
        attachment = queries.attachment_on(ticket, request.POST["attachment"])
        redact_attachment(actor=request.user, attachment=attachment)  # type: ignore[arg-type]
    else:
        raise ValidationFailed("Name the comment or attachment to redact.", field="comment")
    messages.success(request, "Secrets redacted.")
    return redirect("web-ticket", ticket_id=ticket.pk)


@require_GET
@agent_page
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = queries.attachment_for_user(request.user, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- search ------------------------------------------------------------------------------------

SEARCH_PER_PAGE = 50


@require_GET
@agent_page
def search(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    context: dict[str, Any] = {"q": query, "groups": [], "counts": {}, "error": ""}
    if not query:
        return render(request, "web/search.html", context)
    if len(query) > 2000:
        raise ValidationFailed("q: at most 2,000 characters.", field="q")
    # ?page=abc or 0 is the first page; past the reachable results, an empty page.
    page = page_number(request.GET.get("page"))
    try:
        results = run_search(request.user, query)
        reachable = (page - 1) * SEARCH_PER_PAGE < MAX_RESULTS
        rows = results.page(page, SEARCH_PER_PAGE) if reachable else []
    except QuerySyntaxError as exc:
        context["error"] = f"The query could not be read: {exc}"
        return render(request, "web/search.html", context, status=400)
    if results.query.ticket_id is not None and rows:  # `201` or `#201`: open it
        return redirect("web-ticket", ticket_id=rows[0].object.pk)
    counts = results.counts()
    now = timezone.now()
    tickets = [r.object for r in rows if r.result_type == "ticket"]
    if tickets:  # badges need the breach annotation: one more query for the page's tickets
        by_id = queries.with_sla(Ticket.objects.filter(pk__in=[t.pk for t in tickets])).in_bulk()
        for ticket in tickets:
            ticket.unanswered_breach_at = by_id[ticket.pk].unanswered_breach_at  # type: ignore[attr-defined]
        queries.decorate(tickets, now)
    labels = {"ticket": "Tickets", "user": "People", "organization": "Organizations"}
    groups = [
        {
            "type": kind,
            "label": labels[kind],
            "count": counts.get(kind, 0),
            "rows": [r.object for r in rows if r.result_type == kind],
        }
        for kind in ("ticket", "user", "organization")
        if kind in counts
    ]
    total = min(results.count, MAX_RESULTS)
    context.update(
        groups=groups,
        counts=counts,
        page=page,
        has_next=page * SEARCH_PER_PAGE < total,
        has_previous=page > 1,
        previous_page=min(page - 1, max(1, -(-total // SEARCH_PER_PAGE))),
        total=results.count,
    )
    return render(request, "web/search.html", context)


# --- the manager dashboard ---------------------------------------------------------------------


@require_GET
@agent_page
def dashboard_page(request: HttpRequest) -> HttpResponse:
    data = dashboard.dashboard_data()
    labels = [day.strftime("%b %d") for day in data.days]
    created_solved = charts.grouped_bar_chart(
        labels,
        [
            charts.Series("Created", data.created, "series-created"),
            charts.Series("Solved", data.solved, "series-solved"),
        ],
        title="Tickets created and solved per day, last 30 days",
        width=1280,
    )
    by_level = charts.percent_bar_chart(
        [charts.PercentRow(a.label, a.met, a.breached) for a in data.by_support_level],
        title="SLA achievement per support level",
    )
    by_region = charts.percent_bar_chart(
        [charts.PercentRow(a.label, a.met, a.breached) for a in data.by_region],
        title="SLA achievement per region",
    )
    backlog = charts.bar_chart(
        [label for label, _ in data.backlog],
        [n for _, n in data.backlog],
        title="Unsolved tickets by age",
    )
    return render(
        request,
        "web/dashboard.html",
        {
            "data": data,
            "created_solved": created_solved,
            "by_level": by_level,
            "by_region": by_region,
            "backlog": backlog,
            "totals": {"created": sum(data.created), "solved": sum(data.solved)},
            "rows": list(zip(data.days, data.created, data.solved, strict=True)),
        },
    )
