"""Webhook signatures: HMAC-SHA256 of the body, per-endpoint secret derived from SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from switchboard.notify import signing
from switchboard.notify.models import Endpoint

pytestmark = pytest.mark.django_db


def make_endpoint(name: str = "ops") -> Endpoint:
    return Endpoint.objects.create(
        name=name, kind="webhook", url="https://example.test/h", secret_salt=signing.new_salt()
    )


def test_signature_is_hmac_sha256_of_the_body_with_the_shown_secret():
    """A receiver computing HMAC-SHA256(secret, body) gets exactly the header value."""
    endpoint = make_endpoint()
    body = b'{"event":"ticket.created","data":{"id":1}}'
    secret = signing.endpoint_secret(endpoint)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signing.sign(endpoint, body) == expected
    assert signing.verify(secret, body, expected)


def test_verify_rejects_a_changed_body_a_wrong_secret_and_garbage():
    """One changed byte, another endpoint's secret, or a malformed header does not verify."""
    endpoint, other = make_endpoint("a"), make_endpoint("b")
    body = b'{"x":1}'
    header = signing.sign(endpoint, body)
    secret = signing.endpoint_secret(endpoint)
    assert not signing.verify(secret, b'{"x":2}', header)
    assert not signing.verify(signing.endpoint_secret(other), body, header)
    assert not signing.verify(secret, body, "")
    assert not signing.verify(secret, body, None)
    assert not signing.verify(secret, body, header.removeprefix("sha256="))
    assert not signing.verify(secret, body, "sha256=00")


def test_secret_depends_on_secret_key_and_salt(settings):
    """The secret is not stored: it changes with SECRET_KEY or the salt, and per endpoint."""
    endpoint = make_endpoint()
    first = signing.endpoint_secret(endpoint)
    assert first.startswith("whsec_") and endpoint.secret_salt not in first
    assert signing.endpoint_secret(make_endpoint("other")) != first
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert signing.endpoint_secret(endpoint) != first
