"""Account actions: entitlement by domain, verification, audited settings, API tokens."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from switchboard.accounts import actions
from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import (
    AccountAuditEvent,
    ApiToken,
    Organization,
    OrganizationDomain,
    OrgSharing,
    Role,
    User,
)
from switchboard.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_end_user_is_associated_by_email_domain_on_creation(admin_user):
    """A new end-user whose email domain belongs to an organization joins it."""
    org = actions.create_organization(actor=admin_user, name="Acme", domain_names=["acme.test"])
    user = actions.create_user(actor=SYSTEM, email="Jane@ACME.test", name="Jane")
    assert user.email == "jane@acme.test"
    assert user.organization == org
    assert not user.entitlement_unverified
    event = AccountAuditEvent.objects.get(user=user, field="organization_id")
    assert event.new_value == str(org.pk) and "acme.test" in event.reason


def test_requester_with_unknown_domain_stays_unverified(admin_user):
    """An end-user whose domain matches no organization has no organization: unverified."""
    actions.create_organization(actor=admin_user, name="Acme", domain_names=["acme.test"])
    user = actions.create_user(actor=SYSTEM, email="someone@freemail.test")
    assert user.organization is None
    assert user.entitlement_unverified


def test_associate_by_domain_never_moves_an_associated_user(admin_user):
    """associate_user_by_domain leaves a user already in an organization where they are."""
    acme = actions.create_organization(actor=admin_user, name="Acme", domain_names=["acme.test"])
    other = actions.create_organization(actor=admin_user, name="Other")
    user = actions.create_user(actor=admin_user, email="x@acme.test", organization=other)
    assert actions.associate_user_by_domain(user) == other
    user.refresh_from_db()
    assert user.organization == other != acme


def test_agent_verifies_entitlement_and_associates(admin_user, agent):
    """An agent's verification sets the organization, records who and when, and is audited."""
    org = actions.create_organization(actor=admin_user, name="Initech")
    user = actions.create_user(actor=SYSTEM, email="peter@gmail.test")
    verified = actions.verify_entitlement(
        agent=agent, user=user, organization=org, reason="contract #42"
    )
    assert verified.organization == org
    assert verified.entitlement_verified_by == agent
    assert verified.entitlement_verified_at is not None
    event = AccountAuditEvent.objects.filter(user=user, field="organization_id").latest("pk")
    assert (event.actor, event.old_value, event.new_value, event.reason) == (
        agent,
        "",
        str(org.pk),
        "contract #42",
    )


def test_end_users_cannot_verify_entitlement(admin_user, user_factory):
    """Only agents verify entitlement."""
    org = actions.create_organization(actor=admin_user, name="Initech")
    customer = user_factory()
    other = user_factory()
    with pytest.raises(PermissionDenied):
        actions.verify_entitlement(agent=customer, user=other, organization=org)


def test_sharing_and_personal_access_changes_are_audited(admin_user, agent):
    """Changing the org sharing setting or a user's personal override writes an audit event."""
    org = actions.create_organization(actor=admin_user, name="Globex", domain_names=["globex.test"])
    actions.update_organization(actor=admin_user, organization=org, sharing=OrgSharing.VIEW_ALL)
    user = actions.create_user(actor=SYSTEM, email="h@globex.test")
    actions.set_personal_access(actor=agent, user=user, value="view_comment_all")
    org_event = AccountAuditEvent.objects.get(organization=org, field="sharing")
    assert (org_event.actor, org_event.old_value, org_event.new_value) == (
        admin_user,
        "own",
        "view_all",
    )
    user_event = AccountAuditEvent.objects.get(user=user, field="ticket_access")
    assert (user_event.actor, user_event.old_value, user_event.new_value) == (
        agent,
        "inherit",
        "view_comment_all",
    )


def test_invalid_personal_access_value_is_refused(agent, user_factory):
    """An unknown personal access value is a validation error naming the choices."""
    with pytest.raises(ValidationFailed, match=r"inherit, own, view_all, view_comment_all"):
        actions.set_personal_access(actor=agent, user=user_factory(), value="everything")


def test_bad_domain_creates_no_organization(admin_user):
    """A bad domain fails the whole create: no organization, no domains written."""
    with pytest.raises(ValidationFailed, match="is a URL"):
        actions.create_organization(
            actor=admin_user, name="Acme", domain_names=["acme.test", "https://x.com"]
        )
    assert not Organization.objects.exists()
    assert not OrganizationDomain.objects.exists()


def test_a_domain_belongs_to_one_organization(admin_user):
    """Adding a domain another organization owns is refused and names the owner."""
    actions.create_organization(actor=admin_user, name="Acme", domain_names=["acme.test"])
    other = actions.create_organization(actor=admin_user, name="Other", domain_names=["other.test"])
    with pytest.raises(ValidationFailed, match=r'"acme\.test" already belongs to Acme'):
        actions.update_organization(
            actor=admin_user, organization=other, domain_names=["ACME.test"]
        )
    assert other.domain_names == ["other.test"]


