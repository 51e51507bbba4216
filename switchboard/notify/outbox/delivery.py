"""Send one delivery attempt: claim the row, send (SMTP or a POST), record the outcome.

POSTs to an Endpoint are signed with its secret; raw-URL deliveries (`outbox.queue_url`, e.g.
on-call chat webhooks) have no secret and are sent unsigned, with the same other headers.

A claim is a short transaction: the row is locked (`SELECT ... FOR UPDATE SKIP LOCKED`), its
attempt counter moves to this attempt's number and `next_attempt_at` to now + the lease. Only the
worker holding the claim for attempt N sends it, and no database lock is held while the network
call runs. If that worker dies, the sweep (notify/outbox/tasks.py) takes the row back when the
lease runs out and queues attempt N+1: at least once, never two workers at the same time.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import random
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from switchboard.notify.outbox import signing
from switchboard.notify.outbox.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    Endpoint,
)
from switchboard.notify.outbox.queue import lease_seconds, retry_hours

logger = logging.getLogger("switchboard.notify.outbox.delivery")

HTTP_TIMEOUT = 10.0
BACKOFF_BASE = 10.0  # seconds before the 2nd attempt; doubles each time
BACKOFF_MAX = 3600.0
RETRY_AFTER_MAX = 3600.0  # a Retry-After longer than this is ignored (plain backoff instead)
RETRYABLE_4XX = frozenset({408, 409, 429})
USER_AGENT = "Switchboard"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): exponential with ±20 % jitter."""
    raw = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempt - 1)))
    return raw * random.uniform(0.8, 1.2)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    if seconds < 0 or seconds > RETRY_AFTER_MAX:
        return None
    return max(1.0, seconds)


# --- sending ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook URL that redirects is misconfigured; never re-POST (or GET) elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def unsigned_headers(delivery: Delivery) -> dict[str, str]:
    """Every POST's headers; a raw-URL delivery (no endpoint, no secret) gets just these."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Switchboard-Event": delivery.event,
        "X-Switchboard-Delivery": str(delivery.pk),
        "Idempotency-Key": delivery.idempotency_key,
    }


def webhook_headers(delivery: Delivery, endpoint: Endpoint, body: bytes) -> dict[str, str]:
    """Signed at send time: each attempt carries its own timestamp (a retry hours later is not
    refused as stale) and the secrets valid at that moment."""
    return {
        **unsigned_headers(delivery),
        **signing.signed_headers(
            endpoint, message_id=delivery.idempotency_key, body=body, now=timezone.now()
        ),
    }


def body_bytes(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(delivery: Delivery, endpoint: Endpoint) -> Outcome:
    """A signed POST to the endpoint."""
    body = body_bytes(delivery)
    return _post(endpoint.url, body, webhook_headers(delivery, endpoint, body))


def post_url(delivery: Delivery) -> Outcome:
    """An unsigned POST to the delivery's own URL (`outbox.queue_url`)."""
    return _post(delivery.recipient, body_bytes(delivery), unsigned_headers(delivery))


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    if not url.startswith(("http://", "https://")):
        return Outcome(False, error=f"not an http(s) URL: {url!r}", permanent=True)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, headers=headers, method="POST"
    )
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as response:
            response.read(65536)
            return Outcome(True, status=response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        detail = _snippet(exc)
        error = f"HTTP {status} {exc.reason}{detail}"
        if 300 <= status < 400:
            return Outcome(
                False, status, f"{error} (redirects are not followed: fix the URL)", True
            )
        if 400 <= status < 500 and status not in RETRYABLE_4XX:
            return Outcome(False, status, error, permanent=True)
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(exc.headers.get("Retry-After"), timezone.now())
        return Outcome(False, status, error, retry_after=retry_after)
    except TimeoutError:
        return Outcome(False, error=f"timed out after {HTTP_TIMEOUT:.0f} s")
    except urllib.error.URLError as exc:
        return Outcome(False, error=f"connection failed: {exc.reason}")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(False, error=f"connection failed: {type(exc).__name__}: {exc}")


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace").strip()
    except Exception:
        return ""
    return f": {text}" if text else ""


# One SMTP connection per worker process, reused from delivery to delivery (no TCP/TLS set-up
# and login per email) and closed after a quiet spell, or when the mail settings change.
MAIL_IDLE_SECONDS = 30.0
_mail: dict[str, Any] = {"connection": None, "key": None, "last_used": 0.0}


def _mail_settings() -> tuple[Any, ...]:
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
    )


