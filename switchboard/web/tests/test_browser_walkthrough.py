"""Issue #16's "Done when" walk-through in one browser session (Debian's Chromium, headless): a
support manager creates a ticket for a customer with a CC, bulk-assigns three tickets from a view,
opens an organization page from search, acknowledges an incident from its page and adds a person
to an on-call layer by name.

With SWITCHBOARD_SCREENSHOTS=1 each step is saved as docs/screenshots/walkthrough-<n>-<step>.png
(docs/web.md shows them); without it the test writes nothing outside its database.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from switchboard.accounts.models import OrganizationDomain, User
from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.notify.outbox.models import Delivery
from switchboard.notify.rules.shipped import seed
from switchboard.oncall import actions as oncall
from switchboard.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    IncidentStatus,
    LogKind,
    OnCallSchedule,
    Service,
)
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket, TicketAudit, View
from switchboard.web.tests.conftest import install_shipped_config
from switchboard.web.tests.test_browser import sign_in
from switchboard.web.tests.test_browser_ticket_people import new_ticket_with_a_cc

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def shot(page, name: str, *, full_page: bool = False) -> None:
    """Save docs/screenshots/walkthrough-<name>.png when SWITCHBOARD_SCREENSHOTS is set."""
    if os.environ.get("SWITCHBOARD_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{name}.png"), full_page=full_page)


@pytest.fixture
def desk():
    """A manager (admin), two agents, Initech with a customer, four unassigned tickets, a view of
    unassigned tickets and an on-call schedule behind the Customer Emergency service."""
    install_shipped_config()
    seed(environ={})  # the shipped triggers (a transactional test's flush removed them)
    mia = AdminFactory(name="Mia Manager", email="mia@switchboard.test", time_zone="Europe/Berlin")
    bea = AgentFactory(name="Bea Backup", email="bea@switchboard.test")
    ann = AgentFactory(name="Ann Agent", email="ann@switchboard.test")
    zoe = AgentFactory(name="Zoe Oncall", email="zoe@switchboard.test")
    org = OrganizationFactory(name="Initech", support_level="priority", preferred_region="emea")
    OrganizationDomain.objects.create(organization=org, domain="initech.test")
    peter = UserFactory(name="Peter Gibbons", email="peter@initech.test", organization=org)
    for subject in ("Alpha outage", "Bravo login", "Charlie export", "Delta billing"):
        create_ticket(actor=peter, requester=peter, subject=subject, description="Help.")
    view = View.objects.create(
        title="Unassigned (walk-through)",
        conditions={"all": [{"field": "assignee", "operator": "is", "value": None}]},
        sort_by="subject",
        sort_order="asc",
    )
    schedule = OnCallSchedule.objects.create(name="Support EMEA")
    layer = oncall.add_layer(
        schedule=schedule,
        users=[ann.pk],
        rotation_virtual_start=datetime(2026, 1, 5, 7, tzinfo=UTC),
        turn_length=timedelta(days=1),  # daily turns: both people show in the next 7 days
        start=datetime(2026, 1, 5, 7, tzinfo=UTC),
    )
    policy = EscalationPolicy.objects.create(name="Customer Emergency", num_loops=1)
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    level.schedules.set([schedule])
    service = Service.objects.create(name="Customer Emergency", escalation_policy=policy)
    return {"mia": mia, "bea": bea, "zoe": zoe, "ann": ann, "org": org, "peter": peter,
            "view": view, "layer": layer, "service": service}  # fmt: skip


def test_a_manager_walks_through_the_workspace(page, desk):
    mia, org, peter = desk["mia"], desk["org"], desk["peter"]
    sign_in(page, mia.email)
    page.wait_for_url(re.compile(r"/$"))

    # 1. a ticket for a customer with a CC, from /tickets/new
    new_ticket_with_a_cc(page, "Mia Manager")  # requester picked by name, a new CC
    ticket = Ticket.objects.get(subject="Your TLS certificate expires on Friday")
    assert page.url.endswith(f"/tickets/{ticket.pk}/")
    assert page.locator("#ccs li[data-cc='samir@initech.test']").is_visible()
    assert ticket.requester == peter and ticket.organization == org
    assert list(ticket.ccs.values_list("email", flat=True)) == ["samir@initech.test"]
    # the outbox: the requester and the CC each got the first comment (triggers run inline)
    mails = {d.recipient: d for d in Delivery.objects.filter(ticket=ticket, channel="email")}
    for address in ("peter@initech.test", "samir@initech.test"):
        assert "Renew it before Friday" in mails[address].payload["text"]
    shot(page, "1-new-ticket", full_page=True)  # the CCs card is below the fold

    # 2. bulk-assign three tickets from a view
    view = desk["view"]
    page.goto(f"/views/{view.pk}/")
    three = ("Alpha outage", "Bravo login", "Charlie export")
    for subject in three:
        page.locator("tr.ticket-row", has_text=subject).locator('input[name="tickets"]').check()
    page.select_option('#bulk-form select[name="assignee"]', label="Bea Backup")
    shot(page, "2-bulk-select")
    page.click("#bulk-form button[type=submit]")
    page.locator(".flash", has_text="3 updated").wait_for()
    assert page.locator("tr.ticket-row td.subject").all_inner_texts() == ["Delta billing"]
    assigned = Ticket.objects.filter(assignee=desk["bea"])
    assert sorted(assigned.values_list("subject", flat=True)) == list(three)
    for ticket in assigned:
        assert TicketAudit.objects.filter(ticket=ticket).count() == 2  # created + the bulk change
    shot(page, "2-bulk-assigned")

    # 3. search an organization by name and open its page from the results
    page.fill("#global-search", "Initech")
    page.press("#global-search", "Enter")
    result = page.locator("#results-organization a", has_text="Initech")
    result.wait_for()
    shot(page, "3-search")
    result.click()
    page.wait_for_url(re.compile(rf"/organizations/{org.pk}/$"))
    assert "initech.test" in page.locator("#organization-page").inner_text()
    assert page.locator(".people-tickets", has_text="Delta billing").count() == 1
    shot(page, "3-organization")

    # 4. acknowledge an incident from the incident page; the log says who did
    incident, _ = oncall.trigger_incident(service=desk["service"], summary="Registry returns 500")
    page.goto("/oncall/incidents/?status=triggered")
    page.click("text=Registry returns 500")
    page.wait_for_url(re.compile(rf"/oncall/incidents/{incident.pk}/$"))
    assert page.locator("#incident-status").inner_text().startswith("Triggered")
    page.click("#acknowledge")
    page.locator(".flash", has_text="Acknowledged.").wait_for()
    assert page.locator("#incident-status").inner_text().startswith("Acknowledged")
    assert "Mia Manager" in page.locator("#incident-log li.log-acknowledge").inner_text()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == mia
    assert incident.log.filter(kind=LogKind.ACKNOWLEDGE, user=mia).exists()
    shot(page, "4-incident", full_page=True)  # the timeline is below the fold

    # 5. add a person to the on-call layer by name; /oncall/ shows them in the next 7 days
    layer, zoe = desk["layer"], desk["zoe"]
    page.goto(f"/admin/oncall/schedulelayer/{layer.pk}/change/")
    members = page.locator("ol.layer-members select")
    members.nth(1).select_option(label="Zoe Oncall (zoe@switchboard.test)")
    shot(page, "5-layer-member")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/oncall/schedulelayer/$"))
    layer.refresh_from_db()
    assert layer.users == [desk["ann"].pk, zoe.pk]
    page.goto("/oncall/")
    track = page.locator(f".track[data-schedule='{layer.schedule_id}']")
    assert track.locator(".shift", has_text="Zoe Oncall").count() >= 1
    assert track.locator(".shift", has_text="Ann Agent").count() >= 1
    assert User.objects.get(email="samir@initech.test").organization == org
    shot(page, "5-oncall")
