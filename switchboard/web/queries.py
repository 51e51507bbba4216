"""Reads behind the agent workspace's pages, each a fixed number of queries whatever the length.

Built on the permission-checked reads of tickets.queries / tickets.saved_views / sla.queries;
nothing here writes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import Role, SupportGroup, User
from switchboard.calls.models import EventType
from switchboard.calls.queries import active_event_types
from switchboard.core import generations
from switchboard.core.errors import NotFound, ValidationFailed
from switchboard.core.paging import paginate
from switchboard.crm.checks import uncertain_entitlement
from switchboard.sla.models import ClockState, Metric, TicketClock
from switchboard.sla.queries import clocks_for, time_left
from switchboard.tickets.models import Attachment, AuditEvent, Macro, Ticket, TicketAudit, View
from switchboard.tickets.queries import comments_for, ticket_for_user
from switchboard.tickets.saved_views import tickets_in_view, views_for
from switchboard.tickets.vocab import PRIORITY_ORDER, STATUS_ORDER
from switchboard.web.presenters import clock_row, sla_badge

PER_PAGE = 50
# Every column of the view list sorts (saved views' SORT_COLUMNS; ties by id).
SORTS = {
    "priority": "Priority",
    "id": "Ticket",
    "subject": "Subject",
    "status": "Status",
    "requester": "Requester",
    "organization": "Organization",
    "assignee": "Assignee",
    "sla_due_at": "SLA",
    "updated_at": "Updated",
    "created_at": "Created",
}
ASCENDING_FIRST = ("sla_due_at", "subject", "requester", "organization", "assignee")


def view_for_user(user: Any, view_id: Any) -> View:
    """One of the views `user` may open (shared or their own); NotFound otherwise."""
    try:
        pk = int(view_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    view = views_for(user).filter(pk=pk).first()
    if view is None:
        raise NotFound()
    return view


def with_sla(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate `unanswered_breach_at`: the oldest breach still waiting for its reply."""
    breach = (
        TicketClock.objects.filter(
            ticket_id=OuterRef("pk"), state=ClockState.BREACHED, stopped_at__isnull=True
        )
        .order_by("breached_at")
        .values("breached_at")[:1]
    )
    return qs.annotate(unanswered_breach_at=Subquery(breach)).defer("search_vector")


def decorate(tickets: list[Ticket], now: datetime) -> list[Ticket]:
    """Attach `badge` (the SLA badge) to tickets annotated by `with_sla`."""
    for ticket in tickets:
        ticket.badge = sla_badge(  # type: ignore[attr-defined]
            ticket.sla_due_at, getattr(ticket, "unanswered_breach_at", None), now
        )
    return tickets


@dataclass
class ListFilters:
    """The view list's query string, checked: bad values are a 422 naming the parameter."""

    sort: str = ""
    order: str = ""
    status: str = ""
    priority: str = ""
    assignee: str = ""  # "", "none", "me" or an agent id
    group: str = ""  # "", "none" or a group id
    q: str = ""
    page: str = "1"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, params: Any) -> ListFilters:
        f = cls(**{name: (params.get(name) or "").strip() for name in cls.fields()})
        if f.sort and f.sort not in SORTS:
            raise ValidationFailed(
                f"sort: {f.sort!r} is not one of {', '.join(SORTS)}.", field="sort"
            )
        if f.order and f.order not in ("asc", "desc"):
            raise ValidationFailed("order: use asc or desc.", field="order")
        if f.status and f.status not in STATUS_ORDER:
            raise ValidationFailed(
                f"status: {f.status!r} is not one of {', '.join(STATUS_ORDER)}.", field="status"
            )
        if f.priority and f.priority not in PRIORITY_ORDER:
            raise ValidationFailed(
                f"priority: {f.priority!r} is not one of {', '.join(PRIORITY_ORDER)}.",
                field="priority",
            )
        for name in ("assignee", "group"):
            value = getattr(f, name)
            special = ("none", "me") if name == "assignee" else ("none",)
            if value and value not in special and not value.isdigit():
                raise ValidationFailed(
                    f"{name}: expected an id or {' or '.join(special)}, not {value!r}.",
                    field=name,
                )
        if len(f.q) > 200:
            raise ValidationFailed("q: at most 200 characters.", field="q")
        return f

    @staticmethod
    def fields() -> list[str]:
        return ["sort", "order", "status", "priority", "assignee", "group", "q", "page"]

    def query_string(self, **override: str) -> str:
        from urllib.parse import urlencode

        values = {name: getattr(self, name) for name in self.fields()}
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})

    def apply(self, qs: QuerySet[Ticket], user: Any) -> QuerySet[Ticket]:
        if self.status:
            qs = qs.filter(status=self.status)
        if self.priority:
            qs = qs.filter(priority=self.priority)
        if self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee == "me":
            qs = qs.filter(assignee_id=user.pk)
        elif self.assignee:
            qs = qs.filter(assignee_id=int(self.assignee))
        if self.group == "none":
            qs = qs.filter(group__isnull=True)
        elif self.group:
            qs = qs.filter(group_id=int(self.group))
        if self.q:
            text = self.q.lstrip("#")
            match = Q(subject__icontains=self.q) | Q(requester__name__icontains=self.q)
            match |= Q(organization__name__icontains=self.q)
            if text.isdigit():
                match |= Q(pk=int(text))
            qs = qs.filter(match)
        return qs


