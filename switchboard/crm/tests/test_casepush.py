"""Case push: created and solved tickets upsert one case in Salesforce through the outbox —
public text only, retried, idempotent, in the delivery log — and the TAM's email links it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.core.worker import run_pending_jobs
from switchboard.crm.models import CaseLink, CrmContact
from switchboard.crm.tests.fake_salesforce import FakeSalesforce
from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket

pytestmark = pytest.mark.django_db(transaction=True)

ACME = "001Qz0000000001IAA"


@pytest.fixture
def customer(db):
    org = OrganizationFactory(name="Acme Corp", crm_account_id=ACME, support_level="priority")
    user = UserFactory(email="carol@acme.example", name="Carol", organization=org)
    CrmContact.objects.create(
        sf_id="003Qz0000000009IAA", account_id=ACME, email=user.email, synced_at=timezone.now()
    )
    return user


def run_deliveries() -> None:
    """Run the queued jobs, including retries whose backoff is due (moved to now)."""
    from django_tasks_db.models import DBTaskResult

    for _ in range(5):
        DBTaskResult.objects.filter(status="READY").update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
        if not run_pending_jobs():
            return


def test_created_and_solved_upsert_one_case_with_public_text_only(
    salesforce: FakeSalesforce, customer, settings
) -> None:
    agent = AgentFactory(name="Alex Agent")
    ticket = create_ticket(
        actor=customer,
        requester=customer,
        subject="Runners stuck",
        description="Since 9:00.",
        priority="high",
    )
    run_deliveries()

    [case] = salesforce.records["Case"].values()
    assert case["Switchboard_Ticket_Id__c"] == str(ticket.pk)
    assert (case["Subject"], case["Status"], case["Priority"]) == ("Runners stuck", "New", "High")
    assert (case["AccountId"], case["ContactId"]) == (ACME, "003Qz0000000009IAA")
    assert (
        case["Switchboard_Ticket_URL__c"] == f"{settings.SWITCHBOARD_BASE_URL}/tickets/{ticket.pk}/"
    )
    assert "Since 9:00." in case["Description"]
    link = CaseLink.objects.get(ticket=ticket)
    assert link.case_id == case["Id"]

    add_comment(
        ticket=ticket, author=agent, body="INTERNAL: customer is on a legacy plan", public=False
    )
    add_comment(ticket=ticket, author=agent, body="Fixed by restarting the runner.", public=True)
    update_ticket(ticket=ticket, actor=agent, status="solved")
    run_deliveries()

    assert len(salesforce.records["Case"]) == 1  # the same case, updated
    case = salesforce.get("Case", link.case_id)
    assert case["Status"] == "Closed"
    assert "Fixed by restarting the runner." in case["Description"]
    assert "INTERNAL" not in case["Description"]
    log = list(Delivery.objects.filter(channel="crm").order_by("pk"))
    assert [(d.event, d.status, d.recipient) for d in log] == [
        ("crm.case.created", DeliveryStatus.DELIVERED, "salesforce: Case"),
        ("crm.case.solved", DeliveryStatus.DELIVERED, "salesforce: Case"),
    ]
    assert [a.response_status for a in log[0].attempt_log.all()] == [201]
    assert [a.response_status for a in log[1].attempt_log.all()] == [200]


def test_rate_limited_push_is_retried_and_lands_once(salesforce: FakeSalesforce, customer) -> None:
    salesforce.rate_limit(after_requests=0, requests=1)
    ticket = create_ticket(actor=customer, requester=customer, subject="Slow", description="d")
    run_deliveries()

    delivery = Delivery.objects.get(channel="crm")
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.ok for a in attempts] == [False, True]
    assert "REQUEST_LIMIT_EXCEEDED" in attempts[0].error
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(salesforce.find("Case", Switchboard_Ticket_Id__c=str(ticket.pk))) == 1


def test_nothing_is_queued_without_a_configured_crm(settings, customer) -> None:
    settings.SALESFORCE_URL = ""
    create_ticket(actor=customer, requester=customer, subject="x", description="y")
    assert not Delivery.objects.filter(channel="crm").exists()


def test_case_object_and_external_id_field_come_from_the_mapping(
    salesforce: FakeSalesforce, customer
) -> None:
    from switchboard.accounts.tests.factories import AdminFactory
    from switchboard.crm.actions import update_mapping
    from switchboard.crm.models import default_mapping

    mapping = default_mapping()
    mapping["case"] = {"object": "Case", "external_id_field": "Helpdesk_Id__c"}
    update_mapping(actor=AdminFactory(), mapping=mapping)
    ticket = create_ticket(actor=customer, requester=customer, subject="x", description="y")
    run_deliveries()
    assert salesforce.find("Case", Helpdesk_Id__c=str(ticket.pk))


def test_tam_email_links_the_case_record(salesforce: FakeSalesforce, customer, client) -> None:
    from switchboard.notify.rules import shipped

    shipped.seed()  # the shipped triggers (a transactional test's flush removed them)
    tam = AgentFactory(email="tam@switchboard.test", name="Tam")
    org = customer.organization
    org.account_manager = tam
    org.save()
    ticket = create_ticket(actor=customer, requester=customer, subject="Help", description="d")
    run_deliveries()

    tam_mail = [m for m in mail.outbox if m.to == ["tam@switchboard.test"]]
    assert tam_mail, [m.to for m in mail.outbox]
    assert (
        "CRM case: http" in tam_mail[0].body
        and f"/crm/tickets/{ticket.pk}/case/" in tam_mail[0].body
    )
    requester_mail = [m for m in mail.outbox if m.to == ["carol@acme.example"]]
    assert all("/crm/" not in m.body for m in requester_mail)

    client.force_login(tam)
    response = client.get(f"/crm/tickets/{ticket.pk}/case/")
    link = CaseLink.objects.get(ticket=ticket)
    assert response.status_code == 302
    assert response["Location"] == f"{salesforce.url}/lightning/r/Case/{link.case_id}/view"
    client.force_login(customer)
    assert client.get(f"/crm/tickets/{ticket.pk}/case/")["Location"] == "/portal/"
