"""Who is calling: HTTP Basic `email/token:TOKEN`, `Authorization: Bearer TOKEN`, and (when
SWITCHBOARD_API_PASSWORD_AUTH is on) Basic `email:password` for agents."""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBasicAuth, HttpBearer

from switchboard.accounts.actions import user_for_token
from switchboard.accounts.models import User
from switchboard.accounts.signin import check_password
from switchboard.core.tokens import bearer_token


class BadCredentials(Exception):
    """An Authorization header was sent but does not identify an active user."""


def _password_auth_enabled() -> bool:
    return bool(getattr(settings, "SWITCHBOARD_API_PASSWORD_AUTH", False))


def user_for_authorization(header: str, request: HttpRequest | None = None) -> User:
    """The user an Authorization header names; BadCredentials if it names nobody."""
    token = bearer_token(header)
    if token is not None:
        user = user_for_token(token)
        if user is None:
            raise BadCredentials
        return user
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "basic":
        raise BadCredentials
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise BadCredentials from None
    username, sep, secret = decoded.partition(":")
    if not sep or not username or not secret:
        raise BadCredentials
    if username.lower().endswith("/token"):
        user = user_for_token(secret)
        if user is None or user.email.lower() != username[: -len("/token")].strip().lower():
            raise BadCredentials
        return user
    if not _password_auth_enabled():
        raise BadCredentials
    # Through Django's authenticate: a wrong password counts toward the sign-in lockout (per
    # account and per client address), and a locked-out caller is refused even with the right one.
    user = check_password(request, username, secret) if request is not None else None
    if user is None or not user.is_agent:
        raise BadCredentials
    return user


class ZendeskBasic(HttpBasicAuth):
    """Declares Basic auth in the OpenAPI schema; the middleware has already checked it."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> User | None:
        return getattr(request, "api_user", None)


class ZendeskBearer(HttpBearer):
    """Declares Bearer auth in the OpenAPI schema; the middleware has already checked it."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return getattr(request, "api_user", None)


AUTH = [ZendeskBasic(), ZendeskBearer()]
