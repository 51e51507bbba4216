"""The NinjaAPI instance, its error answers (Zendesk's shapes) and the route helper that serves
every path with and without `.json`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from switchboard.accounts.models import User
from switchboard.api.zendesk.auth import AUTH
from switchboard.api.zendesk.middleware import unauthorized
from switchboard.api.zendesk.pagination import BadPagination
from switchboard.api.zendesk.parser import StrictJSONParser, UnacceptableValue
from switchboard.api.zendesk.render import ZENDESK_FIELD
from switchboard.core.errors import (
    NotFound,
    PermissionDenied,
    SwitchboardError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Switchboard API (Zendesk API v2 compatible)",
    version="2",
    description="A Zendesk Support API v2 compatible surface. See docs/api.md for what differs.",
    auth=AUTH,
    urls_namespace="zendesk",
    docs_url=None,
    openapi_url="/openapi.json",
    parser=StrictJSONParser(),
)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def route(router: Router, methods: list[str], path: str, **kwargs: Any) -> Callable[..., Any]:
    """Register `path` and `path.json` for the same view; only the first is in the schema."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        router.api_operation(methods, path, **kwargs)(view)
        router.api_operation(
            methods,
            path + ".json",
            include_in_schema=False,
            operation_id=f"{view.__name__}_json",
            **{k: v for k, v in kwargs.items() if k != "operation_id"},
        )(view)
        return view

    return decorate


# --- error answers -----------------------------------------------------------------------------


def record_invalid(details: dict[str, list[dict[str, str]]]) -> HttpResponse:
    return json_response(
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": details,
        },
        status=422,
    )


def not_found() -> HttpResponse:
    return json_response({"error": "RecordNotFound", "description": "Not found"}, status=404)


def forbidden(message: str) -> HttpResponse:
    return json_response({"error": {"title": "Forbidden", "message": message}}, status=403)


def _field_name(field: str | None) -> str:
    if not field:
        return "base"
    head, _, rest = field.partition(".")
    head = ZENDESK_FIELD.get(head, head)
    return f"{head}.{rest}" if rest else head


@api.exception_handler(SwitchboardError)
def _switchboard_error(request: HttpRequest, exc: SwitchboardError) -> HttpResponse:
    if isinstance(exc, NotFound):
        return not_found()
    if isinstance(exc, PermissionDenied):
        return forbidden(exc.message)
    if isinstance(exc, ValidationFailed):
        code = "InvalidValue" if exc.code == "invalid" else exc.code
        return record_invalid(
            {_field_name(exc.field): [{"description": exc.message, "error": code}]}
        )
    if isinstance(exc, BadPagination):
        return json_response({"error": exc.code, "description": exc.message}, status=400)
    return json_response({"error": exc.code, "description": exc.message}, status=exc.status_code)


_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_ENVELOPES = {"ticket", "user", "organization", "payload", "params"}


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details: dict[str, list[dict[str, str]]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        while loc and (loc[0] in _SOURCES or loc[0] in _ENVELOPES):
            loc.pop(0)
        field = ".".join(loc) or "base"
        code = "BlankValue" if error.get("type") == "missing" else "InvalidValue"
        details.setdefault(field, []).append(
            {"description": f"{field}: {error.get('msg', 'invalid')}", "error": code}
        )
    return record_invalid(details)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return unauthorized()


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, UnacceptableValue):
        return json_response({"error": "InvalidValue", "description": str(cause)}, status=400)
    if exc.status_code == 400 and isinstance(cause, ValueError):
        # ninja raises this when the body does not parse: say where it broke.
        return json_response(
            {
                "error": "InvalidJSON",
                "description": f"The request body is not valid JSON: {cause}",
            },
            status=400,
        )
    return json_response({"error": "HttpError", "description": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found()


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return json_response(
        {"error": "InternalError", "description": "Something went wrong; it has been logged."},
        status=500,
    )
