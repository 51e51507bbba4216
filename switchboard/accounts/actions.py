"""Writes to organizations, users, entitlement and API tokens — the only write path for them."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.domains import InvalidDomain, email_domain, normalize_domain
from switchboard.accounts.models import (
    AccountAuditEvent,
    ApiToken,
    Organization,
    OrganizationDomain,
    OrgSharing,
    PersonalAccess,
    Role,
    User,
)
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.core.tokens import hash_token, new_token

# Changes to these fields are recorded (they decide access, entitlement and SLAs).
AUDITED_ORG_FIELDS = ("sharing", "support_level", "preferred_region", "product_line", "is_internal")
AUDITED_USER_FIELDS = (
    "ticket_access",
    "organization_id",
    "is_sold_to_contact",
    "role",
    "is_active",
)
TOKEN_PREFIX = "sb_"


def _audit(
    *,
    actor: Actor,
    field: str,
    old: Any,
    new: Any,
    organization: Organization | None = None,
    user: User | None = None,
    reason: str = "",
) -> None:
    AccountAuditEvent.objects.create(
        actor=access.person(actor),
        organization=organization,
        user=user,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        reason=reason,
    )


def record_changes(
    *,
    actor: Actor,
    before: dict[str, Any],
    after: Organization | User,
    reason: str = "",
) -> None:
    """Audit each field of `before` whose value on `after` differs (one event per field).

    The single audit rule for account settings: the actions and the admin both call it.
    """
    is_user = isinstance(after, User)
    for field, old in before.items():
        new = getattr(after, field)
        if new != old:
            _audit(
                actor=actor,
                user=after if is_user else None,
                organization=after.organization if is_user else after,  # type: ignore[union-attr]
                field=field,
                old=old,
                new=new,
                reason=reason,
            )


def snapshot(obj: Organization | User) -> dict[str, Any]:
    """The audited fields of an organization or user, to pass to record_changes later."""
    fields = AUDITED_USER_FIELDS if isinstance(obj, User) else AUDITED_ORG_FIELDS
    return {f: getattr(obj, f) for f in fields}


def _require_admin(actor: Actor) -> None:
    access.require_actor(actor)
    if actor is not SYSTEM and actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can change organizations and roles.")


def _require_agent(actor: Actor) -> None:
    if not access.is_agent(actor):
        access.require_actor(actor)
        raise PermissionDenied("Only agents can do that.")


def _clean_domains(domains: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in domains:
        try:
            domain = normalize_domain(raw)
        except InvalidDomain as exc:
            raise ValidationFailed(str(exc), field="domain_names") from None
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(
            f"{field}: {' '.join(messages)}", field=None if field == "__all__" else field
        ) from None


@transaction.atomic
def create_organization(
    *,
    actor: Actor,
    name: str,
    domain_names: Iterable[str] = (),
    reason: str = "",
    **fields: Any,
) -> Organization:
    """Create an organization with its domains. A new organization gets no paid plan by default.

    `reason` (e.g. "CRM integrity fix") is recorded on the audit event."""
    _require_admin(actor)
    org = Organization(name=(name or "").strip(), **fields)
    if not org.name:
        raise ValidationFailed("name: An organization needs a name.", field="name")
    _full_clean(org)
    org.save()
    _set_domains(org, _clean_domains(domain_names))
    _audit(actor=actor, organization=org, field="created", old=None, new=org.name, reason=reason)
    return org


@transaction.atomic
def update_organization(
    *, actor: Actor, organization: Organization, reason: str = "", **changes: Any
) -> Organization:
    """Change fields of an organization; access-relevant changes are audited (with `reason`)."""
    _require_admin(actor)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    domain_names = changes.pop("domain_names", None)
    before = snapshot(org)
    for field, value in changes.items():
        if not hasattr(org, field) or field in ("id", "pk", "created_at"):
            raise ValidationFailed(f"{field}: not an organization field.", field=field)
        setattr(org, field, value)
    _full_clean(org)
    org.save()
    record_changes(actor=actor, before=before, after=org, reason=reason)
    if domain_names is not None:
        _replace_domains(actor, org, domain_names)
    return org


def _replace_domains(
    actor: Actor, org: Organization, domain_names: Iterable[str], reason: str = ""
) -> None:
    """Validate and set the organization's domains; a change is one audit event (old → new)."""
    old_domains = org.domain_names
    new_domains = _clean_domains(domain_names)
    _set_domains(org, new_domains)
    if sorted(old_domains) != sorted(new_domains):
        _audit(
            actor=actor,
            organization=org,
            field="domain_names",
            old=",".join(old_domains),
            new=",".join(new_domains),
            reason=reason,
        )


