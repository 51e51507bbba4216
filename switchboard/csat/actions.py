"""CSAT writes: schedule and offer the survey, record ratings, route bad ones, log feedback.

Every function is one transaction; the survey email, the reviewer's email, the product team's
message and the `satisfaction_rating.created` webhooks go through the notify outbox in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import User
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.core.tokens import hash_token, new_token
from switchboard.csat import export, summary
from switchboard.csat import settings as csat_settings
from switchboard.csat.models import (
    RATED,
    Exclusion,
    Kind,
    Reason,
    ReasonAudience,
    ReviewTask,
    SatisfactionRating,
    Score,
    Source,
    TaskStatus,
)
from switchboard.tickets.models import Channel, Ticket, TicketStatus
from switchboard.tickets.vocab import TAG_CLOSE_BY_MERGE

TAG_SURVEY_SENT = "csat_survey_sent"
WEBHOOK_EVENT = "satisfaction_rating.created"
MAX_COMMENT = 5000


# --- the offer ---------------------------------------------------------------------------------


def schedule_survey(*, ticket: Ticket, now: datetime) -> SatisfactionRating:
    """The ticket was just solved: a new solve cycle, its survey due `survey_delay()` later."""
    last = (
        SatisfactionRating.objects.filter(ticket=ticket, kind=Kind.SURVEY)
        .aggregate(m=Max("solve_cycle"))
        .get("m")
    ) or 0
    solved_at = ticket.solved_at or now
    return SatisfactionRating.objects.create(
        ticket=ticket,
        requester_id=ticket.requester_id,
        kind=Kind.SURVEY,
        solve_cycle=last + 1,
        solved_at=solved_at,
        due_at=solved_at + csat_settings.survey_delay(),
        # Known from the start so a CSM/TAM sees the organization's pending surveys; the full
        # attribution is frozen when the survey is offered.
        organization_id=ticket.organization_id,
        created_at=now,
        updated_at=now,
    )


def survey_scheduled_at(*, ticket: Ticket, at: datetime) -> bool:
    """Whether the solve event at `at` already scheduled this ticket's survey."""
    return SatisfactionRating.objects.filter(
        ticket=ticket, kind=Kind.SURVEY, created_at=at
    ).exists()


def cancel_survey(*, ticket: Ticket, now: datetime) -> int:
    """The ticket was reopened: a survey not sent yet is not sent (this solve cycle is over)."""
    return SatisfactionRating.objects.filter(
        ticket=ticket, kind=Kind.SURVEY, score=Score.UNOFFERED, due_at__isnull=False
    ).update(due_at=None, excluded_reason=Exclusion.REOPENED, updated_at=now)


def exclusion_for(ticket: Ticket, requester: User, tags: list[str]) -> str:
    """Why this ticket gets no survey (DOMAIN.md §7), or "" when it gets one."""
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return Exclusion.GONE
    if TAG_CLOSE_BY_MERGE in tags or ticket.merged_into_id is not None:
        return Exclusion.MERGED
    if ticket.channel == Channel.MAILING_LIST:
        return Exclusion.MAILING_LIST
    org = requester.organization
    if org is not None and org.is_internal:
        return Exclusion.INTERNAL_ORG
    if requester.is_agent:
        return Exclusion.AGENT_REQUESTER
    if not requester.is_active:
        return Exclusion.INACTIVE_REQUESTER
    return ""


def _sla_breached(ticket_id: int) -> bool:
    from switchboard.sla.models import TicketClock

    return TicketClock.objects.filter(ticket_id=ticket_id, breached_at__isnull=False).exists()


