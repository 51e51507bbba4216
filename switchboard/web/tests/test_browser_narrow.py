"""The workspace and the portal on a phone (Chromium at 375×812): every page fits the screen
(no horizontal scrolling), the navigation is collapsed behind the Menu button, and tables read
as cards with each value labelled by its column."""

from __future__ import annotations

import pytest

from switchboard.accounts import demo as accounts_demo
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.oncall import actions as oncall_actions
from switchboard.oncall import demo as oncall_demo
from switchboard.oncall.models import Service
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import View
from switchboard.web.tests.conftest import install_shipped_config
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# The elements wider than the screen, for the failure message.
WIDE = """Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > 376).slice(0, 8)
  .map(e => e.tagName + '.' + e.className + '#' + e.id)"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def fits_and_collapsed(page, url: str, menu: str = "#navitems") -> None:
    page.goto(url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (url, page.evaluate(WIDE))
    assert page.locator(".menu-toggle").is_visible(), url
    assert not page.locator(menu).is_visible(), url


def test_every_agent_page_fits_a_phone_with_the_menu_collapsed(phone, agent_desk):
    agent, ticket, incident = agent_desk
    sign_in(phone, agent.email)
    phone.locator("header.topnav").wait_for(state="attached")
    view = View.objects.get(title__startswith="Breaching within 2 h")
    for url in [
        "/",
        f"/views/{view.pk}/",
        f"/tickets/{ticket.pk}/",
        f"/tickets/{ticket.pk}/history",
        "/search?q=registry",
        "/dashboard",
        "/oncall/",
        "/oncall/incidents/",
        f"/oncall/incidents/{incident.pk}/",
        "/oncall/incidents/new/",
        "/csat/tasks/",
        "/calls/",
        "/calls/settings",
        "/settings/api-tokens",
        "/tickets/new",
        f"/users/{ticket.requester_id}/",
        f"/organizations/{ticket.organization_id}/",
    ]:
        fits_and_collapsed(phone, url)

    # The Menu button opens the navigation and closes it again.
    phone.goto("/")
    phone.click(".menu-toggle")
    assert phone.locator("#navitems nav a", has_text="Incidents").is_visible()
    assert phone.get_attribute(".menu-toggle", "aria-expanded") == "true"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click(".menu-toggle")
    assert not phone.locator("#navitems").is_visible()

    # A view's table reads as cards: each cell labelled with its column's name.
    phone.goto(f"/views/{view.pk}/")
    cell = phone.locator("table.tickets tbody tr td.subject").first
    assert cell.get_attribute("data-label") == "Subject"
    assert phone.locator("table.tickets thead").bounding_box()["width"] <= 1


def test_the_portal_fits_a_phone_with_the_menu_collapsed(phone, agent_desk):
    _, ticket, _ = agent_desk
    sign_in(phone, ticket.requester.email)
    phone.wait_for_url("**/portal/**")
    for url in ["/portal/", f"/portal/tickets/{ticket.pk}/", "/portal/tickets/new"]:
        fits_and_collapsed(phone, url, menu="#portalnav")
    phone.click(".menu-toggle")
    assert phone.locator("#portalnav a", has_text="My tickets").is_visible()


@pytest.fixture
def agent_desk():
    install_shipped_config()
    accounts_demo.seed()  # (sets every existing login's password: first)
    oncall_demo.seed()
    agent = AgentFactory(
        name="Ada Agent", email="ada.phone@switchboard.test", time_zone="Europe/Paris"
    )
    org = OrganizationFactory(name="Phonetech", support_level="priority", preferred_region="amer")
    customer = UserFactory(name="Peter Gibbons", email="peter@phonetech.test", organization=org)
    ticket = create_ticket(
        actor=customer,
        requester=customer,
        subject="Registry 500 on push: long_unbroken_identifier_" + "x" * 60,
        description="Every docker push fails since the upgrade: " + "trace/" * 40,
        priority="urgent",
    )
    incident = oncall_actions.open_incident_by_hand(
        service=Service.objects.order_by("pk").first(), title="Registry down", user=agent
    )
    return agent, ticket, incident
