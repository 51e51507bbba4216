"""Endpoints: validated creation, secret rotation, test events, and the admin pages (endpoint
form showing the secret once, delivery log with filters, search, attempts and redeliver)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from standardwebhooks.webhooks import Webhook

from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryStatus, Endpoint
from switchboard.notify.outbox import signing
from switchboard.notify.outbox.endpoints import (
    create_endpoint,
    rotate_secret,
    send_test_event,
)
from switchboard.notify.outbox.queue import queue_endpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "required"),
        ("ftp://example.com/hook", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("https://user:pw@example.com/hook", "no user name or password"),
        ("https://token@example.com/hook", "no user name or password"),
        ("https:///hook", "no host"),
        ("https://example.com:99999/", "Not a valid URL"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/#frag", "fragment"),
        ("https://" + "a" * 500 + ".com/", "longer than 500"),
        ("https://bad..host/", "Not a valid host"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(admin_user, url, message):
    with pytest.raises(ValidationFailed, match=message) as caught:
        create_endpoint(actor=admin_user, name="x", kind="webhook", url=url)
    assert caught.value.field == "url"
    assert not Endpoint.objects.exists()


def test_other_bad_input_is_refused(admin_user):
    ok = {"actor": admin_user, "name": "Hook", "kind": "webhook", "url": "https://e.test/h"}
    with pytest.raises(ValidationFailed, match="Kind must be"):
        create_endpoint(**{**ok, "kind": "carrier-pigeon"})
    with pytest.raises(ValidationFailed, match="Unknown event"):
        create_endpoint(**{**ok, "events": ["ticket.created", "ticket.exploded"]})
    with pytest.raises(ValidationFailed, match="name"):
        create_endpoint(**{**ok, "name": "   "})
    create_endpoint(**ok)
    with pytest.raises(ValidationFailed, match="already exists"):
        create_endpoint(**{**ok, "name": "hook"})
    assert Endpoint.objects.count() == 1


def test_only_admins_manage_endpoints(agent):
    with pytest.raises(PermissionDenied):
        create_endpoint(actor=agent, name="x", kind="webhook", url="https://e.test/")


def test_create_gives_a_secret_and_rotation_replaces_it(admin_user):
    endpoint = create_endpoint(
        actor=admin_user,
        name="Hook",
        kind="webhook",
        url="  https://e.test/h  ",
        events=["sla.breach"],
    )
    assert endpoint.url == "https://e.test/h" and endpoint.events == ["sla.breach"]
    before = signing.endpoint_secret(endpoint)
    after = rotate_secret(endpoint, actor=admin_user)
    assert after != before
    assert signing.endpoint_secret(Endpoint.objects.get(pk=endpoint.pk)) == after


def test_test_event_ignores_the_filter_and_is_signed(http_receiver, admin_user):
    """ "Send test event" reaches an endpoint whose filter lists only sla.breach."""
    endpoint = create_endpoint(
        actor=admin_user, name="SLA only", kind="chat", url=http_receiver.url, events=["sla.breach"]
    )
    delivery = send_test_event(endpoint, actor=admin_user)
    assert delivery.event == "test"
    run_pending_jobs()
    [request] = http_receiver.requests
    assert request.json()["text"].startswith("Switchboard test event for SLA only")
    Webhook(signing.endpoint_secret(endpoint)).verify(request.body, dict(request.headers))


# --- admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_creates_an_endpoint_and_shows_the_secret_once(admin_client):
    response = admin_client.post(
        reverse("admin:notify_endpoint_add"),
        {
            "name": "CRM",
            "kind": "webhook",
            "url": "https://crm.test/hook",
            "events": ["ticket.created", "sla.breach"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get(name="CRM")
    assert endpoint.events == ["sla.breach", "ticket.created"] and endpoint.secret
    assert signing.endpoint_secret(endpoint) in response.content.decode()
    page = admin_client.get(reverse("admin:notify_endpoint_change", args=[endpoint.pk]))
    assert signing.endpoint_secret(endpoint) not in page.content.decode()
    assert b'value="sla.warning"' in page.content  # the event multi-select


def test_admin_refuses_a_bad_url_with_the_reason(admin_client):
    response = admin_client.post(
        reverse("admin:notify_endpoint_add"),
        {"name": "Bad", "kind": "webhook", "url": "https://u:p@crm.test/", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "no user name or password" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_admin_rotate_and_test_actions(admin_client, admin_user, http_receiver):
    endpoint = create_endpoint(actor=admin_user, name="Hook", kind="webhook", url=http_receiver.url)
    old = signing.endpoint_secret(endpoint)
    url = reverse("admin:notify_endpoint_changelist")
    response = admin_client.post(
        url, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True
    )
    endpoint.refresh_from_db()
    assert signing.endpoint_secret(endpoint) != old
    assert signing.endpoint_secret(endpoint) in response.content.decode()
    admin_client.post(url, {"action": "send_test_event", "_selected_action": [endpoint.pk]})
    assert Delivery.objects.filter(event="test", endpoint=endpoint).count() == 1


def test_delivery_log_filters_searches_shows_attempts_and_redelivers(
    admin_client, admin_user, http_receiver
):
    endpoint = create_endpoint(actor=admin_user, name="Hook", kind="webhook", url=http_receiver.url)
    http_receiver.respond(404)
    dead = queue_endpoint(
        endpoint=endpoint, event="sla.breach", payload={}, idempotency_key="dead-one"
    )
    queue_endpoint(
        endpoint=endpoint, event="ticket.created", payload={}, idempotency_key="fine-one"
    )
    run_pending_jobs()
    changelist = reverse("admin:notify_delivery_changelist")

    page = admin_client.get(changelist, {"status__exact": "dead"}).content.decode()
    assert f">{dead.pk}<" in page
    assert admin_client.get(changelist, {"channel__exact": "webhook"}).status_code == 200
    assert admin_client.get(changelist, {"event__exact": "sla.breach"}).status_code == 200
    found = admin_client.get(changelist, {"q": "dead-one"}).context["cl"].result_list
    assert [d.pk for d in found] == [dead.pk]
    assert admin_client.get(changelist, {"q": "#12345"}).status_code == 200

    detail = admin_client.get(reverse("admin:notify_delivery_change", args=[dead.pk]))
    body = detail.content.decode()
    assert "HTTP 404" in body and "permanent failure" in body  # inline attempt + reason

    admin_client.post(changelist, {"action": "redeliver", "_selected_action": [dead.pk]})
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.PENDING
    run_pending_jobs()
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DELIVERED and dead.attempts == 2


def test_admin_refuses_a_duplicate_name_in_any_case(admin_client, admin_user):
    create_endpoint(actor=admin_user, name="CRM", kind="webhook", url="https://crm.test/")
    response = admin_client.post(
        reverse("admin:notify_endpoint_add"),
        {"name": "crm", "kind": "chat", "url": "https://chat.test/", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Endpoint.objects.count() == 1


def test_admin_edits_an_endpoint_without_changing_its_secret(admin_client, admin_user):
    endpoint = create_endpoint(actor=admin_user, name="CRM", kind="webhook", url="https://a.test/")
    secret = signing.endpoint_secret(endpoint)
    response = admin_client.post(
        reverse("admin:notify_endpoint_change", args=[endpoint.pk]),
        {"name": "CRM", "kind": "webhook", "url": "https://b.test/", "events": ["sla.breach"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://b.test/" and endpoint.events == ["sla.breach"]
    assert not endpoint.is_active
    assert signing.endpoint_secret(endpoint) == secret
