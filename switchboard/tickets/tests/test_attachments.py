"""Storing attachments (limits, sniffing, filenames, access, rollback) and redacting secrets."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from switchboard.accounts.tests.factories import OrganizationFactory, UserFactory
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.tickets import attachments
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.attachments import (
    DISCOURAGED_WARNING,
    redact_attachment,
    redact_comment,
    sanitize_filename,
    store_attachment,
)
from switchboard.tickets.models import Attachment, AuditEvent, Comment

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
LOG = (
    "2024-05-01 10:00:01 INFO starting worker\n"
    f"2024-05-01 10:00:02 DEBUG aws_access_key_id={AWS_ID}\n"
    "2024-05-01 10:00:03 ERROR upload failed: 403\n"
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def requester(org):
    return UserFactory(organization=org)


@pytest.fixture
def ticket(requester):
    return create_ticket(
        actor=requester, requester=requester, subject="Upload fails", description="It fails."
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_content_type_is_sniffed_not_taken_from_the_client(ticket, requester, media_root):
    """A PNG uploaded as "evil.txt" with a text/plain header is stored as image/png."""
    upload = SimpleUploadedFile("evil.txt", PNG, content_type="text/plain")

    attachment = store_attachment(
        ticket=ticket, uploaded_by=requester, filename=upload.name, content=upload
    )

    attachment.refresh_from_db()
    assert attachment.content_type == "image/png"
    assert attachment.filename == "evil.txt"
    assert attachment.size == len(PNG)
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert attachment.secret_findings == []
    assert attachment.warning == ""
    # Stored under a random name with the sniffed extension, inside MEDIA_ROOT.
    (path,) = stored_files(media_root)
    assert path.suffix == ".png"
    assert path.read_bytes() == PNG
    assert path.resolve().is_relative_to(media_root.resolve() / "attachments")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"level": "error", "msg": "boom"}\n', "text/plain"),
        (b"key: value\nlist:\n  - a\n", "text/plain"),
        ("journal: caf\u00e9 \u2713\n".encode(), "text/plain"),
        (b"\xff\xfe\x00l\x00o\x00g", "application/octet-stream"),
        (b"text with a NUL \x00 byte", "application/octet-stream"),
        (b"\x80\x81\x82 not utf-8", "application/octet-stream"),
        (PDF, "application/pdf"),
    ],
    ids=["json", "yaml", "utf8", "utf16", "nul", "latin", "pdf"],
)
def test_text_is_detected_from_the_bytes(ticket, agent, content, content_type):
    """Valid UTF-8 without NUL bytes is text/plain; other unknown bytes are octet-stream."""
    attachment = store_attachment(
        ticket=ticket, uploaded_by=agent, filename="upload.bin", content=content
    )

    assert attachment.content_type == content_type


def test_a_text_log_with_an_aws_key_is_flagged_then_redacted(
    ticket, requester, agent, media_root, django_capture_on_commit_callbacks
):
    """The scan flags the key for the agent; redaction rewrites the file and audits it."""
    attachment = store_attachment(
        ticket=ticket, uploaded_by=requester, filename="worker.log", content=LOG.encode()
    )
    assert attachment.content_type == "text/plain"
    (finding,) = attachment.secret_findings
    assert finding["kind"] == "aws_access_key"
    assert LOG[finding["start"] : finding["end"]] == AWS_ID
    assert AWS_ID not in str(attachment.secret_findings)
    (old_path,) = stored_files(media_root)

    with pytest.raises(PermissionDenied):
        redact_attachment(actor=requester, attachment=attachment)
    with django_capture_on_commit_callbacks(execute=True):
        redacted = redact_attachment(actor=agent, attachment=attachment)

    redacted.refresh_from_db()
    expected = LOG.replace(AWS_ID, "[REDACTED:aws_access_key]").encode()
    assert redacted.file.read() == expected
    redacted.file.close()
    assert redacted.size == len(expected)
    assert redacted.sha256 == hashlib.sha256(expected).hexdigest()
    assert redacted.secret_findings == []
    assert redacted.redacted_at is not None
    assert not old_path.exists()
    assert len(stored_files(media_root)) == 1
    event = AuditEvent.objects.get(field="attachment_redacted")
    assert (event.kind, event.from_value, event.to_value) == ("Change", None, attachment.pk)
    assert event.audit.actor == agent
    assert event.audit.ticket == ticket


def test_files_over_the_limit_are_refused(ticket, agent, settings, media_root):
    """The message names the limit and the size, in MB; nothing is stored."""
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 1024 * 1024
    content = b"x" * (1024 * 1024 + 512 * 1024)

    with pytest.raises(ValidationFailed) as raised:
        store_attachment(ticket=ticket, uploaded_by=agent, filename="big.log", content=content)

    assert "at most 1 MB" in raised.value.message
    assert "1.5 MB" in raised.value.message
    assert raised.value.field == "file"
    assert stored_files(media_root) == []
    assert not Attachment.objects.exists()


def test_a_file_exactly_at_the_limit_is_accepted(ticket, agent, settings):
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 1000
    attachment = store_attachment(
        ticket=ticket, uploaded_by=agent, filename="a.log", content=b"y" * 1000
    )
    assert attachment.size == 1000


def test_empty_files_are_refused(ticket, agent, media_root):
    with pytest.raises(ValidationFailed, match="empty"):
        store_attachment(
            ticket=ticket,
            uploaded_by=agent,
            filename="empty.log",
            content=SimpleUploadedFile("empty.log", b""),
        )
    assert stored_files(media_root) == []


def test_path_traversal_in_the_filename_is_removed(ticket, requester, media_root):
    """ "../../etc/passwd" becomes "passwd"; the file stays inside MEDIA_ROOT/attachments."""
    attachment = store_attachment(
        ticket=ticket, uploaded_by=requester, filename="../../etc/passwd", content=b"root:x:0:0\n"
    )

    assert attachment.filename == "passwd"
    assert ".." not in attachment.file.name
    (path,) = stored_files(media_root)
    assert path.resolve().is_relative_to(media_root.resolve() / "attachments")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\boot.ini", "boot.ini"),
        ("C:\\Users\\me\\Desktop\\crash log.txt", "crash log.txt"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("report\x00.log", "report.log"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("CON.txt", "_CON.txt"),
        ("trailing dots. . .", "trailing dots"),
        ("tab\tand\nnewline.log", "tabandnewline.log"),
        ("Re\u0301sume\u0301.txt", "R\u00e9sum\u00e9.txt"),
    ],
)
def test_filenames_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_filenames_keep_their_extension():
    name = sanitize_filename("x" * 400 + ".log")

    assert len(name) == 255
    assert name.endswith("x.log")


def test_an_empty_name_falls_back_to_the_sniffed_type(ticket, agent):
    attachment = store_attachment(ticket=ticket, uploaded_by=agent, filename="../", content=PNG)

    assert attachment.filename == "attachment.png"


@pytest.mark.parametrize(
    ("filename", "content"),
    [("report.pdf", PDF), ("notes.doc", b"plain words"), ("notes.docx", b"plain words"),
     ("renamed.txt", PDF)],
)  # fmt: skip
def test_doc_and_pdf_get_a_warning(ticket, requester, filename, content):
    """.doc/.docx/.pdf (by name or by sniffed type) are accepted with a warning."""
    attachment = store_attachment(
        ticket=ticket, uploaded_by=requester, filename=filename, content=content
    )

    assert attachment.pk is not None
    assert attachment.warning == DISCOURAGED_WARNING
    assert ".doc and .pdf" in attachment.warning
    assert len(attachment.warning) <= 255


def test_an_end_user_of_another_organization_gets_not_found(ticket, media_root):
    """Outsiders can't tell the ticket exists; nothing is stored."""
    outsider = UserFactory(organization=OrganizationFactory())

    with pytest.raises(NotFound):
        store_attachment(ticket=ticket, uploaded_by=outsider, filename="a.log", content=b"hello")

    assert stored_files(media_root) == []


