"""users and organizations: parse → one accounts action or query → render."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from switchboard.accounts import actions as account_actions
from switchboard.accounts.models import Organization, OrgSharing, Role, User
from switchboard.api.zendesk.base import actor, forbidden, json_response, route
from switchboard.api.zendesk.pagination import paginate
from switchboard.api.zendesk.render import ROLE_IN, SHARING_FLAGS, Renderer
from switchboard.api.zendesk.schemas import (
    ERRORS,
    OrganizationEnvelope,
    OrganizationIn,
    OrganizationList,
    UserEnvelope,
    UserIn,
    UserList,
)
from switchboard.api.zendesk.tickets import PageParams
from switchboard.core.errors import NotFound, ValidationFailed

router = Router(tags=["people"])

ORG_FIELDS = (
    "sharing",
    "support_level",
    "plan",
    "product_line",
    "preferred_region",
    "is_internal",
    "collaboration_project_url",
)
USER_FIELDS = ("ticket_access", "is_sold_to_contact", "region")


def _role(value: Any) -> str:
    if value not in ROLE_IN:
        raise ValidationFailed(
            f"role: {value!r} is not one of end-user, agent, admin.", field="role"
        )
    return ROLE_IN[value]


def _org_or_none(pk: int | None) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationFailed(
            f"organization_id: no organization with id {pk}.", field="organization_id"
        )
    return org


def _user_changes(data: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "email", "phone", "time_zone"):
        if name in data:
            value = data[name]
            if value is None and name in ("name", "email", "time_zone"):
                raise ValidationFailed(f"{name}: cannot be blank.", field=name, code="BlankValue")
            changes[name] = value or ""
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    if "role" in data:
        changes["role"] = _role(data["role"])
    if "organization_id" in data:
        changes["organization"] = _org_or_none(data["organization_id"])
    for name, value in (data.get("user_fields") or {}).items():
        if name not in USER_FIELDS:
            raise ValidationFailed(
                f"user_fields.{name}: unknown field; use one of {', '.join(USER_FIELDS)}.",
                field=f"user_fields.{name}",
            )
        # Strict, as the schemas: "no" or 0 is not false.
        expected = bool if name == "is_sold_to_contact" else str
        if not isinstance(value, expected):
            raise ValidationFailed(
                f"user_fields.{name}: expected {'true or false' if expected is bool else 'text'}.",
                field=f"user_fields.{name}",
            )
        changes[name] = value
    return changes


def _visible_user(who: User, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None or (not who.is_agent and user.pk != who.pk):
        raise NotFound()
    return user


# --- users -------------------------------------------------------------------------------------


@route(router, ["GET"], "/users", response={200: UserList, **ERRORS})
def list_users(
    request: HttpRequest, params: Query[PageParams], role: str | None = None
) -> HttpResponse:
    """Agents only. `role` filters (end-user, agent, admin)."""
    who = actor(request)
    if not who.is_agent:
        return forbidden("Only agents can list users.")
    qs = User.objects.order_by("pk")
    if role:
        qs = qs.filter(role=_role(role))
    renderer = Renderer(request)
    return json_response(
        paginate(request, qs, "users", lambda rows: [renderer.user(u) for u in rows])
    )


@route(router, ["GET"], "/users/me", response={200: UserEnvelope, **ERRORS})
def me(request: HttpRequest) -> HttpResponse:
    return json_response({"user": Renderer(request).user(actor(request))})


@route(router, ["GET"], "/users/{int:user_id}", response={200: UserEnvelope, **ERRORS})
def show_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Agents see everyone; end-users only themselves."""
    return json_response({"user": Renderer(request).user(_visible_user(actor(request), user_id))})


@route(router, ["POST"], "/users", response={201: UserEnvelope, **ERRORS})
def create_user(request: HttpRequest, payload: UserIn) -> HttpResponse:
    """Agents create end-users; admins create agents and admins."""
    who = actor(request)
    if not who.is_agent:
        return forbidden("Only agents can create users.")
    changes = _user_changes(payload.user.model_dump(exclude_unset=True))
    if not changes.get("email"):
        raise ValidationFailed("email: cannot be blank.", field="email", code="BlankValue")
    with transaction.atomic():
        user = account_actions.create_user(
            actor=who,
            email=changes.pop("email"),
            name=changes.pop("name", ""),
            role=changes.pop("role", Role.END_USER),
            organization=changes.pop("organization", None),
            **changes,
        )
    response = json_response({"user": Renderer(request).user(user)}, status=201)
    response["Location"] = Renderer(request).url(f"users/{user.pk}.json")
    return response


@route(router, ["PUT"], "/users/{int:user_id}", response={200: UserEnvelope, **ERRORS})
def update_user(request: HttpRequest, user_id: int, payload: UserIn) -> HttpResponse:
    """End-users change their own name, phone and time zone; agents change end-users; admins
    change anyone."""
    who = actor(request)
    user = _visible_user(who, user_id)
    changes = _user_changes(payload.user.model_dump(exclude_unset=True))
    if who.role != Role.ADMIN and user.pk != who.pk and user.is_agent:
        return forbidden("Only admins can change agents.")
    if not who.is_agent and set(changes) - {"name", "phone", "time_zone"}:
        return forbidden("You can change only your name, phone and time zone.")
    with transaction.atomic():
        user = account_actions.update_user(actor=who, user=user, **changes)
    return json_response({"user": Renderer(request).user(user)})


