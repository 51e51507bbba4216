"""Accounts → organizations and contacts → end users: plan the diff, then write it in bulk.

One engine serves the Salesforce sync (full and incremental) and the file import: records come
in pages; each page is mapped (``mapping.py``), compared with the database in a few queries, and
written in one transaction with bulk statements (no per-row saves). A dry run stops after the
comparison and returns the plan. Organizations are found by their CRM id only — never by name:
a customer account whose name belongs to an unlinked organization is flagged, not merged (the
integrity page offers the explicit "attach by exact name" fix).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from switchboard.accounts.models import (
    AccountAuditEvent,
    Organization,
    OrganizationDomain,
    Role,
    User,
)
from switchboard.crm import bulkdb
from switchboard.crm import mapping as mapping_rules
from switchboard.crm.models import CrmAccount, CrmContact, CrmSettings
from switchboard.tickets.models import Ticket, TicketStatus

logger = logging.getLogger("switchboard.crm")

BATCH = 2000
KEPT_CHANGES = 5000  # changes kept for the diff report (all are counted)
# Organization columns a mapping may write (domain_names and account_manager are handled apart).
SCALAR_TARGETS = [t for t in mapping_rules.TARGETS if t not in ("domain_names", "account_manager")]
OPEN_STATUSES = [
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.HOLD,
]


def current_mapping() -> dict[str, Any]:
    settings_row, _ = CrmSettings.objects.get_or_create(pk=1)
    return mapping_rules.validate(settings_row.mapping)


def parse_modstamp(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed, timezone.UTC)


@dataclass
class Change:
    """One line of the diff: create / update / flag, with the fields it touches."""

    action: str  # "create", "update", "flag", "skip"
    kind: str  # "organization" or "user"
    subject: str
    crm_id: str = ""
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    message: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, change: Change) -> None:
        self.counts[f"{change.kind}_{change.action}"] += 1
        # Keep the diff readable on huge runs: every change is counted, the first 5,000 kept.
        if len(self.changes) < KEPT_CHANGES:
            self.changes.append(change)

    @property
    def keeps_more(self) -> bool:
        """Whether another change would be kept (hot loops build a Change only then)."""
        return len(self.changes) < KEPT_CHANGES

    def count(self, action: str, kind: str) -> None:
        self.counts[f"{kind}_{action}"] += 1

    def merge(self, other: Plan) -> None:
        for change in other.changes:
            if len(self.changes) < KEPT_CHANGES:
                self.changes.append(change)
        for key, value in other.counts.items():
            self.counts[key] += value


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


class Engine:
    """Applies pages of CRM records; `dry_run` only plans."""

    def __init__(
        self,
        *,
        mapping: dict[str, Any],
        source: str,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.dry_run = dry_run
        self.now = now or timezone.now()
        self.plan = Plan()
        self.created_account_ids: list[str] = []
        self.support_level_changed: set[int] = set()
        self.max_account_stamp: datetime | None = None
        self.max_contact_stamp: datetime | None = None
        # Seconds spent per phase (fetch_* is filled by the runner): logged, shown by the bench.
        self.timings: dict[str, float] = defaultdict(float)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        clock = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += time.perf_counter() - clock

    @property
    def reason(self) -> str:
        return f"CRM: {self.source}"[:255]

    # --- accounts ------------------------------------------------------------------------------

    def accounts(self, records: list[dict[str, Any]]) -> Plan:
        """Map, compare and (unless dry run) write one page of account records."""
        with self.phase("plan_accounts"):
            plan, mapped, stamps, creates, updates, agents = self._plan_accounts(records)
        if not self.dry_run:
            with self.phase("write_accounts"):
                self._write_accounts(mapped, stamps, creates, updates, agents)
        self.plan.merge(plan)
        return plan

    def _plan_accounts(self, records: list[dict[str, Any]]) -> tuple[Any, ...]:
        plan = Plan()
        mapped: dict[str, mapping_rules.MappedAccount] = {}
        stamps: dict[str, datetime | None] = {}
        for record in records:
            try:
                account = mapping_rules.map_account(record, self.mapping)
            except mapping_rules.InvalidMapping as exc:
                plan.add(Change("skip", "organization", str(record.get("Id")), message=str(exc)))
                continue
            mapped[account.sf_id] = account  # a later duplicate of the same id wins
            stamp = parse_modstamp(record.get("SystemModstamp"))
            stamps[account.sf_id] = stamp
            if stamp and (self.max_account_stamp is None or stamp > self.max_account_stamp):
                self.max_account_stamp = stamp
        customers = [a for a in mapped.values() if a.is_customer]
        existing = {
            row["crm_account_id"]: row
            for row in bulkdb.values_in(
                Organization,
                "crm_account_id",
                (a.sf_id for a in customers),
                ["id", "crm_account_id", "account_manager_id", *SCALAR_TARGETS],
            )
        }
        org_domains: dict[int, list[str]] = defaultdict(list)
        for row in bulkdb.values_in(
            OrganizationDomain,
            "organization_id",
            (row["id"] for row in existing.values()),
            ["organization_id", "domain"],
        ):
            org_domains[row["organization_id"]].append(row["domain"])
        agents = {
            row["email"]: row["id"]
            for row in bulkdb.values_in(
                User,
                "email",
                (a.tam_email for a in customers if a.tam_email),
                ["email", "id", "role", "is_active"],
            )
            if row["role"] in (Role.AGENT, Role.ADMIN) and row["is_active"]
        }
        manager_emails = {
            row["id"]: row["email"]
            for row in bulkdb.values_in(
                User,
                "id",
                (r["account_manager_id"] for r in existing.values() if r["account_manager_id"]),
                ["id", "email"],
            )
        }
        name_owner = {
            row["name"].lower(): row
            for row in bulkdb.values_in_lower(
                Organization,
                "name",
                (a.values["name"].lower() for a in customers if a.values.get("name")),
                ["id", "name", "crm_account_id"],
            )
        }
        domain_owner = {
            row["domain"]: row["organization_id"]
            for row in bulkdb.values_in(
                OrganizationDomain,
                "domain",
                (d for a in customers for d in a.values.get("domain_names", [])),
                ["domain", "organization_id"],
            )
        }

        creates: list[tuple[mapping_rules.MappedAccount, dict[str, Any], list[str]]] = []
        updates: list[tuple[int, dict[str, tuple[Any, Any]], mapping_rules.MappedAccount]] = []
        names_taken_in_page: set[str] = set()
        domains_taken_in_page: set[str] = set()
        for account in customers:
            flags = account.flags
            agent_id = None
            if account.tam_email:
                agent_id = agents.get(account.tam_email)
                if agent_id is None:
                    flags.append(f"TAM {account.tam_email} is not an agent")
            row = existing.get(account.sf_id)
            values = dict(account.values)
            label = row["name"] if row else (values.get("name") or account.sf_id)
            domains = values.pop("domain_names", None)
            if domains is not None:
                owner_id = row["id"] if row else None
                clashing = [
                    d
                    for d in domains
                    if (domain_owner.get(d) not in (None, owner_id)) or d in domains_taken_in_page
                ]
                if clashing:
                    flags.append(f"domain {clashing[0]} belongs to another organization")
                    domains = None
                else:
                    domains_taken_in_page.update(domains)
            if row is None:
                name = values.get("name", "")
                lname = name.lower()
                if not name:
                    plan.add(
                        Change(
                            "flag",
                            "organization",
                            account.sf_id,
                            account.sf_id,
                            message="no name: not created",
                        )
                    )
                    continue
                if lname in name_owner or lname in names_taken_in_page:
                    owner = name_owner.get(lname)
                    where = (
                        f"organization #{owner['id']}" if owner else "another account in this sync"
                    )
                    plan.add(
                        Change(
                            "flag",
                            "organization",
                            name,
                            account.sf_id,
                            message=f"not created: the name is taken by {where} "
                            "(never matched by name; see the integrity page)",
                        )
                    )
                    account.flags.append("not created: name taken")
                    continue
                names_taken_in_page.add(lname)
                org_row = {
                    "crm_account_id": account.sf_id,
                    "account_manager_id": agent_id if account.tam_email else None,
                    **values,
                }
                creates.append((account, org_row, domains or []))
                if plan.keeps_more:
                    plan.add(
                        Change(
                            "create",
                            "organization",
                            name,
                            account.sf_id,
                            fields={k: (None, _display(v)) for k, v in account.values.items()},
                        )
                    )
                else:
                    plan.count("create", "organization")
            else:
                changes: dict[str, tuple[Any, Any]] = {}
                for target, value in values.items():
                    if target == "name" and value.lower() != row["name"].lower():
                        owner = name_owner.get(value.lower())
                        if (
                            owner and owner["id"] != row["id"]
                        ) or value.lower() in names_taken_in_page:
                            flags.append(f"name {value!r} is taken by another organization")
                            continue
                        names_taken_in_page.add(value.lower())
                    if row.get(target) != value:
                        changes[target] = (row.get(target), value)
                if (not account.tam_email or agent_id is not None) and row[
                    "account_manager_id"
                ] != agent_id:
                    changes["account_manager"] = (
                        manager_emails.get(row["account_manager_id"], ""),
                        account.tam_email,
                    )
                old_domains = sorted(org_domains.get(row["id"], []))
                if domains is not None and sorted(domains) != old_domains:
                    changes["domain_names"] = (old_domains, sorted(domains))
                if changes:
                    updates.append((row["id"], changes, account))
                    plan.add(
                        Change(
                            "update",
                            "organization",
                            label,
                            account.sf_id,
                            fields={k: (_display(a), _display(b)) for k, (a, b) in changes.items()},
                        )
                    )
                    if "support_level" in changes:
                        self.support_level_changed.add(row["id"])
                else:
                    plan.counts["organization_unchanged"] += 1
            for flag in flags:
                plan.add(Change("flag", "organization", label, account.sf_id, message=flag))
        for account in mapped.values():
            if not account.is_customer:
                plan.counts["account_not_customer"] += 1
        return plan, mapped, stamps, creates, updates, agents

    @transaction.atomic
    def _write_accounts(
        self,
        mapped: dict[str, mapping_rules.MappedAccount],
        stamps: dict[str, datetime | None],
        creates: list[tuple[mapping_rules.MappedAccount, dict[str, Any], list[str]]],
        updates: list[tuple[int, dict[str, tuple[Any, Any]], mapping_rules.MappedAccount]],
        agents: dict[str, int],
    ) -> None:
        bulkdb.fast_commit()
        now = self.now
        mirror = [
            {
                "sf_id": a.sf_id,
                "name": str(a.values.get("name", ""))[:255],
                "account_type": a.account_type[:60],
                "is_customer": a.is_customer,
                "support_level_raw": a.raw_support_level[:100],
                "support_level": a.values.get("support_level", ""),
                "product_line": a.values.get("product_line", ""),
                "domain_raw": a.raw_domain[:500],
                "tam_email": a.tam_email[:254],
                "flags": a.flags,
                "is_deleted": False,
                "system_modstamp": stamps.get(a.sf_id),
                "synced_at": now,
                "source": self.source[:200],
            }
            for a in mapped.values()
        ]
        bulkdb.upsert(
            CrmAccount,
            mirror,
            key="sf_id",
            update=[k for k in mirror[0] if k != "sf_id"] if mirror else [],
            now=now,
        )
        audits: list[dict[str, Any]] = []
        if creates:
            org_ids = bulkdb.insert(Organization, [row for _, row, _ in creates], now=now)
            domain_rows = []
            for (account, row, domains), org_id in zip(creates, org_ids, strict=True):
                self.created_account_ids.append(account.sf_id)
                domain_rows.extend({"organization_id": org_id, "domain": d} for d in domains)
                # One row per new organization with every initial value (the creation is one
                # change; later changes are audited field by field).
                initial = "; ".join(
                    f"{k}={_display(v)}" for k, v in account.values.items() if k != "name"
                )
                audits.append(
                    {
                        "organization_id": org_id,
                        "field": "created",
                        "new_value": f"{row['name']} ({initial})",
                        "reason": self.reason,
                    }
                )
            bulkdb.insert(OrganizationDomain, domain_rows, now=now)
        if updates:
            by_fields: dict[tuple[str, ...], list[Organization]] = defaultdict(list)
            domain_changes: list[tuple[int, list[str], list[str]]] = []
            for org_id, changes, _account in updates:
                org = Organization(pk=org_id, updated_at=now)
                columns = []
                for target, (old, new) in changes.items():
                    audits.append(
                        {
                            "organization_id": org_id,
                            "field": target,
                            "old_value": _display(old),
                            "new_value": _display(new),
                            "reason": self.reason,
                        }
                    )
                    if target == "domain_names":
                        domain_changes.append((org_id, old, new))
                    elif target == "account_manager":
                        org.account_manager_id = agents.get(new) if new else None
                        columns.append("account_manager_id")
                    else:
                        setattr(org, target, new)
                        columns.append(target)
                if columns:
                    by_fields[tuple(sorted(columns))].append(org)
            for columns, orgs in by_fields.items():
                Organization.objects.bulk_update(orgs, [*columns, "updated_at"], batch_size=500)
            for org_id, old, new in domain_changes:
                OrganizationDomain.objects.filter(organization_id=org_id).exclude(
                    domain__in=new
                ).delete()
                OrganizationDomain.objects.bulk_create(
                    [
                        OrganizationDomain(organization_id=org_id, domain=d)
                        for d in new
                        if d not in old
                    ]
                )
        bulkdb.insert(AccountAuditEvent, audits, now=now)
        self._reapply_slas()

    def _reapply_slas(self) -> None:
        """A support-level change takes effect on the organization's open tickets at once."""
        if not self.support_level_changed:
            return
        from switchboard.sla.clocks import reapply_policies

        tickets = Ticket.objects.filter(
            organization_id__in=self.support_level_changed, status__in=OPEN_STATUSES
        ).order_by("pk")
        for ticket in tickets.iterator():
            reapply_policies(ticket, self.now, reason="organization support level (CRM)")
        self.plan.counts["tickets_sla_reapplied"] += tickets.count()
        self.support_level_changed = set()

    def mark_deleted(self, sf_ids: list[str]) -> Plan:
        """Accounts deleted in the CRM: the mirror says so; organizations are kept (and checked)."""
        plan = Plan()
        linked = dict(
            Organization.objects.filter(crm_account_id__in=sf_ids).values_list(
                "crm_account_id", "name"
            )
        )
        for sf_id in sf_ids:
            if sf_id in linked:
                plan.add(
                    Change(
                        "flag",
                        "organization",
                        linked[sf_id],
                        sf_id,
                        message="the CRM account was deleted; the organization is kept",
                    )
                )
        if not self.dry_run:
            CrmAccount.objects.filter(sf_id__in=sf_ids).update(is_deleted=True, synced_at=self.now)
        self.plan.merge(plan)
        return plan

    # --- contacts ------------------------------------------------------------------------------

    def contacts(self, records: list[dict[str, Any]]) -> Plan:
        with self.phase("plan_contacts"):
            plan, new_users, updates, mirror = self._plan_contacts(records)
        if not self.dry_run:
            with self.phase("write_contacts"):
                self._write_contacts(new_users, updates, mirror)
        self.plan.merge(plan)
        return plan

    def _plan_contacts(self, records: list[dict[str, Any]]) -> tuple[Any, ...]:
        plan = Plan()
        contacts: dict[str, mapping_rules.MappedContact] = {}
        for record in records:
            contact = mapping_rules.map_contact(record, self.mapping)
            stamp = parse_modstamp(record.get("SystemModstamp"))
            if stamp and (self.max_contact_stamp is None or stamp > self.max_contact_stamp):
                self.max_contact_stamp = stamp
            if contact.problem:
                plan.add(
                    Change(
                        "skip",
                        "user",
                        contact.email or contact.sf_id,
                        contact.sf_id,
                        message=contact.problem,
                    )
                )
                continue
            contacts[contact.email] = contact
        orgs = bulkdb.values_in(
            Organization,
            "crm_account_id",
            (c.account_id for c in contacts.values()),
            ["crm_account_id", "id", "name"],
        )
        org_for_account = {row["crm_account_id"]: row["id"] for row in orgs}
        org_names = {row["id"]: row["name"] for row in orgs}
        users = {
            row["email"]: row
            for row in bulkdb.values_in(
                User,
                "email",
                contacts,
                ["id", "email", "role", "organization_id", "is_sold_to_contact", "name"],
            )
        }
        new_users: list[tuple[mapping_rules.MappedContact, dict[str, Any]]] = []
        updates: list[tuple[int, dict[str, tuple[Any, Any]], int]] = []
        mirror: list[tuple[mapping_rules.MappedContact, int | None]] = []
        for email, contact in contacts.items():
            org_id = org_for_account.get(contact.account_id)
            if org_id is None:
                plan.counts["user_account_not_synced"] += 1
                continue
            row = users.get(email)
            if row is None:
                user = {
                    "email": email,
                    "name": contact.name,
                    "role": Role.END_USER,
                    "organization_id": org_id,
                    "is_sold_to_contact": contact.sold_to,
                    "password": "",  # set below, one random draw for the page
                }
                new_users.append((contact, user))
                if plan.keeps_more:
                    plan.add(
                        Change(
                            "create",
                            "user",
                            email,
                            contact.sf_id,
                            fields={
                                "organization": ("", org_names.get(org_id, "")),
                                "is_sold_to_contact": ("", str(contact.sold_to)),
                            },
                        )
                    )
                else:
                    plan.count("create", "user")
                continue
            if row["role"] != Role.END_USER:
                plan.add(
                    Change(
                        "flag",
                        "user",
                        email,
                        contact.sf_id,
                        message=f"is a CRM contact but a Switchboard {row['role']}: left alone",
                    )
                )
                continue
            mirror.append((contact, row["id"]))
            changes: dict[str, tuple[Any, Any]] = {}
            if row["organization_id"] != org_id:
                changes["organization_id"] = (row["organization_id"], org_id)
            if row["is_sold_to_contact"] != contact.sold_to:
                changes["is_sold_to_contact"] = (row["is_sold_to_contact"], contact.sold_to)
            if not row["name"] and contact.name:
                changes["name"] = ("", contact.name)
            if changes:
                updates.append((row["id"], changes, org_id))
                shown = dict(changes)
                if "organization_id" in shown:
                    old, new = shown.pop("organization_id")
                    shown["organization"] = (
                        org_names.get(old, str(old or "")),
                        org_names.get(new, ""),
                    )
                plan.add(
                    Change(
                        "update",
                        "user",
                        email,
                        contact.sf_id,
                        fields={k: (_display(a), _display(b)) for k, (a, b) in shown.items()},
                    )
                )
            else:
                plan.counts["user_unchanged"] += 1
        # An unusable password per new user (as set_unusable_password writes it): 40 random hex
        # digits each, from one read of the system's random source for the whole page.
        randomness = secrets.token_hex(20 * len(new_users))
        for index, (_, user) in enumerate(new_users):
            user["password"] = UNUSABLE_PASSWORD_PREFIX + randomness[index * 40 : index * 40 + 40]
        return plan, new_users, updates, mirror

    @transaction.atomic
    def _write_contacts(
        self,
        new_users: list[tuple[mapping_rules.MappedContact, dict[str, Any]]],
        updates: list[tuple[int, dict[str, tuple[Any, Any]], int]],
        mirror: list[tuple[mapping_rules.MappedContact, int | None]],
    ) -> None:
        bulkdb.fast_commit()
        now = self.now
        audits: list[dict[str, Any]] = []
        if new_users:
            with self.phase("write_users"):
                user_ids = bulkdb.insert(User, [u for _, u in new_users], now=now)
            mirror.extend(
                (contact, uid) for (contact, _), uid in zip(new_users, user_ids, strict=True)
            )
            # One audit row per new contact: the entitlement it grants (and one for the sold-to
            # flag). On PostgreSQL they are written by the server from the users just copied.
            with self.phase("write_user_audits"):
                if bulkdb.is_postgresql():
                    bulkdb.audit_new_users(user_ids, reason=self.reason, now=now)
                else:
                    for (contact, user), user_id in zip(new_users, user_ids, strict=True):
                        audits.append(
                            {
                                "user_id": user_id,
                                "organization_id": user["organization_id"],
                                "field": "organization_id",
                                "new_value": str(user["organization_id"]),
                                "reason": self.reason,
                            }
                        )
                        if contact.sold_to:
                            audits.append(
                                {
                                    "user_id": user_id,
                                    "organization_id": user["organization_id"],
                                    "field": "is_sold_to_contact",
                                    "old_value": "False",
                                    "new_value": "True",
                                    "reason": self.reason,
                                }
                            )
        by_fields: dict[tuple[str, ...], list[User]] = defaultdict(list)
        for user_id, changes, org_id in updates:
            user_obj = User(pk=user_id, updated_at=now)
            for name, (old, new) in changes.items():
                setattr(user_obj, name, new)
                audits.append(
                    {
                        "user_id": user_id,
                        "organization_id": org_id,
                        "field": name,
                        "old_value": _display(old),
                        "new_value": _display(new),
                        "reason": self.reason,
                    }
                )
            by_fields[tuple(sorted(changes))].append(user_obj)
        for columns, users in by_fields.items():
            User.objects.bulk_update(users, [*columns, "updated_at"], batch_size=500)
        with self.phase("write_contact_mirror"):
            self._write_contact_mirror(mirror, now)
        with self.phase("write_user_audits"):
            bulkdb.insert(AccountAuditEvent, audits, now=now)

    def _write_contact_mirror(
        self, mirror: list[tuple[mapping_rules.MappedContact, int | None]], now: datetime
    ) -> None:
        bulkdb.upsert(
            CrmContact,
            [
                {
                    "sf_id": c.sf_id,
                    "account_id": c.account_id,
                    "email": c.email,
                    "user_id": user_id,
                    "synced_at": now,
                }
                for c, user_id in mirror
                if c.sf_id
            ],
            key="sf_id",
            update=["account_id", "email", "user_id", "synced_at"],
            now=now,
        )
