"""The ticket rules of DOMAIN.md §2, each driven through the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import OrgSharing
from switchboard.accounts.tests.factories import (
    AgentFactory,
    OrganizationDomainFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.core.models import Timer
from switchboard.core.sweeps import run_all_sweeps
from switchboard.tickets import queries
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.lifecycle import close_if_still_solved
from switchboard.tickets.actions.merge import merge_tickets
from switchboard.tickets.actions.update import remove_tags, solve_ticket, update_ticket
from switchboard.tickets.models import AuditEvent, Comment, Ticket, TicketAudit, TicketField

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory(
        name="Acme", support_level="priority", notes="VIP: call before restarts."
    )


@pytest.fixture
def customer(org):
    return UserFactory(email="cara@acme.test", name="Cara Customer", organization=org)


@pytest.fixture
def agent():
    return AgentFactory(name="Alex Agent")


def new_ticket(requester, **kw):
    kw.setdefault("subject", "Runner stuck")
    kw.setdefault("description", "Pipelines hang at 'pending' since the upgrade.")
    # Tags and the like are for agents to set: such an arrangement opens the ticket as the system.
    default_actor = SYSTEM if {"tags", "ticket_type", "external_id", "ccs"} & set(kw) else requester
    return create_ticket(actor=kw.pop("actor", default_actor), requester=requester, **kw)


def fields_changed(ticket):
    return [
        (e.field, e.from_value, e.to_value)
        for e in AuditEvent.objects.filter(
            audit__ticket=ticket, kind=AuditEvent.Kind.CHANGE
        ).order_by("pk")
    ]


def test_new_ticket_records_creation_audit_and_first_comment(customer, org):
    """Creating a ticket writes the first public comment and a Create audit of its fields."""
    ticket = new_ticket(customer, priority="high")
    assert ticket.status == "new" and ticket.organization == org
    assert ticket.product_line == org.product_line and ticket.submitter == customer
    first = ticket.comments.filter(public=True).get()
    assert (
        first.body == "Pipelines hang at 'pending' since the upgrade." and first.author == customer
    )
    created = {
        e.field: e.to_value
        for e in AuditEvent.objects.filter(audit__ticket=ticket, kind=AuditEvent.Kind.CREATE)
    }
    assert created["status"] == "new" and created["priority"] == "high"
    assert created["requester"] == customer.pk and created["organization"] == org.pk


def test_organization_notes_are_attached_for_agents_only(customer, agent):
    """Each new ticket gets the organization's notes as an internal note agents see."""
    ticket = new_ticket(customer)
    note = ticket.comments.get(public=False)
    assert note.body == "Organization notes for Acme:\n\nVIP: call before restarts."
    assert note.author is None
    assert note in queries.comments_for(agent, ticket)
    assert note not in queries.comments_for(customer, ticket)


def test_agents_first_update_moves_new_to_open(customer, agent):
    """An agent's first action (here: setting priority) moves a new ticket to open."""
    ticket = new_ticket(customer)
    ticket = update_ticket(ticket=ticket, actor=agent, priority="urgent")
    assert ticket.status == "open"
    assert fields_changed(ticket) == [("priority", "normal", "urgent"), ("status", "new", "open")]


def test_agents_first_internal_note_also_opens(customer, agent):
    """Even an internal note from an agent moves new → open."""
    ticket = new_ticket(customer)
    add_comment(ticket=ticket, author=agent, body="Looking into it", public=False)
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.first_agent_reply_at is None


def test_customer_comment_does_not_open_a_new_ticket(customer):
    """A requester adding detail to a new ticket leaves it new."""
    ticket = new_ticket(customer)
    add_comment(ticket=ticket, author=customer, body="More logs attached")
    ticket.refresh_from_db()
    assert ticket.status == "new"


@pytest.mark.parametrize("status", ["pending", "solved"])
def test_requester_reply_reopens_pending_and_solved(customer, agent, status):
    """A requester reply on pending or solved moves the ticket back to open."""
    ticket = new_ticket(customer)
    add_comment(ticket=ticket, author=agent, body="Can you send logs?", status=status)
    ticket.refresh_from_db()
    assert ticket.status == status
    add_comment(ticket=ticket, author=customer, body="Here they are")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ("status", status, "open") in fields_changed(ticket)


