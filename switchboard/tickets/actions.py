"""Every write to a ticket. The web UI, the API, email intake and automations all call these.

Each action runs in one transaction: the change, its audit events, the SLA clock updates and any
queued follow-up work commit together or not at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts import actions as account_actions
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.models import Organization, ProductLine, Region, Role, SupportGroup, User
from switchboard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from switchboard.core.timers import cancel_timer, schedule_timer
from switchboard.tickets import search_index
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import (
    AuditEvent,
    Channel,
    Comment,
    Macro,
    Priority,
    Ticket,
    TicketAudit,
    TicketField,
    TicketStatus,
    TicketTag,
    TicketType,
)
from switchboard.tickets.tasks import CLOSE_SOLVED

TAG_CLOSE_BY_MERGE = "close_by_merge"
TAG_ENTITLEMENT_UNVERIFIED = "entitlement_unverified"
_TAG_RE = re.compile(r"^[a-z0-9_\-:./+#@]{1,80}$")

FORM_FIELDS = (
    "problem_started",
    "business_impact",
    "steps_to_reproduce",
    "current_behavior",
    "expected_behavior",
    "recent_changes",
    "version",
    "install_type",
)
AGENT_FIELDS = (
    "subject",
    "status",
    "priority",
    "ticket_type",
    "assignee",
    "group",
    "organization",
    "requester",
    "product_line",
    "preferred_region",
    "external_id",
    *FORM_FIELDS,
)


def close_after() -> timedelta:
    return timedelta(days=float(getattr(settings, "SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS", 4)))


# --- audit -------------------------------------------------------------------------------------


@dataclass
class _Audit:
    """Collects the events of one change set and writes them as one TicketAudit."""

    ticket: Ticket
    actor: Actor
    via: str
    at: datetime
    kind: str = AuditEvent.Kind.CHANGE
    events: list[AuditEvent] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def change(self, name: str, old: Any, new: Any) -> None:
        if old == new:
            return
        if name in self.changes:  # two steps in one action: keep the first "from"
            old = self.changes[name][0]
        self.changes[name] = (old, new)
        self.events.append(
            AuditEvent(
                kind=self.kind, field=name, from_value=_jsonable(old), to_value=_jsonable(new)
            )
        )

    def comment(self, comment: Comment) -> None:
        self.events.append(AuditEvent(kind=AuditEvent.Kind.COMMENT, comment=comment))

    def save(self) -> TicketAudit | None:
        if not self.events:
            return None
        audit = TicketAudit.objects.create(
            ticket=self.ticket, actor=access.person(self.actor), via=self.via, created_at=self.at
        )
        for event in self.events:
            event.audit = audit
        AuditEvent.objects.bulk_create(self.events)
        return audit


def _jsonable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return value


# --- validation helpers ------------------------------------------------------------------------


def _choice(name: str, value: Any, choices: Iterable[str]) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise ValidationFailed(
            f"{name}: {value!r} is not one of {', '.join(allowed)}.",
            field=name,
            code="InvalidValue",
        )
    return str(value)


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case tags; whitespace separates tags, as in Zendesk."""
    if isinstance(tags, str):
        tags = [tags]
    result: dict[str, None] = {}  # insertion-ordered set: linear in the number of tags
    for raw in tags:
        if not isinstance(raw, str):
            raise ValidationFailed(
                "tags: each tag must be text.", field="tags", code="InvalidValue"
            )
        for tag in raw.lower().split():
            if not _TAG_RE.match(tag):
                raise ValidationFailed(
                    f'tags: "{tag}" is not a valid tag (letters, digits and _-:./+#@, '
                    "at most 80 characters).",
                    field="tags",
                    code="InvalidValue",
                )
            result[tag] = None
    return list(result)


def max_tags_per_ticket() -> int:
    return int(getattr(settings, "SWITCHBOARD_MAX_TAGS_PER_TICKET", 200))


def _check_tag_count(tags: list[str], field: str = "tags") -> list[str]:
    """A person or client may not give a ticket more than the configured number of tags (system
    tags added by merges and follow-ups are not refused: they never come from input)."""
    limit = max_tags_per_ticket()
    if len(tags) > limit:
        raise ValidationFailed(
            f"{field}: a ticket can have at most {limit} tags; this change would give it "
            f"{len(tags)}.",
            field=field,
            code="InvalidValue",
        )
    return tags