def close_mail_connection() -> None:
    connection, _mail["connection"] = _mail["connection"], None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("closing the SMTP connection failed", exc_info=True)


def mail_connection() -> tuple[Any, bool]:
    """(the worker's open mail connection, whether it was already open before this call)."""
    key, now = _mail_settings(), time.monotonic()
    if _mail["connection"] is not None and (
        _mail["key"] != key or now - _mail["last_used"] > MAIL_IDLE_SECONDS
    ):
        close_mail_connection()
    reused = _mail["connection"] is not None
    if not reused:
        connection = get_connection(fail_silently=False)
        connection.open()
        _mail.update(connection=connection, key=key)
    _mail["last_used"] = now
    return _mail["connection"], reused


def _send_message(message: EmailMultiAlternatives) -> None:
    connection, reused = mail_connection()
    try:
        connection.send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        close_mail_connection()
        if not reused:
            raise
        # The server closed the idle connection under us: once more on a fresh one.
        connection, _ = mail_connection()
        connection.send_messages([message])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
        raise  # smtplib reset the transaction: the connection stays usable
    except Exception:
        close_mail_connection()
        raise


def send_mail(delivery: Delivery) -> Outcome:
    payload = delivery.payload
    headers = dict(payload.get("headers") or {})
    headers["X-Switchboard-Delivery"] = str(delivery.pk)
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        reply_to=[payload["reply_to"]] if payload.get("reply_to") else None,
        headers=headers,
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    if payload.get("calendar"):
        method, ics = payload["calendar"]["method"], payload["calendar"]["ics"]
        part = MIMEText(ics, "calendar", "utf-8")
        part.set_param("method", method)
        message.attach(part)
        message.attach("invite.ics", ics, "application/ics")
    try:
        _send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        error = "recipient refused: " + "; ".join(
            f"{code} {_text(reason)}" for code, reason in exc.recipients.values()
        )
        return Outcome(False, codes[0] if codes else None, error, all(c >= 500 for c in codes))
    except smtplib.SMTPDataError as exc:
        error = f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        return Outcome(False, exc.smtp_code, error, permanent=exc.smtp_code >= 500)
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, exc.smtp_code, f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"SMTP failed: {type(exc).__name__}: {exc}")
    return Outcome(True, status=250)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# channel -> sender of the deliveries sent as stored: email here, and channels other apps
# deliver (the CRM case push) with the same claim, retries, attempt log and dead state.
# Webhook and chat POSTs (endpoints, raw URLs) are sent below.
_senders: dict[str, Callable[[Delivery], Outcome]] = {}


def register_sender(channel: str, sender: Callable[[Delivery], Outcome]) -> None:
    _senders[channel] = sender


register_sender(DeliveryChannel.EMAIL, send_mail)


def send(delivery: Delivery) -> Outcome:
    if delivery.channel in _senders:
        return _senders[delivery.channel](delivery)
    if delivery.raw_url:
        return post_url(delivery)
    endpoint = Endpoint.objects.filter(pk=delivery.endpoint_id).first()
    if endpoint is None:
        return Outcome(False, error="the endpoint was deleted", permanent=True)
    if not endpoint.is_active:
        return Outcome(False, error="the endpoint is inactive", permanent=True)
    if endpoint.url != delivery.recipient:
        # An admin fixed the URL: send (and log) to where the endpoint points now.
        Delivery.objects.filter(pk=delivery.pk).update(recipient=endpoint.url[:500])
        delivery.recipient = endpoint.url
    return post(delivery, endpoint)


# --- outcome listeners -----------------------------------------------------------------------

# source prefix -> callbacks(delivery, status) run in `record`'s transaction when a delivery ends
# ("delivered" or "dead"); on-call uses it to mark its notification failed when the page dies.
_outcome_listeners: dict[str, list[Callable[[Delivery, str], None]]] = {}


def on_outcome(source_prefix: str, callback: Callable[[Delivery, str], None]) -> None:
    """Call `callback(delivery, status)` when a delivery with a source under the prefix ends."""
    callbacks = _outcome_listeners.setdefault(source_prefix, [])
    if callback not in callbacks:
        callbacks.append(callback)


