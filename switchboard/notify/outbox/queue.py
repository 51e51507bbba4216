"""The outbox: every email, webhook and chat message Switchboard sends is queued here.

`queue_email` / `queue_endpoint` / `queue_url` write a Delivery row and its send job in the
caller's transaction (rolled back with it), once per idempotency key. The worker sends it within
seconds, signs it (endpoints), retries it with backoff and logs every attempt (outbox/delivery.py).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from switchboard.core.errors import ValidationFailed
from switchboard.notify.outbox import message_ids
from switchboard.notify.outbox.models import Delivery, DeliveryChannel, Endpoint, EndpointKind

if TYPE_CHECKING:
    from switchboard.accounts.models import User
    from switchboard.tickets.models import Ticket

# Event names endpoints can filter on (admin multi-select). "test" is the admin's test event.
EVENTS = (
    ("ticket.created", "Ticket created"),
    ("ticket.updated", "Ticket updated"),
    ("ticket.commented", "Ticket commented"),
    ("ticket.status_changed", "Ticket status changed"),
    ("sla.warning", "SLA warning"),
    ("sla.breach", "SLA breach"),
    ("satisfaction_rating.created", "Satisfaction rating given or changed (CSAT)"),
    ("call.booked", "Call booked"),
    ("call.rescheduled", "Call rescheduled"),
    ("call.canceled", "Call canceled"),
    ("call.no_show", "Call no-show"),
    ("test", "Test event"),
)
EVENT_NAMES = frozenset(name for name, _ in EVENTS)
TEST_EVENT = "test"

_TEMPLATE_NAME = re.compile(r"[a-z0-9_]+(/[a-z0-9_]+)*")
_MAX_KEY = Delivery._meta.get_field("idempotency_key").max_length or 200


def retry_hours() -> float:
    return float(getattr(settings, "SWITCHBOARD_DELIVERY_RETRY_HOURS", 24))


def lease_seconds() -> float:
    return float(getattr(settings, "SWITCHBOARD_DELIVERY_LEASE", 120))


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, html) from notify/email/<template>.txt and .html (the html extends base.html)."""
    if not _TEMPLATE_NAME.fullmatch(template or ""):
        raise ValidationFailed(f"Invalid email template name {template!r}.", field="template")
    try:
        text = render_to_string(f"notify/email/{template}.txt", context)
        html = render_to_string(f"notify/email/{template}.html", context)
    except TemplateDoesNotExist as exc:
        raise ValidationFailed(f"No email template {exc}.", field="template") from exc
    return text.strip() + "\n", html


def queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    event: str,
    idempotency_key: str,
    ticket: Ticket | None = None,
    source: str = "",
    headers: dict[str, str] | None = None,
    sensitive: bool = False,
    recipient_user: User | None = None,
    calendar: tuple[str, str] | None = None,
) -> Delivery | None:
    """One email to one address, sent by the worker after this transaction commits.

    `calendar=(method, ics_text)` adds an iTIP part (text/calendar; method=REQUEST or CANCEL) and
    the same file as invite.ics, so mail clients offer to add, update or remove the event.

    `sensitive=True` (sign-in, confirmation and password-reset links): the body is wiped from the
    delivery log once the message is delivered or dead, so the link is not kept in the database.

    With a ticket: `[#<id>]` is added to the subject if absent, a Message-ID naming the ticket,
    In-Reply-To/References = the thread root, Reply-To = SWITCHBOARD_SUPPORT_ADDRESS — or, when
    `recipient_user` is an agent or admin, their signed reply address for this ticket
    (`message_ids.reply_address`), the only way the intake accepts an agent's reply. Always
    `Auto-Submitted: auto-generated`. Caller `headers` win over ours (an auto-reply sets
    In-Reply-To to the customer's message). Returns None, writing nothing, when a delivery with
    this idempotency key already exists.
    """
    address = _valid_address(to)
    subject = " ".join((subject or "").split())  # no CR/LF: header injection
    if not subject:
        raise ValidationFailed("An email needs a subject.", field="subject")
    if not (text or "").strip():
        raise ValidationFailed("An email needs a plain-text body.", field="text")
    _check_common(event, idempotency_key)

    mail_headers: dict[str, str] = {"Auto-Submitted": "auto-generated"}
    reply_to = ""
    if ticket is not None:
        token = message_ids.subject_token(ticket.pk)
        if token not in subject:
            subject = f"{token} {subject}"
        root = message_ids.thread_root_id(ticket.pk)
        mail_headers["Message-ID"] = message_ids.new_message_id(ticket.pk)
        mail_headers["In-Reply-To"] = root
        mail_headers["References"] = root
        mail_headers["X-Switchboard-Ticket"] = str(ticket.pk)
        reply_to = settings.SWITCHBOARD_SUPPORT_ADDRESS
        if recipient_user is not None and recipient_user.is_agent:
            reply_to = message_ids.reply_address(ticket.pk, recipient_user.pk) or reply_to
    else:
        mail_headers["Message-ID"] = message_ids.new_message_id(None)
    for name, value in (headers or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9-]+", name) or "\n" in value or "\r" in value:
            raise ValidationFailed(f"Invalid email header {name!r}.", field="headers")
        mail_headers[name] = value
    payload = {
        "subject": subject[:998],
        "text": text,
        "html": html or "",
        "headers": mail_headers,
        "reply_to": reply_to,
        "message_id": mail_headers["Message-ID"],
    }
    if sensitive:
        payload["sensitive"] = True
    if calendar is not None:
        method, ics = calendar
        if method not in ("REQUEST", "CANCEL", "PUBLISH") or not ics.startswith("BEGIN:VCALENDAR"):
            raise ValidationFailed("calendar: expected (method, iCalendar text).", field="calendar")
        payload["calendar"] = {"method": method, "ics": ics}
    return _queue_for_sender(
        channel=DeliveryChannel.EMAIL,
        recipient=address,
        event=event,
        payload=payload,
        idempotency_key=idempotency_key,
        ticket=ticket,
        source=source,
    )


def queue_endpoint(
    *,
    endpoint: Endpoint,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ticket: Ticket | None = None,
    source: str = "",
) -> Delivery | None:
    """One POST to a webhook or chat endpoint, after this transaction commits.

    Returns None if the endpoint is inactive, its `events` filter excludes `event`, or the key
    exists. Chat endpoints get `payload` (a Slack incoming-webhook body) as is; webhooks get
    {"event", "idempotency_key", "created_at", "data": payload}.
    """
    if not endpoint.is_active or (endpoint.events and event not in endpoint.events):
        return None
    return queue_endpoint_unfiltered(
        endpoint=endpoint,
        event=event,
        payload=payload,
        idempotency_key=idempotency_key,
        ticket=ticket,
        source=source,
    )


def queue_endpoint_unfiltered(
    *,
    endpoint: Endpoint,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ticket: Ticket | None = None,
    source: str = "",
) -> Delivery | None:
    """`queue_endpoint` without the active/event filter (the admin's "send test event")."""
    chat = endpoint.kind == EndpointKind.CHAT
    channel = DeliveryChannel.CHAT if chat else DeliveryChannel.WEBHOOK
    body = _http_body(channel, event, payload, idempotency_key)
    return _write(
        channel=channel,
        endpoint=endpoint,
        recipient=endpoint.url,
        event=event,
        ticket=ticket,
        source=source,
        idempotency_key=idempotency_key,
        payload=body,
    )


def queue_url(
    *,
    url: str,
    channel: str = DeliveryChannel.CHAT,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ticket: Ticket | None = None,
    source: str = "",
) -> Delivery | None:
    """One POST to a raw http(s) URL that is not a managed Endpoint (on-call chat webhooks).

    The URL is checked like an endpoint's; the body is built as for an endpoint of that kind
    ("chat": `payload` as is; "webhook": the event envelope). There is no per-endpoint secret, so
    the POST is unsigned: it carries Idempotency-Key, X-Switchboard-Delivery and
    X-Switchboard-Event. Returns None, writing nothing, when the key exists.
    """
    from switchboard.notify.outbox.endpoints import validate_url  # it imports this module

    if channel not in (DeliveryChannel.CHAT, DeliveryChannel.WEBHOOK):
        raise ValidationFailed(
            f"A URL delivery is a chat or webhook POST, not {channel!r}.", field="channel"
        )
    url = validate_url(url)
    body = _http_body(channel, event, payload, idempotency_key)
    return _write(
        channel=channel,
        endpoint=None,
        recipient=url,
        event=event,
        ticket=ticket,
        source=source,
        idempotency_key=idempotency_key,
        payload=body,
        raw_url=True,
    )


