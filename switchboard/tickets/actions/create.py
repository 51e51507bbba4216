"""Opening tickets: a new ticket with its first comment, and a follow-up to a closed one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts import actions as account_actions
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.models import Organization, ProductLine, Region, Role, SupportGroup, User
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.actions.ccs import check_ccs
from switchboard.tickets.actions.changes import close_timer
from switchboard.tickets.actions.fields import (
    FORM_FIELDS,
    active_agent,
    check_tag_count,
    choice,
    clean_custom_fields,
    normalize_tags,
    write_tags,
)
from switchboard.tickets.actions.uploads import NewFile, Posted, attach_files
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import (
    AuditEvent,
    Channel,
    Comment,
    Priority,
    Ticket,
    TicketField,
    TicketStatus,
    TicketType,
)
from switchboard.tickets.vocab import TAG_ENTITLEMENT_UNVERIFIED


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
        cleaned = clean_custom_fields(custom_fields)
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
def open_ticket(
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
    files: Sequence[NewFile] = (),
    keep_going: bool = False,
    **form_fields: Any,
) -> Posted:
    """Open a ticket with its first comment and that comment's files (stored before the
    `created` event fires; `keep_going`: see uploads.attach_files).

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
    channel = choice("channel", channel, Channel.values)
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
    if requester.role == Role.END_USER and requester.organization_id is None:
        account_actions.associate_user_by_domain(requester)
    org: Organization | None = requester.organization if requester.role == Role.END_USER else None
    if requester.role != Role.END_USER:
        org = requester.organization

    ticket = Ticket(
        subject=subject,
        description=description,
        priority=choice("priority", priority or Priority.NORMAL, Priority.values),
        ticket_type=choice("type", ticket_type or "", ["", *TicketType.values]),
        status=choice(
            "status", status or TicketStatus.NEW, [s for s in TicketStatus.values if s != "closed"]
        ),
        requester=requester,
        submitter=access.person(actor) or requester,
        assignee=active_agent(assignee, "assignee"),
        group=group,
        organization=org,
        channel=channel,
        product_line=choice(
            "product_line",
            product_line or (org.product_line if org else ""),
            ["", *ProductLine.values],
        ),
        preferred_region=choice(
            "preferred_region",
            preferred_region or (org.preferred_region if org else Region.ALL),
            Region.values,
        ),
        custom_fields=clean_custom_fields(custom_fields) if custom_fields else {},
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
        check_ccs(actor=actor, ticket=ticket, users=list(ccs), before=[])
        ticket.ccs.set(list(ccs))

    audit = Audit(ticket, actor, ticket.channel, now, kind=AuditEvent.Kind.CREATE)
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
    if ccs:
        audit.change("ccs", None, sorted(u.pk for u in ccs))
    tag_list = check_tag_count(normalize_tags(tags))
    if requester.role == Role.END_USER and org is None:
        tag_list.append(TAG_ENTITLEMENT_UNVERIFIED)
    tag_list = normalize_tags(tag_list)
    write_tags(ticket, tag_list, audit, current=())
    ticket.fresh_tags = tag_list

    first = Comment.objects.create(
        ticket=ticket,
        author=access.person(actor) or requester,
        body=description,
        public=public,
        channel=ticket.channel,
        metadata=comment_metadata or {},
        secret_findings=scan_findings(description),
        created_at=now,
    )
    audit.comment(first)
    posted = attach_files(Posted(first), uploaded_by=actor, files=files, keep_going=keep_going)
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
    posted.audit = audit.save()
    close_timer(ticket, TicketStatus.NEW)
    emit(TicketEvent(EventKind.CREATED, ticket, actor, now, dict(audit.changes), first))
    return posted


def create_ticket(**kwargs: Any) -> Ticket:
    """open_ticket, for callers that need only the ticket (same arguments)."""
    return open_ticket(**kwargs).ticket


def scan_findings(text: str) -> list[dict[str, Any]]:
    from switchboard.tickets.secret_scan import scan_text

    return [finding.as_dict() for finding in scan_text(text)]


@transaction.atomic
def follow_up(
    *,
    source: Ticket,
    actor: User,
    body: str,
    channel: str = Channel.WEB,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
    files: Sequence[NewFile] = (),
    keep_going: bool = False,
) -> Posted:
    """A new ticket linked to a closed one, with its tags (so close_by_merge can come back);
    `body` and `files` are its first message."""
    if source.status != TicketStatus.CLOSED:
        raise ValidationFailed(
            f"via_followup_source_id: ticket #{source.pk} is not closed; reply to it instead.",
            field="via_followup_source_id",
        )
    access.require_actor(actor)
    if not access.is_agent(actor):
        access.require(actor, source, access.Action.COMMENT)
    requester = source.requester if access.is_agent(actor) else actor
    posted = open_ticket(
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
        files=files,
        keep_going=keep_going,
    )
    ticket = posted.ticket
    ticket.follow_up_source = source
    ticket.save(update_fields=["follow_up_source"])
    audit = Audit(ticket, actor, channel, ticket.created_at)
    audit.change("via_followup_source_id", None, source.pk)
    audit.save()
    return posted


def create_follow_up(**kwargs: Any) -> Ticket:
    """follow_up, for callers that need only the new ticket (same arguments)."""
    return follow_up(**kwargs).ticket
