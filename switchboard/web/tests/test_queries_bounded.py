"""No page makes more queries with a longer list: each is measured at two sizes."""

from __future__ import annotations

import pytest

from switchboard.sla.models import TicketClock
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.models import View
from switchboard.web.queries import home_views, pick_lists

pytestmark = pytest.mark.django_db

# Every bound below includes the session and user lookups of the middleware (two queries).


@pytest.fixture
def tickets(make_ticket, agent):
    def make(n: int) -> list:
        return [
            make_ticket(
                subject=f"Ticket {i}",
                priority=["low", "normal", "high", "urgent"][i % 4],
                actor=agent,
                assignee=agent if i % 2 else None,
                tags=["geo"] if i % 3 == 0 else [],
            )
            for i in range(n)
        ]

    return make


@pytest.mark.parametrize("n", [5, 60])
def test_home_queries_are_bounded(agent_client, agent, tickets, django_assert_max_num_queries, n):
    tickets(n)
    home_views(agent)  # cached, as in a running process (test_home_views_cache)
    # session, user, views (the cached list's generation token), counts, and "due soonest" in
    # three indexed queries (oldest breaches, earliest due times, the rows) instead of one that
    # sorted every unsolved ticket.
    with django_assert_max_num_queries(7):
        response = agent_client.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('class="ticket-row"') == min(n, 10)  # due soonest
    with django_assert_max_num_queries(4):
        assert agent_client.get("/views/counts").status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_view_list_queries_are_bounded(agent_client, tickets, django_assert_max_num_queries, n):
    tickets(n)
    assert TicketClock.objects.exists()  # badges come from real clocks
    view = View.objects.get(title="My open tickets")
    unassigned = View.objects.get(title="Unassigned tickets")
    for url in [f"/views/{view.pk}/", f"/views/{unassigned.pk}/?sort=sla_due_at&q=Ticket"]:
        with django_assert_max_num_queries(8):  # 7 + the bulk bar's macros
            response = agent_client.get(url)
        assert response.status_code == 200
    html = agent_client.get(f"/views/{unassigned.pk}/").content.decode()
    assert html.count('class="ticket-row"') == min(n - n // 2, 50)


@pytest.mark.parametrize("n", [5, 40])
def test_ticket_page_queries_are_bounded(
    agent_client, make_ticket, agent, django_assert_max_num_queries, n
):
    ticket = make_ticket(priority="high", tags=["geo", "ha"])
    for i in range(n):
        add_comment(ticket=ticket, author=agent, body=f"Update {i}", public=bool(i % 2))
    # session, user, ticket (with its call suggestion), linked tickets, comments, people (agents,
    # CCs, authors), attachments, clocks, tags, the cached pick lists' generation token (macros,
    # groups, event types), CRM findings + the calls panel's calls with the org's upgrade intake;
    # an agent's access check reads no CC list. The pick lists are as a running process has them
    # (test_pick_lists_cache: the first page after an edit reads them, three queries more).
    pick_lists()
    with django_assert_max_num_queries(12):
        response = agent_client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="comment ') == n + 1
    with django_assert_max_num_queries(7):
        assert agent_client.get(f"/tickets/{ticket.pk}/history").status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_search_queries_are_bounded(agent_client, tickets, django_assert_max_num_queries, n):
    tickets(n)
    with django_assert_max_num_queries(8):
        response = agent_client.get("/search?q=ticket")
    assert response.status_code == 200
    assert response.content.decode().count("<tr data-href") == min(n, 50)


@pytest.mark.parametrize("n", [5, 60])
def test_dashboard_queries_are_bounded(agent_client, tickets, django_assert_max_num_queries, n):
    tickets(n)
    with django_assert_max_num_queries(7):
        assert agent_client.get("/dashboard").status_code == 200
