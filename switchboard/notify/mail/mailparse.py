"""Parse one raw RFC 822 message into what the intake needs: pure, no ORM, never raises.

`parse(raw)` returns a `ParsedEmail`. Input that cannot be used (too large, too many or too long
headers, MIME nested too deep, no single valid sender address) comes back with `reject_reason`
set; anything else is decoded as well as it can be: unknown or wrong charsets are replaced,
RFC 2047 garbage is kept as text, raw 8-bit header bytes are read as UTF-8, NUL bytes are
dropped, HTML is turned into text without scripts or styles.

The sender is read strictly (`sender_from`): exactly one From field naming exactly one mailbox,
parsed by the standard library's RFC 5322 header parser (`email.headerregistry`); the address
is the addr-spec, never the display name. `Sender:` is not a substitute for a missing From.

Limits (see `Limits`): the whole message at most `max_bytes` (SWITCHBOARD_INBOUND_MAX_BYTES,
passed in by the caller), the header section at most 256 KiB and 1,000 header lines, no header
line longer than 998 bytes (RFC 5322; the SMTP listener refuses such lines too), MIME nesting at
most 20 levels, at most 100 attachments, and the stored body text at most 200,000 characters (a
longer body is cut there and the intake keeps the original message as an attachment).
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.errors import InvalidHeaderDefect, NonASCIILocalPartDefect
from email.header import decode_header
from email.headerregistry import AddressHeader, HeaderRegistry
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses
from html.parser import HTMLParser

from switchboard.core.filenames import sanitize_filename


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 30 * 1024 * 1024
    max_header_bytes: int = 256 * 1024
    max_headers: int = 1000
    max_header_line: int = 998
    max_depth: int = 20
    max_attachments: int = 100
    max_text_chars: int = 200_000


DEFAULT_LIMITS = Limits()


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False


@dataclass
class ParsedEmail:
    size: int = 0
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    return_path: str | None = None
    is_automatic: bool = False
    automatic_reason: str = ""
    text: str = ""
    text_from_html: bool = False
    text_truncated: bool = False
    attachments: list[MailAttachment] = field(default_factory=list)
    dropped_attachments: int = 0
    reject_reason: str = ""

    @property
    def recipients(self) -> list[str]:
        """To, Cc and Delivered-To addresses, lower-case, each once, in that order."""
        seen: list[str] = []
        for address in [*self.to, *self.cc, *self.delivered_to]:
            if address not in seen:
                seen.append(address)
        return seen

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, most specific first: In-Reply-To, then References
        from the newest to the thread root."""
        ids: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in ids:
                ids.append(mid)
        return ids

    @property
    def reply_text(self) -> str:
        """The new part of a reply: quoted history and signature removed."""
        return strip_quoted(self.text)


# --- small decoding helpers --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")


def _clean_text(value: str) -> str:
    """Drop NUL and other control characters (PostgreSQL refuses NUL in text)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _charset_ok(charset: str | None) -> str:
    if not charset:
        return "utf-8"
    charset = charset.strip().strip('"').lower()
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError):
        return "utf-8"
    return charset


def _decode_bytes(data: bytes, charset: str | None) -> str:
    name = _charset_ok(charset)
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError, ValueError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(name if name != "utf-8" else "latin-1", errors="replace")


def _header_str(value: object) -> str:
    """A raw header value as text: 8-bit bytes (kept as surrogate escapes by the parser) are read
    as UTF-8 (RFC 6532, SMTPUTF8), falling back to Latin-1 for legacy 8-bit mail."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            return str(value)
        except Exception:  # a malformed Header object
            return ""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return _decode_bytes(value.encode("utf-8", "surrogateescape"), "utf-8")
    return value


_ENCODED_RUN = re.compile(
    r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=(?:[ \t\r\n]+=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)*"
)