def _set_domains(org: Organization, domains: list[str]) -> None:
    taken = (
        OrganizationDomain.objects.filter(domain__in=domains)
        .exclude(organization=org)
        .select_related("organization")
        .first()
    )
    if taken is not None:
        raise ValidationFailed(
            f'domain_names: "{taken.domain}" already belongs to {taken.organization.name}.',
            field="domain_names",
        )
    org.domains.exclude(domain__in=domains).delete()
    existing = set(org.domains.values_list("domain", flat=True))
    OrganizationDomain.objects.bulk_create(
        [OrganizationDomain(organization=org, domain=d) for d in domains if d not in existing]
    )


def organization_for_email(email: str) -> Organization | None:
    domain = email_domain(email)
    if not domain:
        return None
    match = OrganizationDomain.objects.filter(domain=domain).select_related("organization").first()
    return match.organization if match else None


@transaction.atomic
def associate_user_by_domain(user: User, *, actor: Actor = SYSTEM) -> Organization | None:
    """Entitlement by email domain: put an unassociated end-user in the org owning their domain.

    Called on first contact (registration, portal, email, API). Never moves a user who already
    belongs to an organization, and never touches agents.
    """
    if user.role != Role.END_USER or user.organization_id is not None:
        return user.organization
    org = organization_for_email(user.email)
    if org is not None:
        user.organization = org
        user.save(update_fields=["organization", "updated_at"])
        _audit(
            actor=actor,
            user=user,
            organization=org,
            field="organization_id",
            old=None,
            new=org.pk,
            reason=f"email domain {email_domain(user.email)}",
        )
    return org


@transaction.atomic
def create_user(
    *,
    actor: Actor,
    email: str,
    name: str = "",
    role: str = Role.END_USER,
    password: str | None = None,
    organization: Organization | None = None,
    **fields: Any,
) -> User:
    """Create a user. End-users without an explicit organization are matched by email domain."""
    access.require_actor(actor)
    email = (email or "").strip().lower()
    if role != Role.END_USER:
        _require_admin(actor)
    elif organization is not None:
        _require_agent(actor)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(f"email: {email} is already registered.", field="email")
    user = User(email=email, name=name.strip(), role=role, organization=organization, **fields)
    user.is_superuser = role == Role.ADMIN
    _full_clean(user, exclude=["password"])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(f"email: {email} is already registered.", field="email") from None
    if organization is not None:
        _audit(
            actor=actor,
            user=user,
            organization=organization,
            field="organization_id",
            old=None,
            new=organization.pk,
        )
    else:
        associate_user_by_domain(user, actor=actor)
    return user


@transaction.atomic
def update_user(*, actor: Actor, user: User, **changes: Any) -> User:
    """Change a user's fields. Role changes need an admin; access changes are audited."""
    access.require_actor(actor)
    target = User.objects.select_for_update().get(pk=user.pk)
    if "role" in changes or "is_active" in changes:
        _require_admin(actor)
    if "organization" in changes or "ticket_access" in changes or "is_sold_to_contact" in changes:
        _require_agent(actor)
    password = changes.pop("password", None)
    before = snapshot(target)
    for field, value in changes.items():
        if field in ("id", "pk", "password", "is_superuser", "last_login", "created_at"):
            raise ValidationFailed(f"{field}: cannot be changed here.", field=field)
        setattr(target, field, value)
    target.is_superuser = target.role == Role.ADMIN
    _full_clean(target, exclude=["password"])
    if password:
        target.set_password(password)
    target.save()
    record_changes(actor=actor, before=before, after=target)
    return target