def _clean_custom_fields(values: Any) -> dict[str, Any]:
    """Validate {field id or key: value} against TicketField definitions; keys become ids."""
    if isinstance(values, list):  # Zendesk shape: [{"id": 1, "value": "x"}]
        try:
            values = {str(item["id"]): item.get("value") for item in values}
        except (TypeError, KeyError):
            raise ValidationFailed(
                'custom_fields: use [{"id": ..., "value": ...}].', field="custom_fields"
            ) from None
    if not isinstance(values, dict):
        raise ValidationFailed("custom_fields: expected an object.", field="custom_fields")
    fields = {str(f.pk): f for f in TicketField.objects.filter(active=True)}
    by_key = {f.key: f for f in fields.values()}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        definition = fields.get(str(key)) or by_key.get(str(key))
        if definition is None:
            raise ValidationFailed(
                f"custom_fields: unknown field {key!r}.", field="custom_fields", code="InvalidValue"
            )
        cleaned[str(definition.pk)] = _clean_field_value(definition, value)
    return cleaned


# Custom integer fields hold what a 64-bit column or a JSON client can represent exactly; decimals
# are finite and of a sane magnitude (`1e400`, `Infinity` and `NaN` are refused, not stored).
_MAX_FIELD_INT = 2**63 - 1
_MAX_DECIMAL_EXPONENT = 100


