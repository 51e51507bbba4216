"""CRM writes an admin starts: the integrity page's one-click fixes and mapping edits.

A fix re-checks, inside its transaction, that it is still safe (the finding may be stale), then
writes through the accounts actions with the reason "CRM integrity fix: …" on the audit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from switchboard.accounts import actions as account_actions
from switchboard.accounts.models import AccountAuditEvent, Organization, Role, User
from switchboard.core.errors import NotFound, PermissionDenied, ValidationFailed
from switchboard.crm import checks
from switchboard.crm import mapping as mapping_rules
from switchboard.crm.models import CrmAccount, CrmSettings, IntegrityFinding
from switchboard.crm.sync import OPEN_STATUSES


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN or not actor.is_active:
        raise PermissionDenied("Only admins can apply CRM fixes.")


def _account(finding: IntegrityFinding) -> CrmAccount:
    account = CrmAccount.objects.filter(sf_id=finding.crm_account_id).first()
    if account is None or account.is_deleted:
        raise ValidationFailed("The CRM account is gone; run the checks again.", field="finding")
    return account


def _name_free(name: str, except_org: int | None = None) -> bool:
    clash = Organization.objects.filter(name__iexact=name)
    if except_org is not None:
        clash = clash.exclude(pk=except_org)
    return not clash.exists()


@transaction.atomic
def apply_fix(*, actor: User, finding_id: int) -> str:
    """Carry out the finding's safe fix; returns what was done (for the page's message)."""
    _require_admin(actor)
    finding = IntegrityFinding.objects.select_for_update().filter(pk=finding_id).first()
    if finding is None:
        raise NotFound("That finding is gone (the checks ran again); reload the page.")
    if not finding.fix:
        raise ValidationFailed("This finding has no safe one-click fix.", field="finding")
    reason = f"CRM integrity fix: {checks.FIX_LABELS[finding.fix]}"
    account = _account(finding)
    if finding.fix == checks.CREATE_ORG:
        if Organization.objects.filter(crm_account_id=account.sf_id).exists():
            raise ValidationFailed(
                "An organization is already linked to this account.", field="finding"
            )
        if not account.name or not _name_free(account.name):
            raise ValidationFailed(
                f"An organization named {account.name!r} exists; link it instead.", field="finding"
            )
        fields: dict[str, Any] = {
            "crm_account_id": account.sf_id,
            "account_type": account.account_type,
        }
        if account.support_level:
            fields["support_level"] = account.support_level
        if account.product_line:
            fields["product_line"] = account.product_line
        org = account_actions.create_organization(
            actor=actor, name=account.name, reason=reason, **fields
        )
        done = f"Created {org.name} for {account.sf_id}; the next sync fills in the other fields."
    elif finding.fix == checks.ATTACH_CRM_ID:
        org = _exact_name_org(account)
        account_actions.update_organization(
            actor=actor, organization=org, reason=reason, crm_account_id=account.sf_id
        )
        _audit(actor, org, "crm_account_id", "", account.sf_id, reason)
        done = f"Linked {org.name} to {account.sf_id}."
    elif finding.fix == checks.TAKE_SUPPORT_LEVEL:
        org = _linked_org(finding, account)
        if not account.support_level:
            raise ValidationFailed("The CRM's support level is unknown.", field="finding")
        before = org.support_level
        org = account_actions.update_organization(
            actor=actor, organization=org, reason=reason, support_level=account.support_level
        )
        _reapply(org, before)
        done = f"{org.name}: support level {before} → {org.support_level}."
    elif finding.fix == checks.TAKE_NAME:
        org = _linked_org(finding, account)
        if not account.name or not _name_free(account.name, except_org=org.pk):
            raise ValidationFailed(
                f"Another organization is named {account.name!r}.", field="finding"
            )
        before = org.name
        org = account_actions.update_organization(
            actor=actor, organization=org, reason=reason, name=account.name
        )
        _audit(actor, org, "name", before, org.name, reason)
        done = f"Renamed {before} → {org.name}."
    else:  # pragma: no cover - FIX_LABELS lists every fix
        raise ValidationFailed(f"Unknown fix {finding.fix!r}.", field="finding")
    IntegrityFinding.objects.filter(pk=finding.pk).delete()
    return done


def _exact_name_org(account: CrmAccount) -> Organization:
    if Organization.objects.filter(crm_account_id=account.sf_id).exists():
        raise ValidationFailed(
            "An organization is already linked to this account.", field="finding"
        )
    same = CrmAccount.objects.filter(name=account.name, is_customer=True, is_deleted=False)
    if same.count() != 1:
        raise ValidationFailed(
            f"{same.count()} customer accounts are named {account.name!r}: not a unique match.",
            field="finding",
        )
    orgs = list(Organization.objects.select_for_update().filter(name=account.name))
    if len(orgs) != 1 or orgs[0].crm_account_id:
        raise ValidationFailed(
            f"No single unlinked organization is named exactly {account.name!r}.", field="finding"
        )
    return orgs[0]


def _linked_org(finding: IntegrityFinding, account: CrmAccount) -> Organization:
    org = Organization.objects.filter(
        pk=finding.organization_id, crm_account_id=account.sf_id
    ).first()
    if org is None:
        raise ValidationFailed(
            "The organization is no longer linked to this account.", field="finding"
        )
    return org


def _audit(actor: User, org: Organization, field: str, old: str, new: str, reason: str) -> None:
    AccountAuditEvent.objects.create(
        actor=actor, organization=org, field=field, old_value=old, new_value=new, reason=reason
    )


def _reapply(org: Organization, before: str) -> None:
    if org.support_level == before:
        return
    from switchboard.sla.clocks import reapply_policies

    now = timezone.now()
    for ticket in org.tickets.filter(status__in=OPEN_STATUSES).order_by("pk"):
        reapply_policies(ticket, now, reason="organization support level (CRM fix)")


@transaction.atomic
def update_mapping(*, actor: User, mapping: Any) -> CrmSettings:
    """Replace the field mapping after validating it (audited as a CRM settings change)."""
    _require_admin(actor)
    try:
        mapping_rules.validate(mapping)
    except mapping_rules.InvalidMapping as exc:
        raise ValidationFailed(str(exc), field="mapping") from None
    row, _ = CrmSettings.objects.select_for_update().get_or_create(pk=1)
    row.mapping = mapping
    row.save()
    return row
