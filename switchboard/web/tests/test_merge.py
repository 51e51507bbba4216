"""Merging in the agent workspace asks first and says what will happen; across requesters and
organizations the carried conversation stays internal, and the portal shows neither customer
the other's words."""

from __future__ import annotations

from django.test import Client

from switchboard.accounts.tests.factories import OrganizationFactory, UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment, Ticket
from switchboard.web.tests.test_pages import text

SECRET = "acme-only-phrase-4471"


def _tickets(customer):
    globex = OrganizationFactory(name="Globex")
    gil = UserFactory(name="Gil Globex", email="gil@globex.test", organization=globex)
    source = create_ticket(actor=customer, subject="Acme build", description=f"Ours: {SECRET}")
    target = create_ticket(actor=gil, subject="Globex outage", description="Globex words")
    return gil, source, target


def _portal(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_cross_org_merge_confirmation_warns_and_offers_no_public_choice(agent_client, customer):
    """The confirmation names both requesters and organizations and says the conversation
    stays internal; it offers no "public" choice."""
    _gil, source, target = _tickets(customer)
    html = text(agent_client.get(f"/tickets/{source.pk}/merge", {"target": target.pk}))
    assert 'id="merge-warning"' in html and "stay <b>internal notes</b>" in html
    assert "Acme" in html and "Globex" in html
    assert 'value="public"' not in html
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


def test_cross_org_merge_forced_public_by_a_crafted_post_is_refused(agent_client, customer):
    """The server refuses visibility=public across organizations, whatever the page offered."""
    _gil, source, target = _tickets(customer)
    before = Comment.objects.count()
    response = agent_client.post(
        f"/tickets/{source.pk}/merge",
        {"target": target.pk, "visibility": "public", "confirm": "1"},
    )
    assert response.status_code == 422
    assert "stay internal" in text(response)
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None
    assert Comment.objects.count() == before


def test_cross_org_merge_shows_neither_customer_the_other_conversation(agent_client, customer):
    """After the merge Globex's requester reads the target in the portal without Acme's words,
    and Acme's requester gets 404 for the target and no trace of it on their own ticket."""
    gil, source, target = _tickets(customer)
    response = agent_client.post(
        f"/tickets/{source.pk}/merge", {"target": target.pk, "confirm": "1"}
    )
    assert response.status_code == 302
    # agents see the carried comment, labelled internal on this ticket
    agent_html = text(agent_client.get(f"/tickets/{target.pk}/"))
    assert SECRET in agent_html and "internal on this ticket" in agent_html

    globex_page = _portal(gil).get(f"/portal/tickets/{target.pk}/")
    assert globex_page.status_code == 200 and SECRET not in text(globex_page)

    acme = _portal(customer)
    assert acme.get(f"/portal/tickets/{target.pk}/").status_code == 404
    own = text(acme.get(f"/portal/tickets/{source.pk}/"))
    assert "Globex outage" not in own and "Globex words" not in own


def test_same_org_merge_can_be_made_public(agent_client, customer):
    """Two requesters of one organization: internal by default, public when the agent says so."""
    colleague = UserFactory(email="cy@acme.test", organization=customer.organization)
    source = create_ticket(actor=customer, subject="Dup", description="first words")
    target = create_ticket(actor=colleague, subject="Main", description="main words")
    html = text(agent_client.get(f"/tickets/{source.pk}/merge", {"target": target.pk}))
    assert 'value="public"' in html and 'value="internal" checked' in html
    agent_client.post(
        f"/tickets/{source.pk}/merge",
        {"target": target.pk, "visibility": "public", "confirm": "1"},
    )
    assert "first words" in text(_portal(colleague).get(f"/portal/tickets/{target.pk}/"))


def test_merge_target_that_is_not_a_ticket_number_is_a_422(agent_client, customer):
    """Letters, or a number too large to be a ticket id, are a 422 with a message."""
    source = create_ticket(actor=customer, subject="Dup", description="words")
    for target in ("abc", "9" * 30):
        response = agent_client.get(f"/tickets/{source.pk}/merge", {"target": target})
        assert response.status_code == 422 and "target: " in text(response)
