"""Demo CSAT data for `manage.py seed_demo`: surveys offered on a few of the demo's solved
tickets, some answered (good, bad with the handbook's reasons), and the bad ones' review tasks
assigned to the SSAT reviewing manager of the time. Nobody is emailed."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from switchboard.csat import summary
from switchboard.csat.actions import reviewer_at
from switchboard.csat.models import (
    Kind,
    Reason,
    ReviewTask,
    SatisfactionRating,
    Score,
    Source,
)
from switchboard.csat.settings import review_due, survey_delay
from switchboard.tickets.models import Ticket, TicketStatus, TicketTag

ANSWERS = [
    (Score.GOOD, Reason.NONE, "Quick and clear answer, thank you!"),
    (Score.GOOD, Reason.NONE, ""),
    (Score.GOOD, Reason.NONE, "The upgrade steps worked first time."),
    (Score.BAD, Reason.NOT_TIMELY, "It took three days to get a first answer."),
    (Score.GOOD, Reason.NONE, ""),
    (Score.BAD, Reason.NOT_MEETING_NEEDS, "We need LDAP group sync on this tier."),
    (Score.GOOD, Reason.NONE, "Great support engineer."),
    (Score.BAD, Reason.NOT_RESOLVED, ""),
    (None, Reason.NONE, ""),  # offered, not answered
    (None, Reason.NONE, ""),
]


@transaction.atomic
def seed() -> bool:
    if SatisfactionRating.objects.exists():
        return False
    rng = random.Random(14)
    now = timezone.now()
    solved = list(
        Ticket.objects.filter(
            status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED],
            solved_at__isnull=False,
            merged_into__isnull=True,
        )
        .exclude(channel="mailing_list")
        .select_related("organization", "requester")
        .order_by("solved_at")
    )
    made = 0
    for ticket, (score, reason, comment) in zip(solved, ANSWERS, strict=False):
        offered_at = ticket.solved_at + survey_delay()
        if offered_at > now or (ticket.organization and ticket.organization.is_internal):
            continue
        rated_at = offered_at + timedelta(hours=rng.randrange(1, 30)) if score else None
        if rated_at is not None and rated_at > now:
            rated_at = now
        org = ticket.organization
        rating = SatisfactionRating.objects.create(
            ticket=ticket,
            requester=ticket.requester,
            kind=Kind.SURVEY,
            solve_cycle=1,
            score=score or Score.OFFERED,
            reason_code=reason,
            comment=comment,
            source=Source.EMAIL_LINK if score else "",
            solved_at=ticket.solved_at,
            offered_at=offered_at,
            rated_at=rated_at,
            counted_at=offered_at,
            assignee_id=ticket.assignee_id,
            group_id=ticket.group_id,
            organization=org,
            support_level=org.support_level if org else "",
            region=ticket.preferred_region,
            channel=ticket.channel,
            sla_breached=False,
            created_at=ticket.solved_at,
            updated_at=rated_at or offered_at,
        )
        summary.changed(None, summary.snapshot(rating))
        TicketTag.objects.get_or_create(ticket=ticket, name="csat_survey_sent")
        if score == Score.BAD and rated_at is not None:
            reviewer, schedule_name = reviewer_at(rated_at)
            ReviewTask.objects.create(
                rating=rating,
                ticket=ticket,
                assignee=reviewer,
                schedule_name=schedule_name,
                due_at=rated_at + review_due(),
                created_at=rated_at,
            )
        made += 1
    return made > 0
