"""Sign-in throttling hooks for django-axes (configured in settings: per account and per client
address) and the one password check every sign-in surface uses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest

from switchboard.accounts.models import User


def username_for_throttling(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account an attempt is counted against: the e-mail address, case-folded, so that
    `Dana@Acme.test` and `dana@acme.test` share one count."""
    credentials = credentials or {}
    raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None and request.method == "POST":
        raw = request.POST.get("username", "")
    return str(raw).strip().casefold()[:255]


def check_password(request: HttpRequest, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Goes through Django's
    `authenticate`, so failures count toward the sign-in lockout and a locked-out account or
    address gets None even with the right password."""
    user = authenticate(request, username=email, password=password)
    return user if isinstance(user, User) and user.is_active else None
