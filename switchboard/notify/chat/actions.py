"""Linking chat users to Switchboard users, the writes behind the support bot's identity.

A chat user runs `/switchboard link`; the bot (after verifying Slack's signature, which proves
the workspace and user ids) answers with a one-time page URL carrying a signed, 15-minute token
of those ids. Opening it while signed in to Switchboard as an agent or admin, and confirming,
stores a `ChatIdentity`. `/switchboard unlink` removes it; admins manage links in the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import transaction

from switchboard.accounts.models import User
from switchboard.core.errors import ValidationFailed
from switchboard.notify.chat.models import ChatIdentity

LINK_SALT = "switchboard.notify.chat-link"
LINK_MAX_AGE_SECONDS = 15 * 60
_CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class ChatUser:
    """Who sent a chat command, as the signed request says."""

    team_id: str
    user_id: str
    user_name: str = ""

    @property
    def label(self) -> str:
        return f"@{self.user_name}" if self.user_name else self.user_id


def chat_user_from(fields: Any) -> ChatUser | None:
    """The sender of a slash command from its (signed) form fields; None if ids are missing or
    malformed."""
    team_id = str(fields.get("team_id", "")).strip()
    user_id = str(fields.get("user_id", "")).strip()
    if not _CHAT_ID.fullmatch(team_id) or not _CHAT_ID.fullmatch(user_id):
        return None
    name = " ".join(str(fields.get("user_name", "")).split())[:150]
    return ChatUser(team_id=team_id, user_id=user_id, user_name=name)


def linked_user(chat_user: ChatUser) -> User | None:
    """The Switchboard user this chat user is linked to (whatever their state now)."""
    identity = (
        ChatIdentity.objects.select_related("user")
        .filter(team_id=chat_user.team_id, chat_user_id=chat_user.user_id)
        .first()
    )
    return identity.user if identity is not None else None


def link_token(chat_user: ChatUser) -> str:
    return signing.dumps(
        {"t": chat_user.team_id, "u": chat_user.user_id, "n": chat_user.user_name},
        salt=LINK_SALT,
        compress=True,
    )


def read_link_token(token: str) -> ChatUser:
    """The chat user a link token names; ValidationFailed if it is forged or expired."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(
            "This link has expired (links are valid for 15 minutes). "
            "Run `/switchboard link` in chat again.",
            field="token",
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationFailed(
            "This link is not valid. Run `/switchboard link` in chat again.", field="token"
        ) from exc
    chat_user = chat_user_from(
        {"team_id": data.get("t"), "user_id": data.get("u"), "user_name": data.get("n")}
        if isinstance(data, dict)
        else {}
    )
    if chat_user is None:
        raise ValidationFailed("This link is not valid.", field="token")
    return chat_user


@transaction.atomic
def link_chat_user(*, user: User, chat_user: ChatUser) -> ChatIdentity:
    """Link `chat_user` to `user` (an active agent or admin), replacing an earlier link of
    that chat user."""
    if not (user.is_active and user.is_agent):
        raise ValidationFailed(
            "Only active agents and admins can link a chat account to the support bot.",
            field="user",
        )
    identity, _created = ChatIdentity.objects.update_or_create(
        team_id=chat_user.team_id,
        chat_user_id=chat_user.user_id,
        defaults={"user": user, "chat_user_name": chat_user.user_name},
    )
    return identity


@transaction.atomic
def unlink_chat_user(*, chat_user: ChatUser) -> bool:
    """Remove this chat user's link; False if there was none."""
    deleted, _ = ChatIdentity.objects.filter(
        team_id=chat_user.team_id, chat_user_id=chat_user.user_id
    ).delete()
    return bool(deleted)
