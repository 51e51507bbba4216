"""Email in: one function, `receive_email`, fed by the MTA pipe, the SMTP listener and IMAP.

It parses the message (`mailparse`, pure), decides what it is — duplicate, loop, on-call alert,
auto-reply, mailing-list post, reply to a ticket, or a new request — and acts through the ticket
and account actions (the one write path). Every message is recorded as an `InboundEmail` with
its outcome and reason, in the same transaction as what it caused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import Role, User
from switchboard.core.errors import SwitchboardError
from switchboard.notify.mail import mailparse
from switchboard.notify.mail.models import InboundEmail, InboundOutcome, InboundSource
from switchboard.notify.outbox import message_ids
from switchboard.tickets.actions.comments import post_comment
from switchboard.tickets.actions.create import follow_up, mailing_list_addresses, open_ticket
from switchboard.tickets.actions.uploads import NewFile, Posted
from switchboard.tickets.models import Channel, Comment, Ticket

logger = logging.getLogger(__name__)

REFUSAL_TEMPLATE = "intake/refusal"
UNVERIFIED_AGENT_TEMPLATE = "intake/unverified_agent"
MAX_REFUSALS_PER_DAY = 3
EMPTY_BODY = "(This email had no text.)"
ATTACHMENTS_ONLY = "(Attachments only.)"


def limits() -> mailparse.Limits:
    return mailparse.Limits(
        max_bytes=int(getattr(settings, "SWITCHBOARD_INBOUND_MAX_BYTES", 30 * 1024 * 1024))
    )


def support_address() -> str:
    return message_ids.support_address()


def own_addresses() -> set[str]:
    """Addresses Switchboard receives on; mail *from* one of them is a loop."""
    addresses = {support_address(), *mailing_list_addresses()}
    from_address = parseaddr(str(getattr(settings, "DEFAULT_FROM_EMAIL", "")))[1]
    addresses.add(from_address.lower())
    return {a for a in addresses if a}


@dataclass
class _Decision:
    outcome: str
    reason: str
    ticket: Ticket | None = None
    comment: Comment | None = None
    user: User | None = None


def receive_email(
    raw: bytes, *, source: str = InboundSource.PIPE, recipients: Iterable[str] = ()
) -> InboundEmail:
    """Handle one raw message; returns its log record. Never raises for bad mail; a database
    error propagates (the caller asks the sender to retry: EX_TEMPFAIL, SMTP 451)."""
    parsed = mailparse.parse(raw, limits())
    envelope = [r.strip().lower() for r in recipients if r and r.strip()]
    for address in envelope:
        if address not in parsed.delivered_to:
            parsed.delivered_to.append(address)
    with transaction.atomic():
        record = InboundEmail(
            message_id=parsed.message_id[:998],
            source=source,
            from_address=parsed.from_address[:320],
            subject=parsed.subject[:255],
            size=min(parsed.size, 2**31 - 1),
            outcome=InboundOutcome.IGNORED,
            reason="processing",
        )
        if not _claim(record):
            original = (
                InboundEmail.objects.filter(message_id=record.message_id, is_duplicate=False)
                .values_list("pk", flat=True)
                .first()
            )
            record.is_duplicate = True
            record.reason = f"duplicate of inbound email #{original}"
            record.save()
            return record
        decision = _decide(parsed, raw, record)
        record.outcome = decision.outcome
        record.reason = decision.reason[:255]
        record.ticket = decision.ticket
        record.comment = decision.comment
        record.user = decision.user
        record.save(update_fields=["outcome", "reason", "ticket", "comment", "user"])
    logger.info(
        "inbound email %s from %s: %s (%s)",
        record.message_id or "(no id)",
        record.from_address or "?",
        record.outcome,
        record.reason,
    )
    return record


def _claim(record: InboundEmail) -> bool:
    """Insert the log row; False if this Message-ID was already received (also concurrently:
    the unique constraint makes the second delivery wait for the first and then fail here)."""
    if (
        record.message_id
        and InboundEmail.objects.filter(message_id=record.message_id, is_duplicate=False).exists()
    ):
        return False
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return False
    return True


def _decide(parsed: mailparse.ParsedEmail, raw: bytes, record: InboundEmail) -> _Decision:
    if parsed.reject_reason and not parsed.is_automatic:
        return _Decision(InboundOutcome.REJECTED, parsed.reject_reason)
    if parsed.message_id and message_ids.is_our_message_id(parsed.message_id):
        return _Decision(InboundOutcome.IGNORED, "loop: the Message-ID is one of ours")
    if parsed.from_address and (
        parsed.from_address in own_addresses() or message_ids.is_reply_address(parsed.from_address)
    ):
        return _Decision(InboundOutcome.IGNORED, "loop: sent from our own address")

    # A service's integration address opens an incident, never a ticket. Alerts from monitoring
    # are automatic mail by nature, so this comes before the auto-reply check.
    incident = _trigger_incidents(parsed)
    if incident is not None:
        return incident
    if parsed.is_automatic:
        return _Decision(InboundOutcome.IGNORED, parsed.automatic_reason)
    if parsed.reject_reason:
        return _Decision(InboundOutcome.REJECTED, parsed.reject_reason)

    sender = User.objects.filter(email__iexact=parsed.from_address).first()
    mailing_list = next((r for r in parsed.recipients if r in mailing_list_addresses()), None)
    if mailing_list:
        return _act(
            lambda: _new_ticket(parsed, raw, sender, record, recipient=mailing_list),
            sender,
        )

    if sender is not None and sender.is_agent:
        return _agent_mail(parsed, raw, sender, record)

    ticket, how = _thread(parsed, sender)
    if ticket is not None:
        if sender is None or not sender.is_active or not _may_comment(sender, ticket):
            return _refuse(parsed, sender, f"not allowed to reply to ticket #{ticket.pk} ({how})")
        return _act(lambda: _reply(parsed, raw, sender, ticket, how, record), sender)

    if sender is not None and not sender.is_active:
        return _refuse(parsed, sender, "the sender's account is deactivated")
    return _act(lambda: _new_ticket(parsed, raw, sender, record, recipient=""), sender)


def _agent_mail(
    parsed: mailparse.ParsedEmail, raw: bytes, sender: User, record: InboundEmail
) -> _Decision:
    """Mail from an agent's or admin's address. A From header is easy to forge, so a reply is
    accepted only through the signed reply address of a notification sent to that agent
    (`message_ids.reply_address`): it names the ticket and the agent, and cannot be guessed.
    An unsigned reply is refused (the agent is told how to reply); a mail that answers no
    ticket opens one, as anyone's does."""
    signed = message_ids.signed_reply(parsed.recipients)
    if signed is not None and signed.valid and signed.user_id == sender.pk:
        ticket = Ticket.objects.filter(pk=signed.ticket_id).first()
        if ticket is None:
            return _refuse(
                parsed,
                sender,
                f"the signed reply address names ticket #{signed.ticket_id}, which does not exist",
            )
        if not sender.is_active or not _may_comment(sender, ticket):
            return _refuse(parsed, sender, f"not allowed to reply to ticket #{ticket.pk}")
        how = "signed reply address"
        return _act(lambda: _reply(parsed, raw, sender, ticket, how, record), sender)

    ticket, how = _thread(parsed, sender)
    if signed is not None or ticket is not None:
        if signed is None:
            why = f"answers ticket #{ticket.pk} ({how}) without the signed reply address"
        elif not signed.valid:
            why = "its reply address has a signature that does not verify"
        else:
            why = "its reply address was signed for another user"
        return _refuse(
            parsed,
            sender,
            f"unverified sender: from an agent's address, but {why}",
            template=UNVERIFIED_AGENT_TEMPLATE,
        )
    if not sender.is_active:
        return _refuse(parsed, sender, "the sender's account is deactivated")
    return _act(lambda: _new_ticket(parsed, raw, sender, record, recipient=""), sender)


