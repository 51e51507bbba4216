"""CSAT pages of the agent workspace: the report (/csat/) with its exports, the reviewing
manager's follow-up tasks, and the form a CSM/TAM uses to log feedback received by email."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from switchboard.core.errors import NotFound, PermissionDenied, SwitchboardError, ValidationFailed
from switchboard.csat import actions, export, kpi, queries
from switchboard.csat import settings as csat_settings
from switchboard.csat.models import Reason
from switchboard.tickets.queries import ticket_for_user
from switchboard.web.auth import agent_page

REASONS = [(r.value, r.label) for r in Reason if r != Reason.NONE]


def _org_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("organization") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(f"organization: {raw!r} is not an organization id.")
    return int(raw)


def _window(request: HttpRequest) -> queries.Window:
    return queries.Window.parse(
        request.GET.get("start"), request.GET.get("end"), today=timezone.now().date()
    )


@require_GET
@agent_page
def report(request: HttpRequest) -> HttpResponse:
    org_id = _org_param(request)
    window = _window(request)
    data = queries.report(
        request.user, window=window, organization_id=org_id, target=csat_settings.target()
    )
    query = request.GET.urlencode()
    return render(
        request,
        "web/csat_report.html",
        {
            "report": data,
            "sections": [(n, t, data.by[n]) for n, t in queries.DIMENSIONS],
            "target_pct": kpi.percent(data.target, 0),
            "target_x": round(data.target * 400),
            "start": window.start.date(),
            "end": (window.end - timedelta(days=1)).date(),
            "organization_id": org_id,
            "query": query,
            "orgs": queries.managed_org_ids(request.user),
        },
    )


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    qs = queries.export_queryset(
        request.user, window=_window(request), organization_id=_org_param(request)
    ).iterator(chunk_size=2000)
    if kind == "csv":
        response = StreamingHttpResponse(export.csv_lines(qs), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="csat.csv"'
    else:
        response = StreamingHttpResponse(export.jsonl_lines(qs), content_type="application/jsonl")
        response["Content-Disposition"] = 'attachment; filename="csat.jsonl"'
    return response


@require_GET
@agent_page
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@require_GET
@agent_page
def export_jsonl(request: HttpRequest) -> HttpResponse:
    return _export(request, "jsonl")


@require_GET
@agent_page
def tasks(request: HttpRequest) -> HttpResponse:
    done = request.GET.get("done") == "1"
    rows = list(queries.tasks_for(request.user, include_done=done))
    return render(
        request, "web/csat_tasks.html", {"tasks": rows, "done": done, "now": timezone.now()}
    )


@require_http_methods(["GET", "POST"])
@agent_page
def task(request: HttpRequest, task_id: int) -> HttpResponse:
    item = queries.task_for_user(request.user, task_id)
    if request.method == "POST":
        try:
            actions.complete_task(
                task=item, user=request.user, resolution=request.POST.get("resolution", "")
            )
        except (ValidationFailed, PermissionDenied) as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "web/csat_task.html",
                {"task": item, "resolution": request.POST.get("resolution", "")},
                status=exc.status_code,
            )
        messages.success(request, "Task done.")
        return redirect("web-csat-tasks")
    return render(request, "web/csat_task.html", {"task": item, "resolution": ""})


@require_http_methods(["GET", "POST"])
@agent_page
def log_feedback(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_for_user(request.user, ticket_id)
    if not actions.may_log_feedback(request.user, ticket):
        raise NotFound()
    context: dict[str, Any] = {"ticket": ticket, "reasons": REASONS, "score": "", "reason": ""}
    if request.method == "POST":
        post = request.POST
        try:
            actions.log_feedback(
                ticket=ticket,
                logged_by=request.user,
                score=post.get("score"),
                reason=post.get("reason_code"),
                comment=post.get("comment", ""),
            )
        except SwitchboardError as exc:
            context.update(
                score=post.get("score", ""),
                reason=post.get("reason_code", ""),
                comment=post.get("comment", ""),
                error=exc.message,
            )
            return render(request, "web/csat_log.html", context, status=exc.status_code)
        messages.success(request, "Feedback logged.")
        return redirect("web-ticket", ticket_id=ticket.pk)
    return render(request, "web/csat_log.html", context)
