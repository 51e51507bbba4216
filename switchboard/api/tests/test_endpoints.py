"""search, views, macros, tags, ticket fields, SLA policies and the incremental exports."""

from __future__ import annotations

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import UserFactory
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket, TicketAudit, TicketField, View
from switchboard.tickets.saved_views import count_view

pytestmark = pytest.mark.django_db


def make(requester, n=1, **kw):
    return [
        create_ticket(
            # tags are for agents to set: the arrangement opens them as the system
            actor=SYSTEM if kw else requester,
            requester=requester,
            subject=f"T{i}",
            description="d",
            **kw,
        )
        for i in range(n)
    ]


def test_search_pages_and_result_types(agent_api, customer):
    tagged = make(customer, 3, tags=["x"])
    make(customer, 2)
    body = agent_api.get("search.json", query="type:ticket status<solved tags:x", per_page=2).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert {r["result_type"] for r in body["results"]} == {"ticket"}
    assert body["next_page"].startswith("http://testserver/api/v2/search.json?")
    second = agent_api.client.get(body["next_page"], headers=agent_api.headers).json()
    ids = {r["id"] for r in body["results"]} | {r["id"] for r in second["results"]}
    assert ids == {t.pk for t in tagged}


def test_search_syntax_error_names_the_token(agent_api):
    response = agent_api.get("search.json", query="stauts:open")
    assert response.status_code == 400
    assert "stauts" in response.json()["description"]


def test_end_user_search_finds_only_visible_tickets(customer_api, customer):
    # Was `tags:x`: end-users no longer see tags, so cannot search by them (tickets.projection).
    mine = make(customer, 1, tags=["x"])
    make(UserFactory(email="other@else.test"), 1, tags=["x"])
    body = customer_api.get("search.json", query="T0").json()
    assert [r["id"] for r in body["results"]] == [mine[0].pk]
    assert customer_api.get("search.json", query="tags:x").json()["results"] == []


def test_views_list_count_and_tickets(agent_api, agent_user, customer, new_tickets_view):
    make(customer, 3)
    view = new_tickets_view
    listed = agent_api.get("views.json").json()
    assert view.pk in [v["id"] for v in listed["views"]]
    count = agent_api.get(f"views/{view.pk}/count.json").json()["view_count"]
    assert count["value"] == count_view(view, agent_user) == 3
    tickets = agent_api.get(f"views/{view.pk}/tickets.json").json()["tickets"]
    assert len(tickets) == 3
    other = View.objects.create(title="API test: everything", conditions={})
    many = agent_api.get("views/count_many.json", ids=f"{view.pk},{other.pk}").json()
    assert {c["view_id"]: c["value"] for c in many["view_counts"]}[view.pk] == 3
    assert agent_api.get("views/count", ids=str(view.pk)).status_code == 200


def test_views_and_macros_are_for_agents(customer_api):
    assert customer_api.get("views.json").status_code == 403
    assert customer_api.get("macros.json").status_code == 403


def test_macro_preview_writes_nothing(agent_api, customer, macro):
    (ticket,) = make(customer, 1)
    assert macro.pk in [m["id"] for m in agent_api.get("macros.json").json()["macros"]]
    audits = TicketAudit.objects.count()
    response = agent_api.get(f"tickets/{ticket.pk}/macros/{macro.pk}/apply.json")
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["ticket"]["id"] == ticket.pk and result["comment"]["body"]
    assert TicketAudit.objects.count() == audits
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_tags_ticket_fields_and_sla_policies(agent_api, customer_api, customer):
    make(customer, 2, tags=["alpha"])
    tags = agent_api.get("tags.json").json()["tags"]
    assert {"name": "alpha", "count": 2} in tags
    TicketField.objects.create(title="Hidden", key="hidden", visible_in_portal=False)
    TicketField.objects.create(title="Shown", key="shown")
    agent_titles = [f["title"] for f in agent_api.get("ticket_fields").json()["ticket_fields"]]
    customer_titles = [
        f["title"] for f in customer_api.get("ticket_fields").json()["ticket_fields"]
    ]
    assert {"Hidden", "Shown"} <= set(agent_titles) and "Hidden" not in customer_titles
    policies = agent_api.get("slas/policies.json").json()
    assert policies["count"] == len(policies["sla_policies"])
    for policy in policies["sla_policies"]:
        for metric in policy["policy_metrics"]:
            assert metric["metric"].endswith("_time")


def test_incremental_exports_walk_every_ticket(agent_api, customer):
    ids = {t.pk for t in make(customer, 5)}
    body = agent_api.get("incremental/tickets.json", start_time=0).json()
    assert {t["id"] for t in body["tickets"]} == ids and body["end_of_stream"] is True
    assert body["next_page"].startswith("http://testserver/api/v2/incremental/tickets.json?")
    seen = []
    page = agent_api.get("incremental/tickets/cursor.json", start_time=0, per_page=2).json()
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if page["end_of_stream"]:
            break
        page = agent_api.client.get(page["after_url"], headers=agent_api.headers).json()
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    assert page["after_cursor"]
