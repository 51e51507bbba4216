"""Admin for notify: each part registers its own models."""

from switchboard.notify.chat import admin as chat_admin  # noqa: F401
from switchboard.notify.mail import admin as mail_admin  # noqa: F401
from switchboard.notify.outbox import admin as outbox_admin  # noqa: F401
from switchboard.notify.rules import admin as rules_admin  # noqa: F401