def set_personal_access(*, actor: Actor, user: User, value: str) -> User:
    if value not in PersonalAccess.values:
        raise ValidationFailed(
            f"ticket_access: {value!r} is not one of {', '.join(PersonalAccess.values)}.",
            field="ticket_access",
        )
    return update_user(actor=actor, user=user, ticket_access=value)


@transaction.atomic
def verify_entitlement(
    *, agent: User, user: User, organization: Organization, reason: str = ""
) -> User:
    """An agent confirms an end-user's entitlement and associates them with an organization.

    Any agent verifies an unassociated requester; moving someone out of another organization
    takes an admin or a support manager (`access.can_manage_accounts`)."""
    _require_agent(agent)
    if user.role != Role.END_USER:
        raise ValidationFailed("Only end-users are associated with customer organizations.")
    target = User.objects.select_for_update().get(pk=user.pk)
    old = target.organization_id
    if old not in (None, organization.pk) and not access.can_manage_accounts(agent):
        raise PermissionDenied(
            f"{target.email} belongs to another organization; an admin or a support manager "
            "moves members between organizations."
        )
    target.organization = organization
    target.entitlement_verified_by = agent
    target.entitlement_verified_at = timezone.now()
    target.save(
        update_fields=[
            "organization",
            "entitlement_verified_by",
            "entitlement_verified_at",
            "updated_at",
        ]
    )
    _audit(
        actor=agent,
        user=target,
        organization=organization,
        field="organization_id",
        old=old,
        new=organization.pk,
        reason=reason or "entitlement verified",
    )
    return target


NOTES_MAX = 20_000


def _clean_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationFailed(f"notes: at most {NOTES_MAX:,} characters.", field="notes")
    return notes


@transaction.atomic
def set_user_notes(*, actor: Actor, user: User, notes: str) -> User:
    """An agent writes the internal notes about a person (audited: old and new text)."""
    _require_agent(actor)
    notes = _clean_notes(notes)
    target = User.objects.select_for_update().get(pk=user.pk)
    if target.notes == notes:
        return target
    before = {"notes": target.notes}
    target.notes = notes
    target.save(update_fields=["notes", "updated_at"])
    record_changes(actor=actor, before=before, after=target)
    return target


@transaction.atomic
def edit_organization_profile(
    *,
    actor: Actor,
    organization: Organization,
    notes: str,
    sharing: str,
    domain_names: Iterable[str],
) -> Organization:
    """Notes, sharing setting and email domains, from the organization page: admins and support
    managers only (`access.can_manage_accounts`). Each changed field is one audit event, notes
    included; domains are validated and stay one organization's each."""
    access.require_actor(actor)
    if not access.can_manage_accounts(actor):
        raise PermissionDenied(
            "Only admins and support managers change an organization's notes, sharing and domains."
        )
    notes = _clean_notes(notes)
    if sharing not in OrgSharing.values:
        raise ValidationFailed(
            f"sharing: {sharing!r} is not one of {', '.join(OrgSharing.values)}.", field="sharing"
        )
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = {"notes": org.notes, "sharing": org.sharing}
    org.notes, org.sharing = notes, sharing
    org.save(update_fields=["notes", "sharing", "updated_at"])
    record_changes(actor=actor, before=before, after=org, reason="organization page")
    _replace_domains(actor, org, domain_names, reason="organization page")
    return org


