"""Sign-in is throttled per account and per client address (django-axes), behind a proxy too."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from switchboard.accounts.tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 42"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.SWITCHBOARD_TRUSTED_PROXIES = ["10.0.0.0/8"]


def sign_in(email, password, client_address="198.51.100.1"):
    """POST the sign-in form through a trusted proxy on behalf of `client_address`."""
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address).post(
        "/login/", {"username": email, "password": password}
    )


@pytest.fixture
def dana(db):
    user = UserFactory(email="dana@acme.test")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_an_account_is_locked_after_failures_from_anywhere(dana):
    """Failures for one account from different addresses add up; then even the right password
    from a fresh address is refused, and the page says why."""
    for n in range(2):
        assert sign_in("dana@acme.test", "wrong", f"198.51.100.{n + 1}").status_code == 200
    # the third failure reaches the limit and is answered with the lockout
    assert sign_in("dana@acme.test", "wrong", "198.51.100.3").status_code == 429
    locked = sign_in("Dana@Acme.test", PASSWORD, "203.0.113.50")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()


def test_an_address_is_locked_after_failures_for_any_accounts(dana):
    """Guessing across many accounts from one address locks that address, not the accounts."""
    for n in range(2):
        assert sign_in(f"nobody{n}@acme.test", "guess", "198.51.100.9").status_code == 200
    assert sign_in("nobody2@acme.test", "guess", "198.51.100.9").status_code == 429
    assert sign_in("dana@acme.test", PASSWORD, "198.51.100.9").status_code == 429
    # Dana, from her own address, is not affected.
    assert sign_in("dana@acme.test", PASSWORD, "203.0.113.77").status_code == 302


def test_clients_behind_the_proxy_are_counted_apart(dana):
    """Without the trusted-proxy rule every client would share the proxy's count."""
    for n in range(3):
        sign_in(f"x{n}@acme.test", "guess", "198.51.100.9")
    assert sign_in("dana@acme.test", PASSWORD, "198.51.100.10").status_code == 302


def test_a_success_before_the_limit_resets_the_count(dana):
    for _ in range(2):
        sign_in("dana@acme.test", "wrong")
    assert sign_in("dana@acme.test", PASSWORD).status_code == 302
    for _ in range(2):
        sign_in("dana@acme.test", "wrong")
    assert sign_in("dana@acme.test", PASSWORD).status_code == 302


def test_api_password_sign_in_counts_and_is_locked(settings):
    """Basic email:password on the API is a sign-in too: failures count, and a locked account
    gets a 429 saying so even with the right password."""
    settings.SWITCHBOARD_API_PASSWORD_AUTH = True
    agent = AgentFactory(email="alex@switchboard.test")
    agent.set_password(PASSWORD)
    agent.save()

    def call(password):
        raw = base64.b64encode(f"alex@switchboard.test:{password}".encode()).decode()
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1").get(
            "/api/v2/users/me.json", HTTP_AUTHORIZATION=f"Basic {raw}"
        )

    assert call(PASSWORD).status_code == 200
    for _ in range(2):
        assert call("wrong").status_code == 401
    assert call("wrong").status_code == 429
    locked = call(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == "TooManyFailedSignIns"
