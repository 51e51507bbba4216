"""The secret scanner: every kind found with its exact span, ordinary text left alone."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.tickets.secret_scan import (
    KIND_LABELS,
    MAX_FINDINGS,
    Finding,
    redact_text,
    scan_text,
)

# Token-shaped values are assembled here so the test file itself doesn't look like it leaks keys.
GITHUB = "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8"
GITHUB_OAUTH = "gho_" + "Z9y8X7w6V5" * 3 + "u4T3s2"
GITHUB_APP = "ghs_" + "q1W2e3R4t5" * 3 + "y6U7i8"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789abc" + "_" + "x1Y2z3" * 9 + "AbCdE"
GITLAB = "glpat-" + "Ab3dEf6hIj9kLm2nOp5q"
SLACK = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_" + "live_" + "51H" + "aB3cD4eF5gH6iJ7kL8mN9oP0"
STRIPE_RESTRICTED = "rk_" + "live_" + "51H" + "zY9xW8vU7tS6rQ5pO4nM3lK2"
GOOGLE = "AIza" + "SyD" + "-9tSrke72PouQMnMX7Ab3dEfGh1J2kLm"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_STS_ID = "ASIA" + "Y34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
RSA_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
    "-----END RSA PRIVATE KEY-----"
)

TRUNCATED = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcN\nLYLInFEX6Ppy1tPf9"


def _key(label: str) -> str:
    return f"-----BEGIN {label}-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END {label}-----"


# (text, kind, the exact secret within the text)
DETECTED = [
    (f"config:\n{RSA_KEY}\nmore", "private_key", RSA_KEY),
    (f"x {_key('EC PRIVATE KEY')} y", "private_key", _key("EC PRIVATE KEY")),
    (f"{_key('OPENSSH PRIVATE KEY')}\n", "private_key", _key("OPENSSH PRIVATE KEY")),
    (f"{_key('PRIVATE KEY')}", "private_key", _key("PRIVATE KEY")),
    (f"{_key('ENCRYPTED PRIVATE KEY')}", "private_key", _key("ENCRYPTED PRIVATE KEY")),
    (f"{_key('PGP PRIVATE KEY BLOCK')}", "private_key", _key("PGP PRIVATE KEY BLOCK")),
    (
        # Truncated paste: no END line, the key runs to the end of its base64 body.
        f"{TRUNCATED}\n\nThanks!",
        "private_key",
        TRUNCATED,
    ),
    (
        '{"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n'
        '-----END PRIVATE KEY-----\\n"}',
        "private_key",
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n"
        "-----END PRIVATE KEY-----",
    ),
    (f"aws_access_key_id={AWS_ID}", "aws_access_key", AWS_ID),
    (f"Credentials: {AWS_STS_ID}.", "aws_access_key", AWS_STS_ID),
    (f"aws_secret_access_key = {AWS_SECRET}\n", "aws_secret_key", AWS_SECRET),
    (f'AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"', "aws_secret_key", AWS_SECRET),
    (f'  "SecretAccessKey": "{AWS_SECRET}",', "aws_secret_key", AWS_SECRET),
    (f"git clone https://{GITHUB}@github.com/acme/app", "github_token", GITHUB),
    (f"GITHUB_TOKEN={GITHUB_OAUTH}", "github_token", GITHUB_OAUTH),
    (f"using {GITHUB_APP} for the app", "github_token", GITHUB_APP),
    (f"pat: {GITHUB_PAT}", "github_token", GITHUB_PAT),
    (f"PRIVATE-TOKEN: {GITLAB}", "gitlab_token", GITLAB),
    (f"slack bot {SLACK} posted", "slack_token", SLACK),
    (f"Stripe.api_key = '{STRIPE}'", "stripe_key", STRIPE),
    (f"restricted {STRIPE_RESTRICTED}", "stripe_key", STRIPE_RESTRICTED),
    (f"maps?key={GOOGLE}&v=3", "google_api_key", GOOGLE),
    (f"cookie session={JWT}; path=/", "jwt", JWT),
    (f"curl -H 'Authorization: Bearer {JWT}'", "jwt", JWT),
    (
        "Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543",
        "bearer_token",
        "8f14e45fceea167a5a36dedd4bea2543",
    ),
    ('"authorization": "bearer abc.DEF-123_456~xyz"', "bearer_token", "abc.DEF-123_456~xyz"),
    ("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "basic_auth", "YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("DATABASE_URL=postgres://app:s3cr3t-pw@db:5432/app", "url_password", "s3cr3t-pw"),
    ("password=hunter2 user=bob", "password_assignment", "hunter2"),
    ("db:\n  password: supersecret\n", "password_assignment", "supersecret"),
    ('{"password": "hunter2 with spaces"}', "password_assignment", "hunter2 with spaces"),
    ("mysql -u root --password=Tr0ub4dor&3", "password_assignment", "Tr0ub4dor"),
    ("DB_PASSWORD='p@ss;word'", "password_assignment", "p@ss;word"),
    ("passwd: s3cret!x in the config", "password_assignment", "s3cret!x"),
    ("PWD=letmein123", "password_assignment", "letmein123"),
    ("'password' => 'Pa55word'", "password_assignment", "Pa55word"),
    ("client_secret=9f8e7d6c5b4a", "generic_api_key", "9f8e7d6c5b4a"),
    ("SECRET_KEY = 'django-insecure-abc123'", "generic_api_key", "django-insecure-abc123"),
    ("x-api-key: 0123456789abcdef", "generic_api_key", "0123456789abcdef"),
    ("https://host/cb?code=1&token=a1b2c3d4e5&state=x", "generic_api_key", "a1b2c3d4e5"),
    ("API_KEY=abcd1234efgh", "generic_api_key", "abcd1234efgh"),
]


@pytest.mark.parametrize(("text", "kind", "secret"), DETECTED)
def test_each_kind_is_found_with_its_exact_span(text: str, kind: str, secret: str) -> None:
    """Each secret is reported once, with its kind and the exact span of the secret."""
    findings = scan_text(text)

    start = text.index(secret)
    assert [(f.kind, f.start, f.end) for f in findings] == [(kind, start, start + len(secret))]
    assert kind in KIND_LABELS


BENIGN = [
    "I forgot my password and can't log in.",
    "The password reset email never arrived; can you resend the password link?",
    "Please reset the password: the user is locked out since Monday.",
    "Refreshing token: OK",
    "token: expired",
    "the secret: don't tell anyone",
    "request id=5f2b1c9e-8a7d-4e3b-9c1a-2b3c4d5e6f70 finished",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)",
    "fixed in a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 and 2fd4e1c6",
    '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk'
    'YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">',
    "password=",
    "password=\nuser=bob",
    "password: \n",
    "password=<your password>",
    "password=*****",
    "password: ********",
    "password=xxxxxxxx",
    'password=""',
    "password=None",
    "password=$DB_PASSWORD",
    "password=${DB_PASSWORD}",
    "password = os.environ['DB_PASSWORD']",
    "password=settings.DATABASE_PASSWORD",
    "api_key={{ api_key }}",
    "token=[REDACTED:generic_api_key]",
    "PWD=/home/alice/project",
    "OLDPWD=/tmp",
    "max_tokens=100 token_type=bearer tokens=5",
    "Authorization: Bearer <token>",
    "Authorization: Bearer $TOKEN",
    "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
    "-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAV2gAwIBAgIJAKZ\n-----END CERTIFICATE-----",
    "ssh git@github.com:acme/app.git",
    "see https://example.com:8443/docs and http://localhost:8000/admin/",
    "mail alice@example.com about AKIA keys",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc is a Stripe test key",
    "eyJhbGciOiJIUzI1NiJ9 alone is just a header",
]


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_text_is_not_flagged(text: str) -> None:
    """Prose about passwords, ids, hashes, images and placeholders are not secrets."""
    assert scan_text(text) == []


def test_redaction_replaces_each_secret_with_its_kind() -> None:
    """Each secret becomes [REDACTED:<kind>]; everything around it is kept."""
    text = (
        f"Hi, here is the config:\n"
        f"aws_access_key_id = {AWS_ID}\n"
        f"aws_secret_access_key = {AWS_SECRET}\n"
        f"db password=hunter2 on host db1\n"
        f"{RSA_KEY}\n"
        f"curl -H 'Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543' https://api\n"
    )

    assert redact_text(text) == (
        "Hi, here is the config:\n"
        "aws_access_key_id = [REDACTED:aws_access_key]\n"
        "aws_secret_access_key = [REDACTED:aws_secret_key]\n"
        "db password=[REDACTED:password_assignment] on host db1\n"
        "[REDACTED:private_key]\n"
        "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://api\n"
    )


def test_redaction_uses_the_given_findings() -> None:
    """With explicit findings only those spans are replaced."""
    text = "a=1 password=hunter2 token=abc123def"
    findings = [f for f in scan_text(text) if f.kind == "password_assignment"]

    assert (
        redact_text(text, findings) == "a=1 password=[REDACTED:password_assignment] token=abc123def"
    )


def test_redacted_text_has_no_findings_left() -> None:
    """Redaction is complete: scanning the result finds nothing."""
    text = "\n".join(case[0] for case in DETECTED)

    redacted = redact_text(text)

    assert scan_text(redacted) == []
    for _, _, secret in DETECTED:
        assert secret not in redacted


def test_preview_is_masked() -> None:
    """The preview shows a few characters at each end, never the whole secret."""
    (finding,) = scan_text(f"id {AWS_ID}")
    (short,) = scan_text("password=hunter2")
    (key,) = scan_text(RSA_KEY)

    assert finding.preview == "AKIA…MPLE"
    assert short.preview == "h…2"
    assert key.preview == "-----BEGIN RSA PRIVATE KEY-----…"
    assert finding.as_dict() == {
        "kind": "aws_access_key",
        "start": 3,
        "end": 23,
        "preview": "AKIA…MPLE",
    }
    assert Finding.from_dict(finding.as_dict()) == finding


def test_findings_are_capped_but_redaction_is_not() -> None:
    """At most MAX_FINDINGS are reported (the first ones); redaction removes every secret."""
    text = " ".join(f"password=secret{i:04d}" for i in range(MAX_FINDINGS + 50))

    findings = scan_text(text)

    assert len(findings) == MAX_FINDINGS
    assert findings[0].start == text.index("secret0000")
    assert "secret0149" not in redact_text(text)


def test_overlapping_matches_keep_the_most_specific_kind() -> None:
    """`token=ghp_...` is a GitHub token, not a generic assignment, and is reported once."""
    findings = scan_text(f"token={GITHUB} password={AWS_ID}")

    assert [f.kind for f in findings] == ["github_token", "aws_access_key"]


def test_empty_text() -> None:
    assert scan_text("") == []
    assert redact_text("") == ""


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000_000,
        "eyJ" * 3_400_000,
        "a-" * 5_000_000,
        "password: x " * 800_000,
        "http://a:b" * 1_000_000,
        (
            "2024-01-01 12:00:00 INFO id=5f2b1c9e-8a7d-4e3b-9c1a-2b3c4d5e6f70 token_type=bearer "
            "path=/api/v2/tickets.json sha=3f786850e387550fdab836ed7e6dc881de23001b\n"
        )
        * 70_000,
    ],
    ids=["letters", "jwt-prefixes", "dashes", "prose-passwords", "urls", "log"],
)
def test_scanning_is_linear(text: str) -> None:
    """Linear patterns: scanning 4x the text (up to 5 MB, adversarial repetitions included)
    costs about 4x the CPU time, never the 16x of a quadratic pattern. CPU time of this process,
    best of two, so a busy machine does not decide the result."""

    def cpu_seconds(sample: str) -> float:
        best = float("inf")
        for _ in range(2):
            started = time.process_time()
            scan_text(sample)
            best = min(best, time.process_time() - started)
        return best

    small = cpu_seconds(text[: len(text) // 8])
    large = cpu_seconds(text[: len(text) // 2])
    assert large < 9 * max(small, 0.005), (small, large)


FRAGMENTS = [
    "password", "passwd", "pwd", "secret", "token", "api_key", "=", ": ", "'", '"', " ", "\n",
    "Authorization: Bearer ", "AKIA", "ghp_", "glpat-", "xoxb-", "sk_live_", "AIza", "eyJ", ".",
    "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "://", "@", "abc123XYZ",
    "A1B2C3D4E5F6G7H8", "<", ">", "$", "*", "[REDACTED:jwt]", "\\n", "İ", "é",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(min_size=1, max_size=12)), max_size=40
    ).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_findings_are_sorted_disjoint_and_in_bounds(text: str) -> None:
    """For any text: no crash; findings sorted, non-overlapping, inside the text, masked."""
    findings = scan_text(text)

    assert len(findings) <= MAX_FINDINGS
    previous_end = 0
    for finding in findings:
        assert previous_end <= finding.start < finding.end <= len(text)
        assert finding.kind in KIND_LABELS
        secret = text[finding.start : finding.end]
        if finding.kind != "private_key" and len(secret) >= 2:
            assert finding.preview != secret
        previous_end = finding.end
    redacted = redact_text(text, findings)
    # Each finding becomes one marker; markers already in the text survive unless they were
    # inside a secret's span (then they are redacted with it).
    kept, cursor = [], 0
    for finding in findings:
        kept.append(text[cursor : finding.start])
        cursor = finding.end
    kept.append(text[cursor:])
    already = sum(piece.count("[REDACTED:") for piece in kept)
    assert redacted.count("[REDACTED:") >= len(findings) + already