def test_requester_reply_on_hold_stays_on_hold(customer, agent):
    """On-hold waits for a third party; a requester reply does not change it."""
    ticket = new_ticket(customer)
    update_ticket(ticket=ticket, actor=agent, status="hold")
    add_comment(ticket=ticket, author=customer, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.status == "hold"


def test_solved_closes_after_four_days_by_the_worker(customer, agent):
    """Solved → closed exactly 4 days later, fired by the sweeper from the stored due time."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        ticket = new_ticket(customer)
        solve_ticket(ticket=ticket, actor=agent, comment="Fixed in 16.2")
    timer = Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk))
    assert timer.due_at == start + timedelta(days=4)
    run_all_sweeps(start + timedelta(days=4) - timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    run_all_sweeps(start + timedelta(days=4))
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at == start + timedelta(days=4)
    assert ticket.assignee == agent  # solving assigns the solver when unassigned


def test_close_delay_is_configurable(customer, agent, settings):
    """SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS changes the delay."""
    settings.SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS = 1
    ticket = new_ticket(customer)
    solve_ticket(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    timer = Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk))
    assert timer.due_at == ticket.solved_at + timedelta(days=1)


def test_reopening_cancels_the_close_timer(customer, agent):
    """A solved ticket that reopens is not closed by the old timer."""
    ticket = new_ticket(customer)
    solve_ticket(ticket=ticket, actor=agent)
    add_comment(ticket=ticket, author=customer, body="Still broken")
    assert Timer.objects.get(kind="tickets.close_solved", key=str(ticket.pk)).due_at is None
    run_all_sweeps(timezone.now() + timedelta(days=30))
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_reply_to_closed_ticket_creates_follow_up_with_its_tags(customer, agent):
    """Closed never reopens: a requester reply creates a linked follow-up carrying the tags."""
    ticket = new_ticket(customer, tags=["runner", "upgrade"])
    solve_ticket(ticket=ticket, actor=agent)
    close_if_still_solved(ticket_id=ticket.pk, now=timezone.now() + timedelta(days=5))
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    comment = add_comment(ticket=ticket, author=customer, body="It came back")
    follow_up = comment.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_source == ticket
    assert follow_up.tag_names() == ["runner", "upgrade"]
    assert follow_up.status == "new" and follow_up.requester == customer
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.comments.filter(body="It came back").count() == 0


def test_agents_cannot_change_closed_tickets(customer, agent):
    """Closed is final for agents too."""
    ticket = new_ticket(customer, channel="mailing_list")
    with pytest.raises(ValidationFailed, match="closed"):
        update_ticket(ticket=ticket, actor=agent, priority="high")
    with pytest.raises(ValidationFailed, match="closed"):
        add_comment(ticket=ticket, author=agent, body="hello")


def test_merge_closes_source_with_tag_and_notes_both(customer, agent):
    """Merge: source closed with close_by_merge and a note; target noted; source comments shown.
    One requester's own tickets: the notes are public replies, as Zendesk does."""
    source = new_ticket(customer, subject="Runner stuck again", tags=["runner"])
    target = new_ticket(customer)
    merge_tickets(actor=agent, sources=[source], target=target)
    source.refresh_from_db()
    assert source.status == "closed" and source.merged_into == target
    assert source.tag_names() == ["close_by_merge", "runner"]
    assert source.comments.filter(
        public=True,
        body=f'This request was closed and merged into request #{target.pk} "Runner stuck".',
    ).exists()
    assert target.comments.filter(
        public=True, body=f"Requests #{source.pk} were closed and merged into this request."
    ).exists()
    bodies = [c.body for c in queries.comments_for(agent, target)]
    assert "Pipelines hang at 'pending' since the upgrade." in bodies
    assert len([b for b in bodies if b.startswith("Pipelines hang")]) == 2  # its own + the source's


def test_follow_up_of_merged_ticket_copies_close_by_merge(customer, agent):
    """A follow-up on a ticket closed by merge copies its tags, so close_by_merge reappears."""
    source = new_ticket(customer)
    target = new_ticket(customer)
    merge_tickets(actor=agent, sources=[source], target=target)
    follow_up = add_comment(ticket=source, author=customer, body="Reply to old thread").ticket
    assert "close_by_merge" in follow_up.tag_names()


def test_merge_refuses_self_and_closed(customer, agent):
    """A ticket cannot be merged into itself, nor a closed one merged again."""
    ticket = new_ticket(customer)
    with pytest.raises(ValidationFailed, match="itself"):
        merge_tickets(actor=agent, sources=[ticket], target=ticket)
    closed = new_ticket(customer, channel="mailing_list")
    with pytest.raises(ValidationFailed, match="already closed"):
        merge_tickets(actor=agent, sources=[closed], target=ticket)
    with pytest.raises(PermissionDenied):
        merge_tickets(actor=customer, sources=[closed], target=ticket)


def test_mailing_list_tickets_are_closed_on_arrival(customer, settings):
    """Mail to the mailing-list address (or channel mailing_list) creates a closed ticket."""
    settings.SWITCHBOARD_MAILING_LIST_ADDRESSES = ["announce@switchboard.test"]
    by_address = new_ticket(customer, channel="email", recipient="Announce@Switchboard.test")
    by_channel = new_ticket(customer, channel="mailing_list")
    for ticket in (by_address, by_channel):
        assert ticket.status == "closed" and ticket.channel == "mailing_list"
        assert ticket.closed_at == ticket.created_at


def test_requester_without_organization_is_tagged_unverified():
    """A requester with no organization gets entitlement_unverified; one with an org does not."""
    lone = UserFactory(email="someone@freemail.test")
    ticket = new_ticket(lone)
    assert ticket.organization is None
    assert ticket.tag_names() == ["entitlement_unverified"]


def test_requester_by_email_is_created_and_matched_by_domain(agent):
    """An agent opening a ticket for a new email creates the user and associates them by domain."""
    domain = OrganizationDomainFactory(domain="initech.test")
    ticket = create_ticket(
        actor=agent, requester_email="Peter@Initech.test", subject="TPS", description="Reports fail"
    )
    assert ticket.requester.email == "peter@initech.test"
    assert ticket.organization == domain.organization
    assert "entitlement_unverified" not in ticket.tag_names()


def test_every_change_is_audited_with_actor_and_values(customer, agent):
    """Field changes record actor, time, field, from and to; tags too."""
    ticket = new_ticket(customer)
    other = AgentFactory()
    update_ticket(
        ticket=ticket, actor=agent, assignee=other, add_tags=["Geo", "ha"], ticket_type="incident"
    )
    audit = TicketAudit.objects.filter(ticket=ticket).latest("pk")
    assert audit.actor == agent
    assert fields_changed(ticket) == [
        ("assignee", None, other.pk),
        ("tags", [], ["geo", "ha"]),
        ("ticket_type", "", "incident"),
        ("status", "new", "open"),
    ]
    remove_tags(ticket=ticket, actor=agent, tags=["geo"])
    assert fields_changed(ticket)[-1] == ("tags", ["geo", "ha"], ["ha"])


def test_failed_update_changes_nothing(customer, agent):
    """A bad value anywhere in an update leaves the ticket and its audit trail untouched."""
    ticket = new_ticket(customer)
    audits = TicketAudit.objects.count()
    with pytest.raises(ValidationFailed, match="priority"):
        update_ticket(ticket=ticket, actor=agent, add_tags=["x"], priority="critical")
    ticket.refresh_from_db()
    assert (
        ticket.tag_names() == []
        and ticket.status == "new"
        and TicketAudit.objects.count() == audits
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subject": " "}, "subject: cannot be blank"),
        ({"description": ""}, "description: cannot be blank"),
        ({"priority": "p1"}, "priority: 'p1' is not one of low, normal, high, urgent"),
        ({"ticket_type": "bug"}, "type: 'bug' is not one of"),
        ({"channel": "fax"}, "channel: 'fax' is not one of"),
        ({"tags": ["ok", "bad,tag"]}, 'tags: "bad,tag" is not a valid tag'),
        ({"subject": "x" * 256}, "subject: at most 255 characters"),
    ],
)
def test_invalid_ticket_input_is_refused_and_nothing_is_written(customer, kwargs, message):
    """Bad input gets a message naming the field; no ticket, comment or user is written."""
    before = (Ticket.objects.count(), Comment.objects.count())
    with pytest.raises(ValidationFailed) as err:
        new_ticket(customer, **kwargs)
    assert message in err.value.message
    assert (Ticket.objects.count(), Comment.objects.count()) == before


