"""What a viewer may see of a ticket: the one projection every output path goes through.

The API, the portal, emails and notifications to requesters and CCs, webhooks and the chat bot
never read ticket, comment, audit or organization fields for output by hand: they ask this module
for a `TicketView` / the visible comments / the visible audit events / an `OrganizationView`, and
render that. Whether the viewer may see the ticket at all is `accounts.access`; what of it they
see is decided here, once:

- Agents, admins and the system see everything.
- End-users (and every customer-facing output) see: public comments only (internal notes never,
  including those of tickets merged into this one); a `description` that is the first *public*
  comment (never an internal first comment); custom fields that are active and
  `visible_in_portal` only; **no tags** (tags are the agents' working labels —
  `entitlement_unverified`, `close_by_merge`, routing tags — and are never shown to customers,
  nor searchable by them); no SLA due time and no `external_id` (integrations' ids); audit events
  only for the fields they can see (`CUSTOMER_AUDIT_FIELDS`) and for public comments; an
  organization without its notes and details.

The decisions are pure functions over model rows already loaded (`project_ticket`,
`project_comments`, `project_audit_events`, `project_organization`); `load_extras` fetches what
a batch of tickets needs in a fixed number of queries, and `ticket_view_for(user, ticket)` is the
one-call form for single tickets (emails, the chat bot).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from switchboard.accounts import access
from switchboard.accounts.models import Region
from switchboard.core.errors import NotFound
from switchboard.tickets.models import (
    AuditEvent,
    Comment,
    Priority,
    Ticket,
    TicketField,
    TicketStatus,
    TicketTag,
)
from switchboard.tickets.vocab import SEVERITY

# Audit fields an end-user may see change (an allow-list: a new internal field stays hidden).
CUSTOMER_AUDIT_FIELDS = frozenset(
    {
        "subject",
        "status",
        "priority",
        "ticket_type",
        "requester",
        "submitter",
        "assignee",
        "group",
        "organization",
        "ccs",
        "product_line",
        "preferred_region",
        "custom_fields",
        "follow_up_source",
        "via_followup_source_id",
        "merged_into",
    }
)


def sees_internal(viewer: access.Viewer) -> bool:
    """Whether the viewer reads internal notes, hidden fields, tags and org notes."""
    return access.is_staff_viewer(viewer)


# --- what a batch of tickets needs -------------------------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """A custom field definition, as far as the projection needs it."""

    id: int
    visible_in_portal: bool


@dataclass
class TicketExtras:
    """Related rows of one ticket, loaded for a batch by `load_extras`."""

    tags: list[str] = field(default_factory=list)
    cc_ids: list[int] = field(default_factory=list)
    follow_up_ids: list[int] = field(default_factory=list)
    # The first public comment's body ("" if none); None when not loaded (agents' batches).
    first_public_body: str | None = None


@dataclass
class Extras:
    """`load_extras`' answer: per-ticket rows and the active custom fields in position order."""

    by_ticket: dict[int, TicketExtras]
    fields: list[FieldInfo]

    def of(self, ticket_id: int) -> TicketExtras:
        return self.by_ticket.get(ticket_id) or TicketExtras()


