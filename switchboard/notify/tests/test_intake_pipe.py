"""`manage.py ingest_email` as a real child process reading the message on stdin (an MTA pipe)."""

from __future__ import annotations

import subprocess
from email.message import EmailMessage

import pytest

from switchboard.notify.models import InboundEmail, InboundOutcome, InboundSource
from switchboard.tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def raw_mail(**headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.test>"
    msg["To"] = "support@switchboard.test"
    msg["Subject"] = "Disk full"
    for name, value in headers.items():
        del msg[name.replace("_", "-")]
        msg[name.replace("_", "-")] = value
    msg.set_content("The disk is full.")
    return msg.as_bytes()


def ingest(spawn, raw: bytes, *args: str, env: dict[str, str] | None = None):
    proc = spawn(
        "ingest_email",
        *args,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(raw, timeout=60)
    return proc.returncode, out.decode(), err.decode()


def test_pipe_creates_a_ticket(spawn):
    code, out, err = ingest(spawn, raw_mail())
    assert code == 0, err
    ticket = Ticket.objects.get()
    assert out.startswith(f"created ticket #{ticket.pk}")
    assert InboundEmail.objects.get().source == InboundSource.PIPE


def test_pipe_ignores_auto_reply_with_exit_0(spawn):
    code, out, _ = ingest(spawn, raw_mail(Precedence="bulk"))
    assert code == 0
    assert out.startswith("ignored")
    assert not Ticket.objects.exists()


def test_pipe_envelope_recipient_option(spawn):
    """Postfix passes ${recipient}: a Bcc to the mailing list is closed on arrival."""
    code, out, _ = ingest(
        spawn,
        raw_mail(To="someone@else.test"),
        "--recipient",
        "announce@switchboard.test",
        env={"SWITCHBOARD_MAILING_LIST_ADDRESSES": "announce@switchboard.test"},
    )
    assert code == 0
    assert out.startswith("mailing_list")


def test_pipe_unreadable_exits_65(spawn):
    code, _, err = ingest(spawn, b"")
    assert code == 65
    assert "no message" in err
    code, out, _ = ingest(spawn, b"Subject: no sender\r\n\r\nbody")
    assert code == 65
    assert out.startswith("rejected")
    assert InboundEmail.objects.get().outcome == InboundOutcome.REJECTED


def test_pipe_database_error_exits_75(spawn, tmp_path):
    """No database: EX_TEMPFAIL, so the MTA keeps the message and retries."""
    missing = tmp_path / "no-such-dir" / "db.sqlite3"
    code, _, err = ingest(spawn, raw_mail(), env={"DATABASE_URL": f"sqlite:///{missing}"})
    assert code == 75
    assert "try again later" in err


def test_pipe_too_large_is_rejected_and_drained(spawn):
    code, out, _ = ingest(
        spawn,
        raw_mail() + b"x" * 300_000,
        env={"SWITCHBOARD_INBOUND_MAX_BYTES": "100000"},
    )
    assert code == 65
    assert "larger than" in out


def test_pipe_keeps_raw_utf8_headers(spawn):
    """An 8-bit UTF-8 Subject and From name arrive intact through the pipe."""
    raw = (
        "From: Jörg Müller <jorg@example.test>\r\nTo: support@switchboard.test\r\n"
        "Subject: Grüße aus Köln\r\n\r\nHallo\r\n"
    ).encode()
    code, _out, err = ingest(spawn, raw)
    assert code == 0, err
    ticket = Ticket.objects.get()
    assert ticket.subject == "Grüße aus Köln"
    assert ticket.requester.name == "Jörg Müller"


def test_pipe_caps_header_lines_as_smtpd_does(spawn):
    """A header line over 998 bytes (an 80 KB From) is refused with exit 65, and logged."""
    raw = b"From: " + b"a " * 40_000 + b"<ann@example.test>\r\nSubject: x\r\n\r\nhi\r\n"
    code, out, _ = ingest(spawn, raw)
    assert code == 65
    assert out.startswith("rejected")
    inbound = InboundEmail.objects.get()
    assert inbound.outcome == InboundOutcome.REJECTED
    assert inbound.reason == "a header line longer than 998 bytes"
    assert not Ticket.objects.exists()
