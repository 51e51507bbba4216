"""The pure email parser: headers, bodies, automatic mail, quoted history, limits."""

# ruff: noqa: E501  (the From tables keep one case per line)

from __future__ import annotations

import time
from pathlib import Path

import pytest

from switchboard.notify.mail.mailparse import Limits, html_to_text, parse, strip_quoted

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gmail_reply.eml", "Thanks, the new version fixed it."),
        ("outlook_reply.eml", "Hi,\n\nThe logs are attached to the ticket now. Grüße\n\nBob"),
        ("outlook_web_reply.eml", "Confirmed on our side as well."),
        ("apple_reply.eml", "Works now, thank you!"),
        ("french_reply.eml", "Merci, tout fonctionne."),
    ],
)
def test_reply_text_strips_quoted_history_and_signature(name: str, expected: str) -> None:
    """Gmail, Outlook (desktop and web), Apple Mail and French attributions: only the new text."""
    parsed = parse(sample(name))
    assert parsed.reject_reason == ""
    assert parsed.reply_text == expected


def test_gmail_sample_headers() -> None:
    """Threading headers, addresses and the plain part of multipart/alternative are read."""
    parsed = parse(sample("gmail_reply.eml"))
    assert parsed.from_address == "ann@customer0.test"
    assert parsed.from_name == "Ann Customer"
    assert parsed.to == ["support@switchboard.test"]
    assert parsed.message_id == "<CAgmail123@mail.gmail.com>"
    assert parsed.in_reply_to == ["<sb.42.abcdef0123456789@switchboard.test>"]
    assert parsed.thread_ids == [
        "<sb.42.abcdef0123456789@switchboard.test>",
        "<sb.42@switchboard.test>",
    ]
    assert not parsed.text_from_html
    assert not parsed.is_automatic


def test_strip_quoted_keeps_text_when_everything_is_quoted() -> None:
    """A reply that is only a quote is kept whole rather than emptied."""
    assert strip_quoted("> only quoted\n> lines") == "> only quoted\n> lines"


def test_interleaved_quotes_are_kept() -> None:
    """Quotes in the middle of an answer are part of the answer; trailing ones are dropped."""
    text = "> question one\nanswer one\n> question two\nanswer two\n\n> old footer"
    assert strip_quoted(text) == "> question one\nanswer one\n> question two\nanswer two"


def test_html_to_text_drops_scripts_styles_and_head() -> None:
    """HTML becomes readable text; script and style content never reaches the ticket."""
    markup = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>Hello &amp; welcome</p><script>alert('x')</script><ul><li>one</li><li>two</li></ul>"
        "<br>bye</body></html>"
    )
    text = html_to_text(markup)
    assert "alert" not in text and "color" not in text and "<" not in text
    assert "Hello & welcome" in text
    assert "- one" in text and "- two" in text
    assert text.endswith("bye")


def test_html_only_mail_uses_converted_text() -> None:
    raw = (
        b"From: a@example.test\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Visible</p><script>document.cookie</script>"
    )
    parsed = parse(raw)
    assert parsed.text == "Visible"
    assert parsed.text_from_html


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: list", "Precedence: list"),
        ("Return-Path: <>", "empty return path (bounce)"),
        ("X-Autoreply: yes", "X-Autoreply: yes"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: all"),
    ],
)
def test_automatic_mail_is_recognised(headers: str, reason: str) -> None:
    raw = f"From: a@example.test\r\n{headers}\r\nSubject: Out of office\r\n\r\nAway.".encode()
    parsed = parse(raw)
    assert parsed.is_automatic
    assert parsed.automatic_reason == reason


def test_auto_submitted_no_is_a_normal_mail() -> None:
    """`Auto-Submitted: no` is what a person's mail client may send: not automatic."""
    raw = b"From: a@example.test\r\nAuto-Submitted: no\r\nSubject: Help\r\n\r\nPlease help."
    assert not parse(raw).is_automatic


def test_mailer_daemon_and_reports_are_automatic() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.test\r\nSubject: Undelivered\r\n\r\nbounce"
    assert parse(raw).automatic_reason == "sent by mailer-daemon"


def test_subject_rfc2047_any_charset_and_garbage() -> None:
    """Encoded words decode in any charset; unknown charsets and broken base64 never raise."""
    good = (
        b"From: a@example.test\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?= =?utf-8?b?8J+YgA==?=\r\n\r\nx"
    )
    assert parse(good).subject == "Grüße😀"
    unknown = b"From: a@example.test\r\nSubject: =?x-unknown-42?q?hello?=\r\n\r\nx"
    assert parse(unknown).subject == "hello"
    garbage = b"From: a@example.test\r\nSubject: =?utf-8?b?####?= =?utf-8?q?=ZZ?=\r\n\r\nx"
    assert parse(garbage).reject_reason == ""