def queue_record(
    *,
    system: str,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ticket: Ticket | None = None,
    source: str = "",
) -> Delivery | None:
    """One record upserted into an external system (`system`, e.g. "salesforce: Case") by the
    sender registered for the "crm" channel, after this transaction commits. Returns None,
    writing nothing, when the key exists."""
    return _queue_for_sender(
        channel=DeliveryChannel.CRM,
        recipient=system,
        event=event,
        payload=payload,
        idempotency_key=idempotency_key,
        ticket=ticket,
        source=source,
    )


# --- internals -------------------------------------------------------------------------------


def _valid_address(to: str) -> str:
    address = parseaddr(to or "")[1]
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationFailed(f"Not an email address: {to!r}.", field="to") from exc
    return address


def _check_common(event: str, idempotency_key: str) -> None:
    if not event or len(event) > 60:
        raise ValidationFailed("An event name (at most 60 characters) is required.", field="event")
    if not idempotency_key or len(idempotency_key) > _MAX_KEY:
        raise ValidationFailed(
            f"An idempotency key (at most {_MAX_KEY} characters) is required.",
            field="idempotency_key",
        )


def _queue_for_sender(
    *,
    channel: str,
    recipient: str,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ticket: Ticket | None,
    source: str,
) -> Delivery | None:
    """The one path of the deliveries a channel's sender sends as stored (email, CRM records):
    checked, made JSON, written with its job. Endpoint and URL POSTs build an HTTP body first."""
    _check_common(event, idempotency_key)
    return _write(
        channel=channel,
        endpoint=None,
        recipient=recipient,
        event=event,
        ticket=ticket,
        source=source,
        idempotency_key=idempotency_key,
        payload=_jsonable(payload),
    )


def _http_body(
    channel: str, event: str, payload: dict[str, Any], idempotency_key: str
) -> dict[str, Any]:
    """What a chat or webhook POST carries: a Slack-style body as is, or the event envelope."""
    _check_common(event, idempotency_key)
    if not isinstance(payload, dict):
        raise ValidationFailed("The payload must be a JSON object.", field="payload")
    data = _jsonable(payload)
    if channel == DeliveryChannel.CHAT:
        if not isinstance(data.get("text"), str) or not data["text"].strip():
            raise ValidationFailed(
                'A chat message needs a "text" (Slack incoming-webhook body).', field="payload"
            )
        if "blocks" in data and not isinstance(data["blocks"], list):
            raise ValidationFailed('"blocks" must be a list.', field="payload")
        return data
    return {
        "event": event,
        "idempotency_key": idempotency_key,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    """Dates, decimals and UUIDs as strings: what is stored is exactly what will be sent."""
    try:
        result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"The payload is not JSON: {exc}.", field="payload") from exc
    return result


def _write(
    *,
    channel: str,
    endpoint: Endpoint | None,
    recipient: str,
    event: str,
    ticket: Ticket | None,
    source: str,
    idempotency_key: str,
    payload: dict[str, Any],
    raw_url: bool = False,
) -> Delivery | None:
    from switchboard.notify.outbox import tasks as delivery_tasks

    now = timezone.now()
    if Delivery.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    delivery = None
    try:
        # One savepoint (one transaction outside any): the delivery and its job are written
        # together or not at all, and a concurrent duplicate (unique key) does not break the
        # caller's transaction: the loser gets None, like the key check above.
        with transaction.atomic():
            delivery = Delivery.objects.create(
                channel=channel,
                endpoint=endpoint,
                raw_url=raw_url,
                recipient=recipient[:500],
                event=event,
                ticket=ticket,
                source=source[:80],
                idempotency_key=idempotency_key,
                payload=payload,
                # Not a send time: the job sends at once; the sweep only takes the row back if
                # no worker has finished it by then (lost job, killed worker).
                next_attempt_at=now + timedelta(seconds=lease_seconds()),
                retry_until=now + timedelta(hours=retry_hours()),
            )
            delivery_tasks.enqueue_attempt(delivery)
    except IntegrityError:
        if delivery is not None:
            raise  # not the key: the job's insert failed
        return None
    return delivery
