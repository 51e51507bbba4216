"""Working through a view in a real browser (#16): select three tickets, assign them in bulk,
read the summary, sort by a column header, and walk the view with "Next in view"."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket, TicketAudit, View
from switchboard.web.tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_bulk_assign_three_tickets_from_a_view(page):
    agent = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    AgentFactory(name="Bea Backup", email="bea@switchboard.test")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test")
    tickets = [
        create_ticket(actor=customer, requester=customer, subject=s, description="Help.")
        for s in ("Alpha outage", "Bravo login", "Charlie export", "Delta billing")
    ]
    view = View.objects.create(
        title="Unassigned (browser)",
        conditions={"all": [{"field": "assignee", "operator": "is", "value": None}]},
        sort_by="created_at",
        sort_order="asc",
    )
    sign_in(page, agent.email)
    page.goto(f"/views/{view.pk}/")

    # sort by subject from the column header: descending on the second click, kept in the URL
    page.click('th a[data-sort="subject"]')
    page.wait_for_url(re.compile(r"sort=subject&order=asc"))
    page.click('th a[data-sort="subject"]')
    page.wait_for_url(re.compile(r"sort=subject&order=desc"))
    subjects = page.locator("tr.ticket-row td.subject").all_inner_texts()
    assert subjects == ["Delta billing", "Charlie export", "Bravo login", "Alpha outage"]

    for subject in ("Alpha outage", "Bravo login", "Charlie export"):
        page.locator("tr.ticket-row", has_text=subject).locator('input[name="tickets"]').check()
    page.select_option('#bulk-form select[name="assignee"]', label="Bea Backup")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/views/{view.pk}/\?sort=subject&order=desc$"))
    assert page.locator(".flash").inner_text().strip() == "3 updated"
    # the three left the unassigned view; the fourth is still there
    assert page.locator("tr.ticket-row td.subject").all_inner_texts() == ["Delta billing"]
    bea = Ticket.objects.filter(assignee__name="Bea Backup")
    assert sorted(bea.values_list("subject", flat=True)) == [
        "Alpha outage",
        "Bravo login",
        "Charlie export",
    ]
    for ticket in tickets[:3]:
        assert TicketAudit.objects.filter(ticket=ticket).count() == 2  # created + the bulk change

    # "select all" ticks every row of the page
    page.check("input[data-select-all]")
    assert page.locator('input[name="tickets"]:checked').count() == 1


def test_next_in_view_walks_the_view(page):
    agent = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    customer = UserFactory(name="Peter Gibbons", email="peter@initech.test")
    first, second = (
        create_ticket(actor=customer, requester=customer, subject=s, description="Help.")
        for s in ("First in line", "Second in line")
    )
    view = View.objects.create(title="Line", conditions={}, sort_by="created_at", sort_order="asc")
    sign_in(page, agent.email)
    page.goto(f"/views/{view.pk}/")
    page.locator("tr.ticket-row", has_text="First in line").locator("td.subject a").click()
    page.wait_for_url(re.compile(rf"/tickets/{first.pk}/\?view={view.pk}$"))
    assert "1 of 2" in page.locator(".next-in-view").inner_text()
    page.click("#next-in-view")
    page.wait_for_url(re.compile(rf"/tickets/{second.pk}/\?view={view.pk}$"))
    assert "last in view" in page.locator(".next-in-view").inner_text()