def test_wrong_charset_body_is_replaced_not_raised() -> None:
    raw = (
        b"From: a@example.test\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"caf\xe9 \xff\xfe ok"
    )
    parsed = parse(raw)
    assert parsed.text.endswith("ok")
    assert "caf" in parsed.text


def test_nul_bytes_are_removed() -> None:
    raw = b"From: a@example.test\r\nSubject: a\x00b\r\n\r\nbo\x00dy"
    parsed = parse(raw)
    assert parsed.subject == "ab"
    assert parsed.text == "body"


def test_attachments_kept_with_sanitised_names() -> None:
    raw = (
        b"From: a@example.test\r\nSubject: logs\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="../../etc/pa:ss.log"\r\n\r\n'
        b"line 1\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=\r\n--b--\r\n"
    )
    parsed = parse(raw)
    assert parsed.text == "See attached."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("pa_ss.log", "text/plain"),
        ("attachment.png", "image/png"),
    ]
    assert parsed.attachments[1].inline
    assert parsed.attachments[1].content.startswith(b"\x89PNG")


def test_attachment_names_follow_the_upload_rules() -> None:
    """Email attachments are named by the same rules as uploads (core.filenames): a Windows
    device name is escaped and an RFC 2047 encoded name is decoded first."""
    raw = (
        b"From: a@example.test\r\nSubject: logs\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="CON.txt"\r\n\r\nx\r\n'
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?r=C3=A9sum=C3=A9.txt?="\r\n\r\n'
        b"y\r\n--b--\r\n"
    )
    assert [a.filename for a in parse(raw).attachments] == ["_CON.txt", "r\u00e9sum\u00e9.txt"]


def test_limits_reject_instead_of_raising() -> None:
    limits = Limits(max_bytes=1000, max_header_bytes=200, max_headers=5, max_depth=3)
    assert (
        "larger than" in parse(b"From: a@example.test\r\n\r\n" + b"x" * 2000, limits).reject_reason
    )
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(10)) + b"From: a@example.test\r\n\r\nx"
    assert parse(many, limits).reject_reason == "more than 5 header fields"
    long_header = b"From: a@example.test\r\nX-Long: " + b"a" * 300 + b"\r\n\r\nx"
    assert "header section" in parse(long_header, limits).reject_reason


def test_long_body_is_truncated_at_the_documented_limit() -> None:
    raw = b"From: a@example.test\r\nSubject: big\r\n\r\n" + b"y" * 500
    parsed = parse(raw, Limits(max_text_chars=100))
    assert parsed.text_truncated
    assert len(parsed.text) == 100


def test_no_from_and_name_only_from_are_rejected() -> None:
    assert parse(b"Subject: x\r\n\r\nbody").reject_reason == "no From header"
    name_only = parse(b"From: Just A Name\r\nSubject: x\r\n\r\nbody")
    assert name_only.reject_reason.startswith("no sender address")


def test_empty_and_binary_input_never_raise() -> None:
    assert parse(b"").reject_reason == "empty message"
    assert parse(bytes(range(256)) * 10).reject_reason != ""


def test_forwarded_message_is_kept_as_an_eml_attachment() -> None:
    """An attached message/rfc822 stays whole; its text does not leak into the body."""
    raw = (
        b"From: a@example.test\r\nSubject: Fwd: alert\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="o"\r\n\r\n'
        b"--o\r\nContent-Type: text/plain\r\n\r\nSee the forwarded alert.\r\n"
        b"--o\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: monitor@example.test\r\nSubject: disk full\r\n\r\ninner body\r\n"
        b"--o--\r\n"
    )
    parsed = parse(raw)
    assert parsed.text == "See the forwarded alert."
    [forwarded] = parsed.attachments
    assert forwarded.filename == "attachment.eml"
    assert b"inner body" in forwarded.content


# --- the sender, strictly ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_value", "address", "name"),
    [
        ("Ann Customer <ann@example.test>", "ann@example.test", "Ann Customer"),
        ("<ann@example.test>", "ann@example.test", ""),
        ("ann@example.test (Ann)", "ann@example.test", ""),
        ('"Doe, John" <john@example.test>', "john@example.test", "Doe, John"),
        ("John Q. Public <john@example.test>", "john@example.test", "John Q. Public"),
        ('"agent@switchboard.test" <mallory@evil.test>', "mallory@evil.test", "agent@switchboard.test"),
        ("=?utf-8?q?agent@switchboard.test?= <mallory@evil.test>", "mallory@evil.test", "agent@switchboard.test"),
        ("=?utf-8?q?J=C3=B6rg?= <jorg@example.test>", "jorg@example.test", "Jörg"),
        ("ANN@Example.TEST", "ann@example.test", ""),
    ],
)  # fmt: skip
def test_sender_is_the_addr_spec_never_the_display_name(from_value, address, name) -> None:
    """Whatever the display name says, the sender is the mailbox's own address."""
    parsed = parse(f"From: {from_value}\r\nSubject: x\r\n\r\nbody".encode())
    assert parsed.reject_reason == ""
    assert (parsed.from_address, parsed.from_name) == (address, name)


