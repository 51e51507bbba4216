"""Organizations (customer accounts), users (end-users, agents, admins), groups and API tokens."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from switchboard.accounts.domains import InvalidDomain, normalize_domain
from switchboard.core.generations import watched_manager


class SupportLevel(models.TextChoices):
    NONE = "none", "None"
    STANDARD = "standard", "Standard"
    PRIORITY = "priority", "Priority"


class ProductLine(models.TextChoices):
    SELF_MANAGED = "self_managed", "Self-managed"
    SAAS = "saas", "SaaS"


class Region(models.TextChoices):
    ALL = "all", "All regions"
    AMER = "amer", "AMER"
    EMEA = "emea", "EMEA"
    APAC = "apac", "APAC"


class OrgSharing(models.TextChoices):
    """Who in an organization sees and comments on the organization's tickets."""

    OWN = "own", "Members see their own tickets only"
    VIEW_ALL = "view_all", "Members see all org tickets, comment on their own"
    VIEW_COMMENT_ALL = "view_comment_all", "Members see and comment on all org tickets"
    SELECTED_VIEW = "selected_view", "Own; selected users see all"
    SELECTED_VIEW_COMMENT = "selected_view_comment", "Own; selected users see and comment on all"


class PersonalAccess(models.TextChoices):
    """An end-user's own setting; anything but `inherit` overrides the organization's."""

    INHERIT = "inherit", "Inherit from organization"
    OWN = "own", "Own tickets only"
    VIEW_ALL = "view_all", "See all org tickets"
    VIEW_COMMENT_ALL = "view_comment_all", "See and comment on all org tickets"


class Role(models.TextChoices):
    END_USER = "end_user", "End-user"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Admin"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f'"{value}" is not a known time zone (use an IANA name like "Europe/Amsterdam").'
        )


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_working_hours(value: Any) -> None:
    """{"mon": [["09:00", "17:00"]], ...}: local wall-clock intervals, ordered, not overlapping."""
    if not isinstance(value, dict):
        raise ValidationError("Working hours must be an object keyed by weekday (mon..sun).")
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(f'Unknown weekday "{day}"; use one of {", ".join(WEEKDAYS)}.')
        if not isinstance(spans, list):
            raise ValidationError(f"Working hours for {day} must be a list of [start, end] pairs.")
        previous_end = ""
        for span in spans:
            if not (isinstance(span, list | tuple) and len(span) == 2):
                raise ValidationError(f"Each {day} interval must be a [start, end] pair.")
            start, end = span
            if not all(isinstance(t, str) and _HHMM.match(t) for t in (start, end)):
                raise ValidationError(f'{day} interval {span} must use "HH:MM" times.')
            if start >= end:
                raise ValidationError(f"{day} interval {start}-{end} must end after it starts.")
            if previous_end and start < previous_end:
                raise ValidationError(f"{day} intervals overlap or are out of order.")
            previous_end = end


def validate_domain_name(value: str) -> None:
    try:
        normalize_domain(value)
    except InvalidDomain as exc:
        raise ValidationError(str(exc)) from None


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organization(TimeStamped):
    name = models.CharField(max_length=255)
    support_level = models.CharField(
        max_length=20, choices=SupportLevel.choices, default=SupportLevel.NONE
    )
    plan = models.CharField(
        max_length=60, blank=True, help_text="Commercial plan label (Free, Premium, Ultimate, ...)."
    )
    product_line = models.CharField(
        max_length=20, choices=ProductLine.choices, default=ProductLine.SELF_MANAGED
    )
    preferred_region = models.CharField(max_length=10, choices=Region.choices, default=Region.ALL)
    sharing = models.CharField(
        "shared tickets", max_length=30, choices=OrgSharing.choices, default=OrgSharing.OWN
    )
    notes = models.TextField(blank=True, help_text="Internal; shown to agents on every ticket.")
    details = models.TextField(blank=True)
    collaboration_project_url = models.URLField(blank=True)
    account_manager = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
        limit_choices_to={"role__in": ["agent", "admin"]},
        help_text="CSM / TAM for this account.",
    )
    is_internal = models.BooleanField(default=False, help_text="The company's own staff org.")
    # CRM fields (synced from the CRM account; see DOMAIN.md §8).
    crm_account_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    crm_account_owner = models.CharField(max_length=255, blank=True)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, null=True, blank=True)
    seats = models.PositiveIntegerField(null=True, blank=True)
    market_segment = models.CharField(max_length=60, blank=True)
    sales_segmentation = models.CharField(max_length=60, blank=True)
    account_type = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="organization_name_ci_uniq")]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains.all()]


class OrganizationDomain(models.Model):
    """An email domain that maps end-users to an organization; one organization per domain."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, validators=[validate_domain_name])

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SupportGroup(TimeStamped):
    """A team of agents tickets can be assigned to (Zendesk's "group")."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    # The agent pages cache the group list per process (core/generations.py, "desk").
    objects = watched_manager("desk")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.END_USER)
    is_active = models.BooleanField(default=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    is_sold_to_contact = models.BooleanField(
        default=False, help_text="Manages the organization's support contacts."
    )
    ticket_access = models.CharField(
        "personal ticket access",
        max_length=30,
        choices=PersonalAccess.choices,
        default=PersonalAccess.INHERIT,
    )
    entitlement_verified_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entitlement_verified_at = models.DateTimeField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(
        blank=True, help_text="Internal notes about this person; agents only (audited)."
    )
    # Agent fields.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    region = models.CharField(max_length=10, choices=Region.choices, default=Region.ALL)
    working_hours = models.JSONField(default=dict, blank=True, validators=[validate_working_hours])
    support_groups = models.ManyToManyField(SupportGroup, blank=True, related_name="agents")
    is_support_manager = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["role"]), models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def is_staff(self) -> bool:
        """Admins use the Django admin; agents work in the agent workspace."""
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def entitlement_unverified(self) -> bool:
        return self.role == Role.END_USER and self.organization_id is None

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name or self.email).split(" ")[0]


class ApiToken(models.Model):
    """An API token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.email})"


class AccountAuditEvent(models.Model):
    """A recorded change to an account setting (access rules, entitlement, membership)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        subject = self.organization or self.user
        return f"{subject}: {self.field} {self.old_value!r} → {self.new_value!r}"
