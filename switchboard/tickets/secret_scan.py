"""Find secrets (private keys, API tokens, passwords) in comment bodies and text attachments.

Pure Python, no Django. Every pattern is linear: token patterns only start where a token can
start (a look-behind on the token alphabet), so a long run of token-like characters is walked
once, and value lengths are bounded. Findings never carry the secret itself, only a masked preview.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MAX_FINDINGS = 100

KIND_LABELS: dict[str, str] = {
    "private_key": "Private key",
    "aws_access_key": "AWS access key ID",
    "aws_secret_key": "AWS secret access key",
    "github_token": "GitHub token",
    "gitlab_token": "GitLab token",
    "slack_token": "Slack token",
    "stripe_key": "Stripe live key",
    "google_api_key": "Google API key",
    "jwt": "JSON Web Token",
    "bearer_token": "Bearer token",
    "basic_auth": "HTTP basic credentials",
    "url_password": "Password in a URL",
    "password_assignment": "Password",
    "generic_api_key": "Secret, API key or token",
}


@dataclass(frozen=True)
class Finding:
    """One secret: its kind and where it is. `preview` is masked, never the whole secret."""

    kind: str
    start: int
    end: int
    preview: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "preview": self.preview}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        start, end = data["start"], data["end"]
        if not isinstance(start, int) or not isinstance(end, int):
            raise ValueError("finding offsets must be integers")
        return cls(kind=str(data["kind"]), start=start, end=end, preview=str(data["preview"]))


# Candidates are found with str.find on a literal (fast, C speed), then the rule's regex is
# matched at that position only. Token rules skip candidates inside a longer token-character run,
# so a run is walked a bounded number of times and every scan stays linear.
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-]*")


@dataclass(frozen=True)
class _Text:
    """The text, plus an ASCII-lower-cased copy with the same offsets for case-blind literals."""

    original: str
    lowered: str

    @classmethod
    def of(cls, text: str) -> _Text:
        lowered = text.lower()
        if len(lowered) != len(text):  # e.g. "İ" lower-cases to two characters
            lowered = text.translate(_ASCII_LOWER)
        return cls(text, lowered)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


@dataclass(frozen=True)
class _Rule:
    kind: str
    literal: str  # every match starts with this (lower case when `ignore_case`)
    regex: re.Pattern[str]  # matched at the literal's position
    group: str | int = 0  # the secret's span within the match
    token: bool = True  # must not start inside a longer run of token characters
    ignore_case: bool = False
    accept: Callable[[str, re.Match[str]], bool] | None = None

    def matches(self, text: _Text) -> Iterator[tuple[str, int, int]]:
        haystack = text.lowered if self.ignore_case else text.original
        original = text.original
        pos = 0
        while (i := haystack.find(self.literal, pos)) >= 0:
            if self.token and i > 0 and original[i - 1] in _TOKEN_CHARS:
                run = _TOKEN_RUN.match(original, i)
                pos = max(run.end() if run else i + 1, i + 1)
                continue
            m = self.regex.match(original, i)
            if m is None or (self.accept is not None and not self.accept(original, m)):
                pos = i + 1
                continue
            yield self.kind, m.start(self.group), m.end(self.group)
            pos = max(m.end(), i + 1)


_Matcher = Callable[[_Text], Iterator[tuple[str, int, int]]]


# --- private keys ------------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
# When the END line is missing (a truncated paste), the key runs to the end of its base64 body.
_PEM_BODY = re.compile(
    r"(?:(?:\r?\n|\\r?\\n)(?:[A-Za-z0-9+/=]{1,200}(?=\r?\n|\\r?\\n|$)"
    r"|[A-Za-z][A-Za-z0-9-]{0,40}: [^\r\n\\]{0,200}))*"
)


def _private_keys(text: _Text) -> Iterator[tuple[str, int, int]]:
    original = text.original
    missing_end: set[str] = set()  # a label whose END line is absent is absent for later BEGINs too
    pos = 0
    while (i := original.find("-----BEGIN ", pos)) >= 0:
        m = _PEM_BEGIN.match(original, i)
        if m is None:
            pos = i + 1
            continue
        label = m.group(1)
        end_line = f"-----END {label}-----"
        end = -1 if label in missing_end else original.find(end_line, m.end())
        if end >= 0:
            stop = end + len(end_line)
        else:
            missing_end.add(label)
            body = _PEM_BODY.match(original, m.end())
            stop = body.end() if body else m.end()
        yield "private_key", m.start(), stop
        pos = stop


# --- placeholders and prose --------------------------------------------------------------------

_REFERENCE_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey")
_PLACEHOLDERS = frozenset(
    {
        "null", "none", "nil", "undefined", "true", "false", "yes", "no", "on", "off",
        "redacted", "hidden", "masked", "removed", "omitted", "secret", "password", "token",
        "required", "optional", "empty", "unset", "string", "str", "value", "example",
        "changeme", "expired", "invalid", "missing", "valid", "ok", "error", "failed", "success",
        "revoked", "refreshed", "unknown", "present", "absent", "provided", "set", "reset",
    }
)  # fmt: skip
_MASK_CHARS = frozenset("*xX.•·#?-_ ")
_VARIABLE = re.compile(r"\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*|%\(?\w*\)?s|\{\{.*\}\}")


def _is_placeholder(value: str) -> bool:
    """Values that are empty, masked, templated or a reference to where the secret lives.

    `value[-1] in "[("`: a bare value cut at a quote, as in os.environ["X"] or getenv("X").
    """
    value = value.strip()
    if not value or value[0] in "<[{(" or value[-1] in "[(" or set(value) <= _MASK_CHARS:
        return True
    lowered = value.lower()
    if lowered in _PLACEHOLDERS or _VARIABLE.fullmatch(value):
        return True
    if lowered.startswith(("your", "my_", "my-", "enter", "insert", "example", "placeholder")):
        return True
    # A reference to where the secret lives: $DB_PASSWORD, DB_PASSWORD, settings.PASSWORD,
    # os.environ["TOKEN"]. (A bare "password123" is still flagged.)
    names_a_secret = any(word in lowered for word in _REFERENCE_WORDS)
    return names_a_secret and (value.isupper() or any(c in value for c in "._$([{"))


def _value_is_real(_text: str, m: re.Match[str]) -> bool:
    return not _is_placeholder(m.group("v"))


def _rest_of_line_blank(text: str, pos: int) -> bool:
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    return pos >= n or text[pos] in "\r\n"


def _assignment_is_real(text: str, m: re.Match[str]) -> bool:
    value = m.group("v")
    if len(value.strip()) < 3 or _is_placeholder(value):
        return False
    if m.group("q"):
        return True  # quoted: "password": "..." in JSON, password='...' in code
    key = m.group("key").lower()
    if key == "pwd" and (
        value[0] in "/~" or text[max(0, m.start() - 3) : m.start()].lower() == "old"
    ):
        return False  # PWD=/home/me and OLDPWD=... in an environment dump
    if m.group("sep") == ":":
        # `password: x` is a secret in YAML and headers, not in prose ("the password: it expired").
        if len(value) < 4:
            return False
        return _rest_of_line_blank(text, m.end()) or (
            len(value) >= 6 and any(not c.isalpha() for c in value)
        )
    return True


# --- the rules ---------------------------------------------------------------------------------


def _token(kind: str, literal: str, rest: str) -> _Rule:
    return _Rule(kind, literal, re.compile(re.escape(literal) + rest))


_TOKEN_END = r"(?![A-Za-z0-9_\-])"
_TOKEN_RULES = [
    _token("aws_access_key", "AKIA", r"[A-Z0-9]{16}(?![A-Za-z0-9])"),
    _token("aws_access_key", "ASIA", r"[A-Z0-9]{16}(?![A-Za-z0-9])"),
    *(_token("github_token", f"gh{c}_", r"[A-Za-z0-9]{36,251}" + _TOKEN_END) for c in "pousr"),
    _token("github_token", "github_pat_", r"[A-Za-z0-9_]{22,244}" + _TOKEN_END),
    _token("gitlab_token", "glpat-", r"[A-Za-z0-9_\-]{20,}"),
    *(_token("slack_token", f"xox{c}-", r"[A-Za-z0-9\-]{10,}") for c in "abprs"),
    _token("stripe_key", "sk_live_", r"[A-Za-z0-9]{16,}"),
    _token("stripe_key", "rk_live_", r"[A-Za-z0-9]{16,}"),
    _token("google_api_key", "AIza", r"[A-Za-z0-9_\-]{35}" + _TOKEN_END),
    _token("jwt", "eyJ", r"[A-Za-z0-9_\-]{7,}\.eyJ[A-Za-z0-9_\-]{7,}\.[A-Za-z0-9_\-]{10,}"),
]
_SEP = r"[\"']?[ \t]*(?P<sep>=>?|:)[ \t]*"
_AWS_SECRET_VALUE = r"[\"']?(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
_AWS_SECRET_RULES = [
    _Rule(
        "aws_secret_key",
        literal,
        re.compile(
            r"(?i)(?:aws_?secret_?(?:access_?)?key|secretaccesskey)" + _SEP + _AWS_SECRET_VALUE
        ),
        group="v",
        token=False,
        ignore_case=True,
    )
    for literal in ("aws", "secretaccesskey")
]
_AUTHORIZATION = r"(?i)authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
_HEADER_RULES = [
    _Rule(
        "bearer_token",
        "authorization",
        re.compile(_AUTHORIZATION + r"bearer[ \t]+(?P<v>[A-Za-z0-9._~+/\-]{8,4096}=*)"),
        group="v",
        ignore_case=True,
        accept=_value_is_real,
    ),
    _Rule(
        "basic_auth",
        "authorization",
        re.compile(_AUTHORIZATION + r"basic[ \t]+(?P<v>[A-Za-z0-9+/]{8,4096}={0,2})"),
        group="v",
        ignore_case=True,
        accept=_value_is_real,
    ),
    # scheme://user:password@host: the span is the password.
    _Rule(
        "url_password",
        "://",
        re.compile(r"://[^\s:/@]{1,200}:(?P<v>[^\s:/@]{1,200})@"),
        group="v",
        token=False,
        accept=_value_is_real,
    ),
]


def _assignment(kind: str, literal: str, key: str) -> _Rule:
    regex = re.compile(
        rf"(?i)(?P<key>{key}){_SEP}"
        # A quoted value runs to its closing quote; a bare one stops at a space or a separator.
        r"(?P<q>[\"'])?(?P<v>(?(q)[^\"'\r\n]{1,500}|[^\s\"'&;,]{1,500}))(?(q)(?P=q))"
    )
    return _Rule(
        kind, literal, regex, group="v", token=False, ignore_case=True, accept=_assignment_is_real
    )


_ASSIGNMENT_RULES = [
    _assignment("password_assignment", "passw", r"passw(?:or)?d"),
    _assignment("password_assignment", "pwd", r"pwd"),
    _assignment("generic_api_key", "secret", r"secret(?:[_\-]?(?:access[_\-]?)?key)?"),
    _assignment("generic_api_key", "api", r"api[_\-]?key"),
    _assignment("generic_api_key", "token", r"token"),
]

# Highest priority first: where two matches overlap, the more specific kind wins.
_MATCHERS: list[_Matcher] = [
    _private_keys,
    *(rule.matches for rule in _TOKEN_RULES),
    *(rule.matches for rule in _AWS_SECRET_RULES),
    *(rule.matches for rule in _HEADER_RULES),
    *(rule.matches for rule in _ASSIGNMENT_RULES),
]


def _find(text: str, limit: int | None) -> list[Finding]:
    scanned = _Text.of(text)
    starts: list[int] = []  # accepted spans, kept sorted for the overlap check
    ends: list[int] = []
    found: list[tuple[int, int, str]] = []
    for matcher in _MATCHERS:
        accepted = 0
        for kind, start, end in matcher(scanned):
            if end <= start:
                continue
            i = bisect.bisect_left(starts, start)
            if (i < len(starts) and starts[i] < end) or (i > 0 and ends[i - 1] > start):
                continue
            starts.insert(i, start)
            ends.insert(i, end)
            found.append((start, end, kind))
            accepted += 1
            # Later matches of this kind sort after these, so past the cap they cannot matter.
            if limit is not None and accepted >= limit:
                break
    found.sort()
    if limit is not None:
        found = found[:limit]
    return [
        Finding(kind, start, end, _preview(kind, text[start:end])) for start, end, kind in found
    ]


def _preview(kind: str, secret: str) -> str:
    if kind == "private_key":
        begin = _PEM_BEGIN.match(secret)
        return f"{begin.group(0)}…" if begin else "…"
    shown = min(4, len(secret) // 4)
    if shown == 0:
        return "…"
    return f"{secret[:shown]}…{secret[-shown:]}"


def scan_text(text: str, *, limit: int | None = MAX_FINDINGS) -> list[Finding]:
    """Secrets in `text`, sorted by position, non-overlapping, the first `limit` of them."""
    if not text:
        return []
    return _find(text, limit)


def redact_text(text: str, findings: list[Finding] | None = None) -> str:
    """Replace each secret with `[REDACTED:<kind>]`.

    Without `findings`, every secret in the text is redacted (not only the first MAX_FINDINGS).
    """
    if findings is None:
        findings = scan_text(text, limit=None)
    parts: list[str] = []
    pos = 0
    for finding in sorted(findings, key=lambda f: (f.start, f.end)):
        start, end = max(finding.start, pos), min(finding.end, len(text))
        if end <= start:
            continue
        parts.append(text[pos:start])
        parts.append(f"[REDACTED:{finding.kind}]")
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