@pytest.mark.parametrize(
    ("from_lines", "reason"),
    [
        (["agent@switchboard.test <mallory@evil.test>"], "malformed From header"),
        (["agent@switchboard.test<mallory@evil.test>"], "malformed From header"),
        (["Mallory <mallory@evil.test> agent@switchboard.test"], "malformed From header"),
        (["mallory@evil.test, agent@switchboard.test"], "From names 2 addresses"),
        (["mallory@evil.test", "agent@switchboard.test"], "2 From headers"),
        (["undisclosed-recipients:;"], "From is a group"),
        (["Staff: agent@switchboard.test;"], "From is a group"),
        (["Agent <>"], "no sender address"),
        (["The Boss"], "no sender address"),
        (["root@localhost"], "no sender address"),
        ([""], "empty From header"),
        (["(" * 50 + "a@example.test"], "From header with comments nested too deep"),
        (["a " * 400 + "\r\n " + "a " * 400 + "<a@example.test>"], "From header longer than 998 characters"),
    ],
)  # fmt: skip
def test_sender_headers_that_do_not_name_one_mailbox_are_rejected(from_lines, reason) -> None:
    """Several, no, or disguised addresses: the message is rejected with the reason."""
    head = "".join(f"From: {line}\r\n" for line in from_lines)
    parsed = parse(f"{head}Subject: x\r\n\r\nbody".encode())
    assert parsed.from_address == ""
    assert parsed.reject_reason.startswith(reason), parsed.reject_reason


def test_sender_header_alone_is_not_a_from() -> None:
    """docs/notifications.md: From is required; a Sender header does not stand in for it."""
    parsed = parse(b"Sender: sam@example.test\r\nSubject: x\r\n\r\nbody")
    assert parsed.from_address == ""
    assert parsed.reject_reason == "no From header (a Sender header alone is not accepted)"
    # With a From, the From is the sender and Sender changes nothing.
    both = parse(b"From: ann@example.test\r\nSender: sam@example.test\r\nSubject: x\r\n\r\nb")
    assert (both.from_address, both.reject_reason) == ("ann@example.test", "")


def test_raw_utf8_headers_decode_as_utf8() -> None:
    """SMTPUTF8 mail: raw 8-bit header bytes are UTF-8, next to encoded words too."""
    raw = (
        "From: Jörg Müller <jörg@exämple.test>\r\nTo: support@switchboard.test\r\n"
        "Subject: Grüße aus Köln =?utf-8?q?und_M=C3=BCnchen?=\r\n\r\nHallo"
    ).encode()
    parsed = parse(raw)
    assert parsed.reject_reason == ""
    assert parsed.subject == "Grüße aus Köln und München"
    assert parsed.from_name == "Jörg Müller"
    assert parsed.from_address == "jörg@exämple.test"
    latin1 = parse("From: a@example.test\r\nSubject: Grüße\r\n\r\nb".encode("latin-1"))
    assert latin1.subject == "Grüße"


def test_header_lines_longer_than_rfc_5322_allows_are_rejected() -> None:
    """The pipe and IMAP paths cap header lines as the SMTP listener does (998 bytes)."""
    ok = b"From: a@example.test\r\nSubject: " + b"s" * 989 + b"\r\n\r\nb"
    assert parse(ok).reject_reason == ""
    too_long = b"From: a@example.test\r\nSubject: " + b"s" * 990 + b"\r\n\r\nb"
    assert parse(too_long).reject_reason == "a header line longer than 998 bytes"
    assert "longer than 20" in parse(ok, Limits(max_header_line=20)).reject_reason


def _parse_seconds(raw: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()  # CPU of this process, not the wall clock
        parse(raw)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: "a " * (n // 2) + "<a@example.test>",
        lambda n: "," * n,
        lambda n: "(" * n,
        lambda n: "\r\n ".join(["a " * 200] * (n // 400)) + "<a@example.test>",
        lambda n: '"' * n,
        lambda n: "a:" * (n // 2),
    ],
    ids=["words", "commas", "nested comments", "folded words", "quotes", "groups"],
)
def test_huge_from_is_rejected_in_linear_time(shape) -> None:
    """An 80 KB From costs about 8 times a 10 KB one (not 64): nothing quadratic sees it."""

    def message(n: int) -> bytes:
        return f"From: {shape(n)}\r\nSubject: x\r\n\r\nbody".encode()

    small, large = _parse_seconds(message(10_000)), _parse_seconds(message(80_000))
    assert parse(message(80_000)).reject_reason
    # Linear means ~8x; the bound leaves room for noise on a shared machine, far below 64x.
    assert large < 24 * small + 0.05, (small, large)