@route(router, ["DELETE"], "/users/{int:user_id}", response={200: UserEnvelope, **ERRORS})
def delete_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Admins only. Deactivates the user (their tickets stay); answers the user, active false."""
    who = actor(request)
    user = _visible_user(who, user_id)
    user = account_actions.deactivate_user(actor=who, user=user)
    return json_response({"user": Renderer(request).user(user)})


# --- organizations -----------------------------------------------------------------------------


def _sharing(data: dict[str, Any], current: str) -> str | None:
    """`shared_tickets`/`shared_comments` → Organization.sharing (None: unchanged)."""
    if "shared_tickets" not in data and "shared_comments" not in data:
        return None
    now_tickets, now_comments = SHARING_FLAGS[OrgSharing(current)]
    tickets = data.get("shared_tickets", now_tickets)
    comments = data.get("shared_comments", now_comments)
    tickets = bool(tickets)
    comments = bool(comments)
    if comments and not tickets:
        raise ValidationFailed(
            "shared_comments: members can only comment on tickets they can see; "
            "set shared_tickets too.",
            field="shared_comments",
        )
    if (tickets, comments) == (now_tickets, now_comments):
        return None
    if not tickets:
        return OrgSharing.OWN
    return OrgSharing.VIEW_COMMENT_ALL if comments else OrgSharing.VIEW_ALL


def _org_changes(data: dict[str, Any], current_sharing: str) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "notes", "details"):
        if name in data:
            changes[name] = data[name] or ""
    if "external_id" in data:
        changes["crm_account_id"] = data["external_id"] or None
    if data.get("domain_names") is not None:
        changes["domain_names"] = data["domain_names"]
    sharing = _sharing(data, current_sharing)
    if sharing is not None:
        changes["sharing"] = sharing
    for name, value in (data.get("organization_fields") or {}).items():
        if name not in ORG_FIELDS:
            raise ValidationFailed(
                f"organization_fields.{name}: unknown field; use one of {', '.join(ORG_FIELDS)}.",
                field=f"organization_fields.{name}",
            )
        if name == "is_internal" and not isinstance(value, bool):
            raise ValidationFailed(
                "organization_fields.is_internal: true or false.",
                field="organization_fields.is_internal",
            )
        if name != "is_internal" and not isinstance(value, str):
            raise ValidationFailed(
                f"organization_fields.{name}: expected text.", field=f"organization_fields.{name}"
            )
        changes[name] = value
    return changes


def _org_queryset() -> Any:
    return Organization.objects.prefetch_related("domains")


def _visible_org(who: User, org_id: int) -> Organization:
    org = _org_queryset().filter(pk=org_id).first()
    if org is None or (not who.is_agent and who.organization_id != org.pk):
        raise NotFound()
    return org


@route(router, ["GET"], "/organizations", response={200: OrganizationList, **ERRORS})
def list_organizations(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Agents see every organization; end-users their own."""
    who = actor(request)
    qs = _org_queryset().order_by("pk")
    if not who.is_agent:
        qs = qs.filter(pk=who.organization_id or 0)
    renderer = Renderer(request)
    return json_response(
        paginate(
            request, qs, "organizations", lambda rows: [renderer.organization(o) for o in rows]
        )
    )


@route(
    router, ["GET"], "/organizations/{int:org_id}", response={200: OrganizationEnvelope, **ERRORS}
)
def show_organization(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _visible_org(actor(request), org_id)
    return json_response({"organization": Renderer(request).organization(org)})


@route(router, ["POST"], "/organizations", response={201: OrganizationEnvelope, **ERRORS})
def create_organization(request: HttpRequest, payload: OrganizationIn) -> HttpResponse:
    """Admins only."""
    who = actor(request)
    changes = _org_changes(payload.organization.model_dump(exclude_unset=True), OrgSharing.OWN)
    with transaction.atomic():
        org = account_actions.create_organization(
            actor=who,
            name=changes.pop("name", ""),
            domain_names=changes.pop("domain_names", ()),
            **changes,
        )
    org = _org_queryset().get(pk=org.pk)
    response = json_response({"organization": Renderer(request).organization(org)}, status=201)
    response["Location"] = Renderer(request).url(f"organizations/{org.pk}.json")
    return response


@route(
    router, ["PUT"], "/organizations/{int:org_id}", response={200: OrganizationEnvelope, **ERRORS}
)
def update_organization(request: HttpRequest, org_id: int, payload: OrganizationIn) -> HttpResponse:
    """Admins only; partial."""
    who = actor(request)
    org = _visible_org(who, org_id)
    changes = _org_changes(payload.organization.model_dump(exclude_unset=True), org.sharing)
    with transaction.atomic():
        account_actions.update_organization(actor=who, organization=org, **changes)
    org = _org_queryset().get(pk=org.pk)
    return json_response({"organization": Renderer(request).organization(org)})


@route(router, ["DELETE"], "/organizations/{int:org_id}", response={204: None, **ERRORS})
def delete_organization(request: HttpRequest, org_id: int) -> HttpResponse:
    """Admins only. Members and tickets stay, without the organization. 204."""
    who = actor(request)
    org = _visible_org(who, org_id)
    account_actions.delete_organization(actor=who, organization=org)
    return HttpResponse(status=204)