def due_soonest(user: Any, limit: int = 10, now: datetime | None = None) -> list[Ticket]:
    """The unsolved tickets that most need an answer: unanswered breaches (oldest first), then
    the earliest running due times. Three small queries, each served by an index: sorting every
    unsolved ticket by its oldest breach (a subquery per row) took 50-110 ms at 10,000 tickets.

    1. the oldest running breaches (`sla_clock_breached_idx`, read in order until enough);
    2. only when fewer than `limit` tickets have one: the earliest `sla_due_at`
       (`ticket_sla_due_idx`) among the rest — then every breached ticket is in step 1;
    3. those tickets with what the list shows."""
    from switchboard.tickets.models import TicketStatus
    from switchboard.tickets.queries import visible_tickets

    now = now or timezone.now()
    unsolved = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD]
    candidates = visible_tickets(user).filter(status__in=unsolved)
    # A ticket has at most one running clock per metric, so the `limit * len(Metric)` oldest
    # running breaches hold the `limit` oldest breached tickets: an ordered index scan that stops.
    breaches = TicketClock.objects.filter(
        state=ClockState.BREACHED,
        stopped_at__isnull=True,
        ticket__in=candidates.values("pk"),
    ).order_by("breached_at", "ticket_id")
    breached = dict.fromkeys(breaches.values_list("ticket_id", flat=True)[: limit * len(Metric)])
    ids = list(breached)[:limit]
    if len(ids) < limit:
        ids += list(
            candidates.filter(sla_due_at__isnull=False)
            .exclude(pk__in=ids)
            .order_by("sla_due_at", "pk")
            .values_list("pk", flat=True)[: limit - len(ids)]
        )
    rank = {pk: i for i, pk in enumerate(ids)}
    rows = (
        with_sla(Ticket.objects.filter(pk__in=ids))
        .select_related("assignee", "organization")
        .only(*DUE_SOONEST_FIELDS)
    )
    return decorate(sorted(rows, key=lambda t: rank[t.pk]), now)


# What the home page's "Due soonest" rows show (the badge reads sla_due_at): the whole rows of a
# ticket, its requester, assignee and organization were ~100 columns to compile and load.
DUE_SOONEST_FIELDS = (
    "subject",
    "status",
    "priority",
    "sla_due_at",
    "assignee__name",
    "organization__name",
    "organization__support_level",
)


def agents() -> list[User]:
    return list(
        User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True).order_by(
            "name", "email"
        )
    )


# The columns a person's name, link and channel label need (pickers, the conversation).
PERSON_FIELDS = ("pk", "name", "email", "role")
# The columns the ticket page's conversation shows (not metadata, redacted_at).
COMMENT_FIELDS = (
    "pk",
    "ticket",
    "author",
    "body",
    "public",
    "channel",
    "secret_findings",
    "created_at",
)

# What the SLA panel and badge read of a clock (time_left, clock_row).
CLOCK_FIELDS = (
    "metric",
    "state",
    "target_minutes",
    "consumed",
    "due_at",
    "breached_at",
    "stopped_at",
)


