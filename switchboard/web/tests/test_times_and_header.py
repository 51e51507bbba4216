"""Times on agent pages (one filter, the viewer's zone, UTC on hover), the app header on every
agent page, and access checks that read a ticket's CCs only for end users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from switchboard.accounts import access
from switchboard.accounts.tests.factories import UserFactory
from switchboard.web.templatetags.workspace import when

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
# 12:00 UTC for a viewer in New York (EST), UTC on hover, ISO for machines.
STAMP = (
    '<time datetime="2026-03-04T12:00:00+00:00" title="2026-03-04 12:00 UTC">'
    "Wed 04 Mar 07:00</time>"
)


def test_when_shows_the_viewers_zone_and_utc_on_hover(agent):
    agent.time_zone = "America/New_York"
    assert when(NOW, agent) == STAMP
    agent.time_zone = "Not/AZone"
    assert ">Wed 04 Mar 12:00</time>" in when(NOW, agent)
    assert when(None, agent) == ""


@time_machine.travel(NOW, tick=False)
def test_the_ticket_page_and_oncall_show_the_same_time_for_the_same_instant(
    agent_client, agent, make_ticket
):
    agent.time_zone = "America/New_York"
    agent.save(update_fields=["time_zone"])
    ticket = make_ticket()
    ticket_html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    oncall_html = agent_client.get("/oncall/").content.decode()
    assert f"opened {STAMP}" in ticket_html
    assert f"Now: {STAMP}" in oncall_html


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search?q=runners",
        "/dashboard",
        "/oncall/",
        "/oncall/incidents/",
        "/oncall/incidents/new/",
        "/csat/tasks/",
        "/calls/",
        "/calls/settings",
        "/calls/suggested",
        "/settings/api-tokens",
        "/tickets/new",
        "TICKET",
        "TICKET/history",
        "USER",
        "ORGANIZATION",
    ],
)
def test_every_agent_page_has_the_app_header(agent_client, make_ticket, customer, url):
    if url.startswith("TICKET"):
        url = url.replace("TICKET", f"/tickets/{make_ticket().pk}/").replace("//", "/")
    url = url.replace("USER", f"/users/{customer.pk}/")
    url = url.replace("ORGANIZATION", f"/organizations/{customer.organization_id}/")
    response = agent_client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<header class="topnav">' in html
    assert 'class="menu-toggle"' in html


def test_staff_access_checks_read_no_cc_list(agent, make_ticket, django_assert_num_queries):
    ticket = make_ticket()
    with django_assert_num_queries(0):
        access.require(agent, ticket, access.Action.VIEW)
        assert access.can_comment(agent, ticket)
    stranger = UserFactory()
    with django_assert_num_queries(1):  # the ticket's CCs: a stranger may be one
        assert not access.can_view(stranger, ticket)
