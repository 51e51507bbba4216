"""Email threading conventions, shared by email out (outbox) and email in (intake).

Every message Switchboard sends about ticket 123 carries a Message-ID `<sb.123.RANDOM@DOMAIN>`,
`In-Reply-To`/`References` pointing at the thread root `<sb.123@DOMAIN>`, and `[#123]` in the
subject. A reply therefore names its ticket in its headers; the subject token is the fallback.
DOMAIN is SWITCHBOARD_EMAIL_DOMAIN (default: the domain of DEFAULT_FROM_EMAIL).
"""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr

from django.conf import settings


def email_domain() -> str:
    configured = getattr(settings, "SWITCHBOARD_EMAIL_DOMAIN", "")
    if configured:
        return configured.lower()
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return (address.rpartition("@")[2] or "switchboard.invalid").lower()


def thread_root_id(ticket_id: int) -> str:
    """The fixed Message-ID every message of a ticket's thread refers to."""
    return f"<sb.{int(ticket_id)}@{email_domain()}>"


def new_message_id(ticket_id: int | None = None) -> str:
    """A fresh Message-ID; with a ticket, one that names it."""
    token = secrets.token_hex(8)
    if ticket_id is None:
        return f"<sb.x.{token}@{email_domain()}>"
    return f"<sb.{int(ticket_id)}.{token}@{email_domain()}>"


_OURS = re.compile(r"<?sb\.(\d+|x)(?:\.[0-9a-f]+)?@([^>\s]+)>?", re.IGNORECASE)


def is_our_message_id(message_id: str) -> bool:
    match = _OURS.fullmatch((message_id or "").strip())
    return bool(match and match.group(2).lower() == email_domain())


def ticket_id_from_message_id(message_id: str) -> int | None:
    match = _OURS.fullmatch((message_id or "").strip())
    if not match or match.group(2).lower() != email_domain() or match.group(1).lower() == "x":
        return None
    return int(match.group(1))


def message_ids_in(header_value: str | None) -> list[str]:
    """The `<...>` ids in an In-Reply-To or References header, in order."""
    return re.findall(r"<[^<>\s]+>", header_value or "")


SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


def subject_token(ticket_id: int) -> str:
    return f"[#{int(ticket_id)}]"


def ticket_id_from_subject(subject: str | None) -> int | None:
    match = SUBJECT_TOKEN.search(subject or "")
    return int(match.group(1)) if match else None
