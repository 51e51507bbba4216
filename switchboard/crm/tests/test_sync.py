"""Salesforce accounts become organizations, contacts become entitled end users — by CRM id,
incrementally, audited, and without losing or doubling anything when Salesforce misbehaves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from switchboard.accounts.models import AccountAuditEvent, Organization, Role, User
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.crm.connector import RateLimited
from switchboard.crm.models import CrmAccount, RunStatus, SyncRun, SyncState
from switchboard.crm.runner import SyncBusy, run_sync, take_lease
from switchboard.crm.tests.conftest import account, contact
from switchboard.crm.tests.fake_salesforce import FakeSalesforce
from switchboard.sla.models import TicketClock
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db


def test_full_sync_creates_customer_organizations_with_every_mapped_field(
    salesforce: FakeSalesforce,
) -> None:
    tam = AgentFactory(email="tam@switchboard.test")
    acme = salesforce.add(
        "Account", **account(Technical_Account_Manager_Email__c="TAM@switchboard.test")
    )
    salesforce.add(
        "Account", **account(Name="Prospect Inc", Type="Prospect", Domain__c="p.example")
    )
    salesforce.add("Contact", **contact(acme, "Pat.Buyer@acme.example", Is_Sold_To__c=True))
    salesforce.add("Contact", **contact(acme, "dev@acme.example", FirstName="Dana", LastName="Dev"))

    result = run_sync(full=True)

    assert result.full and result.run.status == RunStatus.SUCCEEDED
    org = Organization.objects.get()
    assert org.crm_account_id == acme and len(acme) == 18
    assert (org.name, org.account_type, org.crm_account_owner) == (
        "Acme Corp",
        "Customer",
        "Olivia Owner",
    )
    assert (org.arr, org.seats) == (Decimal("120000.00"), 250)
    assert (org.market_segment, org.sales_segmentation) == ("Mid-Market", "Commercial")
    assert (org.support_level, org.product_line) == ("priority", "self_managed")
    assert org.account_manager == tam
    assert org.domain_names == ["acme.example"]
    assert org.collaboration_project_url == "https://gitlab.example/acme/collab"
    buyer = User.objects.get(email="pat.buyer@acme.example")
    dev = User.objects.get(email="dev@acme.example")
    assert (buyer.organization, buyer.is_sold_to_contact, buyer.role) == (org, True, Role.END_USER)
    assert (dev.organization, dev.is_sold_to_contact, dev.name) == (org, False, "Dana Dev")
    assert not buyer.has_usable_password()
    # The prospect is mirrored (for the checks) but is not an organization.
    assert CrmAccount.objects.get(name="Prospect Inc").is_customer is False
    audit = AccountAuditEvent.objects.get(organization=org, field="created")
    assert audit.new_value.startswith("Acme Corp (account_type=Customer; crm_account_owner=Olivia")
    assert "support_level=priority" in audit.new_value
    assert audit.reason == "CRM: salesforce full sync"
    # Each new contact: one row for the organization it joins (and one for the sold-to flag),
    # user by user, in creation order (PostgreSQL writes these server-side; same rows).
    user_audits = AccountAuditEvent.objects.filter(user__isnull=False).order_by("pk")
    assert [
        (a.user, a.organization, a.field, a.old_value, a.new_value, a.reason, a.actor)
        for a in user_audits
    ] == [
        (buyer, org, "organization_id", "", str(org.pk), "CRM: salesforce full sync", None),
        (buyer, org, "is_sold_to_contact", "False", "True", "CRM: salesforce full sync", None),
        (dev, org, "organization_id", "", str(org.pk), "CRM: salesforce full sync", None),
    ]
    assert buyer.password != dev.password and len(buyer.password) == len(dev.password) == 41


def test_rerun_changes_nothing_and_doubles_nothing(salesforce: FakeSalesforce) -> None:
    acme = salesforce.add("Account", **account())
    salesforce.add("Contact", **contact(acme, "a@acme.example"))
    run_sync(full=True)
    audits = AccountAuditEvent.objects.count()

    second = run_sync(full=True)

    assert Organization.objects.count() == 1 and User.objects.count() == 1
    assert AccountAuditEvent.objects.count() == audits
    assert second.plan.counts["organization_unchanged"] == 1
    assert second.plan.counts["user_unchanged"] == 1


def test_incremental_sync_takes_changes_since_the_watermark(salesforce: FakeSalesforce) -> None:
    acme = salesforce.add("Account", **account())
    run_sync(full=True)
    salesforce.update("Account", acme, ARR__c=150000.5, Number_of_Seats__c=300)
    newco = salesforce.add("Account", **account(Name="NewCo", Domain__c="newco.example"))
    salesforce.add("Contact", **contact(newco, "first@newco.example"))

    result = run_sync()

    assert not result.full
    org = Organization.objects.get(crm_account_id=acme)
    assert (org.arr, org.seats) == (Decimal("150000.50"), 300)
    newco_org = Organization.objects.get(crm_account_id=newco)
    assert User.objects.get(email="first@newco.example").organization == newco_org
    arr = AccountAuditEvent.objects.filter(organization=org, field="arr").latest("pk")
    assert (arr.old_value, arr.new_value) == ("120000.00", "150000.50")
    assert arr.reason == "CRM: salesforce incremental sync"
    # The query the incremental sync sent: SystemModstamp watermark, ordered for resuming.
    assert SyncState.objects.get().account_watermark is not None


def test_accounts_are_keyed_by_id_never_matched_by_name(salesforce: FakeSalesforce) -> None:
    """A renamed account keeps its organization; a new account named like an unlinked
    organization is flagged, not merged into it."""
    acme = salesforce.add("Account", **account())
    run_sync(full=True)
    OrganizationFactory(name="Globex")  # made by hand, no CRM id
    salesforce.update("Account", acme, Name="Acme Corporation")
    globex = salesforce.add("Account", **account(Name="Globex", Domain__c="globex.example"))

    result = run_sync()

    assert Organization.objects.get(crm_account_id=acme).name == "Acme Corporation"
    assert Organization.objects.get(name="Globex").crm_account_id is None
    assert not Organization.objects.filter(crm_account_id=globex).exists()
    flags = [c for c in result.plan.changes if c.action == "flag" and c.crm_id == globex]
    assert "name is taken by organization" in flags[0].message


def test_unknown_or_missing_support_level_is_flagged_never_defaulted(
    salesforce: FakeSalesforce,
) -> None:
    gold = salesforce.add(
        "Account", **account(Name="Gold Co", Support_Level__c="Gold", Domain__c="g.example")
    )
    blank = salesforce.add(
        "Account", **account(Name="Blank Co", Support_Level__c=None, Domain__c="b.example")
    )
    run_sync(full=True)
    assert Organization.objects.get(crm_account_id=gold).support_level == "none"
    assert CrmAccount.objects.get(sf_id=gold).flags == [
        "support level unknown: Support_Level__c = 'Gold'"
    ]
    assert CrmAccount.objects.get(sf_id=blank).flags == [
        "support level missing (Support_Level__c is empty)"
    ]
    # A known level later stays when the CRM value turns unknown: never silently dropped.
    salesforce.update("Account", gold, Support_Level__c="Priority")
    run_sync()
    salesforce.update("Account", gold, Support_Level__c="Platinum")
    run_sync()
    assert Organization.objects.get(crm_account_id=gold).support_level == "priority"


def test_invalid_domain_tam_and_url_are_flagged_and_not_written(salesforce: FakeSalesforce) -> None:
    sf_id = salesforce.add(
        "Account",
        **account(
            Domain__c="https://acme.example/",
            Technical_Account_Manager_Email__c="nobody@switchboard.test",
            Collaboration_Project_URL__c="javascript:alert(1)",
        ),
    )
    run_sync(full=True)
    org = Organization.objects.get(crm_account_id=sf_id)
    assert org.domain_names == [] and org.account_manager is None
    assert org.collaboration_project_url == ""
    flags = CrmAccount.objects.get(sf_id=sf_id).flags
    assert any(f.startswith("domain invalid:") for f in flags)
    assert "TAM nobody@switchboard.test is not an agent" in flags
    assert any("not an http(s) URL" in f for f in flags)


def test_support_level_change_reapplies_sla_to_open_tickets_at_once(
    salesforce: FakeSalesforce,
) -> None:
    sf_id = salesforce.add("Account", **account(Support_Level__c="Standard"))
    run_sync(full=True)
    org = Organization.objects.get()
    requester = UserFactory(organization=org, email="r@acme.example")
    ticket = create_ticket(
        actor=requester, requester=requester, subject="Down", description="help", priority="high"
    )
    clock = TicketClock.objects.get(ticket=ticket, metric="first_reply")
    assert clock.target_minutes == 24 * 60

    salesforce.update("Account", sf_id, Support_Level__c="Priority")
    run_sync()

    clock.refresh_from_db()
    assert clock.policy.title == "Priority support"
    assert clock.target_minutes == 4 * 60
    ticket.refresh_from_db()
    assert ticket.sla_due_at == clock.due_at


@pytest.mark.django_db(transaction=True)
def test_new_priority_account_is_a_priority_organization_within_a_minute(
    salesforce: FakeSalesforce, settings
) -> None:
    """The worker's sweep queues the incremental sync every minute; the next ticket gets the
    priority SLA."""
    from django.apps import apps

    from switchboard.core.sweeps import run_all_sweeps
    from switchboard.core.worker import run_pending_jobs
    from switchboard.sla.defaults import install_defaults

    install_defaults(apps)  # the shipped policies (a transactional test's flush removes them)

    salesforce.add("Account", **account(Name="Old", Domain__c="old.example"))
    run_sync(full=True)
    SyncState.objects.update(next_run_at=timezone.now())
    new = salesforce.add("Account", **account(Name="Initech", Domain__c="initech.example"))
    salesforce.add("Contact", **contact(new, "peter@initech.example"))

    run_all_sweeps()
    run_pending_jobs()

    org = Organization.objects.get(crm_account_id=new)
    assert org.support_level == "priority"
    next_run = SyncState.objects.get().next_run_at
    assert timezone.now() < next_run <= timezone.now() + timedelta(seconds=60)
    peter = User.objects.get(email="peter@initech.example")
    ticket = create_ticket(
        actor=peter, requester=peter, subject="Q", description="?", priority="high"
    )
    clock = TicketClock.objects.get(ticket=ticket, metric="first_reply")
    assert (clock.policy.title, clock.target_minutes) == ("Priority support", 4 * 60)


def test_expired_session_mid_sync_reauthenticates_and_completes(salesforce: FakeSalesforce) -> None:
    salesforce.add_many(
        "Account", (account(Name=f"Co {n:04d}", Domain__c=f"co{n}.example") for n in range(4100))
    )
    run_sync(full=True)
    for record_id in list(salesforce.records["Account"])[:4100]:
        salesforce.update("Account", record_id, Market_Segment__c="Large")
    salesforce.expire_sessions(after_requests=1)  # dies on the second page

    result = run_sync()

    assert result.run.status == RunStatus.SUCCEEDED
    assert salesforce.token_requests == 3
    assert Organization.objects.filter(market_segment="Large").count() == 4100


def test_rate_limit_stops_and_the_next_run_resumes_from_the_watermark(
    salesforce: FakeSalesforce,
) -> None:
    salesforce.add("Account", **account(Name="Seed", Domain__c="seed.example"))
    run_sync(full=True)
    ids = salesforce.add_many(
        "Account", (account(Name=f"Co {n:04d}", Domain__c=f"co{n}.example") for n in range(4500))
    )
    salesforce.rate_limit(after_requests=1)  # first page served, then refused

    with pytest.raises(RateLimited):
        run_sync()

    failed = SyncRun.objects.order_by("-pk").first()
    assert failed.status == RunStatus.RATE_LIMITED
    # The first page (2,000 records) was committed: the seed account again (inside the overlap)
    # and 1,999 new ones.
    assert Organization.objects.filter(crm_account_id__in=ids).count() == 1999
    watermark = SyncState.objects.get().account_watermark
    assert watermark is not None
    assert SyncState.objects.get().lease_owner == ""  # released for the next run

    result = run_sync()

    assert result.run.status == RunStatus.SUCCEEDED
    assert Organization.objects.filter(crm_account_id__in=ids).count() == 4500
    assert Organization.objects.count() == 4501


def test_crash_mid_sync_next_run_completes_with_nothing_doubled(
    salesforce: FakeSalesforce, monkeypatch
) -> None:
    salesforce.add("Account", **account(Name="Seed", Domain__c="seed.example"))
    run_sync(full=True)
    ids = salesforce.add_many(
        "Account", (account(Name=f"Co {n:04d}", Domain__c=f"co{n}.example") for n in range(3000))
    )
    for n, sf_id in enumerate(ids):
        salesforce.add("Contact", **contact(sf_id, f"c{n}@co{n}.example"))
    from switchboard.crm import sync

    original = sync.Engine.contacts
    calls = {"n": 0}

    def crash_once(self, records):  # the process dies while handling contacts
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt("worker killed")
        return original(self, records)

    monkeypatch.setattr(sync.Engine, "contacts", crash_once)
    with pytest.raises(KeyboardInterrupt):
        run_sync(owner="worker-1")
    # The dead worker's lease runs out; the next run takes it.
    SyncState.objects.update(lease_until=timezone.now() - timedelta(seconds=1))

    run_sync(owner="worker-2")

    assert Organization.objects.count() == 3001
    assert User.objects.filter(organization__crm_account_id__in=ids).count() == 3000
    assert AccountAuditEvent.objects.filter(field="created").count() == 3001


def test_only_one_sync_runs_at_a_time(salesforce: FakeSalesforce) -> None:
    assert take_lease("another-worker")
    with pytest.raises(SyncBusy):
        run_sync(full=True)


def test_deleted_account_keeps_its_organization_and_is_marked(salesforce: FakeSalesforce) -> None:
    sf_id = salesforce.add("Account", **account())
    run_sync(full=True)
    salesforce.delete("Account", sf_id)
    result = run_sync()
    assert Organization.objects.filter(crm_account_id=sf_id).exists()
    assert CrmAccount.objects.get(sf_id=sf_id).is_deleted
    assert any("deleted" in c.message for c in result.plan.changes if c.action == "flag")


def test_dry_run_shows_the_diff_and_writes_nothing(salesforce: FakeSalesforce, capsys) -> None:
    sf_id = salesforce.add("Account", **account())
    run_sync(full=True)
    salesforce.update("Account", sf_id, Support_Level__c="Standard", Name="Acme Two")
    salesforce.add(
        "Account", **account(Name="Fresh", Domain__c="fresh.example", Support_Level__c="Gold")
    )
    runs = SyncRun.objects.count()

    call_command("crm_sync", "--dry-run")

    out = capsys.readouterr().out
    assert "update organization Acme Corp" in out
    assert "support_level: priority → standard" in out
    assert "name: Acme Corp → Acme Two" in out
    assert "create organization Fresh" in out
    assert "flag organization Fresh [" in out
    assert "]: support level unknown: Support_Level__c = 'Gold'" in out
    assert "Dry run: nothing was written." in out
    assert Organization.objects.get(crm_account_id=sf_id).name == "Acme Corp"
    assert not Organization.objects.filter(name="Fresh").exists()
    assert SyncRun.objects.count() == runs


def test_contacts_never_move_agents_and_follow_their_account(salesforce: FakeSalesforce) -> None:
    AgentFactory(email="agent@acme.example")
    acme = salesforce.add("Account", **account())
    other = salesforce.add("Account", **account(Name="Other", Domain__c="other.example"))
    salesforce.add("Contact", **contact(acme, "agent@acme.example"))
    person = salesforce.add("Contact", **contact(acme, "person@acme.example"))
    run_sync(full=True)
    assert User.objects.get(email="agent@acme.example").organization is None
    salesforce.update("Contact", person, AccountId=other, Is_Sold_To__c=True)

    run_sync()

    moved = User.objects.get(email="person@acme.example")
    assert moved.organization.crm_account_id == other and moved.is_sold_to_contact
    change = AccountAuditEvent.objects.filter(user=moved, field="organization_id").latest("pk")
    assert change.reason == "CRM: salesforce incremental sync"


def test_the_command_says_what_is_missing_from_the_configuration(settings) -> None:
    settings.SALESFORCE_URL = ""
    with pytest.raises(CommandError, match="SALESFORCE_URL is not set"):
        call_command("crm_sync")
    settings.SALESFORCE_URL = "http://acme.my.salesforce.com"
    settings.SALESFORCE_CLIENT_ID = settings.SALESFORCE_CLIENT_SECRET = "x"
    with pytest.raises(CommandError, match="must be the instance's https URL"):
        call_command("crm_sync")
    assert not SyncState.objects.filter(lease_owner__gt="").exists()


def test_wrong_client_secret_fails_the_run_and_releases_the_lease(
    salesforce: FakeSalesforce, settings
) -> None:
    settings.SALESFORCE_CLIENT_SECRET = "wrong"
    with pytest.raises(CommandError, match="refused the client credentials: invalid client"):
        call_command("crm_sync", "--full")
    run = SyncRun.objects.get()
    assert run.status == RunStatus.FAILED and "invalid client credentials" in run.error
    assert SyncState.objects.get().lease_owner == ""
