"""The API renders tickets, comments, audits and organizations through tickets.projection:
end-users get what the portal would show them, agents get everything."""

from __future__ import annotations

import pytest

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.notify.rules.models import Trigger
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket, TicketField

pytestmark = pytest.mark.django_db


@pytest.fixture
def internal_first(customer):
    """A ticket an agent opened for the customer with an internal note as its first comment."""
    agent = AgentFactory()
    ticket = create_ticket(
        actor=agent,
        requester=customer,
        subject="Disk full",
        description="Internal: account flagged for fraud review",
        public=False,
        tags=["fraud_review"],
    )
    add_comment(ticket=ticket, author=agent, body="We are looking into it.", public=True)
    return ticket


def test_end_user_description_is_the_first_public_comment(customer_api, agent_api, internal_first):
    """`description` for an end-user is the first public comment, never an internal first
    comment; agents still get the first comment."""
    mine = customer_api.get(f"tickets/{internal_first.pk}.json").json()["ticket"]
    assert mine["description"] == "We are looking into it."
    listed = customer_api.get("tickets.json").json()["tickets"]
    assert [t["description"] for t in listed] == ["We are looking into it."]
    many = customer_api.get(f"tickets/show_many.json?ids={internal_first.pk}").json()["tickets"]
    assert many[0]["description"] == "We are looking into it."
    agents = agent_api.get(f"tickets/{internal_first.pk}.json").json()["ticket"]
    assert agents["description"] == "Internal: account flagged for fraud review"


def test_end_user_description_is_empty_without_a_public_comment(customer_api, customer):
    agent = AgentFactory()
    ticket = create_ticket(
        actor=agent, requester=customer, subject="Quiet", description="note only", public=False
    )
    assert customer_api.get(f"tickets/{ticket.pk}.json").json()["ticket"]["description"] == ""


def test_custom_fields_hidden_from_the_portal_are_dropped_for_end_users(
    customer_api, agent_api, customer
):
    hidden = TicketField.objects.create(title="Churn risk", key="churn", visible_in_portal=False)
    shown = TicketField.objects.create(title="Version", key="version_x", visible_in_portal=True)
    ticket = create_ticket(
        actor=customer,
        subject="Upgrade",
        description="It fails",
        custom_fields={str(shown.pk): "16.4"},
    )
    update_ticket(ticket=ticket, actor=AgentFactory(), custom_fields={str(hidden.pk): "high"})
    mine = customer_api.get(f"tickets/{ticket.pk}.json").json()["ticket"]
    assert mine["custom_fields"] == [{"id": shown.pk, "value": "16.4"}]
    assert mine["fields"] == mine["custom_fields"]
    agents = agent_api.get(f"tickets/{ticket.pk}.json").json()["ticket"]
    assert {"id": hidden.pk, "value": "high"} in agents["custom_fields"]


def test_end_users_see_no_tags(customer_api, agent_api, internal_first):
    """Tags are agents' labels: not in the ticket, not from the tags endpoint, not searchable."""
    assert customer_api.get(f"tickets/{internal_first.pk}.json").json()["ticket"]["tags"] == []
    assert customer_api.get(f"tickets/{internal_first.pk}/tags.json").json() == {"tags": []}
    assert customer_api.get("search.json", query="tags:fraud_review").json()["results"] == []
    assert agent_api.get(f"tickets/{internal_first.pk}/tags.json").json() == {
        "tags": ["fraud_review"]
    }


def test_end_user_search_does_not_match_an_internal_first_comment(
    customer_api, agent_api, internal_first
):
    """Words of an internal description find nothing for the end-user; agents find the ticket."""
    assert customer_api.get("search.json", query="fraud").json()["results"] == []
    assert customer_api.get("search.json", query="looking").json()["count"] == 1
    assert agent_api.get("search.json", query="fraud").json()["count"] == 1


def test_organization_notes_never_reach_end_users(customer_api, agent_api, org):
    org.notes = "Pays late; escalate to legal"
    org.details = "Internal account details"
    org.save()
    for body in (
        customer_api.get(f"organizations/{org.pk}.json").json()["organization"],
        customer_api.get("organizations.json").json()["organizations"][0],
    ):
        assert body["notes"] == "" and body["details"] == ""
    agents = agent_api.get(f"organizations/{org.pk}.json").json()["organization"]
    assert agents["notes"] == "Pays late; escalate to legal"


