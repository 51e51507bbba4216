"""Email-domain names of organizations: validation and normalisation (pure)."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidDomain(ValueError):
    pass


def normalize_domain(value: str) -> str:
    """Return the bare lower-case domain, or raise InvalidDomain saying what is wrong.

    Accepts `Example.COM`, `example.com.` (trailing dot dropped); refuses schemes, paths, ports,
    `@`, spaces, empty labels (`x..com`) and single-label names (`localhost`).
    """
    if not isinstance(value, str):
        raise InvalidDomain("A domain name must be text.")
    raw = value.strip()
    if not raw:
        raise InvalidDomain("A domain name cannot be blank.")
    if "://" in raw or raw.lower().startswith(("http:", "https:")):
        raise InvalidDomain(f'"{raw}" is a URL; enter the bare domain, e.g. "example.com".')
    if any(ch.isspace() for ch in raw):
        raise InvalidDomain(f'"{raw}" contains spaces; a domain is like "example.com".')
    if "@" in raw:
        raise InvalidDomain(f'"{raw}" looks like an email address; enter only the part after @.')
    if any(ch in raw for ch in "/:?#"):
        raise InvalidDomain(f'"{raw}" has a path or port; enter the bare domain only.')
    labels = raw.lower().rstrip(".").split(".")
    if len(labels) < 2:
        raise InvalidDomain(f'"{raw}" needs a dot, like "example.com".')
    for index, label in enumerate(labels):
        if not label:
            raise InvalidDomain(f'"{raw}" has an empty part between dots.')
        if not label.isascii():
            try:
                labels[index] = label = label.encode("idna").decode("ascii")
            except UnicodeError:
                raise InvalidDomain(f'"{raw}" has an invalid part "{label}".') from None
        if not _LABEL.match(label):
            raise InvalidDomain(
                f'"{raw}" has an invalid part "{label}": use letters, digits and hyphens only.'
            )
    domain = ".".join(labels)
    if len(domain) > 253:
        raise InvalidDomain(f'"{raw}" is longer than 253 characters.')
    if labels[-1].isdigit():
        raise InvalidDomain(f'"{raw}" is an IP address, not a domain name.')
    return domain


def email_domain(email: str) -> str:
    """The lower-case domain part of an email address ('' when there is none)."""
    _, at, domain = email.strip().rpartition("@")
    if not at:
        return ""
    return domain.lower().rstrip(".")
