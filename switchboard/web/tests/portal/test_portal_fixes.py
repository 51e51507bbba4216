"""Portal: the requester marks a ticket solved; an unconfirmed registrant who signs in is told to
confirm and can have the link resent (rate-limited, the same answer for every address); page
numbers past the end or not numbers are an empty or first page, never an error — in the portal
and in the agent workspace's paged pages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from switchboard.accounts import actions as account_actions
from switchboard.tickets.models import TicketAudit, View
from switchboard.web.tests.portal.conftest import member, open_ticket
from switchboard.web.tests.portal.test_accounts import (
    GOOD_PASSWORD,
    link_in,
    register,
    sent_mail,
)

pytestmark = pytest.mark.django_db


# --- mark solved ---------------------------------------------------------------------------------


def test_requester_marks_their_ticket_solved(client_for, alice):
    ticket = open_ticket(alice)
    client = client_for(alice)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="mark-solved"' in page
    response = client.post(f"/portal/tickets/{ticket.pk}/solve")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.solved_at is not None
    audit = TicketAudit.objects.filter(ticket=ticket, actor=alice).order_by("-pk").first()
    assert audit is not None and audit.via == "web"
    assert "status" in {e.field for e in audit.events.all()}
    after = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="mark-solved"' not in after and "marked as solved" in after


def test_ccd_users_and_colleagues_cannot_mark_solved(client_for, org, alice, bob, agent):
    org.sharing = "view_comment_all"
    org.save()
    ticket = open_ticket(alice)  # bob sees and comments on it through the sharing setting
    from switchboard.tickets.actions.update import update_ticket

    carol = member(org, "carol@acme.test")
    update_ticket(ticket=ticket, actor=agent, ccs=[carol])
    for user in (bob, carol):
        client = client_for(user)
        page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
        assert 'id="mark-solved"' not in page
        response = client.post(f"/portal/tickets/{ticket.pk}/solve")
        assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status != "solved"


def test_closed_tickets_cannot_be_marked_solved(client_for, alice, agent):
    from switchboard.accounts.access import SYSTEM
    from switchboard.tickets.actions.update import update_ticket

    ticket = open_ticket(alice)
    update_ticket(ticket=ticket, actor=agent, status="solved")
    update_ticket(ticket=ticket, actor=SYSTEM, status="closed")
    client = client_for(alice)
    assert 'id="mark-solved"' not in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    response = client.post(f"/portal/tickets/{ticket.pk}/solve")
    assert response.status_code == 422 and "closed" in response.content.decode()


def test_mark_solved_needs_post_csrf_and_access(alice, bob, client_for):
    ticket = open_ticket(alice)
    assert client_for(alice).get(f"/portal/tickets/{ticket.pk}/solve").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/portal/tickets/{ticket.pk}/solve").status_code == 403
    # bob (org setting "own") cannot see it: the same 404 as a missing ticket
    assert client_for(bob).post(f"/portal/tickets/{ticket.pk}/solve").status_code == 404
    assert client_for(bob).post("/portal/tickets/999999/solve").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new"


# --- unconfirmed sign-in and resend --------------------------------------------------------------


def test_unconfirmed_registrant_is_told_to_confirm_and_can_resend(client, org):
    register(client, "dana@acme.test")
    mail.outbox.clear()
    sent_mail()
    mail.outbox.clear()
    response = Client().post("/login/", {"username": "dana@acme.test", "password": GOOD_PASSWORD})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please confirm your email address first" in page
    assert 'id="resend-confirmation"' in page
    resend = Client().post("/portal/register/resend", {"email": "dana@acme.test"})
    assert resend.status_code == 200 and 'id="resend-sent"' in resend.content.decode()
    sent = sent_mail()
    assert len(sent) == 1 and sent[0].to == ["dana@acme.test"]
    confirm = Client().get(link_in(sent[0]))
    assert confirm.status_code == 302 and confirm["Location"] == "/portal/"


def test_a_wrong_password_says_nothing_about_confirmation(client, org):
    register(client, "dana@acme.test")
    response = Client().post("/login/", {"username": "dana@acme.test", "password": "wrong-one"})
    page = response.content.decode()
    assert "confirm" not in page.lower()
    assert 'id="resend-confirmation"' not in page


def test_resend_answers_the_same_for_every_address(client, org, alice):
    """Unknown, confirmed and removed accounts get the same page and no email."""
    removed = member(org, "gone@acme.test")
    account_actions.update_user(actor=account_actions.SYSTEM, user=removed, is_active=False)
    register(client, "dana@acme.test")
    sent_mail()
    mail.outbox.clear()
    pages = []
    for email in ("nobody@acme.test", alice.email, "gone@acme.test", "dana@acme.test"):
        response = Client().post("/portal/register/resend", {"email": email})
        assert response.status_code == 200
        pages.append(response.content.decode().replace(email, "ADDRESS"))
    assert len(set(pages)) == 1
    assert [m.to for m in sent_mail()] == [["dana@acme.test"]]


def test_resend_is_rate_limited(client, org, settings):
    settings.SWITCHBOARD_PORTAL_RATE_LIMIT = 10
    register(client, "dana@acme.test")
    codes = [
        Client().post("/portal/register/resend", {"email": "dana@acme.test"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]  # three per address per ten minutes
    bad = Client().post("/portal/register/resend", {"email": "not an email"})
    assert bad.status_code == 422


# --- page numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["999", "0", "abc", "-1", "99999999999999999999"])
def test_portal_pages_past_the_end_or_not_numbers_are_not_errors(client_for, org, alice, page):
    org.sharing = "view_all"
    org.save()
    open_ticket(alice, subject="First one")
    client = client_for(alice)
    for param in ("page", "org_page"):
        response = client.get(f"/portal/?{param}={page}")
        assert response.status_code == 200, (param, page)
        html = response.content.decode()
        if page == "999":
            assert "Nothing on page 999" in html
        else:
            assert "First one" in html  # the first page


@pytest.mark.parametrize("page", ["999", "0", "abc", "99999999999999999999"])
def test_agent_paged_pages_past_the_end_or_not_numbers_are_not_errors(client, agent, page):
    client.force_login(agent)
    view = View.objects.get(title="Unassigned tickets")
    for url in (
        f"/views/{view.pk}/?page={page}",
        f"/search?q=status<closed&page={page}",
        f"/crm/integrity/?page={page}",
        f"/users/{agent.pk}/?page={page}&cc_page={page}&assigned_page={page}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
