"""The row editors for rules (core/rule_editor.py and each rule language's catalogue): names,
not ids; the forms still post JSON validated by each rule's own validation; errors name the row;
pages keep a fixed query count. The browser half is in test_browser_rule_editor.py."""

from __future__ import annotations

import json

import pytest

from switchboard.accounts.tests.factories import (
    AgentFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)
from switchboard.notify.rules.models import TimeRule, Trigger
from switchboard.sla.models import Policy
from switchboard.tickets.models import View

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def names():
    group = SupportGroupFactory(name="Tier 2")
    agent = AgentFactory(name="Grace Hopper", email="grace@switchboard.test")
    org = OrganizationFactory(name="Initech")
    return group, agent, org


def _catalogue(content: bytes, name: str) -> dict:
    import re
    from html import unescape

    match = re.search(
        rf'<textarea name="{name}"[^>]*data-rule-editor="([^"]*)"'.encode(), content
    ) or re.search(rf'data-rule-editor="([^"]*)"[^>]*name="{name}"'.encode(), content)
    assert match, f"no row editor for {name}"
    return json.loads(unescape(match.group(1).decode()))


def _field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def test_trigger_form_offers_names_not_ids_or_json(admin_client_, names):
    response = admin_client_.get("/admin/notify/trigger/add/")
    assert response.status_code == 200
    assert b"core/rule_editor.js" in response.content
    # events are checkboxes, not a JSON list
    assert b'type="checkbox" name="events" value="ticket.created"' in response.content
    schema = _catalogue(response.content, "conditions_all")
    assert schema["kind"] == "conditions"
    assert ["Tier 2", "Tier 2"] in _field(schema, "group")["choices"]
    assert ["grace@switchboard.test", "Grace Hopper <grace@switchboard.test>"] in _field(
        schema, "assignee"
    )["choices"]
    assert ["Initech", "Initech"] in _field(schema, "organization")["choices"]
    assert [True, "Yes"] in _field(schema, "organization.is_internal")["choices"]
    assert "changed_to" in _field(schema, "status")["operators"]
    actions = _catalogue(response.content, "actions")
    set_field = next(t for t in actions["types"] if t["type"] == "set_field")
    by_field = set_field["params"][1]["choices_by"]
    assert ["grace@switchboard.test", "Grace Hopper <grace@switchboard.test>"] in by_field[
        "assignee"
    ]
    assert [None, "(nobody — clear it)"] in by_field["group"]


def test_view_and_sla_catalogues_map_names_to_ids(admin_client_, names):
    group, agent, org = names
    view = View.objects.create(title="Tier 2 queue", conditions={})
    response = admin_client_.get(f"/admin/tickets/view/{view.pk}/change/")
    assert response.status_code == 200
    schema = _catalogue(response.content, "conditions")
    assert schema["shape"] == "groups"
    assert [group.pk, "Tier 2"] in _field(schema, "group")["choices"]
    assert [agent.pk, "Grace Hopper"] in _field(schema, "assignee")["choices"]
    assert ["current_user", "(the person viewing)"] in _field(schema, "assignee")["choices"]
    assert [org.pk, "Initech"] in _field(schema, "organization")["choices"]
    assert b"admin-autocomplete" in response.content  # a personal view's owner: by name

    response = admin_client_.get("/admin/sla/policy/add/")
    schema = _catalogue(response.content, "conditions")
    assert [org.pk, "Initech"] in _field(schema, "organization.id")["choices"]
    assert _field(schema, "tags")["operators"] == ["includes", "not_includes"]


def test_trigger_saved_from_rows_is_stored_as_posted(admin_client_, names):
    """What the editor posts (JSON in the textareas, events as checkboxes) is the stored rule."""
    conditions = [{"field": "group", "operator": "is", "value": "Tier 2"}]
    actions = [{"type": "set_field", "field": "assignee", "value": "grace@switchboard.test"}]
    response = admin_client_.post(
        "/admin/notify/trigger/add/",
        {
            "title": "Tier 2 to Grace",
            "description": "",
            "position": "5",
            "is_active": "on",
            "events": ["ticket.created", "ticket.updated"],
            "conditions_all": json.dumps(conditions),
            "conditions_any": "[]",
            "actions": json.dumps(actions),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    trigger = Trigger.objects.get(title="Tier 2 to Grace")
    assert trigger.events == ["ticket.created", "ticket.updated"]
    assert trigger.conditions_all == conditions
    assert trigger.actions == actions


def test_bad_rows_are_refused_with_the_row_named(admin_client_):
    response = admin_client_.post(
        "/admin/notify/timerule/add/",
        {
            "title": "Nudge",
            "description": "",
            "position": "1",
            "is_active": "on",
            "kind": "pending_reminder",
            "amount": "24",
            "conditions_all": json.dumps(
                [
                    {"field": "priority", "operator": "is", "value": "high"},
                    {"field": "priority", "operator": "is", "value": "huge"},
                ]
            ),
            "conditions_any": "[]",
            "actions": json.dumps([{"type": "email_requester"}]),
        },
    )
    assert response.status_code == 200
    assert "conditions_all[1]: &#x27;huge&#x27; is not a priority" in response.content.decode()
    assert not TimeRule.objects.filter(title="Nudge").exists()


def test_sla_policy_errors_name_the_row(admin_client_):
    response = admin_client_.post(
        "/admin/sla/policy/add/",
        {
            "title": "Broken",
            "description": "",
            "position": "1",
            "active": "on",
            "conditions": json.dumps(
                {
                    "all": [
                        {"field": "priority", "operator": "is", "value": "high"},
                        {"field": "colour", "operator": "is", "value": "red"},
                    ]
                }
            ),
            "schedule": "",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "all[1]: unknown field &#x27;colour&#x27;" in response.content.decode()
    assert not Policy.objects.filter(title="Broken").exists()


def test_editor_pages_keep_a_fixed_query_count(admin_client_, django_assert_max_num_queries):
    """Names are one query per kind (groups, agents, organizations, endpoints) however many
    editors the page has and however many names there are."""
    trigger = Trigger.objects.create(
        title="Count me",
        events=["ticket.created"],
        actions=[{"type": "add_tags", "value": ["x"]}],
    )
    admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/change/")  # warm caches
    with django_assert_max_num_queries(12) as few:
        admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/change/")
    bound = len(few.captured_queries)
    assert bound > 0
    for _ in range(15):
        SupportGroupFactory()
        AgentFactory()
        OrganizationFactory()
    with django_assert_max_num_queries(bound):
        response = admin_client_.get(f"/admin/notify/trigger/{trigger.pk}/change/")
    assert response.status_code == 200


def test_agents_and_end_users_cannot_open_the_rule_admin(client):
    for user in (AgentFactory(), UserFactory()):
        client.force_login(user)
        response = client.get("/admin/notify/trigger/add/")
        assert response.status_code in (302, 403)
        assert b"data-rule-editor" not in response.content


def test_time_rules_get_the_same_condition_and_action_rows(admin_client_):
    response = admin_client_.get("/admin/notify/timerule/add/")
    assert response.status_code == 200
    for name in ("conditions_all", "conditions_any"):
        assert _catalogue(response.content, name)["kind"] == "conditions"
    kinds = [t["type"] for t in _catalogue(response.content, "actions")["types"]]
    assert kinds[:3] == ["set_field", "add_tags", "remove_tags"] and "notify_endpoint" in kinds
