"""Working through a view (#16): bulk actions on selected tickets, sorting by any column and
"Next in view" on the ticket page."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory, SupportGroupFactory
from switchboard.tickets.actions.bulk import MAX_BULK, bulk_update
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Macro, Ticket, TicketAudit, View
from switchboard.web.queries import SORTS, pick_lists

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def view(db):
    return View.objects.create(
        title="Everything unsolved",
        conditions={"all": [{"field": "status", "operator": "less_than", "value": "solved"}]},
        sort_by="created_at",
        sort_order="asc",
    )


@pytest.fixture
def three(make_ticket, agent):
    return [
        make_ticket(subject=f"Bulk {i}", priority=p, actor=agent)
        for i, p in enumerate(["low", "high", "normal"])
    ]


def _audits(ticket) -> int:
    return TicketAudit.objects.filter(ticket=ticket).count()


def _post_bulk(client, view, tickets, **fields):
    data = {"tickets": [str(t.pk) for t in tickets], **fields}
    return client.post(f"/views/{view.pk}/bulk", data)


def _message(response) -> str:
    """The summary this response added (earlier ones stay queued until a page shows them)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


# --- bulk actions ------------------------------------------------------------------------------


def test_bulk_assign_three_tickets_one_audit_each(agent_client, view, three):
    other = AgentFactory(name="Olga Other")
    group = SupportGroupFactory(name="Tier 2")
    before = {t.pk: _audits(t) for t in three}
    response = _post_bulk(
        agent_client, view, three, assignee=str(other.pk), group=str(group.pk), priority="urgent"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/views/{view.pk}/"
    assert _message(response) == "3 updated"
    for ticket in three:
        ticket.refresh_from_db()
        assert (ticket.assignee_id, ticket.group_id, ticket.priority) == (
            other.pk,
            group.pk,
            "urgent",
        )
        assert _audits(ticket) == before[ticket.pk] + 1  # one change set per ticket
        audit = TicketAudit.objects.filter(ticket=ticket).order_by("-pk").first()
        fields = set(audit.events.values_list("field", flat=True))
        assert {"assignee_id", "group_id", "priority"} <= fields or {
            "assignee",
            "group",
            "priority",
        } <= fields


def test_bulk_skips_a_closed_ticket_and_says_why(agent_client, view, three, agent):
    closed = three[1]
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    response = _post_bulk(agent_client, view, three, status="pending")
    assert _message(response) == f"2 updated, 1 skipped: #{closed.pk} closed"
    statuses = dict(Ticket.objects.filter(pk__in=[t.pk for t in three]).values_list("pk", "status"))
    assert statuses == {three[0].pk: "pending", closed.pk: "closed", three[2].pk: "pending"}


def test_bulk_ticket_changed_since_the_list_was_loaded_is_skipped(agent_client, view, three, agent):
    loaded = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    Ticket.objects.filter(pk=three[0].pk).update(updated_at=loaded - timedelta(minutes=1))
    Ticket.objects.filter(pk=three[2].pk).update(updated_at=loaded - timedelta(minutes=1))
    response = _post_bulk(
        agent_client, view, three, priority="urgent", loaded_at=loaded.isoformat()
    )
    assert _message(response) == (
        f"2 updated, 1 skipped: #{three[1].pk} changed since you loaded the list"
    )
    assert Ticket.objects.get(pk=three[1].pk).priority == "high"


def test_bulk_tags_and_macro(agent_client, view, three):
    _post_bulk(agent_client, view, three, add_tags="vip, renewal")
    assert all(set(t.tag_names()) >= {"vip", "renewal"} for t in three)
    _post_bulk(agent_client, view, three[:2], remove_tags="renewal")
    assert [("renewal" in t.tag_names()) for t in three] == [False, False, True]

    macro = Macro.objects.create(
        title="Bulk: pending with a note",
        actions=[
            {"field": "status", "value": "pending"},
            {"field": "comment_value", "value": "We are on it."},
        ],
    )
    before = {t.pk: _audits(t) for t in three}
    response = _post_bulk(agent_client, view, three, macro=str(macro.pk))
    assert _message(response) == "3 updated"
    for ticket in three:
        ticket.refresh_from_db()
        assert ticket.status == "pending"
        assert ticket.comments.filter(body__contains="We are on it.").count() == 1
        assert _audits(ticket) == before[ticket.pk] + 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "bogus"}, "status: 'bogus' is not one of"),
        ({"assignee": "x"}, "assignee: expected an id or none"),
        ({"assignee": "999999"}, "assignee: must be an active agent."),
        ({"group": "999999"}, "group: no such group."),
        ({}, "Choose a change to make."),
        ({"macro": "999999"}, "macro: no such active macro."),
        ({"loaded_at": "yesterday", "priority": "low"}, "loaded_at: not a timestamp."),
    ],
)
def test_bulk_bad_input_is_a_422_and_writes_nothing(agent_client, view, three, fields, message):
    before = TicketAudit.objects.count()
    response = _post_bulk(agent_client, view, three, **fields)
    assert response.status_code == 422
    assert message in text(response)
    assert TicketAudit.objects.count() == before