def offer_survey(rating: SatisfactionRating, now: datetime) -> str:
    """The sweep's handler for a due survey (the row is locked): send it, or record why not.

    Returns the outcome: "offered" or the exclusion. Idempotent: a row that is no longer due
    (sent, excluded or cancelled by a concurrent reopen) is left alone.
    """
    from switchboard.core.links import csat_survey_url, portal_ticket_url
    from switchboard.notify.outbox.queue import queue_email, render_email
    from switchboard.tickets.actions.lifecycle import add_system_tag

    if rating.due_at is None or rating.score != Score.UNOFFERED:
        return "not due"
    before = summary.snapshot(rating)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organization", "requester__organization")
        .filter(pk=rating.ticket_id)
        .first()
    )
    requester = ticket.requester if ticket is not None else None
    if ticket is None or requester is None:
        rating.due_at = None
        rating.excluded_reason = Exclusion.GONE
        rating.save(update_fields=["due_at", "excluded_reason", "updated_at"])
        return Exclusion.GONE
    reason = exclusion_for(ticket, requester, ticket.tag_names())
    # Solved again since (a reopen we missed would have cancelled): not this cycle's survey.
    if (
        not reason
        and ticket.solved_at is not None
        and rating.solved_at is not None
        and ticket.solved_at > rating.solved_at
        and ticket.status == TicketStatus.SOLVED
    ):
        reason = Exclusion.REOPENED
    rating.updated_at = now
    rating.due_at = None
    rating.counted_at = now
    if reason:
        rating.excluded_reason = reason
        rating.save(update_fields=["due_at", "excluded_reason", "counted_at", "updated_at"])
        summary.changed(before, summary.snapshot(rating))
        return reason
    token = new_token()
    org = ticket.organization
    rating.score = Score.OFFERED
    rating.offered_at = now
    rating.token_hash = hash_token(token)
    rating.assignee_id = ticket.assignee_id
    rating.group_id = ticket.group_id
    rating.organization_id = ticket.organization_id
    rating.support_level = org.support_level if org is not None else ""
    rating.region = ticket.preferred_region
    rating.channel = ticket.channel
    rating.sla_breached = _sla_breached(ticket.pk)
    rating.save()
    summary.changed(before, summary.snapshot(rating))
    context = {
        "name": requester.name or requester.email,
        "ticket": {"id": ticket.pk, "subject": ticket.subject, "url": portal_ticket_url(ticket.pk)},
        "good_url": csat_survey_url(token, "good"),
        "bad_url": csat_survey_url(token, "bad"),
        "days": int(csat_settings.change_window().total_seconds() // 86400),
    }
    text, html = render_email("csat/survey", context)
    queue_email(
        to=requester.email,
        subject=f"How would you rate the support you received? {ticket.subject}",
        text=text,
        html=html,
        event="csat.survey",
        idempotency_key=f"csat:survey:{rating.pk}",
        ticket=ticket,
        source=f"csat:{rating.pk}",
        sensitive=True,
    )
    add_system_tag(ticket_id=ticket.pk, tag=TAG_SURVEY_SENT, now=now)
    return "offered"


# --- rating ------------------------------------------------------------------------------------


def _clean(score: Any, reason: Any, comment: Any) -> tuple[str, int, str]:
    if score not in RATED:
        raise ValidationFailed("score: choose good or bad.", field="score", code="InvalidValue")
    if reason in (None, ""):
        reason = Reason.NONE
    try:
        reason = Reason(int(reason))
    except (TypeError, ValueError):
        known = ", ".join(str(r.value) for r in Reason)
        raise ValidationFailed(
            f"reason_code: {reason!r} is not one of {known}.", field="reason_code"
        ) from None
    if score == Score.GOOD:
        reason = Reason.NONE
    comment = str(comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"comment: at most {MAX_COMMENT} characters ({len(comment)} given).", field="comment"
        )
    return str(score), int(reason), comment


def _record(
    rating: SatisfactionRating,
    *,
    score: str,
    reason: int,
    comment: str,
    source: str,
    now: datetime,
) -> SatisfactionRating:
    """Write the answer, then: a bad one gets its follow-up task (once), a product-team reason
    notifies the product team, and every answer goes to the subscribed webhooks."""
    changed = (rating.score, rating.reason_code, rating.comment) != (score, reason, comment)
    if not changed:
        return rating
    before = summary.snapshot(rating)
    rating.score = score
    rating.reason_code = reason
    rating.comment = comment
    rating.source = source
    rating.rated_at = now
    rating.updated_at = now
    rating.save()
    summary.changed(before, summary.snapshot(rating))
    version = int(now.timestamp() * 1000)
    if score == Score.BAD:
        _route_bad(rating, now, version)
    elif hasattr(rating, "review_task") and rating.review_task.status == TaskStatus.OPEN:
        task = rating.review_task
        task.resolution = (task.resolution + "\n" if task.resolution else "") + (
            f"The customer changed the rating to good on {now:%Y-%m-%d %H:%M} UTC."
        )
        task.save(update_fields=["resolution"])
    _webhooks(rating, version)
    return rating


def _webhooks(rating: SatisfactionRating, version: int) -> None:
    from switchboard.notify.models import Endpoint, EndpointKind
    from switchboard.notify.outbox.queue import queue_endpoint

    payload = export.rating_record(rating)
    # Only endpoints that name the event: an endpoint with no filter is a trigger target.
    for endpoint in Endpoint.objects.filter(is_active=True, kind=EndpointKind.WEBHOOK):
        if WEBHOOK_EVENT not in (endpoint.events or []):
            continue
        queue_endpoint(
            endpoint=endpoint,
            event=WEBHOOK_EVENT,
            payload={"satisfaction_rating": payload},
            idempotency_key=f"csat:webhook:{rating.pk}:{version}:{endpoint.pk}",
            ticket=rating.ticket,
            source=f"csat:{rating.pk}",
        )


def reviewer_at(now: datetime) -> tuple[User | None, str]:
    """Who is on the SSAT reviewing schedule at `now` (oncall's who-is-on-call query)."""
    from switchboard.oncall.models import OnCallSchedule
    from switchboard.oncall.queries import on_call_at

    name = csat_settings.review_schedule_name()
    schedule = OnCallSchedule.objects.filter(name=name).first()
    if schedule is None:
        return None, ""
    return on_call_at(schedule, now), schedule.name


def _route_bad(rating: SatisfactionRating, now: datetime, version: int) -> None:
    from switchboard.core.links import agent_ticket_url, csat_task_url
    from switchboard.notify.models import Endpoint, EndpointKind
    from switchboard.notify.outbox.queue import queue_email, queue_endpoint_unfiltered, render_email

    task = ReviewTask.objects.filter(rating=rating).first()
    if task is None:
        reviewer, schedule_name = reviewer_at(now)
        task = ReviewTask.objects.create(
            rating=rating,
            ticket_id=rating.ticket_id,
            assignee=reviewer,
            schedule_name=schedule_name,
            due_at=now + csat_settings.review_due(),
            created_at=now,
        )
    elif task.status == TaskStatus.DONE:
        task.status = TaskStatus.OPEN
        task.done_at = None
        task.resolution = (task.resolution + "\n" if task.resolution else "") + (
            f"Reopened: the customer rated bad again on {now:%Y-%m-%d %H:%M} UTC."
        )
        task.save(update_fields=["status", "done_at", "resolution"])
    ticket = rating.ticket
    context = {
        "ticket": {"id": ticket.pk, "subject": ticket.subject, "url": agent_ticket_url(ticket.pk)},
        "reason": Reason(rating.reason_code).label,
        "comment": rating.comment,
        "task_url": csat_task_url(task.pk),
        "due_at": task.due_at,
    }
    if task.assignee is not None and task.assignee.is_active:
        text, html = render_email("csat/review_task", context)
        queue_email(
            to=task.assignee.email,
            subject=f"Bad rating to review: {ticket.subject}",
            text=text,
            html=html,
            event="csat.review_task",
            idempotency_key=f"csat:review:{rating.pk}:{version}",
            ticket=ticket,
            source=f"csat:{rating.pk}",
        )
    if rating.audience != ReasonAudience.PRODUCT:
        return
    text, html = render_email("csat/product_feedback", context)
    address = csat_settings.product_team_email()
    if address:
        queue_email(
            to=address,
            subject=f"Customer feedback for the product team: {ticket.subject}",
            text=text,
            html=html,
            event="csat.product_feedback",
            idempotency_key=f"csat:product:{rating.pk}:{version}",
            ticket=ticket,
            source=f"csat:{rating.pk}",
        )
    name = csat_settings.product_team_endpoint()
    endpoint = Endpoint.objects.filter(name=name).first() if name else None
    if endpoint is not None:
        message = (
            f"Bad rating on #{ticket.pk} {ticket.subject}: {context['reason']}"
            + (f" — “{rating.comment[:500]}”" if rating.comment else "")
            + f" <{context['ticket']['url']}>"
        )
        payload: dict[str, Any] = (
            {"text": message}
            if endpoint.kind == EndpointKind.CHAT
            else {"satisfaction_rating": export.rating_record(rating), "message": message}
        )
        # Not filtered by the endpoint's event list: naming it in the setting subscribes it.
        if endpoint.is_active:
            queue_endpoint_unfiltered(
                endpoint=endpoint,
                event="csat.product_feedback",
                payload=payload,
                idempotency_key=f"csat:product-endpoint:{rating.pk}:{version}",
                ticket=ticket,
                source=f"csat:{rating.pk}",
            )


def survey_for_token(token: str) -> SatisfactionRating:
    """The survey a link's token opens; NotFound when unknown. Never writes."""
    if not token or len(token) > 100:
        raise NotFound()
    rating = (
        SatisfactionRating.objects.select_related("ticket", "requester")
        .filter(token_hash=hash_token(token), kind=Kind.SURVEY)
        .first()
    )
    if rating is None:
        raise NotFound()
    return rating


def link_open(rating: SatisfactionRating, now: datetime) -> bool:
    return rating.offered_at is not None and now <= rating.offered_at + (
        csat_settings.change_window()
    )


@transaction.atomic
def rate_with_token(
    *, token: str, score: Any, reason: Any = None, comment: Any = "", now: datetime | None = None
) -> SatisfactionRating:
    """The survey page's POST: the token proves the (ticket, requester, solve cycle)."""
    now = now or timezone.now()
    found = survey_for_token(token)
    rating = SatisfactionRating.objects.select_for_update().get(pk=found.pk)
    if not link_open(rating, now):
        raise ValidationFailed(
            "This survey link has expired; you can still reply to the ticket by email.",
            field="token",
            code="Expired",
        )
    if not rating.requester.is_active or rating.requester.is_agent:
        raise PermissionDenied("Agents cannot rate tickets.")
    s, r, c = _clean(score, reason, comment)
    return _record(rating, score=s, reason=r, comment=c, source=Source.EMAIL_LINK, now=now)


@transaction.atomic
def rate_as_requester(
    *,
    ticket: Ticket,
    user: User,
    score: Any,
    reason: Any = None,
    comment: Any = "",
    source: str = Source.PORTAL,
    now: datetime | None = None,
) -> SatisfactionRating:
    """The requester rates from the portal ("how are we doing") or the API: the open survey of
    the latest solve cycle if there is one, otherwise mid-ticket feedback for the current cycle."""
    now = now or timezone.now()
    access.require(user, ticket, access.Action.VIEW)
    if user.is_agent:
        raise PermissionDenied("Agents cannot rate tickets.")
    if ticket.requester_id != user.pk:
        raise PermissionDenied("Only the requester can rate this ticket.")
    s, r, c = _clean(score, reason, comment)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=ticket.pk)
    )
    latest = (
        SatisfactionRating.objects.select_for_update()
        .filter(ticket=ticket, kind=Kind.SURVEY)
        .order_by("-solve_cycle")
        .first()
    )
    solved = ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    if latest is not None and latest.score != Score.UNOFFERED and solved:
        if not link_open(latest, now):
            raise ValidationFailed(
                "The rating period for this ticket is over.", field="score", code="Expired"
            )
        return _record(latest, score=s, reason=r, comment=c, source=source, now=now)
    cycle = (latest.solve_cycle if latest is not None else 0) + (0 if solved else 1)
    cycle = max(cycle, 1)
    feedback = (
        SatisfactionRating.objects.select_for_update()
        .filter(ticket=ticket, kind=Kind.FEEDBACK, solve_cycle=cycle)
        .first()
    )
    if feedback is None:
        feedback = SatisfactionRating.objects.create(
            ticket=ticket,
            requester=user,
            kind=Kind.FEEDBACK,
            solve_cycle=cycle,
            created_at=now,
            updated_at=now,
            counted_at=now,
            **_attribution(ticket),
        )
        summary.changed(None, summary.snapshot(feedback))
    return _record(feedback, score=s, reason=r, comment=c, source=source, now=now)