def ticket_people(
    ticket: Ticket, named: set[int]
) -> tuple[dict[int, User], list[User], list[User]]:
    """In one query, the people the ticket page shows besides its requester: the agents of the
    pickers (in agents()' order), the ticket's CCs (by name) and the users `named` (comment
    authors, submitter, assignee, account manager). Returns them by id, the agents, the CCs."""
    from django.db.models import Exists

    cc = Ticket.ccs.through.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk"))
    rows = list(
        User.objects.annotate(is_cc=Exists(cc))
        .filter(
            Q(role__in=[Role.AGENT, Role.ADMIN], is_active=True) | Q(is_cc=True) | Q(pk__in=named)
        )
        .order_by("name", "email")
        .only(*PERSON_FIELDS, "is_active")
    )
    team = [u for u in rows if u.role in (Role.AGENT, Role.ADMIN) and u.is_active]
    ccs = sorted((u for u in rows if u.is_cc), key=lambda u: ((u.name or u.email).lower(), u.pk))  # type: ignore[attr-defined]
    return {u.pk: u for u in rows}, team, ccs


def groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.order_by("name"))


@dataclass(frozen=True)
class PickLists:
    """The ticket page's choices that change a few times a day: the active macros (id, title),
    the support groups (id, name) and the active call types, each in display order. Shared by
    every request of the process: read-only (copy before changing)."""

    macros: tuple[Macro, ...]
    groups: tuple[SupportGroup, ...]
    event_types: tuple[EventType, ...]


def _load_pick_lists() -> PickLists:
    return PickLists(
        macros=tuple(
            Macro.objects.filter(active=True).order_by("position", "title").only("pk", "title")
        ),
        groups=tuple(SupportGroup.objects.order_by("name").only("pk", "name")),
        event_types=tuple(active_event_types()),
    )


def _load_active_views() -> tuple[View, ...]:
    return tuple(View.objects.filter(active=True))  # in display order (Meta.ordering)


def home_views(user: Any) -> list[View]:
    """views_for(user) from the process's cached list of active views (namespace "desk": a
    view's edit, save-as or deletion starts a new generation), filtered for `user` on every
    request by the same rule (accounts.access.may_open_view, the per-row views_q). The agent
    home and its counts partial (every 30 s per agent) read them."""
    views = generations.cached("desk", "active_views", _load_active_views)
    return [view for view in views if access.may_open_view(user, view)]


def pick_lists() -> PickLists:
    """The pick lists, read once per process until someone edits a macro, group or call type
    (core/generations.py, namespace "desk"): one query (the generation token) instead of three.
    Nothing here depends on the viewer: every agent sees the same lists."""
    return generations.cached("desk", "pick_lists", _load_pick_lists)


def view_page(user: Any, view: View, filters: ListFilters, now: datetime | None = None) -> Any:
    """One page of a view's tickets, filtered and sorted: a COUNT and one SELECT."""
    now = now or timezone.now()
    sorted_view = copy.copy(view)  # sort in memory; the saved view is not changed
    if filters.sort:
        sorted_view.sort_by = filters.sort
        sorted_view.sort_order = filters.order or (
            "asc" if filters.sort in ASCENDING_FIRST else "desc"
        )
    elif filters.order:
        sorted_view.sort_order = filters.order
    qs = with_sla(filters.apply(tickets_in_view(sorted_view, user, now), user))
    page = paginate(qs, filters.page, PER_PAGE)  # ?page=abc → the first, past the end → empty
    decorate(page.object_list, now)  # type: ignore[arg-type]
    page.sort_by = sorted_view.sort_by  # type: ignore[attr-defined]
    page.sort_order = sorted_view.sort_order  # type: ignore[attr-defined]
    return page


# --- the ticket page ---------------------------------------------------------------------------


@dataclass
class TicketPage:
    ticket: Ticket
    comments: list[Any]
    loose_attachments: list[Attachment]
    clocks: list[Any]
    tags: list[str]
    macros: list[Macro]
    agents: list[User]
    groups: list[SupportGroup]
    # The active call types (from the cached pick lists); the calls panel picks from them.
    event_types: list[EventType]
    follow_ups: list[Ticket]
    merged: list[Ticket]
    findings: int
    badge: Any
    # CRM integrity findings that make the organization's entitlement uncertain (agents only).
    entitlement_findings: list[Any]
    ccs: list[User] = field(default_factory=list)


