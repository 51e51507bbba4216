"""In the Django admin the record is read-only: audit events, comment bodies, authors and
public/internal flags, attachments and SLA clocks cannot be added, edited or deleted there.
Secrets are still redacted, through the audited action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from switchboard.accounts.tests.factories import AdminFactory, OrganizationFactory, UserFactory
from switchboard.sla.models import TicketClock
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import AuditEvent, Comment, TicketAudit

pytestmark = pytest.mark.django_db

TOKEN = "glpat-" + "A1b2C3d4E5f6G7h8I9j0"


@pytest.fixture
def superuser_client(client):
    client.force_login(AdminFactory(name="Root Admin"))
    return client


@pytest.fixture
def ticket(db):
    org = OrganizationFactory(name="Acme", support_level="priority")
    customer = UserFactory(name="Carol", organization=org)
    return create_ticket(
        actor=customer, subject="Token leak", description=f"my token is {TOKEN}", priority="urgent"
    )


def _url(model: str, view: str, *args):
    app = "sla" if model in ("ticketclock", "clockevent") else "tickets"
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def test_comment_body_author_and_visibility_cannot_be_edited(superuser_client, ticket):
    """The change page shows the comment without inputs; a forged POST changes nothing."""
    comment = Comment.objects.get(ticket=ticket)
    page = superuser_client.get(_url("comment", "change", comment.pk))
    assert page.status_code == 200
    assert b'name="body"' not in page.content and b'name="public"' not in page.content
    response = superuser_client.post(
        _url("comment", "change", comment.pk),
        {"ticket": ticket.pk, "author": "", "body": "rewritten", "public": "", "channel": "web"},
    )
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body.startswith("my token") and comment.public
    assert (
        superuser_client.post(_url("comment", "delete", comment.pk), {"post": "yes"}).status_code
        == 403
    )
    assert superuser_client.get(_url("comment", "add")).status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


@pytest.mark.parametrize("model", ["ticketaudit", "auditevent"])
def test_audit_events_cannot_be_added_edited_or_deleted(superuser_client, ticket, model):
    row = (
        TicketAudit.objects.filter(ticket=ticket).first()
        if model == "ticketaudit"
        else (AuditEvent.objects.filter(audit__ticket=ticket).first())
    )
    assert superuser_client.get(_url(model, "change", row.pk)).status_code == 200
    assert superuser_client.post(_url(model, "change", row.pk), {}).status_code == 403
    assert superuser_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert superuser_client.get(_url(model, "add")).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_sla_clocks_are_read_only(superuser_client, ticket):
    clock = TicketClock.objects.filter(ticket=ticket).first()
    assert clock is not None
    due = clock.due_at
    assert superuser_client.get(_url("ticketclock", "change", clock.pk)).status_code == 200
    response = superuser_client.post(
        _url("ticketclock", "change", clock.pk), {"state": "fulfilled", "due_at_0": "2000-01-01"}
    )
    assert response.status_code == 403
    assert (
        superuser_client.post(_url("ticketclock", "delete", clock.pk), {"post": "yes"}).status_code
        == 403
    )
    clock.refresh_from_db()
    assert clock.due_at == due


def test_redaction_from_the_admin_goes_through_the_audited_action(superuser_client, ticket):
    comment = Comment.objects.get(ticket=ticket)
    response = superuser_client.post(
        _url("comment", "changelist"),
        {"action": "redact_secrets", "_selected_action": [comment.pk]},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert TOKEN not in comment.body and comment.redacted_at is not None
    assert AuditEvent.objects.filter(audit__ticket=ticket, field="comment_redacted").exists()


def test_deleting_a_ticket_in_the_admin_is_recorded(superuser_client, ticket):
    from switchboard.accounts.models import AccountAuditEvent

    response = superuser_client.post(_url("ticket", "delete", ticket.pk), {"post": "yes"})
    assert response.status_code == 302
    assert AccountAuditEvent.objects.filter(field="ticket_deleted").exists()
