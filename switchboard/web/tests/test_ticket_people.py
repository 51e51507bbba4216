"""The ticket page's people and fields: CCs (agent page, portal, emails), new tickets for a
requester, subject/type/requester edits, assignment on reply, "Keep status", the reply toggle."""

from __future__ import annotations

import pytest
from django.test import Client

from switchboard.accounts.models import OrganizationDomain, Role, User
from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.notify.outbox.models import Delivery
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import AuditEvent, Channel, Comment, Ticket, TicketAudit
from switchboard.web.queries import pick_lists
from switchboard.web.tests.test_pages import text

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _events(ticket, field: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(audit__ticket=ticket, field=field).order_by("pk"))


@pytest.fixture
def acme_domain(customer):
    OrganizationDomain.objects.create(organization=customer.organization, domain="acme.test")
    return customer.organization


def _mails(ticket) -> dict[str, Delivery]:
    return {d.recipient: d for d in Delivery.objects.filter(ticket=ticket, channel="email")}


# --- a new ticket for a requester ----------------------------------------------------------------


def test_agent_opens_a_proactive_ticket_with_a_cc(agent_client, agent, customer, acme_domain):
    """Requester picked by email, a new CC address (an end-user of the org of its domain), the
    first comment public: the requester and the CC get it by email; via web; audited."""
    response = agent_client.post(
        "/tickets/new",
        {
            "requester": "carol@acme.test",
            "ccs": "dave@acme.test",
            "subject": "Your certificate expires Friday",
            "ticket_type": "task",
            "priority": "high",
            "body": "Renew it before Friday, here is how.",
            "visibility": "public",
            "assignee": str(agent.pk),
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Your certificate expires Friday")
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    dave = User.objects.get(email="dave@acme.test")
    assert dave.role == Role.END_USER and dave.organization == customer.organization
    assert ticket.requester == customer and ticket.assignee == agent
    assert ticket.ticket_type == "task" and ticket.priority == "high"
    assert ticket.channel == Channel.WEB and ticket.submitter == agent
    assert list(ticket.ccs.all()) == [dave]
    first = Comment.objects.get(ticket=ticket, author=agent)
    assert first.public
    audit = TicketAudit.objects.get(ticket=ticket, events__field="ccs")
    assert audit.actor == agent and audit.via == "web"

    mails = _mails(ticket)
    assert set(mails) >= {"carol@acme.test", "dave@acme.test"}
    for address in ("carol@acme.test", "dave@acme.test"):
        assert "Renew it before Friday" in mails[address].payload["text"]
        assert "We received your request" not in mails[address].payload["text"]
        assert "/portal/tickets/" in mails[address].payload["text"]


def test_new_ticket_with_an_internal_first_comment_emails_nobody_outside(
    agent_client, agent, customer
):
    """On behalf of the requester (e.g. after a call): an internal first comment is not mailed."""
    response = agent_client.post(
        "/tickets/new",
        {
            "requester": "Carol Customer",  # picked by name
            "subject": "Call notes",
            "priority": "normal",
            "body": "Spoke on the phone: runners stuck.",
            "visibility": "internal",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Call notes")
    assert ticket.requester == customer
    assert not Comment.objects.get(ticket=ticket, author=agent).public
    assert "carol@acme.test" not in _mails(ticket)


def test_new_ticket_for_a_new_address_creates_the_end_user_in_its_organization(
    agent_client, customer, acme_domain
):
    response = agent_client.post(
        "/tickets/new",
        {
            "requester": "Erin@Acme.test",
            "requester_name": "Erin Example",
            "subject": "Welcome",
            "priority": "low",
            "body": "Hello Erin.",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    erin = User.objects.get(email="erin@acme.test")
    assert erin.name == "Erin Example" and erin.role == Role.END_USER
    assert erin.organization == acme_domain
    ticket = Ticket.objects.get(subject="Welcome")
    assert ticket.requester == erin and ticket.organization == acme_domain


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"requester": "not-an-email@"}, "is not an email address"),
        ({"requester": "Nobody Known"}, "nobody is called"),
        ({"ccs": "bad-address"}, "is not an email address"),
        ({"assignee": "999999"}, "assignee: not an active agent"),
        ({"subject": ""}, "subject"),
    ],
)
def test_new_ticket_bad_input_is_a_4xx_and_writes_nothing(agent_client, customer, data, message):
    form = {
        "requester": "carol@acme.test",
        "subject": "Hello",
        "priority": "normal",
        "body": "Text",
        "visibility": "public",
        **data,
    }
    users = User.objects.count()
    response = agent_client.post("/tickets/new", form)
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert not Ticket.objects.exists() and User.objects.count() == users


def test_new_ticket_page_and_people_picker(agent_client, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = agent_client.get("/tickets/new?requester=carol@acme.test")
    assert response.status_code == 200
    assert 'value="carol@acme.test"' in text(response)
    with django_assert_max_num_queries(3):
        response = agent_client.get("/people/suggest?requester=carol")
    assert '<option value="carol@acme.test">Carol Customer · Acme</option>' in text(response)
    assert agent_client.get("/people/suggest?q=c").content.strip() == b""


def test_end_users_never_reach_the_agent_pages(client, customer, make_ticket):
    """New ticket, the people picker and the CC box are agents' pages: an end-user is sent to
    the portal and nothing is written."""
    ticket = make_ticket()
    client.force_login(customer)
    for method, url, data in [
        ("get", "/tickets/new", {}),
        ("post", "/tickets/new", {"requester": "x@acme.test", "subject": "s", "body": "b"}),
        ("get", "/people/suggest?q=carol", {}),
        ("post", f"/tickets/{ticket.pk}/ccs", {"add": "someone@else.test"}),
    ]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"] == "/portal/"
    assert Ticket.objects.count() == 1 and not ticket.ccs.exists()
    assert not User.objects.filter(email__in=["x@acme.test", "someone@else.test"]).exists()


# --- CCs on the agent ticket page ---------------------------------------------------------------


def test_agent_adds_and_removes_ccs_audited_and_shown(agent_client, agent, make_ticket):
    ticket = make_ticket()
    other = AgentFactory(name="Otto Agent")
    response = agent_client.post(
        f"/tickets/{ticket.pk}/ccs", {"add": f"frank@partner.test, {other.email}"}
    )
    assert response.status_code == 302
    frank = User.objects.get(email="frank@partner.test")
    assert set(ticket.ccs.all()) == {frank, other}
    html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert 'data-cc="frank@partner.test"' in html and f'data-cc="{other.email}"' in html

    assert agent_client.post(f"/tickets/{ticket.pk}/ccs", {"remove": str(frank.pk)}).status_code
    assert list(ticket.ccs.all()) == [other]
    added, removed = _events(ticket, "ccs")
    assert added.to_value == sorted([frank.pk, other.pk]) and added.audit.actor == agent
    assert removed.from_value == sorted([frank.pk, other.pk]) and removed.to_value == [other.pk]
    history = text(agent_client.get(f"/tickets/{ticket.pk}/history"))
    assert "CCs: Otto Agent, frank → Otto Agent" in history


@pytest.mark.parametrize(
    ("add", "message"),
    [
        ("carol@acme.test", "is the requester"),
        ("nope", "is not an email address"),
        ("", "Type an email address"),
    ],
)
def test_agent_cc_bad_input_is_a_4xx(agent_client, make_ticket, add, message):
    ticket = make_ticket()
    response = agent_client.post(f"/tickets/{ticket.pk}/ccs", {"add": add})
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert not ticket.ccs.exists()


def test_a_deactivated_person_cannot_be_copied(agent_client, make_ticket):
    ticket = make_ticket()
    UserFactory(email="gone@partner.test", is_active=False)
    response = agent_client.post(f"/tickets/{ticket.pk}/ccs", {"add": "gone@partner.test"})
    assert response.status_code == 422 and "deactivated" in text(response)


# --- CCs in the portal ----------------------------------------------------------------------------


def test_requester_copies_a_colleague_in_the_portal_who_then_sees_the_ticket(
    client, customer, acme_domain, make_ticket, agent
):
    ticket = make_ticket()
    client.force_login(customer)
    response = client.post(f"/portal/tickets/{ticket.pk}/ccs", {"add": "gina@acme.test"})
    assert response.status_code == 302
    gina = User.objects.get(email="gina@acme.test")
    assert gina.organization == acme_domain and list(ticket.ccs.all()) == [gina]
    (event,) = _events(ticket, "ccs")
    assert event.audit.actor == customer and event.to_value == [gina.pk]

    # the CC sees it in "My tickets" and on its page (public side only), and cannot change CCs
    add_comment(ticket=ticket, author=agent, body="Internal: old version", public=False)
    gina_client = _client(gina)
    assert f"/portal/tickets/{ticket.pk}/" in text(gina_client.get("/portal/"))
    page = text(gina_client.get(f"/portal/tickets/{ticket.pk}/"))
    assert ticket.subject in page and "Internal: old version" not in page
    assert 'data-cc="gina@acme.test"' in page and 'name="add"' not in page
    response = gina_client.post(f"/portal/tickets/{ticket.pk}/ccs", {"remove": str(gina.pk)})
    assert response.status_code == 403 and list(ticket.ccs.all()) == [gina]

    # the requester removes them: they no longer see it
    response = client.post(f"/portal/tickets/{ticket.pk}/ccs", {"remove": str(gina.pk)})
    assert response.status_code == 302 and not ticket.ccs.exists()
    assert gina_client.get(f"/portal/tickets/{ticket.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("stranger@other.test", "only colleagues can be copied"),
        ("agent-cc@switchboard.test", "you cannot copy"),
        ("outsider@elsewhere.test", "not in your organization"),
    ],
)
def test_requester_cannot_copy_outsiders_or_agents(
    client, customer, acme_domain, make_ticket, address, message
):
    AgentFactory(email="agent-cc@switchboard.test")
    UserFactory(email="outsider@elsewhere.test")
    ticket = make_ticket()
    client.force_login(customer)
    users = User.objects.count()
    response = client.post(f"/portal/tickets/{ticket.pk}/ccs", {"add": address})
    assert response.status_code == 403
    assert message in text(response)
    assert not ticket.ccs.exists() and User.objects.count() == users


def test_portal_ticket_page_queries_are_fixed(
    client, customer, acme_domain, make_ticket, django_assert_max_num_queries
):
    ticket = make_ticket()
    for i in range(6):
        update_ticket(
            ticket=ticket,
            actor=customer,
            ccs=[*ticket.ccs.all(), UserFactory(organization=acme_domain, email=f"p{i}@acme.test")],
        )
    client.force_login(customer)
    with django_assert_max_num_queries(12):
        response = client.get(f"/portal/tickets/{ticket.pk}/")
    assert text(response).count("data-cc=") == 6


# --- emails to CCs --------------------------------------------------------------------------------


def test_cc_gets_public_replies_never_internal_notes(make_ticket, agent, customer):
    cc = UserFactory(email="cc@acme.test", organization=customer.organization)
    ticket = make_ticket()
    update_ticket(ticket=ticket, actor=agent, ccs=[cc])
    add_comment(ticket=ticket, author=agent, body="Internal: competitor", public=False)
    add_comment(ticket=ticket, author=agent, body="Fixed in 16.5", public=True)
    mails = list(Delivery.objects.filter(ticket=ticket, recipient=cc.email))
    assert len(mails) == 1
    assert "Fixed in 16.5" in mails[0].payload["text"]
    assert "competitor" not in str(mails[0].payload)
    assert "/portal/tickets/" in mails[0].payload["text"]


# --- subject, type and requester ---------------------------------------------------------------


def _properties(client, ticket) -> dict[str, str]:
    ticket.refresh_from_db()
    return {
        "tags": " ".join(ticket.tag_names()),
        "priority": ticket.priority,
        "assignee": str(ticket.assignee_id or ""),
        "group": str(ticket.group_id or ""),
        "original_tags": " ".join(ticket.tag_names()),
        "original_priority": ticket.priority,
        "original_assignee": str(ticket.assignee_id or ""),
        "original_group": str(ticket.group_id or ""),
        "subject": ticket.subject,
        "ticket_type": ticket.ticket_type,
        "requester": ticket.requester.email,
        "original_subject": ticket.subject,
        "original_ticket_type": ticket.ticket_type,
        "original_requester": str(ticket.requester_id),
    }


def test_edit_subject_type_and_requester_each_audited(agent_client, agent, make_ticket):
    ticket = make_ticket(subject="Runners stuck")
    old_requester = ticket.requester
    new_requester = UserFactory(email="hank@globex.test", name="Hank")
    form = _properties(agent_client, ticket)
    form.update(
        subject="Runners stuck on 16.5", ticket_type="incident", requester=" HANK@globex.test"
    )
    assert agent_client.post(f"/tickets/{ticket.pk}/properties", form).status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == "Runners stuck on 16.5" and ticket.ticket_type == "incident"
    assert ticket.requester == new_requester and ticket.organization is None
    (subject,) = _events(ticket, "subject")[-1:]
    assert (subject.from_value, subject.to_value) == ("Runners stuck", "Runners stuck on 16.5")
    (kind,) = _events(ticket, "ticket_type")[-1:]
    assert (kind.from_value, kind.to_value) == ("", "incident")
    (requester,) = _events(ticket, "requester")[-1:]
    assert (requester.from_value, requester.to_value) == (old_requester.pk, new_requester.pk)
    assert requester.audit.actor == agent
    history = text(agent_client.get(f"/tickets/{ticket.pk}/history"))
    assert "requester: Carol Customer → Hank" in history
    assert "type: — → Incident" in history and "via agent workspace" in history


def test_a_stale_subject_edit_is_a_409_and_writes_nothing(agent_client, make_ticket):
    ticket = make_ticket(subject="Runners stuck")
    stale = _properties(agent_client, ticket)
    update_ticket(ticket=ticket, actor=AgentFactory(), subject="Renamed by Bea")
    stale.update(subject="Mine", priority="high")
    response = agent_client.post(f"/tickets/{ticket.pk}/properties", stale)
    assert response.status_code == 409
    box = text(response).split('id="properties-conflict"', 1)[1].split("</table>", 1)[0]
    assert 'data-field="subject"' in box and "Renamed by Bea" in box and "Mine" in box
    ticket.refresh_from_db()
    assert ticket.subject == "Renamed by Bea" and ticket.priority == "normal"


def test_a_stale_requester_edit_is_a_409_and_creates_nobody(agent_client, make_ticket):
    ticket = make_ticket()
    stale = _properties(agent_client, ticket)
    update_ticket(ticket=ticket, actor=AgentFactory(), requester=UserFactory())
    stale.update(requester="new-person@globex.test")
    response = agent_client.post(f"/tickets/{ticket.pk}/properties", stale)
    assert response.status_code == 409
    assert 'data-field="requester"' in text(response)
    assert not User.objects.filter(email="new-person@globex.test").exists()


def test_a_blank_subject_is_a_422(agent_client, make_ticket):
    ticket = make_ticket(subject="Runners stuck")
    form = _properties(agent_client, ticket)
    form.update(subject="  ")
    response = agent_client.post(f"/tickets/{ticket.pk}/properties", form)
    assert response.status_code == 422 and "subject" in text(response)


# --- replies: assignment, Keep status, the toggle ---------------------------------------------


def test_a_public_reply_assigns_an_unassigned_ticket_to_its_author(
    agent_client, agent, make_ticket
):
    ticket = make_ticket()
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Note", "visibility": "internal"})
    ticket.refresh_from_db()
    assert ticket.assignee is None  # an internal note does not
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Hi", "visibility": "public"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    event = _events(ticket, "assignee")[-1]
    assert event.from_value is None and event.to_value == agent.pk


def test_assignment_on_reply_can_be_turned_off(agent_client, make_ticket, settings):
    settings.SWITCHBOARD_ASSIGN_ON_PUBLIC_REPLY = False
    ticket = make_ticket()
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Hi", "visibility": "public"})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_reply_does_not_take_a_ticket_assigned_to_someone_else(agent_client, make_ticket):
    other = AgentFactory()
    ticket = make_ticket(actor=other, assignee=other)
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Hi", "visibility": "public"})
    ticket.refresh_from_db()
    assert ticket.assignee == other


def test_keep_status_keeps_new(agent_client, make_ticket):
    """ "Keep status" (the default) keeps even new; choosing a status still sets it."""
    ticket = make_ticket()
    assert ticket.status == "new"
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "Looking", "visibility": "internal", "status": ""}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "new"
    agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "On it", "visibility": "public", "status": "open"}
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_the_reply_toggle_keeps_the_agents_choice(agent_client, make_ticket):
    ticket = make_ticket()
    page = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert 'value="public" checked' in page
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Note", "visibility": "internal"})
    for _ in range(2):  # after the submit, and on a reload
        page = text(agent_client.get(f"/tickets/{ticket.pk}/"))
        assert 'value="internal" checked' in page and 'value="public" checked' not in page
    other = make_ticket(subject="Another")
    assert 'value="internal" checked' in text(agent_client.get(f"/tickets/{other.pk}/"))


# --- history and channel -------------------------------------------------------------------------


def test_the_header_names_the_real_channel(agent_client, agent, make_ticket):
    """A ticket an agent opened in the workspace says so; one a customer opened says portal."""
    theirs = make_ticket(subject="From the portal")
    ours = make_ticket(subject="From the workspace", actor=agent)
    head = text(agent_client.get(f"/tickets/{theirs.pk}/")).split("</header>", 2)[1]
    assert "via portal" in head
    head = text(agent_client.get(f"/tickets/{ours.pk}/")).split("</header>", 2)[1]
    assert "via agent workspace" in head


@pytest.mark.parametrize("n", [1, 12])
def test_ticket_page_queries_do_not_grow_with_ccs(
    agent_client, agent, make_ticket, django_assert_max_num_queries, n
):
    ticket = make_ticket()
    update_ticket(
        ticket=ticket, actor=agent, ccs=[UserFactory(email=f"cc{i}@acme.test") for i in range(n)]
    )
    pick_lists()  # cached, as in a running process (test_pick_lists_cache)
    with django_assert_max_num_queries(12):  # the bound of test_queries_bounded
        response = agent_client.get(f"/tickets/{ticket.pk}/")
    assert text(response).count("data-cc=") == n
