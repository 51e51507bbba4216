"""Views: saved ticket filters with live counts (My open tickets, Unassigned, SLA hawk, ...).

`View.conditions` is ``{"all": [...], "any": [...]}`` of ``{"field", "operator", "value"}``, as in
Zendesk: every "all" condition must hold and, if there are "any" conditions, at least one of them.
Conditions compile to filters on indexed ticket columns (SLA ones to a `sla_due_at` range) and are
always ANDed with `queries.visible_tickets(user)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import ProductLine, Region
from switchboard.core.errors import ValidationFailed
from switchboard.tickets.models import Ticket, TicketTag, TicketType, View
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.vocab import (
    PRIORITY_ORDER,
    STATUS_ORDER,
    TAG_ENTITLEMENT_UNVERIFIED,
)

IS = ("is", "is_not")
ORDERED = ("is", "is_not", "less_than", "greater_than")
TAG_OPS = ("includes", "not_includes")
AGE_OPS = ("less_than", "greater_than")


@dataclass(frozen=True)
class _Ctx:
    user_id: int | None
    now: datetime


@dataclass(frozen=True)
class _Field:
    operators: tuple[str, ...]
    check: Callable[[str, Any], Any]  # (where, value) -> normalised value; raises ValidationFailed
    compile: Callable[[str, Any, _Ctx], Q]  # (operator, normalised value, ctx) -> Q


def _bad(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{where}: {message}", field="conditions", code="InvalidValue")


def _one_of(choices: Iterable[str], *, blank: bool = False) -> Callable[[str, Any], Any]:
    allowed = [*([""] if blank else []), *choices]

    def check(where: str, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        if not values or any(v not in allowed for v in values):
            shown = ", ".join(repr(a) for a in allowed)
            raise _bad(where, f"{value!r} is not one of {shown}.")
        return values

    return check


def _reference(*, current_user: bool, nullable: bool) -> Callable[[str, Any], Any]:
    def check(where: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        if current_user and value == "current_user":
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        options = [
            "an id",
            *(['"current_user"'] if current_user else []),
            *(["null"] if nullable else []),
        ]
        raise _bad(where, f"expected {' or '.join(options)}, not {value!r}.")

    return check


def _positive_int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(where, f"expected a whole number, not {value!r}.")
    try:
        number = int(value)
    except ValueError:
        raise _bad(where, f"expected a whole number, not {value!r}.") from None
    if number < 0 or number > 10 * 365 * 24 * 60:
        raise _bad(where, f"{number} is out of range.")
    return number


def _boolean(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _bad(where, f"expected true or false, not {value!r}.")


def _tags(where: str, value: Any) -> list[str]:
    from switchboard.tickets.actions.fields import normalize_tags

    try:
        tags = normalize_tags(value if isinstance(value, list) else [value])
    except ValidationFailed as exc:
        raise _bad(where, exc.message) from None
    if not tags:
        raise _bad(where, "name at least one tag.")
    return tags


# --- compilers -------------------------------------------------------------------------------


def _ordered_values(order: Iterable[str], operator: str, values: list[str]) -> list[str]:
    order = list(order)
    if operator in IS:
        return values
    index = order.index(values[0])
    return order[:index] if operator == "less_than" else order[index + 1 :]


def _ordered(column: str, order: Iterable[str]) -> Callable[[str, Any, _Ctx], Q]:
    def compile(operator: str, values: Any, ctx: _Ctx) -> Q:
        q = Q(**{f"{column}__in": _ordered_values(order, operator, values)})
        return ~q if operator == "is_not" else q

    return compile


def _choice_column(column: str) -> Callable[[str, Any, _Ctx], Q]:
    def compile(operator: str, values: Any, ctx: _Ctx) -> Q:
        q = Q(**{f"{column}__in": values})
        return ~q if operator == "is_not" else q

    return compile


def _fk(column: str) -> Callable[[str, Any, _Ctx], Q]:
    def compile(operator: str, value: Any, ctx: _Ctx) -> Q:
        if value is None:
            return Q(**{f"{column}__isnull": operator == "is"})
        if value == "current_user":
            value = ctx.user_id
        q = Q(**{column: value})
        # "is not X" includes tickets where the column is empty, as Zendesk does.
        return (~q | Q(**{f"{column}__isnull": True})) if operator == "is_not" else q

    return compile


def _has_tags(tags: list[str]) -> Q:
    # `pk IN (tickets with the tag)`, not a correlated EXISTS: inside the view counts' FILTER
    # clauses PostgreSQL runs an EXISTS once per ticket, an IN subquery once per query (hashed).
    return Q(pk__in=TicketTag.objects.filter(name__in=tags).values("ticket_id"))


def _compile_tags(operator: str, tags: Any, ctx: _Ctx) -> Q:
    q = _has_tags(tags)
    return ~q if operator == "not_includes" else q


def _compile_entitlement(operator: str, value: Any, ctx: _Ctx) -> Q:
    unverified = value[0] == "unverified"
    if operator == "is_not":
        unverified = not unverified
    q = _has_tags([TAG_ENTITLEMENT_UNVERIFIED])
    return q if unverified else ~q


def _compile_sla_due_within(operator: str, minutes: Any, ctx: _Ctx) -> Q:
    # A range on the indexed sla_due_at column: an index range scan, not a scan over all tickets.
    return Q(sla_due_at__gte=ctx.now, sla_due_at__lt=ctx.now + timedelta(minutes=minutes))


# "Has a breached clock nobody has answered since": the SLA app registers it (tickets sits below
# sla and does not import it); a filter on the ticket rows, e.g. an Exists() subquery.
_unanswered_breach: list[Callable[[], Q]] = []


def register_unanswered_breach(build: Callable[[], Q]) -> None:
    _unanswered_breach[:] = [build]


def _compile_sla_breached(operator: str, breached: Any, ctx: _Ctx) -> Q:
    # Past due but not yet swept, or a clock the sweeper marked breached and nobody has answered
    # since (its ticket's sla_due_at has moved on to the next running clock, or to NULL).
    q = Q(sla_due_at__lt=ctx.now)
    if _unanswered_breach:
        q |= _unanswered_breach[0]()
    if operator == "is_not":
        breached = not breached
    return q if breached else ~q


def _age(column: str) -> Callable[[str, Any, _Ctx], Q]:
    def compile(operator: str, hours: Any, ctx: _Ctx) -> Q:
        cutoff = ctx.now - timedelta(hours=hours)
        # less than N hours ago = after the cutoff; greater than N hours ago = before it.
        if operator == "less_than":
            return Q(**{f"{column}__gt": cutoff})
        return Q(**{f"{column}__lt": cutoff})

    return compile


FIELDS: dict[str, _Field] = {
    "status": _Field(ORDERED, _one_of(STATUS_ORDER), _ordered("status", STATUS_ORDER)),
    "priority": _Field(ORDERED, _one_of(PRIORITY_ORDER), _ordered("priority", PRIORITY_ORDER)),
    "ticket_type": _Field(
        IS, _one_of(TicketType.values, blank=True), _choice_column("ticket_type")
    ),
    "product_line": _Field(
        IS, _one_of(ProductLine.values, blank=True), _choice_column("product_line")
    ),
    "preferred_region": _Field(IS, _one_of(Region.values), _choice_column("preferred_region")),
    "assignee": _Field(IS, _reference(current_user=True, nullable=True), _fk("assignee_id")),
    "requester": _Field(IS, _reference(current_user=True, nullable=False), _fk("requester_id")),
    "group": _Field(IS, _reference(current_user=False, nullable=True), _fk("group_id")),
    "organization": _Field(
        IS, _reference(current_user=False, nullable=True), _fk("organization_id")
    ),
    "tags": _Field(TAG_OPS, _tags, _compile_tags),
    "entitlement": _Field(IS, _one_of(["unverified", "verified"]), _compile_entitlement),
    "sla_due_within_minutes": _Field(("is",), _positive_int, _compile_sla_due_within),
    "sla_breached": _Field(IS, _boolean, _compile_sla_breached),
    "hours_since_created": _Field(AGE_OPS, _positive_int, _age("created_at")),
    "hours_since_updated": _Field(AGE_OPS, _positive_int, _age("updated_at")),
    "hours_since_solved": _Field(AGE_OPS, _positive_int, _age("solved_at")),
}


def _parse(conditions: Any) -> list[tuple[str, list[tuple[str, str, Any]]]]:
    """Validate and normalise; returns [("all"|"any", [(field, operator, value), ...])]."""
    if not isinstance(conditions, dict):
        raise ValidationFailed(
            'conditions: expected {"all": [...], "any": [...]}.', field="conditions"
        )
    unknown = set(conditions) - {"all", "any"}
    if unknown:
        raise ValidationFailed(
            f'conditions: unknown key {sorted(unknown)[0]!r}; use "all" and "any".',
            field="conditions",
        )
    parsed: list[tuple[str, list[tuple[str, str, Any]]]] = []
    for kind in ("all", "any"):
        items = conditions.get(kind, [])
        if not isinstance(items, list):
            raise ValidationFailed(f"conditions.{kind}: expected a list.", field="conditions")
        rows: list[tuple[str, str, Any]] = []
        for index, item in enumerate(items):
            where = f"conditions.{kind}[{index}]"
            if not isinstance(item, dict) or set(item) != {"field", "operator", "value"}:
                raise ValidationFailed(
                    f'{where}: expected {{"field": ..., "operator": ..., "value": ...}}, '
                    f"got {item!r}.",
                    field="conditions",
                )
            name, operator, value = item["field"], item["operator"], item["value"]
            spec = FIELDS.get(name) if isinstance(name, str) else None
            if spec is None:
                raise ValidationFailed(
                    f"{where}: unknown field {name!r}; expected one of {', '.join(FIELDS)}.",
                    field="conditions",
                    code="UnknownField",
                )
            if operator not in spec.operators:
                raise ValidationFailed(
                    f"{where}: operator {operator!r} does not apply to {name}; "
                    f"use {', '.join(spec.operators)}.",
                    field="conditions",
                    code="InvalidOperator",
                )
            value = spec.check(f"{where} ({name})", value)
            if (
                operator in ("less_than", "greater_than")
                and isinstance(value, list)
                and len(value) != 1
            ):
                raise _bad(f"{where} ({name})", f"{operator} takes a single value.")
            rows.append((name, operator, value))
        parsed.append((kind, rows))
    return parsed


def validate_view_conditions(conditions: Any) -> None:
    """Raise ValidationFailed naming the condition and the problem unless `conditions` is valid."""
    _parse(conditions)


def conditions_q(conditions: Any, user: Any, now: datetime | None = None) -> Q:
    """The filter a view's conditions stand for ("current_user" = `user`)."""
    ctx = _Ctx(user_id=getattr(user, "pk", None), now=now or timezone.now())
    q = Q()
    for kind, rows in _parse(conditions):
        compiled = [FIELDS[name].compile(operator, value, ctx) for name, operator, value in rows]
        if not compiled:
            continue
        if kind == "all":
            for item in compiled:
                q &= item
        else:
            any_q = Q()
            for item in compiled:
                any_q |= item
            q &= any_q
    return q


