"""Merging tickets: plan_merge decides who sees what, merge_tickets writes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import User
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.actions.changes import close_timer, transition_status
from switchboard.tickets.actions.fields import choice, write_tags
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import Channel, Comment, Ticket, TicketStatus
from switchboard.tickets.vocab import TAG_CLOSE_BY_MERGE


@dataclass(frozen=True)
class MergePlan:
    """What merging `sources` into `target` does to who sees what (decided before any write).

    - same requester (and organization): the carried conversation stays public on the target;
    - same organization, different requesters: internal by default, the agent may make it public;
    - otherwise: internal, always (another customer never reads it).
    The merge notes' visibility follows the same rule.
    """

    target: Ticket
    sources: list[Ticket]
    same_requester: bool
    same_organization: bool

    @property
    def public_allowed(self) -> bool:
        return self.same_requester or (
            self.same_organization and self.target.organization_id is not None
        )

    @property
    def public_by_default(self) -> bool:
        return self.same_requester and self.same_organization


def plan_merge(*, sources: Iterable[Ticket], target: Ticket) -> MergePlan:
    """Validate a merge and say what it will do; writes nothing."""
    if target.is_closed:
        raise ValidationFailed(f"target: ticket #{target.pk} is closed.", field="target")
    listed = sorted({s.pk: s for s in sources}.values(), key=lambda t: t.pk)
    if not listed:
        raise ValidationFailed("ids: name at least one ticket to merge.", field="ids")
    if len(listed) > 5:
        raise ValidationFailed("ids: merge at most 5 tickets at once.", field="ids")
    for source in listed:
        if source.pk == target.pk:
            raise ValidationFailed("ids: a ticket cannot be merged into itself.", field="ids")
        if source.is_closed:
            raise ValidationFailed(f"ids: ticket #{source.pk} is already closed.", field="ids")
    return MergePlan(
        target=target,
        sources=listed,
        same_requester=all(s.requester_id == target.requester_id for s in listed),
        same_organization=all(s.organization_id == target.organization_id for s in listed),
    )


def _merge_visibility(plan: MergePlan, value: bool | None, name: str) -> bool:
    if value is None:
        return plan.public_by_default
    if value and not plan.public_allowed:
        raise ValidationFailed(
            f"{name}: the tickets belong to different requesters and organizations; "
            "their conversations stay internal.",
            field=name,
        )
    return bool(value)


@transaction.atomic
def merge_tickets(
    *,
    actor: User,
    sources: Iterable[Ticket],
    target: Ticket,
    source_comment: str = "",
    target_comment: str = "",
    source_comment_public: bool | None = None,
    target_comment_public: bool | None = None,
    via: str = Channel.WEB,
) -> Ticket:
    """Close each source with tag close_by_merge and a note; note the merge on the target.

    The target shows the sources' comments by reference (see queries.comments_for); whether
    its requester sees the public ones follows `target_comment_public` (plan_merge decides the
    default and refuses "public" across organizations). `source_comment_public` is the
    visibility of the note left on each source.
    """
    if not access.is_agent(actor):
        raise PermissionDenied("Only agents can merge tickets.")
    via = choice("via", via, Channel.values)
    now = timezone.now()
    ids = sorted({s.pk for s in sources})
    # Lock in id order (target included) so two merges touching the same tickets cannot deadlock.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[*ids, target.pk])}
    if target.pk not in locked or any(pk not in locked for pk in ids):
        raise NotFound()
    target = locked[target.pk]
    plan = plan_merge(sources=[locked[pk] for pk in ids], target=target)
    carried_public = _merge_visibility(plan, target_comment_public, "target_comment_is_public")
    source_public = _merge_visibility(plan, source_comment_public, "source_comment_is_public")
    for source in plan.sources:
        audit = Audit(source, actor, via, now)
        default_note = (
            f'This request was closed and merged into request #{target.pk} "{target.subject}".'
            if source.requester_id == target.requester_id
            else f"This request was closed and merged into request #{target.pk}."
        )
        note = Comment.objects.create(
            ticket=source,
            author=actor,
            body=source_comment or default_note,
            public=source_public,
            channel=via,
            created_at=now,
        )
        audit.comment(note)
        write_tags(source, [*source.tag_names(), TAG_CLOSE_BY_MERGE], audit)
        old_status = source.status
        transition_status(source, SYSTEM, TicketStatus.CLOSED, audit, now)
        source.merged_into = target
        source.merged_comments_public = carried_public
        audit.change("merged_into", None, target.pk)
        source.updated_at = now
        source.save()
        audit.save()
        close_timer(source, old_status)
        emit(TicketEvent(EventKind.MERGED, source, actor, now, dict(audit.changes), note))
    audit = Audit(target, actor, via, now)
    listed = ", ".join(f"#{s.pk}" for s in plan.sources)
    note = Comment.objects.create(
        ticket=target,
        author=actor,
        body=target_comment or f"Requests {listed} were closed and merged into this request.",
        public=carried_public,
        channel=via,
        created_at=now,
    )
    audit.comment(note)
    audit.change("merged_from", None, [s.pk for s in plan.sources])
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    audit.save()
    emit(TicketEvent(EventKind.UPDATED, target, actor, now, {}, note))
    return target
