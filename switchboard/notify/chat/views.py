"""The chat endpoints: the slash command (signature verified, answered as the linked user) and
the page that links a chat account to the signed-in agent."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from switchboard.core.errors import ValidationFailed
from switchboard.notify.chat import actions as actions_chat
from switchboard.notify.chat import auth as chat_auth
from switchboard.notify.chat import bot

MAX_BODY_BYTES = 64 * 1024


@csrf_exempt
def chat_command(request: HttpRequest) -> HttpResponse:
    secret = getattr(settings, "SWITCHBOARD_CHAT_SIGNING_SECRET", "")
    if not secret:
        raise Http404()
    if request.method != "POST":
        response = HttpResponse("Method not allowed.\n", status=405, content_type="text/plain")
        response["Allow"] = "POST"
        return response
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("Request body too large.\n", status=413, content_type="text/plain")
    reason = chat_auth.verify(
        secret,
        request.headers.get("X-Slack-Request-Timestamp"),
        request.headers.get("X-Slack-Signature"),
        body,
        time.time(),
    )
    if reason is not None:
        return HttpResponse(f"Unauthorized: {reason}.\n", status=401, content_type="text/plain")
    # Only the signed body is read: the form fields (who asks, what) come from it alone.
    try:
        fields = {
            k: v[0]
            for k, v in parse_qs(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=100
            ).items()
        }
    except UnicodeDecodeError:
        return HttpResponse("The body is not UTF-8.\n", status=400, content_type="text/plain")
    chat_user = actions_chat.chat_user_from(fields)
    return JsonResponse(
        bot.answer(fields.get("text", ""), chat_user, command_name=fields.get("command", ""))
    )


@login_required
@require_http_methods(["GET", "POST"])
def chat_link(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm, then link the chat user named by `token` to the signed-in agent."""
    try:
        chat_user = actions_chat.read_link_token(token)
    except ValidationFailed as exc:
        return render(
            request, "notify/chat_link.html", {"error": exc.message, "state": "error"}, status=400
        )
    user = request.user
    if not (user.is_active and getattr(user, "is_agent", False)):
        return render(
            request,
            "notify/chat_link.html",
            {
                "error": "Only agents and admins can link a chat account to the support bot.",
                "state": "error",
            },
            status=403,
        )
    context = {"chat_user": chat_user, "state": "confirm"}
    if request.method == "POST":
        actions_chat.link_chat_user(user=user, chat_user=chat_user)  # type: ignore[arg-type]
        context["state"] = "linked"
    return render(request, "notify/chat_link.html", context)
