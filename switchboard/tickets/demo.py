"""A live demo desk for `manage.py seed_demo`: ~200 tickets in every state, with conversations,
tags and SLA clocks (some breached, some about to be), created through the real actions."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import Role, User
from switchboard.core.sweeps import run_all_sweeps
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.merge import merge_tickets
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket, TicketField

SUBJECTS = [
    "Runners stuck in pending after upgrade to 16.2",
    "SAML login loops back to the sign-in page",
    "Geo secondary replication lag keeps growing",
    "Backup rake task fails with 'No space left on device'",
    "API returns 502 on large merge request diffs",
    "How do I rotate the database encryption key?",
    "Container registry cleanup policy not deleting tags",
    "Elasticsearch indexing stopped after migration",
    "Users can't push over SSH since this morning",
    "License seat count looks wrong in admin area",
    "Upgrade path from 15.4 to 16.5 — which stops?",
    "Webhooks to our CI server time out",
    "Pages deployment shows 404 for custom domain",
    "Sidekiq memory keeps climbing until OOM",
    "LDAP group sync removes admins",
    "Slow project search on large instance",
    "Request for a call about HA architecture",
    "Import from GitHub stuck at 'scheduled'",
    "Two-factor recovery for locked-out owner",
    "Praefect reports unhealthy Gitaly nodes",
]
BODIES = [
    "Since {when} we see this on production. Business impact: {impact}. Steps: {steps}.",
    "Hello team, after our maintenance window {when}, {impact}. We already tried {steps}.",
    "Urgent for us: {impact}. It started {when}. Logs attached.",
]
WHEN = [
    "yesterday's upgrade",
    "Monday 09:00 UTC",
    "the last reboot",
    "two weeks ago, intermittently",
]
IMPACT = [
    "all 300 developers are blocked",
    "releases are delayed",
    "one team is affected",
    "nightly backups are not being taken",
]
STEPS = ["restarting the service", "clearing the cache", "rolling back one node", "nothing yet"]
AGENT_REPLIES = [
    "Thanks for the details. Could you send the health check output and the last 500 log lines?",
    "I reproduced this on 16.2. A fix is merged for 16.3; meanwhile, set the workaround flag.",
    "We're looking into this with the Gitaly team and will update you within the day.",
    "This is expected behaviour after the migration; here's the doc section that explains it.",
]
CUSTOMER_REPLIES = [
    "Logs attached. The issue happened again at 14:05 UTC.",
    "Thanks, the workaround helped. Please keep the ticket open until the fix ships.",
    "Any update? This is still blocking us.",
]
TAGS = ["upgrade", "geo", "runner", "ha", "saml", "api", "backup", "registry", "performance"]


@transaction.atomic
def seed() -> bool:
    """Create the demo tickets once (skipped when any ticket exists)."""
    if Ticket.objects.exists():
        return False
    rng = random.Random(16_2)
    now = timezone.now().replace(second=0, microsecond=0)
    agents = list(User.objects.filter(role=Role.AGENT).order_by("pk"))
    customers = list(
        User.objects.filter(role=Role.END_USER, organization__is_internal=False)
        .exclude(organization=None)
        .select_related("organization")
        .order_by("pk")
    )
    unverified = list(User.objects.filter(role=Role.END_USER, organization=None).order_by("pk"))
    if not agents or not customers:
        return False
    # The agents' normalised copies of what the portal form already asks in its own questions
    # ("Version", "Install type"): not offered again under the form's "More details".
    TicketField.objects.get_or_create(
        key="gitlab_version",
        defaults={
            "title": "Version",
            "field_type": "text",
            "position": 1,
            "visible_in_portal": False,
        },
    )
    TicketField.objects.get_or_create(
        key="install_type",
        defaults={
            "title": "Install type",
            "field_type": "tagger",
            "position": 2,
            "visible_in_portal": False,
            "options": [
                {"name": "Omnibus", "value": "omnibus"},
                {"name": "Helm chart", "value": "helm"},
                {"name": "Source", "value": "source"},
            ],
        },
    )
    made: list[Ticket] = []
    for i in range(200):
        requester = (
            unverified[i % len(unverified)]
            if i % 25 == 0 and unverified
            else customers[i % len(customers)]
        )
        # Spread creation over the last 12 days, denser recently; a few minutes ago for the newest.
        age = (
            timedelta(minutes=int(rng.expovariate(1 / (60 * 24 * 2))))
            if i % 7
            else timedelta(minutes=rng.randrange(5, 240))
        )
        age = min(age, timedelta(days=12))
        created = now - age
        priority = rng.choices(["low", "normal", "high", "urgent"], weights=[2, 6, 3, 1])[0]
        body = rng.choice(BODIES).format(
            when=rng.choice(WHEN), impact=rng.choice(IMPACT), steps=rng.choice(STEPS)
        )
        ticket = create_ticket(
            # Opened as the system: the demo gives tickets their type and tags at once, as
            # triggers and agents would; an end-user cannot set them (tickets.actions).
            actor=SYSTEM,
            requester=requester,
            subject=rng.choice(SUBJECTS),
            description=body,
            priority=priority,
            ticket_type=rng.choice(["question", "incident", "problem", ""]),
            tags=rng.sample(TAGS, k=rng.randrange(0, 3)),
            channel="mailing_list" if i % 67 == 0 else rng.choice(["web", "web", "email", "api"]),
            created_at=created,
            version=rng.choice(["16.2.1", "16.3.0", "15.11.8"]),
            install_type=rng.choice(["Omnibus", "Helm chart", "Source"]),
        )
        made.append(ticket)
        if ticket.status == "closed":
            continue
        fate = rng.random()
        if fate < 0.25:
            continue  # new, awaiting first reply (some of these breach or are about to)
        agent = rng.choice(agents)
        step = created + timedelta(minutes=rng.randrange(20, 600))
        if step >= now:
            continue
        update_ticket(ticket=ticket, actor=agent, assignee=agent, at=step)
        status = rng.choices(["open", "pending", "hold", "solved"], weights=[4, 3, 1, 3])[0]
        add_comment(
            ticket=ticket, author=agent, body=rng.choice(AGENT_REPLIES), status=status, at=step
        )
        if status in ("pending", "solved") and rng.random() < 0.4:
            reply_at = step + timedelta(minutes=rng.randrange(30, 1200))
            if reply_at < now:
                add_comment(
                    ticket=ticket, author=requester, body=rng.choice(CUSTOMER_REPLIES), at=reply_at
                )
        if rng.random() < 0.15:
            note_at = step + timedelta(minutes=5)
            if note_at < now:
                add_comment(
                    ticket=ticket,
                    author=agent,
                    body="Internal: checked with the development team, see the linked issue.",
                    public=False,
                    at=note_at,
                )
    # A few merges and a follow-up, so those paths show too.
    open_ones = [t for t in made if Ticket.objects.get(pk=t.pk).status in ("new", "open")]
    for source, target in zip(open_ones[:3], open_ones[3:6], strict=False):
        if (
            source.requester_id == target.requester_id
            or source.organization_id == target.organization_id
        ):
            merge_tickets(actor=agents[0], sources=[source], target=target)
    # Fresh urgent tickets from priority-support customers: their 30-minute first-reply clocks
    # are about to breach, so the "breaching within 2 h" view has something to show.
    priority_customers = [c for c in customers if c.organization.support_level == "priority"]
    for minutes_ago, requester in zip((25, 15, 5), priority_customers, strict=False):
        create_ticket(
            actor=SYSTEM,  # with type and tags, as above
            requester=requester,
            subject="Production down: all pipelines failing",
            description="Every pipeline fails with 'connection refused' to the runner manager. "
            "Business impact: no deployments possible.",
            priority="urgent",
            ticket_type="incident",
            tags=["outage"],
            created_at=now - timedelta(minutes=minutes_ago),
        )
    # Settle what the worker would do on its first sweep: mark breaches, close old solved ones.
    run_all_sweeps(timezone.now())
    return True