def _act(work: Callable[[], _Decision], sender: User | None) -> _Decision:
    """Run an action in a savepoint: a refused write leaves nothing behind but the log row."""
    try:
        with transaction.atomic():
            return work()
    except SwitchboardError as exc:
        return _Decision(InboundOutcome.REJECTED, f"not accepted: {exc}", user=sender)


def _trigger_incidents(parsed: mailparse.ParsedEmail) -> _Decision | None:
    from switchboard.oncall.actions import trigger_from_email

    opened: list[str] = []
    failed: list[str] = []
    for recipient in parsed.recipients:
        try:
            with transaction.atomic():
                result = trigger_from_email(
                    recipient=recipient,
                    subject=parsed.subject,
                    body=parsed.text,
                    sender=parsed.from_address,
                )
        except SwitchboardError as exc:
            failed.append(f"{recipient}: {exc}")
            continue
        if result is not None:
            incident, _created = result
            opened.append(f"incident #{incident.pk} via {recipient}")
    if opened:
        return _Decision(InboundOutcome.INCIDENT, "; ".join(opened + failed))
    if failed:
        # A service address, but its service cannot page: never fall through to a ticket.
        return _Decision(InboundOutcome.REJECTED, "on-call " + "; ".join(failed))
    return None


def _may_comment(user: User, ticket: Ticket) -> bool:
    return user.role in (Role.AGENT, Role.ADMIN) or access.can_comment(user, ticket)


