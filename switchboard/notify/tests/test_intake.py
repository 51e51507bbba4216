"""Email intake: real MIME through `receive_email`: new tickets, threads, refusals, hostile mail."""

# ruff: noqa: E501  (the hostile-mail table keeps one row per line)

from __future__ import annotations

import itertools
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.utils import timezone

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import OrganizationDomainFactory
from switchboard.notify.mail.intake import receive_email
from switchboard.notify.models import Delivery, InboundEmail, InboundOutcome
from switchboard.notify.outbox import message_ids
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.lifecycle import close_if_still_solved
from switchboard.tickets.actions.update import add_tags, solve_ticket
from switchboard.tickets.models import Attachment, Channel, Comment, Ticket, TicketStatus

SAMPLES = Path(__file__).parent / "samples"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def mail(
    *,
    sender: str = "Ann Customer <ann@example.test>",
    to: str = "support@switchboard.test",
    subject: str = "Backups fail",
    body: str = "Our nightly backup fails since the upgrade.",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<m{next(_counter)}@client.example.test>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, content, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def open_ticket(requester, subject: str = "Backups fail") -> Ticket:
    return create_ticket(
        actor=SYSTEM,
        requester=requester,
        subject=subject,
        description="It broke.",
        channel=Channel.EMAIL,
    )


# --- new tickets ------------------------------------------------------------------------------


def test_new_mail_creates_ticket_with_new_requester(db):
    """Mail from an unknown address creates the end-user and an email ticket, tagged unverified."""
    inbound = receive_email(mail())
    assert inbound.outcome == InboundOutcome.CREATED
    ticket = inbound.ticket
    assert ticket.channel == Channel.EMAIL
    assert ticket.subject == "Backups fail"
    assert ticket.requester.email == "ann@example.test"
    assert ticket.requester.name == "Ann Customer"
    assert ticket.organization is None
    assert "entitlement_unverified" in ticket.tag_names()
    assert ticket.comments.first().body == "Our nightly backup fails since the upgrade."
    assert inbound.comment.metadata["email"]["message_id"] == inbound.message_id
    assert "entitlement unverified" in inbound.reason


def test_entitlement_by_domain(db):
    """A sender whose domain belongs to an organization is associated with it; no unverified tag."""
    domain = OrganizationDomainFactory(domain="acme.test")
    inbound = receive_email(mail(sender="Joe <joe@acme.test>"))
    ticket = inbound.ticket
    assert ticket.organization == domain.organization
    assert ticket.requester.organization == domain.organization
    assert "entitlement_unverified" not in ticket.tag_names()


def test_known_requester_is_matched_case_insensitively(user_factory):
    user = user_factory(email="zoe@example.test")
    inbound = receive_email(mail(sender="ZOE <Zoe@Example.TEST>"))
    assert inbound.ticket.requester == user
    assert inbound.user == user


def test_cc_of_known_users_become_collaborators(user_factory):
    colleague = user_factory(email="colleague@example.test")
    raw = mail(headers={"Cc": "colleague@example.test, stranger@example.test"})
    ticket = receive_email(raw).ticket
    assert list(ticket.ccs.all()) == [colleague]


def test_attachments_are_kept(db):
    """Attachments of a new mail are stored on the first comment."""
    raw = mail(
        attachments=[
            ("server.log", b"ERROR disk full\n", "text/plain"),
            ("screen.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"),
        ]
    )
    inbound = receive_email(raw)
    stored = Attachment.objects.filter(comment=inbound.comment).order_by("filename")
    assert [(a.filename, a.content_type) for a in stored] == [
        ("screen.png", "image/png"),
        ("server.log", "text/plain"),
    ]
    assert "2 attachment(s)" in inbound.reason


def test_mailing_list_mail_creates_closed_ticket(db, settings):
    settings.SWITCHBOARD_MAILING_LIST_ADDRESSES = ["announce@switchboard.test"]
    inbound = receive_email(mail(to="announce@switchboard.test"))
    assert inbound.outcome == InboundOutcome.MAILING_LIST
    assert inbound.ticket.status == TicketStatus.CLOSED
    assert inbound.ticket.channel == Channel.MAILING_LIST


def test_mailing_list_by_envelope_recipient(db, settings):
    """A Bcc to the list (only in the envelope) still counts."""
    settings.SWITCHBOARD_MAILING_LIST_ADDRESSES = ["announce@switchboard.test"]
    inbound = receive_email(mail(to="someone@else.test"), recipients=["announce@switchboard.test"])
    assert inbound.outcome == InboundOutcome.MAILING_LIST


# --- threading --------------------------------------------------------------------------------


@pytest.fixture
def ann(user_factory):
    return user_factory(email="ann@example.test", name="Ann")


def test_reply_threads_by_in_reply_to(ann):
    """A reply to our notification lands on its ticket, quoted history stripped."""
    ticket = open_ticket(ann)
    body = "It works now.\n\nOn Mon, Mar 10, 2025 at 10:00 AM Support wrote:\n> Try again"
    raw = mail(
        subject="Re: something else entirely",
        body=body,
        headers={"In-Reply-To": message_ids.new_message_id(ticket.pk)},
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.THREADED
    assert inbound.ticket == ticket
    assert inbound.comment.body == "It works now."
    assert inbound.comment.channel == Channel.EMAIL and inbound.comment.public
    assert Ticket.objects.count() == 1


def test_reply_threads_by_references_only(ann):
    ticket = open_ticket(ann)
    raw = mail(
        subject="no token",
        body="More info.",
        headers={"References": f"<x@elsewhere.test> {message_ids.thread_root_id(ticket.pk)}"},
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.THREADED
    assert inbound.ticket == ticket
    assert "References" in inbound.reason


def test_reply_threads_by_subject_token(ann):
    ticket = open_ticket(ann)
    inbound = receive_email(mail(subject=f"Re: [#{ticket.pk}] Backups fail", body="Still broken."))
    assert inbound.outcome == InboundOutcome.THREADED
    assert inbound.ticket == ticket
    assert "subject token" in inbound.reason


def test_subject_token_of_a_ticket_the_sender_cannot_see_opens_a_new_ticket(ann, user_factory):
    """The token is only a hint: someone else's ticket number never threads (nor refuses)."""
    other = open_ticket(user_factory())
    inbound = receive_email(mail(subject=f"[#{other.pk}] guess", body="hello"))
    assert inbound.outcome == InboundOutcome.CREATED
    assert inbound.ticket != other
    assert other.comments.count() == 1


def test_reply_threads_by_customer_earlier_message_id(ann, user_factory):
    """A colleague's reply-all to the customer's own first mail joins the same ticket."""
    first = receive_email(mail(message_id="<first@client.example.test>"))
    reply = receive_email(
        mail(
            subject="Re: Backups fail",
            body="Same here.",
            headers={"In-Reply-To": "<first@client.example.test>"},
        )
    )
    assert reply.outcome == InboundOutcome.THREADED
    assert reply.ticket == first.ticket


def test_requester_reply_reopens_solved_ticket(ann, agent):
    ticket = open_ticket(ann)
    solve_ticket(ticket=ticket, actor=agent, comment="Fixed.")
    receive_email(mail(subject=f"Re: [#{ticket.pk}]", body="No, it is not."))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_reply_to_closed_ticket_creates_follow_up(ann, agent):
    ticket = open_ticket(ann)
    add_tags(ticket=ticket, actor=agent, tags=["backup"])
    solve_ticket(ticket=ticket, actor=agent, comment="Fixed.")
    later = timezone.now() + timedelta(days=5)
    assert close_if_still_solved(ticket_id=ticket.pk, now=later)
    raw = mail(body="It is back.", headers={"In-Reply-To": message_ids.thread_root_id(ticket.pk)})
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.FOLLOW_UP
    follow_up = inbound.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_source_id == ticket.pk
    assert "backup" in follow_up.tag_names()
    assert inbound.comment.body == "It is back."


def test_agent_reply_by_email_is_a_public_reply(ann, agent):
    """An agent's reply sent to the signed reply address of their notification is public.
    (It used to be enough to write from the agent's address: see the impersonation tests.)"""
    ticket = open_ticket(ann)
    raw = mail(
        sender=agent.email,
        to=message_ids.reply_address(ticket.pk, agent.pk),
        body="We are on it.",
        headers={"In-Reply-To": message_ids.new_message_id(ticket.pk)},
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.THREADED, inbound.reason
    assert "signed reply address" in inbound.reason
    assert inbound.comment.author == agent
    assert inbound.comment.public
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.first_agent_reply_at is not None


def test_signed_reply_address_works_as_envelope_recipient_only(ann, agent):
    """The MTA may pass the plus-address only as the envelope recipient (Postfix ${recipient})."""
    ticket = open_ticket(ann)
    raw = mail(sender=agent.email, body="Fixed.", subject="Re: something")
    inbound = receive_email(raw, recipients=[message_ids.reply_address(ticket.pk, agent.pk)])
    assert inbound.outcome == InboundOutcome.THREADED, inbound.reason
    assert inbound.ticket == ticket and inbound.comment.author == agent


# --- impersonation ----------------------------------------------------------------------------


def test_display_name_trick_cannot_post_as_an_agent(ann, agent):
    """`From: agent@... <mallory@evil.test>` (unquoted) is rejected and logged, nothing posted."""
    ticket = open_ticket(ann)
    comments_before = Comment.objects.count()
    raw = mail(
        sender=f"{agent.email} <mallory@evil.test>",
        body="Please send your password to mallory@evil.test.",
        headers={"In-Reply-To": message_ids.new_message_id(ticket.pk)},
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.REJECTED
    assert inbound.reason.startswith("malformed From header")
    assert inbound.from_address == ""
    assert Comment.objects.count() == comments_before
    assert not Delivery.objects.filter(event="intake.refused").exists()


@pytest.mark.parametrize(
    "threading",
    ["In-Reply-To", "References", "subject token"],
)
def test_unsigned_mail_from_an_agent_address_is_refused(ann, agent, threading):
    """A reply from an agent's address without the signed reply address adds nothing; the
    agent's address gets a note saying how to reply (and that someone may be forging it)."""
    ticket = open_ticket(ann)
    comments_before = Comment.objects.count()
    headers = {}
    subject = "Re: Backups fail"
    if threading == "subject token":
        subject = f"Re: [#{ticket.pk}] Backups fail"
    else:
        headers[threading] = message_ids.new_message_id(ticket.pk)
    raw = mail(sender=agent.email, subject=subject, body="Refund approved!", headers=headers)
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.REFUSED
    assert inbound.reason.startswith("unverified sender")
    assert Comment.objects.count() == comments_before
    refusal = Delivery.objects.get(event="intake.refused")
    assert refusal.recipient == agent.email
    assert "reply address" in refusal.payload["text"]
    assert "Refund" not in refusal.payload["text"]


def test_tampered_or_borrowed_reply_address_is_refused(ann, agent, user_factory):
    """A reply address with a wrong MAC, or signed for another agent, verifies nothing."""
    other = user_factory(email="other-agent@switchboard.test", role="agent")
    ticket = open_ticket(ann)
    good = message_ids.reply_address(ticket.pk, agent.pk)
    local, domain = good.split("@")
    tampered = local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain
    first = receive_email(mail(sender=agent.email, to=tampered, body="one"))
    assert first.outcome == InboundOutcome.REFUSED
    assert "does not verify" in first.reason
    # Another agent's mail sent to the address signed for `agent`.
    second = receive_email(mail(sender=other.email, to=good, body="two"))
    assert second.outcome == InboundOutcome.REFUSED
    assert "another user" in second.reason
    # A reply address for another ticket id with this MAC.
    forged = good.replace(f"+r{ticket.pk}-", f"+r{ticket.pk + 1}-")
    third = receive_email(mail(sender=agent.email, to=forged, body="three"))
    assert third.outcome == InboundOutcome.REFUSED
    assert not Comment.objects.filter(body__in=["one", "two", "three"]).exists()


def test_new_mail_from_an_agent_address_still_opens_a_ticket(agent):
    """Mail that answers no ticket is a new request, whoever sends it."""
    inbound = receive_email(mail(sender=agent.email, subject="Internal: printer"))
    assert inbound.outcome == InboundOutcome.CREATED
    assert inbound.ticket.requester == agent


def test_thread_ids_carry_an_unguessable_tag(ann, settings):
    """The ticket number alone does not make one of our Message-IDs: the tag is an HMAC."""
    ticket = open_ticket(ann)
    root = message_ids.thread_root_id(ticket.pk)
    assert message_ids.thread_reference(root) == message_ids.ThreadReference(ticket.pk, True)
    reply_id = message_ids.new_message_id(ticket.pk)
    assert message_ids.thread_reference(reply_id).verified
    guessed = f"<sb.{ticket.pk}.{'0' * message_ids.THREAD_TAG_CHARS}@switchboard.test>"
    assert not message_ids.thread_reference(guessed).verified
    assert not message_ids.thread_reference(f"<sb.{ticket.pk}@switchboard.test>").verified
    assert message_ids.thread_root_id(ticket.pk + 1).split(".")[2] != root.split(".")[2]
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert message_ids.thread_root_id(ticket.pk) != root


def test_untagged_thread_id_counts_only_for_someone_who_may_see_the_ticket(ann, user_factory):
    """Older (untagged) ids keep threading for the ticket's own people; for anyone else they
    are ignored like a guessed subject token: a new ticket, no refusal, nothing revealed."""
    ticket = open_ticket(ann)
    legacy = f"<sb.{ticket.pk}.0123456789abcdef@switchboard.test>"
    own = receive_email(mail(body="Still broken.", headers={"In-Reply-To": legacy}))
    assert own.outcome == InboundOutcome.THREADED and own.ticket == ticket
    assert "untagged" in own.reason
    user_factory(email="stranger@else.test")
    stranger = receive_email(
        mail(
            sender="stranger@else.test",
            headers={"References": f"<sb.{ticket.pk}@switchboard.test>"},
        )
    )
    assert stranger.outcome == InboundOutcome.CREATED
    assert stranger.ticket != ticket


def test_reply_attachments_are_kept(ann):
    ticket = open_ticket(ann)
    raw = mail(
        body="",
        subject=f"[#{ticket.pk}]",
        attachments=[("trace.txt", b"Traceback ...\n", "text/plain")],
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.THREADED
    assert inbound.comment.body == "(Attachments only.)"
    assert inbound.comment.attachments.get().filename == "trace.txt"


# --- refusals ---------------------------------------------------------------------------------


def test_reply_from_someone_not_allowed_is_refused_politely(ann, user_factory):
    """Nothing is added; one refusal is queued, and it does not reveal the ticket."""
    ticket = open_ticket(ann, subject="Secret project Falcon")
    add_comment(ticket=ticket, author=ann, body="confidential details")
    user_factory(email="mallory@example.test")
    raw = mail(
        sender="mallory@example.test",
        subject="Re: hello",
        body="let me in",
        headers={"In-Reply-To": message_ids.new_message_id(ticket.pk)},
    )
    comments_before = Comment.objects.count()
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.REFUSED
    assert Comment.objects.count() == comments_before
    refusals = Delivery.objects.filter(event="intake.refused")
    assert refusals.count() == 1
    refusal = refusals.get()
    assert refusal.recipient == "mallory@example.test"
    text = refusal.payload["text"] + refusal.payload.get("html", "")
    assert "Falcon" not in text and "confidential" not in text
    assert f"#{ticket.pk}" not in refusal.payload["subject"]
    # The same message delivered again: still one refusal.
    receive_email(raw)
    assert refusals.count() == 1


def test_refusals_to_one_address_are_capped_per_day(ann):
    """Forged From addresses must not turn the intake into a mail cannon (backscatter)."""
    ticket = open_ticket(ann)
    for _ in range(5):
        raw = mail(
            sender="victim@else.test",
            headers={"In-Reply-To": message_ids.new_message_id(ticket.pk)},
        )
        assert receive_email(raw).outcome == InboundOutcome.REFUSED
    assert Delivery.objects.filter(event="intake.refused").count() == 3


def test_unknown_sender_replying_to_a_thread_is_refused(ann):
    ticket = open_ticket(ann)
    raw = mail(
        sender="new@else.test", headers={"References": message_ids.thread_root_id(ticket.pk)}
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.REFUSED
    assert not Ticket.objects.exclude(pk=ticket.pk).exists()


def test_no_refusal_for_an_auto_reply(ann, user_factory):
    ticket = open_ticket(ann)
    user_factory(email="mallory@example.test")
    raw = mail(
        sender="mallory@example.test",
        headers={
            "In-Reply-To": message_ids.new_message_id(ticket.pk),
            "Auto-Submitted": "auto-replied",
        },
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.IGNORED
    assert not Delivery.objects.filter(event="intake.refused").exists()


def test_auto_reply_to_a_ticket_adds_nothing(ann):
    ticket = open_ticket(ann)
    raw = mail(
        subject=f"Out of office: [#{ticket.pk}]",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert receive_email(raw).outcome == InboundOutcome.IGNORED
    assert ticket.comments.count() == 1


# --- duplicates -------------------------------------------------------------------------------


def test_same_message_delivered_twice_creates_one_ticket(db):
    raw = mail(message_id="<twice@client.example.test>")
    first = receive_email(raw)
    second = receive_email(raw)
    assert first.outcome == InboundOutcome.CREATED
    assert second.outcome == InboundOutcome.IGNORED
    assert second.is_duplicate
    assert f"#{first.pk}" in second.reason
    assert Ticket.objects.count() == 1


# --- hostile and malformed mail ---------------------------------------------------------------


def _nested(depth: int) -> bytes:
    head = b"From: a@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    parts = [head]
    for i in range(depth):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    parts.append(b"Content-Type: text/plain\r\n\r\ndeep text\r\n")
    for i in reversed(range(depth)):
        parts.append(b"--b%d--\r\n" % i)
    return b"".join(parts)


def _raw(headers: str, body: bytes = b"Hello, please help.") -> bytes:
    return headers.replace("\n", "\r\n").encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


BASE = "From: Sam <sam@example.test>\nTo: support@switchboard.test\nSubject: Help"
HOSTILE = [
    ("bad MIME boundary", _raw(BASE + '\nContent-Type: multipart/mixed; boundary="nope"', b"--other\r\n\r\ntext\r\n"), InboundOutcome.CREATED, 1),
    ("boundary never closed", _raw(BASE + '\nContent-Type: multipart/mixed; boundary="b"', b"--b\r\nContent-Type: text/plain\r\n\r\nunterminated"), InboundOutcome.CREATED, 1),
    ("undecodable charset", _raw(BASE + "\nContent-Type: text/plain; charset=x-klingon-9", b"qapla\xff"), InboundOutcome.CREATED, 1),
    ("wrong charset bytes", _raw(BASE + "\nContent-Type: text/plain; charset=utf-8", b"\xc3\x28 \xa0\xa1 bytes"), InboundOutcome.CREATED, 1),
    ("10 MB body", _raw(BASE, b"0123456789abcde\n" * (10 * 1024 * 1024 // 16)), InboundOutcome.CREATED, 1),
    ("5,000 headers", _raw(BASE + "".join(f"\nX-Spam-{i}: v" for i in range(5000))), InboundOutcome.REJECTED, 0),
    ("1 MB header", _raw(BASE + "\nX-Big: " + "a" * (1024 * 1024)), InboundOutcome.REJECTED, 0),
    ("no From", _raw("To: support@switchboard.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From with only a display name", _raw("From: The Boss\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From without a domain", _raw("From: root@localhost\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("forged Auto-Submitted: no is a normal mail", _raw(BASE + "\nAuto-Submitted: no"), InboundOutcome.CREATED, 1),
    ("Auto-Submitted: auto-replied", _raw(BASE + "\nAuto-Submitted: auto-replied"), InboundOutcome.IGNORED, 0),
    ("Precedence: bulk", _raw(BASE + "\nPrecedence: bulk"), InboundOutcome.IGNORED, 0),
    ("Precedence: junk", _raw(BASE + "\nPrecedence: junk"), InboundOutcome.IGNORED, 0),
    ("Precedence: list", _raw(BASE + "\nPrecedence: list"), InboundOutcome.IGNORED, 0),
    ("empty Return-Path", _raw("Return-Path: <>\n" + BASE), InboundOutcome.IGNORED, 0),
    ("X-Autoreply", _raw(BASE + "\nX-Autoreply: yes"), InboundOutcome.IGNORED, 0),
    (
        "MAILER-DAEMON bounce",
        _raw(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\nTo: support@switchboard.test\n"
            'Subject: Undelivered Mail\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"',
            b"--r\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--r\r\n"
            b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n",
        ),
        InboundOutcome.IGNORED,
        0,
    ),
    ("our own Message-ID (loop)", _raw(BASE + "\nMessage-ID: <sb.77.0123456789abcdef@switchboard.test>"), InboundOutcome.IGNORED, 0),
    ("from our own support address (loop)", _raw("From: support@switchboard.test\nSubject: Help"), InboundOutcome.IGNORED, 0),
    ("HTML with <script>", _raw(BASE + "\nContent-Type: text/html", b"<p>Hi</p><script>alert(document.cookie)</script><img src=x onerror=alert(1)>"), InboundOutcome.CREATED, 1),
    ("HTML that is only a script", _raw(BASE + "\nContent-Type: text/html", b"<script>alert(1)</script>"), InboundOutcome.CREATED, 1),
    ("null bytes", _raw(BASE.replace("Help", "He\x00lp"), b"bo\x00dy\x00"), InboundOutcome.CREATED, 1),
    ("nested multipart 100 deep", _nested(100), InboundOutcome.REJECTED, 0),
    ("RFC 2047 garbage in subject", _raw("From: sam@example.test\nSubject: =?utf-8?B?!!!?= =?bogus?Q?=FF=FE?= =?utf-8?"), InboundOutcome.CREATED, 1),
    ("10,000-character subject, folded", _raw("From: sam@example.test\nSubject: " + "\n ".join(["S" * 900] * 11)), InboundOutcome.CREATED, 1),
    # RFC 5322 caps a line at 998 bytes and the SMTP listener refuses longer lines: so does the pipe.
    ("10,000-character subject on one line", _raw("From: sam@example.test\nSubject: " + "S" * 10_000), InboundOutcome.REJECTED, 0),
    # Sender headers are read strictly: one From, one mailbox, the addr-spec is the address.
    ("display name that is an unquoted agent address", _raw("From: agent@switchboard.test <mallory@evil.test>\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("mailbox followed by a bare agent address", _raw("From: Mallory <mallory@evil.test> agent@switchboard.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From with two addresses", _raw("From: mallory@evil.test, agent@switchboard.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("two From headers", _raw("From: mallory@evil.test\nFrom: agent@switchboard.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From is an empty group", _raw("From: undisclosed-recipients:;\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From is a group", _raw("From: Staff: agent@switchboard.test;\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From with an empty address <>", _raw("From: Agent <>\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("only a Sender header", _raw("Sender: sam@example.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("80 KB From line", _raw("From: " + "a " * 40_000 + "<sam@example.test>\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("80 KB From, folded", _raw("From: " + "\n ".join(["a " * 400] * 100) + "<sam@example.test>\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("From with comments nested 500 deep", _raw("From: " + "(" * 500 + "sam@example.test\nSubject: Help"), InboundOutcome.REJECTED, 0),
    ("quoted address as display name is only a name", _raw('From: "agent@switchboard.test" <mallory@evil.test>\nSubject: Help'), InboundOutcome.CREATED, 1),
    ("raw UTF-8 headers (SMTPUTF8)", _raw("From: Jörg Müller <jorg@example.test>\nSubject: Grüße aus Köln"), InboundOutcome.CREATED, 1),
    ("8-bit header bytes", b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.test>\r\nSubject: caf\xc3\xa9 \xff\r\n\r\nhi", InboundOutcome.CREATED, 1),
    ("empty input", b"", InboundOutcome.REJECTED, 0),
    ("binary garbage", bytes(range(256)) * 64, InboundOutcome.REJECTED, 0),
    ("headers only, no body", b"From: sam@example.test\r\nSubject: nothing", InboundOutcome.CREATED, 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "outcome", "delta"), [row[1:] for row in HOSTILE], ids=[row[0] for row in HOSTILE]
)
def test_hostile_and_malformed_mail(db, raw, outcome, delta):
    """No malformed or hostile message crashes the intake or creates a ticket it shouldn't."""
    before = Ticket.objects.count()
    inbound = receive_email(raw)
    assert inbound.outcome == outcome, inbound.reason
    assert Ticket.objects.count() - before == delta
    assert InboundEmail.objects.filter(pk=inbound.pk).exists()
    if outcome == InboundOutcome.REJECTED:
        assert inbound.reason, "a rejection records why"
    if delta:
        ticket = inbound.ticket
        assert len(ticket.subject) <= 255
        for comment in ticket.comments.all():
            assert "\x00" not in comment.body
            assert "<script" not in comment.body and "alert(" not in comment.body


def test_hostile_table_has_at_least_twenty_rows():
    assert len(HOSTILE) >= 20


def test_ten_megabyte_body_is_truncated_and_original_kept(db):
    raw = _raw(BASE, b"0123456789abcde\n" * (10 * 1024 * 1024 // 16))
    inbound = receive_email(raw)
    comment = inbound.comment
    assert len(comment.body) == 200_000
    original = comment.attachments.get(filename="original-message.eml")
    assert original.size == len(raw)


def test_oversized_message_is_rejected(db, settings):
    settings.SWITCHBOARD_INBOUND_MAX_BYTES = 10_000
    inbound = receive_email(_raw(BASE, b"x" * 20_000))
    assert inbound.outcome == InboundOutcome.REJECTED
    assert "larger than" in inbound.reason
    assert not Ticket.objects.exists()


def test_mail_to_an_oncall_service_address_opens_an_incident_not_a_ticket(db):
    from switchboard.oncall.models import EscalationPolicy, Incident, Service

    policy = EscalationPolicy.objects.create(name="Ops", num_loops=1)
    service = Service.objects.create(
        name="Alerts", email_address="alerts@switchboard.test", escalation_policy=policy
    )
    raw = mail(
        sender="monitor@example.test",
        to="alerts@switchboard.test",
        subject="CPU high",
        headers={"Auto-Submitted": "auto-generated"},
    )
    inbound = receive_email(raw)
    assert inbound.outcome == InboundOutcome.INCIDENT
    assert Incident.objects.filter(service=service).count() == 1
    assert not Ticket.objects.exists()


def test_rcpt_to_a_misconfigured_service_opens_nothing(db):
    """A service address whose service cannot page is logged as rejected; no ticket either."""
    from switchboard.oncall.models import Service

    Service.objects.create(name="Broken", email_address="broken@switchboard.test")
    inbound = receive_email(mail(to="broken@switchboard.test"))
    assert inbound.outcome == InboundOutcome.REJECTED
    assert "no escalation policy" in inbound.reason
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_message_create_one_ticket():
    """Two listeners receiving the same message at once: one ticket, one duplicate."""
    import threading

    from django.db import connection

    raw = mail(message_id="<race@client.example.test>")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(receive_email(raw).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [InboundOutcome.CREATED, InboundOutcome.IGNORED]
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.filter(is_duplicate=True).count() == 1
