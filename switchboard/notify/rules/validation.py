"""Rule actions: what a trigger or time rule may do, validated without the database.

An action is a JSON object with a ``type``:

- ``{"type": "set_field", "field": "priority", "value": "high"}`` — status, priority, type,
  product_line, region (choices), group (a group name) or assignee (an agent's email);
- ``{"type": "add_tags" | "remove_tags", "value": ["tag", ...]}``;
- ``{"type": "email_requester" | "email_ccs" | "email_tam", "template": ..., "subject": ...}``
  (``email_ccs``: each active CC of the ticket),
  ``{"type": "email_user", "value": "someone@example.com", ...}``,
  ``{"type": "email_group", "value": "Group name", ...}`` — ``template`` is one of
  `EMAIL_TEMPLATES`, ``subject`` an optional Django template string;
- ``{"type": "notify_endpoint", "endpoint": "Endpoint name", "message": "...", "audience":
  "agents" | "requester"}`` — a webhook or chat endpoint by name; ``message`` is an optional
  Django template string (chat text). ``audience`` (default ``agents``) says who reads the
  receiver: ``requester`` renders the message and payload as the ticket's requester may see it
  (`tickets.projection`: public comments only, portal link, no tags or hidden fields) — use it
  for any receiver a customer can read.

Emails are rendered per recipient through `tickets.projection`: a requester or CC never receives
an internal note, an internal first comment or an agents-only field.

Changes go through `tickets.actions.update` as the system actor; notifications through the
outbox. Validation here is pure so the model's clean() and the tests share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.notify.rules.conditions import (
    PRIORITIES,
    PRODUCT_LINES,
    REGIONS,
    STATUSES,
    TICKET_TYPES,
    ConditionError,
)

SET_FIELDS: dict[str, tuple[str, ...] | None] = {
    "status": tuple(s for s in STATUSES if s not in ("new", "closed")),
    "priority": tuple(PRIORITIES),
    "type": tuple(TICKET_TYPES),
    "product_line": tuple(PRODUCT_LINES),
    "region": tuple(REGIONS),
    "group": None,  # a group name, resolved when the rule fires
    "assignee": None,  # an agent's email, resolved when the rule fires
}
# Ticket attribute each settable field maps to (update_ticket's keyword).
TICKET_ATTRIBUTE = {
    "status": "status",
    "priority": "priority",
    "type": "ticket_type",
    "product_line": "product_line",
    "region": "preferred_region",
    "group": "group",
    "assignee": "assignee",
}

EMAIL_TEMPLATES: dict[str, str] = {
    "rules/tam_new_ticket": "New ticket #{{ ticket.id }} from {{ organization.name }}: "
    "{{ ticket.subject }}",
    "rules/requester_received": "We received your request: {{ ticket.subject }}",
    "rules/requester_reply": "New reply on your request: {{ ticket.subject }}",
    "rules/agent_notice": "Ticket #{{ ticket.id }}: {{ ticket.subject }}",
    "rules/time_rule_reminder": "Waiting for your reply: {{ ticket.subject }}",
}
EMAIL_ACTIONS = ("email_requester", "email_ccs", "email_tam", "email_user", "email_group")
ENDPOINT_AUDIENCES = ("agents", "requester")
TAG_ACTIONS = ("add_tags", "remove_tags")
ACTION_TYPES = ("set_field", *TAG_ACTIONS, *EMAIL_ACTIONS, "notify_endpoint")
_KEYS = {
    "set_field": {"type", "field", "value"},
    "add_tags": {"type", "value"},
    "remove_tags": {"type", "value"},
    "email_requester": {"type", "template", "subject"},
    "email_ccs": {"type", "template", "subject"},
    "email_tam": {"type", "template", "subject"},
    "email_user": {"type", "value", "template", "subject"},
    "email_group": {"type", "value", "template", "subject"},
    "notify_endpoint": {"type", "endpoint", "message", "audience"},
}


def tag_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def validate_action(action: Any, where: str = "action") -> None:
    if not isinstance(action, Mapping):
        raise ConditionError(f"{where}: must be an object with a type.")
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        raise ConditionError(
            f"{where}: unknown action type {kind!r}; use one of {', '.join(ACTION_TYPES)}."
        )
    unknown = set(action) - _KEYS[kind]
    if unknown:
        raise ConditionError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} for {kind}.")
    if kind == "set_field":
        name = action.get("field")
        if name not in SET_FIELDS:
            raise ConditionError(
                f"{where}: cannot set field {name!r}; use one of {', '.join(SET_FIELDS)}."
            )
        value = action.get("value")
        choices = SET_FIELDS[name]
        if choices is not None and value not in choices:
            raise ConditionError(
                f"{where}: {value!r} is not a {name}; use one of "
                f"{', '.join(repr(c) for c in choices)}."
            )
        if choices is None and value is not None and not (isinstance(value, str) and value):
            raise ConditionError(f"{where}: {name} needs a name/email or null to clear it.")
        return
    if kind in TAG_ACTIONS:
        tags = tag_list(action.get("value"))
        if not tags or not all(t.strip() for t in tags):
            raise ConditionError(f"{where}: {kind} needs a tag or a list of tags.")
        return
    if kind in EMAIL_ACTIONS:
        template = action.get("template", "rules/agent_notice")
        if template not in EMAIL_TEMPLATES:
            raise ConditionError(
                f"{where}: unknown email template {template!r}; "
                f"use one of {', '.join(EMAIL_TEMPLATES)}."
            )
        if kind in ("email_user", "email_group"):
            value = action.get("value")
            if not (isinstance(value, str) and value.strip()):
                what = "an email address" if kind == "email_user" else "a group name"
                raise ConditionError(f"{where}: {kind} needs {what} as value.")
            if kind == "email_user" and "@" not in value:
                raise ConditionError(f"{where}: {value!r} is not an email address.")
        subject = action.get("subject", "")
        if not isinstance(subject, str):
            raise ConditionError(f"{where}: subject must be text.")
        return
    endpoint = action.get("endpoint")
    if not (isinstance(endpoint, str) and endpoint.strip()):
        raise ConditionError(f"{where}: notify_endpoint needs an endpoint name.")
    if not isinstance(action.get("message", ""), str):
        raise ConditionError(f"{where}: message must be text.")
    if action.get("audience", "agents") not in ENDPOINT_AUDIENCES:
        raise ConditionError(f"{where}: audience must be one of {', '.join(ENDPOINT_AUDIENCES)}.")


def validate_actions(actions: Any, label: str = "actions") -> None:
    if not isinstance(actions, list) or not actions:
        raise ConditionError(f"{label}: must be a non-empty list of actions.")
    for index, action in enumerate(actions):
        validate_action(action, f"{label}[{index}]")