def _attribution(ticket: Ticket) -> dict[str, Any]:
    org = ticket.organization
    return {
        "assignee_id": ticket.assignee_id,
        "group_id": ticket.group_id,
        "organization_id": ticket.organization_id,
        "support_level": org.support_level if org is not None else "",
        "region": ticket.preferred_region,
        "channel": ticket.channel,
        "sla_breached": _sla_breached(ticket.pk),
    }


def may_log_feedback(user: User, ticket: Ticket) -> bool:
    """The organization's CSM/TAM, a support manager or an admin."""
    if not access.is_agent(user):
        return False
    if user.is_support_manager or user.is_staff:
        return True
    org = ticket.organization
    return org is not None and org.account_manager_id == user.pk


@transaction.atomic
def log_feedback(
    *,
    ticket: Ticket,
    logged_by: User,
    score: Any,
    reason: Any = None,
    comment: Any = "",
    now: datetime | None = None,
) -> SatisfactionRating:
    """A CSM/TAM records feedback the customer sent them by email (handbook page 002); a bad
    one reaches the same reviewer as a survey answer."""
    now = now or timezone.now()
    if not may_log_feedback(logged_by, ticket):
        raise PermissionDenied(
            "Only the organization's CSM/TAM or a support manager can log feedback."
        )
    s, r, c = _clean(score, reason, comment)
    if not c:
        raise ValidationFailed(
            "comment: paste what the customer wrote (it is the record of the feedback).",
            field="comment",
        )
    ticket = Ticket.objects.select_related("organization").get(pk=ticket.pk)
    cycle = (
        SatisfactionRating.objects.filter(ticket=ticket, kind=Kind.SURVEY).aggregate(
            m=Max("solve_cycle")
        )["m"]
        or 1
    )
    rating = SatisfactionRating.objects.create(
        ticket=ticket,
        requester_id=ticket.requester_id,
        kind=Kind.LOGGED,
        solve_cycle=cycle,
        logged_by=logged_by,
        created_at=now,
        updated_at=now,
        counted_at=now,
        **_attribution(ticket),
    )
    summary.changed(None, summary.snapshot(rating))
    return _record(rating, score=s, reason=r, comment=c, source=Source.CSM, now=now)


@transaction.atomic
def complete_task(*, task: ReviewTask, user: User, resolution: str) -> ReviewTask:
    """The reviewer records what was done; managers and the assignee may close a task."""
    if not access.is_agent(user) or not (
        task.assignee_id == user.pk or user.is_support_manager or user.is_staff
    ):
        raise PermissionDenied("Only the assigned reviewer or a support manager can close this.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed("resolution: say what was done.", field="resolution")
    if len(resolution) > MAX_COMMENT:
        raise ValidationFailed(f"resolution: at most {MAX_COMMENT} characters.", field="resolution")
    task = ReviewTask.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.DONE:
        raise ValidationFailed("This task is already done.", field="status")
    now = timezone.now()
    task.status = TaskStatus.DONE
    task.done_at = now
    task.done_by = user
    task.resolution = (task.resolution + "\n" if task.resolution else "") + resolution
    task.save(update_fields=["status", "done_at", "done_by", "resolution"])
    return task
