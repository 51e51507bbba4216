"""Cleaning what a change brings: choices, tags, custom-field values, agents; and the write of
a ticket's tag set (audited)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from switchboard.accounts.models import Role, User
from switchboard.core.errors import ValidationFailed
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.models import Ticket, TicketField, TicketTag

_TAG_RE = re.compile(r"^[a-z0-9_\-:./+#@]{1,80}$")

FORM_FIELDS = (
    "problem_started",
    "business_impact",
    "steps_to_reproduce",
    "current_behavior",
    "expected_behavior",
    "recent_changes",
    "version",
    "install_type",
)
AGENT_FIELDS = (
    "subject",
    "status",
    "priority",
    "ticket_type",
    "assignee",
    "group",
    "organization",
    "requester",
    "product_line",
    "preferred_region",
    "external_id",
    *FORM_FIELDS,
)


def choice(name: str, value: Any, choices: Iterable[str]) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise ValidationFailed(
            f"{name}: {value!r} is not one of {', '.join(allowed)}.",
            field=name,
            code="InvalidValue",
        )
    return str(value)


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case tags; whitespace separates tags, as in Zendesk."""
    if isinstance(tags, str):
        tags = [tags]
    result: dict[str, None] = {}  # insertion-ordered set: linear in the number of tags
    for raw in tags:
        if not isinstance(raw, str):
            raise ValidationFailed(
                "tags: each tag must be text.", field="tags", code="InvalidValue"
            )
        for tag in raw.lower().split():
            if not _TAG_RE.match(tag):
                raise ValidationFailed(
                    f'tags: "{tag}" is not a valid tag (letters, digits and _-:./+#@, '
                    "at most 80 characters).",
                    field="tags",
                    code="InvalidValue",
                )
            result[tag] = None
    return list(result)


def max_tags_per_ticket() -> int:
    return int(getattr(settings, "SWITCHBOARD_MAX_TAGS_PER_TICKET", 200))


def check_tag_count(tags: list[str], field: str = "tags") -> list[str]:
    """A person or client may not give a ticket more than the configured number of tags (system
    tags added by merges and follow-ups are not refused: they never come from input)."""
    limit = max_tags_per_ticket()
    if len(tags) > limit:
        raise ValidationFailed(
            f"{field}: a ticket can have at most {limit} tags; this change would give it "
            f"{len(tags)}.",
            field=field,
            code="InvalidValue",
        )
    return tags


def clean_custom_fields(values: Any) -> dict[str, Any]:
    """Validate {field id or key: value} against TicketField definitions; keys become ids."""
    if isinstance(values, list):  # Zendesk shape: [{"id": 1, "value": "x"}]
        try:
            values = {str(item["id"]): item.get("value") for item in values}
        except (TypeError, KeyError):
            raise ValidationFailed(
                'custom_fields: use [{"id": ..., "value": ...}].', field="custom_fields"
            ) from None
    if not isinstance(values, dict):
        raise ValidationFailed("custom_fields: expected an object.", field="custom_fields")
    fields = {str(f.pk): f for f in TicketField.objects.filter(active=True)}
    by_key = {f.key: f for f in fields.values()}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        definition = fields.get(str(key)) or by_key.get(str(key))
        if definition is None:
            raise ValidationFailed(
                f"custom_fields: unknown field {key!r}.", field="custom_fields", code="InvalidValue"
            )
        cleaned[str(definition.pk)] = _clean_field_value(definition, value)
    return cleaned


# Custom integer fields hold what a 64-bit column or a JSON client can represent exactly; decimals
# are finite and of a sane magnitude (`1e400`, `Infinity` and `NaN` are refused, not stored).
_MAX_FIELD_INT = 2**63 - 1
_MAX_DECIMAL_EXPONENT = 100


def _integer_value(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", text):
            raise ValueError
        value = int(text)
    elif not isinstance(value, int):
        raise ValueError
    if not -_MAX_FIELD_INT <= value <= _MAX_FIELD_INT:
        raise ValueError
    return value


def _clean_field_value(definition: TicketField, value: Any) -> Any:
    name = f"custom_fields.{definition.key}"
    if value is None or value == "":
        return None
    kind = definition.field_type
    try:
        if kind == TicketField.FieldType.CHECKBOX:
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == TicketField.FieldType.INTEGER:
            return _integer_value(value)
        if kind == TicketField.FieldType.DECIMAL:
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(str(value).strip())
            if not number.is_finite() or abs(number.adjusted()) > _MAX_DECIMAL_EXPONENT:
                raise ValueError
            return str(number)
        if kind == TicketField.FieldType.DATE:
            return date.fromisoformat(str(value)).isoformat()
        if kind == TicketField.FieldType.DROPDOWN:
            allowed = [o.get("value") for o in definition.options]
            if value not in allowed:
                raise ValidationFailed(
                    f"{name}: {value!r} is not one of {', '.join(map(str, allowed))}.",
                    field=name,
                    code="InvalidValue",
                )
            return value
        if not isinstance(value, str):
            raise ValueError
        return value[:65_000]
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed(
            f"{name}: {value!r} is not a valid {definition.get_field_type_display().lower()}.",
            field=name,
            code="InvalidValue",
        ) from None


def write_tags(
    ticket: Ticket, tags: list[str], audit: Audit, *, current: Iterable[str] | None = None
) -> None:
    """Make the ticket's tags `tags`; `current` (the tags it has now) when the caller knows them,
    e.g. () for a ticket just created, saves reading them."""
    ticket.fresh_tags = None  # whatever open_ticket knew of them is no longer the whole story
    current = set(ticket.tags.values_list("name", flat=True) if current is None else current)
    wanted = set(tags)
    if current == wanted:
        return
    TicketTag.objects.filter(ticket=ticket, name__in=current - wanted).delete()
    TicketTag.objects.bulk_create(
        [TicketTag(ticket=ticket, name=t) for t in sorted(wanted - current)]
    )
    audit.change("tags", sorted(current), sorted(wanted))


def active_agent(user: Any, name: str) -> User | None:
    if user is None:
        return None
    if not isinstance(user, User):
        user = User.objects.filter(pk=user).first()
    if user is None or not user.is_active or user.role not in (Role.AGENT, Role.ADMIN):
        raise ValidationFailed(f"{name}: must be an active agent.", field=name, code="InvalidValue")
    return user