def _related_rows(ticket_ids: list[int], *, descriptions: bool) -> list[tuple[str, int, str]]:
    """Tags, CC ids and follow-up ids of the tickets, the active custom field ids and, when
    `descriptions`, each ticket's first public comment, in one query: (kind, ticket id or field
    position, value). Kind 'x' = a field shown in the portal, 'h' = an agents-only field."""
    tag, ccs, ticket, fields, comment = (
        TicketTag._meta.db_table,
        Ticket.ccs.through._meta.db_table,
        Ticket._meta.db_table,
        TicketField._meta.db_table,
        Comment._meta.db_table,
    )
    marks = ", ".join(["%s"] * len(ticket_ids))
    query = (
        f"SELECT 't', ticket_id, name FROM {tag} WHERE ticket_id IN ({marks}) "  # noqa: S608
        f"UNION ALL SELECT 'c', ticket_id, CAST(user_id AS TEXT) FROM {ccs} "
        f"WHERE ticket_id IN ({marks}) "
        f"UNION ALL SELECT 'f', follow_up_source_id, CAST(id AS TEXT) FROM {ticket} "
        f"WHERE follow_up_source_id IN ({marks}) "
        f"UNION ALL SELECT CASE WHEN visible_in_portal THEN 'x' ELSE 'h' END, position, "
        f"CAST(id AS TEXT) FROM {fields} WHERE active"
    )
    params = ticket_ids * 3
    if descriptions:
        # The earliest public comment of each ticket (by created_at, then id).
        query += (
            f" UNION ALL SELECT 'd', c.ticket_id, c.body FROM {comment} c "  # noqa: S608
            f"WHERE c.ticket_id IN ({marks}) AND c.public AND NOT EXISTS (SELECT 1 FROM "
            f"{comment} e WHERE e.ticket_id = c.ticket_id AND e.public AND (e.created_at < "
            f"c.created_at OR (e.created_at = c.created_at AND e.id < c.id)))"
        )
        params += ticket_ids
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def load_extras(
    viewer: access.Viewer, tickets: Sequence[Ticket], *, descriptions: bool | None = None
) -> Extras:
    """What `project_ticket` needs for these tickets, in one query (for end-users it includes
    each ticket's first public comment, their `description`). `descriptions=True` loads those
    for any viewer: the answer then serves agents and end-users alike."""
    ids = [t.pk for t in tickets]
    end_user = not sees_internal(viewer) if descriptions is None else descriptions
    by_ticket: dict[int, TicketExtras] = {
        pk: TicketExtras(first_public_body="" if end_user else None) for pk in ids
    }
    fields: list[tuple[int, int, bool]] = []
    for kind, key, value in _related_rows(ids or [0], descriptions=end_user):
        if kind == "d":
            by_ticket[key].first_public_body = value
        elif kind == "t":
            by_ticket[key].tags.append(value)
        elif kind == "c":
            by_ticket[key].cc_ids.append(int(value))
        elif kind == "f":
            by_ticket[key].follow_up_ids.append(int(value))
        else:
            fields.append((key, int(value), kind == "x"))
    ordered = [FieldInfo(id=pk, visible_in_portal=shown) for _, pk, shown in sorted(fields)]
    return Extras(by_ticket=by_ticket, fields=ordered)


# --- the projection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketView:
    """A ticket as one viewer may see it. Output code renders this, never the model."""

    id: int
    subject: str
    description: str
    status: str
    priority: str
    ticket_type: str
    channel: str
    requester_id: int
    submitter_id: int | None
    assignee_id: int | None
    group_id: int | None
    organization_id: int | None
    cc_ids: list[int]
    tags: list[str]
    custom_fields: list[tuple[int, Any]]  # (field id, value) in field position order
    follow_up_ids: list[int]
    follow_up_source_id: int | None
    merged_into_id: int | None
    product_line: str
    preferred_region: str
    external_id: str
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None
    sla_due_at: datetime | None
    internal: bool  # True when this is the agents' (full) view

    @property
    def status_label(self) -> str:
        return TicketStatus(self.status).label

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    @property
    def severity(self) -> int:
        return SEVERITY[self.priority]

    @property
    def preferred_region_label(self) -> str:
        return Region(self.preferred_region).label

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED


def project_ticket(
    viewer: access.Viewer, ticket: Ticket, extras: TicketExtras, fields: Sequence[FieldInfo]
) -> TicketView:
    """`ticket` as `viewer` may see it. NotFound if they may not see it at all.

    `extras` and `fields` come from `load_extras` (for end-users, with `first_public_body`)."""
    facts = access.TicketFacts(
        requester_id=ticket.requester_id,
        organization_id=ticket.organization_id,
        cc_ids=frozenset(extras.cc_ids),
    )
    if not access.decide(viewer, facts, access.Action.VIEW):
        raise NotFound()
    values = ticket.custom_fields or {}
    full = TicketView(
        id=ticket.pk,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority,
        ticket_type=ticket.ticket_type,
        channel=ticket.channel,
        requester_id=ticket.requester_id,
        submitter_id=ticket.submitter_id,
        assignee_id=ticket.assignee_id,
        group_id=ticket.group_id,
        organization_id=ticket.organization_id,
        cc_ids=sorted(extras.cc_ids),
        tags=sorted(extras.tags),
        custom_fields=[(f.id, values.get(str(f.id))) for f in fields],
        follow_up_ids=sorted(extras.follow_up_ids),
        follow_up_source_id=ticket.follow_up_source_id,
        merged_into_id=ticket.merged_into_id,
        product_line=ticket.product_line,
        preferred_region=ticket.preferred_region,
        external_id=ticket.external_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        solved_at=ticket.solved_at,
        sla_due_at=ticket.sla_due_at,
        internal=True,
    )
    if sees_internal(viewer):
        return full
    if extras.first_public_body is None:
        raise ValueError("load_extras did not load the first public comment for an end-user")
    return replace(
        full,
        description=extras.first_public_body,
        tags=[],
        custom_fields=[(f.id, values.get(str(f.id))) for f in fields if f.visible_in_portal],
        external_id="",
        sla_due_at=None,
        internal=False,
    )