def _integer_value(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", text):
            raise ValueError
        value = int(text)
    elif not isinstance(value, int):
        raise ValueError
    if not -_MAX_FIELD_INT <= value <= _MAX_FIELD_INT:
        raise ValueError
    return value


def _clean_field_value(definition: TicketField, value: Any) -> Any:
    name = f"custom_fields.{definition.key}"
    if value is None or value == "":
        return None
    kind = definition.field_type
    try:
        if kind == TicketField.FieldType.CHECKBOX:
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == TicketField.FieldType.INTEGER:
            return _integer_value(value)
        if kind == TicketField.FieldType.DECIMAL:
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(str(value).strip())
            if not number.is_finite() or abs(number.adjusted()) > _MAX_DECIMAL_EXPONENT:
                raise ValueError
            return str(number)
        if kind == TicketField.FieldType.DATE:
            return date.fromisoformat(str(value)).isoformat()
        if kind == TicketField.FieldType.DROPDOWN:
            allowed = [o.get("value") for o in definition.options]
            if value not in allowed:
                raise ValidationFailed(
                    f"{name}: {value!r} is not one of {', '.join(map(str, allowed))}.",
                    field=name,
                    code="InvalidValue",
                )
            return value
        if not isinstance(value, str):
            raise ValueError
        return value[:65_000]
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed(
            f"{name}: {value!r} is not a valid {definition.get_field_type_display().lower()}.",
            field=name,
            code="InvalidValue",
        ) from None


def _set_tags(ticket: Ticket, tags: list[str], audit: _Audit) -> None:
    current = set(ticket.tags.values_list("name", flat=True))
    wanted = set(tags)
    if current == wanted:
        return
    TicketTag.objects.filter(ticket=ticket, name__in=current - wanted).delete()
    TicketTag.objects.bulk_create(
        [TicketTag(ticket=ticket, name=t) for t in sorted(wanted - current)]
    )
    audit.change("tags", sorted(current), sorted(wanted))


def _agent(user: Any, name: str) -> User | None:
    if user is None:
        return None
    if not isinstance(user, User):
        user = User.objects.filter(pk=user).first()
    if user is None or not user.is_active or user.role not in (Role.AGENT, Role.ADMIN):
        raise ValidationFailed(f"{name}: must be an active agent.", field=name, code="InvalidValue")
    return user


def _close_timer(ticket: Ticket, old_status: str) -> None:
    if ticket.status == TicketStatus.SOLVED and old_status != TicketStatus.SOLVED:
        schedule_timer(CLOSE_SOLVED, key=str(ticket.pk), due_at=ticket.solved_at + close_after())
    elif ticket.status != TicketStatus.SOLVED and old_status == TicketStatus.SOLVED:
        cancel_timer(CLOSE_SOLVED, key=str(ticket.pk))


# --- create ------------------------------------------------------------------------------------


def mailing_list_addresses() -> set[str]:
    return {a.lower() for a in getattr(settings, "SWITCHBOARD_MAILING_LIST_ADDRESSES", [])}


def _refuse_agent_only_fields(
    *,
    assignee: User | None,
    group: SupportGroup | None,
    status: str | None,
    tags: Iterable[str],
    ticket_type: str,
    external_id: str,
    ccs: Iterable[User],
    product_line: str | None,
    public: bool,
    custom_fields: Any,
) -> None:
    """An end-user opens a ticket with what the portal's form offers (subject, the description,
    severity, preferred region, the form's questions) and custom fields shown in the portal.
    Anything else is refused, naming the field, rather than silently dropped."""
    refused = [
        name
        for name, value in (
            ("status", status),
            ("assignee_id", assignee),
            ("group_id", group),
            ("tags", list(tags)),
            ("type", ticket_type),
            ("external_id", external_id),
            ("collaborator_ids", list(ccs)),
            ("product_line", product_line),
        )
        if value
    ]
    if not public:
        refused.append("comment.public")
    if refused:
        raise PermissionDenied(
            f"{refused[0]}: end-users cannot set {', '.join(refused)} when opening a ticket; "
            "an agent sets them."
        )
    if custom_fields:
        cleaned = _clean_custom_fields(custom_fields)
        hidden = TicketField.objects.filter(
            pk__in=[int(k) for k in cleaned], visible_in_portal=False
        )
        first = hidden.order_by("pk").first()
        if first is not None:
            raise PermissionDenied(f"custom_fields: end-users cannot set the field {first.key!r}.")


def _resolve_requester(actor: Actor, requester: User | None, email: str, name: str) -> User:
    if actor is not SYSTEM and actor.role == Role.END_USER:
        # End-users open tickets for themselves only.
        if requester is not None and requester.pk != actor.pk:
            raise PermissionDenied("You can only open tickets for yourself.")
        return actor
    if requester is not None:
        return requester
    email = (email or "").strip().lower()
    if not email:
        raise ValidationFailed(
            "requester: a requester is required.", field="requester", code="BlankValue"
        )
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    return account_actions.create_user(actor=SYSTEM, email=email, name=name or email.split("@")[0])


@transaction.atomic
def create_ticket(
    *,
    actor: Actor,
    subject: str,
    description: str,
    requester: User | None = None,
    requester_email: str = "",
    requester_name: str = "",
    channel: str = Channel.WEB,
    priority: str | None = None,
    ticket_type: str = "",
    status: str | None = None,
    tags: Iterable[str] = (),
    assignee: User | None = None,
    group: SupportGroup | None = None,
    ccs: Iterable[User] = (),
    custom_fields: Any = None,
    product_line: str | None = None,
    preferred_region: str | None = None,
    recipient: str = "",
    public: bool = True,
    created_at: datetime | None = None,
    comment_metadata: dict[str, Any] | None = None,
    external_id: str = "",
    follow_up_of: Ticket | None = None,
    **form_fields: Any,
) -> Ticket:
    """Open a ticket with its first comment.

    Entitlement: the organization comes from the requester (matched by email domain on first
    contact); a requester without one gets `entitlement_unverified` and no paid SLA. Mail to the
    mailing-list address is closed on arrival. The organization's notes are added as an internal
    note for agents.
    """
    now = created_at or timezone.now()
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed("subject: cannot be blank.", field="subject", code="BlankValue")
    if len(subject) > 255:
        raise ValidationFailed("subject: at most 255 characters.", field="subject", code="TooLong")
    if not (description or "").strip():
        raise ValidationFailed(
            "description: cannot be blank.", field="description", code="BlankValue"
        )
    unknown = set(form_fields) - set(FORM_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"{sorted(unknown)[0]}: unknown ticket field.", field=sorted(unknown)[0]
        )
    channel = _choice("channel", channel, Channel.values)
    access.require_actor(actor)
    if not access.is_agent(actor) and follow_up_of is None:
        _refuse_agent_only_fields(
            assignee=assignee,
            group=group,
            status=status,
            tags=tags,
            ticket_type=ticket_type,
            external_id=external_id,
            ccs=ccs,
            product_line=product_line,
            public=public,
            custom_fields=custom_fields,
        )
    requester = _resolve_requester(actor, requester, requester_email, requester_name)
    if not requester.is_active:
        raise ValidationFailed("requester: this user is deactivated.", field="requester")
    account_actions.associate_user_by_domain(requester)
    org: Organization | None = requester.organization if requester.role == Role.END_USER else None
    if requester.role != Role.END_USER:
        org = requester.organization

    ticket = Ticket(
        subject=subject,
        description=description,
        priority=_choice("priority", priority or Priority.NORMAL, Priority.values),
        ticket_type=_choice("type", ticket_type or "", ["", *TicketType.values]),
        status=_choice(
            "status", status or TicketStatus.NEW, [s for s in TicketStatus.values if s != "closed"]
        ),
        requester=requester,
        submitter=access.person(actor) or requester,
        assignee=_agent(assignee, "assignee"),
        group=group,
        organization=org,
        channel=channel,
        product_line=_choice(
            "product_line",
            product_line or (org.product_line if org else ""),
            ["", *ProductLine.values],
        ),
        preferred_region=_choice(
            "preferred_region",
            preferred_region or (org.preferred_region if org else Region.ALL),
            Region.values,
        ),
        custom_fields=_clean_custom_fields(custom_fields) if custom_fields else {},
        external_id=external_id or "",
        created_at=now,
        updated_at=now,
        **{k: (v or "") for k, v in form_fields.items()},
    )
    closes_on_arrival = channel == Channel.MAILING_LIST or (
        recipient and recipient.lower() in mailing_list_addresses()
    )
    if closes_on_arrival:
        ticket.channel = Channel.MAILING_LIST
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = now
    if ticket.status == TicketStatus.SOLVED:
        ticket.solved_at = now
    ticket.save()
    if ccs:
        ticket.ccs.set(list(ccs))

    audit = _Audit(ticket, actor, ticket.channel, now, kind=AuditEvent.Kind.CREATE)
    for name in (
        "subject",
        "status",
        "priority",
        "ticket_type",
        "requester",
        "organization",
        "assignee",
        "group",
        "product_line",
        "preferred_region",
    ):
        value = getattr(ticket, name)
        if value not in (None, ""):
            audit.change(name, None, value)
    tag_list = _check_tag_count(normalize_tags(tags))
    if requester.role == Role.END_USER and org is None:
        tag_list.append(TAG_ENTITLEMENT_UNVERIFIED)
    _set_tags(ticket, normalize_tags(tag_list), audit)

    first = Comment.objects.create(
        ticket=ticket,
        author=access.person(actor) or requester,
        body=description,
        public=public,
        channel=ticket.channel,
        metadata=comment_metadata or {},
        secret_findings=_scan(description),
        created_at=now,
    )
    audit.comment(first)
    if org is not None and org.notes.strip():
        note = Comment.objects.create(
            ticket=ticket,
            author=None,
            body=f"Organization notes for {org.name}:\n\n{org.notes}",
            public=False,
            channel=Channel.SYSTEM,
            created_at=now,
        )
        audit.comment(note)
    search_index.refresh([ticket.pk])
    audit.save()
    _close_timer(ticket, TicketStatus.NEW)
    emit(TicketEvent(EventKind.CREATED, ticket, actor, now, dict(audit.changes), first))
    return ticket


def _scan(text: str) -> list[dict[str, Any]]:
    from switchboard.tickets.secret_scan import scan_text

    return [finding.as_dict() for finding in scan_text(text)]


# --- comments ----------------------------------------------------------------------------------


@transaction.atomic
def add_comment(
    *,
    ticket: Ticket,
    author: Actor,
    body: str,
    public: bool = True,
    channel: str = Channel.WEB,
    status: str | None = None,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
    changes: dict[str, Any] | None = None,
) -> Comment:
    """Add a public reply or internal note; move the status as the rules say.

    - an agent's first action moves new → open (or to the status they submit with);
    - a requester/end-user reply on pending or solved reopens (→ open);
    - closed is final: an end-user reply creates a follow-up ticket, and the comment lands there;
    - end-users never write internal notes, and only comment where access allows.
    """
    now = at or timezone.now()
    body = body or ""
    if not body.strip():
        raise ValidationFailed("body: a comment cannot be blank.", field="body", code="BlankValue")
    if len(body) > 1_000_000:
        raise ValidationFailed("body: at most 1,000,000 characters.", field="body", code="TooLong")
    channel = _choice("channel", channel, Channel.values)
    access.require_actor(author)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    agent = access.is_agent(author)
    if not agent:
        access.require(author, ticket, access.Action.COMMENT)
        if not public:
            raise PermissionDenied("Customers cannot add internal notes.")
        if status is not None or changes:
            raise PermissionDenied("Only agents can change the ticket with a reply.")
    if ticket.is_closed:
        if agent:
            raise ValidationFailed(
                f"status: ticket #{ticket.pk} is closed and cannot change; "
                "the requester's next reply opens a follow-up.",
                field="status",
                code="Closed",
            )
        follow_up = create_follow_up(
            source=ticket, actor=author, body=body, channel=channel, metadata=metadata, at=now
        )
        return follow_up.comments.order_by("pk").first()  # type: ignore[return-value]

    comment = Comment.objects.create(
        ticket=ticket,
        author=access.person(author),
        body=body,
        public=public,
        channel=channel,
        metadata=metadata or {},
        secret_findings=_scan(body),
        created_at=now,
    )
    audit = _Audit(ticket, author, channel, now)
    audit.comment(comment)
    old_status = ticket.status
    if agent:
        if public and ticket.first_agent_reply_at is None:
            ticket.first_agent_reply_at = now
        if changes:
            _apply_changes(ticket, author, changes, audit)
        if status is not None:
            _change_status(ticket, author, status, audit, now)
        elif ticket.status == TicketStatus.NEW:
            _change_status(ticket, author, TicketStatus.OPEN, audit, now)
    elif ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        _change_status(ticket, SYSTEM, TicketStatus.OPEN, audit, now)
    ticket.updated_at = now
    ticket.save()
    search_index.comment_added(comment, changed=audit.changes)
    audit.save()
    _close_timer(ticket, old_status)
    emit(TicketEvent(EventKind.COMMENTED, ticket, author, now, dict(audit.changes), comment))
    return comment


# --- updates -----------------------------------------------------------------------------------


def _change_status(ticket: Ticket, actor: Actor, status: str, audit: _Audit, now: datetime) -> None:
    status = _choice("status", status, TicketStatus.values)
    old = ticket.status
    if status == old:
        return
    if old == TicketStatus.CLOSED:
        raise ValidationFailed(
            f"status: ticket #{ticket.pk} is closed; closed tickets never reopen.",
            field="status",
            code="Closed",
        )
    if status == TicketStatus.NEW:
        raise ValidationFailed(
            "status: a ticket cannot go back to new.", field="status", code="InvalidValue"
        )
    if status == TicketStatus.CLOSED and actor is not SYSTEM:
        raise ValidationFailed(
            "status: tickets close automatically after they are solved; solve it instead.",
            field="status",
            code="InvalidValue",
        )
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
        if ticket.assignee_id is None and actor is not SYSTEM and access.is_agent(actor):
            audit.change("assignee", None, actor)
            ticket.assignee = actor
    if status == TicketStatus.CLOSED:
        ticket.closed_at = now
    ticket.status = status
    audit.change("status", old, status)


def _apply_changes(ticket: Ticket, actor: Actor, changes: dict[str, Any], audit: _Audit) -> None:
    now = audit.at
    for name, value in changes.items():
        if name == "status":
            continue  # applied last, so "solve" sees the new assignee
        if name in ("tags", "add_tags", "remove_tags"):
            current = ticket.tag_names()
            tags = normalize_tags(value or [])
            if name == "tags":
                new = _check_tag_count(tags)
            elif name == "add_tags":
                have = set(current)
                new = _check_tag_count(current + [t for t in tags if t not in have], "tags")
            else:
                drop = set(tags)
                new = [t for t in current if t not in drop]
            _set_tags(ticket, new, audit)
            continue
        if name == "custom_fields":
            cleaned = _clean_custom_fields(value)
            merged = {**ticket.custom_fields, **cleaned}
            audit.change("custom_fields", ticket.custom_fields, merged)
            ticket.custom_fields = merged
            continue
        if name == "ccs":
            users = list(value or [])
            before = sorted(ticket.cc_ids())
            ticket.ccs.set(users)
            audit.change("ccs", before, sorted(u.pk for u in users))
            continue
        if name not in AGENT_FIELDS:
            raise ValidationFailed(f"{name}: not a ticket field that can be changed.", field=name)
        old = getattr(ticket, name)
        if name == "priority":
            value = _choice("priority", value, Priority.values)
        elif name == "ticket_type":
            value = _choice("type", value or "", ["", *TicketType.values])
        elif name == "product_line":
            value = _choice("product_line", value or "", ["", *ProductLine.values])
        elif name == "preferred_region":
            value = _choice("preferred_region", value, Region.values)
        elif name == "assignee":
            value = _agent(value, "assignee")
        elif name == "subject":
            value = (value or "").strip()
            if not value:
                raise ValidationFailed(
                    "subject: cannot be blank.", field="subject", code="BlankValue"
                )
            if len(value) > 255:
                raise ValidationFailed(
                    "subject: at most 255 characters.", field="subject", code="TooLong"
                )
        elif name == "requester":
            if not isinstance(value, User) or not value.is_active:
                raise ValidationFailed("requester: unknown or inactive user.", field="requester")
        elif name in FORM_FIELDS or name == "external_id":
            value = "" if value is None else str(value)
        setattr(ticket, name, value)
        audit.change(name, old, value)
    if "status" in changes and changes["status"] is not None:
        _change_status(ticket, actor, changes["status"], audit, now)


def _stored(ticket: Ticket, name: str) -> Any:
    """A field's value as a form sends it back: ids for users and groups."""
    if name in ("assignee", "group", "organization", "requester"):
        return getattr(ticket, f"{name}_id")
    return getattr(ticket, name)


def _drop_unchanged_or_conflict(
    ticket: Ticket, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Compare-and-set, under the row lock: for each field the caller changed from the value
    it saw (`expected`), a field someone else changed meanwhile is a Conflict (both values
    reported) unless they set what the caller wants; fields already as wanted are dropped."""
    conflicts: list[tuple[str, Any, Any]] = []
    for name, seen in expected.items():
        if name not in changes:
            continue
        wanted = _jsonable(changes[name]) if changes[name] is not None else None
        current = _stored(ticket, name)
        if current == wanted:
            del changes[name]
        elif current != seen:
            conflicts.append((name, wanted, current))
    if conflicts:
        raise Conflict(
            "Someone else changed "
            + ", ".join(name for name, _, _ in conflicts)
            + " since you opened this ticket; nothing was saved.",
            conflicts=conflicts,
        )


def require_unchanged_since(*, ticket: Ticket, stamp: datetime) -> Ticket:
    """Zendesk's safe_update: lock the ticket for the caller's transaction and raise Conflict
    if it changed after `stamp` (an `updated_at` the caller read, to the second as rendered)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("require_unchanged_since must run inside the update's transaction")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.updated_at.replace(microsecond=0) > stamp:
        raise Conflict()
    return locked


@transaction.atomic
def update_ticket(
    *,
    ticket: Ticket,
    actor: Actor,
    via: str = Channel.WEB,
    at: datetime | None = None,
    expected: dict[str, Any] | None = None,
    **changes: Any,
) -> Ticket:
    """Change ticket fields (status, priority, assignee, group, tags, custom fields, ...).

    An agent's first update moves a new ticket to open. A requester may only solve their own
    ticket. Closed tickets never change. `expected` ({field: the value the caller saw, ids for
    users and groups}) makes the change a compare-and-set: see _drop_unchanged_or_conflict.
    """
    now = at or timezone.now()
    access.require_actor(actor)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected:
        _drop_unchanged_or_conflict(ticket, changes, expected)
    if not access.is_agent(actor):
        access.require(actor, ticket, access.Action.VIEW)
        if set(changes) != {"status"} or changes["status"] != TicketStatus.SOLVED:
            raise PermissionDenied("Customers can only mark their request as solved.")
        if ticket.requester_id != actor.pk:
            raise PermissionDenied("Only the requester can mark this request as solved.")
    if ticket.is_closed:
        raise ValidationFailed(
            f"status: ticket #{ticket.pk} is closed and cannot change.",
            field="status",
            code="Closed",
        )
    audit = _Audit(ticket, actor, _choice("via", via, Channel.values), now)
    old_status = ticket.status
    _apply_changes(ticket, actor, changes, audit)
    if (
        ticket.status == TicketStatus.NEW
        and actor is not SYSTEM
        and access.is_agent(actor)
        and audit.events
    ):
        _change_status(ticket, actor, TicketStatus.OPEN, audit, now)
    if not audit.events:
        return ticket
    ticket.updated_at = now
    ticket.save()
    search_index.ticket_changed(ticket.pk, audit.changes)
    audit.save()
    _close_timer(ticket, old_status)
    emit(TicketEvent(EventKind.UPDATED, ticket, actor, now, dict(audit.changes)))
    return ticket


def assign_ticket(
    *, ticket: Ticket, actor: User, assignee: User | None, group: SupportGroup | None = None
) -> Ticket:
    changes: dict[str, Any] = {"assignee": assignee}
    if group is not None:
        changes["group"] = group
    return update_ticket(ticket=ticket, actor=actor, **changes)


def change_status(*, ticket: Ticket, actor: User, status: str) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, status=status)


def solve_ticket(*, ticket: Ticket, actor: User, comment: str = "", public: bool = True) -> Ticket:
    if comment:
        add_comment(
            ticket=ticket, author=actor, body=comment, public=public, status=TicketStatus.SOLVED
        )
        return Ticket.objects.get(pk=ticket.pk)
    return update_ticket(ticket=ticket, actor=actor, status=TicketStatus.SOLVED)


def add_tags(*, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, add_tags=list(tags))


def remove_tags(
    *, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB
) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, remove_tags=list(tags))


