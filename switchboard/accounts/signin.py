"""Sign-in throttling hooks for django-axes (configured in settings: per account and per client
address), the one password check every sign-in surface uses, and "is this a registration still
waiting for its emailed confirmation?"."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest

from switchboard.accounts.models import AccountAuditEvent, Role, User


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


def awaiting_confirmation(email: str) -> User | None:
    """The self-registered end-user with this address who has not yet followed the emailed link:
    inactive, never signed in, and never activated or deactivated by anyone (a support contact
    removed by their sold-to contact is inactive too, and must not get a link that reactivates
    them). None for every other address."""
    user = User.objects.filter(
        email__iexact=(email or "").strip(),
        role=Role.END_USER,
        is_active=False,
        last_login__isnull=True,
    ).first()
    if user is None:
        return None
    if AccountAuditEvent.objects.filter(user=user, field="is_active").exists():
        return None
    return user


def unconfirmed_with_password(email: str, password: str) -> User | None:
    """The registrant awaiting confirmation whose password this is, or None. Only someone who
    knows the password learns that the account exists (no enumeration); unknown addresses cost
    one password hash too, so the answer takes as long either way."""
    user = awaiting_confirmation(email)
    if user is None:
        User().set_password(password)  # the same hashing work as a real check
        return None
    return user if user.check_password(password) else None
