"""Satisfaction ratings and reasons (Zendesk's legacy CSAT API, the one zenpy uses).

- `GET /satisfaction_ratings` with `score` (offered, unoffered, received, received_with_comment,
  received_without_comment, good, good_with_comment, good_without_comment, bad, bad_with_comment,
  bad_without_comment), `start_time`/`end_time` (Unix seconds, on `updated_at`), offset or cursor
  pagination; `GET /satisfaction_ratings/{id}`; `GET /satisfaction_ratings/count`: support
  managers see every rating, an organization's CSM/TAM that organization's, others get 403.
- `POST /tickets/{id}/satisfaction_rating`: the requester only (good or bad, comment, reason).
- `GET /satisfaction_reasons`, `GET /satisfaction_reasons/{id}`: the handbook's reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from switchboard.api.zendesk.base import actor, json_response, route
from switchboard.api.zendesk.pagination import paginate
from switchboard.api.zendesk.render import iso
from switchboard.api.zendesk.schemas import ERRORS, Loose
from switchboard.core.errors import NotFound
from switchboard.csat import actions as csat_actions
from switchboard.csat import queries as csat_queries
from switchboard.csat.models import Reason, SatisfactionRating, Source
from switchboard.tickets import queries as ticket_queries

router = Router(tags=["satisfaction ratings"])

_REASON_EPOCH = datetime(2019, 7, 9, tzinfo=UTC)  # when the handbook started asking for reasons


def rating_json(request: HttpRequest, r: SatisfactionRating) -> dict[str, Any]:
    base = request.build_absolute_uri("/api/v2/")
    return {
        "id": r.pk,
        "url": f"{base}satisfaction_ratings/{r.pk}.json",
        "assignee_id": r.assignee_id,
        "group_id": r.group_id,
        "requester_id": r.requester_id,
        "ticket_id": r.ticket_id,
        "organization_id": r.organization_id,
        "score": r.score,
        "comment": r.comment or None,
        "reason": Reason(r.reason_code).label if r.reason_code else None,
        "reason_code": r.reason_code,
        "reason_id": r.reason_code or None,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        # Switchboard: survey after a solve, mid-ticket feedback, or logged by a CSM/TAM.
        "kind": r.kind,
        "solve_cycle": r.solve_cycle,
    }


def _render(request: HttpRequest):  # type: ignore[no-untyped-def]
    return lambda rows: [rating_json(request, r) for r in rows]


_EPOCH_MAX = 32503680000  # year 3000


class RatingParams(Schema):
    score: str | None = Field(None, max_length=40)
    start_time: int | None = Field(None, ge=0, le=_EPOCH_MAX)
    end_time: int | None = Field(None, ge=0, le=_EPOCH_MAX)


def _filtered(request: HttpRequest, params: RatingParams):  # type: ignore[no-untyped-def]
    def when(value: int | None) -> datetime | None:
        return datetime.fromtimestamp(value, tz=UTC) if value is not None else None

    return csat_queries.ratings_for_api(
        actor(request),
        score=params.score,
        start_time=when(params.start_time),
        end_time=when(params.end_time),
    )


@route(router, ["GET"], "/satisfaction_ratings", response={200: Loose, **ERRORS})
def list_ratings(request: HttpRequest, params: Query[RatingParams]) -> HttpResponse:
    """Ratings, oldest first; offset (`page`, `per_page`) or cursor (`page[size]`) pages."""
    qs = _filtered(request, params)
    return json_response(paginate(request, qs, "satisfaction_ratings", _render(request)))


@route(router, ["GET"], "/satisfaction_ratings/count", response={200: Loose, **ERRORS})
def count_ratings(request: HttpRequest, params: Query[RatingParams]) -> HttpResponse:
    count = _filtered(request, params).count()
    return json_response({"count": {"value": count, "refreshed_at": iso(timezone.now())}})


@route(router, ["GET"], "/satisfaction_ratings/{int:rating_id}", response={200: Loose, **ERRORS})
def show_rating(request: HttpRequest, rating_id: int) -> HttpResponse:
    rating = csat_queries.rating_for_api(actor(request), rating_id)
    return json_response({"satisfaction_rating": rating_json(request, rating)})


class RatingIn(Schema):
    score: str = Field(max_length=20)
    comment: str | None = Field(None, max_length=5000)
    reason_code: int | None = None
    reason_id: int | None = None


class RatingEnvelope(Schema):
    satisfaction_rating: RatingIn


@route(
    router,
    ["POST"],
    "/tickets/{int:ticket_id}/satisfaction_rating",
    response={200: Loose, **ERRORS},
)
def rate_ticket(request: HttpRequest, ticket_id: int, payload: RatingEnvelope) -> HttpResponse:
    """The requester rates their ticket (good or bad); agents cannot rate."""
    who = actor(request)
    ticket = ticket_queries.ticket_for_user(who, ticket_id)
    data = payload.satisfaction_rating
    reason = data.reason_code if data.reason_code is not None else data.reason_id
    rating = csat_actions.rate_as_requester(
        ticket=ticket,
        user=who,
        score=data.score,
        reason=reason,
        comment=data.comment or "",
        source=Source.API,
    )
    return json_response({"satisfaction_rating": rating_json(request, rating)})


def reason_json(request: HttpRequest, reason: Reason) -> dict[str, Any]:
    base = request.build_absolute_uri("/api/v2/")
    return {
        "id": reason.value,
        "url": f"{base}satisfaction_reasons/{reason.value}.json",
        "reason_code": reason.value,
        "value": reason.label,
        "raw_value": reason.label,
        "deleted": False,
        "created_at": iso(_REASON_EPOCH),
        "updated_at": iso(_REASON_EPOCH),
    }


@route(router, ["GET"], "/satisfaction_reasons", response={200: Loose, **ERRORS})
def list_reasons(request: HttpRequest) -> HttpResponse:
    reasons = [reason_json(request, r) for r in Reason]
    return json_response(
        {"reasons": reasons, "next_page": None, "previous_page": None, "count": len(reasons)}
    )


@route(router, ["GET"], "/satisfaction_reasons/{int:reason_id}", response={200: Loose, **ERRORS})
def show_reason(request: HttpRequest, reason_id: int) -> HttpResponse:
    try:
        reason = Reason(reason_id)
    except ValueError:
        raise NotFound() from None
    return json_response({"reason": reason_json(request, reason)})
