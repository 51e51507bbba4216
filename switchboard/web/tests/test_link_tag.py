"""`{% link %}` (templatetags/workspace.py) prints what `{% url %}` prints, without reverse() per
link: for routes with no argument or one id, under any script prefix."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from switchboard.web.templatetags.workspace import link

ONE_ID = ["web-ticket", "web-ticket-reply", "web-view", "web-organization", "calls-mint-link"]
NO_ARGUMENT = ["web-home", "web-search", "web-view-counts", "crm:integrity", "calls-calendar"]


@pytest.fixture
def prefix():
    def use(value: str) -> None:
        set_script_prefix(value)

    yield use
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/desk/"])
def test_link_is_the_reversed_url(prefix, script_prefix):
    prefix(script_prefix)
    for name in ONE_ID:
        for pk in (1, 42, "7", 9876543210):
            assert link(name, pk) == reverse(name, args=[pk])
    for name in NO_ARGUMENT:
        assert link(name) == reverse(name)


def test_the_tag_prints_and_stores_as_url_does():
    template = engines["django"].from_string(
        "{% load workspace %}{% link 'web-ticket' t %}|{% link 'web-view' t as href %}{{ href }}"
        "|{% url 'web-ticket' t %}"
    )
    assert template.render({"t": 5}) == "/tickets/5/|/views/5/|/tickets/5/"


def test_a_route_that_is_not_one_id_fails_as_url_does():
    with pytest.raises(NoReverseMatch):
        link("calls-action", 3)  # takes an id and an operation
    with pytest.raises(NoReverseMatch):
        link("web-ticket", -1)
