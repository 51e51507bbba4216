"""The catalogue for the row editor (`core.rule_editor`) of views (saved filters): the
`tickets.saved_views` fields, with assignee, group and organization picked by name (stored as
the ids the view language expects) and "the person viewing" for current_user."""

from __future__ import annotations

from typing import Any

from switchboard.accounts import directory
from switchboard.accounts.models import ProductLine, Region
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
from switchboard.tickets.models import TicketType
from switchboard.tickets.saved_views import FIELDS
from switchboard.tickets.vocab import PRIORITY_ORDER, STATUS_ORDER

NUMBERS = {
    "sla_due_within_minutes",
    "hours_since_created",
    "hours_since_updated",
    "hours_since_solved",
}
LABELS = {
    "ticket_type": "Type",
    "preferred_region": "Preferred region",
    "sla_due_within_minutes": "SLA due within (minutes)",
    "sla_breached": "SLA breached",
}


def view_conditions(request: Any) -> Schema:
    nobody = [None, "(nobody / none)"]
    viewer = ["current_user", "(the person viewing)"]
    agents = [[pk, name or email] for pk, name, email in directory.agents(request)]
    choices: dict[str, Choices] = {
        "status": plain_choices(STATUS_ORDER),
        "priority": plain_choices(PRIORITY_ORDER),
        "ticket_type": labelled_choices(TicketType.choices, blank=True),
        "product_line": labelled_choices(ProductLine.choices, blank=True),
        "preferred_region": labelled_choices(Region.choices),
        "entitlement": plain_choices(["unverified", "verified"]),
        "sla_breached": BOOLEAN,
        "assignee": [nobody, viewer, *agents],
        "requester": [viewer],
        "group": [nobody, *[[pk, name] for pk, name in directory.groups(request)]],
        "organization": [nobody, *[[pk, name] for pk, name in directory.organizations(request)]],
    }
    fields = [
        field(
            name,
            LABELS.get(name, label(name)),
            spec.operators,
            choices=choices.get(name),
            kind="tags" if name == "tags" else ("number" if name in NUMBERS else "text"),
        )
        for name, spec in FIELDS.items()
    ]
    return conditions_schema("groups", fields)
