"""Rule conditions: the field catalogue, the operators, validation and evaluation.

Pure: a condition is ``{"field": ..., "operator": ..., "value": ...}`` and is evaluated against a
plain snapshot dict (built from the ticket by `notify.triggers.snapshot`), so this module has no
ORM and is tested exhaustively. A rule matches when every ``all`` condition holds and, if the
``any`` list is not empty, at least one of its conditions holds.

The snapshot maps each field name to its current value; ``"_changes"`` maps changed field names to
``(old, new)`` for the "changed / changed_to / changed_from" operators (update events only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from switchboard.tickets.vocab import (
    CHANNEL_VALUES,
    PRIORITY_ORDER,
    STATUS_ORDER,
    TICKET_TYPE_VALUES,
)

STATUSES = list(STATUS_ORDER)
PRIORITIES = list(PRIORITY_ORDER)
TICKET_TYPES = ["", *TICKET_TYPE_VALUES]
CHANNELS = list(CHANNEL_VALUES)
PRODUCT_LINES = ["", "self_managed", "saas"]
REGIONS = ["all", "amer", "emea", "apac"]
SUPPORT_LEVELS = ["none", "standard", "priority"]
ROLES = ["end_user", "agent", "admin"]
METRICS = ["first_reply", "next_reply", "periodic_update", "agent_work"]

CHOICE, TEXT, TAGS, NUMBER, BOOL, ID, NUMBERS = (
    "choice",
    "text",
    "tags",
    "number",
    "bool",
    "id",
    "numbers",
)

_EQUALITY = ("is", "is_not", "in", "not_in", "present", "not_present")
_CHANGES = ("changed", "changed_to", "changed_from")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    CHOICE: (*_EQUALITY, "less_than", "greater_than"),
    TEXT: (*_EQUALITY, "contains", "not_contains"),
    TAGS: ("contains", "not_contains", "present", "not_present"),
    NUMBER: ("is", "is_not", "less_than", "greater_than", "present", "not_present"),
    BOOL: ("is", "is_not"),
    ID: _EQUALITY,
    NUMBERS: ("contains", "not_contains", "present", "not_present"),
}
OPERATORS = (
    "is",
    "is_not",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "changed",
    "changed_to",
    "changed_from",
    "less_than",
    "greater_than",
    "present",
    "not_present",
)
NO_VALUE = ("present", "not_present", "changed")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    choices: tuple[str, ...] = ()
    # Ordered choices compare with less_than / greater_than (priority low < urgent).
    ordered: bool = False
    # Whether update events report changes to it (the "changed ..." operators).
    changeable: bool = False

    def operators(self) -> tuple[str, ...]:
        ops = OPERATORS_BY_TYPE[self.type]
        if self.type == CHOICE and not self.ordered:
            ops = tuple(o for o in ops if o not in ("less_than", "greater_than"))
        return ops + (_CHANGES if self.changeable else ())


def _f(name: str, label: str, type_: str, choices: Sequence[str] = (), **kw: bool) -> Field:
    return Field(name, label, type_, tuple(choices), **kw)


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        _f("status", "Ticket status", CHOICE, STATUSES, ordered=True, changeable=True),
        _f("priority", "Ticket priority", CHOICE, PRIORITIES, ordered=True, changeable=True),
        _f("type", "Ticket type", CHOICE, TICKET_TYPES, changeable=True),
        _f("channel", "Ticket channel", CHOICE, CHANNELS),
        _f("tags", "Ticket tags", TAGS, changeable=True),
        _f("group", "Group (name)", TEXT, changeable=True),
        _f("assignee", "Assignee (email)", TEXT, changeable=True),
        _f("product_line", "Ticket product line", CHOICE, PRODUCT_LINES, changeable=True),
        _f("region", "Ticket preferred region", CHOICE, REGIONS, changeable=True),
        _f("subject", "Subject", TEXT, changeable=True),
        _f("description", "Description", TEXT),
        _f("organization", "Organization (name)", TEXT, changeable=True),
        _f("organization.support_level", "Organization support level", CHOICE, SUPPORT_LEVELS),
        _f("organization.product_line", "Organization product line", CHOICE, PRODUCT_LINES),
        _f("organization.region", "Organization preferred region", CHOICE, REGIONS),
        _f("organization.plan", "Organization plan", TEXT),
        _f("organization.is_internal", "Organization is internal", BOOL),
        _f("organization.has_tam", "Organization has a TAM / CSM", BOOL),
        _f("organization.crm_account_id", "CRM account id", TEXT),
        _f("organization.crm_account_owner", "CRM account owner", TEXT),
        _f("organization.market_segment", "CRM market segment", TEXT),
        _f("organization.sales_segmentation", "CRM sales segmentation", TEXT),
        _f("organization.account_type", "CRM account type", TEXT),
        _f("organization.arr", "CRM ARR", NUMBER),
        _f("organization.seats", "CRM seats", NUMBER),
        _f("requester.email", "Requester email", TEXT),
        _f("requester.domain", "Requester email domain", TEXT),
        _f("requester.role", "Requester role", CHOICE, ROLES),
        _f("comment.public", "Comment is public", BOOL),
        _f("comment.author_role", "Comment author role", CHOICE, ROLES),
        _f("sla.metric", "SLA metric", CHOICE, METRICS),
        _f("sla.minutes_left", "SLA minutes left", NUMBER),
        _f("sla.thresholds", "SLA warning thresholds crossed (minutes)", NUMBERS),
    ]
}


class ConditionError(ValueError):
    """A condition list that cannot be evaluated; the message names the condition and field."""


# --- validation ----------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_condition(condition: Any, where: str = "condition") -> None:
    """Raise ConditionError with a message naming `where` if `condition` is not usable."""
    if not isinstance(condition, Mapping):
        raise ConditionError(f"{where}: must be an object with field, operator and value.")
    unknown = set(condition) - {"field", "operator", "value"}
    if unknown:
        raise ConditionError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    name = condition.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ConditionError(
            f"{where}: unknown field {name!r}; known fields: {', '.join(sorted(FIELDS))}."
        )
    operator = condition.get("operator")
    if operator not in OPERATORS:
        raise ConditionError(
            f"{where}: unknown operator {operator!r}; use one of {', '.join(OPERATORS)}."
        )
    if operator not in spec.operators():
        raise ConditionError(
            f"{where}: operator {operator!r} does not apply to {name}; "
            f"use one of {', '.join(spec.operators())}."
        )
    value = condition.get("value")
    if operator in NO_VALUE:
        return
    if "value" not in condition:
        raise ConditionError(f"{where}: operator {operator!r} needs a value.")
    values = _as_list(value) if operator in ("in", "not_in") else [value]
    if operator in ("in", "not_in") and not values:
        raise ConditionError(f"{where}: {operator} needs at least one value.")
    if spec.type == TAGS:
        tags = _as_list(value)
        if not tags or not all(isinstance(t, str) and t.strip() for t in tags):
            raise ConditionError(f"{where}: tags must be a tag or a list of tags.")
        return
    if spec.type in (NUMBER, NUMBERS) or operator in ("less_than", "greater_than"):
        if spec.type == CHOICE:
            if value not in spec.choices:
                raise ConditionError(
                    f"{where}: {value!r} is not a {name}; use one of {', '.join(spec.choices)}."
                )
            return
        if not _is_number(value):
            raise ConditionError(f"{where}: {name} {operator} needs a number, not {value!r}.")
        return
    if spec.type == BOOL:
        if not isinstance(value, bool):
            raise ConditionError(f"{where}: {name} needs true or false, not {value!r}.")
        return
    if spec.type == CHOICE:
        bad = [v for v in values if v not in spec.choices]
        if bad:
            raise ConditionError(
                f"{where}: {bad[0]!r} is not a {name}; "
                f"use one of {', '.join(repr(c) for c in spec.choices)}."
            )
        return
    if not all(isinstance(v, str) for v in values):
        raise ConditionError(f"{where}: {name} needs text, not {value!r}.")
    if operator in ("contains", "not_contains") and not str(value).strip():
        raise ConditionError(f"{where}: {operator} needs non-blank text.")


def validate_conditions(conditions: Any, label: str = "conditions") -> None:
    if not isinstance(conditions, list):
        raise ConditionError(f"{label}: must be a list of conditions.")
    for index, condition in enumerate(conditions):
        validate_condition(condition, f"{label}[{index}]")


# --- evaluation ----------------------------------------------------------------------------


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | set) and not value)


def _rank(spec: Field, value: Any) -> int | None:
    try:
        return spec.choices.index(value)
    except ValueError:
        return None


def _compare(spec: Field, operator: str, current: Any, wanted: Any) -> bool:
    left: Any = _rank(spec, current) if spec.type == CHOICE else current
    right: Any = _rank(spec, wanted) if spec.type == CHOICE else wanted
    if not (_is_number(left) and _is_number(right)):
        return False
    return bool(left < right if operator == "less_than" else left > right)


def _matches_value(spec: Field, operator: str, current: Any, wanted: Any) -> bool:
    """is / is_not / in / not_in / contains / not_contains / less_than / greater_than."""
    if operator in ("less_than", "greater_than"):
        return _compare(spec, operator, current, wanted)
    if spec.type in (TAGS, NUMBERS):
        have = {_norm(t) for t in (current or [])}
        want = {_norm(t) for t in _as_list(wanted)} if spec.type == TAGS else {wanted}
        found = bool(have & want)
        return found if operator == "contains" else not found
    if operator in ("contains", "not_contains"):
        found = _norm(wanted) in (_norm(current) or "")
        return found if operator == "contains" else not found
    if operator in ("in", "not_in"):
        found = _norm(current) in {_norm(v) for v in _as_list(wanted)}
        return found if operator == "in" else not found
    same = _norm(current) == _norm(wanted)
    return same if operator == "is" else not same


def condition_holds(condition: Mapping[str, Any], snapshot: Mapping[str, Any]) -> bool:
    name = condition["field"]
    operator = condition["operator"]
    wanted = condition.get("value")
    spec = FIELDS[name]
    current = snapshot.get(name)
    if operator == "present":
        return not _empty(current)
    if operator == "not_present":
        return _empty(current)
    if operator in _CHANGES:
        changes: Mapping[str, tuple[Any, Any]] = snapshot.get("_changes") or {}
        if name not in changes:
            return False
        old, new = changes[name]
        if operator == "changed":
            return True
        probe = new if operator == "changed_to" else old
        if spec.type == TAGS:
            # Tags "changed to x" = x was added; "changed from x" = x was removed.
            before, after = {_norm(t) for t in old or []}, {_norm(t) for t in new or []}
            wanted_tags = {_norm(t) for t in _as_list(wanted)}
            moved = after - before if operator == "changed_to" else before - after
            return bool(moved & wanted_tags)
        return bool(_norm(probe) == _norm(wanted))
    return _matches_value(spec, operator, current, wanted)


def matches(
    conditions_all: Iterable[Mapping[str, Any]],
    conditions_any: Iterable[Mapping[str, Any]],
    snapshot: Mapping[str, Any],
) -> bool:
    """All of `conditions_all` hold and (when given) at least one of `conditions_any`."""
    if not all(condition_holds(c, snapshot) for c in conditions_all):
        return False
    any_list = list(conditions_any)
    return not any_list or any(condition_holds(c, snapshot) for c in any_list)


def explain(
    conditions_all: Iterable[Mapping[str, Any]],
    conditions_any: Iterable[Mapping[str, Any]],
    snapshot: Mapping[str, Any],
) -> list[tuple[str, Mapping[str, Any], bool]]:
    """Each condition with whether it held — for the admin's "test against a ticket" preview."""
    rows = [("all", c, condition_holds(c, snapshot)) for c in conditions_all]
    rows += [("any", c, condition_holds(c, snapshot)) for c in conditions_any]
    return rows
