"""The SLA admin pages load, search and filter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from switchboard.sla.models import Policy, Schedule

pytestmark = pytest.mark.django_db

MODELS = [
    "schedule",
    "scheduleinterval",
    "holiday",
    "policy",
    "policytarget",
    "ticketclock",
    "clockevent",
]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_searches(admin_client, model):
    response = admin_client.get(reverse(f"admin:sla_{model}_changelist"), {"q": "1"})
    assert response.status_code == 200


def test_change_pages_show_intervals_and_targets(admin_client):
    schedule = Schedule.objects.get(name="EMEA")
    response = admin_client.get(reverse("admin:sla_schedule_change", args=[schedule.pk]))
    assert response.status_code == 200
    assert b"Europe/Amsterdam" in response.content
    policy = Policy.objects.get(title="Priority support")
    response = admin_client.get(reverse("admin:sla_policy_change", args=[policy.pk]))
    assert response.status_code == 200
