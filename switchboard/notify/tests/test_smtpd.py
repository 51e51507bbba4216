"""`manage.py smtpd` as a real child process, spoken to with smtplib over 127.0.0.1."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import UserFactory
from switchboard.notify.models import InboundEmail, InboundOutcome, InboundSource
from switchboard.notify.outbox import message_ids
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Channel, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "smtpd exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("smtpd did not start listening")


@pytest.fixture
def smtpd(spawn, tmp_path):
    port = free_port()
    proc = spawn(
        "smtpd",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env={
            "SWITCHBOARD_INBOUND_MAX_BYTES": "200000",
            "SWITCHBOARD_MAILING_LIST_ADDRESSES": "announce@switchboard.test",
            "MEDIA_ROOT": str(tmp_path / "media"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_listening(port, proc)
    proc.port = port
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def send(port: int, msg: EmailMessage, *, mail_from: str | None = None, to=None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(
            msg,
            from_addr=msg["From"] if mail_from is None else mail_from,
            to_addrs=to or [msg["To"]],
        )


def message(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.test>"
    msg["To"] = "support@switchboard.test"
    msg["Subject"] = "Printer on fire"
    for name, value in headers.items():
        del msg[name.replace("_", "-")]
        msg[name.replace("_", "-")] = value
    msg.set_content("Help, please.")
    return msg


def test_new_mail_and_reply_thread_over_smtp(smtpd):
    """A real SMTP conversation: new mail makes a ticket; a reply threads onto it."""
    send(smtpd.port, message(Message_ID="<first@client.test>"))
    first = InboundEmail.objects.get()
    assert first.outcome == InboundOutcome.CREATED
    assert first.source == InboundSource.SMTP
    ticket = first.ticket

    reply = message(
        Message_ID="<second@client.test>",
        In_Reply_To=message_ids.new_message_id(ticket.pk),
        Subject="Re: Printer on fire",
    )
    send(smtpd.port, reply)
    second = InboundEmail.objects.get(message_id="<second@client.test>")
    assert second.outcome == InboundOutcome.THREADED
    assert second.ticket_id == ticket.pk
    assert Ticket.objects.count() == 1


def test_reply_from_agent_threads_over_smtp(smtpd, child_env, settings):
    """An agent's reply to their signed reply address (a support+... subaddress) is accepted."""
    settings.SECRET_KEY = child_env["SECRET_KEY"]  # sign as the listener will verify
    requester = UserFactory(email="bob@example.test")
    agent = UserFactory(email="agent7@switchboard.test", role="agent")
    ticket = create_ticket(
        actor=SYSTEM, requester=requester, subject="Hi", description="x", channel=Channel.EMAIL
    )
    reply_to = message_ids.reply_address(ticket.pk, agent.pk)
    msg = message(From=agent.email, To=reply_to, References=message_ids.thread_root_id(ticket.pk))
    send(smtpd.port, msg)
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.THREADED
    assert inbound.comment.author_id == agent.pk


def test_unsigned_agent_reply_over_smtp_is_refused(smtpd):
    """Only the signed reply address proves an agent's reply; the bare support address does not."""
    requester = UserFactory(email="bob@example.test")
    agent = UserFactory(email="agent8@switchboard.test", role="agent")
    ticket = create_ticket(
        actor=requester, requester=requester, subject="Hi", description="x", channel=Channel.EMAIL
    )
    send(smtpd.port, message(From=agent.email, References=message_ids.thread_root_id(ticket.pk)))
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.REFUSED
    assert inbound.comment is None


def test_smtputf8_headers_arrive_intact(smtpd):
    """Raw UTF-8 headers sent with SMTPUTF8 decode as UTF-8, not as replacement characters."""
    raw = (
        "From: Jörg Müller <jorg@example.test>\r\nTo: support@switchboard.test\r\n"
        "Subject: Grüße aus Köln\r\nMessage-ID: <utf8@client.test>\r\n\r\nHallo\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        client.sendmail(
            "jorg@example.test", ["support@switchboard.test"], raw, mail_options=["SMTPUTF8"]
        )
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.CREATED
    assert inbound.subject == "Grüße aus Köln"
    assert inbound.ticket.subject == "Grüße aus Köln"
    assert inbound.ticket.requester.name == "Jörg Müller"


def test_auto_reply_over_smtp_creates_nothing(smtpd):
    send(smtpd.port, message(Auto_Submitted="auto-replied", Subject="Out of office"))
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.IGNORED
    assert not Ticket.objects.exists()


def test_bounce_with_null_sender_creates_nothing(smtpd):
    """MAIL FROM:<> is a bounce: the listener records the empty return path and ignores it."""
    send(smtpd.port, message(Subject="Delivery failure"), mail_from="")
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.IGNORED
    assert "return path" in inbound.reason
    assert not Ticket.objects.exists()


def test_unknown_recipient_is_refused_with_550(smtpd):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtpd.port, message(), to=["random@switchboard.test"])
    assert refused.value.recipients["random@switchboard.test"][0] == 550
    assert not InboundEmail.objects.exists()


def test_mailing_list_recipient_is_accepted_and_closed(smtpd):
    send(smtpd.port, message(To="announce@switchboard.test"))
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.MAILING_LIST
    assert inbound.ticket.status == "closed"


def test_oversized_message_gets_552(smtpd):
    msg = message()
    msg.set_content("x" * 300_000)
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big:
        send(smtpd.port, msg)
    assert too_big.value.smtp_code == 552
    assert not Ticket.objects.exists()


def test_sigterm_stops_cleanly(smtpd):
    send(smtpd.port, message())
    smtpd.send_signal(signal.SIGTERM)
    out, _err = smtpd.communicate(timeout=20)
    assert smtpd.returncode == 0
    assert b"smtpd stopped" in out


def test_display_name_trick_is_rejected_over_smtp_with_554(smtpd):
    """`From: agent@... <mallory@...>` (unquoted) is answered 554 and logged with the reason."""
    UserFactory(email="agent9@switchboard.test", role="agent")
    raw = (
        b"From: agent9@switchboard.test <mallory@evil.test>\r\nTo: support@switchboard.test\r\n"
        b"Subject: Refund\r\nMessage-ID: <trick@evil.test>\r\n\r\nRefund approved.\r\n"
    )
    with (
        pytest.raises(smtplib.SMTPDataError) as rejected,
        smtplib.SMTP("127.0.0.1", smtpd.port, timeout=30) as client,
    ):
        client.sendmail("mallory@evil.test", ["support@switchboard.test"], raw)
    assert rejected.value.smtp_code == 554
    assert b"malformed From header" in rejected.value.smtp_error
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.REJECTED
    assert not Ticket.objects.exists()
