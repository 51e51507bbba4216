"""The chat slash-command endpoint: verify the signature, hand the command to the bot."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from switchboard.notify import bot, chat_auth


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
    reason = chat_auth.verify(
        secret,
        request.headers.get("X-Slack-Request-Timestamp"),
        request.headers.get("X-Slack-Signature"),
        body,
        time.time(),
    )
    if reason is not None:
        return HttpResponse(f"Unauthorized: {reason}.\n", status=401, content_type="text/plain")
    # Only the signed body is read; the form fields come from it, nothing else is trusted.
    text = request.POST.get("text", "")
    return JsonResponse(bot.answer(text))
