"""User and organization pages in a real browser (Debian's Chromium, headless): an agent opens an
organization from search, verifies a requester's entitlement there, and goes from the ticket page
to the requester's page."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.models import OrganizationDomain, User
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.web.tests.conftest import install_shipped_config
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_agent_opens_an_organization_from_search_and_verifies_entitlement(page):
    install_shipped_config()
    agent = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    org = OrganizationFactory(name="Initech", support_level="priority")
    OrganizationDomain.objects.create(organization=org, domain="initech.test")
    peter = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    UserFactory(name="Milton", email="milton@gmail.test", organization=None)
    ticket = create_ticket(
        actor=peter, requester=peter, subject="Stapler missing", description="Since the move."
    )
    sign_in(page, agent.email)
    page.wait_for_url(re.compile(r"/$"))

    page.fill("#global-search", "initech")
    page.press("#global-search", "Enter")
    page.locator("#results-organization a", has_text="Initech").click()
    page.wait_for_url(re.compile(rf"/organizations/{org.pk}/$"))
    assert "initech.test" in page.locator("#organization-page").inner_text()
    assert page.locator(".people-tickets", has_text="Stapler missing").count() == 1

    page.fill("#entitlement input[name=email]", "milton@gmail.test")
    page.fill("#entitlement input[name=reason]", "badge checked")
    page.click("#entitlement button[type=submit]")
    page.locator(".members", has_text="Milton").wait_for()
    assert User.objects.get(email="milton@gmail.test").organization_id == org.pk

    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("aside a", has_text="Peter Gibbons").click()
    page.wait_for_url(re.compile(rf"/users/{peter.pk}/$"))
    assert page.locator("#requested-h .count").inner_text() == "1"