# --- sorting ---------------------------------------------------------------------------------

_RANKS = {
    "status": Case(
        *[When(status=s, then=Value(i)) for i, s in enumerate(STATUS_ORDER)],
        output_field=IntegerField(),
    ),
    "priority": Case(
        *[When(priority=p, then=Value(i)) for i, p in enumerate(PRIORITY_ORDER)],
        output_field=IntegerField(),
    ),
}
SORT_COLUMNS = {
    "id": "pk",
    "subject": "subject",
    "status": "status",
    "priority": "priority",
    "ticket_type": "ticket_type",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "solved_at": "solved_at",
    "sla_due_at": "sla_due_at",
    "requester": "requester__name",
    "assignee": "assignee__name",
    "group": "group__name",
    "organization": "organization__name",
}


def _ordering(sort_by: str, sort_order: str) -> list[Any]:
    column = SORT_COLUMNS.get(sort_by, "updated_at")
    descending = sort_order == "desc"
    expression = _RANKS[column] if column in _RANKS else F(column)
    primary = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return [primary, "-pk" if descending else "pk"]


# --- queries ---------------------------------------------------------------------------------


def tickets_in_view(view: View, user: Any, now: datetime | None = None) -> QuerySet[Ticket]:
    """The tickets `user` sees in `view`, sorted as the view says (unknown sorts: updated_at)."""
    return (
        visible_tickets(user)
        .filter(conditions_q(view.conditions, user, now))
        .select_related("requester", "assignee", "group", "organization")
        .order_by(*_ordering(view.sort_by, view.sort_order))
    )


