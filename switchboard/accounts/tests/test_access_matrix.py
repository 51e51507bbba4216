"""The access rules as a full, written-out matrix (DOMAIN.md §1, shared organizations)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from switchboard.accounts.access import Action, TicketFacts, Viewer, can_comment, can_view, decide
from switchboard.accounts.models import OrgSharing, PersonalAccess

# Each cell: V = may view, C = may comment, - = may not. The ticket belongs to org 1 and was
# requested by user 10. "member" is another user of org 1; "other_org" belongs to org 2;
# "unassociated" has no organization; "agent" is staff. Written by hand from the handbook
# table — never computed by the code under test.
MATRIX = """
org_setting             personal          requester  member  other_org  unassociated  agent
own                     inherit           VC         --      --         --            VC
own                     own               VC         --      --         --            VC
own                     view_all          VC         V-      --         --            VC
own                     view_comment_all  VC         VC      --         --            VC
view_all                inherit           VC         V-      --         --            VC
view_all                own               VC         --      --         --            VC
view_all                view_all          VC         V-      --         --            VC
view_all                view_comment_all  VC         VC      --         --            VC
view_comment_all        inherit           VC         VC      --         --            VC
view_comment_all        own               VC         --      --         --            VC
view_comment_all        view_all          VC         V-      --         --            VC
view_comment_all        view_comment_all  VC         VC      --         --            VC
selected_view           inherit           VC         --      --         --            VC
selected_view           own               VC         --      --         --            VC
selected_view           view_all          VC         V-      --         --            VC
selected_view           view_comment_all  VC         VC      --         --            VC
selected_view_comment   inherit           VC         --      --         --            VC
selected_view_comment   own               VC         --      --         --            VC
selected_view_comment   view_all          VC         V-      --         --            VC
selected_view_comment   view_comment_all  VC         VC      --         --            VC
"""

RELATIONS = ("requester", "member", "other_org", "unassociated", "agent")
TICKET = TicketFacts(requester_id=10, organization_id=1)


def _viewer(relation: str, org_setting: str, personal: str) -> Viewer:
    # The personal setting and the organization setting are those of the person asking.
    if relation == "requester":
        return Viewer(
            id=10, role="end_user", organization_id=1, personal=personal, org_sharing=org_setting
        )
    if relation == "member":
        return Viewer(
            id=11, role="end_user", organization_id=1, personal=personal, org_sharing=org_setting
        )
    if relation == "other_org":
        return Viewer(
            id=12, role="end_user", organization_id=2, personal=personal, org_sharing=org_setting
        )
    if relation == "unassociated":
        return Viewer(
            id=13, role="end_user", organization_id=None, personal=personal, org_sharing=None
        )
    return Viewer(id=14, role="agent", organization_id=None, personal=personal, org_sharing=None)


def _cells() -> list[tuple[str, str, str, Action, bool]]:
    rows = [line.split() for line in MATRIX.strip().splitlines()[1:]]
    cells = []
    for org_setting, personal, *marks in rows:
        for relation, mark in zip(RELATIONS, marks, strict=True):
            cells.append((org_setting, personal, relation, Action.VIEW, mark[0] == "V"))
            cells.append((org_setting, personal, relation, Action.COMMENT, mark[1] == "C"))
    return cells


CELLS = _cells()


def test_matrix_covers_every_combination():
    """The table has every org setting × personal setting × relation × action: 200 cells."""
    combos = {(o, p, r, a) for o, p, r, a, _ in CELLS}
    assert len(CELLS) == len(combos) == 5 * 4 * 5 * 2
    assert {o for o, *_ in CELLS} == set(OrgSharing.values)
    assert {p for _, p, *_ in CELLS} == set(PersonalAccess.values)


@pytest.mark.parametrize(("org_setting", "personal", "relation", "action", "expected"), CELLS)
def test_access_matrix(org_setting, personal, relation, action, expected):
    """Each cell of the shared-organization table decides view and comment exactly as written."""
    viewer = _viewer(relation, org_setting, personal)
    assert decide(viewer, TICKET, action) is expected


def _asker(relation: str, org_setting: str, personal: str):
    """Real rows for one cell: the ticket of org 1's requester, and the user asking."""
    from django.utils import timezone

    from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
    from switchboard.tickets.models import Ticket

    org = OrganizationFactory(sharing=org_setting)
    other = OrganizationFactory(sharing=org_setting)
    own_access = personal if relation == "requester" else "inherit"
    requester = UserFactory(organization=org, ticket_access=own_access)
    now = timezone.now()
    ticket = Ticket.objects.create(
        subject="Cell", requester=requester, organization=org, created_at=now, updated_at=now
    )
    if relation == "requester":
        return requester, ticket
    if relation == "agent":
        return AgentFactory(ticket_access=personal), ticket
    organization = {"member": org, "other_org": other, "unassociated": None}[relation]
    return UserFactory(organization=organization, ticket_access=personal), ticket


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["decision", "queryset"])
@pytest.mark.parametrize(("org_setting", "personal", "relation", "action", "expected"), CELLS)
def test_access_matrix_on_real_rows(form, org_setting, personal, relation, action, expected):
    """Every cell again, on real users and a real ticket, through both forms of the rule: the
    per-ticket decision (`can_view` / `can_comment`) and the queryset filter that lists and
    search use (`access.visible_tickets`). Both must give the written answer."""
    from switchboard.accounts.access import visible_tickets
    from switchboard.tickets.models import Ticket

    user, ticket = _asker(relation, org_setting, personal)
    if form == "decision":
        allowed = (can_view if action is Action.VIEW else can_comment)(user, ticket)
    else:
        base = Ticket.objects.filter(pk=ticket.pk)
        allowed = visible_tickets(user, base, action=action).exists()
    assert allowed is expected


