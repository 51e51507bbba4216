"""The trigger engine: after each ticket event (and each SLA warning or breach), run the active
triggers in order, each at most once per event, and record what each firing did.

Runs in the worker from the ticket event's job (tickets/events.py lists it after the SLA clocks
and the on-call helpdesk rule), or in the SLA sweep's transaction; field changes and queued
deliveries commit together, with the firing record that makes a re-run a no-op. A trigger's own
field changes go through `tickets.actions.update` as the system actor and do not re-run
the triggers (no loops); later triggers see them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db.models import prefetch_related_objects
from django.template import Context, Template
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import ProductLine, Role, SupportGroup, User
from switchboard.core.errors import NotFound, SwitchboardError
from switchboard.core.links import (
    agent_ticket_url,
    crm_case_url,
    portal_feedback_url,
    portal_ticket_url,
)
from switchboard.core.seeding import is_seeding
from switchboard.notify.rules import conditions, config
from switchboard.notify.rules.models import Trigger, TriggerFiring
from switchboard.notify.rules.validation import (
    EMAIL_ACTIONS,
    EMAIL_TEMPLATES,
    TAG_ACTIONS,
    TICKET_ATTRIBUTE,
    tag_list,
)
from switchboard.tickets import events, projection
from switchboard.tickets.events import EventKind, TicketEvent
from switchboard.tickets.models import Comment, Ticket

logger = logging.getLogger(__name__)

# Audit change names → condition field names.
_CHANGE_FIELDS = {"ticket_type": "type", "preferred_region": "region"}

# While a rule applies its own changes, the ticket events they emit skip the triggers (the flag
# travels with the event into the worker, see tickets/events.py).
applying_rule_changes = events.applying_rules
rules_are_applying = events.rules_applying


# --- the ticket as a snapshot ------------------------------------------------------------------


def load_ticket(ticket_id: int) -> Ticket:
    """The ticket with everything conditions and messages read (two queries)."""
    return (
        Ticket.objects.select_related(
            "organization",
            "organization__account_manager",
            "requester__organization",
            "group",
            "assignee",
        )
        .prefetch_related("tags")
        .get(pk=ticket_id)
    )


def _plain(value: Any) -> Any:
    if isinstance(value, User):
        return value.email
    if isinstance(value, SupportGroup):
        return value.name
    if hasattr(value, "pk") and hasattr(value, "name"):
        return value.name
    return value


def snapshot(
    ticket: Ticket,
    *,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    comment: Comment | None = None,
    sla: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The plain dict conditions are evaluated against (see notify.conditions.FIELDS). `tags`:
    the ticket's tag names by name, if in hand (`ticket_rows`)."""
    org = ticket.organization
    requester = ticket.requester
    email = (requester.email or "").lower()
    data: dict[str, Any] = {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.ticket_type,
        "channel": ticket.channel,
        "tags": list(tags) if tags is not None else [t.name for t in ticket.tags.all()],
        "group": ticket.group.name if ticket.group else None,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "product_line": ticket.product_line,
        "region": ticket.preferred_region,
        "subject": ticket.subject,
        "description": ticket.description,
        "organization": org.name if org else None,
        "organization.support_level": org.support_level if org else None,
        "organization.product_line": org.product_line if org else None,
        "organization.region": org.preferred_region if org else None,
        "organization.plan": org.plan if org else None,
        "organization.is_internal": org.is_internal if org else None,
        "organization.has_tam": bool(org and org.account_manager_id),
        "organization.crm_account_id": org.crm_account_id if org else None,
        "organization.crm_account_owner": org.crm_account_owner if org else None,
        "organization.market_segment": org.market_segment if org else None,
        "organization.sales_segmentation": org.sales_segmentation if org else None,
        "organization.account_type": org.account_type if org else None,
        "organization.arr": float(org.arr) if org and org.arr is not None else None,
        "organization.seats": org.seats if org else None,
        "requester.email": email,
        "requester.domain": email.rpartition("@")[2],
        "requester.role": requester.role,
        "comment.public": comment.public if comment is not None else None,
        "comment.author_role": (
            comment.author.role if comment is not None and comment.author is not None else None
        ),
    }
    for key, value in (sla or {}).items():
        data[f"sla.{key}"] = value
    data["_changes"] = {
        _CHANGE_FIELDS.get(name, name): (_plain(old), _plain(new))
        for name, (old, new) in (changes or {}).items()
    }
    return data


