"""Email threading and reply-address conventions, shared by email out (outbox) and in (intake).

Every message Switchboard sends about ticket 123 carries a Message-ID
`<sb.123.TAG.RANDOM@DOMAIN>`, `In-Reply-To`/`References` pointing at the thread root
`<sb.123.TAG@DOMAIN>`, and `[#123]` in the subject. TAG is an HMAC of the ticket id (keyed by
SECRET_KEY), so a thread id cannot be guessed from a ticket number: only a reply to a message we
sent names its ticket with a verified tag. Ids of the older formats (`<sb.123@DOMAIN>`,
`<sb.123.RANDOM@DOMAIN>`) are still recognised but unverified; the intake trusts them no more
than the `[#123]` subject token.

Agents' notifications carry a signed Reply-To, `support+r<ticket>-<user>-<MAC>@support-domain`:
the MAC (HMAC-SHA256 under SECRET_KEY, 96 bits) binds the ticket and the agent, and the intake
accepts an agent's emailed reply only through such an address (docs/notifications.md).
DOMAIN is SWITCHBOARD_EMAIL_DOMAIN (default: the domain of DEFAULT_FROM_EMAIL).
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.utils.crypto import salted_hmac

_THREAD_SALT = "switchboard.notify.outbox.message_ids.thread"
_REPLY_SALT = "switchboard.notify.outbox.message_ids.reply"
THREAD_TAG_CHARS = 20
REPLY_MAC_CHARS = 24


def email_domain() -> str:
    configured = getattr(settings, "SWITCHBOARD_EMAIL_DOMAIN", "")
    if configured:
        return configured.lower()
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return (address.rpartition("@")[2] or "switchboard.invalid").lower()


def _mac(salt: str, value: str, length: int) -> str:
    digest: str = salted_hmac(salt, value, algorithm="sha256").hexdigest()
    return digest[:length]


def thread_tag(ticket_id: int) -> str:
    """The unguessable part of a ticket's thread ids."""
    return _mac(_THREAD_SALT, f"{email_domain()}:{int(ticket_id)}", THREAD_TAG_CHARS)


def thread_root_id(ticket_id: int) -> str:
    """The fixed Message-ID every message of a ticket's thread refers to."""
    return f"<sb.{int(ticket_id)}.{thread_tag(ticket_id)}@{email_domain()}>"


def new_message_id(ticket_id: int | None = None) -> str:
    """A fresh Message-ID; with a ticket, one that names it (with its tag)."""
    token = secrets.token_hex(8)
    if ticket_id is None:
        return f"<sb.x.{token}@{email_domain()}>"
    return f"<sb.{int(ticket_id)}.{thread_tag(ticket_id)}.{token}@{email_domain()}>"


_OURS = re.compile(r"<?sb\.(\d{1,18}|x)((?:\.[0-9a-z]{1,64}){0,2})@([^>\s]+)>?", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadReference:
    ticket_id: int
    # True when the id carries the ticket's tag: it was copied from a message we sent.
    verified: bool


def is_our_message_id(message_id: str) -> bool:
    match = _OURS.fullmatch((message_id or "").strip())
    return bool(match and match.group(3).lower() == email_domain())


def thread_reference(message_id: str) -> ThreadReference | None:
    """The ticket one of our Message-IDs names, and whether its tag verifies."""
    match = _OURS.fullmatch((message_id or "").strip())
    if not match or match.group(3).lower() != email_domain() or match.group(1).lower() == "x":
        return None
    ticket_id = int(match.group(1))
    parts = match.group(2).split(".")[1:]
    verified = bool(parts) and hmac.compare_digest(parts[0].lower(), thread_tag(ticket_id))
    return ThreadReference(ticket_id, verified)


def ticket_id_from_message_id(message_id: str) -> int | None:
    """The ticket id of one of our Message-IDs, verified or not."""
    reference = thread_reference(message_id)
    return reference.ticket_id if reference else None


def message_ids_in(header_value: str | None) -> list[str]:
    """The `<...>` ids in an In-Reply-To or References header, in order."""
    return re.findall(r"<[^<>\s]+>", header_value or "")


SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


def subject_token(ticket_id: int) -> str:
    return f"[#{int(ticket_id)}]"


def ticket_id_from_subject(subject: str | None) -> int | None:
    match = SUBJECT_TOKEN.search(subject or "")
    return int(match.group(1)) if match else None


# --- signed reply addresses ------------------------------------------------------------------


def support_address() -> str:
    return str(getattr(settings, "SWITCHBOARD_SUPPORT_ADDRESS", "")).strip().lower()


def _reply_mac(ticket_id: int, user_id: int, domain: str) -> str:
    return _mac(_REPLY_SALT, f"{domain}:{int(ticket_id)}:{int(user_id)}", REPLY_MAC_CHARS)


def reply_address(ticket_id: int, user_id: int) -> str:
    """`support+r<ticket>-<user>-<mac>@domain`: where this user's reply to this ticket goes.
    Empty when no support address is configured."""
    local, _, domain = support_address().partition("@")
    if not local or not domain:
        return ""
    mac = _reply_mac(ticket_id, user_id, domain)
    return f"{local}+r{int(ticket_id)}-{int(user_id)}-{mac}@{domain}"


@dataclass(frozen=True)
class SignedReply:
    ticket_id: int
    user_id: int
    # False: the address has the shape of a signed reply address but its MAC does not verify.
    valid: bool


def is_reply_address(address: str) -> bool:
    """Whether `address` is a subaddress of the support address (`support+...@domain`)."""
    local, _, domain = support_address().partition("@")
    candidate_local, _, candidate_domain = (address or "").strip().lower().rpartition("@")
    return bool(local) and candidate_domain == domain and candidate_local.startswith(local + "+")


def signed_reply(addresses: Iterable[str]) -> SignedReply | None:
    """The signed reply address among `addresses` (a valid one first), if any."""
    local, _, domain = support_address().partition("@")
    if not local or not domain:
        return None
    pattern = re.compile(
        re.escape(local) + rf"\+r(\d{{1,18}})-(\d{{1,18}})-([0-9a-f]{{{REPLY_MAC_CHARS}}})"
    )
    found: SignedReply | None = None
    for address in addresses:
        candidate_local, _, candidate_domain = (address or "").strip().lower().rpartition("@")
        match = pattern.fullmatch(candidate_local)
        if candidate_domain != domain or not match:
            continue
        ticket_id, user_id = int(match.group(1)), int(match.group(2))
        valid = hmac.compare_digest(match.group(3), _reply_mac(ticket_id, user_id, domain))
        if valid:
            return SignedReply(ticket_id, user_id, True)
        found = found or SignedReply(ticket_id, user_id, False)
    return found