@transaction.atomic
def issue_api_token(*, user: User, name: str = "") -> tuple[str, ApiToken]:
    """Create a token for `user`; returns (the token, shown once, and its stored record)."""
    token = TOKEN_PREFIX + new_token()
    record = ApiToken.objects.create(
        user=user, name=name[:100], prefix=token[:10], token_hash=hash_token(token)
    )
    return token, record


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked token, or None. Constant work whatever the input."""
    if not token or len(token) > 200:
        return None
    found = _token_owner(hash_token(token))
    if found is None:
        return None
    token_id, last_used_at, user = found
    if not user.is_active:
        return None
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


@functools.cache
def _token_owner_query() -> tuple[str, list[Any], list[Any]]:
    """The SQL of `_token_owner`, and the User and Organization columns it reads (with their
    database converters), built once per process."""
    user_cols, org_cols = (
        [f.get_col(m._meta.db_table) for m in (model,) for f in m._meta.concrete_fields]
        for model in (User, Organization)
    )
    token, user, org = (m._meta.db_table for m in (ApiToken, User, Organization))

    def columns(cols: list[Any], alias: str) -> str:
        return ", ".join(f"{alias}.{connection.ops.quote_name(c.target.column)}" for c in cols)

    sql = (
        f"SELECT t.id, t.last_used_at, {columns(user_cols, 'u')}, {columns(org_cols, 'o')} "  # noqa: S608
        f"FROM {token} t JOIN {user} u ON u.id = t.user_id "
        f"LEFT JOIN {org} o ON o.id = u.organization_id "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    )
    return sql, user_cols, org_cols


def _model_from_row(model: Any, cols: list[Any], values: Sequence[Any]) -> Any:
    """A model instance from its columns' raw values, as the ORM builds one (`from_db`)."""
    converted = [_converted(col, value) for col, value in zip(cols, values, strict=True)]
    return model.from_db(connection.alias, [c.target.attname for c in cols], converted)


def _converted(col: Any, value: Any) -> Any:
    """A column's raw value as the ORM's compiler converts it (backend, then field)."""
    for converter in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
        value = converter(value, col, connection)
    return value


def _token_owner(token_hash: str) -> tuple[int, Any, User] | None:
    """(token id, its last use, its owner with the owner's organization loaded), in one query:
    every API request runs this, and the same join through the ORM costs ~1 ms of query
    building per request."""
    sql, user_cols, org_cols = _token_owner_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    at = 2 + len(user_cols)
    user = _model_from_row(User, user_cols, row[2:at])
    if row[at] is not None:
        org = _model_from_row(Organization, org_cols, row[at:])
        User.organization.field.set_cached_value(user, org)
    last_used_col = ApiToken._meta.get_field("last_used_at").get_col(ApiToken._meta.db_table)
    return row[0], _converted(last_used_col, row[1]), user


@transaction.atomic
def create_own_api_token(*, actor: User, name: str) -> tuple[str, ApiToken]:
    """Self-service: a person creates a named API token for themselves (audited).

    Only agents (and admins) hold API tokens: DOMAIN.md gives end-users the portal and email,
    not the API. Returns (the token, shown once, and its stored record: only its hash)."""
    if not actor.is_active or not actor.is_agent:
        raise PermissionDenied("Only agents can create API tokens.")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Name the token (e.g. the script that uses it).", field="name", code="InvalidValue"
        )
    if len(name) > 100:
        raise ValidationFailed("Token names are at most 100 characters.", field="name")
    token, record = issue_api_token(user=actor, name=name)
    _audit(
        actor=actor,
        user=actor,
        field="api_token",
        old="",
        new=f"{record.prefix}… {name}",
        reason="API token created",
    )
    return token, record


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id and actor.role != Role.ADMIN:
        raise PermissionDenied("Only the owner or an admin can revoke a token.")
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        _audit(
            actor=actor,
            user=token.user,
            field="api_token",
            old=f"{token.prefix}… {token.name}",
            new="",
            reason="API token revoked",
        )


# --- removal (API: DELETE users/{id}, organizations/{id}) --------------------------------------


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Zendesk's "delete user": the account is deactivated, its tickets and history stay."""
    _require_admin(actor)
    if actor.pk == user.pk:
        raise ValidationFailed("You cannot deactivate yourself.", field="id", code="InvalidValue")
    return update_user(actor=actor, user=user, is_active=False)


