"""Webhook signatures: the Standard Webhooks scheme with per-endpoint random secrets, verified
here with the standardwebhooks library's own verifier; rotation signs with both secrets during
the overlap window."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Endpoint
from switchboard.notify.outbox import signing
from switchboard.notify.outbox.endpoints import create_endpoint, rotate_secret
from switchboard.notify.outbox.queue import queue_endpoint

pytestmark = pytest.mark.django_db


def make_endpoint(name: str = "ops") -> Endpoint:
    return Endpoint.objects.create(
        name=name, kind="webhook", url="https://example.test/h", secret=signing.new_secret()
    )


def test_secrets_are_random_per_endpoint_and_not_derived_from_secret_key(settings):
    """32 random bytes in the whsec_ format; changing SECRET_KEY changes nothing."""
    first, second = make_endpoint("a"), make_endpoint("b")
    assert first.secret.startswith("whsec_") and first.secret != second.secret
    assert len(base64.b64decode(first.secret.removeprefix("whsec_"))) == 32
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert signing.endpoint_secret(first) == first.secret


def test_headers_verify_with_the_library_and_nothing_else_does():
    """id + timestamp + body are signed: a changed body, id or timestamp, another endpoint's
    secret, or a stale timestamp (a replay) fails the library's verifier."""
    endpoint, other = make_endpoint("a"), make_endpoint("b")
    body = b'{"event":"ticket.created","data":{"id":1}}'
    now = timezone.now()
    headers = signing.signed_headers(endpoint, message_id="msg-1", body=body, now=now)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(endpoint.secret).verify(body, headers) == {
        "event": "ticket.created",
        "data": {"id": 1},
    }
    bad = [
        (endpoint.secret, b'{"event":"ticket.created","data":{"id":2}}', headers),
        (other.secret, body, headers),
        (endpoint.secret, body, {**headers, "webhook-id": "msg-2"}),
        (endpoint.secret, body, {**headers, "webhook-timestamp": str(int(now.timestamp()) + 1)}),
    ]
    for secret, payload, sent in bad:
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(payload, sent)
    stale = signing.signed_headers(
        endpoint, message_id="msg-1", body=body, now=now - timedelta(minutes=10)
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(endpoint.secret).verify(body, stale)


def test_rotation_signs_with_both_secrets_during_the_overlap_only(admin_user, settings):
    """For the overlap window a request carries one signature per secret, so a receiver still on
    the old secret and one already on the new both verify; after it, only the new one does."""
    settings.SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS = 24
    endpoint = create_endpoint(actor=admin_user, name="CRM", kind="webhook", url="https://c.test/")
    old = endpoint.secret
    start = timezone.now()
    new = rotate_secret(endpoint, actor=admin_user, now=start)
    endpoint.refresh_from_db()
    assert new != old and endpoint.secret == new and endpoint.previous_secret == old
    body = b'{"x":1}'
    for at, old_verifies in (
        (start + timedelta(hours=23), True),
        (start + timedelta(hours=25), False),
    ):
        with time_machine.travel(at, tick=False):
            headers = signing.signed_headers(endpoint, message_id="m", body=body, now=at)
            assert len(headers["webhook-signature"].split(" ")) == (2 if old_verifies else 1)
            Webhook(new).verify(body, headers)
            if old_verifies:
                Webhook(old).verify(body, headers)
            else:
                with pytest.raises(WebhookVerificationError):
                    Webhook(old).verify(body, headers)


def test_rotation_without_overlap_retires_the_old_secret_at_once(admin_user):
    """A leaked secret: rotate with no overlap, and it signs nothing more."""
    endpoint = create_endpoint(actor=admin_user, name="CRM", kind="webhook", url="https://c.test/")
    old = endpoint.secret
    rotate_secret(endpoint, actor=admin_user, overlap=timedelta(0))
    endpoint.refresh_from_db()
    headers = signing.signed_headers(endpoint, message_id="m", body=b"{}", now=timezone.now())
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(b"{}", headers)


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_a_real_receiver_verifies_old_and_new_signatures_during_rotation(http_receiver, admin_user):
    """End to end: the worker POSTs to a local HTTP server; the request verifies with the
    library under the old secret and under the new one, and webhook-id is the idempotency key."""
    endpoint = create_endpoint(actor=admin_user, name="CRM", kind="webhook", url=http_receiver.url)
    old = endpoint.secret
    new = rotate_secret(endpoint, actor=admin_user)
    queue_endpoint(
        endpoint=endpoint, event="ticket.created", payload={"id": 5}, idempotency_key="t5"
    )
    run_pending_jobs()
    [request] = http_receiver.requests
    headers = dict(request.headers)
    assert headers["webhook-id"] == "t5" and "x-switchboard-signature" not in headers
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, headers)["data"] == {"id": 5}
