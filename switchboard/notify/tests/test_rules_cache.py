"""Triggers, time rules and endpoints are cached per process (notify/rules/config.py,
core/generations.py): every way of writing them must start a new generation, so the next
ticket event sees the edit; and firing a rule writes none of them (the cache would thrash)."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.tests.factories import OrganizationFactory, UserFactory
from switchboard.core.models import ConfigGeneration
from switchboard.notify.outbox.endpoints import create_endpoint, update_endpoint
from switchboard.notify.outbox.models import Delivery, Endpoint
from switchboard.notify.rules import automations, config
from switchboard.notify.rules.models import TimeRule, TimeRuleKind, Trigger
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    org = OrganizationFactory(name="Acme", support_level="standard")
    return UserFactory(email="cara@acme.test", name="Cara", organization=org)


@pytest.fixture
def tagger(db) -> Trigger:
    Trigger.objects.all().delete()  # only this file's rules
    return Trigger.objects.create(
        title="Tag it",
        events=["ticket.created"],
        actions=[{"type": "add_tags", "value": ["cached"]}],
    )


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def tagged(requester) -> bool:
    """Whether a new ticket got the tagger's tag (the event's triggers ran inline)."""
    ticket = create_ticket(actor=requester, subject="Help", description="Broken")
    return "cached" in ticket.tag_names()


def test_the_rules_load_once_per_generation(tagger):
    config.current()
    with CaptureQueriesContext(connection) as reads:
        rules = config.current()
    assert [t.title for t in rules.triggers] == ["Tag it"]
    assert len(reads) == 1  # the generation token, not triggers, time rules and endpoints


@pytest.mark.parametrize(
    "edit",
    [
        "save",
        "queryset_update",
        "bulk_update",
        "delete",
        "queryset_delete",
        "admin_action",
        "admin_change_form",
    ],
)
def test_every_write_path_reaches_the_next_event(tagger, customer, admin_client_, edit):
    assert tagged(customer)  # cached now
    if edit == "save":
        tagger.is_active = False
        tagger.save()
    elif edit == "queryset_update":
        Trigger.objects.filter(pk=tagger.pk).update(is_active=False)
    elif edit == "bulk_update":
        tagger.is_active = False
        Trigger.objects.bulk_update([tagger], ["is_active"])
    elif edit == "delete":
        tagger.delete()
    elif edit == "queryset_delete":
        Trigger.objects.filter(pk=tagger.pk).delete()
    elif edit == "admin_action":
        admin_client_.post(
            "/admin/notify/trigger/",
            {"action": "deactivate", "_selected_action": [str(tagger.pk)]},
        )
    elif edit == "admin_change_form":
        response = admin_client_.post(
            f"/admin/notify/trigger/{tagger.pk}/change/",
            {
                "title": "Tag it",
                "description": "",
                "position": "0",
                "events": ["ticket.created"],  # is_active left out: unticked
                "conditions_all": "[]",
                "conditions_any": "[]",
                "actions": json.dumps(tagger.actions),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert not tagged(customer)


def test_a_new_trigger_reaches_the_next_event(tagger, customer):
    assert tagged(customer)
    Trigger.objects.bulk_create(
        [Trigger(title="Tag more", events=["ticket.created"], actions=tagger.actions)]
    )
    tagger.delete()
    assert tagged(customer)  # the bulk-created one, not the cached deleted one


def test_a_rolled_back_edit_leaves_no_stale_cache(tagger, customer):
    assert tagged(customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        Trigger.objects.filter(pk=tagger.pk).update(is_active=False)
        assert not tagged(customer)  # the writer sees its own edit
        raise RuntimeError("rolled back")
    assert tagged(customer)
    # A later edit never reuses the rolled-back token (tokens are random, not counters).
    Trigger.objects.filter(pk=tagger.pk).update(is_active=False)
    assert not tagged(customer)


def test_another_process_edit_is_seen(tagger, customer):
    """Another process's commit changes the token row; this process reloads."""
    assert tagged(customer)
    with connection.cursor() as cursor:  # what another process's edit leaves behind
        cursor.execute("UPDATE notify_trigger SET is_active = %s", [False])
        cursor.execute("UPDATE core_configgeneration SET token = 'elsewhere' WHERE name = 'rules'")
    assert ConfigGeneration.objects.get(name="rules").token == "elsewhere"
    assert not tagged(customer)


def test_time_rule_edits_reach_the_close_delay_and_the_scheduler(db, admin_client_):
    TimeRule.objects.filter(kind=TimeRuleKind.CLOSE_SOLVED).delete()
    rule = TimeRule.objects.create(
        title="Close after 2 days", kind=TimeRuleKind.CLOSE_SOLVED, amount=2
    )
    assert automations.close_delay_days() == 2.0
    TimeRule.objects.filter(pk=rule.pk).update(amount=6)
    assert automations.close_delay_days() == 6.0
    admin_client_.post(
        "/admin/notify/timerule/", {"action": "deactivate", "_selected_action": [str(rule.pk)]}
    )
    assert automations.close_delay_days() is None
    assert rule.pk not in [r.pk for r in automations.active_rules()]


def test_endpoint_edits_reach_the_next_event(tagger, customer, admin_user):
    """A trigger's notify_endpoint finds the endpoint as it is now (created, switched off)."""
    tagger.actions = [{"type": "notify_endpoint", "endpoint": "Feed", "message": "new"}]
    tagger.save()
    create_ticket(actor=customer, subject="Help", description="Broken")  # cached: no endpoint
    feed = create_endpoint(actor=admin_user, name="Feed", kind="webhook", url="https://h.test/")
    create_ticket(actor=customer, subject="Help", description="Broken")
    assert Delivery.objects.filter(endpoint=feed).count() == 1
    update_endpoint(
        actor=admin_user,
        endpoint=feed,
        name="Feed",
        kind="webhook",
        url="https://h.test/",
        events=[],
        is_active=False,
    )
    create_ticket(actor=customer, subject="Help", description="Broken")
    assert Delivery.objects.filter(endpoint=feed).count() == 1
    Endpoint.objects.filter(pk=feed.pk).delete()
    create_ticket(actor=customer, subject="Help", description="Broken")  # no stale endpoint


def test_firing_rules_writes_no_rule_row(tagger, customer):
    """Triggers and time rules fire without writing their own rows: the cache stays warm."""
    assert tagged(customer)
    before = ConfigGeneration.objects.get(name="rules").token
    assert tagged(customer)
    assert ConfigGeneration.objects.get(name="rules").token == before