def test_update_audit_shows_an_end_user_only_what_they_may_see(customer_api, customer):
    """A trigger that tags the ticket and adds an internal note in the same request: the
    end-user's response audit has their comment and no tag change."""
    Trigger.objects.create(
        title="Tag customer replies",
        events=["ticket.commented"],
        conditions_all=[{"field": "comment.author_role", "operator": "is", "value": "end_user"}],
        actions=[{"type": "add_tags", "value": ["angry_customer"]}],
    )
    ticket = create_ticket(actor=customer, subject="Slow", description="Very slow")
    response = customer_api.put(
        f"tickets/{ticket.pk}.json", {"ticket": {"comment": {"body": "Still slow!"}}}
    )
    assert response.status_code == 200, response.content
    events = response.json()["audit"]["events"]
    assert [e["type"] for e in events if e["type"] == "Comment"] == ["Comment"]
    assert all(e.get("field_name") != "tags" for e in events)
    assert "angry_customer" not in response.content.decode()
    assert ticket.tag_names() == ["angry_customer"]


def test_end_user_comments_list_has_no_internal_notes(customer_api, agent_api, internal_first):
    mine = customer_api.get(f"tickets/{internal_first.pk}/comments.json").json()["comments"]
    assert [c["body"] for c in mine] == ["We are looking into it."]
    agents = agent_api.get(f"tickets/{internal_first.pk}/comments.json").json()["comments"]
    assert len(agents) == 2


def test_end_user_ticket_list_runs_a_fixed_number_of_queries(customer, customer_api):
    """The projection loads a page's tags, CCs, follow-ups, fields and first public comments
    in one query, however many tickets."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert customer_api.get("tickets.json").status_code == 200
        return len(ctx.captured_queries)

    create_ticket(actor=customer, subject="one", description="d")
    count()  # the first request also records the token's first use
    small = count()
    for i in range(10):
        create_ticket(actor=customer, subject=f"more {i}", description="d")
    assert count() == small


def test_ticket_audits_list_for_agents_in_fixed_queries(agent_api, customer_api, internal_first):
    """GET tickets/{id}/audits: the history for agents (with internal notes), 403 for
    end-users, and a page costs the same number of queries however long the history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fetch():
        with CaptureQueriesContext(connection) as ctx:
            response = agent_api.get(f"tickets/{internal_first.pk}/audits.json")
        assert response.status_code == 200, response.content
        return response.json(), len(ctx.captured_queries)

    fetch()  # the first request also records the token's first use
    body, small = fetch()
    assert body["count"] == 2
    bodies = [e.get("body") for a in body["audits"] for e in a["events"] if e["type"] == "Comment"]
    assert "Internal: account flagged for fraud review" in bodies
    agent = AgentFactory()
    for i in range(5):
        add_comment(ticket=internal_first, author=agent, body=f"step {i}", public=True)
    body, large = fetch()
    assert body["count"] == 7 and large == small
    denied = customer_api.get(f"tickets/{internal_first.pk}/audits.json")
    assert denied.status_code == 403


def test_end_users_create_answer_has_no_internal_note_of_the_audit_it_wrote(customer_api, customer):
    """The create answer's audit is rendered from the events the request wrote (in memory): the
    organization's notes, written as an internal note in that same audit, stay out of it."""
    org = customer.organization
    org.notes = "Owes us money; escalate to finance."
    org.save()
    response = customer_api.post(
        "tickets.json", {"ticket": {"subject": "Broken", "comment": {"body": "It is broken."}}}
    )
    assert response.status_code == 201, response.content
    events = response.json()["audit"]["events"]
    assert [e["body"] for e in events if e["type"] == "Comment"] == ["It is broken."]
    assert "finance" not in response.content.decode()
    ticket = Ticket.objects.get(pk=response.json()["ticket"]["id"])
    assert ticket.comments.filter(public=False, body__contains="finance").exists()
