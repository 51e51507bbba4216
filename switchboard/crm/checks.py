"""Integrity checks between the CRM (the mirrored accounts) and Switchboard's organizations.

Each check is data — an id, a severity, a query and the safe fix, if one exists — listed in
``CHECKS``. ``run_checks`` loads organizations, CRM accounts and agents once (three queries),
runs every check in memory, replaces the stored findings and records the counts (the trend). It
runs after every sync and daily; when the counts change, a digest goes to the configured email
address and chat endpoint through the notify outbox.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from switchboard.accounts.domains import InvalidDomain, normalize_domain
from switchboard.accounts.models import Organization, Role, User
from switchboard.crm.mapping import split_domains
from switchboard.crm.models import CrmAccount, IntegrityFinding, IntegrityRun, Severity

# Fix ids (crm/actions.py carries them out after checking again that they are still safe).
CREATE_ORG = "create_org"
TAKE_SUPPORT_LEVEL = "take_support_level"
ATTACH_CRM_ID = "attach_crm_id"
TAKE_NAME = "take_name"
FIX_LABELS = {
    CREATE_ORG: "Create the organization",
    TAKE_SUPPORT_LEVEL: "Take the CRM's support level",
    ATTACH_CRM_ID: "Attach the CRM id (unique exact-name match)",
    TAKE_NAME: "Take the CRM's name",
}
# Findings that make an organization's entitlement (and so its SLA) uncertain for agents.
UNCERTAIN_CHECKS = ("no_support_level", "support_level_mismatch", "no_crm_id")


@dataclass
class Found:
    subject: str
    detail: str
    organization_id: int | None = None
    crm_account_id: str = ""
    fix: str = ""


@dataclass
class Data:
    orgs: list[dict[str, Any]]
    accounts: dict[str, dict[str, Any]]
    agent_emails: set[str]
    manager_problem: dict[int, str]
    orgs_by_crm_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    orgs_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    org_ids_by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unlinked_customers_by_name: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def __post_init__(self) -> None:
        for org in self.orgs:
            self.orgs_by_id[org["id"]] = org
            if org["crm_account_id"]:
                self.orgs_by_crm_id[org["crm_account_id"]] = org
            self.org_ids_by_name[org["name"].lower()].append(org["id"])
        for account in self.customers():
            if account["sf_id"] not in self.orgs_by_crm_id:
                self.unlinked_customers_by_name[account["name"]].append(account["sf_id"])

    def customers(self) -> list[dict[str, Any]]:
        return [a for a in self.accounts.values() if a["is_customer"] and not a["is_deleted"]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: str
    description: str
    query: Callable[[Data], list[Found]]
    fixes: tuple[str, ...] = ()


PRODUCT_LINES = {"self_managed": "self-managed", "saas": "SaaS", "": "unknown product line"}


def _missing_org(data: Data) -> list[Found]:
    found = []
    for account in data.customers():
        if account["sf_id"] in data.orgs_by_crm_id:
            continue
        line = PRODUCT_LINES.get(account["product_line"], account["product_line"])
        fix = ""
        exact = [
            org_id
            for org_id in data.org_ids_by_name.get(account["name"].lower(), [])
            if not data.orgs_by_id[org_id]["crm_account_id"]
            and data.orgs_by_id[org_id]["name"] == account["name"]
        ]
        if not data.org_ids_by_name.get(account["name"].lower()) and account["name"]:
            fix = CREATE_ORG
        elif len(exact) == 1 and len(data.unlinked_customers_by_name[account["name"]]) == 1:
            fix = ATTACH_CRM_ID
        found.append(
            Found(
                subject=f"{account['name'] or account['sf_id']} ({line})",
                detail=f"Customer account {account['sf_id']} ({line}) has no organization."
                + (
                    " An unlinked organization already has this name."
                    if fix == ATTACH_CRM_ID
                    else ""
                ),
                organization_id=exact[0] if fix == ATTACH_CRM_ID else None,
                crm_account_id=account["sf_id"],
                fix=fix,
            )
        )
    return found


def _no_support_level(data: Data) -> list[Found]:
    found = []
    for org in data.orgs:
        if org["is_internal"] or org["support_level"] != "none":
            continue
        account = data.accounts.get(org["crm_account_id"] or "")
        if account is not None and account["support_level"]:
            continue  # the CRM knows the level: either "none" (correct) or a mismatch (below)
        if account is None:
            detail = "No support level, and no CRM account to take one from."
        elif account["support_level_raw"]:
            detail = (
                f"The CRM's support level {account['support_level_raw']!r} is unknown to the "
                "mapping."
            )
        else:
            detail = "No support level here or in the CRM."
        found.append(Found(org["name"], detail, org["id"], org["crm_account_id"] or ""))
    return found


def _duplicates(data: Data) -> list[Found]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for account in data.customers():
        if account["name"]:
            groups[account["name"].casefold()].append(account)
    found = []
    for accounts in groups.values():
        if len(accounts) < 2:
            continue
        ids = sorted(a["sf_id"] for a in accounts)
        for account in sorted(accounts, key=lambda a: a["sf_id"]):
            org = data.orgs_by_crm_id.get(account["sf_id"])
            others = ", ".join(i for i in ids if i != account["sf_id"])
            found.append(
                Found(
                    account["name"],
                    f"Customer account {account['sf_id']} has the same name as {others}.",
                    org["id"] if org else None,
                    account["sf_id"],
                )
            )
    return found


def _mismatch(data: Data) -> list[Found]:
    found = []
    for org in data.orgs:
        account = data.accounts.get(org["crm_account_id"] or "")
        if account is None or not account["support_level"] or account["is_deleted"]:
            continue
        if account["support_level"] != org["support_level"]:
            found.append(
                Found(
                    org["name"],
                    f"Support level here: {org['support_level']}; in the CRM: "
                    f"{account['support_level']} ({account['support_level_raw']!r}).",
                    org["id"],
                    account["sf_id"],
                    TAKE_SUPPORT_LEVEL,
                )
            )
    return found


def _no_crm_id(data: Data) -> list[Found]:
    found = []
    for org in data.orgs:
        if org["is_internal"]:
            continue
        crm_id = org["crm_account_id"]
        if crm_id:
            account = data.accounts.get(crm_id)
            if account is None and data.accounts:
                detail = f"Linked to {crm_id}, which the CRM sync has never seen."
            elif account is not None and account["is_deleted"]:
                detail = f"Linked to {crm_id}, which was deleted in the CRM."
            elif account is not None and not account["is_customer"]:
                detail = (
                    f"Linked to {crm_id}, which is no longer a customer account "
                    f"(Type = {account['account_type']!r})."
                )
            else:
                continue
            found.append(Found(org["name"], detail, org["id"], crm_id))
            continue
        candidates = data.unlinked_customers_by_name.get(org["name"], [])
        same_name_orgs = data.org_ids_by_name.get(org["name"].lower(), [])
        if len(candidates) == 1 and len(same_name_orgs) == 1:
            found.append(
                Found(
                    org["name"],
                    f"No CRM id; customer account {candidates[0]} has exactly this name.",
                    org["id"],
                    candidates[0],
                    ATTACH_CRM_ID,
                )
            )
        else:
            detail = "No CRM id" + (
                f"; {len(candidates)} customer accounts have this name." if candidates else "."
            )
            found.append(Found(org["name"], detail, org["id"]))
    return found


def _name_mismatch(data: Data) -> list[Found]:
    found = []
    for org in data.orgs:
        account = data.accounts.get(org["crm_account_id"] or "")
        if account is None or not account["name"] or account["name"] == org["name"]:
            continue
        taken = [i for i in data.org_ids_by_name.get(account["name"].lower(), []) if i != org["id"]]
        found.append(
            Found(
                org["name"],
                f"The CRM calls {account['sf_id']} {account['name']!r}."
                + (" Another organization has that name." if taken else ""),
                org["id"],
                account["sf_id"],
                "" if taken else TAKE_NAME,
            )
        )
    return found


# Plainly valid bare domains (the common case) skip the full validation; anything else gets it.
_PLAIN_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]"
)


def _malformed_domain(data: Data) -> list[Found]:
    found = []
    for account in data.customers():
        raw = account["domain_raw"]
        if not raw or (len(raw) <= 253 and _PLAIN_DOMAIN.fullmatch(raw)):
            continue
        for part in split_domains(raw):
            try:
                normalize_domain(part)
            except InvalidDomain as exc:
                org = data.orgs_by_crm_id.get(account["sf_id"])
                found.append(
                    Found(
                        account["name"] or account["sf_id"],
                        f"Domain {raw!r}: {exc}",
                        org["id"] if org else None,
                        account["sf_id"],
                    )
                )
                break
    return found


def _tam_not_agent(data: Data) -> list[Found]:
    found = []
    for account in data.customers():
        email = account["tam_email"]
        if email and email not in data.agent_emails:
            org = data.orgs_by_crm_id.get(account["sf_id"])
            found.append(
                Found(
                    account["name"] or account["sf_id"],
                    f"The CRM's TAM {email} is not an active agent in Switchboard.",
                    org["id"] if org else None,
                    account["sf_id"],
                )
            )
    for org in data.orgs:
        problem = data.manager_problem.get(org["id"])
        if problem:
            found.append(Found(org["name"], problem, org["id"], org["crm_account_id"] or ""))
    return found


CHECKS: tuple[Check, ...] = (
    Check(
        "missing_org",
        "Customer accounts with no organization",
        Severity.ERROR,
        "A CRM account of type Customer that no organization is linked to (per product line).",
        _missing_org,
        (CREATE_ORG, ATTACH_CRM_ID),
    ),
    Check(
        "no_support_level",
        "Organizations with no support level",
        Severity.ERROR,
        "Not internal, support level none, and the CRM does not say what it should be.",
        _no_support_level,
    ),
    Check(
        "duplicate_crm_accounts",
        "Duplicate customer records in the CRM",
        Severity.WARNING,
        "Customer accounts with the same name (fix them in the CRM; flagged only).",
        _duplicates,
    ),
    Check(
        "support_level_mismatch",
        "Support level differs from the CRM",
        Severity.ERROR,
        "The organization's support level is not the one its CRM account maps to.",
        _mismatch,
        (TAKE_SUPPORT_LEVEL,),
    ),
    Check(
        "no_crm_id",
        "Organizations with no CRM id",
        Severity.WARNING,
        "Not linked to a CRM account, or linked to one that was deleted or is not a customer.",
        _no_crm_id,
        (ATTACH_CRM_ID,),
    ),
    Check(
        "name_mismatch",
        "Name differs from the CRM account",
        Severity.WARNING,
        "The organization and the CRM account with its id have different names.",
        _name_mismatch,
        (TAKE_NAME,),
    ),
    Check(
        "malformed_domain",
        "Malformed domains in the CRM",
        Severity.WARNING,
        "The account's domain is not a bare domain like example.com (DOMAIN.md §1).",
        _malformed_domain,
    ),
    Check(
        "tam_not_agent",
        "TAM who is not an agent",
        Severity.WARNING,
        "The CRM names a TAM without an active agent account, or the account manager is no "
        "longer an agent.",
        _tam_not_agent,
    ),
)
CHECKS_BY_ID = {check.id: check for check in CHECKS}


def load() -> Data:
    orgs = list(
        Organization.objects.values(
            "id", "name", "crm_account_id", "support_level", "is_internal", "account_manager_id"
        ).order_by("id")
    )
    accounts = {
        row["sf_id"]: row
        for row in CrmAccount.objects.values(
            "sf_id",
            "name",
            "account_type",
            "is_customer",
            "is_deleted",
            "support_level",
            "support_level_raw",
            "product_line",
            "domain_raw",
            "tam_email",
        )
    }
    agent_emails = set(
        User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True).values_list(
            "email", flat=True
        )
    )
    manager_ids = {o["account_manager_id"] for o in orgs if o["account_manager_id"]}
    managers = {
        row["id"]: row
        for row in User.objects.filter(pk__in=manager_ids).values(
            "id", "email", "role", "is_active"
        )
    }
    manager_problem = {}
    for org in orgs:
        manager = managers.get(org["account_manager_id"])
        if manager and (manager["role"] == Role.END_USER or not manager["is_active"]):
            manager_problem[org["id"]] = (
                f"The account manager {manager['email']} is no longer an active agent."
            )
    return Data(orgs, accounts, agent_emails, manager_problem)


def evaluate(data: Data | None = None) -> dict[str, list[Found]]:
    data = data or load()
    return {check.id: check.query(data) for check in CHECKS}


def run_checks(*, trigger: str) -> IntegrityRun:
    """Run every check, replace the findings, record the counts, send a digest if they moved."""
    started = timezone.now()
    clock = time.monotonic()
    results = evaluate()
    with transaction.atomic():
        previous = IntegrityRun.objects.order_by("-started_at", "-pk").first()
        IntegrityFinding.objects.all().delete()
        IntegrityFinding.objects.bulk_create(
            [
                IntegrityFinding(
                    check_id=check.id,
                    severity=check.severity,
                    organization_id=f.organization_id,
                    crm_account_id=f.crm_account_id,
                    subject=f.subject[:300],
                    detail=f.detail,
                    fix=f.fix,
                    found_at=started,
                )
                for check in CHECKS
                for f in results[check.id]
            ],
            batch_size=2000,
        )
        run = IntegrityRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            trigger=trigger[:60],
            counts={check.id: len(results[check.id]) for check in CHECKS},
            duration_ms=int((time.monotonic() - clock) * 1000),
        )
        if previous is None or previous.counts != run.counts:
            send_digest(run, previous)
    return run


def send_digest(run: IntegrityRun, previous: IntegrityRun | None) -> None:
    """The counts moved: tell the configured email address and chat endpoint (outbox)."""
    from switchboard.notify.models import Endpoint
    from switchboard.notify.outbox.queue import queue_email, queue_endpoint

    address = getattr(settings, "SWITCHBOARD_CRM_DIGEST_EMAIL", "")
    endpoint_name = getattr(settings, "SWITCHBOARD_CRM_DIGEST_ENDPOINT", "")
    if not address and not endpoint_name:
        return
    before = previous.counts if previous else {}
    lines = []
    for check in CHECKS:
        now_count, old = run.counts.get(check.id, 0), before.get(check.id, 0)
        if now_count != old or now_count:
            arrow = f"{old} → {now_count}" if now_count != old else f"{now_count}"
            lines.append(f"- {check.title}: {arrow}")
    url = f"{settings.SWITCHBOARD_BASE_URL}/crm/integrity/"
    text = "CRM integrity findings changed:\n" + "\n".join(lines) + f"\n\nDetails: {url}\n"
    key = f"crm.integrity:{run.pk}"
    if address:
        queue_email(
            to=address,
            subject="CRM integrity: findings changed",
            text=text,
            event="crm.integrity",
            idempotency_key=f"{key}:email",
            source="crm:integrity",
        )
    if endpoint_name:
        endpoint = Endpoint.objects.filter(name=endpoint_name).first()
        if endpoint is not None:
            queue_endpoint(
                endpoint=endpoint,
                event="crm.integrity",
                payload={"text": text},
                idempotency_key=f"{key}:chat",
                source="crm:integrity",
            )


def uncertain_entitlement(organization_id: int | None) -> list[IntegrityFinding]:
    """The findings that make this organization's entitlement uncertain (agents only)."""
    if organization_id is None:
        return []
    return list(
        IntegrityFinding.objects.filter(
            organization_id=organization_id, check_id__in=UNCERTAIN_CHECKS
        ).order_by("check_id", "pk")
    )
