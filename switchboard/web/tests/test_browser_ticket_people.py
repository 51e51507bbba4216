"""New tickets for a customer with a CC, and the reply toggle, in a real browser (Chromium)."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.models import OrganizationDomain, User
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.notify.outbox.models import Delivery
from switchboard.notify.rules.shipped import seed
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment, Ticket
from switchboard.web.tests.conftest import install_shipped_config
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk():
    """An agent and a customer of Initech (domain initech.test), with the shipped rules."""
    install_shipped_config()
    seed(environ={})  # the shipped triggers (a transactional test's flush removed them)
    agent = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    org = OrganizationFactory(name="Initech", support_level="priority", preferred_region="amer")
    OrganizationDomain.objects.create(organization=org, domain="initech.test")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    return agent, customer


def new_ticket_with_a_cc(page, assignee: str) -> None:
    """From the header's "New ticket": a task for Peter (picked by name) with samir@initech.test
    copied, assigned to `assignee`, with a public first comment; waits for the ticket page."""
    page.click("nav >> text=New ticket")
    page.wait_for_url(re.compile(r"/tickets/new$"))
    page.fill("#nt-requester", "Peter")  # the picker offers people by name
    page.locator("#people-options option[value='peter@initech.test']").wait_for(state="attached")
    page.fill("#nt-requester", "peter@initech.test")
    page.fill("#nt-ccs", "samir@initech.test")
    page.fill("#nt-subject", "Your TLS certificate expires on Friday")
    page.select_option("#nt-type", "task")
    page.select_option("#nt-priority", "high")
    page.select_option("#nt-assignee", label=assignee)
    page.check("#nt-visibility input[value=public]")
    page.fill("#nt-body", "Renew it before Friday; the steps are below.")
    page.click("#nt-submit")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))


def test_agent_creates_a_ticket_for_a_customer_with_a_cc(page, desk):
    agent, customer = desk
    sign_in(page, agent.email)
    page.wait_for_url(re.compile(r"/$"))

    new_ticket_with_a_cc(page, "Ada Agent")
    ticket = Ticket.objects.get(subject="Your TLS certificate expires on Friday")
    assert page.url.endswith(f"/tickets/{ticket.pk}/")
    cc = page.locator("#ccs li[data-cc='samir@initech.test']")
    assert cc.is_visible()
    assert page.locator(".comment.public", has_text="Renew it before Friday").count() == 1
    samir = User.objects.get(email="samir@initech.test")
    assert samir.organization == customer.organization
    assert ticket.requester == customer and ticket.assignee == agent

    # the test mail outbox: the requester and the CC each got the first comment
    mails = {d.recipient: d for d in Delivery.objects.filter(ticket=ticket, channel="email")}
    for address in ("peter@initech.test", "samir@initech.test"):
        assert "Renew it before Friday" in mails[address].payload["text"]

    # the CC is removed from the ticket page (HTMX swaps the page in place)
    page.click("#ccs li[data-cc='samir@initech.test'] button")
    page.locator("#ccs", has_text="Nobody is copied.").wait_for()
    assert not ticket.ccs.exists()


def test_the_reply_toggle_keeps_the_agents_choice(page, desk):
    agent, customer = desk
    ticket = create_ticket(
        actor=customer, requester=customer, subject="Registry 500", description="Push fails."
    )
    sign_in(page, agent.email)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/tickets/{ticket.pk}/")
    assert page.is_checked("#reply-visibility input[value=public]")

    page.check("#reply-visibility input[value=internal]")
    page.fill("#reply-body", "Checking the registry logs.")
    page.evaluate("window.stillThisDocument = true")
    page.click("#send-reply")
    page.locator(".comment.internal", has_text="Checking the registry logs.").wait_for()
    assert page.evaluate("window.stillThisDocument") is True  # swapped in by HTMX
    assert page.is_checked("#reply-visibility input[value=internal]")

    page.reload()
    assert page.is_checked("#reply-visibility input[value=internal]")
    assert Comment.objects.get(ticket=ticket, author=agent).public is False
    ticket.refresh_from_db()
    assert ticket.status == "new"  # "Keep status" kept it
