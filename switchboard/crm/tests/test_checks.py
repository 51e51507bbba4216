"""The eight integrity checks, each with its expected finding written out; the page, its safe
fixes (admins, CSRF, audited), the digest, and "entitlement uncertain" for agents only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from switchboard.accounts.models import AccountAuditEvent, Organization
from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.crm.checks import evaluate, run_checks
from switchboard.crm.models import CrmAccount, IntegrityFinding, IntegrityRun
from switchboard.notify.models import Delivery
from switchboard.sla.models import TicketClock
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db

ACME = "001Qz0000000001IAA"
GLOBEX = "001Qz0000000002IAA"
INITECH = "001Qz0000000003IAA"


def crm(sf_id: str, name: str, **fields: Any) -> CrmAccount:
    values: dict[str, Any] = {
        "account_type": "Customer",
        "is_customer": True,
        "support_level_raw": "Priority",
        "support_level": "priority",
        "product_line": "self_managed",
        "domain_raw": "",
        "synced_at": timezone.now(),
    }
    values.update(fields)
    return CrmAccount.objects.create(sf_id=sf_id, name=name, **values)


def findings(check: str) -> list[tuple[str, str, str, str]]:
    return [(f.subject, f.crm_account_id, f.detail, f.fix) for f in evaluate()[check]]


def test_missing_org_per_product_line() -> None:
    crm(ACME, "Acme Corp", product_line="saas")
    crm(GLOBEX, "Globex", product_line="self_managed")
    OrganizationFactory(name="Globex Co", crm_account_id=GLOBEX)
    assert findings("missing_org") == [
        (
            "Acme Corp (SaaS)",
            ACME,
            f"Customer account {ACME} (SaaS) has no organization.",
            "create_org",
        )
    ]


def test_missing_org_offers_attach_when_an_unlinked_org_has_the_exact_name() -> None:
    crm(ACME, "Acme Corp")
    org = OrganizationFactory(name="Acme Corp")
    [found] = evaluate()["missing_org"]
    assert (found.subject, found.organization_id, found.fix) == (
        "Acme Corp (self-managed)",
        org.pk,
        "attach_crm_id",
    )


def test_no_support_level() -> None:
    OrganizationFactory(name="Hand Made", support_level="none")
    OrganizationFactory(name="Staff", support_level="none", is_internal=True)
    crm(ACME, "Acme Corp", support_level_raw="Gold", support_level="")
    OrganizationFactory(name="Acme Corp", support_level="none", crm_account_id=ACME)
    crm(GLOBEX, "Globex", support_level_raw="None", support_level="none")
    OrganizationFactory(name="Globex", support_level="none", crm_account_id=GLOBEX)
    assert findings("no_support_level") == [
        ("Hand Made", "", "No support level, and no CRM account to take one from.", ""),
        ("Acme Corp", ACME, "The CRM's support level 'Gold' is unknown to the mapping.", ""),
    ]


def test_duplicate_crm_accounts() -> None:
    crm(ACME, "Acme Corp")
    crm(GLOBEX, "ACME CORP")
    crm(INITECH, "Acme Corp", is_deleted=True)
    assert findings("duplicate_crm_accounts") == [
        ("Acme Corp", ACME, f"Customer account {ACME} has the same name as {GLOBEX}.", ""),
        ("ACME CORP", GLOBEX, f"Customer account {GLOBEX} has the same name as {ACME}.", ""),
    ]


def test_support_level_mismatch() -> None:
    crm(ACME, "Acme Corp", support_level_raw="Priority", support_level="priority")
    OrganizationFactory(name="Acme Corp", support_level="standard", crm_account_id=ACME)
    assert findings("support_level_mismatch") == [
        (
            "Acme Corp",
            ACME,
            "Support level here: standard; in the CRM: priority ('Priority').",
            "take_support_level",
        )
    ]


def test_no_crm_id() -> None:
    crm(ACME, "Acme Corp")
    OrganizationFactory(name="Acme Corp")
    OrganizationFactory(name="Lonely")
    crm(GLOBEX, "Globex", is_deleted=True)
    OrganizationFactory(name="Globex", crm_account_id=GLOBEX)
    OrganizationFactory(name="Staff", is_internal=True)
    assert findings("no_crm_id") == [
        (
            "Acme Corp",
            ACME,
            f"No CRM id; customer account {ACME} has exactly this name.",
            "attach_crm_id",
        ),
        ("Lonely", "", "No CRM id.", ""),
        ("Globex", GLOBEX, f"Linked to {GLOBEX}, which was deleted in the CRM.", ""),
    ]


def test_name_mismatch() -> None:
    crm(ACME, "Acme Corporation")
    OrganizationFactory(name="Acme", crm_account_id=ACME)
    assert findings("name_mismatch") == [
        ("Acme", ACME, f"The CRM calls {ACME} 'Acme Corporation'.", "take_name"),
    ]


def test_malformed_domain() -> None:
    crm(ACME, "Acme Corp", domain_raw="https://acme.example/")
    crm(GLOBEX, "Globex", domain_raw="globex.example, globex.test")
    assert findings("malformed_domain") == [
        (
            "Acme Corp",
            ACME,
            "Domain 'https://acme.example/': \"https://acme.example/\" is a URL; enter the bare "
            'domain, e.g. "example.com".',
            "",
        )
    ]


def test_tam_not_agent() -> None:
    AgentFactory(email="tam@switchboard.test")
    former = AgentFactory(email="former@switchboard.test")
    crm(ACME, "Acme Corp", tam_email="tam@switchboard.test")
    crm(GLOBEX, "Globex", tam_email="customer@globex.example")
    UserFactory(email="customer@globex.example")
    OrganizationFactory(name="Initech", account_manager=former)
    former.role = "end_user"
    former.save()
    assert findings("tam_not_agent") == [
        (
            "Globex",
            GLOBEX,
            "The CRM's TAM customer@globex.example is not an active agent in Switchboard.",
            "",
        ),
        (
            "Initech",
            "",
            "The account manager former@switchboard.test is no longer an active agent.",
            "",
        ),
    ]


def test_run_records_counts_and_sends_a_digest_only_when_they_change(settings) -> None:
    settings.SWITCHBOARD_CRM_DIGEST_EMAIL = "support-ops@switchboard.test"
    crm(ACME, "Acme Corp")
    first = run_checks(trigger="test")
    assert first.counts["missing_org"] == 1
    assert IntegrityFinding.objects.get().check_id == "missing_org"
    digest = Delivery.objects.get(event="crm.integrity")
    assert digest.recipient == "support-ops@switchboard.test"
    assert "Customer accounts with no organization: 0 → 1" in digest.payload["text"]

    run_checks(trigger="test")
    assert Delivery.objects.filter(event="crm.integrity").count() == 1  # same counts: quiet
    OrganizationFactory(name="Acme Corp", crm_account_id=ACME)
    run_checks(trigger="test")
    assert Delivery.objects.filter(event="crm.integrity").count() == 2
    assert IntegrityRun.objects.count() == 3


def test_integrity_checks_over_many_orgs_use_a_fixed_number_of_queries(
    django_assert_max_num_queries,
) -> None:
    for n in range(30):
        crm(f"001Qz00000001{n:02d}AAA"[:15] + "AAA", f"Co {n}")
        OrganizationFactory(name=f"Co {n}")
    with django_assert_max_num_queries(12):
        run_checks(trigger="test")


# --- the page and its fixes ----------------------------------------------------------------------


@pytest.fixture
def admin_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(AdminFactory())
    return client


def _post(client: Client, url: str) -> Any:
    client.get("/crm/integrity/")
    return client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_page_shows_counts_trend_and_findings(client, django_assert_max_num_queries) -> None:
    client.force_login(AgentFactory())
    crm(ACME, "Acme Corp")
    run_checks(trigger="test")
    OrganizationFactory(name="Acme Corp", crm_account_id=ACME, support_level="standard")
    run_checks(trigger="test")
    with django_assert_max_num_queries(8):
        page = client.get("/crm/integrity/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<td data-check="support_level_mismatch">1</td>' in html
    assert "1 → 0" in html  # missing_org over the two runs
    assert "Support level here: standard; in the CRM: priority" in html
    assert "an admin can fix this" in html  # agents see findings, only admins fix
    assert client.get("/crm/integrity/?check=nope").status_code == 422


def test_end_users_and_strangers_do_not_see_the_page(client) -> None:
    assert client.get("/crm/integrity/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/crm/integrity/")["Location"] == "/portal/"


def test_fix_without_csrf_token_is_refused(admin_client) -> None:
    crm(ACME, "Acme Corp")
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get()
    assert admin_client.post(f"/crm/integrity/fix/{finding.pk}/").status_code == 403
    assert not Organization.objects.exists()


def test_agent_cannot_apply_a_fix() -> None:
    client = Client()
    client.force_login(AgentFactory())
    crm(ACME, "Acme Corp")
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get()
    assert client.post(f"/crm/integrity/fix/{finding.pk}/").status_code == 403
    assert not Organization.objects.exists()


def test_fix_creates_the_missing_organization_audited(admin_client) -> None:
    crm(ACME, "Acme Corp", product_line="saas")
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get(check_id="missing_org")

    response = _post(admin_client, f"/crm/integrity/fix/{finding.pk}/")

    assert response.status_code == 302
    org = Organization.objects.get(crm_account_id=ACME)
    assert (org.name, org.support_level, org.product_line) == ("Acme Corp", "priority", "saas")
    audit = AccountAuditEvent.objects.get(organization=org, field="created")
    assert audit.reason == "CRM integrity fix: Create the organization"
    assert audit.actor.role == "admin"
    assert not IntegrityFinding.objects.filter(pk=finding.pk).exists()


def test_fix_takes_the_crm_support_level_and_reapplies_the_sla(admin_client) -> None:
    crm(ACME, "Acme Corp")
    org = OrganizationFactory(name="Acme Corp", crm_account_id=ACME, support_level="standard")
    requester = UserFactory(organization=org)
    ticket = create_ticket(
        actor=requester, requester=requester, subject="x", description="y", priority="high"
    )
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get(check_id="support_level_mismatch")

    _post(admin_client, f"/crm/integrity/fix/{finding.pk}/")

    org.refresh_from_db()
    assert org.support_level == "priority"
    clock = TicketClock.objects.get(ticket=ticket, metric="first_reply")
    assert clock.target_minutes == 4 * 60
    audit = AccountAuditEvent.objects.filter(organization=org, field="support_level").latest("pk")
    assert (audit.old_value, audit.new_value) == ("standard", "priority")
    assert audit.reason == "CRM integrity fix: Take the CRM's support level"


def test_fix_attaches_the_crm_id_on_a_unique_exact_name_match(admin_client) -> None:
    crm(ACME, "Acme Corp")
    org = OrganizationFactory(name="Acme Corp")
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get(check_id="no_crm_id")

    _post(admin_client, f"/crm/integrity/fix/{finding.pk}/")

    org.refresh_from_db()
    assert org.crm_account_id == ACME
    assert AccountAuditEvent.objects.filter(
        organization=org, field="crm_account_id", new_value=ACME
    ).exists()


def test_fix_refuses_when_the_match_is_no_longer_unique(admin_client) -> None:
    crm(ACME, "Acme Corp")
    OrganizationFactory(name="Acme Corp")
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get(check_id="no_crm_id")
    crm(GLOBEX, "Acme Corp")  # a second account with the name appeared since

    response = _post(admin_client, f"/crm/integrity/fix/{finding.pk}/")

    assert response.status_code == 302
    assert Organization.objects.get().crm_account_id is None
    page = admin_client.get(response["Location"]).content.decode()
    assert "2 customer accounts are named &#x27;Acme Corp&#x27;: not a unique match." in page


def test_fix_takes_the_crm_name(admin_client) -> None:
    crm(ACME, "Acme Corporation")
    org = OrganizationFactory(name="Acme", crm_account_id=ACME)
    run_checks(trigger="test")
    finding = IntegrityFinding.objects.get(check_id="name_mismatch")

    _post(admin_client, f"/crm/integrity/fix/{finding.pk}/")

    org.refresh_from_db()
    assert org.name == "Acme Corporation"
    audit = AccountAuditEvent.objects.get(organization=org, field="name")
    assert (audit.old_value, audit.new_value) == ("Acme", "Acme Corporation")


def test_agents_see_entitlement_uncertain_customers_never_do(client) -> None:
    crm(ACME, "Acme Corp", support_level="priority")
    org = OrganizationFactory(name="Acme Corp", crm_account_id=ACME, support_level="standard")
    requester = UserFactory(organization=org, email="c@acme.example")
    ticket = create_ticket(actor=requester, requester=requester, subject="x", description="y")
    run_checks(trigger="test")

    client.force_login(AgentFactory())
    agent_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Entitlement uncertain" in agent_page
    assert "Support level here: standard; in the CRM: priority" in agent_page

    client.force_login(requester)
    portal = client.get(f"/portal/tickets/{ticket.pk}/")
    assert portal.status_code == 200
    assert "Entitlement uncertain" not in portal.content.decode()
    assert "in the CRM" not in portal.content.decode()
