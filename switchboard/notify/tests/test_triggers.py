"""The trigger engine: order, once per event, no loops, access rules, query count."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.notify.models import Delivery
from switchboard.notify.rules import triggers
from switchboard.notify.rules.models import Trigger, TriggerFiring
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import solve_ticket, update_ticket
from switchboard.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_test_rules():
    """Start from no shipped triggers so each test sees only its own rules."""
    Trigger.objects.all().delete()


@pytest.fixture
def customer():
    org = OrganizationFactory(name="Acme", support_level="priority", product_line="saas")
    return UserFactory(email="cara@acme.test", name="Cara", organization=org)


def new_ticket(requester, **kw):
    return create_ticket(actor=requester, subject="Help", description="Broken", **kw)


def test_triggers_run_in_order_and_see_earlier_changes(customer):
    """A later trigger sees what an earlier one set; each fires once for the event."""
    Trigger.objects.create(
        title="Escalate",
        position=2,
        events=["ticket.created"],
        conditions_all=[{"field": "priority", "operator": "is", "value": "urgent"}],
        actions=[{"type": "add_tags", "value": ["escalated"]}],
    )
    Trigger.objects.create(
        title="Urgent for priority orgs",
        position=1,
        events=["ticket.created"],
        conditions_all=[
            {"field": "organization.support_level", "operator": "is", "value": "priority"}
        ],
        actions=[{"type": "set_field", "field": "priority", "value": "urgent"}],
    )
    ticket = new_ticket(customer)
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert ticket.tag_names() == ["escalated"]
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 2


def test_a_trigger_fires_once_per_event(customer):
    """Running the same event again fires nothing more (the firing record is the guard)."""
    Trigger.objects.create(
        title="Tag", events=["ticket.created"], actions=[{"type": "add_tags", "value": "seen"}]
    )
    ticket = new_ticket(customer)
    context = triggers.RuleContext(
        names=("ticket.created",),
        key=f"created:{ticket.pk}",
        at=ticket.created_at,
        ticket_id=ticket.pk,
        changes={},
    )
    assert triggers.run_triggers(context) == []
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 1


def test_set_field_action_does_not_loop(customer):
    """A trigger on 'updated' that changes the ticket does not re-run itself."""
    Trigger.objects.create(
        title="Bump",
        events=["ticket.updated"],
        actions=[{"type": "add_tags", "value": ["touched"]}],
    )
    ticket = new_ticket(customer)
    agent = AgentFactory()
    update_ticket(ticket=ticket, actor=agent, priority="high")
    ticket.refresh_from_db()
    assert ticket.tag_names() == ["touched"]
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 1
    update_ticket(ticket=ticket, actor=agent, priority="low")
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 2


def test_status_changed_and_changed_to(customer):
    Trigger.objects.create(
        title="Solved notice",
        events=["ticket.status_changed"],
        conditions_all=[{"field": "status", "operator": "changed_to", "value": "solved"}],
        actions=[{"type": "add_tags", "value": ["was_solved"]}],
    )
    ticket = new_ticket(customer)
    agent = AgentFactory()
    update_ticket(ticket=ticket, actor=agent, status="pending")
    assert Ticket.objects.get(pk=ticket.pk).tag_names() == []
    solve_ticket(ticket=ticket, actor=agent, comment="Done")
    assert "was_solved" in Ticket.objects.get(pk=ticket.pk).tag_names()


def test_requester_email_respects_access_and_internal_notes(customer):
    """Public agent replies reach the requester; internal notes and the reply's author do not;
    a user who may not view the ticket gets nothing."""
    outsider = UserFactory(email="eve@elsewhere.test")
    Trigger.objects.create(
        title="Reply to requester",
        events=["ticket.commented"],
        conditions_all=[{"field": "comment.public", "operator": "is", "value": True}],
        actions=[
            {"type": "email_requester", "template": "rules/requester_reply"},
            {"type": "email_user", "value": outsider.email, "template": "rules/requester_reply"},
        ],
    )
    ticket = new_ticket(customer)
    agent = AgentFactory(name="Ann Agent")
    add_comment(ticket=ticket, author=agent, body="secret plan", public=False)
    assert not Delivery.objects.filter(ticket=ticket).exists()
    add_comment(ticket=ticket, author=agent, body="Try restarting", public=True)
    mails = list(Delivery.objects.filter(ticket=ticket))
    assert [d.recipient for d in mails] == [customer.email]
    assert "Try restarting" in mails[0].payload["text"]
    assert "secret plan" not in mails[0].payload["text"]
    assert f"/portal/tickets/{ticket.pk}/" in mails[0].payload["text"]
    firing = TriggerFiring.objects.get(ticket=ticket)
    assert {"action": "email_user", "to": outsider.email} | {
        "skipped": "recipient may not view the ticket"
    } in firing.outcome
    # The requester's own public comment is not mailed back to them.
    add_comment(ticket=ticket, author=customer, body="Still broken", public=True)
    assert Delivery.objects.filter(ticket=ticket).count() == 1


def test_agent_emails_carry_their_signed_reply_address(customer):
    """An email to an agent has Reply-To = that agent's signed address for the ticket; the
    requester's has the plain support address."""
    from switchboard.notify.outbox import message_ids

    agent = AgentFactory(email="tam@switchboard.test")
    Trigger.objects.create(
        title="New ticket notices",
        events=["ticket.created"],
        actions=[
            {"type": "email_user", "value": agent.email, "template": "rules/agent_notice"},
            {"type": "email_requester", "template": "rules/requester_received"},
        ],
    )
    ticket = new_ticket(customer)
    by_recipient = {d.recipient: d.payload for d in Delivery.objects.filter(ticket=ticket)}
    assert by_recipient[agent.email]["reply_to"] == message_ids.reply_address(ticket.pk, agent.pk)
    assert by_recipient[customer.email]["reply_to"] == "support@switchboard.test"


