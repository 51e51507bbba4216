"""Two agents on one ticket in two real browser sessions (Chromium, headless): the page says who
is replying and that someone else updated the ticket, and a stale save of the same field is a
visible conflict, never an overwrite."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_two_agents_see_each_other_and_a_stale_save_is_a_conflict(page, second_page):
    ada = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    bea = AgentFactory(name="Bea Busy", email="bea@switchboard.test")
    org = OrganizationFactory(name="Initech")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    ticket = create_ticket(actor=customer, subject="Registry down", description="500 on push")
    url = f"/tickets/{ticket.pk}/"
    for tab, agent in ((page, ada), (second_page, bea)):
        sign_in(tab, agent.email)
        tab.wait_for_url(re.compile(r"/$"))
        tab.goto(url)

    # Bea starts a reply and assigns the ticket to herself
    second_page.fill("#reply-body", "Looking into it")
    second_page.select_option("#properties-form select[name=assignee]", label="Bea Busy")
    second_page.click("#properties-form button[type=submit]")
    second_page.locator(
        ".messages, .notice, [role=status]", has_text="Ticket updated"
    ).first.wait_for()

    # Ada's page, loaded before, learns about both on its next poll (every 10 s)
    page.locator("#ticket-activity .replying", has_text="Bea Busy is replying").wait_for()
    page.locator("#updated-elsewhere", has_text="Someone else updated this ticket").wait_for()

    # Ada saves the assignee from her stale page: a conflict showing both values
    page.select_option("#properties-form select[name=assignee]", label="Ada Agent")
    page.click("#properties-form button[type=submit]")
    box = page.locator("#properties-conflict")
    box.wait_for()
    assert box.locator("td.mine").inner_text() == "Ada Agent"
    assert box.locator("td.theirs").inner_text() == "Bea Busy"
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == bea.pk

    # she decides to take it anyway: an explicit second step
    page.click("#apply-mine")
    page.locator("#properties-conflict").wait_for(state="detached")
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == ada.pk