@transaction.atomic
def delete_organization(*, actor: User, organization: Organization) -> None:
    """Delete an organization. Its members and tickets stay, without it (each member's change is
    audited); the deletion itself is audited with the organization's name and id."""
    _require_admin(actor)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    for member in User.objects.select_for_update().filter(organization=org):
        _audit(
            actor=actor,
            user=member,
            field="organization_id",
            old=org.pk,
            new=None,
            reason=f"organization {org.name} deleted",
        )
    _audit(actor=actor, field="organization_deleted", old=f"{org.pk} {org.name}", new=None)
    org.delete()


# --- self-service: portal registration and the sold-to contact's support contacts ---------------


@transaction.atomic
def confirm_registration(*, user: User) -> User:
    """Activate a self-registered end-user once they prove they own the address (the emailed
    link). Until then the account has no access; the activation is audited."""
    target = User.objects.select_for_update().get(pk=user.pk)
    if target.role != Role.END_USER:
        raise ValidationFailed("Only end-user accounts are confirmed this way.")
    if target.is_active:
        return target
    before = snapshot(target)
    target.is_active = True
    target.save(update_fields=["is_active", "updated_at"])
    record_changes(actor=target, before=before, after=target, reason="registration confirmed")
    return target


def _require_sold_to(actor: User, contact: User | None = None) -> Organization:
    """The actor's organization, if they are its active sold-to contact (and `contact` is one of
    its end-users). Someone else's contact is "not found"."""
    if not (
        actor.is_active
        and actor.role == Role.END_USER
        and actor.is_sold_to_contact
        and actor.organization_id is not None
    ):
        raise PermissionDenied("Only the organization's sold-to contact manages support contacts.")
    if contact is not None and (
        contact.organization_id != actor.organization_id or contact.role != Role.END_USER
    ):
        raise NotFound()
    return actor.organization  # type: ignore[return-value]


@transaction.atomic
def add_support_contact(*, actor: User, email: str, name: str = "") -> User:
    """The sold-to contact adds a support contact; the address must use one of the org's domains.

    The new account has no password yet (the contact sets one with "forgot password").
    """
    org = _require_sold_to(actor)
    email = (email or "").strip().lower()
    domain = email_domain(email)
    if not domain or domain not in org.domain_names:
        raise ValidationFailed(
            f"email: use an address at {', '.join(org.domain_names) or 'your domain'}; "
            f"support contacts must belong to {org.name}.",
            field="email",
        )
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if existing.organization_id == org.pk and existing.role == Role.END_USER:
            if existing.is_active:
                raise ValidationFailed(
                    f"email: {email} is already a support contact.", field="email"
                )
            before = snapshot(existing)
            existing.is_active = True
            existing.save(update_fields=["is_active", "updated_at"])
            record_changes(actor=actor, before=before, after=existing, reason="support contact")
            return existing
        raise ValidationFailed(
            f"email: {email} already has an account; ask support to move it to {org.name}.",
            field="email",
        )
    return create_user(actor=actor, email=email, name=name)


@transaction.atomic
def remove_support_contact(*, actor: User, contact: User) -> User:
    """The sold-to contact removes (deactivates) one of the org's support contacts."""
    _require_sold_to(actor, contact)
    if contact.pk == actor.pk:
        raise ValidationFailed(
            "You cannot remove yourself; ask support to change the sold-to contact."
        )
    target = User.objects.select_for_update().get(pk=contact.pk)
    before = snapshot(target)
    target.is_active = False
    target.save(update_fields=["is_active", "updated_at"])
    record_changes(actor=actor, before=before, after=target, reason="support contact removed")
    return target


@transaction.atomic
def set_contact_access(*, actor: User, contact: User, value: str) -> User:
    """The sold-to contact changes a support contact's personal ticket-access setting."""
    _require_sold_to(actor, contact)
    if value not in PersonalAccess.values:
        raise ValidationFailed(
            f"ticket_access: {value!r} is not one of {', '.join(PersonalAccess.values)}.",
            field="ticket_access",
        )
    target = User.objects.select_for_update().get(pk=contact.pk)
    before = snapshot(target)
    target.ticket_access = value
    target.save(update_fields=["ticket_access", "updated_at"])
    record_changes(actor=actor, before=before, after=target, reason="set by sold-to contact")
    return target