def test_custom_fields_are_validated_by_type(customer, agent):
    """Custom field values are checked against their definitions and stored by field id."""
    version = TicketField.objects.create(title="Version", key="version_field", field_type="text")
    seats = TicketField.objects.create(title="Seats", key="seats", field_type="integer")
    plan = TicketField.objects.create(
        title="Plan",
        key="plan",
        field_type="tagger",
        options=[{"name": "Premium", "value": "premium"}],
    )
    ticket = new_ticket(
        customer,
        actor=agent,
        custom_fields=[{"id": version.pk, "value": "16.2"}, {"id": seats.pk, "value": "40"}],
    )
    assert ticket.custom_fields == {str(version.pk): "16.2", str(seats.pk): 40}
    with pytest.raises(ValidationFailed, match="'gold' is not one of premium"):
        update_ticket(ticket=ticket, actor=agent, custom_fields={"plan": "gold"})
    with pytest.raises(ValidationFailed, match="unknown field"):
        update_ticket(ticket=ticket, actor=agent, custom_fields={"nope": 1})
    update_ticket(ticket=ticket, actor=agent, custom_fields={str(plan.pk): "premium"})
    ticket.refresh_from_db()
    assert ticket.custom_fields[str(plan.pk)] == "premium"


def test_customers_cannot_do_agent_things(customer, agent):
    """End-users can't add internal notes, change fields, or close; they may solve their own."""
    ticket = new_ticket(customer)
    with pytest.raises(PermissionDenied):
        add_comment(ticket=ticket, author=customer, body="psst", public=False)
    with pytest.raises(PermissionDenied):
        update_ticket(ticket=ticket, actor=customer, priority="urgent")
    ticket = update_ticket(ticket=ticket, actor=customer, status="solved")
    assert ticket.status == "solved"


