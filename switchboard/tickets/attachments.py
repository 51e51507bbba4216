"""Storing attachments and redacting secrets from comments and attachments.

Files go through Django's storage API (`Attachment.file`, the default storage). The content type
is sniffed from the bytes, never taken from the client; the filename is sanitised for display and
the stored name is a random one, so nothing the client sends ends up in a storage path.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.models import User
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.core.filenames import sanitize_filename
from switchboard.tickets import search_index
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.models import Attachment, Channel, Comment, Ticket
from switchboard.tickets.secret_scan import Finding, redact_text, scan_text

log = logging.getLogger(__name__)

TEXT_PLAIN = "text/plain"
OCTET_STREAM = "application/octet-stream"
DISCOURAGED_EXTENSIONS = frozenset({".doc", ".docx", ".pdf"})
DISCOURAGED_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)
DISCOURAGED_WARNING = (
    "We prefer plain-text logs and screenshots: .doc and .pdf files can't be searched or quoted "
    "easily in replies. If you can, please also paste the relevant part as text."
)
_CHUNK = 64 * 1024
_SNIFF_BYTES = 8192  # filetype looks at the first 8 KiB at most
_SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def max_bytes() -> int:
    return int(getattr(settings, "SWITCHBOARD_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024))


def _extension(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return suffix if _SAFE_EXTENSION.fullmatch(suffix) else ""


# --- reading and sniffing ----------------------------------------------------------------------


@dataclass
class _Inspection:
    size: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)
    head: bytes = b""
    is_text: bool = True
    text_parts: list[str] = field(default_factory=list)

    def take_text(self) -> str:
        """The decoded text (once: the parts are released so it isn't held twice)."""
        text = "".join(self.text_parts)
        self.text_parts = []
        return text


def _chunks(content: bytes | File) -> Iterator[bytes]:
    if isinstance(content, bytes | bytearray | memoryview):
        data = memoryview(content)
        for start in range(0, len(data), _CHUNK):
            yield bytes(data[start : start + _CHUNK])
        return
    if content.closed:
        content.open("rb")
    if hasattr(content, "seek"):
        content.seek(0)
    for chunk in content.chunks(_CHUNK):
        yield chunk.encode() if isinstance(chunk, str) else chunk


def _declared_size(content: bytes | File) -> int | None:
    if isinstance(content, bytes | bytearray | memoryview):
        return len(content)
    try:
        return int(content.size)
    except (AttributeError, TypeError, ValueError, OSError):
        return None


def _too_large(size: int | None, limit: int) -> ValidationFailed:
    mb = 1024 * 1024
    actual = f"{size / mb:.1f} MB" if size is not None else "larger than that"
    return ValidationFailed(
        f"file: attachments can be at most {limit / mb:g} MB; this one is {actual}.",
        field="file",
        code="TooLarge",
    )


def _inspect(content: bytes | File, limit: int) -> _Inspection:
    """One pass over the content: size, SHA-256, the head for sniffing, and the text if it is."""
    declared = _declared_size(content)
    if declared is not None and declared > limit:
        raise _too_large(declared, limit)
    result = _Inspection()
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in _chunks(content):
        result.size += len(chunk)
        if result.size > limit:
            raise _too_large(declared if declared and declared > limit else None, limit)
        result.sha256.update(chunk)
        if len(result.head) < _SNIFF_BYTES:
            result.head += chunk[: _SNIFF_BYTES - len(result.head)]
        if result.is_text:
            try:
                if b"\x00" in chunk:
                    raise UnicodeDecodeError("utf-8", chunk, 0, 1, "NUL byte")
                result.text_parts.append(decoder.decode(chunk))
            except UnicodeDecodeError:
                result.is_text = False
                result.text_parts = []
    if result.is_text:
        try:
            result.text_parts.append(decoder.decode(b"", final=True))
        except UnicodeDecodeError:  # the file ends inside a multi-byte sequence
            result.is_text = False
            result.text_parts = []
    return result


def sniff_content_type(head: bytes, *, is_text: bool) -> tuple[str, str]:
    """(MIME type, extension without dot) from the first bytes; the client's type is ignored."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime), str(kind.extension)
    if is_text:
        return TEXT_PLAIN, "txt"
    return OCTET_STREAM, ""


# --- storage and rollback ----------------------------------------------------------------------


class _DeleteOnRollback:
    """Deletes a just-written file unless the transaction that wrote it commits.

    Django has no rollback hook, but a rollback drops the transaction's on-commit callbacks.
    This object is registered as one: when it is called the row committed and the file stays;
    when it is dropped without being called, the finalizer deletes the file.
    """

    def __init__(self, storage: Storage, name: str) -> None:
        self.state = {"committed": False}
        weakref.finalize(self, _delete_unless_committed, storage, name, self.state)

    def __call__(self) -> None:
        self.state["committed"] = True


def _delete_unless_committed(storage: Storage, name: str, state: dict[str, bool]) -> None:
    if state["committed"]:
        return
    try:
        storage.delete(name)
    except Exception:  # a finalizer must not raise; the orphan is logged for an operator
        log.exception("could not delete attachment file %s after a rollback", name)


def _save_file(attachment: Attachment, content: File, extension: str) -> None:
    """Write the content under a fresh random name; the file goes away if the transaction doesn't
    commit."""
    name = f"{uuid.uuid4().hex}{f'.{extension}' if extension else ''}"
    attachment.file.save(name, content, save=False)
    transaction.on_commit(
        _DeleteOnRollback(attachment.file.storage, attachment.file.name), robust=True
    )


def _delete_after_commit(storage: Storage, name: str) -> None:
    def delete() -> None:
        try:
            storage.delete(name)
        except Exception:
            log.exception("could not delete replaced attachment file %s", name)

    transaction.on_commit(delete, robust=True)


def _as_file(content: bytes | File) -> File:
    if isinstance(content, bytes | bytearray | memoryview):
        return ContentFile(bytes(content))
    if hasattr(content, "seek"):
        content.seek(0)
    return content


# --- actions -----------------------------------------------------------------------------------


def store_attachment(
    *,
    ticket: Ticket,
    uploaded_by: Actor,
    filename: str,
    content: bytes | File,
    comment: Comment | None = None,
) -> Attachment:
    """Store an upload on a ticket (optionally on one of its comments).

    Refuses empty files and files over SWITCHBOARD_ATTACHMENT_MAX_BYTES. The content type is
    sniffed; text attachments are scanned for secrets; .doc/.docx/.pdf get a warning for the
    requester. `uploaded_by=access.SYSTEM` is Switchboard itself (e.g. email intake after its own
    checks); None is refused.
    """
    access.require_actor(uploaded_by)
    if not access.is_agent(uploaded_by):
        access.require(uploaded_by, ticket, access.Action.COMMENT)
        if comment is not None and not comment.public:
            raise NotFound()
    if comment is not None and comment.ticket_id != ticket.pk:
        raise ValidationFailed(
            "comment: the comment belongs to another ticket.", field="comment", code="InvalidValue"
        )
    limit = max_bytes()
    inspection = _inspect(content, limit)
    if inspection.size == 0:
        raise ValidationFailed("file: the file is empty.", field="file", code="BlankValue")
    content_type, sniffed_extension = sniff_content_type(
        inspection.head, is_text=inspection.is_text
    )
    display_name = sanitize_filename(
        filename, fallback=f"attachment.{sniffed_extension}" if sniffed_extension else "attachment"
    )
    extension = _extension(display_name)
    warning = (
        DISCOURAGED_WARNING
        if extension in DISCOURAGED_EXTENSIONS or content_type in DISCOURAGED_TYPES
        else ""
    )
    findings: list[dict[str, object]] = []
    if content_type == TEXT_PLAIN:
        findings = [f.as_dict() for f in scan_text(inspection.take_text())]
    inspection.text_parts = []  # not needed any more; don't hold it during the write

    with transaction.atomic():
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=access.person(uploaded_by),
            filename=display_name,
            content_type=content_type,
            size=inspection.size,
            sha256=inspection.sha256.hexdigest(),
            warning=warning,
            secret_findings=findings,
        )
        # Stored under a random name with the sniffed extension: the display name is not a path.
        _save_file(attachment, _as_file(content), sniffed_extension or extension.lstrip("."))
        attachment.save()
    return attachment


def _require_agent(actor: Actor, what: str) -> User:
    """Redaction is a person's act (it names who removed what): an active agent, not SYSTEM."""
    if actor is SYSTEM or not access.is_agent(actor):
        raise PermissionDenied(f"Only agents can redact {what}.")
    return actor  # type: ignore[no-any-return]


def _findings_from(stored: list[Any], text: str) -> list[Finding]:
    """Stored findings still inside the text, plus a fresh scan for every secret in it."""
    findings = scan_text(text, limit=None)
    for data in stored or []:
        try:
            finding = Finding.from_dict(data)
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= finding.start < finding.end <= len(text):
            findings.append(finding)
    return findings


@transaction.atomic
def redact_comment(*, actor: User, comment: Comment) -> Comment:
    """Replace the secrets in a comment with [REDACTED:<kind>] markers, and clear its findings.

    If the comment is the ticket's first, the same secrets are redacted from the description.
    """
    actor = _require_agent(actor, "comments")
    ticket = Ticket.objects.select_for_update().get(pk=comment.ticket_id)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    original = comment.body
    findings = _findings_from(comment.secret_findings, original)
    if not findings and not comment.secret_findings:
        return comment
    now = timezone.now()
    comment.body = redact_text(original, findings)
    comment.secret_findings = []
    comment.redacted_at = now
    comment.save(update_fields=["body", "secret_findings", "redacted_at"])

    audit = Audit(ticket, actor, Channel.WEB, now)
    audit.change("comment_redacted", None, comment.pk)
    first = ticket.comments.order_by("created_at", "pk").values_list("pk", flat=True).first()
    if first == comment.pk and ticket.description:
        description = _redact_same_secrets(ticket.description, original, comment.body, findings)
        if description != ticket.description:
            ticket.description = description
            ticket.save(update_fields=["description"])
            audit.change("description_redacted", None, comment.pk)
    search_index.refresh([ticket.pk])  # so the redacted secrets stop matching
    audit.save()
    return comment


def _redact_same_secrets(
    description: str, body: str, redacted_body: str, found: list[Finding]
) -> str:
    if description == body:
        return redacted_body
    # The description may be a different rendering of the first comment: replace the secret
    # strings themselves (long enough not to hit ordinary words).
    secrets = sorted(
        {(body[f.start : f.end], f.kind) for f in found if f.end - f.start >= 6},
        key=lambda item: -len(item[0]),
    )
    for secret, kind in secrets:
        description = description.replace(secret, f"[REDACTED:{kind}]")
    return description


@transaction.atomic
def redact_attachment(*, actor: User, attachment: Attachment) -> Attachment:
    """Rewrite a text attachment without its secrets; a binary one is replaced by a note.

    The new content is written under a new name; the old file is deleted once the change commits.
    """
    actor = _require_agent(actor, "attachments")
    ticket = Ticket.objects.select_for_update().get(pk=attachment.ticket_id)
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    now = timezone.now()
    old_name = attachment.file.name
    storage = attachment.file.storage

    if attachment.content_type == TEXT_PLAIN:
        with storage.open(old_name, "rb") as handle:
            text = _read_text(handle)
        findings = _findings_from(attachment.secret_findings, text) if text is not None else []
        if text is not None and not findings:
            if attachment.secret_findings:
                attachment.secret_findings = []
                attachment.save(update_fields=["secret_findings"])
            return attachment
        new_text = (
            redact_text(text, findings)
            if text is not None
            else _removal_note(attachment, actor, now)
        )
    else:
        new_text = _removal_note(attachment, actor, now)
        attachment.filename = sanitize_filename(f"{attachment.filename}.redacted.txt")
        attachment.content_type = TEXT_PLAIN
        attachment.warning = ""

    data = new_text.encode("utf-8")
    attachment.size = len(data)
    attachment.sha256 = hashlib.sha256(data).hexdigest()
    attachment.secret_findings = []
    attachment.redacted_at = now
    _save_file(attachment, ContentFile(data), "txt")
    attachment.save()
    _delete_after_commit(storage, old_name)

    audit = Audit(ticket, actor, Channel.WEB, now)
    audit.change("attachment_redacted", None, attachment.pk)
    audit.save()
    return attachment


def _read_text(handle: IO[bytes]) -> str | None:
    try:
        return handle.read().decode("utf-8")
    except UnicodeDecodeError:
        return None


def _removal_note(attachment: Attachment, actor: User, at: Any) -> str:
    return (
        f"The content of {attachment.filename} was removed by {actor.name or actor.email} "
        f"on {at:%Y-%m-%d %H:%M} UTC because it contained secrets.\n"
    )
