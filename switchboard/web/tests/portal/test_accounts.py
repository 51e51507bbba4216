"""Registration, password reset, and the sold-to contact's management of support contacts."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from switchboard.accounts.models import AccountAuditEvent, User
from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.notify.outbox.delivery import attempt_delivery
from switchboard.web.tests.portal.conftest import PASSWORD, member

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct horse battery 42"


def register(client, email: str, **extra):
    data = {"name": "Dana Doe", "email": email, "password": GOOD_PASSWORD, **extra}
    return client.post("/portal/register", data)


def sent_mail() -> list:
    """Account emails go through the outbox: make the queued deliveries' attempts (what the
    worker's jobs do), then read what was sent."""
    for delivery in Delivery.objects.filter(status=DeliveryStatus.PENDING):
        attempt_delivery(delivery.pk, delivery.attempts + 1)
    return mail.outbox


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


# --- registration --------------------------------------------------------------------------------


def signs_in(email: str, password: str) -> bool:
    """Through the sign-in page, as a person would (the throttled path, with a request)."""
    response = Client().post("/login/", {"username": email, "password": password})
    return response.status_code == 302


def test_registration_associates_by_domain_and_says_so(client, org):
    """A new address at an org's domain joins the org; the page names the org's support level;
    the account works once the emailed link is followed."""
    response = register(client, "Dana@Acme.test")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your email domain matches Acme — your tickets get Acme's Priority support" in page
    user = User.objects.get(email="dana@acme.test")
    assert user.organization == org and not user.is_active
    assert AccountAuditEvent.objects.filter(user=user, field="organization_id").exists()
    # not usable before the address is confirmed
    assert not signs_in("dana@acme.test", GOOD_PASSWORD)
    assert len(sent_mail()) == 1
    confirm = client.get(link_in(sent_mail()[0]))
    assert confirm.status_code == 302 and confirm["Location"] == "/portal/"
    user.refresh_from_db()
    assert user.is_active
    assert client.get("/portal/").status_code == 200  # signed in by the link
    assert signs_in("dana@acme.test", GOOD_PASSWORD)


def test_registration_without_a_matching_domain_is_unverified(client, org):
    page = register(client, "sam@elsewhere.test").content.decode()
    assert (
        "We couldn't match your domain to a customer account: your tickets will be marked "
        "unverified until we confirm your entitlement" in page
    )
    assert User.objects.get(email="sam@elsewhere.test").organization is None


