"""Secret tokens: how they are made, how they are stored (only a hash) and how a request presents
one (`Authorization: Bearer TOKEN`). API tokens, calendar feeds, booking links and survey links
all use these, so a token is hashed the same way wherever it is looked up."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """256 random bits, URL-safe; only `hash_token` of it is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored for a token and what a lookup compares: SHA-256, hex. Tokens are 256-bit
    random values, so an unsalted fast hash is enough: there is nothing to guess."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header (the scheme is case-insensitive,
    RFC 9110), "" when the scheme is Bearer but no token follows, None for any other header."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()
