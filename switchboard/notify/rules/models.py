"""Rule data: triggers (event rules), time rules (automations) and their firing records.

The firing records are what makes "once" a database guarantee: a trigger fires at most once per
event (`TriggerFiring` unique on trigger + event key) and a time rule at most once per ticket per
condition instance (`TimeRuleFiring` unique on rule + ticket + instance key). They are also the log
admins read to see why something was sent.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from switchboard.core.generations import watched_manager
from switchboard.notify.rules.conditions import ConditionError, validate_conditions
from switchboard.notify.rules.validation import validate_actions


class RuleEvent(models.TextChoices):
    CREATED = "ticket.created", "Ticket created"
    UPDATED = "ticket.updated", "Ticket updated (fields changed)"
    COMMENTED = "ticket.commented", "Comment added"
    STATUS_CHANGED = "ticket.status_changed", "Status changed"
    SLA_WARNING = "sla.warning", "SLA warning (less than N minutes left)"
    SLA_BREACH = "sla.breach", "SLA breached"


def validate_event_names(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError('Pick at least one event, e.g. ["ticket.created"].')
    bad = [v for v in value if v not in RuleEvent.values]
    if bad:
        raise ValidationError(
            f"Unknown event {bad[0]!r}; use one of {', '.join(RuleEvent.values)}."
        )


def _clean_rule(rule: Trigger | TimeRule, *, actions_required: bool) -> None:
    errors: dict[str, str] = {}
    for name in ("conditions_all", "conditions_any"):
        try:
            validate_conditions(getattr(rule, name), name)
        except ConditionError as exc:
            errors[name] = str(exc)
    if actions_required or rule.actions:
        try:
            validate_actions(rule.actions)
        except ConditionError as exc:
            errors["actions"] = str(exc)
    if errors:
        raise ValidationError(errors)


class Trigger(models.Model):
    """An ordered event rule: on one of `events`, if the conditions match, run the actions."""

    title = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    position = models.IntegerField(default=0, help_text="Triggers run in ascending position.")
    is_active = models.BooleanField(default=True)
    events = models.JSONField(
        default=list,
        validators=[validate_event_names],
        help_text='Event names, e.g. ["ticket.created", "ticket.commented", "sla.warning"].',
    )
    conditions_all = models.JSONField(
        default=list, blank=True, help_text='[{"field": ..., "operator": ..., "value": ...}]'
    )
    conditions_any = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, help_text='[{"type": "email_tam", ...}]')
    # Rules shipped with Switchboard carry a stable key so seeding is idempotent.
    shipped_key = models.CharField(max_length=60, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Active triggers are cached per process (core/generations.py, namespace "rules").
    objects = watched_manager("rules")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipped_key"],
                condition=~models.Q(shipped_key=""),
                name="notify_trigger_shipped_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        try:
            validate_event_names(self.events)
        except ValidationError as exc:
            raise ValidationError({"events": exc.messages}) from None
        _clean_rule(self, actions_required=True)


class TriggerFiring(models.Model):
    """A trigger fired for one event: once, and this is the record of what it did."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="trigger_firings"
    )
    event = models.CharField(max_length=60)
    # Stable id of the event: "created:<ticket>", "audit:<id>", "comment:<id>", "sla:<clock>:...".
    event_key = models.CharField(max_length=120)
    fired_at = models.DateTimeField()
    outcome = models.JSONField(default=list, blank=True, help_text="What each action did.")

    class Meta:
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "event_key"], name="notify_trigger_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="notify_trigfire_ticket")]

    def __str__(self) -> str:
        return f"{self.trigger} on #{self.ticket_id} ({self.event})"


class TimeRuleKind(models.TextChoices):
    CLOSE_SOLVED = "close_solved", "Solved → closed after N days"
    PENDING_REMINDER = "pending_reminder", "Pending for N hours (once per pending period)"
    SLA_MINUTES_LEFT = "sla_minutes_left", "SLA: less than N minutes left"
    SLA_BREACHED = "sla_breached", "SLA breached"


AMOUNT_UNIT = {
    TimeRuleKind.CLOSE_SOLVED: "days",
    TimeRuleKind.PENDING_REMINDER: "hours",
    TimeRuleKind.SLA_MINUTES_LEFT: "minutes",
    TimeRuleKind.SLA_BREACHED: "",
}


class TimeRule(models.Model):
    """An automation: fires from a stored due time, once per ticket per condition instance."""

    title = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    position = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=20, choices=TimeRuleKind.choices)
    amount = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="N: days (solved → closed; blank = SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS), "
        "hours (pending) or minutes (SLA left). Not used for SLA breached.",
    )
    conditions_all = models.JSONField(default=list, blank=True)
    conditions_any = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    shipped_key = models.CharField(max_length=60, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Active time rules are cached per process (core/generations.py, namespace "rules").
    objects = watched_manager("rules")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipped_key"],
                condition=~models.Q(shipped_key=""),
                name="notify_timerule_shipped_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.kind not in TimeRuleKind.values:
            raise ValidationError({"kind": f"Unknown kind {self.kind!r}."})
        needs_amount = self.kind in (TimeRuleKind.PENDING_REMINDER, TimeRuleKind.SLA_MINUTES_LEFT)
        if needs_amount and not self.amount:
            unit = AMOUNT_UNIT[TimeRuleKind(self.kind)]
            raise ValidationError({"amount": f"Set N (in {unit}) for this kind of rule."})
        if self.kind == TimeRuleKind.CLOSE_SOLVED and self.amount == 0:
            raise ValidationError({"amount": "Solved tickets close after at least 1 day."})
        if self.kind == TimeRuleKind.CLOSE_SOLVED and (
            self.conditions_all or self.conditions_any or self.actions
        ):
            raise ValidationError(
                "This rule only sets after how many days every solved ticket closes: "
                "it takes no conditions or actions."
            )
        _clean_rule(self, actions_required=self.kind != TimeRuleKind.CLOSE_SOLVED)


class TimeRuleFiring(models.Model):
    """A time rule fired for one ticket and one condition instance (e.g. one pending period)."""

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="time_rule_firings"
    )
    instance_key = models.CharField(max_length=120)
    fired_at = models.DateTimeField()
    outcome = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "instance_key"], name="notify_timerule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} on #{self.ticket_id} ({self.instance_key})"