def test_an_end_user_cannot_attach_to_an_internal_note(ticket, requester, agent):
    from switchboard.tickets.actions.comments import add_comment

    note = add_comment(ticket=ticket, author=agent, body="internal", public=False)

    with pytest.raises(NotFound):
        store_attachment(
            ticket=ticket, uploaded_by=requester, filename="a.log", content=b"x", comment=note
        )


def test_the_comment_must_belong_to_the_ticket(ticket, agent, requester):
    other = create_ticket(actor=requester, requester=requester, subject="Other", description="x")

    with pytest.raises(ValidationFailed):
        store_attachment(
            ticket=ticket,
            uploaded_by=agent,
            filename="a.log",
            content=b"x",
            comment=other.comments.first(),
        )


def test_a_rolled_back_transaction_leaves_no_file(ticket, agent, media_root):
    """If the request's transaction rolls back after the upload, the stored file is deleted."""
    with pytest.raises(RuntimeError), transaction.atomic():
        store_attachment(ticket=ticket, uploaded_by=agent, filename="a.log", content=b"hello")
        assert len(stored_files(media_root)) == 1
        raise RuntimeError("the rest of the request failed")

    assert stored_files(media_root) == []
    assert not Attachment.objects.exists()


def test_a_failed_insert_leaves_no_file(ticket, agent, media_root, monkeypatch):
    def fail(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Attachment, "save", fail)

    with pytest.raises(IntegrityError):
        store_attachment(ticket=ticket, uploaded_by=agent, filename="a.log", content=b"hello")

    assert stored_files(media_root) == []