def test_organization_names_are_unique_ignoring_case(admin_user):
    """A second "acme" next to "Acme" is refused."""
    actions.create_organization(actor=admin_user, name="Acme")
    with pytest.raises(ValidationFailed):
        actions.create_organization(actor=admin_user, name="acme")


def test_new_organization_gets_no_paid_support_by_default(admin_user):
    """An organization created without a support level has none (never a silent paid plan)."""
    org = actions.create_organization(actor=admin_user, name="Newco")
    assert org.support_level == "none"


def test_agents_cannot_change_organizations(agent):
    """Only admins create or edit organizations."""
    with pytest.raises(PermissionDenied):
        actions.create_organization(actor=agent, name="Sneaky")


def test_duplicate_email_is_refused(admin_user):
    """Emails are unique regardless of case."""
    actions.create_user(actor=SYSTEM, email="dup@example.test")
    with pytest.raises(ValidationFailed, match="already registered"):
        actions.create_user(actor=SYSTEM, email="DUP@example.test")


def test_agent_fields_are_validated(admin_user):
    """An unknown time zone or malformed working hours are refused before anything is saved."""
    with pytest.raises(ValidationFailed, match="time zone"):
        actions.create_user(
            actor=admin_user, email="a@s.test", role=Role.AGENT, time_zone="Mars/Olympus"
        )
    with pytest.raises(ValidationFailed, match="must end after it starts"):
        actions.create_user(
            actor=admin_user,
            email="b@s.test",
            role=Role.AGENT,
            working_hours={"mon": [["17:00", "09:00"]]},
        )
    assert not User.objects.filter(email__in=["a@s.test", "b@s.test"]).exists()


def test_api_token_is_stored_hashed_and_authenticates(user_factory):
    """The token is shown once; only its SHA-256 is stored; it authenticates until revoked."""
    user = user_factory()
    token, record = actions.issue_api_token(user=user, name="script")
    assert token.startswith("sb_") and len(token) > 40
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {record.prefix, record.token_hash, record.name}
    assert actions.user_for_token(token) == user
    assert actions.user_for_token(token + "x") is None
    assert actions.user_for_token("") is None
    actions.revoke_api_token(actor=user, token=record)
    assert actions.user_for_token(token) is None


def test_token_owner_is_the_same_user_as_the_orm_reads_in_one_query(user_factory):
    """user_for_token builds the owner from one joined row: every field equals the ORM's, the
    organization comes loaded, a deactivated owner is refused, last use is recorded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from switchboard.accounts.tests.factories import OrganizationFactory

    org = OrganizationFactory(name="Acme", sharing="view_all")
    user = user_factory(organization=org, role="agent", name="Ann")
    token, record = actions.issue_api_token(user=user, name="script")
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    with CaptureQueriesContext(connection) as reads:
        owner = actions.user_for_token(token)
        assert owner is not None
        assert owner.organization.name == "Acme"  # loaded with the row, no query
    assert len(reads) == 1
    fresh = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(owner, field.attname) == getattr(fresh, field.attname), field.name
    assert owner.organization.sharing == "view_all" and not owner._state.adding
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=None)
    assert actions.user_for_token(token) == user
    assert ApiToken.objects.get(pk=record.pk).last_used_at is not None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert actions.user_for_token(token) is None


def test_issue_api_token_command_prints_a_working_token(user_factory):
    """manage.py issue_api_token EMAIL prints a token that authenticates as that user."""
    user = user_factory(email="script@example.test")
    out = StringIO()
    call_command("issue_api_token", "Script@Example.test", stdout=out)
    token = out.getvalue().strip()
    assert actions.user_for_token(token) == user
    assert ApiToken.objects.filter(user=user).count() == 1


def test_admin_edits_to_access_settings_are_audited_too(admin_client, admin_user):
    """Changing sharing or a personal override in the Django admin writes the same audit events."""
    from django.urls import reverse

    org = actions.create_organization(actor=admin_user, name="Adminco")
    user = actions.create_user(actor=SYSTEM, email="p@adminco.test")
    actions.update_user(actor=admin_user, user=user, organization=org)
    form = {
        "name": "Adminco",
        "support_level": "none",
        "plan": "",
        "product_line": "self_managed",
        "preferred_region": "all",
        "sharing": "view_all",
        "notes": "",
        "details": "",
        "collaboration_project_url": "",
        "crm_account_id": "",
        "crm_account_owner": "",
        "arr": "",
        "seats": "",
        "market_segment": "",
        "sales_segmentation": "",
        "account_type": "",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
    }
    url = reverse("admin:accounts_organization_change", args=[org.pk])
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    event = AccountAuditEvent.objects.get(organization=org, field="sharing")
    assert (event.old_value, event.new_value, event.reason) == ("own", "view_all", "admin")
