"""Tickets, comments, attachments, tags, custom fields, the audit trail, macros and views."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from switchboard.accounts.models import ProductLine, Region
from switchboard.core.generations import watched_manager
from switchboard.tickets import vocab
from switchboard.tickets.vocab import SEVERITY

# The lists live in tickets/vocab.py (pure, shared with the condition language and the search
# parser); members are the upper-cased values (TicketStatus.NEW, Priority.URGENT, ...).
TicketStatus = models.TextChoices("TicketStatus", vocab.choices_members(vocab.STATUSES))
Priority = models.TextChoices("Priority", vocab.choices_members(vocab.PRIORITIES))
TicketType = models.TextChoices("TicketType", vocab.choices_members(vocab.TICKET_TYPES))
Channel = models.TextChoices("Channel", vocab.choices_members(vocab.CHANNELS))


class Ticket(models.Model):
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True, help_text="The first comment, as in Zendesk.")
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    ticket_type = models.CharField(
        "type", max_length=10, choices=TicketType.choices, blank=True, default=""
    )
    # No single-column index on requester, assignee, group or organization: the (field, status)
    # indexes in Meta lead with them and serve every lookup by the field alone; fewer indexes
    # to write on each ticket insert and update.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,
    )
    group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    ccs = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cc_tickets")
    product_line = models.CharField(max_length=20, choices=ProductLine.choices, blank=True)
    preferred_region = models.CharField(max_length=10, choices=Region.choices, default=Region.ALL)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    custom_fields = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)

    # The handbook's ticket best practice (the submission form).
    problem_started = models.TextField("when it started / how often", blank=True)
    business_impact = models.TextField(blank=True)
    steps_to_reproduce = models.TextField(blank=True)
    current_behavior = models.TextField(blank=True)
    expected_behavior = models.TextField(blank=True)
    recent_changes = models.TextField(blank=True)
    version = models.CharField(max_length=100, blank=True)
    install_type = models.CharField(max_length=100, blank=True)

    follow_up_source = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_tickets"
    )
    # Whether this ticket's public comments, carried into `merged_into` by reference, are public
    # there too. False unless the merge was within one requester or (by the agent's choice) one
    # organization: another customer never reads this conversation (actions.merge.plan_merge).
    merged_comments_public = models.BooleanField(default=False)

    # The earliest due time of the ticket's running SLA clocks (maintained by switchboard.sla),
    # so "breaching within N minutes" is an index range scan.
    sla_due_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(db_index=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    first_agent_reply_at = models.DateTimeField(null=True, blank=True)

    # PostgreSQL only (NULL elsewhere): the agents' full-text document, to_tsvector('english') of
    # subject + description + every comment body (and those of tickets merged into it). Written
    # only by SQL in tickets.search_index, GIN-indexed by migration 0004; see docs/search.md.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="ticket_status_updated_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(fields=["group", "status"], name="ticket_group_status_idx"),
            models.Index(fields=["organization", "status"], name="ticket_org_status_idx"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status_idx"),
            models.Index(
                fields=["sla_due_at"],
                name="ticket_sla_due_idx",
                condition=models.Q(sla_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    # Not a column: open_ticket sets it on the object it creates to the tags it just wrote, so
    # the in-request SLA listener does not read them back. None on every loaded ticket.
    fresh_tags: list[str] | None = None

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """As Model.save, but an update never writes search_vector back: tickets.search_index
        maintains it in SQL, and a copy loaded earlier would undo a concurrent change."""
        updating = not self._state.adding and not args and not kwargs.get("force_insert")
        if updating and kwargs.get("update_fields") is None:
            skip = self.get_deferred_fields() | {"search_vector"}
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname not in skip
            ]
        super().save(*args, **kwargs)

    @property
    def severity(self) -> int:
        return SEVERITY[self.priority]

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED

    def cc_ids(self) -> list[int]:
        return [u.pk for u in self.ccs.all()]

    def tag_names(self) -> list[str]:
        return sorted(t.name for t in self.tags.all())


class TicketTag(models.Model):
    # The (ticket, name) unique constraint's index serves lookups by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="tags", db_index=False
    )
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["ticket", "name"], name="ticket_tag_uniq")]
        indexes = [models.Index(fields=["name", "ticket"], name="ticket_tag_name_idx")]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    """A public reply or an internal note (public=False; never shown to end-users)."""

    # comment_ticket_created_idx (ticket, created_at) serves lookups by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text="Empty for system notes.",
    )
    body = models.TextField()
    public = models.BooleanField(default=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    metadata = models.JSONField(default=dict, blank=True, help_text="e.g. email Message-ID")
    secret_findings = models.JSONField(default=list, blank=True)
    redacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created_idx")]

    def __str__(self) -> str:
        return f"{'Reply' if self.public else 'Note'} on #{self.ticket_id}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, help_text="Sniffed from the content.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    warning = models.CharField(max_length=255, blank=True)
    secret_findings = models.JSONField(default=list, blank=True)
    redacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class TicketField(models.Model):
    """A custom ticket field; values live in Ticket.custom_fields keyed by the field's id."""

    class FieldType(models.TextChoices):
        TEXT = "text", "Text"
        TEXTAREA = "textarea", "Multi-line text"
        CHECKBOX = "checkbox", "Checkbox"
        DATE = "date", "Date"
        INTEGER = "integer", "Integer"
        DECIMAL = "decimal", "Decimal"
        DROPDOWN = "tagger", "Drop-down"

    title = models.CharField(max_length=100)
    key = models.SlugField(max_length=60, unique=True)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    description = models.TextField(blank=True)
    options = models.JSONField(default=list, blank=True, help_text='[{"name": ..., "value": ...}]')
    required = models.BooleanField(default=False)
    visible_in_portal = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class TicketAudit(models.Model):
    """One change set to a ticket: who, when, through which channel, and its events."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="audits")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(db_index=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"audit {self.pk} of #{self.ticket_id}"


class AuditEvent(models.Model):
    """One field change (or comment, or notice) inside an audit."""

    class Kind(models.TextChoices):
        CREATE = "Create", "Create"
        CHANGE = "Change", "Change"
        COMMENT = "Comment", "Comment"
        NOTICE = "Notice", "Notice"

    audit = models.ForeignKey(TicketAudit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    field = models.CharField(max_length=60, blank=True)
    from_value = models.JSONField(null=True, blank=True)
    to_value = models.JSONField(null=True, blank=True)
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.field}: {self.from_value!r} → {self.to_value!r}"


class Macro(models.Model):
    """A named set of actions applied to a ticket (fields, tags, a templated comment)."""

    title = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    # [{"field": "status", "value": "pending"}, {"field": "comment_value", "value": "..."}, ...]
    actions = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    restricted_to_group = models.ForeignKey(
        "accounts.SupportGroup", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The agent pages cache the macro list per process (core/generations.py, "desk").
    objects = watched_manager("desk")

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class View(models.Model):
    """A saved ticket filter with a live count."""

    title = models.CharField(max_length=150)
    # {"all": [{"field": "status", "operator": "less_than", "value": "solved"}], "any": [...]}
    conditions = models.JSONField(default=dict)
    sort_by = models.CharField(max_length=40, default="updated_at")
    sort_order = models.CharField(max_length=4, default="desc")
    columns = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_views",
        help_text="Empty for shared views.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The agent home caches the active views per process (core/generations.py, "desk").
    objects = watched_manager("desk")

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title