def test_bulk_macro_and_fields_together_is_a_422(agent_client, view, three):
    macro = Macro.objects.create(
        title="Bulk: solve", actions=[{"field": "status", "value": "solved"}]
    )
    response = _post_bulk(agent_client, view, three, macro=str(macro.pk), priority="low")
    assert response.status_code == 422
    assert "Apply a macro on its own" in text(response)


def test_bulk_rejects_bad_ids_and_too_many(agent_client, view, three, agent):
    response = agent_client.post(f"/views/{view.pk}/bulk", {"tickets": ["1x"], "priority": "low"})
    assert response.status_code == 422 and "is not a ticket id" in text(response)
    response = agent_client.post(f"/views/{view.pk}/bulk", {"priority": "low"})
    assert response.status_code == 422 and "Select at least one ticket." in text(response)
    with pytest.raises(Exception, match=f"at most {MAX_BULK}"):
        bulk_update(actor=agent, ticket_ids=range(1, MAX_BULK + 2), changes={"priority": "low"})


def test_bulk_missing_ticket_is_skipped_as_not_found(agent_client, view, three):
    response = agent_client.post(
        f"/views/{view.pk}/bulk", {"tickets": [str(three[0].pk), "999999"], "priority": "high"}
    )
    assert _message(response) == "1 updated, 1 skipped: #999999 not found"


def test_bulk_is_for_agents_only_and_needs_csrf(client, customer, view, three, agent):
    client.force_login(customer)
    response = _post_bulk(client, view, three, priority="urgent")
    assert response.status_code in (302, 403, 404)
    assert "/views/" not in response.get("Location", "")
    assert not Ticket.objects.filter(priority="urgent").exists()
    with pytest.raises(Exception, match="Only agents"):
        bulk_update(actor=customer, ticket_ids=[three[0].pk], changes={"priority": "urgent"})

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert _post_bulk(strict, view, three, priority="urgent").status_code == 403
    assert not Ticket.objects.filter(priority="urgent").exists()
    assert agent_client_get_has_token(agent, view)


def agent_client_get_has_token(agent, view) -> bool:
    client = Client()
    client.force_login(agent)
    html = client.get(f"/views/{view.pk}/").content.decode()
    return 'name="csrfmiddlewaretoken"' in html and f'action="/views/{view.pk}/bulk"' in html


def test_bulk_keeps_the_sort_and_filters(agent_client, view, three):
    response = _post_bulk(
        agent_client, view, three, priority="low", back_query="sort=subject&order=desc&q=Bulk"
    )
    assert response["Location"] == f"/views/{view.pk}/?sort=subject&order=desc&q=Bulk"
    response = _post_bulk(agent_client, view, three, priority="low", back_query="sort=evil")
    assert response.status_code == 422  # the way back is checked like the list's own query


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_bulk_queries_grow_only_by_the_per_ticket_write(make_ticket, agent, view):
    """No N+1: a bulk of n tickets costs a fixed part plus n times what one update_ticket
    costs on its own (the write itself, with its lock, audit and listeners)."""
    group = SupportGroupFactory(name="Tier 3")
    tickets = [make_ticket(subject=f"Q{i}", actor=agent) for i in range(7)]
    single = _count_queries(lambda: update_ticket(ticket=tickets[0], actor=agent, group=group))
    one = _count_queries(
        lambda: bulk_update(actor=agent, ticket_ids=[tickets[1].pk], changes={"group": group})
    )
    five = _count_queries(
        lambda: bulk_update(
            actor=agent, ticket_ids=[t.pk for t in tickets[2:7]], changes={"group": group}
        )
    )
    per_ticket = (five - one) / 4
    # the per-ticket part is the write plus its savepoint (and release): nothing read per ticket
    assert per_ticket <= single + 2, (single, one, five)
    assert one - per_ticket <= 2, (single, one, five)  # the fixed part: the tickets, one query