def ticket_page(user: Any, ticket_id: Any, now: datetime | None = None) -> TicketPage:
    """Everything the ticket page shows, in a fixed number of queries whatever its length.

    Nine queries (each ~1 ms of Python, so none is spent twice): the access check's read is
    the page's ticket (with its requester, organization and call suggestion); the linked
    tickets come with the follow-ups and merges, which give the conversation's tickets; one
    query names everyone else (agents, CCs, comment authors, submitter, assignee, account
    manager); one reads every attachment; the oldest unanswered breach comes from the clocks.
    Rows carry only the columns the page shows. The macros, groups and call types come from
    the process's cached pick lists (one query while nobody edits them)."""
    now = now or timezone.now()
    # The call suggestion (calls panel) is one-to-one with the ticket: read with it.
    ticket = ticket_for_user(
        user, ticket_id, related=("requester", "organization", "call_suggestion"), ccs=False
    )
    follow_ups, merged = _linked_tickets(ticket)
    comments = list(
        comments_for(user, ticket, thread=[ticket.pk, *(t.pk for t in merged)])
        .select_related(None)
        .prefetch_related(None)
        .only(*COMMENT_FIELDS)
    )
    org = ticket.organization
    named = {c.author_id for c in comments} | {ticket.submitter_id, ticket.assignee_id}
    if org is not None:
        named.add(org.account_manager_id)
    named -= {None, user.pk, ticket.requester_id}
    people, team, ccs = ticket_people(ticket, named)
    people[user.pk] = user
    people[ticket.requester_id] = ticket.requester
    for name in ("submitter", "assignee"):
        if getattr(ticket, f"{name}_id") in people:
            setattr(ticket, name, people[getattr(ticket, f"{name}_id")])
    if org is not None:
        if org.account_manager_id in people:
            org.account_manager = people[org.account_manager_id]
        if ticket.requester.organization_id == org.pk:
            ticket.requester.organization = org
    loose = _conversation(user, ticket, comments, people)
    clocks = _sla_panel(ticket, now)
    findings = sum(1 for c in comments if c.secret_findings)
    findings += sum(1 for c in comments for a in c.files if a.secret_findings)
    findings += sum(1 for a in loose if a.secret_findings)
    picks = pick_lists()
    return TicketPage(
        ticket=ticket,
        comments=comments,
        loose_attachments=loose,
        clocks=clocks,
        tags=sorted(ticket.tags.values_list("name", flat=True)),
        macros=list(picks.macros),
        agents=team,
        groups=list(picks.groups),
        event_types=list(picks.event_types),
        follow_ups=follow_ups,
        merged=merged,
        findings=findings,
        entitlement_findings=uncertain_entitlement(ticket.organization_id),
        badge=sla_badge(ticket.sla_due_at, ticket.unanswered_breach_at, now),  # type: ignore[attr-defined]
        ccs=ccs,
    )


def _linked_tickets(ticket: Ticket) -> tuple[list[Ticket], list[Ticket]]:
    """The ticket's follow-ups and the tickets merged into it, in one query that also reads
    the tickets it links to (`merged_into`, `follow_up_source`, set on it)."""
    linked = Q(follow_up_source=ticket) | Q(merged_into=ticket)
    targets = [pk for pk in (ticket.merged_into_id, ticket.follow_up_source_id) if pk]
    if targets:
        linked |= Q(pk__in=targets)
    related = list(
        Ticket.objects.filter(linked)
        .only("pk", "subject", "status", "follow_up_source_id", "merged_into_id")
        .order_by("pk")
    )
    by_pk = {t.pk: t for t in related}
    if ticket.merged_into_id in by_pk:
        ticket.merged_into = by_pk[ticket.merged_into_id]
    if ticket.follow_up_source_id in by_pk:
        ticket.follow_up_source = by_pk[ticket.follow_up_source_id]
    return (
        [t for t in related if t.follow_up_source_id == ticket.pk],
        [t for t in related if t.merged_into_id == ticket.pk],
    )


