"""The service as a whole: health check, production settings, admin screens, demo data."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from switchboard.accounts.models import Organization, OrgSharing, PersonalAccess, Role, User
from switchboard.core.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_healthz_reports_database_and_missing_worker(client):
    """/healthz answers 200 JSON; with no worker beating, the worker is "missing"."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["worker"] == {
        "status": "missing",
        "alive": 0,
        "last_heartbeat": None,
        "seconds_since_heartbeat": None,
    }
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_healthz_reports_a_live_worker(client):
    """A recent heartbeat makes the worker "ok"; a stale one does not count."""
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="h", pid=1, started_at=now, last_seen=now
    )
    WorkerHeartbeat.objects.create(
        worker_id="w2", hostname="h", pid=2, started_at=now, last_seen=now - timedelta(minutes=10)
    )
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["worker"]["status"] == "ok" and body["worker"]["alive"] == 1


def test_production_settings_pass_check_deploy(tmp_path):
    """`manage.py check --deploy` is clean with production settings from the environment."""
    env = {
        **os.environ,
        "SWITCHBOARD_ENV": "production",
        "SECRET_KEY": "x7!k2" * 12,
        "ALLOWED_HOSTS": "support.example.com",
        "SWITCHBOARD_BASE_URL": "https://support.example.com",
        "SWITCHBOARD_VAR_DIR": str(tmp_path),
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set while the browser tests run
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    """In production a missing SECRET_KEY is a start-up error, never a default."""
    env = {**os.environ, "SWITCHBOARD_ENV": "production", "SWITCHBOARD_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_every_model_has_a_working_admin_changelist(admin_client):
    """Every model of ours is in the admin, and its list, search and filters answer 200."""
    ours = [
        m for m in apps.get_models() if m.__module__.startswith(("switchboard.", "django_tasks_db"))
    ]
    assert ours
    for model in ours:
        assert admin.site.is_registered(model), f"{model.__name__} has no admin"
        model_admin = admin.site._registry[model]
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert admin_client.get(url, {"q": "acme"}).status_code == 200, url


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_company_once():
    """seed_demo creates the documented company and logins; a second run changes nothing."""
    call_command("seed_demo")
    counts = (Organization.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Organization.objects.count(), User.objects.count()) == counts

    # The demo's urgent tickets opened incidents; none may page anyone once a worker starts.
    from switchboard.notify.models import Delivery, DeliveryStatus
    from switchboard.oncall.models import Incident, IncidentStatus

    assert Incident.objects.filter(origin="helpdesk").exists()
    assert not Incident.objects.exclude(status=IncidentStatus.RESOLVED).exists()
    assert not Incident.objects.filter(next_escalation_at__isnull=False).exists()
    assert not Delivery.objects.filter(
        source__startswith="oncall", status=DeliveryStatus.PENDING
    ).exists()

    customers = Organization.objects.filter(is_internal=False)
    assert customers.count() == 8
    assert Organization.objects.filter(is_internal=True).count() == 1
    assert set(customers.values_list("support_level", flat=True)) == {
        "priority",
        "standard",
        "none",
    }
    assert set(customers.values_list("product_line", flat=True)) == {"self_managed", "saas"}
    assert {"amer", "emea", "apac"} <= set(customers.values_list("preferred_region", flat=True))
    assert set(Organization.objects.values_list("sharing", flat=True)) == set(OrgSharing.values)
    assert all(o.domain_names and o.notes and o.account_manager for o in customers)

    agents = User.objects.filter(role=Role.AGENT)
    assert agents.filter(is_support_manager=False).count() == 12
    assert agents.filter(is_support_manager=True).count() == 3
    assert set(agents.values_list("region", flat=True)) == {"amer", "emea", "apac"}
    assert all(a.working_hours for a in agents)
    end_users = User.objects.filter(role=Role.END_USER, organization__is_internal=False)
    assert end_users.count() >= 40
    assert end_users.filter(is_sold_to_contact=True).exists()
    assert end_users.exclude(ticket_access=PersonalAccess.INHERIT).exists()
    assert User.objects.filter(role=Role.END_USER, organization__isnull=True).exists()

    for email in ("admin@switchboard.test", "agent@switchboard.test", "customer@acme.test"):
        assert User.objects.get(email=email).check_password("switchboard"), email
    assert User.objects.get(email="customer@acme.test").organization.name == "Acme Corp"


@pytest.mark.django_db
def test_admin_login_page_is_served(client):
    """The admin login page renders (make run's second check)."""
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_demo_portal_form_asks_each_question_once(db, client):
    """The demo's Version / Install type ticket fields are the agents' copies of what the portal
    form asks in its own questions: the form does not offer them again under "More details"."""
    call_command("seed_demo")
    customer = User.objects.get(email="customer@acme.test")
    client.force_login(customer)
    html = client.get("/portal/tickets/new").content.decode()
    assert html.count(">Version") == 1 and html.count(">Install type") == 1