# --- the view page: sort by any column, fixed queries ------------------------------------------


@pytest.mark.parametrize("key", list(SORTS))
def test_every_column_sorts_both_ways_with_ties_by_id(agent_client, view, make_ticket, key):
    for _ in range(4):
        make_ticket(subject="Same subject", priority="normal")
    asc = text(agent_client.get(f"/views/{view.pk}/?sort={key}&order=asc"))
    desc = text(agent_client.get(f"/views/{view.pk}/?sort={key}&order=desc"))
    rows_asc = [int(pk) for pk in re.findall(r'data-href="/tickets/(\d+)/\?view=', asc)]
    rows_desc = [int(pk) for pk in re.findall(r'data-href="/tickets/(\d+)/\?view=', desc)]
    assert len(rows_asc) == 4
    if key in ("id", "subject", "priority", "status", "requester", "organization", "assignee"):
        # equal values: the id decides, ascending or descending with the column
        assert rows_asc == sorted(rows_asc) and rows_desc == sorted(rows_desc, reverse=True)
    # the header links keep the sort in the URL and flip it
    assert f'href="?sort={key}&amp;order=desc"' in asc.replace("&", "&amp;") or (
        f"?sort={key}&order=desc" in asc
    )


def test_header_links_cover_every_column(agent_client, view, three):
    html = text(agent_client.get(f"/views/{view.pk}/"))
    assert set(re.findall(r'data-sort="([a-z_]+)"', html)) == set(SORTS)


def test_sort_by_requester_name(agent_client, view, make_ticket, user_factory):
    zed = user_factory(name="Zed Zulu", email="zed@example.test")
    amy = user_factory(name="Amy Alpha", email="amy@example.test")
    make_ticket(subject="From Zed", requester=zed)
    make_ticket(subject="From Amy", requester=amy)
    html = text(agent_client.get(f"/views/{view.pk}/?sort=requester"))
    assert html.index("From Amy") < html.index("From Zed")  # names ascend first
    html = text(agent_client.get(f"/views/{view.pk}/?sort=requester&order=desc"))
    assert html.index("From Zed") < html.index("From Amy")


@pytest.mark.parametrize("n", [3, 30])
def test_view_page_queries_are_fixed(
    agent_client, view, make_ticket, n, django_assert_max_num_queries
):
    for i in range(n):
        make_ticket(subject=f"Fixed {i}")
    with django_assert_max_num_queries(8):
        response = agent_client.get(f"/views/{view.pk}/?sort=assignee")
    assert response.status_code == 200


# --- next in view -------------------------------------------------------------------------------


def test_next_in_view_walks_the_view_order(agent_client, view, three):
    first, second, third = three  # the view sorts by creation, oldest first
    html = text(agent_client.get(f"/tickets/{first.pk}/?view={view.pk}"))
    assert f'href="/tickets/{second.pk}/?view={view.pk}" rel="next"' in html
    assert "1 of 3" in html and "Everything unsolved" in html
    html = text(agent_client.get(f"/tickets/{second.pk}/?view={view.pk}"))
    assert f'href="/tickets/{third.pk}/?view={view.pk}" rel="next"' in html
    html = text(agent_client.get(f"/tickets/{third.pk}/?view={view.pk}"))
    assert "last in view" in html and 'rel="next"' not in html
    # without ?view= the ticket page has no such link
    assert "Next in view" not in text(agent_client.get(f"/tickets/{first.pk}/"))


def test_next_in_view_after_the_ticket_left_the_view(agent_client, view, three, agent):
    first, second, _third = three
    update_ticket(ticket=first, actor=agent, status="solved")
    html = text(agent_client.get(f"/tickets/{first.pk}/?view={view.pk}"))
    assert f'href="/tickets/{second.pk}/?view={view.pk}" rel="next"' in html


def test_next_in_view_of_someone_elses_personal_view_shows_nothing(agent_client, three):
    mine = View.objects.create(title="Olga's", conditions={}, owner=AgentFactory())
    html = text(agent_client.get(f"/tickets/{three[0].pk}/?view={mine.pk}"))
    assert "Next in view" not in html and "Olga's" not in html
    assert agent_client.get(f"/tickets/{three[0].pk}/?view=abc").status_code == 422


def test_view_list_links_carry_the_view(agent_client, view, three):
    html = text(agent_client.get(f"/views/{view.pk}/"))
    assert f'href="/tickets/{three[0].pk}/?view={view.pk}"' in html


