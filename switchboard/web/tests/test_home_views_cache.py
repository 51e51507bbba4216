"""The agent home's views come from a per-process cache of the active views (web.queries.home_views,
namespace "desk" of core/generations.py), filtered for the viewer on every request: an edit shows
on the next page, and nobody sees another agent's personal view."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.tickets.models import View
from switchboard.web import queries
from switchboard.web.tests.config_edits import apply_edit
from switchboard.web.tests.test_pages import text

pytestmark = pytest.mark.django_db

OPEN = {"all": [{"field": "status", "operator": "less_than", "value": "solved"}]}


def _titles(client) -> list[str]:
    """The titles in the home's view list (not elsewhere: a message may name a view)."""
    return re.findall(r'<span class="view-title">([^<]*)</span>', text(client.get("/")))


def test_may_open_view_is_views_q_for_a_view_in_hand(agent, customer):
    """The per-row form of the rule decides as the queryset form does, for every kind of user."""
    other = AgentFactory()
    admin = AgentFactory(role="admin")
    former = AgentFactory(is_active=False)
    end_user = UserFactory()
    for owner in (None, agent, other, admin, end_user):
        View.objects.create(title=f"of {owner}", conditions=OPEN, owner=owner)
    views = list(View.objects.all())
    for user in (agent, other, admin, former, customer, end_user, SYSTEM):
        allowed = set(View.objects.filter(access.views_q(user)).values_list("pk", flat=True))
        assert {v.pk for v in views if access.may_open_view(user, v)} == allowed, user


def test_a_personal_view_is_never_on_another_agents_home(agent, client):
    # given: the list is cached by another agent's request, with the agent's personal view in it
    mine = View.objects.create(title="Mine only", conditions=OPEN, owner=agent)
    other = AgentFactory()
    client.force_login(other)
    assert "Mine only" not in _titles(client)
    # when / then: each sees what the rule lets them see, from the same cached list
    assert mine in queries.home_views(agent)
    assert mine not in queries.home_views(other)
    client.force_login(agent)
    assert "Mine only" in _titles(client)
    client.force_login(other)
    assert "Mine only" not in _titles(client)


@pytest.mark.parametrize(
    "edit", ["create", "save", "queryset_update", "delete", "bulk_create", "save_as"]
)
def test_a_view_edit_reaches_the_next_home_page(agent_client, agent, edit):
    # given: the home was rendered (and the views cached) with the view
    view = View.objects.create(title="Geo backlog", conditions=OPEN, owner=agent)
    assert "Geo backlog" in _titles(agent_client)
    # when
    if edit == "save_as":  # an agent saves a filtered list as a personal view, through the page
        agent_client.post(f"/views/{view.pk}/save-as", {"title": "HA backlog", "status": "open"})
    elif edit == "create":
        apply_edit(edit, view, field="title", new="HA backlog", conditions=OPEN, owner=agent)
    else:  # save, queryset_update, delete, or bulk_create (a shared view, as before)
        apply_edit(edit, view, field="title", new="HA backlog", conditions=OPEN)
    # then
    titles = _titles(agent_client)
    assert ("Geo backlog" in titles) == (edit in ("create", "bulk_create", "save_as"))
    assert ("HA backlog" in titles) == (edit not in ("queryset_update", "delete"))
