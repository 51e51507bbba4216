"""The rules Switchboard ships (DOMAIN.md §4), as data: seeded once, then edited in the admin.

`seed(apps)` is idempotent (rules are found by their `shipped_key`; an existing rule is never
overwritten, so admin edits survive) and runs from migration 0004_rules. Chat endpoints are only
created when their URL is configured in the environment at seeding time — never with a made-up
URL; until an endpoint with the named name exists (or while it is inactive) the feed triggers
record "skipped" in their firing log and send nothing:

- ``SWITCHBOARD_LIVE_FEED_SELF_MANAGED_URL`` → endpoint "Live feed: self-managed"
- ``SWITCHBOARD_LIVE_FEED_SAAS_URL`` → endpoint "Live feed: SaaS"
- ``SWITCHBOARD_SLA_CHAT_URL`` → endpoint "Support chat: SLA warnings"
"""

from __future__ import annotations

import os
import secrets
from typing import Any

FEED_SELF_MANAGED = "Live feed: self-managed"
FEED_SAAS = "Live feed: SaaS"
SLA_CHAT = "Support chat: SLA warnings"

ENDPOINT_ENV = {
    FEED_SELF_MANAGED: "SWITCHBOARD_LIVE_FEED_SELF_MANAGED_URL",
    FEED_SAAS: "SWITCHBOARD_LIVE_FEED_SAAS_URL",
    SLA_CHAT: "SWITCHBOARD_SLA_CHAT_URL",
}
ENDPOINT_EVENTS = {
    FEED_SELF_MANAGED: ["ticket.created"],
    FEED_SAAS: ["ticket.created"],
    SLA_CHAT: ["sla.warning", "sla.breach"],
}

FEED_MESSAGE = (
    ":new: *{{ organization.name|default:'No organization' }}* — "
    "<{{ ticket.agent_url }}|#{{ ticket.id }} {{ ticket.subject }}> "
    "({{ ticket.priority }}, {{ organization.support_level|default:'no support level' }})"
)
BREACH_MESSAGE = (
    ":warning: Premium SLA: <{{ ticket.agent_url }}|#{{ ticket.id }} {{ ticket.subject }}> "
    "from *{{ organization.name }}* ({{ ticket.priority }}) breaches in "
    "{{ sla.minutes_left|floatformat:0 }} min"
)


def _to_requester_and_ccs(template: str) -> list[dict[str, Any]]:
    """Email actions for the requester and each CC (each rendered as that person may see it)."""
    return [
        {"type": "email_requester", "template": template},
        {"type": "email_ccs", "template": template},
    ]


TRIGGERS: list[dict[str, Any]] = [
    {
        "shipped_key": "live_feed_self_managed",
        "title": "Live feed: self-managed",
        "description": "Every new self-managed ticket, with its organization, to the "
        "self-managed live feed channel.",
        "position": 10,
        "events": ["ticket.created"],
        "conditions_all": [{"field": "product_line", "operator": "is", "value": "self_managed"}],
        "actions": [
            {"type": "notify_endpoint", "endpoint": FEED_SELF_MANAGED, "message": FEED_MESSAGE}
        ],
    },
    {
        "shipped_key": "live_feed_saas",
        "title": "Live feed: SaaS",
        "description": "Every new SaaS ticket, with its organization, to the SaaS live feed.",
        "position": 20,
        "events": ["ticket.created"],
        "conditions_all": [{"field": "product_line", "operator": "is", "value": "saas"}],
        "actions": [{"type": "notify_endpoint", "endpoint": FEED_SAAS, "message": FEED_MESSAGE}],
    },
    {
        "shipped_key": "premium_breach_warning",
        "title": "Premium breach warning",
        "description": "High/urgent tickets of priority-support organizations with less than "
        "2 hours left: a message to the support chat at the 120-minute SLA warning (needs 120 "
        "in SWITCHBOARD_SLA_WARNING_MINUTES, the default).",
        "position": 30,
        "events": ["sla.warning"],
        "conditions_all": [
            {"field": "organization.support_level", "operator": "is", "value": "priority"},
            {"field": "priority", "operator": "in", "value": ["high", "urgent"]},
            {"field": "sla.thresholds", "operator": "contains", "value": 120},
        ],
        "actions": [{"type": "notify_endpoint", "endpoint": SLA_CHAT, "message": BREACH_MESSAGE}],
    },
    {
        "shipped_key": "tam_new_ticket",
        "title": "TAM/CSM: new ticket from your account",
        "description": "Email the organization's TAM / account manager about every new ticket "
        "(human link, account, contact name and email, date opened).",
        "position": 40,
        "events": ["ticket.created"],
        "conditions_all": [{"field": "organization.has_tam", "operator": "is", "value": True}],
        "actions": [{"type": "email_tam", "template": "rules/tam_new_ticket"}],
    },
    {
        "shipped_key": "requester_received",
        "title": "Requester and CCs: ticket received",
        "description": "Confirm a request a customer opened to its requester and CCs (not for "
        "mailing-list tickets, which are closed on arrival, nor for tickets an agent opened).",
        "position": 50,
        "events": ["ticket.created"],
        "conditions_all": [
            {"field": "status", "operator": "is_not", "value": "closed"},
            {"field": "comment.author_role", "operator": "not_in", "value": ["agent", "admin"]},
        ],
        "actions": _to_requester_and_ccs("rules/requester_received"),
    },
    {
        "shipped_key": "requester_public_reply",
        "title": "Requester and CCs: new public reply",
        "description": "Send an agent's public reply to the requester and the CCs (never "
        "internal notes, never to the reply's author).",
        "position": 60,
        "events": ["ticket.commented"],
        "conditions_all": [
            {"field": "comment.public", "operator": "is", "value": True},
            {"field": "comment.author_role", "operator": "in", "value": ["agent", "admin"]},
        ],
        "actions": _to_requester_and_ccs("rules/requester_reply"),
    },
    {
        "shipped_key": "requester_proactive",
        "title": "Requester and CCs: new proactive ticket",
        "description": "A ticket an agent opens for a customer with a public first comment: "
        "that comment to the requester and the CCs (an internal first comment sends nothing).",
        "position": 65,
        "events": ["ticket.created"],
        "conditions_all": [
            {"field": "status", "operator": "is_not", "value": "closed"},
            {"field": "comment.public", "operator": "is", "value": True},
            {"field": "comment.author_role", "operator": "in", "value": ["agent", "admin"]},
        ],
        "actions": _to_requester_and_ccs("rules/requester_reply"),
    },
]

