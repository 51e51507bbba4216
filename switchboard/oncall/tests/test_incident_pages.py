"""The workspace's incident pages: list (tabs, service, paging), the incident with its timeline,
acknowledge / resolve / reassign / escalate now / snooze as CSRF POSTs through the actions, and
opening an incident by hand. Agents only; the Events API keeps PagerDuty's semantics after them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.core.sweeps import run_all_sweeps
from switchboard.oncall import actions
from switchboard.oncall.models import (
    Incident,
    IncidentStatus,
    LogKind,
    Notification,
    NotificationStatus,
    Service,
    Severity,
)
from switchboard.oncall.queries import INCIDENTS_PER_PAGE

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def desk(emergency, client):
    """The Customer Emergency service, its people, and Berlin-based agent Ada signed in."""
    service, names = emergency
    ada = AgentFactory(name="Ada Agent", email="ada@switchboard.test", time_zone="Europe/Berlin")
    client.force_login(ada)
    return service, names, ada, client


def _incident(service, summary="Registry down", **kwargs):
    incident, _ = actions.trigger_incident(service=service, summary=summary, **kwargs)
    return incident


def _paged(incident) -> set[str]:
    return {n.address for n in Notification.objects.filter(incident=incident, user__isnull=False)}


# ------------------------------------------------------------------------------------ access


def test_incident_pages_are_for_agents_only(emergency, client):
    service, _ = emergency
    incident = _incident(service)
    urls = ["/oncall/incidents/", f"/oncall/incidents/{incident.pk}/", "/oncall/incidents/new/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(email="carol@acme.test"))
    for url in urls:
        assert client.get(url).status_code == 404
    response = client.post(f"/oncall/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


# -------------------------------------------------------------------------------------- list


def test_list_tabs_filter_by_status_and_service_newest_first(desk, person):
    service, _, _, client = desk
    other = Service.objects.create(name="US Federal", escalation_policy=service.escalation_policy)
    with time_machine.travel(T0, tick=False) as traveller:
        old = _incident(service, "Old outage")
        traveller.move_to(T0 + timedelta(minutes=1))
        acked = _incident(service, "Acked outage")
        actions.acknowledge_incident(incident=acked)
        traveller.move_to(T0 + timedelta(minutes=2))
        done = _incident(service, "Done outage")
        actions.resolve_incident(incident=done)
        traveller.move_to(T0 + timedelta(minutes=3))
        federal = _incident(other, "Federal outage")

    def listed(**params) -> list[str]:
        response = client.get("/oncall/incidents/", params)
        assert response.status_code == 200
        return [i["row"].summary for i in response.context["incidents"]]

    assert listed() == ["Federal outage", "Acked outage", "Old outage"]  # open, newest first
    assert listed(status="triggered") == ["Federal outage", "Old outage"]
    assert listed(status="acknowledged") == ["Acked outage"]
    assert listed(status="resolved") == ["Done outage"]
    assert listed(service=other.pk) == ["Federal outage"]
    assert listed(status="triggered", service=service.pk) == ["Old outage"]
    assert client.get("/oncall/incidents/", {"status": "bogus"}).status_code == 422
    assert client.get("/oncall/incidents/", {"page": "x"}).status_code == 422
    assert old.pk and federal.pk


def test_list_pages_with_a_fixed_query_count(desk, django_assert_max_num_queries):
    service, _, _, client = desk
    for n in range(INCIDENTS_PER_PAGE + 5):
        incident = _incident(service, f"Outage {n}")
        actions.acknowledge_incident(incident=incident, user=AgentFactory())
    counts = []
    for page in ("1", "2"):
        with django_assert_max_num_queries(5) as captured:
            response = client.get("/oncall/incidents/", {"page": page})
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert len(response.context["incidents"]) == 5
    assert response.context["pages"] == 2
    assert b"Page 2 of 2" in response.content
    # 'Outage 0' is the oldest, so it is on the last page
    assert "Outage 0" in response.content.decode()
    assert counts[0] == counts[1]
    assert client.get("/oncall/incidents/", {"page": "99"}).status_code == 200


# ------------------------------------------------------------------------------------ detail


def test_incident_page_shows_the_log_as_a_timeline_in_the_agents_zone(
    desk, django_assert_max_num_queries
):
    service, names, ada, client = desk
    with time_machine.travel(T0, tick=False) as traveller:
        incident = _incident(service)
        traveller.move_to(T0 + timedelta(minutes=3))
        actions.acknowledge_incident(incident=incident, user=names["amer"])
    url = f"/oncall/incidents/{incident.pk}/"
    with django_assert_max_num_queries(5) as before:
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    # 12:03 UTC is 13:03 in Berlin; UTC on hover
    assert 'title="2026-03-02 12:03 UTC">Mon 02 Mar 13:03</time>' in html
    kinds = [t["entry"].kind for t in response.context["timeline"]]
    assert kinds[0] == LogKind.TRIGGER and kinds[-1] == LogKind.ACKNOWLEDGE
    assert "notifying amer@switchboard.test" in html  # who was paged
    assert "Acknowledged</strong> — Amer" in html  # who acknowledged
    assert 'id="acknowledge"' not in html  # already acknowledged
    # more log entries, same number of queries
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        actions.escalate_incident_now(incident=incident, user=ada)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200
    assert client.get("/oncall/incidents/999999/").status_code == 404


# ----------------------------------------------------------------------------------- actions


def test_actions_need_the_csrf_token(desk):
    service, _, ada, _ = desk
    incident = _incident(service)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    assert strict.post(f"/oncall/incidents/{incident.pk}/acknowledge/").status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert strict.get(f"/oncall/incidents/{incident.pk}/acknowledge/").status_code == 405


def test_acknowledge_and_resolve_from_the_page_are_logged_with_the_agent(desk):
    service, _, ada, client = desk
    incident = _incident(service)
    response = client.post(f"/oncall/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == ada
    assert incident.log.filter(kind=LogKind.ACKNOWLEDGE, user=ada).exists()
    assert not Notification.objects.filter(
        incident=incident, status=NotificationStatus.PENDING, user__isnull=False
    ).exists()
    client.post(f"/oncall/incidents/{incident.pk}/resolve/")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_by == ada
    assert incident.log.filter(kind=LogKind.RESOLVE, user=ada).exists()
    # a resolved incident cannot be escalated, reassigned or snoozed: 422, nothing written
    entries = incident.log.count()
    for action in ("escalate", "snooze", "reassign"):
        data = {"amount": "5", "unit": "minutes", "assignee": str(ada.pk)}
        response = client.post(f"/oncall/incidents/{incident.pk}/{action}/", data)
        assert response.status_code == 422
    assert incident.log.count() == entries
    assert client.post(f"/oncall/incidents/{incident.pk}/bogus/").status_code == 404


def test_reassign_pages_the_person_picked_and_triggers_again(desk, person):
    service, _, ada, client = desk
    zoe = person("zoe")
    incident = _incident(service, dedup_key="disk-full")
    actions.acknowledge_incident(incident=incident, user=ada)
    response = client.post(f"/oncall/incidents/{incident.pk}/reassign/", {"assignee": zoe.pk})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.acknowledged_by is None and incident.next_escalation_at is not None
    assert "zoe@switchboard.test" in _paged(incident)
    entry = incident.log.get(kind=LogKind.REASSIGN)
    assert entry.user == ada and entry.data["assignee"] == zoe.pk
    # a customer, or nobody, cannot be picked: 422, nothing changes
    customer = UserFactory()
    for value in (customer.pk, 999999, "x", ""):
        response = client.post(f"/oncall/incidents/{incident.pk}/reassign/", {"assignee": value})
        assert response.status_code == 422
    assert incident.log.filter(kind=LogKind.REASSIGN).count() == 1
    # the Events API still acknowledges it by its dedup key
    body = {"routing_key": service.integration_key, "event_action": "acknowledge"}
    body["dedup_key"] = "disk-full"
    client.post("/v2/enqueue", json.dumps(body), content_type="application/json")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED


def test_escalate_now_pages_the_next_level_at_once(desk):
    service, _, ada, client = desk
    with time_machine.travel(T0, tick=False):
        incident = _incident(service)
        assert _paged(incident) == {f"{h}@switchboard.test" for h in ("amer", "apac", "emea")}
        response = client.post(f"/oncall/incidents/{incident.pk}/escalate/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.current_level == 1
    assert {"mgr-amer@switchboard.test", "mgr-emea@switchboard.test"} <= _paged(incident)
    assert incident.next_escalation_at == T0 + timedelta(minutes=5)  # level 1's own delay
    entry = incident.log.get(kind=LogKind.ESCALATE_NOW)
    assert entry.user == ada and entry.level == 1
    # the level-0 pages not yet sent are cancelled
    assert not Notification.objects.filter(
        incident=incident, level=0, status=NotificationStatus.PENDING
    ).exists()


def test_snooze_quiets_then_retriggers_after_the_time(desk):
    service, _, ada, client = desk
    with time_machine.travel(T0, tick=False) as traveller:
        incident = _incident(service)
        url = f"/oncall/incidents/{incident.pk}/snooze/"
        assert client.post(url, {"amount": "0", "unit": "minutes"}).status_code == 422
        assert client.post(url, {"amount": "8", "unit": "days"}).status_code == 422
        assert client.post(url, {"amount": "200", "unit": "hours"}).status_code == 422
        response = client.post(url, {"amount": "2", "unit": "hours"})
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.ACKNOWLEDGED
        assert incident.snoozed_until == T0 + timedelta(hours=2)
        assert incident.log.get(kind=LogKind.SNOOZE).user == ada
        page = client.get(f"/oncall/incidents/{incident.pk}/").content.decode()
        assert "snoozed until" in page and ">Mon 02 Mar 15:00</time>" in page  # Berlin
        traveller.move_to(T0 + timedelta(hours=1, minutes=59))
        run_all_sweeps()
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.ACKNOWLEDGED
        traveller.move_to(T0 + timedelta(hours=2))
        run_all_sweeps()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED and incident.snoozed_until is None
    assert incident.log.filter(kind=LogKind.ACK_TIMEOUT, message__startswith="snooze ended")
    assert incident.log.filter(kind=LogKind.ESCALATE).count() == 2  # paged again from level 0


def test_resolving_through_the_events_api_ends_a_snooze(desk):
    service, _, ada, client = desk
    incident = _incident(service, dedup_key="cpu")
    actions.snooze_incident(incident=incident, user=ada, duration=timedelta(minutes=30))
    body = {"routing_key": service.integration_key, "event_action": "resolve", "dedup_key": "cpu"}
    response = client.post("/v2/enqueue", json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.snoozed_until is None and incident.ack_timeout_at is None


# ---------------------------------------------------------------------------- open by hand


def test_agent_opens_an_incident_by_hand(desk, django_assert_max_num_queries):
    service, _, _ada, client = desk
    Service.objects.create(name="FRT Hawk", scheduling_only=True, integration_key=None)
    with django_assert_max_num_queries(3):
        response = client.get("/oncall/incidents/new/")
    assert [s.name for s in response.context["services"]] == ["Customer Emergency"]
    data = {
        "service": service.pk,
        "title": "Customer escalation needs a manager",
        "urgency": "low",
        "details": "Acme's CTO is on the phone.",
    }
    response = client.post("/oncall/incidents/new/", data)
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{incident.pk}/")
    assert incident.origin == "web" and incident.severity == Severity.WARNING
    assert incident.source == "web: ada@switchboard.test"
    assert incident.custom_details["details"] == "Acme's CTO is on the phone."
    assert "amer@switchboard.test" in _paged(incident)
    page = client.get(response["Location"]).content.decode()
    assert "Acme&#x27;s CTO is on the phone." in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service": ""}, "pick a service"),
        ({"service": "999999"}, "pick a service"),
        ({"title": "  "}, "needs a summary"),
        ({"urgency": "urgent"}, "urgency"),
    ],
)
def test_opening_an_incident_by_hand_refuses_bad_input(desk, change, message):
    service, _, _, client = desk
    data = {"service": service.pk, "title": "Page the managers", "urgency": "high", **change}
    response = client.post("/oncall/incidents/new/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Incident.objects.exists()
