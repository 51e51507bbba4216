"""The catalogue for the row editor (`core.rule_editor`) of SLA policy conditions
(`sla.conditions`): organizations and groups picked by name (ids stored where the field is an
id), the other fields' choices from their models."""

from __future__ import annotations

from typing import Any

from switchboard.accounts import directory
from switchboard.accounts.models import ProductLine, Region, SupportLevel
from switchboard.core.rule_editor import (
    BOOLEAN,
    Choices,
    Schema,
    conditions_schema,
    field,
    label,
    labelled_choices,
    plain_choices,
)
from switchboard.sla.conditions import FIELDS
from switchboard.tickets.models import Channel, TicketType
from switchboard.tickets.vocab import PRIORITY_ORDER

LABELS = {"organization.id": "Organization", "organization.name": "Organization name"}


def sla_conditions(request: Any) -> Schema:
    organizations = directory.organizations(request)
    choices: dict[str, Choices] = {
        "organization.id": [[pk, name] for pk, name in organizations],
        "organization.name": [[name, name] for _, name in organizations],
        "organization.support_level": labelled_choices(SupportLevel.choices),
        "organization.is_internal": BOOLEAN,
        "organization.product_line": labelled_choices(ProductLine.choices, blank=True),
        "priority": plain_choices(PRIORITY_ORDER),
        "ticket_type": labelled_choices(TicketType.choices, blank=True),
        "channel": labelled_choices(Channel.choices),
        "product_line": labelled_choices(ProductLine.choices, blank=True),
        "preferred_region": labelled_choices(Region.choices),
        "group": [[pk, name] for pk, name in directory.groups(request)],
    }
    fields = [
        field(
            name,
            LABELS.get(name, label(name.replace(".", " "))),
            ("includes", "not_includes") if name == "tags" else ("is", "is_not", "in", "not_in"),
            choices=choices.get(name),
            kind="tags" if name == "tags" else "text",
        )
        for name in FIELDS
    ]
    return conditions_schema("groups", fields)
