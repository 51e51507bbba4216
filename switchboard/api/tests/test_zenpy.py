"""The real, unmodified `zenpy` client against a live server on 127.0.0.1, every value checked
against the database."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.db.models import Max

from switchboard.accounts.actions import issue_api_token
from switchboard.accounts.models import Organization, OrgSharing, User
from switchboard.accounts.tests.factories import AdminFactory
from switchboard.api.zendesk.render import iso
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment, Ticket, TicketAudit
from switchboard.tickets.saved_views import count_view

zenpy = pytest.importorskip("zenpy")
from zenpy.lib.api_objects import Comment as ZComment  # noqa: E402
from zenpy.lib.api_objects import Organization as ZOrganization  # noqa: E402
from zenpy.lib.api_objects import Ticket as ZTicket  # noqa: E402
from zenpy.lib.api_objects import User as ZUser  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin():
    return AdminFactory(name="Zen Admin")


@pytest.fixture
def zd(live_server, admin, monkeypatch):
    """A Zenpy client pointed at the live server, authenticated with an API token."""
    netloc = urlparse(live_server.url).netloc
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    token, _ = issue_api_token(user=admin, name="zenpy")
    return zenpy.Zenpy(subdomain="x", email=admin.email, token=token)


def test_zenpy_drives_the_api_end_to_end(zd, admin, macro, new_tickets_view):
    # an organization
    org = zd.organizations.create(
        ZOrganization(name="Zen Org", domain_names=["zen.test"], shared_tickets=True, notes="n1")
    )
    db_org = Organization.objects.get(pk=org.id)
    assert (db_org.name, db_org.sharing, db_org.notes) == ("Zen Org", OrgSharing.VIEW_ALL, "n1")
    assert db_org.domain_names == ["zen.test"] == org.domain_names
    assert org.shared_tickets is True and org.shared_comments is False

    # a user, matched to the organization by email domain
    user = zd.users.create(ZUser(name="Zed Zenner", email="zed@zen.test"))
    db_user = User.objects.get(pk=user.id)
    assert (db_user.email, db_user.name, db_user.role) == ("zed@zen.test", "Zed Zenner", "end_user")
    assert user.organization_id == db_user.organization_id == db_org.pk
    assert user.role == "end-user"

    # a ticket
    audit = zd.tickets.create(
        ZTicket(
            subject="Zen ticket",
            description="Nothing works.",
            requester_id=user.id,
            priority="high",
            tags=["x", "zen"],
        )
    )
    ticket = audit.ticket
    db_ticket = Ticket.objects.get(pk=ticket.id)
    assert (
        (ticket.subject, ticket.priority, ticket.status)
        == (db_ticket.subject, db_ticket.priority, db_ticket.status)
        == ("Zen ticket", "high", "new")
    )
    assert ticket.requester_id == db_ticket.requester_id == user.id
    assert ticket.organization_id == db_ticket.organization_id == db_org.pk
    assert sorted(ticket.tags) == db_ticket.tag_names() == ["x", "zen"]
    assert ticket.via.channel == db_ticket.channel == "api"
    assert audit.audit.id == TicketAudit.objects.get(ticket=db_ticket).pk
    assert ticket.created_at == iso(db_ticket.created_at)

    # update with a public and then a private comment
    ticket.comment = ZComment(body="We are looking into it.", public=True)
    ticket.status = "open"
    zd.tickets.update(ticket)
    ticket = zd.tickets(id=ticket.id)
    ticket.comment = ZComment(body="Internal: check the runners.", public=False)
    ticket.status = "pending"
    result = zd.tickets.update(ticket)
    db_ticket.refresh_from_db()
    assert result.ticket.status == db_ticket.status == "pending"
    expected = list(
        Comment.objects.filter(ticket=db_ticket)
        .order_by("created_at", "pk")
        .values_list("pk", "body", "public", "author_id")
    )
    assert expected[-2:] == [
        (expected[-2][0], "We are looking into it.", True, admin.pk),
        (expected[-1][0], "Internal: check the runners.", False, admin.pk),
    ]

    # list comments
    comments = list(zd.tickets.comments(ticket=ticket.id))
    assert [(c.id, c.body, c.public, c.author_id) for c in comments] == expected

    # page through 250 tickets
    for i in range(250):
        create_ticket(
            actor=admin,
            requester=db_user,
            subject=f"Bulk {i}",
            description="bulk",
            tags=["x"] if i % 2 else [],
        )
    listed = [t.id for t in zd.tickets()]
    assert listed == list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    assert len(listed) == 251

    # search
    found = list(zd.search("status<solved tags:x", type="ticket"))
    wanted = set(
        Ticket.objects.filter(
            tags__name="x", status__in=["new", "open", "pending", "hold"]
        ).values_list("pk", flat=True)
    )
    assert {t.id for t in found} == wanted and len(found) == len(wanted) == 126

    # macro preview: shows the effect, writes nothing
    audits_before = TicketAudit.objects.aggregate(m=Max("pk"))["m"]
    effect = zd.tickets.show_macro_effect(ticket.id, macro.id)
    assert effect.ticket.id == ticket.id and "entitlement_unverified" in effect.ticket.tags
    assert TicketAudit.objects.aggregate(m=Max("pk"))["m"] == audits_before
    assert effect.comment.body and "entitlement" in effect.comment.body.lower()

    # count a view
    view = new_tickets_view
    view_count = zd.views.count(view.id)
    assert view_count.value == count_view(view, admin) == 250

    # the incremental exports, time-based and cursor
    exported = {t.id for t in zd.tickets.incremental(start_time=0)}
    assert exported == set(Ticket.objects.values_list("pk", flat=True))
    by_cursor = [t.id for t in zd.tickets.incremental(start_time=0, paginate_by_time=False)]
    assert sorted(by_cursor) == sorted(exported) and len(by_cursor) == 251
