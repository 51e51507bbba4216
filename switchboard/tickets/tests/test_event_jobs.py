"""The worker half of ticket events: one job per event, run by the real worker loop, idempotent.

These tests turn SWITCHBOARD_TICKET_EVENTS_INLINE off (the suite runs with it on), so an action
only queues the event and the worker applies it, as in production.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.core.worker import run_pending_jobs
from switchboard.csat.models import SatisfactionRating
from switchboard.notify.outbox.models import Delivery
from switchboard.notify.rules.models import Trigger, TriggerFiring
from switchboard.tickets import events
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.lifecycle import delete_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Ticket

# Real commits: the worker claims jobs in its own transactions, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

EVENT_JOB = events.process_ticket_event.module_path
SWITCHBOARD = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _deferred(settings):
    settings.SWITCHBOARD_TICKET_EVENTS_INLINE = False
    Trigger.objects.all().delete()  # only this file's rules


@pytest.fixture
def customer():
    org = OrganizationFactory(name="Acme", support_level="standard")
    return UserFactory(email="cara@acme.test", name="Cara", organization=org)


@pytest.fixture
def tagging_trigger():
    return Trigger.objects.create(
        title="Tag and tell",
        events=["ticket.created"],
        actions=[
            {"type": "add_tags", "value": ["triaged"]},
            {"type": "email_requester", "subject": "Got it", "body": "We have your request."},
        ],
    )


def event_jobs() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=EVENT_JOB).order_by("enqueued_at"))


def payload(job: DBTaskResult) -> dict:
    return job.task_result.args[0]


def run_worker() -> int:
    """The worker's claim-and-execute loop, in this process (test transaction)."""
    return run_pending_jobs()


def open_ticket(requester: object) -> Ticket:
    return create_ticket(actor=requester, subject="Help", description="It broke")


def test_listeners_are_listed_in_order_in_one_place():
    """SLA runs in the request; everything else, in the listed order, in the worker."""
    order = [(item.path.rsplit(".", 2)[-2], item.phase) for item in events.LISTENERS]
    assert order == [
        ("clocks", events.Phase.REQUEST),
        ("search_index", events.Phase.WORKER),
        ("helpdesk", events.Phase.WORKER),
        ("triggers", events.Phase.WORKER),
        ("automations", events.Phase.WORKER),
        ("listeners", events.Phase.WORKER),
        ("suggest_listener", events.Phase.WORKER),
        ("casepush", events.Phase.WORKER),
    ]
    assert all(callable(f) for f in events.listeners(events.Phase.WORKER))
    # No app registers a listener anywhere else (no order numbers in apps.py files).
    for path in SWITCHBOARD.glob("*/apps.py"):
        assert "events.listen" not in path.read_text(), path


def test_tickets_imports_no_higher_app_at_module_level():
    """tickets/events.py names its listeners as strings: importing it imports no higher app."""
    tree = ast.parse((SWITCHBOARD / "tickets" / "events.py").read_text())
    imported = {
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    higher = ("sla", "notify", "oncall", "calls", "csat", "crm", "api", "web")
    assert not [m for m in imported if m.split(".")[1:2] and m.split(".")[1] in higher]


def test_a_create_queues_one_event_job_and_the_worker_applies_it(customer, tagging_trigger):
    """The request queues the event; triggers run only when the worker runs the job."""
    ticket = open_ticket(customer)

    [job] = event_jobs()
    assert payload(job)["kind"] == "created" and payload(job)["ticket"] == ticket.pk
    assert not TriggerFiring.objects.exists()
    assert ticket.tag_names() == []

    assert run_worker() >= 1
    ticket.refresh_from_db()
    assert ticket.tag_names() == ["triaged"]
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 1
    assert Delivery.objects.filter(ticket=ticket, recipient="cara@acme.test").count() == 1


def test_an_event_job_run_twice_has_one_effect(customer, tagging_trigger):
    """A retried job (or two workers on it) fires each trigger and sends each email once."""
    ticket = open_ticket(customer)
    [job] = event_jobs()
    run_worker()

    events.process_ticket_event.call(payload(job))

    assert TriggerFiring.objects.filter(ticket=ticket).count() == 1
    assert Delivery.objects.filter(ticket=ticket, recipient="cara@acme.test").count() == 1
    ticket.refresh_from_db()
    assert ticket.tag_names() == ["triaged"]


def test_a_rolled_back_action_leaves_no_event_job(customer, tagging_trigger):
    """The job is written in the action's transaction: rolled back with it."""
    with pytest.raises(RuntimeError), transaction.atomic():
        open_ticket(customer)
        assert len(event_jobs()) == 1
        raise RuntimeError("the request failed after the create")
    assert event_jobs() == []
    assert not Ticket.objects.exists()


def test_a_rule_change_in_the_worker_does_not_rerun_the_triggers(customer):
    """A trigger's own update queues its event marked as from the rules: no loop, no re-fire."""
    Trigger.objects.create(
        title="Bump on update",
        events=["ticket.created", "ticket.updated"],
        actions=[{"type": "set_field", "field": "priority", "value": "high"}],
    )
    ticket = open_ticket(customer)
    run_worker()

    follow_ups = event_jobs()[1:]
    assert [payload(job)["from_rules"] for job in follow_ups] == [True]
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_a_solve_processed_twice_schedules_one_survey(customer):
    """CSAT dedupes by the event: the same solve event gives one survey row."""
    agent = AgentFactory()
    ticket = open_ticket(customer)
    update_ticket(ticket=ticket, actor=agent, status="solved")
    solve = event_jobs()[-1]

    run_worker()
    events.process_ticket_event.call(payload(solve))

    assert SatisfactionRating.objects.filter(ticket=ticket).count() == 1


def test_an_event_for_a_deleted_ticket_is_dropped(customer, tagging_trigger):
    """The ticket was deleted before the worker got to its event: nothing to do, no error."""
    admin = AdminFactory()
    ticket = open_ticket(customer)
    delete_ticket(ticket=ticket, actor=admin)

    run_worker()

    assert not TriggerFiring.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=EVENT_JOB, status="FAILED").exists()


# One create's event job, a trigger emailing the requester, the rule cache warm: the ticket
# (with organization and requester), the comment, the actor, the rules' generation token, the
# ticket's tags/CCs/projection rows, the firing check, the comment's attachments, the email
# (key check, savepoint, delivery, its job, release), the firing, the time rules' token; on
# PostgreSQL 3 more: the search document, in a savepoint.
EVENT_JOB_QUERIES = {"sqlite": 16, "postgresql": 19}  # BEGIN and COMMIT included


def test_an_event_job_runs_a_fixed_number_of_queries(customer, django_assert_max_num_queries):
    """A create's event job, triggers and an email included: bounded queries."""
    from django.db import connection

    Trigger.objects.create(
        title="Tell the requester",
        events=["ticket.created"],
        actions=[{"type": "email_requester", "template": "rules/requester_received"}],
    )
    agent = AgentFactory()
    warm = create_ticket(actor=agent, requester=customer, subject="Help", description="It broke")
    run_worker()  # loads the rules into this process's cache
    ticket = create_ticket(actor=agent, requester=customer, subject="Help", description="Broke")
    [job] = [j for j in event_jobs() if payload(j)["ticket"] == ticket.pk]

    with django_assert_max_num_queries(EVENT_JOB_QUERIES[connection.vendor]):
        events.process_ticket_event.call(payload(job))
    assert Delivery.objects.filter(ticket=ticket, recipient="cara@acme.test").count() == 1
    assert warm.pk != ticket.pk
