"""Every bad request gets its documented 4xx and leaves the database as it was."""

from __future__ import annotations

import pytest

from switchboard.accounts.models import Organization, User
from switchboard.tickets import actions
from switchboard.tickets.models import AuditEvent, Comment, Ticket, TicketAudit, TicketTag

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Ticket, Comment, TicketAudit, AuditEvent, TicketTag, User, Organization)
    }


def ticket_body(**fields):
    base = {"subject": "Help", "comment": {"body": "It broke."}}
    base.update(fields)
    return {"ticket": {k: v for k, v in base.items() if v is not ...}}


CASES = [
    # (name, method, path, body or raw bytes, status, error, detail field)
    (
        "missing subject",
        "POST",
        "tickets.json",
        ticket_body(subject=...),
        422,
        "RecordInvalid",
        "subject",
    ),
    (
        "blank subject",
        "POST",
        "tickets.json",
        ticket_body(subject="  "),
        422,
        "RecordInvalid",
        "subject",
    ),
    (
        "missing comment",
        "POST",
        "tickets.json",
        ticket_body(comment=...),
        422,
        "RecordInvalid",
        "description",
    ),
    (
        "unknown status",
        "POST",
        "tickets.json",
        ticket_body(status="frozen"),
        422,
        "RecordInvalid",
        "status",
    ),
    (
        "bad priority",
        "POST",
        "tickets.json",
        ticket_body(priority="sev0"),
        422,
        "RecordInvalid",
        "priority",
    ),
    (
        "unknown requester",
        "POST",
        "tickets.json",
        ticket_body(requester_id=987654),
        422,
        "RecordInvalid",
        "requester_id",
    ),
    (
        "unknown assignee",
        "POST",
        "tickets.json",
        ticket_body(assignee_id=987654),
        422,
        "RecordInvalid",
        "assignee_id",
    ),
    (
        "end-user as assignee",
        "POST",
        "tickets.json",
        ticket_body(assignee_id="CUSTOMER"),
        422,
        "RecordInvalid",
        "assignee_id",
    ),
    (
        "unknown tag chars",
        "POST",
        "tickets.json",
        ticket_body(tags=["ok", "no spaces!"]),
        422,
        "RecordInvalid",
        "tags",
    ),
    (
        "oversize subject",
        "POST",
        "tickets.json",
        ticket_body(subject="x" * 256),
        422,
        "RecordInvalid",
        "subject",
    ),
    (
        "oversize comment",
        "PUT",
        "tickets/TICKET.json",
        {"ticket": {"comment": {"body": "x" * 1_000_001}}},
        422,
        "RecordInvalid",
        "body",
    ),
    (
        "oversize request",
        "POST",
        "tickets.json",
        b'{"ticket": {"subject": "' + b"x" * 3_000_000 + b'"}}',
        413,
        "RequestTooLarge",
        None,
    ),
    (
        "subject of wrong type",
        "POST",
        "tickets.json",
        ticket_body(subject=42),
        422,
        "RecordInvalid",
        "subject",
    ),
    (
        "tags of wrong type",
        "POST",
        "tickets.json",
        ticket_body(tags="a,b"),
        422,
        "RecordInvalid",
        "tags",
    ),
    (
        "requester_id of wrong type",
        "POST",
        "tickets.json",
        ticket_body(requester_id="abc"),
        422,
        "RecordInvalid",
        "requester_id",
    ),
    ("ticket is a list", "POST", "tickets.json", {"ticket": [1, 2]}, 422, "RecordInvalid", None),
    ("body is not an object", "POST", "tickets.json", b"[1, 2]", 422, "RecordInvalid", None),
    (
        "malformed JSON",
        "POST",
        "tickets.json",
        b'{"ticket": {"subject": "x",}}',
        400,
        "InvalidJSON",
        None,
    ),
    ("not UTF-8", "POST", "tickets.json", b'{"ticket": "\xff"}', 400, "InvalidJSON", None),
    ("empty body", "POST", "tickets.json", b"", 422, "RecordInvalid", None),
    (
        "update unknown status",
        "PUT",
        "tickets/TICKET.json",
        {"ticket": {"status": "frozen"}},
        422,
        "RecordInvalid",
        "status",
    ),
    (
        "update bad priority + valid comment",
        "PUT",
        "tickets/TICKET.json",
        {"ticket": {"priority": "sev0", "comment": {"body": "would be lost"}}},
        422,
        "RecordInvalid",
        "priority",
    ),
    (
        "update to closed",
        "PUT",
        "tickets/TICKET.json",
        {"ticket": {"status": "closed"}},
        422,
        "RecordInvalid",
        "status",
    ),
    (
        "unknown custom field",
        "PUT",
        "tickets/TICKET.json",
        {"ticket": {"custom_fields": [{"id": 9999, "value": "x"}]}},
        422,
        "RecordInvalid",
        "custom_fields",
    ),
    (
        "missing ticket",
        "PUT",
        "tickets/987654.json",
        {"ticket": {"status": "open"}},
        404,
        "RecordNotFound",
        None,
    ),
    (
        "bad cursor",
        "GET",
        "tickets.json?page[after]=not-a-cursor",
        None,
        400,
        "InvalidPaginationParameter",
        None,
    ),
    (
        "tampered cursor",
        "GET",
        "tickets.json?page[after]=eyJpZCI6MX0:1xVFz6:AAAA",
        None,
        400,
        "InvalidPaginationParameter",
        None,
    ),
    (
        "page size too big",
        "GET",
        "tickets.json?page[size]=1000",
        None,
        422,
        "RecordInvalid",
        "page[size]",
    ),
    (
        "per_page too big",
        "GET",
        "tickets.json?per_page=101",
        None,
        422,
        "RecordInvalid",
        "per_page",
    ),
    ("page not a number", "GET", "tickets.json?page=abc", None, 422, "RecordInvalid", "page"),
    (
        "show_many bad ids",
        "GET",
        "tickets/show_many.json?ids=1,x",
        None,
        400,
        "InvalidPaginationParameter",
        None,
    ),
    (
        "unknown organization field",
        "POST",
        "organizations.json",
        {"organization": {"name": "N", "organization_fields": {"colour": "red"}}},
        422,
        "RecordInvalid",
        "organization_fields.colour",
    ),
    (
        "bad domain",
        "POST",
        "organizations.json",
        {"organization": {"name": "N", "domain_names": ["http://x"]}},
        422,
        "RecordInvalid",
        "domain_names",
    ),
    (
        "duplicate email",
        "POST",
        "users.json",
        {"user": {"name": "C", "email": "cara@acme.test"}},
        422,
        "RecordInvalid",
        "email",
    ),
    (
        "unknown role",
        "POST",
        "users.json",
        {"user": {"name": "C", "email": "c2@acme.test", "role": "boss"}},
        422,
        "RecordInvalid",
        "role",
    ),
    (
        "bad time zone",
        "PUT",
        "users/CUSTOMER.json",
        {"user": {"time_zone": "Mars/Base"}},
        422,
        "RecordInvalid",
        "time_zone",
    ),
    (
        "search syntax",
        "GET",
        'search.json?query=status:open%20"unterminated',
        None,
        400,
        "InvalidQuery",
        None,
    ),
    (
        "search past 1000",
        "GET",
        "search.json?query=type:ticket&page=11",
        None,
        422,
        "RecordInvalid",
        "page",
    ),
    (
        "incremental without start",
        "GET",
        "incremental/tickets.json",
        None,
        422,
        "RecordInvalid",
        "start_time",
    ),
    (
        "incremental bad cursor",
        "GET",
        "incremental/tickets/cursor.json?cursor=nope",
        None,
        400,
        "InvalidPaginationParameter",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status", "error", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_and_changes_nothing(
    admin_api, customer, name, method, path, body, status, error, field
):
    ticket = actions.create_ticket(
        actor=customer, requester=customer, subject="Existing", description="Existing ticket."
    )
    path = path.replace("TICKET", str(ticket.pk)).replace("CUSTOMER", str(customer.pk))
    ticket_fields = body.get("ticket") if isinstance(body, dict) else None
    if isinstance(ticket_fields, dict) and ticket_fields.get("assignee_id") == "CUSTOMER":
        body = {"ticket": {**body["ticket"], "assignee_id": customer.pk}}
    before = snapshot()
    url = f"/api/v2/{path}"
    kwargs = {"headers": admin_api.headers}
    if isinstance(body, bytes):
        kwargs.update(data=body, content_type="application/json")
    elif body is not None:
        import json

        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(admin_api.client, method.lower())(url, **kwargs)
    assert response.status_code == status, response.content[:500]
    payload = response.json()
    assert payload["error"] == error, payload
    if field is not None:
        assert field in payload["details"], payload
        for problem in payload["details"][field]:
            assert problem["description"] and problem["error"]
    assert snapshot() == before