def set_tags(*, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, tags=list(tags))


@transaction.atomic
def close_if_still_solved(*, ticket_id: int, now: datetime) -> bool:
    """The solved → closed time rule; does nothing if the ticket moved on since."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or ticket.status != TicketStatus.SOLVED or ticket.solved_at is None:
        return False
    if ticket.solved_at + close_after() > now:
        schedule_timer(CLOSE_SOLVED, key=str(ticket.pk), due_at=ticket.solved_at + close_after())
        return False
    audit = _Audit(ticket, SYSTEM, Channel.SYSTEM, now)
    _change_status(ticket, SYSTEM, TicketStatus.CLOSED, audit, now)
    ticket.updated_at = now
    ticket.save()
    audit.save()
    emit(TicketEvent(EventKind.UPDATED, ticket, SYSTEM, now, dict(audit.changes)))
    return True


@transaction.atomic
def add_system_tag(*, ticket_id: int, tag: str, now: datetime) -> bool:
    """Tag a ticket on the system's behalf (e.g. `csat_survey_sent`), audited with no actor;
    False when the ticket is gone or already has the tag."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return False
    names = ticket.tag_names()
    if tag in names:
        return False
    audit = _Audit(ticket, None, Channel.SYSTEM, now)
    _set_tags(ticket, normalize_tags([*names, tag]), audit)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    audit.save()
    emit(TicketEvent(EventKind.UPDATED, ticket, None, now, dict(audit.changes)))
    return True


