"""Reads behind the user and organization pages of the agent workspace (/users/<id>/,
/organizations/<id>/), each a fixed number of queries however many tickets, members, CRM
contacts or audit events there are. Agents only: the views are behind `agent_page`, and the
ticket lists go through `tickets.queries.visible_tickets` like every other list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from switchboard.accounts.access import can_manage_accounts
from switchboard.accounts.models import AccountAuditEvent, Organization, OrgSharing, User
from switchboard.core.errors import NotFound
from switchboard.core.paging import LenientPage, LenientPaginator, paginate
from switchboard.crm.checks import uncertain_entitlement
from switchboard.crm.models import CrmAccount, CrmContact
from switchboard.csat import kpi
from switchboard.csat.queries import Window, organization_summary
from switchboard.tickets.models import Ticket, TicketStatus
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.vocab import STATUS_ORDER

PER_PAGE = 25
HISTORY = 10
UNSOLVED = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD]
# The organization page's status filter: "unsolved" (the default), each status, or "all".
STATUS_FILTERS = ["unsolved", *STATUS_ORDER, "all"]
CSAT_WEEKS = 12


def _pk(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound() from None


def _ticket_rows(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Newest first, with what a row shows (requester, organization, assignee) joined."""
    return (
        qs.select_related("requester", "organization", "assignee")
        .defer("search_vector")
        .order_by("-created_at", "-pk")
    )


@dataclass
class UserPage:
    person: User
    requested: LenientPage
    ccd: LenientPage
    assigned: LenientPage | None  # agents and admins only
    crm_contacts: list[CrmContact]
    history: list[AccountAuditEvent]


def user_page(viewer: Any, user_id: Any, params: Any) -> UserPage:
    """A person as agents see them: their requested, CC'd and (agents) assigned tickets, each
    paged on its own (`page`, `cc_page`, `assigned_page`), CRM contact records and the latest
    changes to their account. At most 9 queries."""
    person = (
        User.objects.select_related("organization", "entitlement_verified_by")
        .filter(pk=_pk(user_id))
        .first()
    )
    if person is None:
        raise NotFound()
    tickets = visible_tickets(viewer)
    requested = paginate(
        _ticket_rows(tickets.filter(requester=person)), params.get("page"), PER_PAGE
    )
    ccd = paginate(_ticket_rows(tickets.filter(ccs=person)), params.get("cc_page"), PER_PAGE)
    assigned = None
    if person.is_agent:
        assigned = paginate(
            _ticket_rows(tickets.filter(assignee=person)), params.get("assigned_page"), PER_PAGE
        )
    return UserPage(
        person=person,
        requested=requested,
        ccd=ccd,
        assigned=assigned,
        crm_contacts=list(CrmContact.objects.filter(user=person).order_by("email", "sf_id")),
        history=list(
            AccountAuditEvent.objects.filter(user=person)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:HISTORY]
        ),
    )


@dataclass
class OrganizationPage:
    organization: Organization
    status: str
    status_counts: dict[str, int]
    tickets: LenientPage
    members: LenientPage
    crm_account: CrmAccount | None
    entitlement_findings: list[Any]
    csat: kpi.Tally | None
    csat_weeks: int
    history: list[AccountAuditEvent]
    can_edit: bool
    sharing_choices: list[tuple[str, str]]


def organization_page(viewer: Any, organization_id: Any, params: Any) -> OrganizationPage:
    """An organization as agents see it: its details and CRM fields, entitlement state, the
    tickets by status (`status`, `page`), members (`members_page`), CSAT summary (for whoever
    may see its report) and the latest changes to its settings. At most 12 queries."""
    org = (
        Organization.objects.select_related("account_manager")
        .prefetch_related("domains")
        .filter(pk=_pk(organization_id))
        .first()
    )
    if org is None:
        raise NotFound()
    status = params.get("status") or "unsolved"
    if status not in STATUS_FILTERS:
        status = "unsolved"
    tickets = visible_tickets(viewer).filter(organization=org)
    counts = dict(tickets.values_list("status").annotate(n=Count("pk")).order_by())
    status_counts = {s: counts.get(s, 0) for s in STATUS_ORDER}
    status_counts["unsolved"] = sum(counts.get(s, 0) for s in UNSOLVED)
    status_counts["all"] = sum(counts.values())
    if status == "unsolved":
        tickets = tickets.filter(status__in=UNSOLVED)
    elif status != "all":
        tickets = tickets.filter(status=status)
    paginator = LenientPaginator(_ticket_rows(tickets), PER_PAGE)
    paginator.count = status_counts[status]  # known from the counts above: no second COUNT
    members = paginate(
        User.objects.filter(organization=org).order_by("name", "email", "pk"),
        params.get("members_page"),
        PER_PAGE,
    )
    crm_account = None
    if org.crm_account_id:
        crm_account = CrmAccount.objects.filter(sf_id=org.crm_account_id).first()
    today = timezone.now().date()
    window = Window.parse((today - timedelta(weeks=CSAT_WEEKS)).isoformat(), None, today=today)
    return OrganizationPage(
        organization=org,
        status=status,
        status_counts=status_counts,
        tickets=paginator.page(params.get("page")),
        members=members,
        crm_account=crm_account,
        entitlement_findings=uncertain_entitlement(org.pk),
        csat=organization_summary(viewer, org.pk, window=window),
        csat_weeks=CSAT_WEEKS,
        history=list(
            AccountAuditEvent.objects.filter(organization=org, user__isnull=True)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:HISTORY]
        ),
        can_edit=can_manage_accounts(viewer),
        sharing_choices=list(OrgSharing.choices),
    )