def count_view(view: View, user: Any, now: datetime | None = None) -> int:
    return visible_tickets(user).filter(conditions_q(view.conditions, user, now)).count()


def count_views(views: Iterable[View], user: Any, now: datetime | None = None) -> dict[int, int]:
    """{view id: count} for many views in one query (conditional aggregation).

    The scan is narrowed to tickets matching at least one view (an OR of the views' filters),
    which the planner can serve from the status/assignee/sla_due_at indexes, since in a real
    desk most tickets are closed and in no view.
    """
    now = now or timezone.now()
    filters = {view.pk: conditions_q(view.conditions, user, now) for view in views}
    if not filters:
        return {}
    narrowed = Q()
    for q in filters.values():
        if not q:  # a view without conditions counts every visible ticket
            narrowed = Q()
            break
        narrowed |= q
    counts = (
        visible_tickets(user)
        .filter(narrowed)
        .aggregate(
            **{f"v{pk}": Count("pk", filter=q or Q(pk__isnull=False)) for pk, q in filters.items()}
        )
    )
    return {pk: counts[f"v{pk}"] or 0 for pk in filters}


def views_for(user: Any) -> QuerySet[View]:
    """Active views `user` may open (accounts.access.views_q: shared ones and their own
    personal ones), in display order."""
    return View.objects.filter(access.views_q(user), active=True)
