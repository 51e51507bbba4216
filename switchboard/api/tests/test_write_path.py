"""The write path's cost: a create and a reply through the API run a fixed number of queries in
the request (SQLite and PostgreSQL alike); everything after the SLA clocks is one queued job
(tickets/events.py), run by the worker."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from switchboard.tickets import events

pytestmark = pytest.mark.django_db

# Create: auth token, rate-limit counter (one statement), requester, ticket, tags (written, not
# read back), comment, audit + events, SLA generation check, policy, targets and schedule, clock
# + clock event, sla_due_at, the event job, then the answer's one read (tags/CCs/fields): no
# savepoint, no re-read of the ticket, no CSAT lookup for a ticket this request created.
# SQLite and PostgreSQL: 17 (was 22 on PostgreSQL, bound 29). Reply: 25.
CREATE_QUERIES = 17
REPLY_QUERIES = 25


@pytest.fixture(autouse=True)
def _deferred(settings):
    settings.SWITCHBOARD_TICKET_EVENTS_INLINE = False


def event_jobs() -> int:
    return DBTaskResult.objects.filter(task_path=events.process_ticket_event.module_path).count()


def test_a_create_and_a_reply_run_a_fixed_number_of_queries(
    agent_api, customer, django_assert_max_num_queries
):
    """POST tickets.json and a reply by PUT: bounded queries, one event job each."""
    body = {
        "ticket": {
            "subject": "Printer",
            "comment": {"body": "It jams."},
            "requester_id": customer.pk,
            "priority": "normal",
        }
    }
    agent_api.post("tickets.json", body)  # the first request of a process loads a little more

    with django_assert_max_num_queries(CREATE_QUERIES):
        response = agent_api.post("tickets.json", body)
    assert response.status_code == 201, response.content
    ticket_id = response.json()["ticket"]["id"]
    assert event_jobs() == 2

    reply = {"ticket": {"comment": {"body": "On it.", "public": True}}}
    with django_assert_max_num_queries(REPLY_QUERIES):
        response = agent_api.put(f"tickets/{ticket_id}.json", reply)
    assert response.status_code == 200, response.content
    assert response.json()["ticket"]["status"] == "open"
    assert event_jobs() == 3
