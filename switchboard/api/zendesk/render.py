"""Model rows → Zendesk API v2 JSON shapes, through `tickets.projection` (what the caller may see).
Nothing here runs a query per row: tickets load their tags, CCs and follow-ups in one query per
batch; other rows come with what they need prefetched."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from typing import Any

from django.http import HttpRequest

from switchboard.accounts import access
from switchboard.accounts.models import Organization, OrgSharing, Role, User
from switchboard.csat.queries import can_see_rating_in_ticket, latest_ratings
from switchboard.tickets import projection
from switchboard.tickets.models import (
    AuditEvent,
    Comment,
    Macro,
    Ticket,
    TicketAudit,
    TicketField,
    View,
)

# Switchboard field names → Zendesk's, in audit events and error details.
ZENDESK_FIELD = {
    "ticket_type": "type",
    "requester": "requester_id",
    "assignee": "assignee_id",
    "group": "group_id",
    "organization": "organization_id",
    "ccs": "collaborator_ids",
    "follow_up_source": "via_followup_source_id",
}
ROLE_OUT = {Role.END_USER: "end-user", Role.AGENT: "agent", Role.ADMIN: "admin"}
ROLE_IN = {"end-user": Role.END_USER, "end_user": Role.END_USER, "agent": "agent", "admin": "admin"}
SHARING_FLAGS = {
    OrgSharing.OWN: (False, False),
    OrgSharing.VIEW_ALL: (True, False),
    OrgSharing.VIEW_COMMENT_ALL: (True, True),
    OrgSharing.SELECTED_VIEW: (False, False),
    OrgSharing.SELECTED_VIEW_COMMENT: (False, False),
}


def iso(value: datetime | date | None) -> str | None:
    """ISO-8601 in UTC with a Z, to the second, as Zendesk writes times."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def via(channel: str) -> dict[str, Any]:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