def _conversation(
    user: Any, ticket: Ticket, comments: list[Any], people: dict[int, User]
) -> list[Attachment]:
    """What each comment row shows, worked out once here rather than per template tag (its
    author, kind, time, channel, body, files); returns the ticket's loose attachments. The
    comments' files and the loose ones (no comment) are one query."""
    from django.template.defaultfilters import linebreaksbr

    from switchboard.oncall.views import viewer_zone
    from switchboard.web.presenters import channel_label, time_html

    files: dict[int | None, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(
        Q(comment_id__in=[c.pk for c in comments]) | Q(ticket=ticket, comment__isnull=True)
    ).order_by("created_at", "pk"):
        files.setdefault(attachment.comment_id, []).append(attachment)
    zone = viewer_zone(user)
    for c in comments:
        c.author = people.get(c.author_id)  # type: ignore[arg-type]
        c.author_name = (c.author.name or c.author.email) if c.author else "System"
        c.kind_class = "public" if c.shown_public else "internal"
        c.kind = "Public reply" if c.shown_public else "Internal note"
        c.carried = c.ticket_id != ticket.pk  # by a merge, from another ticket
        c.when = time_html(c.created_at, zone)
        c.via = channel_label(c.channel, getattr(c.author, "role", None))
        c.body_html = linebreaksbr(c.body, autoescape=True)
        c.files = files.get(c.pk, [])
    return files.get(None, [])


def _sla_panel(ticket: Ticket, now: datetime) -> list[Any]:
    """The SLA panel's rows; sets `unanswered_breach_at` on the ticket (as with_sla() does on
    lists: the oldest breach still waiting for its reply) for the header's badge.

    One row per metric: its running (or paused, or unanswered breached) clock, else the last
    one that stopped. A 40-reply ticket has ~40 next-reply clocks; the side panel showed each.
    time_left needs neither the policy nor the schedule: no joins."""
    shown: dict[str, Any] = {}
    breaches = []
    for clock in clocks_for(ticket).select_related(None).only(*CLOCK_FIELDS):
        current = shown.get(clock.metric)
        if current is None or current.stopped_at is not None or clock.stopped_at is None:
            shown[clock.metric] = clock
        if (
            clock.state == ClockState.BREACHED
            and clock.stopped_at is None
            and clock.breached_at is not None
        ):
            breaches.append(clock.breached_at)
    ticket.unanswered_breach_at = min(breaches, default=None)  # type: ignore[attr-defined]
    return [
        clock_row(
            metric=clock.get_metric_display(),
            state=clock.state,
            left=time_left(clock, now),
            due_at=clock.due_at,
            breached_at=clock.breached_at,
            stopped_at=clock.stopped_at,
            now=now,
        )
        for clock in shown.values()
    ]


@dataclass
class HistoryEntry:
    created_at: datetime
    actor: str
    via: str
    events: list[str]


def _choice_labels() -> dict[tuple[str, Any], str]:
    labels: dict[tuple[str, Any], str] = {}
    for name in ("status", "priority", "ticket_type", "preferred_region", "product_line"):
        for value, label in Ticket._meta.get_field(name).choices or []:
            labels[(name, value)] = str(label)
    return labels


def _names(events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """Names of the users, groups, organizations and custom fields the events mention, in one
    query whatever the history's length."""
    from django.db.models import CharField, IntegerField, Value
    from django.db.models.functions import Cast, Coalesce, NullIf

    from switchboard.accounts.models import Organization
    from switchboard.tickets.models import TicketField
    from switchboard.web.presenters import ID_KINDS

    wanted: dict[str, set[int]] = {"user": set(), "group": set(), "org": set(), "field": set()}
    for event in events:
        kind = ID_KINDS.get(event.field)
        for value in (event.from_value, event.to_value):
            if kind:
                items = value if isinstance(value, list) else [value]
                wanted[kind].update(v for v in items if isinstance(v, int))
            elif event.field == "custom_fields" and isinstance(value, dict):
                wanted["field"].update(int(k) for k in value if str(k).isdigit())
    if not any(wanted.values()):
        return {}

    def rows(model: Any, kind: str, label: Any) -> Any:
        return (
            model.objects.filter(pk__in=wanted[kind] or [0])
            .annotate(k=Value(kind, output_field=CharField()), label=label)
            .values_list("k", Cast("pk", IntegerField()), "label")
            .order_by()
        )

    user_label = Coalesce(NullIf("name", Value("")), "email", output_field=CharField())
    query = rows(User, "user", user_label).union(
        rows(SupportGroup, "group", Cast("name", CharField())),
        rows(Organization, "org", Cast("name", CharField())),
        rows(TicketField, "field", Cast("title", CharField())),
        all=True,
    )
    return {(kind, pk): label for kind, pk, label in query}


def audit_history(user: Any, ticket_id: Any) -> tuple[Ticket, list[HistoryEntry]]:
    """The ticket's audit trail, newest first, as people read it: who (by name), through which
    channel, and each change with names instead of ids and public reply vs internal note.
    Five queries whatever its length (ticket, its CCs, audits, events, names)."""
    from django.db.models import Prefetch

    from switchboard.web.presenters import channel_label, describe_event

    ticket = ticket_for_user(user, ticket_id)
    audits = list(
        TicketAudit.objects.filter(ticket=ticket)
        .select_related("actor")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=AuditEvent.objects.select_related("comment").only(
                    "audit_id", "kind", "field", "from_value", "to_value", "comment__public"
                ),
            )
        )
        .order_by("-created_at", "-pk")
    )
    events = [e for a in audits for e in a.events.all()]
    names = _names(events)
    labels: dict[Any, str] = {
        **_choice_labels(),
        **{k: v for k, v in names.items() if k[0] == "field"},
    }
    entries = []
    for audit in audits:
        actor = audit.actor
        entries.append(
            HistoryEntry(
                created_at=audit.created_at,
                actor=(actor.name or actor.email) if actor else "Switchboard (automation)",
                via=channel_label(audit.via, actor.role if actor else None),
                events=[
                    describe_event(
                        kind=e.kind,
                        field=e.field,
                        from_value=e.from_value,
                        to_value=e.to_value,
                        comment_public=e.comment.public if e.comment is not None else None,
                        names=names,
                        labels=labels,
                    )
                    for e in audit.events.all()
                ],
            )
        )
    return ticket, entries


