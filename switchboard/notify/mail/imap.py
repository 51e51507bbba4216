"""IMAP polling: fetch UNSEEN messages, hand each to `receive_email`, then mark it \\Seen.

SWITCHBOARD_IMAP_URL is `imaps://user:password@host[:993]/INBOX` (SSL) or
`imap://user:password@host[:143]/INBOX[?starttls=1]`; user and password are percent-encoded.
A message is fetched with BODY.PEEK[] (which does not set \\Seen) and flagged \\Seen only after
its intake transaction committed; if the process dies in between, the next poll fetches it again
and the Message-ID check records it as a duplicate. One worker polls a mailbox at a time: the
`ImapCursor` row carries a lease taken with a conditional UPDATE.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import re
import socket
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from switchboard.core.errors import ValidationFailed
from switchboard.notify.mail.intake import receive_email
from switchboard.notify.mail.models import ImapCursor, InboundSource

logger = logging.getLogger(__name__)

CURSOR_NAME = "default"
LEASE = timedelta(minutes=5)
MAX_PER_POLL = 500
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    starttls: bool = False

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"


def parse_imap_url(url: str) -> ImapConfig:
    parts = urlsplit(url or "")
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValidationFailed(
            "SWITCHBOARD_IMAP_URL: expected imaps://user:password@host/INBOX or imap://...",
            field="SWITCHBOARD_IMAP_URL",
        )
    use_ssl = parts.scheme == "imaps"
    query = parse_qs(parts.query)
    return ImapConfig(
        host=parts.hostname,
        port=parts.port or (993 if use_ssl else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        use_ssl=use_ssl,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
    )


@dataclass
class PollResult:
    skipped: bool = False
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str = ""


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.use_ssl:
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    conn = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_SECONDS)
    if config.starttls:
        conn.starttls(ssl.create_default_context())
    return conn


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _cursor() -> ImapCursor:
    cursor, _ = ImapCursor.objects.get_or_create(name=CURSOR_NAME)
    return cursor


def _take_lease(cursor: ImapCursor, owner: str, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    return bool(
        ImapCursor.objects.filter(Q(pk=cursor.pk) & free).update(
            lease_owner=owner, lease_until=now + LEASE
        )
    )


def _release(cursor: ImapCursor, owner: str) -> None:
    ImapCursor.objects.filter(pk=cursor.pk, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


def _uidvalidity(conn: imaplib.IMAP4, mailbox: str) -> int | None:
    _typ, data = conn.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.strip().isdigit():
            return int(item)
    _typ, data = conn.status(_quote(mailbox), "(UIDVALIDITY)")
    for item in data or []:
        match = _UIDVALIDITY.search(item if isinstance(item, bytes) else b"")
        if match:
            return int(match.group(1))
    return None


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _message_bytes(data: list[object]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_once(url: str | None = None, *, now: datetime | None = None) -> PollResult:
    """Poll the mailbox once. Safe to call from several workers: only one holds the lease."""
    config = parse_imap_url(url if url is not None else settings.SWITCHBOARD_IMAP_URL)
    now = now or timezone.now()
    owner = _owner()
    cursor = _cursor()
    result = PollResult()
    if not _take_lease(cursor, owner, now):
        result.skipped = True
        return result
    try:
        _poll(config, cursor, owner, result)
    except (imaplib.IMAP4.error, OSError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        logger.warning("IMAP poll of %s failed: %s", config.label, result.error)
    finally:
        ImapCursor.objects.filter(pk=cursor.pk).update(
            last_polled_at=timezone.now(), last_error=result.error[:2000]
        )
        _release(cursor, owner)
    return result


def _poll(config: ImapConfig, cursor: ImapCursor, owner: str, result: PollResult) -> None:
    conn = _connect(config)
    try:
        conn.login(config.user, config.password)
        typ, _data = conn.select(_quote(config.mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select {config.mailbox}")
        validity = _uidvalidity(conn, config.mailbox)
        cursor.refresh_from_db()
        if cursor.uidvalidity != validity or cursor.mailbox != config.label:
            # A new or rebuilt mailbox: UIDs start over.
            cursor.uidvalidity = validity
            cursor.mailbox = config.label
            cursor.last_uid = 0
            cursor.save(update_fields=["uidvalidity", "mailbox", "last_uid"])
        typ, data = conn.uid("SEARCH", "UNSEEN")
        if typ != "OK":
            raise imaplib.IMAP4.error("UID SEARCH UNSEEN failed")
        uids = sorted({int(u) for u in b" ".join(d for d in data if d).split() if u.isdigit()})
        for uid in uids[:MAX_PER_POLL]:
            _take_lease(cursor, owner, timezone.now())
            typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = _message_bytes(data or []) if typ == "OK" else None
            if raw is None:
                logger.warning("IMAP %s: UID %s could not be fetched", config.label, uid)
                continue
            try:
                inbound = receive_email(raw, source=InboundSource.IMAP)
            except DatabaseError as exc:
                # Not committed: leave the message unseen so the next poll tries again.
                result.error = f"database error on UID {uid}: {exc}"
                logger.error("IMAP %s: %s", config.label, result.error)
                break
            conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            result.fetched += 1
            result.outcomes[inbound.outcome] = result.outcomes.get(inbound.outcome, 0) + 1
            ImapCursor.objects.filter(pk=cursor.pk, last_uid__lt=uid).update(last_uid=uid)
        ImapCursor.objects.filter(pk=cursor.pk).update(
            messages_received=F("messages_received") + result.fetched
        )
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