class Renderer:
    """Renders rows for one request, as the caller (`request.auth`) may see them: every ticket,
    comment, audit and organization goes through `tickets.projection` first. Absolute URLs come
    from the request's host; a batch of tickets loads its tags, CCs, follow-ups and custom field
    definitions in one query (`prepare`), plus one for an end-user's descriptions."""

    def __init__(self, request: HttpRequest) -> None:
        self.base = request.build_absolute_uri("/api/v2/")
        self.viewer = access.viewer_for(getattr(request, "auth", None))
        self.extras: projection.Extras | None = None
        self.caller = getattr(request, "auth", None)
        self._ratings: dict[int, Any] = {}

    def url(self, path: str) -> str:
        return self.base + path

    def prepare(self, tickets: list[Ticket], *, rated: bool = True) -> None:
        """`rated=False`: tickets known to have no rating (created by this request)."""
        self.extras = projection.load_extras(self.viewer, tickets)
        self._ratings = latest_ratings([t.pk for t in tickets]) if rated else {}

    def tickets(self, tickets: list[Ticket], *, rated: bool = True) -> list[dict[str, Any]]:
        self.prepare(tickets, rated=rated)
        return [self.ticket(t) for t in tickets]

    # --- tickets ----------------------------------------------------------------------------

    def ticket(self, t: Ticket) -> dict[str, Any]:
        """Call `prepare` with the ticket first (or use `tickets`)."""
        if self.extras is None:
            raise RuntimeError("Renderer.prepare(tickets) must run before Renderer.ticket")
        v = projection.project_ticket(self.viewer, t, self.extras.of(t.pk), self.extras.fields)
        custom = [{"id": fid, "value": value} for fid, value in v.custom_fields]
        return {
            "id": v.id,
            "url": self.url(f"tickets/{v.id}.json"),
            "external_id": v.external_id or None,
            "via": via(v.channel),
            "created_at": iso(v.created_at),
            "updated_at": iso(v.updated_at),
            "type": v.ticket_type or None,
            "subject": v.subject,
            "raw_subject": v.subject,
            "description": v.description,
            "priority": v.priority,
            "status": v.status,
            "recipient": None,
            "requester_id": v.requester_id,
            "submitter_id": v.submitter_id,
            "assignee_id": v.assignee_id,
            "organization_id": v.organization_id,
            "group_id": v.group_id,
            "collaborator_ids": v.cc_ids,
            "follower_ids": [],
            "email_cc_ids": v.cc_ids,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": v.tags,
            "custom_fields": custom,
            "fields": custom,
            "satisfaction_rating": self.satisfaction(t),
            "followup_ids": v.follow_up_ids,
            "via_followup_source_id": v.follow_up_source_id,
            "product_line": v.product_line or None,
            "preferred_region": v.preferred_region,
            "solved_at": iso(v.solved_at),
            "sla_due_at": iso(v.sla_due_at),
        }

    def satisfaction(self, t: Ticket) -> dict[str, Any] | None:
        """The ticket's current rating, for agents who see the ticket and for its requester."""
        rating = self._ratings.get(t.pk)
        if rating is None or not can_see_rating_in_ticket(self.caller, t):
            return None
        return {
            "id": rating.pk,
            "score": rating.score,
            "comment": rating.comment or None,
            "reason_code": rating.reason_code,
        }

    # --- comments and audits ----------------------------------------------------------------

    def comments(self, comments: list[Comment]) -> list[dict[str, Any]]:
        """Needs `attachments` prefetched. Comments the caller may not read are left out."""
        return [self.comment(c) for c in projection.project_comments(self.viewer, comments)]

    def comment(self, c: Comment) -> dict[str, Any]:
        """Use `comments` (which projects); needs `attachments` prefetched."""
        body = c.body
        return {
            "id": c.pk,
            "type": "Comment",
            "author_id": c.author_id,
            "body": body,
            "html_body": "<p>" + html.escape(body).replace("\n", "<br>") + "</p>",
            "plain_body": body,
            # A public reply carried from an internal merge is internal on this ticket.
            "public": getattr(c, "shown_public", c.public),
            "attachments": [
                {
                    "id": a.pk,
                    "file_name": a.filename,
                    "content_url": self.url(f"attachments/{a.pk}"),
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in c.attachments.all()
            ],
            "via": via(c.channel),
            "metadata": {},
            "created_at": iso(c.created_at),
            "ticket_id": c.ticket_id,
        }

    def audit(self, audits: list[TicketAudit]) -> dict[str, Any]:
        """One Zendesk audit from the audits a request wrote (usually one), with the events the
        caller may see (end-users: no internal notes, tags or agents-only fields)."""
        first = audits[0]
        if self.extras is None:  # the field definitions decide which custom field changes show
            self.extras = projection.load_extras(self.viewer, [])
        events: list[dict[str, Any]] = []
        for audit in audits:
            visible = projection.project_audit_events(
                self.viewer, audit.events.all(), self.extras.fields
            )
            events.extend(self.audit_event(event) for event in visible)
        return {
            "id": first.pk,
            "ticket_id": first.ticket_id,
            "created_at": iso(first.created_at),
            "author_id": first.actor_id,
            "via": via(first.via),
            "metadata": {},
            "events": events,
        }

    def audit_event(self, e: projection.AuditEventView) -> dict[str, Any]:
        if e.kind == AuditEvent.Kind.COMMENT:
            c = e.comment
            return {
                "id": e.id,
                "type": "Comment",
                "body": c.body if c else "",
                "public": c.public if c else False,
                "author_id": c.author_id if c else None,
                "attachments": [],
            }
        out: dict[str, Any] = {
            "id": e.id,
            "type": e.kind,
            "field_name": ZENDESK_FIELD.get(e.field, e.field),
            "value": e.to_value,
        }
        if e.kind == AuditEvent.Kind.CHANGE:
            out["previous_value"] = e.from_value
        return out

    # --- people -----------------------------------------------------------------------------

    def user(self, u: User) -> dict[str, Any]:
        return {
            "id": u.pk,
            "url": self.url(f"users/{u.pk}.json"),
            "name": u.name or u.email,
            "email": u.email,
            "created_at": iso(u.created_at),
            "updated_at": iso(u.updated_at),
            "time_zone": u.time_zone,
            "iana_time_zone": u.time_zone,
            "phone": u.phone or None,
            "organization_id": u.organization_id,
            "role": ROLE_OUT.get(u.role, u.role),
            "active": u.is_active,
            "verified": True,
            "suspended": False,
            "shared": False,
            "tags": [],
            "user_fields": {
                "ticket_access": u.ticket_access,
                "is_sold_to_contact": u.is_sold_to_contact,
                "region": u.region,
            },
            "last_login_at": iso(u.last_login),
        }

    def organization(self, o: Organization) -> dict[str, Any]:
        """Needs `domains` prefetched. End-users (their own organization only) get no notes and
        no details."""
        shown = projection.project_organization(self.viewer, o)
        shared_tickets, shared_comments = SHARING_FLAGS[OrgSharing(o.sharing)]
        return {
            "id": o.pk,
            "url": self.url(f"organizations/{o.pk}.json"),
            "name": o.name,
            "shared_tickets": shared_tickets,
            "shared_comments": shared_comments,
            "domain_names": sorted(d.domain for d in o.domains.all()),
            "notes": shown.notes,
            "details": shown.details,
            "external_id": o.crm_account_id,
            "group_id": None,
            "tags": [],
            "organization_fields": {
                "sharing": o.sharing,
                "support_level": o.support_level,
                "plan": o.plan,
                "product_line": o.product_line,
                "preferred_region": o.preferred_region,
                "is_internal": o.is_internal,
                "collaboration_project_url": o.collaboration_project_url,
            },
            "created_at": iso(o.created_at),
            "updated_at": iso(o.updated_at),
        }

    # --- configuration ----------------------------------------------------------------------

    def ticket_field(self, f: TicketField) -> dict[str, Any]:
        return {
            "id": f.pk,
            "url": self.url(f"ticket_fields/{f.pk}.json"),
            "type": f.field_type,
            "key": f.key,
            "title": f.title,
            "description": f.description,
            "position": f.position,
            "active": f.active,
            "required": f.required,
            "visible_in_portal": f.visible_in_portal,
            "custom_field_options": [
                {"name": str(o.get("name", "")), "value": str(o.get("value", ""))}
                for o in (f.options or [])
                if isinstance(o, dict)
            ],
            "created_at": iso(f.created_at),
            "updated_at": iso(f.updated_at),
        }

    def macro(self, m: Macro) -> dict[str, Any]:
        return {
            "id": m.pk,
            "url": self.url(f"macros/{m.pk}.json"),
            "title": m.title,
            "description": m.description or None,
            "actions": m.actions,
            "active": m.active,
            "position": m.position,
            "restriction": (
                {"type": "Group", "id": m.restricted_to_group_id}
                if m.restricted_to_group_id
                else None
            ),
            "created_at": iso(m.created_at),
            "updated_at": iso(m.updated_at),
        }

    def view(self, v: View) -> dict[str, Any]:
        conditions = v.conditions or {}
        return {
            "id": v.pk,
            "url": self.url(f"views/{v.pk}.json"),
            "title": v.title,
            "active": v.active,
            "position": v.position,
            "conditions": {"all": conditions.get("all", []), "any": conditions.get("any", [])},
            "execution": {
                "sort_by": v.sort_by,
                "sort_order": v.sort_order,
                "columns": v.columns or [],
            },
            "restriction": {"type": "User", "id": v.owner_id} if v.owner_id else None,
            "created_at": iso(v.created_at),
            "updated_at": iso(v.updated_at),
        }