def attachment_for_user(user: Any, attachment_id: Any) -> Attachment:
    """An attachment the user may download: they see its ticket, and (for end-users) its
    comment is public. NotFound otherwise, whether missing or forbidden."""
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    attachment = Attachment.objects.select_related("comment").filter(pk=pk).first()
    if attachment is None:
        raise NotFound()
    ticket_for_user(user, attachment.ticket_id)
    if attachment.comment is not None and not attachment.comment.public:
        from switchboard.accounts.access import is_agent

        if not is_agent(user):
            raise NotFound()
    return attachment


def comment_on(ticket: Ticket, comment_id: Any) -> Any:
    """A comment of `ticket` (or of a ticket merged into it); NotFound otherwise."""
    from switchboard.tickets.models import Comment

    try:
        pk = int(comment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    comment = (
        Comment.objects.filter(pk=pk)
        .filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket))
        .first()
    )
    if comment is None:
        raise NotFound()
    return comment


def attachment_on(ticket: Ticket, attachment_id: Any) -> Attachment:
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    attachment = (
        Attachment.objects.filter(pk=pk)
        .filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket))
        .first()
    )
    if attachment is None:
        raise NotFound()
    return attachment


def macro_by_id(macro_id: Any) -> Macro:
    try:
        pk = int(macro_id)
    except (TypeError, ValueError):
        raise ValidationFailed("macro: choose a macro from the list.", field="macro") from None
    macro = Macro.objects.filter(pk=pk, active=True).first()
    if macro is None:
        raise ValidationFailed("macro: no such active macro.", field="macro")
    return macro


# --- who else is on the ticket -----------------------------------------------------------------


@dataclass
class TicketActivity:
    replying: list[User]
    updated_by: list[str]  # who else changed the ticket since the page was rendered
    updated_at: datetime


def ticket_activity(user: Any, ticket_id: Any, since: datetime) -> TicketActivity:
    """Other agents replying now, and whether someone else changed the ticket after `since`
    (the page's updated_at). Four queries (ticket, its CCs, presence, audits)."""
    from switchboard.web.models import TicketPresence

    ticket = ticket_for_user(user, ticket_id)
    now = timezone.now()
    replying = [
        p.user
        for p in TicketPresence.objects.filter(ticket=ticket, expires_at__gt=now)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("user__name")
    ]
    names: list[str] = []
    if ticket.updated_at > since:
        for audit in (
            TicketAudit.objects.filter(ticket=ticket, created_at__gt=since)
            .exclude(actor_id=user.pk)
            .select_related("actor")
            .order_by("created_at", "pk")
        ):
            name = (audit.actor.name or audit.actor.email) if audit.actor else "an automation"
            if name not in names:
                names.append(name)
    return TicketActivity(replying=replying, updated_by=names, updated_at=ticket.updated_at)


def macro_by_title(title: str) -> Macro | None:
    return Macro.objects.filter(title=title, active=True).first()
