"""Fixtures for the agent workspace tests: signed-in clients and tickets made by the actions."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket

PASSWORD = "pw-for-tests-123"  # the factories' password


def install_shipped_config() -> None:
    """The shipped views, macros, SLA policies and call event types (data migrations; a
    transactional test's flush removes them, so browser tests put them back)."""
    from switchboard.sla.defaults import install_defaults

    install_defaults(apps)
    shipped = importlib.import_module(
        "switchboard.tickets.migrations.0002_shipped_macros_and_views"
    )
    shipped.create_shipped(apps, None)
    # the invite macro's {{current_user.booking_link}} needs the shipped call event types
    importlib.import_module(
        "switchboard.calls.migrations.0002_no_overlap_constraint_and_event_types"
    ).create_event_types(apps, None)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads in these tests go to a temporary directory, never the project's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def customer(db):
    org = OrganizationFactory(name="Acme", support_level="priority", preferred_region="emea")
    return UserFactory(name="Carol Customer", email="carol@acme.test", organization=org)


@pytest.fixture
def make_ticket(db, agent, customer):
    """make_ticket(**create_ticket kwargs) -> a ticket requested by `customer`."""

    def make(subject: str = "Runners stuck", comments: int = 0, **kwargs):
        kwargs.setdefault("requester", customer)
        # Tags and the like are for agents to set: such arrangements open the ticket as the system.
        agent_only = {"tags", "ticket_type", "external_id", "ccs", "product_line"} & set(kwargs)
        ticket = create_ticket(
            actor=kwargs.pop("actor", SYSTEM if agent_only else kwargs["requester"]),
            subject=subject,
            description=kwargs.pop("description", "It broke after the upgrade."),
            **kwargs,
        )
        for i in range(comments):
            add_comment(
                ticket=ticket,
                author=agent if i % 2 else kwargs["requester"],
                body=f"Comment {i}",
                public=bool(i % 3),
            )
        return ticket

    return make


__all__ = ["PASSWORD", "AgentFactory", "install_shipped_config"]