def _notify_outcome(delivery: Delivery) -> None:
    for prefix, callbacks in _outcome_listeners.items():
        if delivery.source.startswith(prefix):
            for callback in callbacks:
                callback(delivery, delivery.status)


# --- claim, attempt, record ------------------------------------------------------------------


def claim(delivery_id: int, attempt: int, now: datetime) -> Delivery | None:
    """Take attempt number `attempt` of a pending delivery, or None if it is not ours to make."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt - 1)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts = attempt
        delivery.next_attempt_at = now + timedelta(seconds=lease_seconds())
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


REDACTED_BODY = "(removed from the log after sending: it contained a one-time link)"


def _forget_sensitive_body(delivery: Delivery) -> list[str]:
    """A sensitive email's body leaves the database once it is delivered or dead."""
    payload = delivery.payload or {}
    if not payload.get("sensitive") or payload.get("redacted"):
        return []
    delivery.payload = {**payload, "text": REDACTED_BODY, "html": "", "redacted": True}
    return ["payload"]


def record(delivery_id: int, attempt: int, outcome: Outcome, started: datetime, ms: int) -> str:
    """Log the attempt and move the delivery on: delivered, retry later, or dead."""
    from switchboard.notify.outbox.tasks import enqueue_attempt

    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        fields = {
            "at": started,
            "ok": outcome.ok,
            "response_status": outcome.status,
            "error": outcome.error[:2000],
            "duration_ms": ms,
        }
        # The row exists only if the sweep gave up waiting for this attempt (see take_back).
        if not DeliveryAttempt.objects.filter(delivery=delivery, number=attempt).update(**fields):
            DeliveryAttempt.objects.create(delivery=delivery, number=attempt, **fields)
        if delivery.status != DeliveryStatus.PENDING:
            return "already " + delivery.status
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
            delivery.save(
                update_fields=[
                    "status",
                    "delivered_at",
                    "next_attempt_at",
                    "last_error",
                    *_forget_sensitive_body(delivery),
                ]
            )
            _notify_outcome(delivery)
            return "delivered"
        if delivery.attempts != attempt:
            return "superseded"  # our lease ran out and a later attempt took over
        delivery.last_error = outcome.error[:2000]
        retry_until = delivery.retry_until or (delivery.created_at + timedelta(hours=retry_hours()))
        if outcome.permanent or now >= retry_until:
            delivery.status = DeliveryStatus.DEAD
            delivery.next_attempt_at = None
            if outcome.permanent:
                delivery.dead_reason = f"permanent failure on attempt {attempt}: {outcome.error}"
            else:
                delivery.dead_reason = (
                    f"gave up after {attempt} attempts (retry window ended "
                    f"{retry_until:%Y-%m-%d %H:%M} UTC); last error: {outcome.error}"
                )
            delivery.save(
                update_fields=[
                    "status",
                    "next_attempt_at",
                    "last_error",
                    "dead_reason",
                    *_forget_sensitive_body(delivery),
                ]
            )
            logger.warning("delivery %s is dead: %s", delivery.pk, delivery.dead_reason)
            _notify_outcome(delivery)
            return "dead"
        delay = outcome.retry_after if outcome.retry_after is not None else backoff(attempt)
        retry_at = min(now + timedelta(seconds=delay), retry_until)
        delivery.next_attempt_at = retry_at + timedelta(seconds=lease_seconds())
        delivery.save(update_fields=["next_attempt_at", "last_error"])
        enqueue_attempt(delivery, run_after=retry_at)
        return "retry"


def attempt_delivery(delivery_id: int, attempt: int) -> str:
    """Make attempt `attempt` of the delivery if it is still ours to make; returns what happened."""
    started = timezone.now()
    delivery = claim(delivery_id, attempt, started)
    if delivery is None:
        return "skipped"
    clock = time.monotonic()
    try:
        outcome = send(delivery)
    except Exception as exc:  # a bug or bad stored payload must be logged, not loop silently
        logger.exception("delivery %s attempt %s crashed", delivery_id, attempt)
        outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}")
    ms = int((time.monotonic() - clock) * 1000)
    return record(delivery_id, attempt, outcome, started, ms)
