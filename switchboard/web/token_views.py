"""Self-service API tokens: an agent creates a named token (shown once), sees their tokens with
when each was last used, and revokes them — no command line, no admin. Tokens are stored hashed
(accounts.actions); creating and revoking are audited there."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from switchboard.accounts import actions
from switchboard.accounts.access import is_agent
from switchboard.accounts.models import ApiToken
from switchboard.core.errors import NotFound, SwitchboardError
from switchboard.web.auth import render_error


def agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous → sign in; end-users → 404 (the page does not exist for them)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            return render_error(request, NotFound("No such page."))
        return view(request, *args, **kwargs)

    return wrapper


def _page(
    request: HttpRequest, *, new_token: str = "", error: str = "", name: str = "", status: int = 200
) -> HttpResponse:
    tokens = list(ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at"))
    return render(
        request,
        "web/api_tokens.html",
        {"tokens": tokens, "new_token": new_token, "error": error, "name": name},
        status=status,
    )


@agents_only
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "")
    try:
        with transaction.atomic():
            token, _record = actions.create_own_api_token(actor=request.user, name=name)
    except SwitchboardError as exc:
        return _page(request, error=exc.message, name=name, status=exc.status_code)
    # The token itself is in this one answer only; the list shows its prefix from now on.
    response = _page(request, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@agents_only
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:  # someone else's token is not there to revoke
        return render_error(request, NotFound("No such token."))
    actions.revoke_api_token(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name or token.prefix}” revoked.")
    return redirect("web-api-tokens")
