"""Who sees and who comments on a ticket: the one place that decides.

Every path (web views, the API, email intake, notifications, search, views) asks `can_view` /
`can_comment` / `require`, or filters lists with `visible_tickets` (the same rule as a queryset
filter; a test runs the hand-written matrix against both forms); nothing else encodes these rules.
What of a visible ticket a viewer sees (internal notes, hidden fields, tags, org notes) is
`tickets.projection`.

Who acts: a `User`, or `SYSTEM` — Switchboard itself (triggers, time rules, email intake,
sign-up, demo data) — which has agent rights. `None` is never an actor: it means nobody, and
`is_agent(None)` is False everywhere.

Rules (DOMAIN.md §1): agents and admins see and comment on everything. An end-user always sees
and comments on tickets they requested, and on tickets they are CC'd on. For other tickets of
their own organization, their personal setting decides when it is not `inherit`; otherwise the
organization's setting does. Under the two "selected" organization settings an inheriting member
sees only their own tickets: the "selected users" are exactly those whose personal setting
grants more. Internal notes are never shown to end-users (tickets.projection).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from switchboard.core.errors import NotFound

STAFF_ROLES = frozenset({"agent", "admin", "system"})


class SystemActor:
    """Switchboard itself, acting without a person: has agent rights, is stored as no user."""

    pk = None
    id = None
    role = "system"
    is_active = True
    is_authenticated = False
    is_agent = True
    email = ""
    name = "Switchboard"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()
# Who performs an action: a person (a User) or Switchboard itself. Never None.
if TYPE_CHECKING:
    from switchboard.accounts.models import User

    Actor = User | SystemActor
else:
    Actor = Any


def require_actor(actor: Any) -> None:
    """Refuse a missing actor: automated work passes `SYSTEM`, a person passes their User."""
    if actor is None:
        raise TypeError("actor: pass a User, or access.SYSTEM for automated work; never None")


# (can view all org tickets, can comment on all org tickets)
_ORG_LEVEL: dict[str, tuple[bool, bool]] = {
    "own": (False, False),
    "view_all": (True, False),
    "view_comment_all": (True, True),
    "selected_view": (False, False),
    "selected_view_comment": (False, False),
}
_PERSONAL_LEVEL: dict[str, tuple[bool, bool]] = {
    "own": (False, False),
    "view_all": (True, False),
    "view_comment_all": (True, True),
}


class Action(enum.StrEnum):
    VIEW = "view"
    COMMENT = "comment"


@dataclass(frozen=True)
class Viewer:
    id: int | None
    role: str  # end_user / agent / admin
    organization_id: int | None
    personal: str  # inherit / own / view_all / view_comment_all
    org_sharing: str | None  # the user's organization's setting
    is_active: bool = True


@dataclass(frozen=True)
class TicketFacts:
    requester_id: int | None
    organization_id: int | None
    cc_ids: frozenset[int] = frozenset()


def org_wide_rights(viewer: Viewer) -> tuple[bool, bool]:
    """(view, comment) a member has on *other people's* tickets of their organization."""
    if viewer.personal in _PERSONAL_LEVEL:
        return _PERSONAL_LEVEL[viewer.personal]
    return _ORG_LEVEL.get(viewer.org_sharing or "own", (False, False))


def is_staff_viewer(viewer: Viewer) -> bool:
    """Agents, admins and the system: they see and comment on everything, internal included."""
    return (
        viewer.is_active
        and viewer.role in STAFF_ROLES
        and (viewer.id is not None or viewer.role == "system")
    )


def decide(viewer: Viewer, ticket: TicketFacts, action: Action) -> bool:
    """The whole rule, on plain values (tested as a full matrix)."""
    if is_staff_viewer(viewer):
        return True
    if not viewer.is_active or viewer.id is None or viewer.role != "end_user":
        return False
    if ticket.requester_id == viewer.id or viewer.id in ticket.cc_ids:
        return True
    if viewer.organization_id is None or ticket.organization_id != viewer.organization_id:
        return False
    view, comment = org_wide_rights(viewer)
    return view if action is Action.VIEW else comment


SYSTEM_VIEWER = Viewer(
    id=None, role="system", organization_id=None, personal="inherit", org_sharing=None
)


def viewer_for(user: Any) -> Viewer:
    """The plain-value viewer of a User, of `SYSTEM`, or of nobody (None, anonymous)."""
    if user is SYSTEM:
        return SYSTEM_VIEWER
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(
            id=None, role="anonymous", organization_id=None, personal="own", org_sharing=None
        )
    org = user.organization if user.organization_id else None
    return Viewer(
        id=user.pk,
        role=user.role,
        organization_id=user.organization_id,
        personal=user.ticket_access,
        org_sharing=org.sharing if org is not None else None,
        is_active=user.is_active,
    )