def test_cc_user_sees_and_comments_on_the_ticket_they_are_copied_on():
    """A CC'd user from another organization sees and may reply to that one ticket."""
    viewer = Viewer(id=20, role="end_user", organization_id=2, personal="own", org_sharing="own")
    ticket = TicketFacts(requester_id=10, organization_id=1, cc_ids=frozenset({20}))
    assert decide(viewer, ticket, Action.VIEW) is True
    assert decide(viewer, ticket, Action.COMMENT) is True
    assert decide(viewer, TICKET, Action.VIEW) is False


def test_ticket_without_organization_is_only_for_requester_cc_and_agents():
    """A ticket with no organization is never shared with anyone's organization."""
    ticket = TicketFacts(requester_id=10, organization_id=None)
    stranger = Viewer(
        id=13, role="end_user", organization_id=None, personal="view_comment_all", org_sharing=None
    )
    assert decide(stranger, ticket, Action.VIEW) is False
    agent = Viewer(id=14, role="agent", organization_id=None, personal="inherit", org_sharing=None)
    assert decide(agent, ticket, Action.COMMENT) is True


def test_inactive_and_anonymous_users_see_nothing():
    """Deactivated users and anonymous visitors get nothing, not even their own tickets."""
    inactive = Viewer(
        id=10,
        role="end_user",
        organization_id=1,
        personal="inherit",
        org_sharing="view_all",
        is_active=False,
    )
    assert decide(inactive, TICKET, Action.VIEW) is False
    anonymous = Viewer(
        id=None, role="anonymous", organization_id=None, personal="own", org_sharing=None
    )
    assert decide(anonymous, TICKET, Action.VIEW) is False


@pytest.mark.django_db
def test_model_adapters_use_the_same_rule(org_factory, user_factory):
    """can_view / can_comment on real users apply the organization and personal settings."""
    org = org_factory(sharing=OrgSharing.VIEW_ALL)
    requester = user_factory(organization=org)
    colleague = user_factory(organization=org)
    commenter = user_factory(organization=org, ticket_access=PersonalAccess.VIEW_COMMENT_ALL)
    outsider = user_factory()
    ticket = SimpleNamespace(requester_id=requester.pk, organization_id=org.pk, cc_ids=[])
    assert can_view(colleague, ticket) and not can_comment(colleague, ticket)
    assert can_view(commenter, ticket) and can_comment(commenter, ticket)
    assert not can_view(outsider, ticket)
    assert can_comment(requester, ticket)
