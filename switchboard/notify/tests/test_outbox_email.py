"""Email out through a real SMTP server: threading headers, subject token, Reply-To, multipart,
idempotency, rollback, refusals."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from switchboard.core.errors import ValidationFailed
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryAttempt, DeliveryStatus
from switchboard.notify.outbox import message_ids
from switchboard.notify.outbox.queue import queue_email, queue_record, render_email
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ticket(agent, user_factory):
    customer = user_factory(email="ann@customer.test")
    return create_ticket(
        actor=customer, requester=customer, subject="Printer on fire", description="Help"
    )


def sent_for(smtp_server, delivery):
    """The message(s) the SMTP server received for this delivery."""
    return [
        (env, msg)
        for env, msg in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
        if msg["X-Switchboard-Delivery"] == str(delivery.pk)
    ]


def test_ticket_email_threads_on_the_ticket_and_routes_replies(smtp_server, ticket):
    """An email about a ticket carries [#id], a Message-ID naming the ticket, In-Reply-To and
    References = the thread root, Reply-To = the support address, Auto-Submitted, and both an
    HTML and a plain-text part."""
    text, html = render_email(
        "notification",
        {
            "heading": "New reply",
            "body": "Tom wrote <b>hi</b>",
            "ticket": ticket,
            "ticket_url": "https://sb.test/tickets/1/",
        },
    )
    delivery = queue_email(
        to="Ann <ann@customer.test>",
        subject="Printer on fire",
        text=text,
        html=html,
        event="ticket.commented",
        idempotency_key=f"t{ticket.pk}:reply:1",
        ticket=ticket,
        source="trigger:1",
    )
    assert delivery is not None and delivery.status == DeliveryStatus.PENDING
    run_pending_jobs()
    [(envelope, message)] = sent_for(smtp_server, delivery)

    assert envelope.rcpt_tos == ["ann@customer.test"]
    assert message["Subject"] == f"[#{ticket.pk}] Printer on fire"
    assert message_ids.ticket_id_from_message_id(message["Message-ID"]) == ticket.pk
    root = message_ids.thread_root_id(ticket.pk)
    assert message["In-Reply-To"] == root
    assert message["References"] == root
    assert message["Reply-To"] == "support@switchboard.test"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Switchboard-Ticket"] == str(ticket.pk)
    assert "support@switchboard.test" in message["From"]
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    rich = message.get_body(("html",)).get_content()
    assert "Tom wrote <b>hi</b>" in plain  # plain text is not HTML-escaped
    assert "Tom wrote &lt;b&gt;hi&lt;/b&gt;" in rich  # HTML is
    assert "https://sb.test/tickets/1/" in plain and "https://sb.test/tickets/1/" in rich

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.payload["message_id"] == message["Message-ID"]
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.ok and attempt.number == 1 and attempt.response_status == 250


def test_agent_reply_to_the_sent_notification_comes_back_as_the_agent(smtp_server, ticket, agent):
    """Round trip: the notification an agent receives carries a signed Reply-To; answering it
    (From the agent, To that address, In-Reply-To its Message-ID) is a public reply by the agent.
    The same answer sent to the plain support address is refused."""
    from email.message import EmailMessage

    from switchboard.notify.mail.intake import receive_email
    from switchboard.notify.models import InboundOutcome

    delivery = queue_email(
        to=agent.email,
        subject="New ticket",
        text="A new ticket.",
        event="ticket.created",
        idempotency_key=f"t{ticket.pk}:agent-notice",
        ticket=ticket,
        recipient_user=agent,
    )
    run_pending_jobs()
    [(_, notification)] = sent_for(smtp_server, delivery)
    reply_to = notification["Reply-To"]
    assert reply_to.startswith("support+r") and reply_to.endswith("@switchboard.test")
    assert reply_to == message_ids.reply_address(ticket.pk, agent.pk)

    def answer(to: str, message_id: str) -> bytes:
        reply = EmailMessage()
        reply["From"] = agent.email
        reply["To"] = to
        reply["Subject"] = "Re: " + notification["Subject"]
        reply["Message-ID"] = message_id
        reply["In-Reply-To"] = notification["Message-ID"]
        reply.set_content("On it.")
        return reply.as_bytes()

    unsigned = receive_email(answer("support@switchboard.test", "<a1@agent.test>"))
    assert unsigned.outcome == InboundOutcome.REFUSED
    signed = receive_email(answer(reply_to, "<a2@agent.test>"))
    assert signed.outcome == InboundOutcome.THREADED, signed.reason
    assert signed.comment.author == agent and signed.comment.public
    assert signed.ticket == ticket


def test_subject_token_is_not_added_twice(smtp_server, ticket):
    """A subject that already has [#id] (a reply's "Re: [#id] ...") keeps just the one."""
    subject = f"Re: [#{ticket.pk}] Printer on fire"
    delivery = queue_email(
        to="ann@customer.test",
        subject=subject,
        text="x",
        event="ticket.commented",
        idempotency_key="k-token",
        ticket=ticket,
    )
    run_pending_jobs()
    [(_, message)] = sent_for(smtp_server, delivery)
    assert message["Subject"] == subject


def test_email_without_ticket_has_no_thread_or_reply_to(smtp_server, db):
    """Without a ticket: a Message-ID of ours, Auto-Submitted, and no thread/Reply-To headers;
    text only is a single text/plain part."""
    delivery = queue_email(
        to="ops@example.com",
        subject="Daily digest",
        text="All quiet.",
        event="digest",
        idempotency_key="digest:2026-11-23",
    )
    run_pending_jobs()
    [(_, message)] = sent_for(smtp_server, delivery)
    assert message["Subject"] == "Daily digest"
    assert message_ids.is_our_message_id(message["Message-ID"])
    assert message["In-Reply-To"] is None and message["Reply-To"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"


def test_caller_headers_win(smtp_server, ticket):
    """An auto-reply answers the customer's own message: its In-Reply-To replaces the root."""
    delivery = queue_email(
        to="ann@customer.test",
        subject="Received",
        text="We got it.",
        event="intake.ack",
        idempotency_key="ack:1",
        ticket=ticket,
        headers={"In-Reply-To": "<abc@customer.test>", "X-Loop": "switchboard"},
    )
    run_pending_jobs()
    [(_, message)] = sent_for(smtp_server, delivery)
    assert message["In-Reply-To"] == "<abc@customer.test>"
    assert message["X-Loop"] == "switchboard"


def test_same_idempotency_key_is_queued_and_sent_once(smtp_server, db):
    """The second queue with a key that exists returns None and writes nothing."""
    kwargs = {
        "to": "a@example.com",
        "subject": "S",
        "text": "T",
        "event": "e",
        "idempotency_key": "once",
    }
    first = queue_email(**kwargs)
    jobs_before = DBTaskResult.objects.count()
    assert queue_email(**kwargs) is None
    assert queue_email(**{**kwargs, "to": "b@example.com"}) is None
    assert DBTaskResult.objects.count() == jobs_before
    run_pending_jobs()
    assert Delivery.objects.filter(idempotency_key="once").count() == 1
    assert len(sent_for(smtp_server, first)) == 1
    assert len(smtp_server.messages) == 1


def test_rolled_back_change_queues_and_sends_nothing(smtp_server, db):
    """A delivery written in a transaction that rolls back never existed: no row, job or mail."""
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(to="a@example.com", subject="S", text="T", event="e", idempotency_key="rb")
        raise RuntimeError("the change failed")
    assert not Delivery.objects.exists()
    assert run_pending_jobs() == 0
    assert smtp_server.messages == []


def test_refused_recipient_is_dead_at_once_with_the_reason(smtp_server, db):
    """A 550 to RCPT TO is permanent: dead after one attempt, reason kept."""
    smtp_server.refuse("gone@example.com", "550 5.1.1 No such user here")
    delivery = queue_email(
        to="gone@example.com", subject="S", text="T", event="e", idempotency_key="gone"
    )
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert "550" in delivery.dead_reason and "No such user" in delivery.dead_reason
    assert delivery.attempts == 1 and delivery.next_attempt_at is None
    assert smtp_server.messages == []


def test_temporary_refusal_is_retried(smtp_server, db):
    """A 451 is temporary: the delivery stays pending with a retry queued."""
    smtp_server.refuse("busy@example.com", "451 4.3.0 Try again later")
    delivery = queue_email(
        to="busy@example.com", subject="S", text="T", event="e", idempotency_key="busy"
    )
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "451" in delivery.last_error
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # the retry, run_after later


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("to", {"to": "not an address"}),
        ("to", {"to": ""}),
        ("subject", {"subject": "  "}),
        ("text", {"text": ""}),
        ("event", {"event": ""}),
        ("idempotency_key", {"idempotency_key": ""}),
        ("idempotency_key", {"idempotency_key": "k" * 201}),
        ("headers", {"headers": {"X-Bad": "a\r\nBcc: evil@example.com"}}),
        ("headers", {"headers": {"Bad Name": "x"}}),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(db, field, kwargs):
    """Bad input raises ValidationFailed naming the field; no delivery is written."""
    base = {
        "to": "a@example.com",
        "subject": "S",
        "text": "T",
        "event": "e",
        "idempotency_key": "k",
    }
    with pytest.raises(ValidationFailed) as caught:
        queue_email(**{**base, **kwargs})
    assert caught.value.field == field
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("event", {"event": ""}),
        ("idempotency_key", {"idempotency_key": "k" * 201}),
        ("payload", {"payload": {"when": object()}}),
    ],
)
def test_records_go_the_email_path_checks_and_all(db, field, kwargs):
    """A CRM record is queued by the same path as an email (one check, JSON as stored, one
    write with its job): the same refusals, nothing written."""
    base = {"system": "salesforce: Case", "event": "e", "payload": {}, "idempotency_key": "k"}
    with pytest.raises(ValidationFailed) as caught:
        queue_record(**{**base, **kwargs})
    assert caught.value.field == field
    assert not Delivery.objects.exists()


def test_email_and_records_are_sent_by_their_channel_sender(monkeypatch, db):
    """One dispatch for deliveries sent as stored: email is a registered sender like the CRM's."""
    from switchboard.notify.outbox import delivery as sending

    seen = []
    monkeypatch.setitem(
        sending._senders, "email", lambda d: seen.append(d.pk) or sending.Outcome(True)
    )
    mail = queue_email(to="a@example.com", subject="S", text="T", event="e", idempotency_key="m")
    assert sending.send(mail).ok and seen == [mail.pk]


def test_subject_newlines_cannot_inject_headers(smtp_server, db):
    """CR/LF in a subject are folded into spaces, not new headers."""
    delivery = queue_email(
        to="a@example.com",
        subject="Hi\r\nBcc: evil@example.com",
        text="T",
        event="e",
        idempotency_key="inject",
    )
    run_pending_jobs()
    [(envelope, message)] = sent_for(smtp_server, delivery)
    assert message["Subject"] == "Hi Bcc: evil@example.com"
    assert message["Bcc"] is None and envelope.rcpt_tos == ["a@example.com"]


def test_render_email_refuses_unknown_or_unsafe_template_names():
    """A missing template or a path outside notify/email is a clear ValidationFailed."""
    with pytest.raises(ValidationFailed, match="No email template"):
        render_email("does_not_exist", {})
    with pytest.raises(ValidationFailed, match="Invalid email template"):
        render_email("../../admin/base", {})


def test_worker_reuses_one_smtp_connection_and_survives_a_dropped_one(smtp_server, db):
    """Consecutive emails share the worker's SMTP connection; if the server cut it meanwhile,
    the next email goes out on a fresh one (no failed attempt)."""
    for i in range(3):
        queue_email(
            to=f"u{i}@example.com", subject="S", text="T", event="e", idempotency_key=f"c{i}"
        )
    run_pending_jobs()
    assert len(smtp_server.messages) == 3
    assert len({envelope.peer for envelope in smtp_server.envelopes}) == 1

    smtp_server.restart()
    delivery = queue_email(
        to="u9@example.com", subject="S", text="T", event="e", idempotency_key="after-restart"
    )
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert len(smtp_server.messages) == 4