def ticket_rows(ticket: Ticket) -> projection.Extras:
    """The ticket's tags, CC ids, custom fields and first public comment in one query: the
    conditions' tags, every recipient's access check and both kinds of recipients' projection
    (`projection.ticket_view_for`)."""
    return projection.load_extras(access.SYSTEM_VIEWER, [ticket], descriptions=True)


def _tags(rows: projection.Extras, ticket: Ticket) -> list[str]:
    return sorted(rows.of(ticket.pk).tags)


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleContext:
    """One event as the rules see it."""

    names: tuple[str, ...]  # every rule event name this event counts as
    key: str  # stable id: a trigger fires at most once per key
    at: datetime
    ticket_id: int
    changes: Mapping[str, tuple[Any, Any]]
    comment: Comment | None = None
    actor_id: int | None = None
    sla: Mapping[str, Any] | None = None
    # The ticket as the event's job read it (`events.from_payload`), used instead of reading it
    # again; None: `run_triggers` loads it.
    ticket: Ticket | None = None
    rules: config.RulesConfig | None = None  # as `run_triggers` read them for this event


def event_names(event: TicketEvent) -> tuple[str, ...]:
    if event.kind == EventKind.CREATED:
        return ("ticket.created",)
    names = []
    if event.kind == EventKind.COMMENTED:
        names.append("ticket.commented")
    if event.changed("status"):
        names.append("ticket.status_changed")
    if event.kind != EventKind.COMMENTED or event.changes:
        names.append("ticket.updated")
    return tuple(names)


def on_ticket_event(event: TicketEvent) -> None:
    """Ticket event listener (worker; see tickets/events.py for the order)."""
    if event.from_rules or rules_are_applying() or is_seeding():
        return
    if event.kind == EventKind.UPDATED and not event.changes:
        return
    context = RuleContext(
        names=event_names(event),
        key=event.key(),
        at=event.at,
        ticket_id=event.ticket.pk,
        changes=dict(event.changes),
        comment=event.comment,
        actor_id=event.actor.pk if event.actor is not None else None,
        ticket=event.ticket if event.loaded_by_job else None,
    )
    run_triggers(context)


def on_sla_event(kind: str, clock: Any, minutes_left: float) -> None:
    """SLA hook listener: "warning" / "breach" become the sla.warning / sla.breach events."""
    from switchboard.sla.models import ClockEvent

    if is_seeding():
        return
    thresholds: list[int] = []
    if kind == "warning":
        latest = (
            ClockEvent.objects.filter(clock_id=clock.pk, kind="warning").order_by("-pk").first()
        )
        thresholds = sorted(int(m) for m in (latest.data.get("thresholds", []) if latest else []))
    name = "sla.warning" if kind == "warning" else "sla.breach"
    if kind == "warning":
        suffix = f"warning:{thresholds[0] if thresholds else round(minutes_left)}"
    else:
        suffix = "breach"
    context = RuleContext(
        names=(name,),
        key=f"sla:{clock.pk}:{suffix}",
        at=timezone.now(),
        ticket_id=clock.ticket_id,
        changes={},
        sla={
            "metric": clock.metric,
            "minutes_left": round(minutes_left, 2),
            "thresholds": thresholds,
            "due_at": clock.due_at,
        },
    )
    run_triggers(context)


def active_triggers(
    names: tuple[str, ...], rules: config.RulesConfig | None = None
) -> list[Trigger]:
    """Active triggers for any of `names`, in order (event filter in Python so it works the
    same on SQLite and PostgreSQL)."""
    wanted = set(names)
    rules = rules or config.current()
    return [t for t in rules.triggers if wanted & set(t.events or [])]


def _facts(ticket: Ticket, context: RuleContext) -> tuple[projection.Extras, dict[str, Any]]:
    """The ticket's rows (`ticket_rows`) and the facts the conditions read, for this event."""
    rows = ticket_rows(ticket)
    facts = snapshot(
        ticket,
        changes=context.changes,
        comment=context.comment,
        sla=context.sla,
        tags=_tags(rows, ticket),
    )
    return rows, facts