def test_a_committed_upload_keeps_its_file(
    ticket, agent, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachment = store_attachment(
            ticket=ticket, uploaded_by=agent, filename="a.log", content=b"hello"
        )

    assert callbacks
    assert attachment.file.storage.exists(attachment.file.name)
    assert len(stored_files(media_root)) == 1


def test_redacting_a_comment_is_audited_and_covers_the_description(requester, agent):
    """The first comment and the description lose the secret; the audit records the redaction."""
    body = f"Our worker fails.\naws_access_key_id={AWS_ID}\npassword=hunter22\n"
    ticket = create_ticket(actor=requester, requester=requester, subject="Fails", description=body)
    comment = ticket.comments.get()
    assert {f["kind"] for f in comment.secret_findings} == {
        "aws_access_key",
        "password_assignment",
    }

    with pytest.raises(PermissionDenied):
        redact_comment(actor=requester, comment=comment)
    redacted = redact_comment(actor=agent, comment=comment)

    expected = (
        "Our worker fails.\naws_access_key_id=[REDACTED:aws_access_key]\n"
        "password=[REDACTED:password_assignment]\n"
    )
    comment.refresh_from_db()
    ticket.refresh_from_db()
    assert redacted.body == comment.body == expected
    assert comment.secret_findings == []
    assert comment.redacted_at is not None
    assert ticket.description == expected
    event = AuditEvent.objects.get(field="comment_redacted")
    assert (event.kind, event.from_value, event.to_value) == (
        AuditEvent.Kind.CHANGE,
        None,
        comment.pk,
    )
    assert event.audit.actor == agent
    # Nothing in the audit trail repeats the secret.
    assert AWS_ID not in str(list(AuditEvent.objects.values_list("from_value", "to_value")))


def test_redacting_a_later_comment_leaves_the_description(ticket, requester, agent):
    from switchboard.tickets.actions.comments import add_comment

    comment = add_comment(ticket=ticket, author=requester, body="token=a1b2c3d4e5f6", public=True)

    redact_comment(actor=agent, comment=comment)

    comment.refresh_from_db()
    ticket.refresh_from_db()
    assert comment.body == "token=[REDACTED:generic_api_key]"
    assert ticket.description == "It fails."


def test_redacting_a_clean_comment_changes_nothing(ticket, agent):
    comment = ticket.comments.first()

    redact_comment(actor=agent, comment=comment)

    assert Comment.objects.get(pk=comment.pk).redacted_at is None
    assert not AuditEvent.objects.filter(field="comment_redacted").exists()


def test_a_binary_attachment_with_findings_is_replaced_by_a_note(
    ticket, agent, media_root, django_capture_on_commit_callbacks
):
    attachment = store_attachment(
        ticket=ticket, uploaded_by=agent, filename="shot.png", content=PNG
    )
    Attachment.objects.filter(pk=attachment.pk).update(
        secret_findings=[{"kind": "password_assignment", "start": 0, "end": 4, "preview": "…"}]
    )

    with django_capture_on_commit_callbacks(execute=True):
        redacted = redact_attachment(actor=agent, attachment=attachment)

    redacted.refresh_from_db()
    assert redacted.content_type == "text/plain"
    assert redacted.filename == "shot.png.redacted.txt"
    text = redacted.file.read().decode()
    redacted.file.close()
    assert "removed" in text and "shot.png" in text
    assert redacted.size == len(text.encode())
    assert redacted.secret_findings == []
    (path,) = stored_files(media_root)
    assert path.read_bytes() != PNG
    assert AuditEvent.objects.filter(field="attachment_redacted", to_value=attachment.pk).exists()


def test_a_failed_redaction_keeps_the_original_file(ticket, agent, media_root, monkeypatch):
    """The old file is deleted only after the redaction commits; a rollback drops the new one."""
    attachment = store_attachment(
        ticket=ticket, uploaded_by=agent, filename="w.log", content=LOG.encode()
    )
    (original,) = stored_files(media_root)

    def fail(*args, **kwargs):
        raise RuntimeError("audit failed")

    monkeypatch.setattr(attachments.Audit, "save", fail)
    with pytest.raises(RuntimeError):
        redact_attachment(actor=agent, attachment=attachment)

    assert stored_files(media_root) == [original]
    attachment.refresh_from_db()
    assert attachment.redacted_at is None


def test_a_disk_backed_upload_is_streamed(ticket, agent, media_root):
    """A large upload Django spooled to a temporary file is read in chunks and stored whole."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    line = "2024-05-01 10:00:00 INFO a line of an ordinary log file\n"
    data = (line * 40_000 + f"aws_access_key_id={AWS_ID}\n").encode()
    upload = TemporaryUploadedFile("big.log", "application/pdf", len(data), "utf-8")
    upload.write(data)
    upload.seek(0)

    attachment = store_attachment(
        ticket=ticket, uploaded_by=agent, filename=upload.name, content=upload
    )
    upload.close()

    assert attachment.content_type == "text/plain"
    assert attachment.size == len(data) > 2 * 1024 * 1024
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert [f["kind"] for f in attachment.secret_findings] == ["aws_access_key"]
    (path,) = stored_files(media_root)
    assert path.read_bytes() == data
