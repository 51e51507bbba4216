"""Fixtures for the portal tests: an organization with members, and a ticket maker."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.accounts.models import OrganizationDomain, User
from switchboard.accounts.tests.factories import OrganizationFactory, UserFactory
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket

PASSWORD = "pw-for-tests-123"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def org(db):
    org = OrganizationFactory(name="Acme", support_level="priority", sharing="own")
    OrganizationDomain.objects.create(organization=org, domain="acme.test")
    return org


def member(org, email: str, **fields) -> User:
    return UserFactory(email=email, name=email.split("@")[0].title(), organization=org, **fields)


@pytest.fixture
def alice(org) -> User:
    return member(org, "alice@acme.test")


@pytest.fixture
def bob(org) -> User:
    return member(org, "bob@acme.test")


def open_ticket(requester: User, subject: str = "Something broke", **fields):
    return create_ticket(
        actor=requester, requester=requester, subject=subject, description="It broke.", **fields
    )


def agent_note(ticket, agent, body: str = "Internal: customer is on an old version.") -> None:
    add_comment(ticket=ticket, author=agent, body=body, public=False)


@pytest.fixture
def client_for(client):
    """A Django test client signed in as `user`."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in