# The shipped rules as they were before CCs were copied (migration 0009 upgrades a rule still
# exactly like this; a rule an admin edited is left alone).
PREVIOUS_TRIGGERS: dict[str, dict[str, Any]] = {
    "requester_received": {
        "title": "Requester: ticket received",
        "conditions_all": [{"field": "status", "operator": "is_not", "value": "closed"}],
        "actions": [{"type": "email_requester", "template": "rules/requester_received"}],
    },
    "requester_public_reply": {
        "title": "Requester: new public reply",
        "conditions_all": [
            {"field": "comment.public", "operator": "is", "value": True},
            {"field": "comment.author_role", "operator": "in", "value": ["agent", "admin"]},
        ],
        "actions": [{"type": "email_requester", "template": "rules/requester_reply"}],
    },
}


def upgrade_unedited(apps: Any) -> None:
    """Bring shipped rules that nobody edited to their current definition (CCs copied, the
    "received" confirmation only for customers' own requests), then seed the new ones."""
    trigger_model = apps.get_model("notify", "Trigger")
    current = {spec["shipped_key"]: spec for spec in TRIGGERS}
    for key, old in PREVIOUS_TRIGGERS.items():
        for trigger in trigger_model.objects.filter(shipped_key=key):
            if all(getattr(trigger, name) == value for name, value in old.items()):
                spec = current[key]
                for name in ("title", "description", "conditions_all", "actions"):
                    setattr(trigger, name, spec[name])
                trigger.save()
    seed(apps, environ={})


TIME_RULES: list[dict[str, Any]] = [
    {
        "shipped_key": "close_solved",
        "title": "Solved → closed after N days",
        "description": "Leave N blank to use SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS (default 4); "
        "set N to override it for tickets solved from now on.",
        "position": 10,
        "kind": "close_solved",
        "amount": None,
        "is_active": True,
        "actions": [],
    },
    {
        "shipped_key": "pending_reminder",
        "title": "Pending reminder to the requester",
        "description": "Remind the requester once per pending period after N hours.",
        "position": 20,
        "kind": "pending_reminder",
        "amount": 48,
        "is_active": False,
        "actions": [{"type": "email_requester", "template": "rules/time_rule_reminder"}],
    },
]


def seed(apps: Any = None, environ: dict[str, str] | None = None) -> None:
    """Create the shipped rules that do not exist yet (and configured endpoints)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    environ = dict(os.environ if environ is None else environ)
    trigger_model = apps.get_model("notify", "Trigger")
    time_rule_model = apps.get_model("notify", "TimeRule")
    endpoint_model = apps.get_model("notify", "Endpoint")
    for spec in TRIGGERS:
        fields = {k: v for k, v in spec.items() if k != "shipped_key"}
        fields.setdefault("conditions_any", [])
        known = trigger_model.objects.filter(shipped_key=spec["shipped_key"]).exists()
        if not known and not trigger_model.objects.filter(title=spec["title"]).exists():
            trigger_model.objects.create(shipped_key=spec["shipped_key"], **fields)
    for spec in TIME_RULES:
        fields = {k: v for k, v in spec.items() if k != "shipped_key"}
        known = time_rule_model.objects.filter(shipped_key=spec["shipped_key"]).exists()
        if not known and not time_rule_model.objects.filter(title=spec["title"]).exists():
            time_rule_model.objects.create(shipped_key=spec["shipped_key"], **fields)
    for name, variable in ENDPOINT_ENV.items():
        url = (environ.get(variable) or "").strip()
        if url and not endpoint_model.objects.filter(name=name).exists():
            # Called from migration 0004 with that migration's model (then the signing key was
            # a `secret_salt`; a later migration gives every endpoint a random `secret`) and
            # from the current code.
            fields = {f.name for f in endpoint_model._meta.get_fields()}
            key = (
                {"secret": _new_secret()}
                if "secret" in fields
                else {"secret_salt": secrets.token_hex(32)}
            )
            endpoint_model.objects.create(
                name=name,
                kind="chat",
                url=url,
                events=ENDPOINT_EVENTS[name],
                is_active=True,
                **key,
            )


def _new_secret() -> str:
    from switchboard.notify.outbox.signing import new_secret

    return new_secret()
