"""Request and response shapes, for validation of input and for the OpenAPI schema.

Handlers return ready-made JSON (render.py) for speed; the response models here describe it, and
the schemathesis test checks that every answer matches them.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt

# Ids are 64-bit signed database keys. Strict: `true` is not 1 (in Python a bool is an int, and a
# lax schema once made `"requester_id": true` mean user 1), and "12" is not 12.
MAX_ID = 2**63 - 1
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Loose(Schema):
    model_config = ConfigDict(extra="allow")


# --- errors ------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    description: str
    error: str


class RecordInvalid(Schema):
    error: str = Field(examples=["RecordInvalid"])
    description: str
    details: dict[str, list[ErrorDetail]] = {}


class SimpleError(Schema):
    error: str
    description: str | None = None


class ForbiddenBody(Schema):
    title: str
    message: str


class Forbidden(Schema):
    error: ForbiddenBody


ERRORS: dict[int, Any] = {
    400: SimpleError,
    401: SimpleError,
    403: Forbidden,
    404: SimpleError,
    413: SimpleError,
    409: SimpleError,
    422: RecordInvalid,
    429: SimpleError,
}


# --- shared pieces -----------------------------------------------------------------------------


class Via(Schema):
    channel: str
    source: dict[str, Any]


class CustomFieldValue(Schema):
    id: int
    value: Any = None


class CustomFieldValueIn(Schema):
    id: Id
    value: Any = None


class CursorMeta(Schema):
    has_more: bool
    after_cursor: str | None
    before_cursor: str | None


class CursorLinks(Schema):
    next: str | None
    prev: str | None


# --- tickets -----------------------------------------------------------------------------------


class TicketOut(Schema):
    id: int
    url: str
    external_id: str | None
    via: Via
    created_at: str
    updated_at: str
    type: str | None
    subject: str
    raw_subject: str
    description: str
    priority: str
    status: str
    recipient: str | None
    requester_id: int
    submitter_id: int | None
    assignee_id: int | None
    organization_id: int | None
    group_id: int | None
    collaborator_ids: list[int]
    follower_ids: list[int]
    email_cc_ids: list[int]
    has_incidents: bool
    is_public: bool
    due_at: str | None
    tags: list[str]
    custom_fields: list[CustomFieldValue]
    fields: list[CustomFieldValue]
    satisfaction_rating: Any = None
    followup_ids: list[int]
    via_followup_source_id: int | None
    product_line: str | None
    preferred_region: str
    solved_at: str | None
    sla_due_at: str | None


class AuditEventOut(Loose):
    id: int
    type: str


class AuditOut(Schema):
    id: int | None
    ticket_id: int
    created_at: str | None
    author_id: int | None
    via: Via
    metadata: dict[str, Any]
    events: list[AuditEventOut]


class AuditList(Schema):
    audits: list[AuditOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: CursorMeta | None = None
    links: CursorLinks | None = None


class TicketEnvelope(Schema):
    ticket: TicketOut


class TicketAuditEnvelope(Schema):
    ticket: TicketOut
    audit: AuditOut


class TicketList(Schema):
    tickets: list[TicketOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: CursorMeta | None = None
    links: CursorLinks | None = None


class CommentIn(Schema):
    body: str | None = None
    html_body: str | None = None
    public: StrictBool = True
    author_id: Id | None = None


class RequesterIn(Schema):
    name: str | None = None
    email: str


class TicketFields(Schema):
    """Writable ticket fields; on update every field is optional and only those sent change."""

    subject: str | None = None
    description: str | None = None
    comment: CommentIn | None = None
    requester_id: Id | None = None
    requester: RequesterIn | None = None
    submitter_id: Id | None = None
    assignee_id: Id | None = None
    group_id: Id | None = None
    organization_id: Id | None = None
    collaborator_ids: list[Id] | None = None
    type: str | None = None
    priority: str | None = None
    status: str | None = None
    tags: list[str] | None = None
    additional_tags: list[str] | None = None
    remove_tags: list[str] | None = None
    custom_fields: list[CustomFieldValueIn] | None = None
    external_id: str | None = None
    via_followup_source_id: Id | None = None
    product_line: str | None = None
    preferred_region: str | None = None
    # Zendesk's collision protection (PUT only): refuse with 409 if the ticket changed after
    # `updated_stamp` (its updated_at as read).
    safe_update: bool | None = None
    updated_stamp: str | None = None


class TicketIn(Schema):
    ticket: TicketFields


class CommentOut(Loose):
    id: int
    type: str
    author_id: int | None
    body: str
    html_body: str
    plain_body: str
    public: bool
    attachments: list[dict[str, Any]]
    via: Via
    created_at: str


class CommentList(Schema):
    comments: list[CommentOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: CursorMeta | None = None
    links: CursorLinks | None = None


class TagsIn(Schema):
    tags: list[str]


class TagsOut(Schema):
    tags: list[str]


# --- users and organizations -------------------------------------------------------------------


class UserOut(Loose):
    id: int
    url: str
    name: str
    email: str
    created_at: str
    updated_at: str
    time_zone: str
    organization_id: int | None
    role: str
    active: bool


class UserEnvelope(Schema):
    user: UserOut


class UserList(Schema):
    users: list[UserOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: CursorMeta | None = None
    links: CursorLinks | None = None


class UserFields(Schema):
    name: str | None = None
    email: str | None = None
    role: str | None = None
    organization_id: Id | None = None
    phone: str | None = None
    time_zone: str | None = None
    password: str | None = None
    user_fields: dict[str, Any] | None = None


class UserIn(Schema):
    user: UserFields


class OrganizationOut(Loose):
    id: int
    url: str
    name: str
    shared_tickets: bool
    shared_comments: bool
    domain_names: list[str]
    notes: str
    details: str
    organization_fields: dict[str, Any]
    created_at: str
    updated_at: str


class OrganizationEnvelope(Schema):
    organization: OrganizationOut


class OrganizationList(Schema):
    organizations: list[OrganizationOut]
    count: int | None = None
    next_page: str | None = None
    previous_page: str | None = None
    meta: CursorMeta | None = None
    links: CursorLinks | None = None


class OrganizationFields(Schema):
    name: str | None = None
    shared_tickets: StrictBool | None = None
    shared_comments: StrictBool | None = None
    domain_names: list[str] | None = None
    notes: str | None = None
    details: str | None = None
    external_id: str | None = None
    organization_fields: dict[str, Any] | None = None


class OrganizationIn(Schema):
    organization: OrganizationFields
