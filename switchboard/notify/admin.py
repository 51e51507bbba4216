"""Admin for notify: each part registers its own models."""

from switchboard.notify import (  # noqa: F401
    admin_chat,
    admin_deliveries,
    admin_inbound,
    admin_rules,
)
