"""Organization domain names: bare domains only, normalised, with clear errors."""

import pytest

from switchboard.accounts.domains import InvalidDomain, email_domain, normalize_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("  acme.co.uk ", "acme.co.uk"),
        ("example.com.", "example.com"),
        ("my-company.io", "my-company.io"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_valid_domains_are_normalised(raw, expected):
    """Valid domains come back lower-case, trimmed, without a trailing dot, IDNA-encoded."""
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("https://x.com", "is a URL"),
        ("http://example.com/path", "is a URL"),
        ("x..com", "empty part between dots"),
        ("ex ample.com", "contains spaces"),
        ("", "cannot be blank"),
        ("   ", "cannot be blank"),
        ("localhost", "needs a dot"),
        ("bob@example.com", "email address"),
        ("example.com/support", "path or port"),
        ("example.com:8080", "path or port"),
        ("-bad.com", 'invalid part "-bad"'),
        ("under_score.com", 'invalid part "under_score"'),
        ("ex!ample.com", 'invalid part "ex!ample"'),
        ("10.0.0.1", "IP address"),
        ("a" * 64 + ".com", "invalid part"),
    ],
)
def test_invalid_domains_get_a_clear_error(raw, message):
    """Schemes, empty labels, spaces and other junk are refused with a message saying why."""
    with pytest.raises(InvalidDomain) as err:
        normalize_domain(raw)
    assert message in str(err.value)


def test_email_domain_is_the_lowercased_part_after_the_last_at():
    """The domain of "Bob@Sub.Example.COM" is "sub.example.com"."""
    assert email_domain("Bob@Sub.Example.COM") == "sub.example.com"
    assert email_domain("no-at-sign") == ""