def test_registering_a_known_address_looks_the_same_and_sends_an_email(client, org, alice):
    """No user enumeration: the same answer; the owner gets an email instead of a new account."""
    known = register(client, "alice@acme.test")
    fresh = register(client, "zed@acme.test")
    assert known.status_code == fresh.status_code == 200

    def strip(response) -> str:
        text = (
            response.content.decode().replace("alice@acme.test", "X").replace("zed@acme.test", "X")
        )
        return re.sub(r'value="[^"]+"', "", text)

    assert strip(known) == strip(fresh)
    assert User.objects.filter(email="alice@acme.test").count() == 1
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)  # untouched
    subjects = {m.to[0]: m.subject for m in sent_mail()}
    assert subjects["alice@acme.test"] == "Your support account already exists"
    assert subjects["zed@acme.test"] == "Confirm your support account"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"password": "short"}, "This password is too short"),
        ({"password": "password123"}, "This password is too common"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_registration_input_is_refused_with_a_message(client, org, overrides, message):
    response = client.post(
        "/portal/register",
        {"name": "Dana", "email": "dana@acme.test", "password": GOOD_PASSWORD, **overrides},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not User.objects.filter(email="dana@acme.test").exists()
    assert sent_mail() == []


def test_registration_is_rate_limited_per_address(client, org, settings):
    settings.SWITCHBOARD_PORTAL_RATE_LIMIT = 2
    assert register(client, "a1@acme.test").status_code == 200
    assert register(client, "a2@acme.test").status_code == 200
    third = register(client, "a3@acme.test")
    assert third.status_code == 429
    assert "Too many attempts" in third.content.decode()
    assert not User.objects.filter(email="a3@acme.test").exists()


def test_registration_limit_keys_on_the_client_behind_a_trusted_proxy(org, settings):
    """Behind the configured proxy each client address has its own limit (before, every client
    shared the proxy's), and forged hops on the left do not give a fresh one."""
    settings.SWITCHBOARD_PORTAL_RATE_LIMIT = 1
    settings.SWITCHBOARD_TRUSTED_PROXIES = ["10.0.0.0/8"]

    def via_proxy(forwarded_for):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert register(via_proxy("198.51.100.1"), "b1@acme.test").status_code == 200
    assert register(via_proxy("6.6.6.6, 198.51.100.1"), "b2@acme.test").status_code == 429
    assert register(via_proxy("198.51.100.2"), "b3@acme.test").status_code == 200


def test_registration_needs_csrf(org):
    c = Client(enforce_csrf_checks=True)
    assert register(c, "dana@acme.test").status_code == 403
    assert not User.objects.filter(email="dana@acme.test").exists()


def test_a_tampered_confirmation_link_is_refused(client, org):
    register(client, "dana@acme.test")
    link = link_in(sent_mail()[0])
    response = client.get(link[:-3] + "xyz/")
    assert response.status_code == 400
    assert not User.objects.get(email="dana@acme.test").is_active


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_by_email(client, alice):
    """The emailed token link sets a new password; the old one stops working."""
    page = client.get("/portal/password-reset/")
    assert "Reset your password" in page.content.decode()
    response = client.post("/portal/password-reset/", {"email": "alice@acme.test"})
    assert response.status_code == 302
    assert response["Location"] == "/portal/password-reset/sent/"
    assert len(sent_mail()) == 1 and sent_mail()[0].to == ["alice@acme.test"]
    link = link_in(sent_mail()[0])
    form = client.get(link, follow=True)  # Django swaps the token for a session-held one
    assert "Choose a new password" in form.content.decode()
    new = "brand new password 77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/portal/password-reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(new) and not alice.check_password(PASSWORD)
    assert "This link is not valid" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_looks_the_same(client, db):
    response = client.post("/portal/password-reset/", {"email": "nobody@acme.test"})
    assert response.status_code == 302
    assert response["Location"] == "/portal/password-reset/sent/"
    assert sent_mail() == []


def test_password_reset_is_rate_limited(client, alice, settings):
    settings.SWITCHBOARD_PORTAL_RATE_LIMIT = 1
    client.post("/portal/password-reset/", {"email": "alice@acme.test"})
    second = client.post("/portal/password-reset/", {"email": "alice@acme.test"})
    assert second.status_code == 429
    assert len(sent_mail()) == 1


# --- support contacts --------------------------------------------------------------------------


@pytest.fixture
def sold_to(org):
    return member(org, "buyer@acme.test", is_sold_to_contact=True)


def test_non_sold_to_users_get_not_found(client_for, alice, bob):
    c = client_for(alice)
    assert c.get("/portal/organization/contacts").status_code == 404
    assert c.post("/portal/organization/contacts", {"email": "x@acme.test"}).status_code == 404
    assert c.post(f"/portal/organization/contacts/{bob.pk}/remove").status_code == 404
    assert (
        c.post(
            f"/portal/organization/contacts/{bob.pk}/access", {"ticket_access": "view_all"}
        ).status_code
        == 404
    )
    bob.refresh_from_db()
    assert bob.is_active and bob.ticket_access == "inherit"


def test_sold_to_contact_lists_the_organizations_contacts(client_for, sold_to, alice, bob):
    from switchboard.accounts.tests.factories import OrganizationFactory

    member(OrganizationFactory(name="Globex"), "gina@globex.test")
    page = client_for(sold_to).get("/portal/organization/contacts").content.decode()
    assert "alice@acme.test" in page and "bob@acme.test" in page
    assert "gina@globex.test" not in page
    assert "Support contacts of Acme" in page


def test_sold_to_contact_adds_a_contact_at_the_orgs_domain(client_for, sold_to, org):
    c = client_for(sold_to)
    response = c.post("/portal/organization/contacts", {"name": "Nia", "email": "nia@acme.test"})
    assert response.status_code == 302
    nia = User.objects.get(email="nia@acme.test")
    assert nia.organization == org and nia.is_active and not nia.has_usable_password()
    event = AccountAuditEvent.objects.get(user=nia, field="organization_id")
    assert event.actor == sold_to


def test_adding_a_contact_outside_the_orgs_domains_is_refused(client_for, sold_to):
    response = client_for(sold_to).post(
        "/portal/organization/contacts", {"name": "Eve", "email": "eve@evil.test"}
    )
    assert response.status_code == 422
    assert "support contacts must belong to Acme" in response.content.decode()
    assert not User.objects.filter(email="eve@evil.test").exists()


def test_sold_to_contact_removes_a_contact(client_for, sold_to, bob):
    c = client_for(sold_to)
    assert c.post(f"/portal/organization/contacts/{bob.pk}/remove").status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert AccountAuditEvent.objects.filter(user=bob, field="is_active", actor=sold_to).exists()
    page = c.get("/portal/organization/contacts").content.decode()
    assert "bob@acme.test was removed" in page  # the message, once
    assert "<td>bob@acme.test</td>" not in page


def test_sold_to_contact_cannot_remove_themselves(client_for, sold_to):
    response = client_for(sold_to).post(f"/portal/organization/contacts/{sold_to.pk}/remove")
    assert response.status_code == 422
    sold_to.refresh_from_db()
    assert sold_to.is_active


def test_sold_to_contact_changes_a_contacts_access_and_it_is_audited(
    client_for, sold_to, alice, bob
):
    from switchboard.web.tests.portal.conftest import open_ticket

    ticket = open_ticket(alice, "Alice's secret plan")
    c = client_for(sold_to)
    response = c.post(
        f"/portal/organization/contacts/{bob.pk}/access", {"ticket_access": "view_all"}
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.ticket_access == "view_all"
    event = AccountAuditEvent.objects.get(user=bob, field="ticket_access")
    assert (event.actor, event.old_value, event.new_value) == (sold_to, "inherit", "view_all")
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(f"/portal/tickets/{ticket.pk}/").status_code == 200


def test_bad_access_value_is_refused(client_for, sold_to, bob):
    response = client_for(sold_to).post(
        f"/portal/organization/contacts/{bob.pk}/access", {"ticket_access": "everything"}
    )
    assert response.status_code == 422
    bob.refresh_from_db()
    assert bob.ticket_access == "inherit"


def test_sold_to_contact_cannot_touch_another_orgs_users(client_for, sold_to):
    from switchboard.accounts.tests.factories import OrganizationFactory

    gina = member(OrganizationFactory(name="Globex"), "gina@globex.test")
    c = client_for(sold_to)
    assert c.post(f"/portal/organization/contacts/{gina.pk}/remove").status_code == 404
    assert (
        c.post(
            f"/portal/organization/contacts/{gina.pk}/access", {"ticket_access": "own"}
        ).status_code
        == 404
    )
    gina.refresh_from_db()
    assert gina.is_active and gina.ticket_access == "inherit"


def test_contacts_page_runs_a_fixed_number_of_queries(client_for, sold_to, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(sold_to)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/portal/organization/contacts").status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        member(org, f"few{i}@acme.test")
    small = count()
    for i in range(30):
        member(org, f"many{i}@acme.test")
    assert count() == small


def test_account_links_leave_the_delivery_log_once_sent(client, org):
    """The confirmation email is queued with the account (one transaction) and, once delivered,
    its one-time link is no longer stored; it cannot be redelivered from the log."""
    from switchboard.accounts.tests.factories import AdminFactory
    from switchboard.core.errors import ValidationFailed
    from switchboard.notify.outbox.endpoints import redeliver

    register(client, "erin@acme.test")
    delivery = Delivery.objects.get(recipient="erin@acme.test")
    assert delivery.event == "account.confirm_registration"
    link = link_in(sent_mail()[0])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert link not in str(delivery.payload)
    assert delivery.payload["redacted"] is True
    with pytest.raises(ValidationFailed, match="one-time link"):
        redeliver(delivery, actor=AdminFactory())


def test_password_reset_survives_an_smtp_outage(client, alice, settings):
    """With the mail server down the reset request still answers 302 (queued, retried later)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    response = client.post("/portal/password-reset/", {"email": alice.email})
    assert response.status_code == 302
    delivery = Delivery.objects.get(recipient=alice.email)
    assert delivery.event == "account.password_reset" and delivery.status == DeliveryStatus.PENDING
