"""Policy conditions: which tickets a policy applies to (pure; no queries).

Shape (the same as views and triggers): ``{"all": [cond, ...], "any": [cond, ...]}``; every
``all`` condition must hold and, when ``any`` is not empty, at least one of ``any``. Empty
conditions match every ticket. A condition is ``{"field": ..., "operator": ..., "value": ...}``.

Fields are read from a flat dict built by :func:`ticket_facts`. Operators: ``is``, ``is_not``,
``in``, ``not_in`` (value a list), ``includes`` / ``not_includes`` (for ``tags``: the value is a
tag or a list of tags, any of which counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FIELDS = (
    "organization.id",
    "organization.name",
    "organization.support_level",
    "organization.is_internal",
    "organization.product_line",
    "priority",
    "ticket_type",
    "channel",
    "product_line",
    "preferred_region",
    "group",
    "tags",
)
OPERATORS = ("is", "is_not", "in", "not_in", "includes", "not_includes")


class ConditionError(ValueError):
    pass


def validate_conditions(conditions: Any) -> None:
    """Raise ConditionError with a readable message when `conditions` is malformed."""
    if conditions in (None, {}):
        return
    if not isinstance(conditions, dict):
        raise ConditionError('Conditions must be an object like {"all": [...], "any": [...]}.')
    unknown = set(conditions) - {"all", "any"}
    if unknown:
        raise ConditionError(f"Unknown key {sorted(unknown)[0]!r}; use 'all' and 'any'.")
    for key in ("all", "any"):
        items = conditions.get(key, [])
        if not isinstance(items, list):
            raise ConditionError(f"'{key}' must be a list of conditions.")
        for index, item in enumerate(items):
            where = f"{key}[{index}]"  # the row editor shows the message next to this row
            if not isinstance(item, dict) or "field" not in item or "operator" not in item:
                raise ConditionError(
                    f"{where}: each condition needs 'field', 'operator', 'value': {item!r}"
                )
            if item["field"] not in FIELDS:
                raise ConditionError(
                    f"{where}: unknown field {item['field']!r}; use one of {', '.join(FIELDS)}."
                )
            if item["operator"] not in OPERATORS:
                raise ConditionError(
                    f"{where}: unknown operator {item['operator']!r}; "
                    f"use one of {', '.join(OPERATORS)}."
                )
            if item["operator"] in ("in", "not_in") and not isinstance(item.get("value"), list):
                raise ConditionError(f"{where}: operator {item['operator']!r} needs a list value.")


def matches(conditions: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> bool:
    if not conditions:
        return True
    all_ok = all(_holds(c, facts) for c in conditions.get("all", []))
    any_items = conditions.get("any", [])
    return all_ok and (not any_items or any(_holds(c, facts) for c in any_items))


def _norm(value: Any) -> Any:
    # Compare ids and booleans as given, everything else as text ("3" == 3 for ids).
    if isinstance(value, bool) or value is None:
        return value
    return str(value)


def _holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    field = condition.get("field")
    operator = condition.get("operator")
    value = condition.get("value")
    actual = facts.get(field)  # type: ignore[arg-type]
    if operator == "is":
        return _norm(actual) == _norm(value)
    if operator == "is_not":
        return _norm(actual) != _norm(value)
    if operator in ("in", "not_in"):
        found = _norm(actual) in {_norm(v) for v in (value or [])}
        return found if operator == "in" else not found
    if operator in ("includes", "not_includes"):
        wanted = {str(v) for v in (value if isinstance(value, list) else [value])}
        have = {str(v) for v in (actual if isinstance(actual, Iterable) else [])}
        found = bool(wanted & have)
        return found if operator == "includes" else not found
    return False