# --- follow-ups and merges ---------------------------------------------------------------------


@transaction.atomic
def create_follow_up(
    *,
    source: Ticket,
    actor: User,
    body: str,
    channel: str = Channel.WEB,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A new ticket linked to a closed one, with its tags (so close_by_merge can come back)."""
    if source.status != TicketStatus.CLOSED:
        raise ValidationFailed(
            f"via_followup_source_id: ticket #{source.pk} is not closed; reply to it instead.",
            field="via_followup_source_id",
        )
    access.require_actor(actor)
    if not access.is_agent(actor):
        access.require(actor, source, access.Action.COMMENT)
    requester = source.requester if access.is_agent(actor) else actor
    ticket = create_ticket(
        actor=actor,
        requester=requester,
        subject=source.subject,
        description=body,
        channel=channel,
        priority=source.priority,
        ticket_type=source.ticket_type,
        tags=source.tag_names(),
        product_line=source.product_line or None,
        preferred_region=source.preferred_region,
        created_at=at,
        comment_metadata=metadata,
        follow_up_of=source,
    )
    ticket.follow_up_source = source
    ticket.save(update_fields=["follow_up_source"])
    audit = _Audit(ticket, actor, channel, ticket.created_at)
    audit.change("via_followup_source_id", None, source.pk)
    audit.save()
    return ticket


@dataclass(frozen=True)
class MergePlan:
    """What merging `sources` into `target` does to who sees what (decided before any write).

    - same requester (and organization): the carried conversation stays public on the target;
    - same organization, different requesters: internal by default, the agent may make it public;
    - otherwise: internal, always (another customer never reads it).
    The merge notes' visibility follows the same rule.
    """

    target: Ticket
    sources: list[Ticket]
    same_requester: bool
    same_organization: bool

    @property
    def public_allowed(self) -> bool:
        return self.same_requester or (
            self.same_organization and self.target.organization_id is not None
        )

    @property
    def public_by_default(self) -> bool:
        return self.same_requester and self.same_organization


def plan_merge(*, sources: Iterable[Ticket], target: Ticket) -> MergePlan:
    """Validate a merge and say what it will do; writes nothing."""
    if target.is_closed:
        raise ValidationFailed(f"target: ticket #{target.pk} is closed.", field="target")
    listed = sorted({s.pk: s for s in sources}.values(), key=lambda t: t.pk)
    if not listed:
        raise ValidationFailed("ids: name at least one ticket to merge.", field="ids")
    if len(listed) > 5:
        raise ValidationFailed("ids: merge at most 5 tickets at once.", field="ids")
    for source in listed:
        if source.pk == target.pk:
            raise ValidationFailed("ids: a ticket cannot be merged into itself.", field="ids")
        if source.is_closed:
            raise ValidationFailed(f"ids: ticket #{source.pk} is already closed.", field="ids")
    return MergePlan(
        target=target,
        sources=listed,
        same_requester=all(s.requester_id == target.requester_id for s in listed),
        same_organization=all(s.organization_id == target.organization_id for s in listed),
    )


def _merge_visibility(plan: MergePlan, value: bool | None, name: str) -> bool:
    if value is None:
        return plan.public_by_default
    if value and not plan.public_allowed:
        raise ValidationFailed(
            f"{name}: the tickets belong to different requesters and organizations; "
            "their conversations stay internal.",
            field=name,
        )
    return bool(value)


@transaction.atomic
def merge_tickets(
    *,
    actor: User,
    sources: Iterable[Ticket],
    target: Ticket,
    source_comment: str = "",
    target_comment: str = "",
    source_comment_public: bool | None = None,
    target_comment_public: bool | None = None,
    via: str = Channel.WEB,
) -> Ticket:
    """Close each source with tag close_by_merge and a note; note the merge on the target.

    The target shows the sources' comments by reference (see queries.comments_for); whether
    its requester sees the public ones follows `target_comment_public` (plan_merge decides the
    default and refuses "public" across organizations). `source_comment_public` is the
    visibility of the note left on each source.
    """
    if not access.is_agent(actor):
        raise PermissionDenied("Only agents can merge tickets.")
    via = _choice("via", via, Channel.values)
    now = timezone.now()
    ids = sorted({s.pk for s in sources})
    # Lock in id order (target included) so two merges touching the same tickets cannot deadlock.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[*ids, target.pk])}
    if target.pk not in locked or any(pk not in locked for pk in ids):
        raise NotFound()
    target = locked[target.pk]
    plan = plan_merge(sources=[locked[pk] for pk in ids], target=target)
    carried_public = _merge_visibility(plan, target_comment_public, "target_comment_is_public")
    source_public = _merge_visibility(plan, source_comment_public, "source_comment_is_public")
    for source in plan.sources:
        audit = _Audit(source, actor, via, now)
        default_note = (
            f'This request was closed and merged into request #{target.pk} "{target.subject}".'
            if source.requester_id == target.requester_id
            else f"This request was closed and merged into request #{target.pk}."
        )
        note = Comment.objects.create(
            ticket=source,
            author=actor,
            body=source_comment or default_note,
            public=source_public,
            channel=via,
            created_at=now,
        )
        audit.comment(note)
        _set_tags(source, [*source.tag_names(), TAG_CLOSE_BY_MERGE], audit)
        old_status = source.status
        _change_status(source, SYSTEM, TicketStatus.CLOSED, audit, now)
        source.merged_into = target
        source.merged_comments_public = carried_public
        audit.change("merged_into", None, target.pk)
        source.updated_at = now
        source.save()
        audit.save()
        _close_timer(source, old_status)
        emit(TicketEvent(EventKind.MERGED, source, actor, now, dict(audit.changes), note))
    audit = _Audit(target, actor, via, now)
    listed = ", ".join(f"#{s.pk}" for s in plan.sources)
    note = Comment.objects.create(
        ticket=target,
        author=actor,
        body=target_comment or f"Requests {listed} were closed and merged into this request.",
        public=carried_public,
        channel=via,
        created_at=now,
    )
    audit.comment(note)
    audit.change("merged_from", None, [s.pk for s in plan.sources])
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    search_index.refresh([target.pk, *ids])
    audit.save()
    emit(TicketEvent(EventKind.UPDATED, target, actor, now, {}, note))
    return target


# --- macros ------------------------------------------------------------------------------------


@transaction.atomic
def apply_macro(
    *, ticket: Ticket, macro: Macro, actor: User, options: dict[str, Any] | None = None
) -> Ticket:
    """Apply a macro: its field changes and its rendered comment, as one audited change.

    `options` go to deferred placeholders (the booking link's call type)."""
    from switchboard.tickets.macros import expand_deferred, plan_macro

    if not access.is_agent(actor):
        raise PermissionDenied("Only agents can apply macros.")
    plan = plan_macro(macro=macro, ticket=ticket, actor=actor)
    if plan.comment_body:
        add_comment(
            ticket=ticket,
            author=actor,
            body=expand_deferred(plan.comment_body, ticket=ticket, actor=actor, options=options),
            public=plan.comment_public,
            changes=plan.changes or None,
            metadata={"macro_id": macro.pk},
        )
    elif plan.changes:
        update_ticket(ticket=ticket, actor=actor, **plan.changes)
    return Ticket.objects.get(pk=ticket.pk)


# --- deletion ----------------------------------------------------------------------------------


@transaction.atomic
def delete_ticket(*, ticket: Ticket, actor: User) -> None:
    """Admins only: delete a ticket with its comments and audits. Follow-ups and tickets merged
    into it stay, unlinked. The deletion is recorded in the account audit log (the ticket's own
    audit trail goes with it)."""
    from switchboard.accounts.models import AccountAuditEvent

    if actor is None or not actor.is_active or actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can delete tickets.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    cancel_timer(CLOSE_SOLVED, key=str(ticket.pk))
    AccountAuditEvent.objects.create(
        actor=actor,
        organization=ticket.organization,
        user=ticket.requester,
        field="ticket_deleted",
        old_value=f"#{ticket.pk} {ticket.subject}",
        new_value="",
    )
    ticket.delete()