def facts_for(ticket: Any) -> TicketFacts:
    cc_ids: Iterable[int] = getattr(ticket, "cc_ids", ()) or ()
    if callable(cc_ids):
        cc_ids = cc_ids()
    return TicketFacts(
        requester_id=ticket.requester_id,
        organization_id=ticket.organization_id,
        cc_ids=frozenset(cc_ids),
    )


def allowed(user: Any, ticket: Any, action: Action) -> bool:
    """`decide` for a User and a Ticket. Staff may act on every ticket, so the ticket's facts
    (its CC list is a query) are read for end users only: the ticket page checks access
    several times per request."""
    viewer = viewer_for(user)
    if is_staff_viewer(viewer):
        return True
    return decide(viewer, facts_for(ticket), action)


def can_view(user: Any, ticket: Any) -> bool:
    return allowed(user, ticket, Action.VIEW)


def can_comment(user: Any, ticket: Any) -> bool:
    return allowed(user, ticket, Action.COMMENT)


def require(user: Any, ticket: Any, action: Action | str) -> None:
    """Raise NotFound unless `user` may `action` the ticket.

    Refusing to comment on a ticket one can see is also "not found" here; callers that want to
    say "you can read this but not reply" check `can_view` first.
    """
    if not allowed(user, ticket, Action(action)):
        raise NotFound()


def is_agent(actor: Any) -> bool:
    """The one role helper: whether `actor` acts with agent rights — an active agent or admin,
    or `SYSTEM`. None and anonymous users are nobody (False)."""
    if actor is SYSTEM:
        return True
    return bool(
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role in ("agent", "admin")
    )


def can_manage_accounts(actor: Any) -> bool:
    """Whether `actor` may change an organization's notes, sharing setting and domains, or move
    a member out of another organization: admins, support managers and `SYSTEM`. Other agents
    view these and verify unassociated requesters (the conservative reading of DOMAIN.md §1:
    sharing decides who sees which tickets, and domains decide entitlement)."""
    if actor is SYSTEM:
        return True
    return is_agent(actor) and (actor.role == "admin" or bool(actor.is_support_manager))


def has_staff_role(user: Any) -> bool:
    """Whether a stored user (a comment's author, an audit's actor) holds the agent or admin
    role, active or not: for facts about the past ("was this an agent's reply?")."""
    return user is not None and user is not SYSTEM and user.role in ("agent", "admin")


def person(actor: Any) -> Any:
    """The User to store as author/actor: None for `SYSTEM` (rows record "no person")."""
    return None if actor is SYSTEM else actor


def visible_tickets(
    user: Any, tickets: QuerySet[Any], *, action: Action = Action.VIEW
) -> QuerySet[Any]:
    """`tickets` narrowed to those `decide` allows `user` to `action`: the queryset form of the
    rule, for lists and search. `tickets` is a Ticket queryset (its model has `requester`,
    `organization` and the `ccs` many-to-many); a CC is matched with EXISTS, so no row repeats."""
    viewer = viewer_for(user)
    if is_staff_viewer(viewer):
        return tickets
    if not viewer.is_active or viewer.id is None or viewer.role != "end_user":
        return tickets.none()
    through = tickets.model.ccs.through
    cc = through.objects.filter(ticket_id=OuterRef("pk"), user_id=viewer.id)
    q = Q(requester_id=viewer.id) | Q(Exists(cc))
    if viewer.organization_id is not None:
        view, comment = org_wide_rights(viewer)
        if (view and action is Action.VIEW) or (comment and action is Action.COMMENT):
            q |= Q(organization_id=viewer.organization_id)
    return tickets.filter(q)


# --- saved views ---------------------------------------------------------------------------------


def views_q(user: Any) -> Q:
    """The saved views `user` may open: shared ones (no owner) and their own personal ones
    (Zendesk's user-restricted views). Agents only; the filter on `View` rows."""
    if not is_agent(user) or user is SYSTEM:
        return Q(pk__in=[])
    return Q(owner__isnull=True) | Q(owner_id=user.pk)


def may_open_view(user: Any, view: Any) -> bool:
    """views_q for a view in hand (a cached list filtered per request): the same rule."""
    if not is_agent(user) or user is SYSTEM:
        return False
    return view.owner_id is None or view.owner_id == user.pk


def can_share_views(user: Any) -> bool:
    """Shared views are for admins and support managers to create; any agent has personal ones."""
    return (
        is_agent(user)
        and user is not SYSTEM
        and (user.role == "admin" or bool(getattr(user, "is_support_manager", False)))
    )
