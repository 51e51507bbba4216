"""The incident admin: adding an incident by hand goes through trigger_incident."""

from __future__ import annotations

import pytest

from switchboard.oncall.models import Incident, IncidentStatus, Notification, Service

pytestmark = pytest.mark.django_db

ADD = "/admin/oncall/incident/add/"


def test_admin_add_incident_form_shows_only_services_that_can_page(admin_client, emergency):
    """The add page answers (it was a 500) and offers the services an incident can be opened on."""
    Service.objects.create(name="FRT Hawk", scheduling_only=True)
    page = admin_client.get(ADD)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Customer Emergency" in body and "FRT Hawk" not in body


def test_admin_adds_an_incident_that_pages_like_any_other(admin_client, emergency):
    service, _ = emergency
    response = admin_client.post(
        ADD, {"service": service.pk, "summary": "Customer DB down", "severity": "critical"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.TRIGGERED and incident.origin == "web"
    assert incident.policy_snapshot  # the policy is frozen onto it
    assert incident.log.filter(kind="trigger").exists()
    assert Notification.objects.filter(incident=incident).exists()  # level 0 paged
    # the change page of the new incident answers
    assert admin_client.get(f"/admin/oncall/incident/{incident.pk}/change/").status_code == 200


def test_admin_add_incident_without_a_service_or_summary_is_a_form_error(admin_client, emergency):
    response = admin_client.post(ADD, {"summary": "  ", "severity": "critical"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Incident.objects.exists()