def project_tickets(viewer: access.Viewer, tickets: Sequence[Ticket]) -> list[TicketView]:
    """A batch of tickets (already filtered by `access.visible_tickets`), in their order."""
    extras = load_extras(viewer, tickets)
    return [project_ticket(viewer, t, extras.of(t.pk), extras.fields) for t in tickets]


def ticket_view_for(user: Any, ticket: Ticket, *, extras: Extras | None = None) -> TicketView:
    """The one-call form for a single ticket (emails, the chat bot, a ticket page): the ticket
    as `user` (a User or `access.SYSTEM`) may see it; NotFound if they may not. `extras`: what
    `load_extras` answered for this ticket (with descriptions for an end-user), if in hand."""
    viewer = access.viewer_for(user)
    if extras is None:
        return project_tickets(viewer, [ticket])[0]
    return project_ticket(viewer, ticket, extras.of(ticket.pk), extras.fields)


# --- comments ----------------------------------------------------------------------------------


def comment_visible(viewer: access.Viewer, comment: Comment) -> bool:
    """Agents read every comment; end-users a public one — and, for a comment loaded by
    `queries.comments_for`, only if it is shown public on that ticket (`shown_public`: a public
    reply carried in by a merge that kept it internal is an internal note there)."""
    if sees_internal(viewer):
        return True
    return bool(comment.public and getattr(comment, "shown_public", True))


def project_comments(viewer: access.Viewer, comments: Iterable[Comment]) -> list[Comment]:
    """The comments the viewer may read (end-users: public replies only)."""
    return [c for c in comments if comment_visible(viewer, c)]


def shown_public_q(ticket: Ticket) -> Q:
    """Comments that `ticket`'s requester side sees on it: its own public replies, and the public
    replies carried by reference from tickets merged into it only when that merge kept them
    public (Ticket.merged_comments_public; a merge across requesters or organizations does not)."""
    return Q(public=True) & (Q(ticket_id=ticket.pk) | Q(ticket__merged_comments_public=True))


def visible_comments(
    viewer: access.Viewer, comments: QuerySet[Comment], *, on_ticket: Ticket | None = None
) -> QuerySet[Comment]:
    """The same rule as a queryset filter, for paginated lists. `on_ticket`: the ticket whose
    conversation is shown, so that comments carried into it by a merge follow shown_public_q."""
    if sees_internal(viewer):
        return comments
    if on_ticket is not None:
        return comments.filter(shown_public_q(on_ticket))
    return comments.filter(public=True)


def comments_q(viewer: access.Viewer, prefix: str = "") -> Q:
    """The same rule as a Q over comments (`prefix` e.g. "comments__" from tickets), for
    search: an end-user never finds a ticket by words only an internal note holds."""
    if sees_internal(viewer):
        return Q()
    return Q(**{f"{prefix}public": True})


# --- audits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEventView:
    id: int
    kind: str
    field: str
    from_value: Any
    to_value: Any
    comment: Comment | None


def project_audit_events(
    viewer: access.Viewer, events: Iterable[AuditEvent], fields: Sequence[FieldInfo]
) -> list[AuditEventView]:
    """Audit events the viewer may see: end-users see changes to `CUSTOMER_AUDIT_FIELDS`
    (custom fields narrowed to the portal's) and public comments only."""
    internal = sees_internal(viewer)
    shown_fields = {str(f.id) for f in fields if f.visible_in_portal}
    out = []
    for e in events:
        view = AuditEventView(
            id=e.pk,
            kind=e.kind,
            field=e.field,
            from_value=e.from_value,
            to_value=e.to_value,
            comment=e.comment,
        )
        if internal:
            out.append(view)
            continue
        if e.kind == AuditEvent.Kind.COMMENT:
            if e.comment is not None and e.comment.public:
                out.append(view)
            continue
        if e.field not in CUSTOMER_AUDIT_FIELDS:
            continue
        if e.field == "custom_fields":
            before = _only(e.from_value, shown_fields)
            after = _only(e.to_value, shown_fields)
            if before == after:
                continue
            view = replace(view, from_value=before, to_value=after)
        out.append(view)
    return out


def _only(values: Any, keys: set[str]) -> Any:
    if not isinstance(values, dict):
        return values
    return {k: v for k, v in values.items() if k in keys}


# --- organizations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationView:
    """An organization as the viewer may see it: agents get everything, members of the
    organization get no notes and no details (those are agents' working notes)."""

    organization: Any
    notes: str
    details: str
    internal: bool


def project_organization(viewer: access.Viewer, organization: Any) -> OrganizationView:
    if sees_internal(viewer):
        return OrganizationView(organization, organization.notes, organization.details, True)
    if viewer.organization_id != organization.pk:
        raise NotFound()
    return OrganizationView(organization, "", "", False)
