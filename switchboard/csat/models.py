"""CSAT data: one rating row per ticket solve cycle (the survey, Zendesk's satisfaction rating),
mid-ticket feedback and feedback logged by a CSM/TAM, and the reviewer's follow-up tasks.

A survey row exists from the moment the ticket is solved (score `unoffered`, `due_at` set); the
sweep offers it at `due_at` (score `offered`, token hash, frozen attribution) or records why it was
not offered (`excluded_reason`). The customer's answer turns it into `good` or `bad`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Score(models.TextChoices):
    UNOFFERED = "unoffered", "Not offered"
    OFFERED = "offered", "Offered"
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


RATED = (Score.GOOD, Score.BAD)


class Kind(models.TextChoices):
    SURVEY = "survey", "Survey after solve"
    FEEDBACK = "feedback", "Mid-ticket feedback (how are we doing)"
    LOGGED = "logged", "Logged by a CSM/TAM from the customer's email"


class Source(models.TextChoices):
    EMAIL_LINK = "email_link", "Survey email link"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    CSM = "csm", "Logged by CSM/TAM"


class Reason(models.IntegerChoices):
    """The handbook's reasons for a bad rating. Zendesk's codes: 0 = none, 1000 = other; custom
    reasons are numbered above 1000."""

    NONE = 0, "No reason provided"
    OTHER = 1000, "Some other reason"
    NOT_MEETING_NEEDS = 1001, "The product doesn't meet my needs"
    NOT_TIMELY = 1002, "The answer wasn't delivered in a timely manner"
    NOT_RESOLVED = 1003, "My issue was not resolved"
    NOT_HELPFUL = 1004, "The answer wasn't helpful"


class ReasonAudience(models.TextChoices):
    PRODUCT = "product", "Product team"
    MANAGERS = "managers", "Support managers"
    NONE = "", "Nobody in particular"


REASON_AUDIENCE = {
    Reason.NOT_MEETING_NEEDS: ReasonAudience.PRODUCT,
    Reason.NOT_TIMELY: ReasonAudience.MANAGERS,
    Reason.NOT_RESOLVED: ReasonAudience.MANAGERS,
    Reason.NOT_HELPFUL: ReasonAudience.MANAGERS,
    Reason.OTHER: ReasonAudience.NONE,
    Reason.NONE: ReasonAudience.NONE,
}


class Exclusion(models.TextChoices):
    MERGED = "close_by_merge", "Closed by merge"
    MAILING_LIST = "mailing_list", "Mailing-list ticket"
    INTERNAL_ORG = "internal_org", "Requester of an internal organization"
    REOPENED = "reopened", "Reopened before the survey was sent"
    AGENT_REQUESTER = "agent_requester", "Requester is an agent"
    INACTIVE_REQUESTER = "inactive_requester", "Requester is deactivated"
    GONE = "gone", "Ticket deleted or no longer solved"


class SatisfactionRating(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="satisfaction_ratings"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="satisfaction_ratings"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SURVEY)
    # 1 for the first solve, 2 after a reopen and a second solve, ...
    solve_cycle = models.PositiveIntegerField(default=1)
    score = models.CharField(max_length=10, choices=Score.choices, default=Score.UNOFFERED)
    reason_code = models.PositiveIntegerField(choices=Reason.choices, default=Reason.NONE)
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The CSM/TAM who logged feedback received by email.",
    )

    solved_at = models.DateTimeField(null=True, blank=True)
    # When the survey goes out; NULL once sent, excluded or cancelled (the sweep's due column).
    due_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # When the row enters the report: a survey when it was offered or excluded at its due time,
    # feedback when it was given. NULL for a survey not due yet or cancelled by a reopen.
    counted_at = models.DateTimeField(null=True, blank=True)
    excluded_reason = models.CharField(max_length=20, choices=Exclusion.choices, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    # Attribution frozen when the survey is offered (or the feedback given): reassigning the
    # ticket later does not move the rating onto someone else.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.SupportGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="satisfaction_ratings",
    )
    support_level = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    sla_breached = models.BooleanField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "solve_cycle", "kind"],
                condition=models.Q(kind__in=["survey", "feedback"]),
                name="csat_one_per_cycle",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="csat_due_idx", condition=models.Q(due_at__isnull=False)
            ),
            models.Index(fields=["ticket", "kind", "solve_cycle"], name="csat_ticket_idx"),
            # The report's window scan.
            models.Index(
                fields=["counted_at"],
                name="csat_counted_idx",
                condition=models.Q(counted_at__isnull=False),
            ),
            models.Index(
                fields=["rated_at", "score"],
                name="csat_rated_idx",
                condition=models.Q(rated_at__isnull=False),
            ),
            models.Index(fields=["organization", "counted_at"], name="csat_org_counted_idx"),
            # The report's 50 latest comments: read backwards, stops after 50 in the window.
            models.Index(
                fields=["rated_at", "id"],
                name="csat_comment_idx",
                condition=models.Q(score__in=["good", "bad"]) & ~models.Q(comment=""),
            ),
            models.Index(fields=["score", "id"], name="csat_score_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_score_display()} on #{self.ticket_id} (cycle {self.solve_cycle})"

    @property
    def is_rated(self) -> bool:
        return self.score in RATED

    @property
    def audience(self) -> str:
        return REASON_AUDIENCE.get(Reason(self.reason_code), ReasonAudience.NONE)


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ReviewTask(models.Model):
    """A bad rating to follow up, assigned to the SSAT reviewing manager on call at that moment."""

    rating = models.OneToOneField(
        SatisfactionRating, on_delete=models.CASCADE, related_name="review_task"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="csat_review_tasks",
        help_text="Empty when nobody was on the reviewing schedule: every manager sees it.",
    )
    schedule_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="csat_task_idx")]

    def __str__(self) -> str:
        return f"Review bad rating on #{self.ticket_id}"


class WeeklySummary(models.Model):
    """The /csat/ report's pre-aggregated counts per week (Monday, UTC) × dimension × item;
    maintained by `csat.summary` with every rating write (see that module)."""

    week = models.DateField()
    dimension = models.CharField(max_length=16)
    item = models.CharField(max_length=64, blank=True)
    ratings = models.IntegerField(default=0)  # counted rating rows
    eligible = models.IntegerField(default=0)
    offered = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    good = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["week", "dimension", "item"], name="csat_summary_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.dimension}={self.item or '—'}: {self.ratings}"