def test_ticket_page_from_a_view_costs_two_more_queries(
    agent_client, view, three, django_assert_max_num_queries
):
    pick_lists()  # cached, as in a running process (test_pick_lists_cache)
    with django_assert_max_num_queries(14):  # the ticket page's 12 + the view + its ids
        response = agent_client.get(f"/tickets/{three[0].pk}/?view={view.pk}")
    assert response.status_code == 200


# --- personal views -----------------------------------------------------------------------------


def test_an_agent_saves_a_personal_view_only_they_see(agent_client, agent, view, three):
    response = agent_client.post(
        f"/views/{view.pk}/save-as",
        {"title": "My urgent", "priority": "high", "assignee": "none", "sort": "subject"},
    )
    saved = View.objects.get(title="My urgent")
    assert response.status_code == 302 and response["Location"] == f"/views/{saved.pk}/"
    assert saved.owner_id == agent.pk
    assert saved.sort_by == "subject"
    assert saved.conditions["all"][-2:] == [
        {"field": "priority", "operator": "is", "value": "high"},
        {"field": "assignee", "operator": "is", "value": None},
    ]
    html = text(agent_client.get(f"/views/{saved.pk}/"))
    assert "personal" in html and "Bulk 1" in html and "Bulk 0" not in html
    assert "My urgent" in text(agent_client.get("/"))

    other = Client()
    other.force_login(AgentFactory(name="Olga Other"))
    assert other.get(f"/views/{saved.pk}/").status_code == 404
    assert "My urgent" not in text(other.get("/"))
    assert other.get(f"/tickets/{three[1].pk}/?view={saved.pk}").status_code == 200


def test_personal_views_in_the_api_are_the_owners(agent, view):
    from switchboard.api.tests.conftest import client_for

    mine = View.objects.create(title="Mine", conditions={}, owner=agent)
    theirs = View.objects.create(title="Theirs", conditions={}, owner=AgentFactory())
    api = client_for(agent)
    listed = api.get("/api/v2/views.json").json()["views"]
    titles = {v["title"]: v["restriction"] for v in listed}
    assert titles["Mine"] == {"type": "User", "id": agent.pk}
    assert "Theirs" not in titles and titles[view.title] is None
    assert api.get(f"/api/v2/views/{theirs.pk}.json").status_code == 404
    assert api.get(f"/api/v2/views/{mine.pk}/tickets.json").status_code == 200


def test_shared_views_are_for_admins_and_support_managers(agent_client, agent, view):
    response = agent_client.post(f"/views/{view.pk}/save-as", {"title": "Team", "shared": "on"})
    assert response.status_code == 403
    assert "Only admins and support managers" in text(response)
    assert not View.objects.filter(title="Team").exists()
    assert 'name="shared"' not in text(agent_client.get(f"/views/{view.pk}/"))

    manager = AgentFactory(name="Mia Manager", is_support_manager=True)
    client = Client()
    client.force_login(manager)
    assert 'name="shared"' in text(client.get(f"/views/{view.pk}/"))
    client.post(f"/views/{view.pk}/save-as", {"title": "Team", "shared": "on"})
    team = View.objects.get(title="Team")
    assert team.owner_id is None
    assert agent_client.get(f"/views/{team.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"title": ""}, 422, "title: cannot be blank."),
        ({"title": "x" * 151}, 422, "title: at most 150 characters."),
        ({"title": "Text", "q": "printer"}, 422, "a text filter cannot be saved"),
        ({"title": "Bad", "status": "weird"}, 422, "status: 'weird' is not one of"),
    ],
)
def test_save_as_bad_input(agent_client, view, data, status, message):
    before = View.objects.count()
    response = agent_client.post(f"/views/{view.pk}/save-as", data)
    assert response.status_code == status
    assert message in text(response)
    assert View.objects.count() == before


def test_end_users_cannot_save_or_open_views(client, customer, view):
    from switchboard.accounts import access
    from switchboard.tickets.view_actions import create_view

    client.force_login(customer)
    response = client.post(f"/views/{view.pk}/save-as", {"title": "Sneaky"})
    assert response.status_code in (302, 403, 404)
    assert not View.objects.filter(title="Sneaky").exists()
    assert not View.objects.filter(access.views_q(customer)).exists()
    with pytest.raises(Exception, match="Only agents"):
        create_view(actor=customer, title="Sneaky", conditions={})
