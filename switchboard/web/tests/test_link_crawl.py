"""Every link on the agent's pages answers (#16): sign in as an agent, GET every same-site href on
the home page, a view, a ticket page, an organization page, a user page, the incident list and
page, the API tokens page and the new-ticket page — none may answer 404 or 500."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from switchboard.accounts.tests.factories import OrganizationDomainFactory
from switchboard.oncall import actions as oncall
from switchboard.oncall.models import EscalationLevel, EscalationPolicy, Service
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.models import View
from switchboard.web.tests.conftest import install_shipped_config

pytestmark = pytest.mark.django_db


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def same_site_links(page_url: str, html: str) -> set[str]:
    """The page's <a href>s that lead to this app, relative ones ("?status=open") resolved against
    `page_url` (not static files, mail, in-page anchors or other sites)."""
    parser = _Hrefs()
    parser.feed(html)
    links = set()
    for href in parser.hrefs:
        url, _ = urldefrag(urljoin(f"http://testserver{page_url}", href))
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.netloc != "testserver":
            continue  # other sites, mailto:, tel:
        if parts.path.startswith("/static/"):
            continue
        links.add(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    return links


def test_every_link_on_the_agent_pages_answers(agent_client, agent, customer, make_ticket):
    install_shipped_config()
    OrganizationDomainFactory(organization=customer.organization, domain="acme.test")
    ticket = make_ticket(subject="Runners stuck", ccs=[agent])
    add_comment(ticket=ticket, author=agent, body="Looking.", public=True)
    view = View.objects.filter(active=True).first()
    policy = EscalationPolicy.objects.create(name="Customer Emergency")
    EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10).users.set([agent])
    service = Service.objects.create(name="Customer Emergency", escalation_policy=policy)
    incident, _ = oncall.trigger_incident(service=service, summary="Registry returns 500")
    pages = [
        "/",
        f"/views/{view.pk}/",
        f"/tickets/{ticket.pk}/",
        f"/organizations/{customer.organization_id}/",
        f"/users/{customer.pk}/",
        "/oncall/incidents/",
        f"/oncall/incidents/{incident.pk}/",
        "/settings/api-tokens",
        "/tickets/new",
    ]
    links: set[str] = set()
    for url in pages:
        response = agent_client.get(url)
        assert response.status_code == 200, url
        found = same_site_links(url, response.content.decode())
        assert found, f"{url} has no links"
        links |= found
    # the crawl covers the app header and the links #16 added between these pages
    assert {
        "/tickets/new",
        "/oncall/incidents/",
        "/settings/api-tokens",
        f"/organizations/{customer.organization_id}/",
        f"/users/{customer.pk}/",
        f"/tickets/{ticket.pk}/",
    } <= links, sorted(links)

    broken = {}
    for url in sorted(links):
        status = agent_client.get(url).status_code
        if status in (404, 500):
            broken[url] = status
    assert broken == {}
