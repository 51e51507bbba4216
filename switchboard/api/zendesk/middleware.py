"""Cross-cutting rules for /api/v2/: credentials, rate limits and their headers, body size,
and JSON answers for unknown endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from switchboard.api import ratelimit
from switchboard.api.zendesk.auth import BadCredentials, user_for_authorization
from switchboard.core.client_ip import client_ip

PREFIX = "/api/v2/"


def json_error(status: int, body: dict, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def unauthorized() -> HttpResponse:
    return json_error(
        401,
        {"error": "Couldn't authenticate you"},
        WWW_Authenticate='Basic realm="Switchboard API"',
    )


class ZendeskApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        request.api_user = None  # type: ignore[attr-defined]
        header = request.META.get("HTTP_AUTHORIZATION", "")
        bad_credentials = False
        if header:
            try:
                request.api_user = user_for_authorization(header, request)  # type: ignore[attr-defined]
            except BadCredentials:
                bad_credentials = True
        user = request.api_user  # type: ignore[attr-defined]
        key = f"user:{user.pk}" if user is not None else f"ip:{client_ip(request)}"
        allowance = ratelimit.hit(key)
        if not allowance.allowed:
            response = json_error(
                429,
                {
                    "error": "TooManyRequests",
                    "description": f"Rate limit of {allowance.limit} requests per minute "
                    f"exceeded; retry after {allowance.retry_after} seconds.",
                },
                Retry_After=str(allowance.retry_after),
            )
        elif bad_credentials and getattr(request, "axes_locked_out", False):
            response = json_error(
                429,
                {
                    "error": "TooManyFailedSignIns",
                    "description": "Too many failed sign-ins for this account or from this "
                    "address; password sign-in is paused. API tokens are not affected.",
                },
            )
        elif bad_credentials:
            response = unauthorized()
        elif _too_large(request):
            response = json_error(
                413,
                {
                    "error": "RequestTooLarge",
                    "description": "The request body is larger than "
                    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                },
            )
        else:
            response = self.get_response(request)
            if response.status_code == 404 and not response.get("Content-Type", "").startswith(
                "application/json"
            ):
                response = json_error(404, {"error": "InvalidEndpoint", "description": "Not found"})
        if allowance.limit:
            response["X-Rate-Limit"] = str(allowance.limit)
            response["X-Rate-Limit-Remaining"] = str(allowance.remaining)
        return response


def _too_large(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return limit is not None and length > limit
