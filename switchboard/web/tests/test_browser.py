"""The workspace in a real browser (Debian's Chromium, headless): with JavaScript and HTMX, and
without JavaScript at all (reading and replying must still work)."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment
from switchboard.web.tests.conftest import PASSWORD, install_shipped_config

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk():
    """An agent and an urgent ticket of a priority-support customer: its first reply is due in
    30 minutes (24x7), so it sits in the "Breaching within 2 h" view."""
    install_shipped_config()
    agent = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    org = OrganizationFactory(name="Initech", support_level="priority", preferred_region="amer")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    ticket = create_ticket(
        actor=customer,
        requester=customer,
        subject="Registry returns 500 on push",
        description="Every docker push fails since the upgrade.",
        priority="urgent",
    )
    return agent, ticket


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_agent_replies_with_a_macro_and_the_sla_badge_changes(page, desk):
    agent, ticket = desk
    sign_in(page, agent.email)
    page.wait_for_url(re.compile(r"/$"))

    # the breaching view, its ticket and an amber badge with the time left
    page.click("text=Breaching within 2 h (SLA hawk)")
    row = page.locator("tr.ticket-row", has_text="Registry returns 500 on push")
    row.wait_for()
    badge = row.locator(".badge")
    assert badge.get_attribute("data-sla") == "warn"
    assert re.fullmatch(r"\d+m", badge.inner_text())

    row.locator("td.subject a").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/\?view=\d+$"))  # opened from the view
    first_reply = page.locator("#sla-panel .clock", has_text="First reply time")
    assert first_reply.get_attribute("data-state") == "running"
    header_before = page.locator("#ticket-sla .badge").inner_text()

    # pick a macro: the preview appears (HTMX) and fills the empty reply box
    page.select_option("#macro-select", label="General::Invite customer call")
    page.locator("#macro-preview-content h4", has_text="General::Invite customer call").wait_for()
    page.click("#macro-preview-button")
    page.locator("#macro-preview-content h4").wait_for()
    assert "Hi Peter" in page.input_value("#reply-body")

    assert page.evaluate("typeof htmx") == "object"
    page.evaluate("window.stillThisDocument = true")
    page.click("#send-reply")
    page.locator("#sla-panel .clock[data-state=fulfilled]", has_text="First reply time").wait_for()
    assert (
        page.locator("#sla-panel .clock", has_text="First reply time").inner_text().endswith("met")
    )
    assert page.locator("#ticket-sla .badge").inner_text() != header_before
    assert page.locator(".comment.public", has_text="Hi Peter").count() == 1
    assert page.evaluate("window.stillThisDocument") is True  # swapped in by HTMX, no reload
    assert page.locator(".ticket-head .status").inner_text() == "Pending"
    comment = Comment.objects.get(ticket=ticket, author=agent)
    assert comment.public and "single-use link" in comment.body


def test_without_javascript_an_agent_reads_and_replies(nojs_page, desk):
    agent, ticket = desk
    page = nojs_page
    sign_in(page, agent.email)
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator(".viewlist").inner_text().count("Breaching within 2 h") == 1

    page.goto(f"/tickets/{ticket.pk}/")
    assert page.locator(".comment.public", has_text="Every docker push fails").count() == 1
    page.click("text=Show history")
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/history$"))
    assert page.locator("#history-content").is_visible()
    page.go_back()

    # no-JS macro preview: the form posts, the page comes back with the text filled in
    page.select_option("#macro-select", label="Prove support entitlement")
    page.click("#macro-preview-button")
    page.locator("#macro-preview-content h4", has_text="Prove support entitlement").wait_for()
    assert "support entitlement" in page.input_value("#reply-body")

    page.fill("#reply-body", "Looking at the registry logs now.")
    page.check("input[name=visibility][value=internal]")
    page.select_option("#macro-select", value="")
    page.click("#send-reply")
    page.locator(".comment.internal", has_text="Looking at the registry logs now.").wait_for()
    assert page.locator(".flash").inner_text() == "Note added."
    assert Comment.objects.filter(ticket=ticket, public=False, author=agent).count() == 1