def run_triggers(context: RuleContext) -> list[TriggerFiring]:
    if context.rules is None:
        # Read once: the triggers and, for their actions, the endpoints.
        context = replace(context, rules=config.current())
    triggers = active_triggers(context.names, context.rules)
    if not triggers:
        return []
    ticket = context.ticket if context.ticket is not None else load_ticket(context.ticket_id)
    rows, facts = _facts(ticket, context)
    already: set[int] | None = None  # triggers that fired for this event before (a re-run)
    fired = []
    for trigger in triggers:
        if not conditions.matches(trigger.conditions_all, trigger.conditions_any, facts):
            continue
        if already is None:
            # One query for every trigger of the event, and only once one matches.
            already = set(
                TriggerFiring.objects.filter(
                    event_key=context.key, trigger_id__in=[t.pk for t in triggers]
                ).values_list("trigger_id", flat=True)
            )
        if trigger.pk in already:
            continue
        name = next(n for n in context.names if n in trigger.events)
        outcome, changed = apply_actions(
            trigger.actions,
            ticket=ticket,
            context=context,
            event=name,
            source=f"trigger:{trigger.pk}",
            key_prefix=f"trigger:{trigger.pk}:event:{context.key}",
            rule_title=trigger.title,
            rows=rows,
        )
        fired.append(
            TriggerFiring(
                trigger=trigger,
                ticket_id=ticket.pk,
                event=name,
                event_key=context.key,
                fired_at=context.at,
                outcome=outcome,
            )
        )
        if changed:
            # Later triggers see this trigger's changes.
            ticket = load_ticket(ticket.pk)
            rows, facts = _facts(ticket, context)
    if fired:
        # The unique (trigger, event key) constraint makes "once per event" hold even if two
        # processes got here for the same event: the second one's transaction fails.
        TriggerFiring.objects.bulk_create(fired)
    return fired


# --- actions -----------------------------------------------------------------------------------


def _resolve_set_value(field: str, value: Any) -> Any:
    if field == "group" and value:
        group = SupportGroup.objects.filter(name__iexact=value).first()
        if group is None:
            raise SwitchboardError(f"group: no group named {value!r}.")
        return group
    if field == "assignee" and value:
        user = User.objects.filter(
            email__iexact=value, is_active=True, role__in=[Role.AGENT, Role.ADMIN]
        ).first()
        if user is None:
            raise SwitchboardError(f"assignee: no active agent {value!r}.")
        return user
    return value


