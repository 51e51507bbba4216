"""The rule row editor in a real browser (Chromium, headless): a manager builds a trigger from
rows — no JSON, no ids — saves it, and a server error is shown next to the row it names."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.tests.factories import AdminFactory, AgentFactory, SupportGroupFactory
from switchboard.notify.rules.models import Trigger
from switchboard.tickets.models import View
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_manager_builds_a_trigger_from_rows(page):
    manager = AdminFactory(email="mona@switchboard.test")
    AgentFactory(name="Grace Hopper", email="grace@switchboard.test")
    SupportGroupFactory(name="Tier 2")
    sign_in(page, manager.email)
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/admin/notify/trigger/add/")
    page.fill("#id_title", "Urgent to Tier 2")
    page.check("input[name=events][value='ticket.created']")
    assert not page.is_visible("#id_conditions_all")  # the JSON is the advanced option

    all_box = page.locator(".field-conditions_all .rule-group")
    all_box.locator(".rule-add").click()
    row = all_box.locator(".rule-row").nth(0)
    row.locator(".rule-field").select_option(label="Ticket priority")
    row.locator(".rule-operator").select_option(label="is one of")
    row.locator("select.rule-input").select_option(label=["High", "Urgent"])
    all_box.locator(".rule-add").click()  # a second row, removed again
    all_box.locator(".rule-row").nth(1).locator(".rule-remove").click()
    assert all_box.locator(".rule-row").count() == 1

    actions = page.locator(".field-actions .rule-group")
    actions.locator(".rule-add").click()
    first = actions.locator(".rule-row").nth(0)
    first.locator(".rule-type").select_option(label="Set field")
    first.locator("select[aria-label=Field]").select_option(label="Group")
    first.locator("select[aria-label=to]").select_option(label="Tier 2")
    actions.locator(".rule-add").click()
    second = actions.locator(".rule-row").nth(1)
    second.locator(".rule-type").select_option(label="Email a person")
    second.locator("input[aria-label=Address]").fill("grace")  # not an address: refused
    second.locator("select[aria-label=Email]").select_option(index=1)

    page.click("input[name=_save]")
    error = page.locator(".field-actions .rule-row").nth(1).locator(".rule-error")
    error.wait_for()
    assert "actions[1]" in error.inner_text() and "not an email address" in error.inner_text()
    assert not Trigger.objects.filter(title="Urgent to Tier 2").exists()

    # the rows came back as posted; fix the address and save
    second = page.locator(".field-actions .rule-row").nth(1)
    second.locator("input[aria-label=Address]").fill("grace@switchboard.test")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/notify/trigger/$"))
    trigger = Trigger.objects.get(title="Urgent to Tier 2")
    assert trigger.events == ["ticket.created"]
    assert trigger.conditions_all == [
        {"field": "priority", "operator": "in", "value": ["high", "urgent"]}
    ]
    assert trigger.conditions_any == []
    assert trigger.actions[0] == {"type": "set_field", "field": "group", "value": "Tier 2"}
    assert trigger.actions[1]["type"] == "email_user"
    assert trigger.actions[1]["value"] == "grace@switchboard.test"


def test_view_conditions_pick_people_by_name_and_json_stays_available(page):
    manager = AdminFactory(email="mona@switchboard.test")
    grace = AgentFactory(name="Grace Hopper", email="grace@switchboard.test")
    view = View.objects.create(
        title="Grace's queue",
        conditions={"all": [{"field": "status", "operator": "less_than", "value": "solved"}]},
    )
    sign_in(page, manager.email)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/admin/tickets/view/{view.pk}/change/")

    any_box = page.locator(".rule-group", has_text="any of these")
    any_box.locator(".rule-add").click()
    row = any_box.locator(".rule-row").nth(0)
    row.locator(".rule-field").select_option(label="Assignee")
    row.locator("select.rule-input").select_option(label="Grace Hopper")

    # "Edit as JSON" shows what will be posted; back to rows keeps it
    page.click(".field-conditions .rule-toggle")
    assert page.is_visible("#id_conditions")
    assert f'"value": {grace.pk}' in page.input_value("#id_conditions")
    page.click(".field-conditions .rule-toggle")
    assert not page.is_visible("#id_conditions")

    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/tickets/view/$"))
    view.refresh_from_db()
    assert view.conditions == {
        "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
        "any": [{"field": "assignee", "operator": "is", "value": grace.pk}],
    }


def test_saving_untouched_rows_keeps_the_rule(page):
    """Opening and saving a rule changes nothing it means: a space-separated "in" list becomes
    a list, and a group the catalogue no longer has is kept (shown as "not found")."""
    manager = AdminFactory(email="mona@switchboard.test")
    trigger = Trigger.objects.create(
        title="Old rule",
        events=["ticket.created"],
        conditions_all=[{"field": "priority", "operator": "in", "value": "high urgent"}],
        conditions_any=[{"field": "group", "operator": "is", "value": "Gone team"}],
        actions=[{"type": "add_tags", "value": "vip escalated"}],
    )
    sign_in(page, manager.email)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/admin/notify/trigger/{trigger.pk}/change/")
    kept = page.locator(".field-conditions_any select.rule-input option:checked")
    assert kept.inner_text() == "Gone team (not found)"
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/notify/trigger/$"))
    trigger.refresh_from_db()
    assert trigger.conditions_all == [
        {"field": "priority", "operator": "in", "value": ["high", "urgent"]}
    ]
    assert trigger.conditions_any == [{"field": "group", "operator": "is", "value": "Gone team"}]
    assert trigger.actions == [{"type": "add_tags", "value": ["vip", "escalated"]}]