def _thread(parsed: mailparse.ParsedEmail, sender: User | None) -> tuple[Ticket | None, str]:
    """The ticket this mail answers: by our Message-IDs, by a customer Message-ID we stored,
    then by the [#123] subject token. A Message-ID of ours whose tag verifies was copied from a
    message we sent; an untagged (older or forged) one counts only if the sender may see that
    ticket, like the subject token, so guessing numbers reveals nothing."""
    ids = parsed.thread_ids
    for mid in ids:
        reference = message_ids.thread_reference(mid)
        if reference is None:
            continue
        ticket = Ticket.objects.filter(pk=reference.ticket_id).first()
        if ticket is None:
            continue
        if reference.verified or (sender is not None and access.can_view(sender, ticket)):
            how = "In-Reply-To" if mid in parsed.in_reply_to else "References"
            return ticket, how if reference.verified else f"{how}, untagged id"
    if ids:
        earlier = (
            InboundEmail.objects.filter(message_id__in=ids[:50], ticket__isnull=False)
            .order_by("-received_at", "-pk")
            .select_related("ticket")
            .first()
        )
        if earlier is not None and earlier.ticket is not None:
            return earlier.ticket, "an earlier message of the thread"
    ticket_id = message_ids.ticket_id_from_subject(parsed.subject)
    if ticket_id is not None and sender is not None:
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is not None and access.can_view(sender, ticket):
            return ticket, "subject token"
    return None, ""


def _body(text: str, has_attachments: bool) -> str:
    if text.strip():
        return text
    return ATTACHMENTS_ONLY if has_attachments else EMPTY_BODY


def _metadata(parsed: mailparse.ParsedEmail, record: InboundEmail) -> dict[str, object]:
    return {
        "email": {
            "message_id": parsed.message_id,
            "from": parsed.from_address,
            "inbound_email_id": record.pk,
            "html_only": parsed.text_from_html,
            "truncated": parsed.text_truncated,
        }
    }


def _reply(
    parsed: mailparse.ParsedEmail,
    raw: bytes,
    sender: User,
    ticket: Ticket,
    how: str,
    record: InboundEmail,
) -> _Decision:
    body = _body(parsed.reply_text, bool(parsed.attachments))
    metadata = _metadata(parsed, record)
    files = _files(parsed, raw)
    if ticket.is_closed and sender.role in (Role.AGENT, Role.ADMIN):
        # Closed is final: an agent's mail to a closed thread opens a follow-up, as a customer's.
        posted = follow_up(
            source=ticket,
            actor=sender,
            body=body,
            channel=Channel.EMAIL,
            metadata=metadata,
            files=files,
            keep_going=True,
        )
    else:
        posted = post_comment(
            ticket=ticket,
            author=sender,
            body=body,
            public=True,
            channel=Channel.EMAIL,
            metadata=metadata,
            files=files,
            keep_going=True,
        )
    comment = posted.comment
    notes = _attachment_note(parsed, files, posted)
    if comment.ticket_id != ticket.pk:
        return _Decision(
            InboundOutcome.FOLLOW_UP,
            f"ticket #{ticket.pk} is closed: follow-up #{comment.ticket_id} ({how}){notes}",
            comment.ticket,
            comment,
            sender,
        )
    return _Decision(
        InboundOutcome.THREADED, f"reply ({how}){notes}", comment.ticket, comment, sender
    )


