"""Macros: validate their actions, render their comment templates safely, plan and preview them.

A macro's actions are a Zendesk-style JSON list: ``[{"field": "status", "value": "pending"}]``.
`plan_macro` turns them into the keyword changes `actions.update_ticket` / `actions.add_comment`
take; `actions.apply_macro` is the one write path. Comment templates use a tiny whitelist renderer
(``{{ticket.id}}``, ``{{current_user.name}}`` ...), never Django or Jinja template execution.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from switchboard.accounts.models import Role, SupportGroup, User
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.core.links import agent_ticket_url
from switchboard.tickets.models import Macro, Priority, Ticket, TicketStatus, TicketType

# --- placeholders --------------------------------------------------------------------------------


def ticket_url(ticket: Ticket) -> str:
    """The human agent-workspace link (never an API .json link)."""
    return agent_ticket_url(ticket.pk)


# `{{current_user.booking_link}}` mints a single-use booking link (a database write), so planning
# and previewing a macro leave it in place and the write paths expand it when the comment is
# actually posted (`expand_deferred`). The customer-calls app registers the minter: tickets sits
# below calls and cannot import it.
BOOKING_LINK = "{{current_user.booking_link}}"
_BOOKING_LINK_RE = re.compile(r"\{\{\s*current_user\.booking_link\s*\}\}")
_booking_link_minters: list[Callable[[Ticket, User, dict[str, Any]], str]] = []


def register_booking_link_minter(minter: Callable[[Ticket, User, dict[str, Any]], str]) -> None:
    """`minter(ticket, agent, options)` returns a fresh single-use link's URL (calls/links.py);
    `options` carries what the agent chose (e.g. {"call_type": "upgrade-assistance"})."""
    if minter not in _booking_link_minters:
        _booking_link_minters.clear()
        _booking_link_minters.append(minter)


def booking_link(ticket: Ticket, agent: User) -> str:
    """Kept as the placeholder until the comment is posted (see `expand_deferred`)."""
    return BOOKING_LINK


def expand_deferred(
    body: str, *, ticket: Ticket, actor: User, options: dict[str, Any] | None = None
) -> str:
    """Mint the booking link for a comment that is being posted, once, however often it appears.

    Run inside the posting transaction: if the comment fails, the link never existed.
    """
    if not _BOOKING_LINK_RE.search(body or ""):
        return body
    if not _booking_link_minters:
        raise ValidationFailed(
            "body: booking links are not available (customer calls are not set up).",
            field="body",
        )
    url = _booking_link_minters[0](ticket, actor, options or {})
    return _BOOKING_LINK_RE.sub(lambda _: url, body)


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.name or user.email


def _first_name(user: User | None) -> str:
    if user is None:
        return ""
    parts = (user.name or "").split()
    return parts[0] if parts else user.email.split("@")[0]


@dataclass(frozen=True)
class _Context:
    ticket: Ticket
    actor: User


# The whole vocabulary of a template: a name either appears here or the template is refused.
PLACEHOLDERS: dict[str, Callable[[_Context], Any]] = {
    "ticket.id": lambda c: c.ticket.pk,
    "ticket.title": lambda c: c.ticket.subject,
    "ticket.subject": lambda c: c.ticket.subject,
    "ticket.status": lambda c: c.ticket.status,
    "ticket.priority": lambda c: c.ticket.priority,
    "ticket.type": lambda c: c.ticket.ticket_type,
    "ticket.url": lambda c: ticket_url(c.ticket),
    "ticket.requester.name": lambda c: _name(c.ticket.requester),
    "ticket.requester.first_name": lambda c: _first_name(c.ticket.requester),
    "ticket.requester.email": lambda c: c.ticket.requester.email,
    "ticket.organization.name": lambda c: (
        c.ticket.organization.name if c.ticket.organization else ""
    ),
    "ticket.assignee.name": lambda c: _name(c.ticket.assignee),
    "ticket.assignee.first_name": lambda c: _first_name(c.ticket.assignee),
    "ticket.group.name": lambda c: c.ticket.group.name if c.ticket.group else "",
    "current_user.name": lambda c: _name(c.actor),
    "current_user.first_name": lambda c: _first_name(c.actor),
    "current_user.email": lambda c: c.actor.email,
    "current_user.booking_link": lambda c: booking_link(c.ticket, c.actor),
}

_PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def _placeholders(template: str, where: str) -> list[tuple[re.Match[str], str]]:
    """Every ``{{ name }}`` in `template`, checked against the whitelist; braces must balance."""
    found: list[tuple[re.Match[str], str]] = []
    for match in _PLACEHOLDER_RE.finditer(template):
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            shown = name if len(name) <= 60 else name[:57] + "..."
            raise ValidationFailed(
                f"Unknown placeholder {{{{{shown}}}}} in {where}. "
                f"Known placeholders: {', '.join('{{' + p + '}}' for p in PLACEHOLDERS)}.",
                field="comment_value",
                code="UnknownPlaceholder",
            )
        found.append((match, name))
    rest = _PLACEHOLDER_RE.sub("", template)
    if "{{" in rest or "}}" in rest:
        raise ValidationFailed(
            f'Unbalanced "{{{{" or "}}}}" in {where}; placeholders look like {{{{ticket.id}}}}.',
            field="comment_value",
            code="UnbalancedBraces",
        )
    return found


def check_template(template: str, *, where: str = "the comment") -> None:
    """Raise ValidationFailed naming the first unknown placeholder or unbalanced brace."""
    _placeholders(template, where)


def render_template(
    template: str, *, ticket: Ticket, actor: User, where: str = "the comment"
) -> str:
    """Replace whitelisted placeholders with their values; anything else is refused."""
    context = _Context(ticket=ticket, actor=actor)
    parts: list[str] = []
    position = 0
    for match, name in _placeholders(template, where):
        parts.append(template[position : match.start()])
        value = PLACEHOLDERS[name](context)
        parts.append("" if value is None else str(value))
        position = match.end()
    parts.append(template[position:])
    return "".join(parts)


# --- actions ---------------------------------------------------------------------------------

# Statuses a macro may set: never back to new, and closing is the solved → closed time rule's job.
MACRO_STATUSES = ("open", "pending", "hold", "solved")
TAG_FIELDS = {"current_tags": "add_tags", "set_tags": "tags", "remove_tags": "remove_tags"}
SCALAR_FIELDS = (
    "status",
    "priority",
    "type",
    "assignee_id",
    "group_id",
    "subject",
    "comment_value",
    "comment_mode_is_public",
)
KNOWN_FIELDS = (*SCALAR_FIELDS[:5], *TAG_FIELDS, *SCALAR_FIELDS[5:])


def _fail(index: int, name: str, message: str, code: str = "InvalidValue") -> ValidationFailed:
    return ValidationFailed(f"actions[{index}] ({name}): {message}", field="actions", code=code)


def _tags(index: int, name: str, value: Any) -> list[str]:
    from switchboard.tickets.actions.fields import normalize_tags

    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = " ".join(value)
    if not isinstance(value, str):
        raise _fail(index, name, 'expected tags as text separated by spaces, e.g. "a b".')
    try:
        return normalize_tags(value)
    except ValidationFailed as exc:
        raise _fail(index, name, exc.message) from None


def _bool(index: int, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(index, name, f"expected true or false, not {value!r}.")


def _reference(index: int, name: str, value: Any, *, current_user: bool) -> int | str | None:
    if value is None or value == "":
        return None
    if current_user and value == "current_user":
        return "current_user"
    if isinstance(value, bool):
        raise _fail(index, name, f"expected an id, not {value!r}.")
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    extra = ', "current_user"' if current_user else ""
    raise _fail(index, name, f"expected an id{extra} or null, not {value!r}.")


@dataclass(frozen=True)
class _Parsed:
    scalars: dict[str, Any]
    add_tags: list[str]
    remove_tags: list[str]
    set_tags: list[str] | None


def _parse_actions(actions: Any, where: str = "the macro") -> _Parsed:
    if not isinstance(actions, list):
        raise ValidationFailed(
            'actions: expected a list like [{"field": "status", "value": "pending"}].',
            field="actions",
        )
    scalars: dict[str, Any] = {}
    add: list[str] = []
    remove: list[str] = []
    set_tags: list[str] | None = None
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or "field" not in action or "value" not in action:
            raise ValidationFailed(
                f'actions[{index}]: expected {{"field": ..., "value": ...}}, got {action!r}.',
                field="actions",
            )
        extra = set(action) - {"field", "value"}
        name, value = action["field"], action["value"]
        if extra:
            raise _fail(index, str(name), f"unexpected key {sorted(extra)[0]!r}.")
        if name not in KNOWN_FIELDS:
            raise _fail(
                index,
                str(name),
                f"unknown field {name!r}; expected one of {', '.join(KNOWN_FIELDS)}.",
                code="UnknownField",
            )
        if name in TAG_FIELDS:
            tags = _tags(index, name, value)
            if name == "current_tags":
                add += [t for t in tags if t not in add]
            elif name == "remove_tags":
                remove += [t for t in tags if t not in remove]
            else:
                if set_tags is not None:
                    raise _fail(index, name, "set_tags appears twice.")
                set_tags = tags
            continue
        if name in scalars:
            raise _fail(index, name, f"{name} appears twice.")
        if name == "status":
            if value not in MACRO_STATUSES:
                raise _fail(index, name, f"{value!r} is not one of {', '.join(MACRO_STATUSES)}.")
        elif name == "priority":
            if value not in Priority.values:
                raise _fail(index, name, f"{value!r} is not one of {', '.join(Priority.values)}.")
        elif name == "type":
            if value not in ("", *TicketType.values):
                raise _fail(index, name, f"{value!r} is not one of {', '.join(TicketType.values)}.")
        elif name == "assignee_id":
            value = _reference(index, name, value, current_user=True)
        elif name == "group_id":
            value = _reference(index, name, value, current_user=False)
        elif name == "subject":
            if not isinstance(value, str) or not value.strip() or len(value) > 255:
                raise _fail(index, name, "expected a non-blank subject of at most 255 characters.")
            check_template(value, where=f"{where} (subject)")
        elif name == "comment_value":
            if not isinstance(value, str) or not value.strip():
                raise _fail(index, name, "expected a non-blank comment template.")
            check_template(value, where=where)
        elif name == "comment_mode_is_public":
            value = _bool(index, name, value)
        scalars[name] = value
    both = sorted(set(add) & set(remove))
    if both:
        raise ValidationFailed(
            f"actions: tag {both[0]!r} is both added and removed.", field="actions"
        )
    return _Parsed(scalars, add, remove, set_tags)


def validate_macro_actions(actions: Any, *, title: str = "") -> None:
    """Raise ValidationFailed (naming the action and the problem) unless `actions` is valid."""
    _parse_actions(actions, f'macro "{title}"' if title else "the macro")


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroPlan:
    """What applying a macro does: keyword changes for update_ticket, and an optional comment."""

    changes: dict[str, Any] = field(default_factory=dict)
    comment_body: str = ""
    comment_public: bool = True


def _active_agent(pk: int, name: str) -> User:
    user = User.objects.filter(pk=pk, is_active=True, role__in=(Role.AGENT, Role.ADMIN)).first()
    if user is None:
        raise ValidationFailed(f"{name}: user {pk} is not an active agent.", field="actions")
    return user


def _check_may_use(macro: Macro, actor: User) -> None:
    if not macro.active:
        raise ValidationFailed(
            f'Macro "{macro.title}" is inactive.', field="macro", code="Inactive"
        )
    group_id = macro.restricted_to_group_id
    if (
        group_id is not None
        and actor.role != Role.ADMIN
        and not actor.support_groups.filter(pk=group_id).exists()
    ):
        raise PermissionDenied(f'Macro "{macro.title}" is restricted to another group.')


def plan_macro(*, macro: Macro, ticket: Ticket, actor: User) -> MacroPlan:
    """Resolve a macro against a ticket and the agent applying it; writes nothing."""
    _check_may_use(macro, actor)
    where = f'macro "{macro.title}"'
    parsed = _parse_actions(macro.actions, where)
    s = parsed.scalars
    changes: dict[str, Any] = {}
    if "subject" in s:
        changes["subject"] = render_template(s["subject"], ticket=ticket, actor=actor, where=where)
    if "priority" in s:
        changes["priority"] = s["priority"]
    if "type" in s:
        changes["ticket_type"] = s["type"]
    if "assignee_id" in s:
        ref = s["assignee_id"]
        if ref == "current_user":
            changes["assignee"] = actor
        else:
            changes["assignee"] = None if ref is None else _active_agent(ref, "assignee_id")
    if "group_id" in s:
        ref = s["group_id"]
        group = None if ref is None else SupportGroup.objects.filter(pk=ref).first()
        if ref is not None and group is None:
            raise ValidationFailed(f"group_id: group {ref} does not exist.", field="actions")
        changes["group"] = group
    if parsed.set_tags is not None:
        final = [t for t in parsed.set_tags if t not in parsed.remove_tags]
        final += [t for t in parsed.add_tags if t not in final]
        changes["tags"] = final
    else:
        if parsed.add_tags:
            changes["add_tags"] = parsed.add_tags
        if parsed.remove_tags:
            changes["remove_tags"] = parsed.remove_tags
    if "status" in s:  # last, as update_ticket applies it last
        changes["status"] = s["status"]
    body = ""
    if "comment_value" in s:
        body = render_template(s["comment_value"], ticket=ticket, actor=actor, where=where)
    return MacroPlan(
        changes=changes,
        comment_body=body,
        comment_public=bool(s.get("comment_mode_is_public", True)),
    )


def _shown(value: Any) -> Any:
    if isinstance(value, User):
        return {"id": value.pk, "name": _name(value)}
    if isinstance(value, SupportGroup):
        return {"id": value.pk, "name": value.name}
    return value


def preview_macro(*, macro: Macro, ticket: Ticket, actor: User) -> dict[str, Any]:
    """What applying `macro` would do to `ticket`, without writing anything.

    ``{"macro": {...}, "changes": [{"field", "from", "to"}], "tags": {"before", "after"},
    "comment": {"body", "public"} | None}``. Includes the implicit changes the actions make
    (an agent's first action opens a new ticket; solving an unassigned ticket assigns the agent).
    """
    plan = plan_macro(macro=macro, ticket=ticket, actor=actor)
    rows: list[dict[str, Any]] = []

    def row(name: str, old: Any, new: Any) -> None:
        if old != new:
            rows.append({"field": name, "from": _shown(old), "to": _shown(new)})

    before_tags = ticket.tag_names()
    after_tags = list(before_tags)
    for name, value in plan.changes.items():
        if name == "tags":
            after_tags = list(value)
        elif name == "add_tags":
            after_tags += [t for t in value if t not in after_tags]
        elif name == "remove_tags":
            after_tags = [t for t in after_tags if t not in value]
        elif name != "status":
            row(name, getattr(ticket, name), value)
    if sorted(after_tags) != before_tags:
        row("tags", before_tags, sorted(after_tags))
    status = plan.changes.get("status")
    if status is None and ticket.status == TicketStatus.NEW and (rows or plan.comment_body):
        status = TicketStatus.OPEN.value
    if status is not None:
        row("status", ticket.status, status)
        assignee = plan.changes.get("assignee", ticket.assignee)
        if status == TicketStatus.SOLVED and assignee is None:
            row("assignee", None, actor)
    return {
        "macro": {"id": macro.pk, "title": macro.title},
        "ticket": {"id": ticket.pk},
        "changes": rows,
        "tags": {"before": before_tags, "after": sorted(after_tags)},
        "comment": {"body": plan.comment_body, "public": plan.comment_public}
        if plan.comment_body
        else None,
    }


# --- managing macros -------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can manage shared macros.")


@transaction.atomic
def create_macro(
    *,
    actor: User,
    title: str,
    actions: list[dict[str, Any]],
    description: str = "",
    active: bool = True,
    position: int = 0,
    restricted_to_group: SupportGroup | None = None,
) -> Macro:
    """Create a macro after validating its title and actions."""
    _require_admin(actor)
    title = (title or "").strip()
    if not title or len(title) > 150:
        raise ValidationFailed("title: 1 to 150 characters.", field="title")
    if Macro.objects.filter(title=title).exists():
        raise ValidationFailed(f'title: a macro called "{title}" exists.', field="title")
    validate_macro_actions(actions, title=title)
    return Macro.objects.create(
        title=title,
        actions=actions,
        description=description,
        active=active,
        position=position,
        restricted_to_group=restricted_to_group,
    )


@transaction.atomic
def update_macro(*, actor: User, macro: Macro, **fields: Any) -> Macro:
    """Change a macro's title, description, actions, active flag, position or group."""
    _require_admin(actor)
    allowed = {"title", "description", "actions", "active", "position", "restricted_to_group"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(
            f"{sorted(unknown)[0]}: not a macro field.", field=sorted(unknown)[0]
        )
    if "actions" in fields:
        validate_macro_actions(fields["actions"], title=fields.get("title", macro.title))
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title or len(title) > 150:
            raise ValidationFailed("title: 1 to 150 characters.", field="title")
        if Macro.objects.filter(title=title).exclude(pk=macro.pk).exists():
            raise ValidationFailed(f'title: a macro called "{title}" exists.', field="title")
        fields["title"] = title
    for name, value in fields.items():
        setattr(macro, name, value)
    macro.save()
    return macro