def _decode_run(run: str) -> str:
    try:
        parts = decode_header(run)
    except Exception:  # HeaderParseError, binascii errors on broken base64
        return run
    return "".join(
        _decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in parts
    )


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; garbage and unknown charsets become replacement text.
    Text around them (also raw UTF-8) is kept as it is."""
    if "=?" not in value:
        return value
    return _ENCODED_RUN.sub(lambda match: _decode_run(match.group(0)), value)


def _all_headers(msg: Message, name: str) -> list[str]:
    """Every value of header `name`, as sent. `raw_items` rather than `get_all`: the compat32
    policy turns 8-bit values into `Header` objects that print undecodable bytes as U+FFFD."""
    wanted = name.lower()
    try:
        return [_header_str(v) for k, v in msg.raw_items() if k.lower() == wanted]
    except Exception:
        return []


def header_text(msg: Message, name: str) -> str:
    values = _all_headers(msg, name)
    text = decode_words(values[0]) if values else ""
    return " ".join(_clean_text(text).split())


def _addresses(values: list[str]) -> list[str]:
    result: list[str] = []
    try:
        pairs = getaddresses(values)
    except Exception:
        return result
    for _name, address in pairs:
        address = _clean_text(address).strip().lower()
        if _ADDRESS.match(address) and address not in result:
            result.append(address)
    return result


def _message_ids(value: str) -> list[str]:
    return [m for m in _MESSAGE_ID.findall(value) if m.isascii()]


# --- the sender -------------------------------------------------------------------------------

# A From naming one mailbox fits on one line; the structured parser below is quadratic in the
# worst case and recursive in comment nesting, so it never sees more than this.
MAX_SENDER_CHARS = 998
MAX_COMMENT_DEPTH = 8
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_REGISTRY = HeaderRegistry()


@dataclass(frozen=True)
class Sender:
    address: str = ""
    name: str = ""
    reject_reason: str = ""


def _comment_depth(value: str) -> int:
    depth = deepest = 0
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    return deepest


def _shown(value: str) -> str:
    return " ".join(_clean_text(value).split())[:80]


def sender_from(from_values: list[str], *, has_sender_header: bool = False) -> Sender:
    """The author of a message, strictly: exactly one From field with exactly one mailbox whose
    addr-spec has a domain. Anything else is refused with the reason (several or no addresses,
    a display name that is really an unquoted address, groups, over-long or deeply nested
    values). Linear in the input: the length and nesting checks come before the parser."""
    if not from_values:
        if has_sender_header:
            return Sender(reject_reason="no From header (a Sender header alone is not accepted)")
        return Sender(reject_reason="no From header")
    if len(from_values) > 1:
        shown = _shown(" | ".join(from_values))
        return Sender(
            reject_reason=f"{len(from_values)} From headers (exactly one is allowed): {shown!r}"
        )
    value = _FOLD.sub("", from_values[0]).strip()
    if not value:
        return Sender(reject_reason="empty From header")
    if len(value) > MAX_SENDER_CHARS:
        return Sender(reject_reason=f"From header longer than {MAX_SENDER_CHARS} characters")
    if _comment_depth(value) > MAX_COMMENT_DEPTH:
        return Sender(reject_reason="From header with comments nested too deep")
    header = _REGISTRY("From", _CONTROL.sub("", value).replace("\r", " ").replace("\n", " "))
    if not isinstance(header, AddressHeader):  # the registry maps From to an address header
        return Sender(reject_reason="unreadable From header")
    defects = [
        d
        for d in header.defects
        if isinstance(d, InvalidHeaderDefect) and not isinstance(d, NonASCIILocalPartDefect)
    ]
    addresses = list(header.addresses)
    if any(group.display_name is not None for group in header.groups):
        return Sender(reject_reason=f"From is a group, not a mailbox: {_shown(value)!r}")
    if len(addresses) > 1:
        return Sender(
            reject_reason=(
                f"From names {len(addresses)} addresses (exactly one is allowed): {_shown(value)!r}"
            )
        )
    if not addresses or not addresses[0].domain:
        return Sender(reject_reason=f"no sender address (From: {_shown(value)!r})")
    if defects:
        # e.g. `agent@example.com <mallory@evil.test>`: an address where a name belongs.
        return Sender(reject_reason=f"malformed From header ({defects[0]}): {_shown(value)!r}")
    address = _clean_text(addresses[0].addr_spec).strip().lower()
    if not _ADDRESS.match(address):
        return Sender(reject_reason=f"no sender address (From: {_shown(value)!r})")
    name = " ".join(_clean_text(addresses[0].display_name or "").split())[:255]
    return Sender(address=address, name=name)


# --- HTML to text ------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "svg", "object", "iframe"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable text from HTML: scripts, styles and the head dropped, blocks on their own lines."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except Exception:  # html.parser is lenient, but be sure
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- quoted history and signatures ------------------------------------------------------------

_ATTRIBUTION = re.compile(
    r"^\s*("
    r"On\b.{0,300}\bwrote:"  # Gmail, Apple Mail, Thunderbird
    r"|Le\b.{0,300}\ba [ée]crit\s?:"
    r"|Am\b.{0,300}\bschrieb.{0,200}:"
    r"|El\b.{0,300}\bescribi[óo]:"
    r"|Op\b.{0,300}\bschreef.{0,200}:"
    r"|Il\b.{0,300}\bha scritto:"
    r"|Em\b.{0,300}\bescreveu:"
    r"|W dniu\b.{0,300}\bpisze:"
    r"|.{0,300}\bнаписал(?:\(а\))?:"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Mensaje original|Oorspronkelijk bericht|Messaggio originale|Forwarded message)\s*-{2,}"
    r"|-{4,}\s*Original message\s*-{4,}|_{20,})\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(From|De|Von|Van|Da|Från)\s?\*?:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Envoyé|Gesendet|Verzonden|Inviato|Enviado|Datum|To|Subject|Objet|"
    r"Betreff|Onderwerp|Oggetto|Asunto|Para|An|À)\s?\*?:",
    re.IGNORECASE,
)
_MOBILE_FOOTER = re.compile(r"^\s*(Sent from my .{1,60}|Get Outlook for .{1,40})\s*$", re.I)


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return i
        if _ATTRIBUTION.match(line):
            return i
        # Gmail wraps a long attribution over two lines: "On ... <a@b.c>" / "wrote:"
        if i + 1 < len(lines) and line.strip() and _ATTRIBUTION.match(line + " " + lines[i + 1]):
            return i
        # Outlook: "From: ..." followed by Sent/Date/To/Subject lines
        if _HEADER_FROM.match(line):
            following = [candidate for candidate in lines[i + 1 : i + 5] if candidate.strip()]
            if sum(1 for candidate in following if _HEADER_NEXT.match(candidate)) >= 2:
                return i
    return None


def strip_quoted(text: str) -> str:
    """The new text of a reply: cut at the quoted history, the signature ("-- ") and trailing
    "> " quotes. If nothing would be left, the text is returned unchanged."""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is not None:
        lines = lines[:start]
    for i, line in enumerate(lines):
        if line.rstrip("\r") in ("-- ", "--"):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    while lines and _MOBILE_FOOTER.match(lines[-1]):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    result = "\n".join(lines).strip()
    return result or text.strip()


# --- automatic mail ---------------------------------------------------------------------------

_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|noreply-dmarc)@", re.IGNORECASE)


def automatic_reason(msg: Message, from_address: str, return_path: str | None) -> str:
    """Why this message is an auto-reply, bounce or bulk mail ("" if it is not)."""
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto[:60]}"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if return_path is not None and not return_path.strip().strip("<>").strip():
        return "empty return path (bounce)"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = header_text(msg, name).lower()
        if value and value not in ("no", "false", "0"):
            return f"{name}: {value[:40]}"
    suppress = header_text(msg, "X-Auto-Response-Suppress").lower()
    if any(token in suppress for token in ("all", "oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress[:40]}"
    if _DAEMONS.match(from_address):
        return f"sent by {from_address.split('@')[0]}"
    if msg.get_content_type() == "multipart/report":
        return "delivery status report (multipart/report)"
    return ""


# --- body and attachments ---------------------------------------------------------------------

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "application/pdf": ".pdf",
}


@dataclass
class _Walk:
    limits: Limits
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    dropped: int = 0
    too_deep: bool = False


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _walk(part: Message, depth: int, state: _Walk) -> None:
    if depth > state.limits.max_depth:
        state.too_deep = True
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        # A forwarded or attached message is kept whole as an .eml, not mixed into the text.
        _add_attachment(state, part, ctype, _embedded_message(part))
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            # multipart/alternative: both parts are collected; plain text wins in _parse.
            for child in payload:
                if isinstance(child, Message):
                    _walk(child, depth + 1, state)
        return
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _clean_text(_decode_bytes(_payload_bytes(part), part.get_content_charset()))
        (state.plain if ctype == "text/plain" else state.html).append(text)
        return
    _add_attachment(state, part, ctype, _payload_bytes(part))


def _embedded_message(part: Message) -> bytes:
    try:
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0].as_bytes()
    except Exception:  # an embedded message too broken to serialise
        return b""
    return b""


def _add_attachment(state: _Walk, part: Message, ctype: str, content: bytes) -> None:
    if not content:
        return
    try:
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
    except Exception:
        disposition, filename = "", None
    if len(state.attachments) >= state.limits.max_attachments:
        state.dropped += 1
        return
    fallback = "attachment" + _EXTENSIONS.get(ctype, "")
    state.attachments.append(
        MailAttachment(
            filename=sanitize_filename(
                _clean_text(decode_words(filename or "")), fallback=fallback
            ),
            content_type=ctype,
            content=content,
            inline=disposition == "inline",
        )
    )


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _header_section(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index != -1:
            return raw[:index]
    return raw


def parse(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedEmail:
    """Parse a raw message. Never raises; unusable input gets `reject_reason`."""
    result = ParsedEmail(size=len(raw or b""))
    try:
        return _parse(raw or b"", limits, result)
    except Exception as exc:  # a parser bug must not crash the intake: reject, keep the reason
        result.reject_reason = f"unreadable message ({type(exc).__name__})"
        return result


def _parse(raw: bytes, limits: Limits, result: ParsedEmail) -> ParsedEmail:
    if not raw.strip():
        result.reject_reason = "empty message"
        return result
    if len(raw) > limits.max_bytes:
        result.reject_reason = f"message larger than {_size(limits.max_bytes)}"
        return result
    head = _header_section(raw)
    if len(head) > limits.max_header_bytes:
        result.reject_reason = f"header section larger than {limits.max_header_bytes // 1024} KiB"
        return result
    longest = max((len(line.rstrip(b"\r")) for line in head.split(b"\n")), default=0)
    if longest > limits.max_header_line:
        result.reject_reason = f"a header line longer than {limits.max_header_line} bytes"
        return result
    header_lines = sum(
        1 for line in head.splitlines() if line[:1] not in (b" ", b"\t") and b":" in line
    )
    if header_lines > limits.max_headers:
        result.reject_reason = f"more than {limits.max_headers} header fields"
        return result

    msg = message_from_bytes(raw, policy=compat32)
    sender = sender_from(
        _all_headers(msg, "From"), has_sender_header=bool(_all_headers(msg, "Sender"))
    )
    result.from_address = sender.address
    result.from_name = sender.name
    result.to = _addresses(_all_headers(msg, "To"))
    result.cc = _addresses(_all_headers(msg, "Cc"))
    result.delivered_to = _addresses(
        _all_headers(msg, "Delivered-To") + _all_headers(msg, "X-Original-To")
    )
    result.subject = header_text(msg, "Subject")
    ids = _message_ids(header_text(msg, "Message-ID"))
    result.message_id = ids[0] if ids else ""
    result.in_reply_to = _message_ids(header_text(msg, "In-Reply-To"))
    result.references = _message_ids(header_text(msg, "References"))[-50:]
    return_paths = _all_headers(msg, "Return-Path")
    result.return_path = return_paths[0].strip() if return_paths else None
    result.automatic_reason = automatic_reason(msg, sender.address, result.return_path)
    result.is_automatic = bool(result.automatic_reason)

    state = _Walk(limits)
    _walk(msg, 0, state)
    if state.too_deep:
        result.reject_reason = f"MIME parts nested deeper than {limits.max_depth} levels"
        return result
    if any(t.strip() for t in state.plain):
        text = "\n\n".join(t.strip() for t in state.plain if t.strip())
    elif state.html:
        text = "\n\n".join(html_to_text(h) for h in state.html)
        result.text_from_html = True
    else:
        text = ""
    text = text.strip()
    if len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        result.text_truncated = True
    result.text = text
    result.attachments = state.attachments
    result.dropped_attachments = state.dropped
    if sender.reject_reason:
        result.reject_reason = sender.reject_reason
    return result
