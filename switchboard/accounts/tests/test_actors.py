"""One role helper with an explicit system actor: `access.SYSTEM` has agent rights, None is
nobody everywhere (it used to mean "agent" in the ticket and account actions and "nobody" in
attachments)."""

from __future__ import annotations

import pytest

from switchboard.accounts import access
from switchboard.accounts import actions as account_actions
from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import Role
from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.core.errors import PermissionDenied
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket, TicketAudit


def test_the_role_helper_knows_system_and_nobody():
    assert access.is_agent(SYSTEM) is True
    assert access.is_agent(None) is False
    assert access.person(SYSTEM) is None
    assert access.is_staff_viewer(access.viewer_for(SYSTEM))
    assert not access.is_staff_viewer(access.viewer_for(None))


@pytest.mark.django_db
def test_queryset_form_for_system_and_nobody():
    customer = UserFactory()
    ticket = create_ticket(actor=customer, subject="Hi", description="x")
    assert list(access.visible_tickets(SYSTEM, Ticket.objects.all())) == [ticket]
    assert list(access.visible_tickets(None, Ticket.objects.all())) == []
    inactive_agent = AgentFactory(is_active=False)
    assert list(access.visible_tickets(inactive_agent, Ticket.objects.all())) == []


@pytest.mark.django_db
def test_ticket_actions_refuse_a_missing_actor():
    """None is not a stand-in for the system: every write names its actor."""
    customer = UserFactory()
    ticket = create_ticket(actor=customer, subject="Hi", description="x")
    with pytest.raises(TypeError, match="SYSTEM"):
        update_ticket(ticket=ticket, actor=None, priority="urgent")
    with pytest.raises(TypeError, match="SYSTEM"):
        add_comment(ticket=ticket, author=None, body="note", public=False)
    with pytest.raises(TypeError, match="SYSTEM"):
        create_ticket(actor=None, requester=customer, subject="Hi", description="x")
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and ticket.comments.count() == 1


@pytest.mark.django_db
def test_system_writes_are_recorded_as_no_person():
    customer = UserFactory()
    ticket = create_ticket(actor=customer, subject="Hi", description="x")
    update_ticket(ticket=ticket, actor=SYSTEM, via="system", priority="high")
    audit = TicketAudit.objects.filter(ticket=ticket).latest("pk")
    assert audit.actor_id is None and audit.via == "system"
    note = add_comment(ticket=ticket, author=SYSTEM, body="Automated note", public=False)
    assert note.author_id is None and not note.public


@pytest.mark.django_db
def test_account_actions_refuse_a_missing_actor_for_roles():
    """Creating an admin used to be allowed with actor=None; now only SYSTEM or an admin may."""
    with pytest.raises(TypeError):
        account_actions.create_user(actor=None, email="root@evil.test", role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        account_actions.create_user(actor=AgentFactory(), email="root@evil.test", role=Role.ADMIN)
    made = account_actions.create_user(actor=SYSTEM, email="ops@switchboard.test", role=Role.AGENT)
    assert made.role == Role.AGENT


@pytest.mark.django_db
def test_redaction_needs_a_person():
    from switchboard.tickets.attachments import redact_comment

    customer = UserFactory()
    ticket = create_ticket(actor=customer, subject="Hi", description="token abc")
    comment = ticket.comments.get()
    with pytest.raises(PermissionDenied):
        redact_comment(actor=SYSTEM, comment=comment)
    with pytest.raises(PermissionDenied):
        redact_comment(actor=None, comment=comment)