def test_trigger_validation_on_clean():
    """clean() refuses a rule the engine could not run, naming the field."""
    trigger = Trigger(
        title="Bad",
        events=["ticket.exploded"],
        conditions_all=[{"field": "status", "operator": "is", "value": "opened"}],
        actions=[],
    )
    with pytest.raises(ValidationError) as info:
        trigger.full_clean()
    assert "events" in info.value.message_dict
    trigger.events = ["ticket.created"]
    with pytest.raises(ValidationError) as info:
        trigger.full_clean()
    assert "'opened' is not a status" in str(info.value.message_dict["conditions_all"])
    assert "actions" in info.value.message_dict


def _queries_for_new_ticket(customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        new_ticket(customer)
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_triggers(
    customer, django_assert_max_num_queries
):
    """Non-matching triggers cost no queries: 3 or 30 triggers, the same count."""
    Trigger.objects.create(
        title="Match", events=["ticket.created"], actions=[{"type": "add_tags", "value": "x"}]
    )

    def add(n, start):
        for i in range(start, start + n):
            Trigger.objects.create(
                title=f"Other {i}",
                events=["ticket.created"],
                conditions_all=[{"field": "status", "operator": "is", "value": "hold"}],
                actions=[{"type": "add_tags", "value": "y"}],
            )

    add(2, 0)
    _queries_for_new_ticket(customer)  # warm caches
    few = _queries_for_new_ticket(customer)
    add(28, 2)
    _queries_for_new_ticket(customer)  # the new generation of rules is loaded once
    many = _queries_for_new_ticket(customer)
    assert many == few
    with django_assert_max_num_queries(few):
        new_ticket(customer)


def test_requester_email_description_is_the_first_public_comment(customer):
    """`{{ ticket.description }}` in a requester's email is the first public comment: never an
    internal first comment (and no longer blank)."""
    Trigger.objects.create(
        title="Tell the requester",
        events=["ticket.commented"],
        conditions_all=[{"field": "comment.public", "operator": "is", "value": True}],
        actions=[
            {
                "type": "email_requester",
                "template": "rules/requester_reply",
                "subject": "About: {{ ticket.description }}",
            }
        ],
    )
    agent = AgentFactory()
    ticket = create_ticket(
        actor=agent,
        requester=customer,
        subject="Help",
        description="internal: suspected abuse",
        public=False,
    )
    add_comment(ticket=ticket, author=agent, body="We reset your key.", public=True)
    mail = Delivery.objects.get(ticket=ticket, recipient=customer.email)
    assert mail.payload["subject"].endswith("About: We reset your key.")
    assert "abuse" not in str(mail.payload)


def test_email_ccs_mails_each_cc_what_they_may_see(customer):
    """`email_ccs` mails every active CC; an internal note's body never reaches them."""
    cc = UserFactory(email="cc@partner.test")
    gone = UserFactory(email="gone@partner.test")  # deactivated once copied (below)
    Trigger.objects.create(
        title="Copy the CCs",
        events=["ticket.commented"],
        actions=[{"type": "email_ccs", "template": "rules/requester_reply"}],
    )
    agent = AgentFactory()
    # End-users cannot set CCs when opening a ticket (#11): an agent opens it for the customer.
    ticket = create_ticket(
        actor=agent, requester=customer, subject="Help", description="Broken", ccs=[cc, gone]
    )
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    add_comment(ticket=ticket, author=agent, body="private: cc is a competitor", public=False)
    add_comment(ticket=ticket, author=agent, body="Fixed in 16.5", public=True)
    mails = list(Delivery.objects.filter(ticket=ticket).order_by("pk"))
    assert {m.recipient for m in mails} == {cc.email}
    assert "competitor" not in str([m.payload for m in mails])
    assert any("Fixed in 16.5" in m.payload["text"] for m in mails)


def test_customer_audience_webhook_gets_what_the_requester_may_see(customer):
    """A `notify_endpoint` with audience "requester" renders as the requester: no internal note,
    a portal link, no SLA figures; the default (agents) audience keeps the full text."""
    from switchboard.accounts.tests.factories import AdminFactory
    from switchboard.notify.outbox.endpoints import create_endpoint

    admin = AdminFactory()
    theirs = create_endpoint(
        actor=admin, name="Customer feed", kind="webhook", url="https://hooks.acme.test/in"
    )
    ours = create_endpoint(
        actor=admin, name="Agents feed", kind="webhook", url="https://hooks.internal.test/in"
    )
    message = "{{ comment.body }} {{ ticket.url }}"
    Trigger.objects.create(
        title="Feeds",
        events=["ticket.commented"],
        actions=[
            {
                "type": "notify_endpoint",
                "endpoint": theirs.name,
                "audience": "requester",
                "message": message,
            },
            {"type": "notify_endpoint", "endpoint": ours.name, "message": message},
        ],
    )
    ticket = new_ticket(customer)
    add_comment(ticket=ticket, author=AgentFactory(), body="note: refund them", public=False)
    customer_side = Delivery.objects.get(endpoint=theirs)
    agent_side = Delivery.objects.get(endpoint=ours)
    assert "refund" not in str(customer_side.payload)
    assert f"/portal/tickets/{ticket.pk}/" in customer_side.payload["data"]["ticket"]["url"]
    assert "note: refund them" in agent_side.payload["data"]["message"]


def test_endpoint_audience_is_validated():
    """An unknown audience is refused with a message naming the choices."""
    trigger = Trigger(
        title="Bad",
        events=["ticket.created"],
        actions=[{"type": "notify_endpoint", "endpoint": "x", "audience": "everyone"}],
    )
    with pytest.raises(ValidationError, match="agents, requester"):
        trigger.full_clean()


def test_triggers_and_webhooks_see_the_files_of_a_reply(customer, settings, tmp_path):
    """A reply's files are stored before the `commented` event fires: a trigger's template
    lists them and a webhook's payload carries them; files the requester may not see (on an
    internal note) never reach a customer-audience webhook."""
    from switchboard.accounts.tests.factories import AdminFactory
    from switchboard.notify.outbox.endpoints import create_endpoint
    from switchboard.tickets.actions.comments import post_comment
    from switchboard.tickets.actions.uploads import NewFile

    settings.MEDIA_ROOT = str(tmp_path / "media")
    admin = AdminFactory()
    feed = create_endpoint(actor=admin, name="Feed", kind="webhook", url="https://hooks.test/in")
    theirs = create_endpoint(
        actor=admin, name="Customer feed", kind="webhook", url="https://hooks.acme.test/in"
    )
    Trigger.objects.create(
        title="Files",
        events=["ticket.commented"],
        actions=[
            {
                "type": "notify_endpoint",
                "endpoint": feed.name,
                "message": "{% for a in comment.attachments %}[{{ a.filename }}]{% endfor %}",
            },
            {"type": "notify_endpoint", "endpoint": theirs.name, "audience": "requester"},
        ],
    )
    ticket = new_ticket(customer)
    posted = post_comment(
        ticket=ticket,
        author=customer,
        body="Logs attached",
        files=[NewFile("backup.log", b"error: disk full\n")],
    )
    assert [a.filename for a in posted.attachments] == ["backup.log"]
    payload = Delivery.objects.get(endpoint=feed).payload["data"]
    assert payload["message"] == "[backup.log]"
    assert payload["attachments"] == [
        {"filename": "backup.log", "size": 17, "content_type": "text/plain"}
    ]
    assert Delivery.objects.get(endpoint=theirs).payload["data"]["attachments"][0]["filename"] == (
        "backup.log"
    )

    post_comment(
        ticket=ticket,
        author=AgentFactory(),
        body="internal",
        public=False,
        files=[NewFile("notes.txt", b"hush\n")],
    )
    latest = Delivery.objects.filter(endpoint=theirs).order_by("-pk").first()
    assert latest is not None and latest.payload["data"]["attachments"] == []
    agent_side = Delivery.objects.filter(endpoint=feed).order_by("-pk").first()
    assert agent_side is not None and agent_side.payload["data"]["message"] == "[notes.txt]"


def test_a_refused_file_fails_the_reply_unless_the_caller_keeps_going(customer, settings, tmp_path):
    """An empty file refuses the whole reply (nothing written, no event); email intake's
    `keep_going` keeps the message and reports the refusal."""
    from switchboard.core.errors import ValidationFailed
    from switchboard.tickets.actions.comments import post_comment
    from switchboard.tickets.actions.uploads import NewFile

    settings.MEDIA_ROOT = str(tmp_path / "media")
    Trigger.objects.create(
        title="Tag replies",
        events=["ticket.commented"],
        actions=[{"type": "add_tags", "value": ["replied"]}],
    )
    ticket = new_ticket(customer)
    files = [NewFile("ok.txt", b"fine\n"), NewFile("empty.txt", b"")]
    with pytest.raises(ValidationFailed, match="empty"):
        post_comment(ticket=ticket, author=customer, body="Two files", files=files)
    assert ticket.comments.count() == 1
    assert ticket.tag_names() == []

    posted = post_comment(
        ticket=ticket, author=customer, body="Two files", files=files, keep_going=True
    )
    assert [a.filename for a in posted.attachments] == ["ok.txt"]
    assert posted.refused == ["empty.txt: file: the file is empty."]
    assert ticket.tag_names() == ["replied"]