def _ticket_changes(actions: list[dict[str, Any]]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for action in actions:
        if action["type"] == "set_field":
            attribute = TICKET_ATTRIBUTE[action["field"]]
            changes[attribute] = _resolve_set_value(action["field"], action.get("value"))
        elif action["type"] in TAG_ACTIONS:
            changes.setdefault(action["type"], []).extend(tag_list(action.get("value")))
    return changes


def apply_actions(
    actions: list[dict[str, Any]],
    *,
    ticket: Ticket,
    context: RuleContext,
    event: str,
    source: str,
    key_prefix: str,
    rule_title: str,
    rows: projection.Extras | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Run a rule's actions; returns (what each did, whether the ticket changed). `rows`: the
    ticket's `ticket_rows`, if in hand."""
    from switchboard.tickets.actions.update import update_ticket

    outcome: list[dict[str, Any]] = []
    changed = False
    try:
        changes = _ticket_changes(actions)
    except SwitchboardError as exc:
        changes = {}
        outcome.append({"action": "set", "error": str(exc)})
    if changes and ticket.status != "closed":
        try:
            with applying_rule_changes():
                update_ticket(ticket=ticket, actor=access.SYSTEM, via="system", **changes)
            changed = True
            outcome.append({"action": "set", "changes": sorted(changes)})
            ticket = load_ticket(ticket.pk)
            rows = None
        except SwitchboardError as exc:
            outcome.append({"action": "set", "error": str(exc)})
    for action in actions:
        if action["type"] in EMAIL_ACTIONS or action["type"] == "notify_endpoint":
            rows = rows or ticket_rows(ticket)
        if action["type"] in EMAIL_ACTIONS:
            outcome.extend(_email(action, ticket, rows, context, event, source, key_prefix))
        elif action["type"] == "notify_endpoint":
            outcome.append(
                _endpoint(action, ticket, rows, context, event, source, key_prefix, rule_title)
            )
    return outcome, changed


def _recipients(action: dict[str, Any], ticket: Ticket, cc_ids: list[int]) -> list[User]:
    kind = action["type"]
    if kind == "email_requester":
        return [ticket.requester]
    if kind == "email_ccs":
        if not cc_ids:
            return []
        return list(
            User.objects.select_related("organization")
            .filter(pk__in=cc_ids, is_active=True)
            .order_by("pk")
        )
    if kind == "email_tam":
        org = ticket.organization
        return [org.account_manager] if org and org.account_manager else []
    if kind == "email_user":
        return list(
            User.objects.select_related("organization").filter(email__iexact=action["value"])
        )
    return list(
        User.objects.select_related("organization")
        .filter(
            support_groups__name__iexact=action["value"],
            is_active=True,
            role__in=[Role.AGENT, Role.ADMIN],
        )
        .order_by("pk")
    )


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return Template(source)


def render_text(source: str, context: Mapping[str, Any]) -> str:
    return _template(source).render(Context(dict(context), autoescape=False)).strip()


def message_context(
    ticket: Ticket,
    context: RuleContext,
    *,
    recipient: Any,
    rule_title: str = "",
    view: projection.TicketView | None = None,
) -> dict[str, Any]:
    """Plain values for templates, as `recipient` (a User, or `access.SYSTEM` for agents'
    channels) may see the ticket — through `tickets.projection`, so a requester's or CC's email
    never carries an internal note, an internal first comment or a hidden field. No model
    instances, so no lazy queries. NotFound if the recipient may not see the ticket. `view`: the
    projection already computed for this kind of recipient (agent or end-user), to reuse."""
    viewer = access.viewer_for(recipient)
    if view is None or view.internal != projection.sees_internal(viewer):
        view = projection.ticket_view_for(recipient, ticket)
    org = ticket.organization
    requester = ticket.requester
    comment = context.comment
    show_comment = comment is not None and projection.comment_visible(viewer, comment)
    if show_comment:
        # The same comment goes to every recipient of the event: its attachments are read once.
        prefetch_related_objects([comment], "attachments")
    return {
        "ticket": {
            "id": view.id,
            "pk": view.id,
            "subject": view.subject,
            "status": view.status_label,
            "priority": view.priority_label,
            "priority_value": view.priority,
            "product_line": ProductLine(view.product_line).label if view.product_line else "",
            "opened": view.created_at,
            "opened_text": view.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "url": agent_ticket_url(view.id) if view.internal else portal_ticket_url(view.id),
            "agent_url": agent_ticket_url(view.id) if view.internal else "",
            "crm_case_url": crm_case_url(view.id) if view.internal else "",
            "description": view.description,
            # The requester's mid-ticket feedback page ("how are we doing"): only the requester
            # rates, so every other recipient gets no link.
            "feedback_url": (
                portal_feedback_url(view.id)
                if not view.internal and getattr(recipient, "pk", None) == ticket.requester_id
                else ""
            ),
        },
        "organization": {
            "name": org.name if org else "",
            "support_level": org.get_support_level_display() if org else "",
            "product_line": org.get_product_line_display() if org else "",
        },
        "requester": {"name": requester.name or requester.email, "email": requester.email},
        "comment": {
            "body": comment.body if show_comment and comment is not None else "",
            "author": (
                (comment.author.name or comment.author.email)
                if show_comment and comment is not None and comment.author
                else ""
            ),
            "attachments": (
                [
                    {"filename": a.filename, "size": a.size, "content_type": a.content_type}
                    for a in comment.attachments.all()
                ]
                if show_comment and comment is not None
                else []
            ),
        },
        "sla": dict(context.sla or {}) if view.internal else {},
        "rule": rule_title,
    }


def _email(
    action: dict[str, Any],
    ticket: Ticket,
    rows: projection.Extras,
    context: RuleContext,
    event: str,
    source: str,
    key_prefix: str,
) -> list[dict[str, Any]]:
    from switchboard.notify.outbox.queue import queue_email, render_email

    results = []
    views: dict[bool, projection.TicketView] = {}  # one projection per kind of recipient
    template = action.get("template", "rules/agent_notice")
    extras = rows.of(ticket.pk)
    # What `access.can_view` reads of the ticket, from `rows` instead of a query per recipient.
    facts = access.TicketFacts(
        requester_id=ticket.requester_id,
        organization_id=ticket.organization_id,
        cc_ids=frozenset(extras.cc_ids),
    )
    for user in _recipients(action, ticket, extras.cc_ids):
        label = {"action": action["type"], "to": user.email}
        if not user.is_active or not access.decide(
            access.viewer_for(user), facts, access.Action.VIEW
        ):
            results.append({**label, "skipped": "recipient may not view the ticket"})
            continue
        comment = context.comment
        if event == "ticket.commented" and comment is not None and comment.author_id == user.pk:
            results.append({**label, "skipped": "author of the comment"})
            continue
        kind = access.is_agent(user)
        if kind not in views:  # the same for every recipient of a kind (access checked above)
            views[kind] = projection.ticket_view_for(user, ticket, extras=rows)
        values = message_context(ticket, context, recipient=user, view=views[kind])
        values["recipient"] = {"name": user.name or user.email, "email": user.email}
        subject = render_text(action.get("subject") or EMAIL_TEMPLATES[template], values)
        text, html = render_email(template, values)
        delivery = queue_email(
            to=user.email,
            subject=subject,
            text=text,
            html=html,
            event=event,
            idempotency_key=f"{key_prefix}:{user.email.lower()}"[:200],
            ticket=ticket,
            source=source,
            recipient_user=user,
        )
        results.append({**label, "queued": delivery is not None})
    return results


def default_chat_text(values: Mapping[str, Any], event: str) -> str:
    t, org = values["ticket"], values["organization"]
    org_name = org["name"] or "no organization"
    head = f"#{t['id']} {t['subject']}"
    if event == "sla.warning":
        left = values["sla"].get("minutes_left")
        lead = f":warning: SLA breach in {int(left)} min" if left is not None else ":warning: SLA"
    elif event == "sla.breach":
        lead = ":rotating_light: SLA breached"
    elif event == "ticket.created":
        lead = ":new: New ticket"
    else:
        lead = ":pencil2: Ticket updated"
    return f"{lead} — *{org_name}* — <{t['agent_url']}|{head}> ({t['priority']})"


def _endpoint(
    action: dict[str, Any],
    ticket: Ticket,
    rows: projection.Extras,
    context: RuleContext,
    event: str,
    source: str,
    key_prefix: str,
    rule_title: str,
) -> dict[str, Any]:
    from switchboard.notify.outbox.models import EndpointKind
    from switchboard.notify.outbox.queue import queue_endpoint

    name = action["endpoint"]
    label = {"action": "notify_endpoint", "endpoint": name}
    endpoint = (context.rules or config.current()).endpoints.get(name)
    if endpoint is None:
        return {**label, "skipped": "no endpoint with this name"}
    if not endpoint.is_active:
        return {**label, "skipped": "endpoint inactive"}
    audience = action.get("audience", "agents")
    # A receiver customers read gets what the requester may see; agents' channels get it all.
    reader = ticket.requester if audience == "requester" else access.SYSTEM
    try:
        view = projection.ticket_view_for(reader, ticket, extras=rows)
        values = message_context(
            ticket, context, recipient=reader, rule_title=rule_title, view=view
        )
    except NotFound:
        return {**label, "skipped": "the requester may not view the ticket"}
    text = (
        render_text(action["message"], values)
        if action.get("message")
        else default_chat_text(values, event)
    )
    if endpoint.kind == EndpointKind.CHAT:
        payload: dict[str, Any] = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
        }
    else:
        payload = {
            "rule": rule_title,
            "message": text,
            "ticket": {
                "id": values["ticket"]["id"],
                "subject": values["ticket"]["subject"],
                "status": ticket.status,
                "priority": values["ticket"]["priority_value"],
                "url": values["ticket"]["url"],
                "organization": values["organization"]["name"],
                "requester": values["requester"]["email"],
            },
            "attachments": values["comment"]["attachments"],
            "sla": values["sla"],
        }
    delivery = queue_endpoint(
        endpoint=endpoint,
        event=event,
        payload=payload,
        idempotency_key=f"{key_prefix}:endpoint:{endpoint.pk}"[:200],
        ticket=ticket,
        source=source,
    )
    return {**label, "queued": delivery is not None}


def connect() -> None:
    from switchboard.sla.hooks import on_sla_event as listen_sla

    listen_sla(on_sla_event)
