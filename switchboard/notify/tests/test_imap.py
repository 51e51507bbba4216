"""IMAP polling against a real (minimal) IMAP4rev1 server on 127.0.0.1, spoken to by imaplib."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from unittest import mock

import pytest
from django.db import DatabaseError
from django.utils import timezone

from switchboard.notify.mail import imap as imap_module
from switchboard.notify.mail import tasks as intake_tasks
from switchboard.notify.mail.imap import parse_imap_url, poll_once
from switchboard.notify.models import ImapCursor, InboundEmail, InboundOutcome, InboundSource
from switchboard.notify.tests.imap_server import ImapServer
from switchboard.tickets.models import Ticket


def message(n: int, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n} <c{n}@example.test>"
    msg["To"] = "support@switchboard.test"
    msg["Subject"] = f"Request {n}"
    msg["Message-ID"] = f"<imap-{n}@example.test>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(f"Body {n}")
    return msg.as_bytes()


@pytest.fixture
def imap():
    with ImapServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_parse_imap_url():
    config = parse_imap_url("imaps://me%40corp.test:s%3Acret@mail.corp.test/Support%20Inbox")
    assert (config.user, config.password, config.host, config.port) == (
        "me@corp.test",
        "s:cret",
        "mail.corp.test",
        993,
    )
    assert config.mailbox == "Support Inbox" and config.use_ssl
    plain = parse_imap_url("imap://u:p@127.0.0.1:1143/INBOX?starttls=1")
    assert (plain.port, plain.use_ssl, plain.starttls) == (1143, False, True)


def test_poll_fetches_unseen_and_marks_them_seen(db, imap):
    """New mail becomes tickets, an auto-reply nothing; all are \\Seen afterwards."""
    imap.add(message(1))
    imap.add(message(2, Auto_Submitted="auto-replied"))
    imap.add(message(3), seen=True)  # read by a person already: not ours to take
    result = poll_once(imap.url)
    assert result.error == ""
    assert result.fetched == 2
    assert result.outcomes == {InboundOutcome.CREATED: 1, InboundOutcome.IGNORED: 1}
    assert imap.unseen() == []
    assert Ticket.objects.count() == 1
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {InboundSource.IMAP}
    # FETCH used PEEK (no implicit \Seen); STORE came after each fetch.
    fetches = [c for c in imap.state.commands if c.startswith("UID FETCH")]
    assert all("BODY.PEEK[]" in c for c in fetches)
    cursor = ImapCursor.objects.get(name="default")
    assert cursor.uidvalidity == 1 and cursor.last_uid == 2
    assert cursor.lease_owner == "" and cursor.messages_received == 2
    # Nothing new: the next poll fetches nothing.
    assert poll_once(imap.url).fetched == 0


def test_raw_utf8_headers_arrive_intact_over_imap(db, imap):
    """8-bit UTF-8 headers fetched over IMAP decode as UTF-8."""
    imap.add(
        "From: Jörg Müller <jorg@example.test>\r\nTo: support@switchboard.test\r\n"
        "Subject: Grüße aus Köln\r\nMessage-ID: <imap-utf8@example.test>\r\n\r\nHallo\r\n".encode()
    )
    result = poll_once(imap.url)
    assert result.outcomes == {InboundOutcome.CREATED: 1}
    ticket = Ticket.objects.get()
    assert ticket.subject == "Grüße aus Köln"
    assert ticket.requester.name == "Jörg Müller"


def test_message_is_marked_seen_only_after_intake_committed(db, imap):
    """A database failure leaves the message unseen; the next poll takes it."""
    imap.add(message(1))
    imap.add(message(2))
    real = imap_module.receive_email
    calls = {"n": 0}

    def flaky(raw, *, source):
        calls["n"] += 1
        if calls["n"] == 2:
            raise DatabaseError("database is locked")
        return real(raw, source=source)

    with mock.patch.object(imap_module, "receive_email", flaky):
        result = poll_once(imap.url)
    assert result.fetched == 1
    assert "database error" in result.error
    assert imap.unseen() == [2]
    assert poll_once(imap.url).fetched == 1
    assert imap.unseen() == []
    assert Ticket.objects.count() == 2


def test_refetched_message_is_a_duplicate_not_a_second_ticket(db, imap):
    """If \\Seen was lost (crash after commit), the Message-ID check keeps it to one ticket."""
    uid = imap.add(message(1))
    poll_once(imap.url)
    imap.state.messages[0].flags.clear()
    result = poll_once(imap.url)
    assert result.outcomes == {InboundOutcome.IGNORED: 1}
    assert Ticket.objects.count() == 1
    assert imap.unseen() == []
    assert uid == 1


def test_uidvalidity_change_resets_the_cursor(db, imap):
    imap.add(message(1))
    poll_once(imap.url)
    assert ImapCursor.objects.get().last_uid == 1
    imap.rebuild(uidvalidity=7)
    imap.add(message(2))
    poll_once(imap.url)
    cursor = ImapCursor.objects.get()
    assert cursor.uidvalidity == 7
    assert cursor.last_uid == 2


def test_a_held_lease_makes_other_pollers_skip(db, imap):
    """Several workers: only the lease holder polls."""
    imap.add(message(1))
    ImapCursor.objects.update_or_create(
        name="default",
        defaults={
            "lease_owner": "other-worker",
            "lease_until": timezone.now() + timedelta(minutes=1),
        },
    )
    result = poll_once(imap.url)
    assert result.skipped
    assert imap.unseen() == [1]
    # An expired lease is taken over.
    ImapCursor.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert poll_once(imap.url).fetched == 1


def test_bad_credentials_are_reported_not_raised(db, imap):
    imap.add(message(1))
    result = poll_once(imap.url.replace("support:", "intruder:"))
    assert "invalid credentials" in result.error
    assert imap.unseen() == [1]
    assert ImapCursor.objects.get().last_error == result.error


@pytest.mark.django_db(transaction=True)
def test_sweep_schedules_a_poll_job(imap, settings):
    """The worker's sweep moves the due time and enqueues one poll; the job fetches the mail."""
    from switchboard.core.worker import run_pending_jobs

    settings.SWITCHBOARD_IMAP_URL = imap.url
    settings.SWITCHBOARD_IMAP_POLL_SECONDS = 30
    imap.add(message(1))
    cursor, _ = ImapCursor.objects.get_or_create(name="default")
    now = timezone.now()
    intake_tasks.schedule_poll(cursor, now)
    cursor.refresh_from_db()
    assert cursor.next_poll_at == now + timedelta(seconds=30)
    run_pending_jobs()  # the poll, and whatever the new ticket queued (e.g. notifications)
    assert imap.unseen() == []
    assert Ticket.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_poll_imap_command_once(imap, spawn):
    """`manage.py poll_imap --once` as a real process."""
    import subprocess

    imap.add(message(1))
    proc = spawn(
        "poll_imap",
        "--once",
        env={"SWITCHBOARD_IMAP_URL": imap.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b"fetched 1 message(s) created=1" in out
    assert Ticket.objects.count() == 1
    assert imap.unseen() == []


def test_connect_registers_the_poll_sweep_only_when_configured(settings):
    from switchboard.core import sweeps

    settings.SWITCHBOARD_IMAP_URL = ""
    sweeps._SWEEPS.pop("notify.imap_poll", None)
    intake_tasks.connect()
    assert "notify.imap_poll" not in {s.name for s in sweeps.registered_sweeps()}
    settings.SWITCHBOARD_IMAP_URL = "imaps://u:p@mail.example.test/INBOX"
    try:
        intake_tasks.connect()
        sweep = next(s for s in sweeps.registered_sweeps() if s.name == "notify.imap_poll")
        assert sweep.model is ImapCursor and sweep.due_field == "next_poll_at"
    finally:
        sweeps._SWEEPS.pop("notify.imap_poll", None)
