"""The ticket page's macros, groups and call types are cached per process (web.queries.pick_lists,
namespace "desk" of core/generations.py): every way of editing them starts a new generation, so
the next page shows the edit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.models import SupportGroup
from switchboard.calls.models import EventType
from switchboard.tickets.models import Macro
from switchboard.web import queries
from switchboard.web.tests.config_edits import apply_edit
from switchboard.web.tests.test_pages import text

pytestmark = pytest.mark.django_db


def test_the_pick_lists_load_once_per_generation():
    """A second read is the generation token alone; nothing in them depends on the viewer."""
    SupportGroup.objects.create(name="Tier 2")
    first = queries.pick_lists()
    with CaptureQueriesContext(connection) as reads:
        again = queries.pick_lists()
    assert len(reads) == 1
    assert again is first
    assert "Tier 2" in [g.name for g in again.groups]


def test_only_the_first_page_after_an_edit_reads_them(
    agent_client, make_ticket, django_assert_max_num_queries
):
    """The first ticket page after an edit reads the three lists; the next ones the token only."""
    ticket = make_ticket()
    SupportGroup.objects.create(name="Tier 2")
    with CaptureQueriesContext(connection) as first:
        agent_client.get(f"/tickets/{ticket.pk}/")
    with django_assert_max_num_queries(len(first) - 3):
        agent_client.get(f"/tickets/{ticket.pk}/")


def _page(agent_client, ticket) -> str:
    return text(agent_client.get(f"/tickets/{ticket.pk}/"))


@pytest.mark.parametrize("edit", ["create", "save", "queryset_update", "delete", "bulk_create"])
def test_a_macro_edit_reaches_the_next_page(agent_client, make_ticket, edit):
    # given: the page was rendered (and the list cached) with the macro
    ticket = make_ticket()
    macro = Macro.objects.create(title="Ask for logs", actions=[])
    assert ">Ask for logs</option>" in _page(agent_client, ticket)
    # when
    apply_edit(edit, macro, field="title", new="Escalate to Geo", actions=[])
    # then
    html = _page(agent_client, ticket)
    assert (">Ask for logs</option>" in html) == (edit in ("create", "bulk_create"))
    assert (">Escalate to Geo</option>" in html) == (edit in ("create", "save", "bulk_create"))


@pytest.mark.parametrize("edit", ["create", "save", "queryset_update", "delete"])
def test_a_group_edit_reaches_the_next_page(agent_client, make_ticket, edit):
    ticket = make_ticket()
    group = SupportGroup.objects.create(name="Tier 2")
    assert ">Tier 2</option>" in _page(agent_client, ticket)
    apply_edit(edit, group, field="name", new="Tier 3", update={"name": "Tier 3"})
    html = _page(agent_client, ticket)
    assert (">Tier 2</option>" in html) == (edit == "create")
    assert (">Tier 3</option>" in html) == (edit != "delete")
    assert ("team: Tier 3</option>" in html) == (edit != "delete")  # the calls panel's list


@pytest.mark.parametrize("edit", ["create", "save", "queryset_update", "delete"])
def test_a_call_type_edit_reaches_the_next_page(agent_client, make_ticket, edit):
    ticket = make_ticket()
    EventType.objects.all().delete()
    kind = EventType.objects.create(title="Health check", slug="health-check")
    assert ">Health check</option>" in _page(agent_client, ticket)
    apply_edit(edit, kind, field="title", new="Upgrade review", slug="upgrade-review")
    html = _page(agent_client, ticket)
    assert (">Health check</option>" in html) == (edit == "create")
    assert (">Upgrade review</option>" in html) == (edit in ("create", "save"))
    if edit in ("queryset_update", "delete"):
        assert 'id="mint-link-form"' not in html  # no call type left to offer
