"""Admin for notify: each part registers its own models."""

from switchboard.notify import admin_deliveries, admin_inbound, admin_rules  # noqa: F401
