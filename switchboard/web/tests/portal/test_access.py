"""The sharing matrix as the portal shows it: org list, ticket page, reply box, reply.

Every case goes through the real pages; the rule itself lives in accounts.access.
"""

from __future__ import annotations

import re

import pytest

from switchboard.tickets.models import Comment
from switchboard.web.tests.portal.conftest import member, open_ticket

pytestmark = pytest.mark.django_db

# (org sharing, viewer's personal setting) → (sees colleague's ticket, may reply to it)
MATRIX = [
    ("own", "inherit", False, False),
    ("view_all", "inherit", True, False),
    ("view_comment_all", "inherit", True, True),
    ("selected_view", "inherit", False, False),
    ("selected_view", "view_all", True, False),
    ("selected_view_comment", "inherit", False, False),
    ("selected_view_comment", "view_comment_all", True, True),
    # the personal setting overrides the organization's, both ways
    ("view_comment_all", "own", False, False),
    ("view_comment_all", "view_all", True, False),
    ("own", "view_comment_all", True, True),
]


@pytest.mark.parametrize("sharing, personal, sees, replies", MATRIX)
def test_colleagues_ticket_follows_the_sharing_rules(
    client_for, org, alice, sharing, personal, sees, replies
):
    org.sharing = sharing
    org.save()
    viewer = member(org, "viewer@acme.test", ticket_access=personal)
    colleague_ticket = open_ticket(alice, "Alice's outage")
    own_ticket = open_ticket(viewer, "Viewer's own")
    c = client_for(viewer)

    home = c.get("/portal/").content.decode()
    assert "Viewer&#x27;s own" in home
    assert ("Alice&#x27;s outage" in home) is sees
    assert ("My organization's tickets" in home) is sees

    page = c.get(f"/portal/tickets/{colleague_ticket.pk}/")
    assert page.status_code == (200 if sees else 404)
    if sees:
        assert (
            f'action="/portal/tickets/{colleague_ticket.pk}/reply"' in page.content.decode()
        ) is replies

    before = Comment.objects.count()
    response = c.post(f"/portal/tickets/{colleague_ticket.pk}/reply", {"body": "me too"})
    assert response.status_code == (302 if replies else 404)
    assert Comment.objects.count() == before + (1 if replies else 0)

    # their own ticket: always visible with a reply box
    mine = c.get(f"/portal/tickets/{own_ticket.pk}/").content.decode()
    assert f'action="/portal/tickets/{own_ticket.pk}/reply"' in mine


def test_other_organizations_tickets_are_never_visible(client_for, org, alice):
    from switchboard.accounts.tests.factories import OrganizationFactory

    org.sharing = "view_comment_all"
    org.save()
    other_org = OrganizationFactory(name="Globex", sharing="view_comment_all")
    outsider = member(other_org, "olga@globex.test")
    ticket = open_ticket(alice, "Acme only")
    c = client_for(outsider)
    assert "Acme only" not in c.get("/portal/").content.decode()
    assert c.get(f"/portal/tickets/{ticket.pk}/").status_code == 404
    assert c.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "hi"}).status_code == 404


def test_cc_user_reads_and_replies(client_for, alice, bob):
    """A CC'd user sees and comments on the ticket they are copied on, whatever the setting."""
    ticket = open_ticket(alice, "CC case")
    ticket.ccs.add(bob)
    c = client_for(bob)
    assert c.get(f"/portal/tickets/{ticket.pk}/").status_code == 200
    assert c.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "seen"}).status_code == 302


def test_forbidden_and_missing_look_the_same(client_for, alice, bob):
    ticket = open_ticket(alice, "private")
    c = client_for(bob)
    forbidden = c.get(f"/portal/tickets/{ticket.pk}/")
    missing = c.get("/portal/tickets/99999999/")
    assert forbidden.status_code == missing.status_code == 404

    # the same page, but for the per-response CSRF token of the sign-out form
    def strip(content: bytes) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())

    assert strip(forbidden.content) == strip(missing.content)
