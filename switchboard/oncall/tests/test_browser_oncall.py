"""On-call in a real browser (Debian's Chromium, headless): an agent acknowledges an incident
from its page, and an admin adds a person to an on-call layer by picking their name."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from switchboard.accounts.tests.factories import AdminFactory, AgentFactory
from switchboard.oncall import actions
from switchboard.oncall.models import IncidentStatus, LogKind, OnCallSchedule, ScheduleLayer
from switchboard.oncall.tests.conftest import EPOCH
from switchboard.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_agent_acknowledges_an_incident_from_the_incident_page(page, emergency):
    service, _ = emergency
    ada = AgentFactory(name="Ada Agent", email="ada@switchboard.test")
    incident, _ = actions.trigger_incident(service=service, summary="Registry returns 500")
    sign_in(page, ada.email)
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/oncall/incidents/?status=triggered")
    page.click("text=Registry returns 500")
    page.wait_for_url(re.compile(rf"/oncall/incidents/{incident.pk}/$"))
    assert page.locator("#incident-status").inner_text().startswith("Triggered")
    assert page.locator("#incident-log li.log-escalate").count() == 1  # level 0 was paged

    page.click("#acknowledge")
    page.wait_for_url(re.compile(rf"/oncall/incidents/{incident.pk}/$"))
    assert page.locator(".flash").inner_text() == "Acknowledged."
    assert page.locator("#incident-status").inner_text().startswith("Acknowledged")
    entry = page.locator("#incident-log li.log-acknowledge")
    assert "Ada Agent" in entry.inner_text()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", entry.locator("time").get_attribute("title")
    )
    assert page.locator("#acknowledge").count() == 0
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == ada
    assert incident.log.filter(kind=LogKind.ACKNOWLEDGE, user=ada).exists()


def open_layer_in_admin(page):
    """A one-person layer (Ann) in a new schedule, its admin change page open as an admin."""
    admin = AdminFactory(name="Ida Admin", email="ida@switchboard.test")
    ann = AgentFactory(name="Ann Agent", email="ann@switchboard.test")
    schedule = OnCallSchedule.objects.create(name="Customer Emergency EMEA")
    layer = actions.add_layer(
        schedule=schedule,
        users=[ann.pk],
        rotation_virtual_start=EPOCH,
        turn_length=timedelta(days=7),
        start=EPOCH,
    )
    sign_in(page, admin.email)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/admin/oncall/schedulelayer/{layer.pk}/change/")
    return layer, ann


def test_admin_adds_a_person_to_an_on_call_layer_by_name(page):
    zoe = AgentFactory(name="Zoe Agent", email="zoe@switchboard.test")
    layer, ann = open_layer_in_admin(page)
    members = page.locator("ol.layer-members select")
    assert members.count() == 2  # Ann, and an empty one to add a person
    assert (
        members.nth(0).locator("option:checked").inner_text() == "Ann Agent (ann@switchboard.test)"
    )
    members.nth(1).select_option(label="Zoe Agent (zoe@switchboard.test)")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/oncall/schedulelayer/$"))
    layer.refresh_from_db()
    assert layer.users == [ann.pk, zoe.pk]
    assert ScheduleLayer.objects.count() == 1
