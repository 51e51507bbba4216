"""Bulk updates from a view: the same change applied to many selected tickets.

Each ticket goes through the ordinary actions (`update_ticket`, or `apply_macro`), so the usual
rules hold for every one of them: permissions, closed tickets never change, listeners and SLA
clocks run, and each ticket gets its own audit (one change set per ticket). A ticket is all or
nothing: it runs in its own savepoint, so a ticket that fails (closed, changed since the agent
loaded the list, not visible, an invalid value) is skipped and rolled back alone while the others
are written. The caller gets a `BulkOutcome` that says which were updated and why the others
were skipped ("3 updated, 1 skipped: #12 closed").

Reads are set-based: the tickets are loaded in one query and the assignee, group and macro are
passed as objects, so the only per-ticket queries are the write itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from switchboard.accounts import access
from switchboard.core.errors import Conflict, PermissionDenied, SwitchboardError, ValidationFailed
from switchboard.tickets.actions.macros import apply_macro
from switchboard.tickets.actions.update import require_unchanged_since, update_ticket
from switchboard.tickets.models import Macro
from switchboard.tickets.queries import visible_tickets

MAX_BULK = 100  # as Zendesk's update_many: at most 100 tickets in one request


@dataclass
class BulkOutcome:
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, why)

    @property
    def summary(self) -> str:
        parts = [f"{len(self.updated)} updated"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} unchanged")
        text = ", ".join(parts)
        if self.skipped:
            reasons = "; ".join(f"#{pk} {why}" for pk, why in self.skipped)
            text += f", {len(self.skipped)} skipped: {reasons}"
        return text


def _reason(exc: SwitchboardError) -> str:
    if isinstance(exc, Conflict):
        return "changed since you loaded the list"
    if exc.code == "Closed":
        return "closed"
    return exc.message


def bulk_update(
    *,
    actor: Any,
    ticket_ids: Iterable[int],
    changes: dict[str, Any] | None = None,
    macro: Macro | None = None,
    loaded_at: datetime | None = None,
) -> BulkOutcome:
    """Apply `changes` (update_ticket's fields: assignee, group, status, priority, add_tags,
    remove_tags) or `macro` to each ticket of `ticket_ids`. Agents only.

    `loaded_at` (when the agent's list was rendered) makes each ticket a compare-and-set: a
    ticket changed after it is skipped. Tickets the actor may not see are skipped as "not found".
    """
    if not access.is_agent(actor):
        raise PermissionDenied("Only agents can update tickets in bulk.")
    changes = dict(changes or {})
    if macro is not None and changes:
        raise ValidationFailed(
            "Apply a macro on its own, or change fields without one.", field="macro"
        )
    if macro is None and not changes:
        raise ValidationFailed("Choose a change to make.", field="changes")
    ids = list(dict.fromkeys(int(pk) for pk in ticket_ids))
    if not ids:
        raise ValidationFailed("Select at least one ticket.", field="tickets")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"tickets: at most {MAX_BULK} at a time.", field="tickets")

    tickets = visible_tickets(actor).defer("search_vector").in_bulk(ids)
    outcome = BulkOutcome()
    for pk in ids:
        ticket = tickets.get(pk)
        if ticket is None:
            outcome.skipped.append((pk, "not found"))
            continue
        try:
            with transaction.atomic():
                if loaded_at is not None:
                    ticket = require_unchanged_since(ticket=ticket, stamp=loaded_at)
                before = ticket.updated_at
                if macro is not None:
                    after = apply_macro(ticket=ticket, macro=macro, actor=actor)
                else:
                    after = update_ticket(ticket=ticket, actor=actor, **changes)
        except SwitchboardError as exc:
            outcome.skipped.append((pk, _reason(exc)))
            continue
        if after.updated_at == before:
            outcome.unchanged.append(pk)
        else:
            outcome.updated.append(pk)
    return outcome


def ticket_ids_from(values: Iterable[str]) -> list[int]:
    """Ticket ids from a form's checkboxes; anything that is not a whole number is a 422."""
    ids = []
    for value in values:
        if not str(value).isdigit():
            raise ValidationFailed(f"tickets: {value!r} is not a ticket id.", field="tickets")
        ids.append(int(value))
    return ids