def test_agent_cannot_close_directly_or_go_back_to_new(customer, agent):
    """Closed is set by the time rule; new is only the first state."""
    ticket = new_ticket(customer)
    with pytest.raises(ValidationFailed, match="solve it instead"):
        update_ticket(ticket=ticket, actor=agent, status="closed")
    update_ticket(ticket=ticket, actor=agent, status="pending")
    with pytest.raises(ValidationFailed, match="back to new"):
        update_ticket(ticket=ticket, actor=agent, status="new")


def test_comment_access_follows_the_shared_organization_rules(org, customer, agent):
    """A colleague in a view_all org sees but may not comment; in own they get "not found"."""
    ticket = new_ticket(customer)
    colleague = UserFactory(organization=org)
    org.sharing = OrgSharing.VIEW_ALL
    org.save()
    assert queries.ticket_for_user(colleague, ticket.pk) == ticket
    with pytest.raises(NotFound):
        add_comment(ticket=ticket, author=colleague, body="me too")
    org.sharing = OrgSharing.OWN
    org.save()
    colleague.refresh_from_db()
    with pytest.raises(NotFound):
        queries.ticket_for_user(colleague, ticket.pk)
    with pytest.raises(NotFound):
        queries.ticket_for_user(colleague, 999_999)


def test_visible_tickets_matches_the_access_function(org, customer, agent):
    """The queryset filter and the per-ticket decision agree for every user and ticket."""
    from switchboard.accounts import access

    org.sharing = OrgSharing.VIEW_ALL
    org.save()
    colleague = UserFactory(organization=org)
    outsider = UserFactory(email="o@other.test", organization=OrganizationFactory())
    cc_ticket = new_ticket(customer, subject="CC'd")
    cc_ticket.ccs.add(outsider)
    tickets = [new_ticket(customer), new_ticket(colleague), cc_ticket, new_ticket(outsider)]
    for user in (customer, colleague, outsider, agent):
        user.refresh_from_db()
        visible = set(queries.visible_tickets(user).values_list("pk", flat=True))
        expected = {t.pk for t in tickets if access.can_view(user, t)}
        assert visible & {t.pk for t in tickets} == expected, user.email
