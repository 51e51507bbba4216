"""Customer-facing CSAT pages: the survey page the email links to, and the requester's
"how are we doing" page in the portal.

The survey page is public (the token in the URL proves the ticket, requester and solve cycle).
A GET only shows the form with the emailed choice preselected — mail scanners open every link,
so nothing is recorded until the customer presses the button (a POST, with Django's CSRF check:
the cookie is set by the GET, so another site cannot post for the customer).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from switchboard.core.errors import NotFound, SwitchboardError
from switchboard.csat import actions
from switchboard.csat.models import Reason, Score, Source
from switchboard.tickets import queries as ticket_queries
from switchboard.web.portal.views import _error

REASONS = [(r.value, r.label) for r in Reason if r != Reason.NONE]


def _choice(value: Any) -> str:
    return value if value in (Score.GOOD, Score.BAD) else ""


def _form(request: HttpRequest, *, score: str, reason: Any, comment: str) -> dict[str, Any]:
    return {
        "score": score,
        "reason": str(reason or ""),
        "comment": comment,
        "reasons": REASONS,
    }


@ensure_csrf_cookie
@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        rating = actions.survey_for_token(token)
    except NotFound:
        return render(
            request,
            "portal/error.html",
            {"title": "Survey not found", "message": "This survey link is not valid."},
            status=404,
        )
    open_ = actions.link_open(rating, timezone.now())
    context: dict[str, Any] = {
        "ticket": rating.ticket,
        "rating": rating,
        "open": open_,
        "action": request.path,
        "saved": request.GET.get("saved") == "1",
    }
    if request.method == "POST":
        post = request.POST
        try:
            actions.rate_with_token(
                token=token,
                score=post.get("score"),
                reason=post.get("reason_code"),
                comment=post.get("comment", ""),
            )
        except SwitchboardError as exc:
            context.update(
                _form(
                    request,
                    score=_choice(post.get("score")),
                    reason=post.get("reason_code"),
                    comment=post.get("comment", ""),
                )
            )
            context["error"] = exc.message
            return render(request, "portal/csat_rate.html", context, status=exc.status_code)
        return redirect(f"{request.path}?saved=1")
    # GET: show the choice from the link (or the current rating); record nothing.
    score = _choice(request.GET.get("score")) or _choice(rating.score)
    context.update(
        _form(request, score=score, reason=rating.reason_code or "", comment=rating.comment)
    )
    return render(request, "portal/csat_rate.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The requester's "how are we doing" page (linked from the ticket page and reply emails)."""
    try:
        ticket = ticket_queries.ticket_for_user(request.user, ticket_id)
        if ticket.requester_id != request.user.pk or request.user.is_agent:
            raise NotFound()
    except SwitchboardError as exc:
        return _error(request, exc)
    context: dict[str, Any] = {
        "ticket": ticket,
        "open": True,
        "action": request.path,
        "saved": request.GET.get("saved") == "1",
        "portal": True,
    }
    if request.method == "POST":
        post = request.POST
        try:
            actions.rate_as_requester(
                ticket=ticket,
                user=request.user,
                score=post.get("score"),
                reason=post.get("reason_code"),
                comment=post.get("comment", ""),
                source=Source.PORTAL,
            )
        except SwitchboardError as exc:
            context.update(
                _form(
                    request,
                    score=_choice(post.get("score")),
                    reason=post.get("reason_code"),
                    comment=post.get("comment", ""),
                )
            )
            context["error"] = exc.message
            return render(request, "portal/csat_rate.html", context, status=exc.status_code)
        return redirect(f"{request.path}?saved=1")
    context.update(_form(request, score=_choice(request.GET.get("score")), reason="", comment=""))
    return render(request, "portal/csat_rate.html", context)