def _new_ticket(
    parsed: mailparse.ParsedEmail,
    raw: bytes,
    sender: User | None,
    record: InboundEmail,
    *,
    recipient: str,
) -> _Decision:
    own = own_addresses()
    cc_addresses = [
        a for a in [*parsed.to, *parsed.cc] if a != parsed.from_address and a not in own
    ]
    ccs = list(User.objects.filter(email__in=cc_addresses[:50], is_active=True))
    files = _files(parsed, raw)
    posted = open_ticket(
        actor=access.SYSTEM,
        requester=sender,
        requester_email=parsed.from_address,
        requester_name=parsed.from_name,
        subject=(parsed.subject or "(no subject)")[:255],
        description=_body(parsed.text, bool(parsed.attachments)),
        channel=Channel.MAILING_LIST if recipient else Channel.EMAIL,
        recipient=recipient,
        ccs=ccs,
        comment_metadata=_metadata(parsed, record),
        files=files,
        keep_going=True,
    )
    ticket, comment = posted.ticket, posted.comment
    notes = _attachment_note(parsed, files, posted)
    requester = ticket.requester
    entitlement = (
        f"organization {ticket.organization.name}"
        if ticket.organization is not None
        else "entitlement unverified"
    )
    if recipient:
        return _Decision(
            InboundOutcome.MAILING_LIST,
            f"to {recipient}: closed on arrival ({entitlement}){notes}",
            ticket,
            comment,
            requester,
        )
    return _Decision(
        InboundOutcome.CREATED,
        f"new ticket ({entitlement}; {len(ccs)} CCs){notes}",
        ticket,
        comment,
        requester,
    )


def _files(parsed: mailparse.ParsedEmail, raw: bytes) -> list[NewFile]:
    """Every attachment, and the original message when its text was cut."""
    files = [NewFile(a.filename, a.content) for a in parsed.attachments]
    if parsed.text_truncated:
        files.append(NewFile("original-message.eml", raw))
    return files


def _attachment_note(parsed: mailparse.ParsedEmail, files: list[NewFile], posted: Posted) -> str:
    """For the log reason: how many files were kept, and any that could not be stored."""
    skipped = parsed.dropped_attachments + len(posted.refused)
    note = f"; {len(posted.attachments)} attachment(s)" if files else ""
    if skipped:
        note += f", {skipped} not stored"
    return note


def _refuse(
    parsed: mailparse.ParsedEmail,
    sender: User | None,
    reason: str,
    *,
    template: str = REFUSAL_TEMPLATE,
) -> _Decision:
    """Nothing is added; the sender gets one polite note that reveals nothing of the ticket."""
    try:
        with transaction.atomic():
            queued = _queue_refusal(parsed, template)
    except SwitchboardError as exc:  # e.g. an address the outbox will not send to
        logger.info("no refusal sent to %s: %s", parsed.from_address, exc)
        queued = False
    suffix = "; refusal queued" if queued else "; no refusal sent"
    return _Decision(InboundOutcome.REFUSED, reason + suffix, user=sender)


def _queue_refusal(parsed: mailparse.ParsedEmail, template: str) -> bool:
    if parsed.is_automatic or not parsed.from_address:
        return False
    from switchboard.notify.outbox.models import Delivery

    # Against backscatter (a forged From makes us mail a stranger): a few refusals per address
    # per day at most.
    since = timezone.now() - timedelta(days=1)
    recent = Delivery.objects.filter(
        event="intake.refused", recipient__iexact=parsed.from_address, created_at__gte=since
    ).count()
    if recent >= MAX_REFUSALS_PER_DAY:
        return False
    from switchboard.notify.outbox.queue import queue_email, render_email

    key_source = (
        parsed.message_id
        or hashlib.sha256(
            f"{parsed.from_address}\n{parsed.subject}\n{parsed.text}".encode()
        ).hexdigest()
    )
    subject = parsed.subject or "your email"
    text, html = render_email(
        template,
        {"subject": subject, "support_address": support_address()},
    )
    headers = {"Auto-Submitted": "auto-replied"}
    if parsed.message_id:
        headers.update({"In-Reply-To": parsed.message_id, "References": parsed.message_id})
    delivery = queue_email(
        to=parsed.from_address,
        subject=f"Re: {subject}"[:255] if not subject.lower().startswith("re:") else subject,
        text=text,
        html=html,
        event="intake.refused",
        idempotency_key="intake-refusal:" + hashlib.sha256(key_source.encode()).hexdigest(),
        source="intake",
        headers=headers,
    )
    return delivery is not None
