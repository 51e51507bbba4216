"""Catalogues for the rule row editor (`core.rule_editor`) of triggers and time rules: the
`notify.rules.conditions` fields and the `notify.rules.validation` actions, with groups by name,
agents by email (labelled with their name), organizations and endpoints by name — the values the
rule language stores, so nobody types them."""

from __future__ import annotations

from typing import Any

from switchboard.accounts import directory
from switchboard.core.rule_editor import (
    BOOLEAN,
    Choices,
    Schema,
    conditions_schema,
    field,
    label,
    plain_choices,
    request_cache,
)
from switchboard.notify.rules import conditions as c
from switchboard.notify.rules import validation as a

CLEAR: list[Any] = [None, "(nobody — clear it)"]


def trigger_conditions(request: Any) -> Schema:
    by_name: dict[str, Choices] = {
        "group": directory.group_names(request),
        "assignee": directory.agent_emails(request),
        "organization": [[name, name] for _, name in directory.organizations(request)],
    }
    kinds = {c.NUMBER: "number", c.NUMBERS: "number", c.TAGS: "tags"}
    fields = []
    for spec in c.FIELDS.values():
        choices: Choices | None = by_name.get(spec.name)
        if spec.type == c.CHOICE:
            choices = plain_choices(spec.choices)
        elif spec.type == c.BOOL:
            choices = BOOLEAN
        fields.append(
            field(
                spec.name,
                spec.label,
                spec.operators(),
                choices=choices,
                kind=kinds.get(spec.type, "text"),
            )
        )
    return conditions_schema("list", fields)


def _endpoints(request: Any) -> Choices:
    from switchboard.notify.outbox.models import Endpoint

    names = request_cache(
        request,
        "endpoints",
        lambda: list(Endpoint.objects.order_by("name").values_list("name", flat=True)),
    )
    return [[name, name] for name in names]


def rule_actions(request: Any) -> Schema:
    """Each action type with its parameters; set_field's value depends on the field chosen."""
    templates = [
        [key, f"{key.split('/')[-1].replace('_', ' ')} — {subject}"]
        for key, subject in a.EMAIL_TEMPLATES.items()
    ]
    by_field: dict[str, Choices] = {
        name: plain_choices(choices) for name, choices in a.SET_FIELDS.items() if choices
    }
    by_field["group"] = [CLEAR, *directory.group_names(request)]
    by_field["assignee"] = [CLEAR, *directory.agent_emails(request)]
    email = [
        {"key": "template", "label": "Email", "input": "select", "choices": templates},
        {"key": "subject", "label": "Subject (optional)", "input": "text", "optional": True},
    ]
    tags = [{"key": "value", "label": "Tags", "input": "tags"}]
    set_field = [
        {
            "key": "field",
            "label": "Field",
            "input": "select",
            "choices": [[name, label(name)] for name in a.SET_FIELDS],
        },
        {
            "key": "value",
            "label": "to",
            "input": "select",
            "depends": "field",
            "choices_by": by_field,
        },
    ]
    person = {
        "key": "value",
        "label": "Address",
        "input": "text",
        "suggest": directory.agent_emails(request),
    }
    group = {
        "key": "value",
        "label": "Group",
        "input": "select",
        "choices": directory.group_names(request),
    }
    endpoint = [
        {"key": "endpoint", "label": "Endpoint", "input": "select", "choices": _endpoints(request)},
        {"key": "message", "label": "Message (optional)", "input": "text", "optional": True},
        {
            "key": "audience",
            "label": "Written for",
            "input": "select",
            "choices": [["agents", "Agents"], ["requester", "The requester"]],
        },
    ]
    types = [
        ("set_field", "Set field", set_field),
        ("add_tags", "Add tags", tags),
        ("remove_tags", "Remove tags", tags),
        ("email_requester", "Email the requester", email),
        ("email_ccs", "Email the CCs", email),
        ("email_tam", "Email the organization's TAM / CSM", email),
        ("email_user", "Email a person", [person, *email]),
        ("email_group", "Email a group", [group, *email]),
        ("notify_endpoint", "Notify a webhook / chat endpoint", endpoint),
    ]
    return {
        "kind": "actions",
        "types": [{"type": t, "label": text, "params": params} for t, text, params in types],
    }
