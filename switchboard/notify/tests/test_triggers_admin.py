"""The rule admin: lists, validation on save, activate/deactivate, the read-only preview."""

from __future__ import annotations

import json

import pytest

from switchboard.accounts.tests.factories import OrganizationFactory, UserFactory
from switchboard.notify.rules import shipped
from switchboard.notify.rules.models import TimeRule, Trigger, TriggerFiring
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shipped_rules():
    """Shipped rules come from the migration; a transactional test elsewhere may have flushed
    them, so make sure they are there (seeding is idempotent)."""
    shipped.seed(environ={})


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def test_rule_lists_and_firing_logs_render(admin_client_):
    for url in (
        "/admin/notify/trigger/",
        "/admin/notify/timerule/",
        "/admin/notify/triggerfiring/",
        "/admin/notify/timerulefiring/",
    ):
        response = admin_client_.get(url)
        assert response.status_code == 200, url
    assert (
        b"TAM/CSM: new ticket from your account"
        in admin_client_.get("/admin/notify/trigger/").content
    )


def test_saving_a_bad_trigger_shows_the_error_and_writes_nothing(admin_client_):
    """A condition on an unknown status is refused with a message naming it (no 500)."""
    response = admin_client_.post(
        "/admin/notify/trigger/add/",
        {
            "title": "Broken",
            "position": "1",
            "is_active": "on",
            "events": ["ticket.created"],
            "conditions_all": json.dumps([{"field": "status", "operator": "is", "value": "x"}]),
            "conditions_any": "[]",
            "actions": json.dumps([{"type": "add_tags", "value": ["a"]}]),
            "description": "",
        },
    )
    assert response.status_code == 200
    assert "is not a status" in response.content.decode()
    assert not Trigger.objects.filter(title="Broken").exists()


def test_deactivate_action(admin_client_):
    ids = list(Trigger.objects.values_list("pk", flat=True)[:2])
    admin_client_.post(
        "/admin/notify/trigger/",
        {"action": "deactivate", "_selected_action": [str(i) for i in ids]},
    )
    assert not Trigger.objects.filter(pk__in=ids, is_active=True).exists()
    rule = TimeRule.objects.get(shipped_key="pending_reminder")
    admin_client_.post(
        "/admin/notify/timerule/", {"action": "activate", "_selected_action": [str(rule.pk)]}
    )
    rule.refresh_from_db()
    assert rule.is_active


def test_preview_against_a_ticket_sends_nothing(admin_client_):
    """'Test against ticket #N' says whether the trigger would fire and why, and fires nothing."""
    org = OrganizationFactory(name="Acme <b>", support_level="priority")
    ticket = create_ticket(actor=UserFactory(organization=org), subject="Help", description="x")
    trigger = Trigger.objects.create(
        title="Priority only",
        events=["ticket.updated"],
        conditions_all=[
            {"field": "organization.support_level", "operator": "is", "value": "priority"}
        ],
        conditions_any=[{"field": "priority", "operator": "is", "value": "urgent"}],
        actions=[{"type": "add_tags", "value": "x"}],
    )
    before = TriggerFiring.objects.count()
    page = admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/test/?ticket={ticket.pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "would not fire" in text
    assert "organization.support_level is &#x27;priority&#x27; — holds" in text
    assert "priority is &#x27;urgent&#x27; — does not hold" in text
    assert TriggerFiring.objects.count() == before
    missing = admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/test/?ticket=abc")
    assert missing.status_code == 200 and "No ticket #abc" in missing.content.decode()
    change = admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/change/")
    assert b"Test against a ticket" in change.content
