"""User and organization pages (/users/<id>/, /organizations/<id>/): what agents see, who may
change what (audited), verify entitlement, links from search and the ticket page, and a fixed
number of queries however many rows there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from switchboard.accounts.models import AccountAuditEvent, OrganizationDomain, User
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.crm.models import CrmAccount, CrmContact, IntegrityFinding
from switchboard.csat.models import SatisfactionRating
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(customer):
    org = customer.organization
    OrganizationDomain.objects.create(organization=org, domain="acme.test")
    return org


def _tickets(requester, n):
    return [
        create_ticket(
            actor=requester, requester=requester, subject=f"Problem {i}", description="It broke."
        )
        for i in range(n)
    ]


# --- the user page -------------------------------------------------------------------------------


def test_user_page_shows_the_person_their_organization_and_tickets(
    agent_client, agent, customer, acme
):
    """Name, email, role, organization (linked), time zone, requested and CC'd tickets."""
    colleague = UserFactory(name="Cody Colleague", organization=acme)
    mine = create_ticket(actor=customer, requester=customer, subject="Runner down", description="x")
    copied = create_ticket(
        actor=agent, requester=colleague, subject="Shared outage", description="x", ccs=[customer]
    )
    html = agent_client.get(f"/users/{customer.pk}/").content.decode()
    assert "Carol Customer" in html and "carol@acme.test" in html
    assert f'href="/organizations/{acme.pk}/"' in html
    assert "UTC" in html  # the time zone
    assert f"#{mine.pk} Runner down" in html
    assert f"#{copied.pk} Shared outage" in html
    assert "Assigned tickets" not in html  # end-users have none


def test_agent_user_page_lists_their_assigned_tickets(agent_client, agent, customer):
    ticket = create_ticket(
        actor=agent, requester=customer, subject="Mine to fix", description="x", assignee=agent
    )
    html = agent_client.get(f"/users/{agent.pk}/").content.decode()
    assert "Assigned tickets" in html and f"#{ticket.pk} Mine to fix" in html
    assert "America/New_York" in html


def test_user_page_lists_newest_first_and_pages(agent_client, customer):
    tickets = _tickets(customer, 27)
    html = agent_client.get(f"/users/{customer.pk}/").content.decode()
    assert html.index(f"#{tickets[-1].pk} ") < html.index(f"#{tickets[-2].pk} ")
    assert f"#{tickets[0].pk} " not in html  # the oldest two are on page 2
    page2 = agent_client.get(f"/users/{customer.pk}/?page=2").content.decode()
    assert f"#{tickets[0].pk} " in page2 and f"#{tickets[-1].pk} " not in page2


def test_user_page_shows_crm_contact_fields(agent_client, customer):
    CrmContact.objects.create(
        sf_id="003000000000001AAA",
        account_id="001000000000001AAA",
        email="carol.c@acme-corp.test",
        user=customer,
        synced_at=timezone.now(),
    )
    html = agent_client.get(f"/users/{customer.pk}/").content.decode()
    assert "003000000000001AAA" in html and "001000000000001AAA" in html
    assert "carol.c@acme-corp.test" in html  # a second address the CRM knows


def test_agents_edit_notes_about_a_user_and_it_is_audited(agent_client, agent, customer):
    response = agent_client.post(
        f"/users/{customer.pk}/notes", {"notes": "Prefers email; CTO is Dana."}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.notes == "Prefers email; CTO is Dana."
    event = AccountAuditEvent.objects.get(user=customer, field="notes")
    assert event.actor == agent and event.new_value == "Prefers email; CTO is Dana."
    html = agent_client.get(f"/users/{customer.pk}/").content.decode()
    assert "Prefers email; CTO is Dana." in html


def test_notes_too_long_are_refused_and_nothing_is_written(agent_client, customer):
    response = agent_client.post(f"/users/{customer.pk}/notes", {"notes": "x" * 20_001})
    assert response.status_code == 422
    assert "at most 20,000 characters" in response.content.decode()
    customer.refresh_from_db()
    assert customer.notes == ""
    assert not AccountAuditEvent.objects.filter(field="notes").exists()


def test_changes_made_by_switchboard_itself_show_in_the_history(agent_client, acme):
    """Sign-up associates by domain as the system (no person): the history says so."""
    from switchboard.accounts.access import SYSTEM
    from switchboard.accounts.actions import create_user

    dana = create_user(actor=SYSTEM, email="dana@acme.test", name="Dana")
    html = agent_client.get(f"/users/{dana.pk}/").content.decode()
    assert "Switchboard: organization_id" in html and "email domain acme.test" in html


def test_missing_user_and_organization_are_404(agent_client):
    assert agent_client.get("/users/999999/").status_code == 404
    assert agent_client.get("/organizations/999999/").status_code == 404
    assert agent_client.post("/users/999999/notes", {"notes": "x"}).status_code == 404


# --- agents only ---------------------------------------------------------------------------------


def test_people_pages_are_for_agents_only(client, customer, acme):
    """End-users go to the portal, anonymous visitors to sign in; their posts write nothing."""
    urls = [f"/users/{customer.pk}/", f"/organizations/{acme.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(customer)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/portal/"
    client.post(f"/users/{customer.pk}/notes", {"notes": "mine now"})
    client.post(
        f"/organizations/{acme.pk}/profile",
        {"notes": "x", "sharing": "view_comment_all", "domain_names": "evil.test"},
    )
    client.post(f"/organizations/{acme.pk}/verify", {"email": customer.email})
    customer.refresh_from_db()
    acme.refresh_from_db()
    assert customer.notes == "" and acme.sharing == "own" and acme.domain_names == ["acme.test"]
    assert not AccountAuditEvent.objects.filter(actor=customer).exists()


# --- the organization page -----------------------------------------------------------------------


def test_organization_page_shows_details_crm_entitlement_and_members(agent_client, agent, acme):
    tam = AgentFactory(name="Tina Tam")
    acme.account_manager = tam
    acme.crm_account_id = "001000000000001AAA"
    acme.arr = 120000
    acme.notes = "Runs 3 geo sites."
    acme.save()
    CrmAccount.objects.create(
        sf_id="001000000000001AAA",
        name="Acme",
        support_level_raw="Premium Support",
        support_level="priority",
        tam_email="tina@switchboard.test",
        synced_at=timezone.now() - timedelta(hours=2),
    )
    IntegrityFinding.objects.create(
        check_id="support_level_mismatch",
        severity="warning",
        organization=acme,
        subject="Acme",
        detail="CRM says standard, Switchboard says priority.",
        found_at=timezone.now(),
    )
    html = agent_client.get(f"/organizations/{acme.pk}/").content.decode()
    assert "acme.test" in html and "Members see their own tickets only" in html
    assert "Tina Tam" in html and f'href="/users/{tam.pk}/"' in html
    assert "001000000000001AAA" in html and "Premium Support" in html and "Last sync" in html
    assert "tina@switchboard.test" in html and "differs from the TAM/CSM here" in html
    assert "Runs 3 geo sites." in html
    assert "Carol Customer" in html  # a member
    assert "Entitlement uncertain" in html
    assert "CRM says standard, Switchboard says priority." in html


def test_organization_tickets_by_status(agent_client, agent, customer, acme):
    new = create_ticket(actor=customer, requester=customer, subject="Still new", description="x")
    solved = create_ticket(actor=customer, requester=customer, subject="Done now", description="x")
    from switchboard.tickets.actions.update import update_ticket

    update_ticket(ticket=solved, actor=agent, status="solved")
    html = agent_client.get(f"/organizations/{acme.pk}/").content.decode()
    assert "Still new" in html and "Done now" not in html  # unsolved by default
    html = agent_client.get(f"/organizations/{acme.pk}/?status=solved").content.decode()
    assert "Done now" in html and "Still new" not in html
    html = agent_client.get(f"/organizations/{acme.pk}/?status=all").content.decode()
    assert "Done now" in html and "Still new" in html and new.pk
    # An unknown status is the default list, not an error.
    assert agent_client.get(f"/organizations/{acme.pk}/?status=bogus").status_code == 200


def test_csat_summary_only_for_managers_and_the_tam(client, agent, customer, acme):
    ticket = create_ticket(actor=customer, requester=customer, subject="Rated", description="x")
    SatisfactionRating.objects.create(
        ticket=ticket,
        requester=customer,
        organization=acme,
        kind="feedback",
        score="good",
        created_at=timezone.now(),
        updated_at=timezone.now(),
        counted_at=timezone.now(),
        rated_at=timezone.now(),
    )
    client.force_login(agent)
    assert 'id="csat-summary"' not in client.get(f"/organizations/{acme.pk}/").content.decode()
    manager = AgentFactory(is_support_manager=True)
    client.force_login(manager)
    html = client.get(f"/organizations/{acme.pk}/").content.decode()
    assert 'id="csat-summary"' in html and "<b>1</b> good" in html


def test_agents_cannot_edit_sharing_domains_or_notes(agent_client, acme):
    html = agent_client.get(f"/organizations/{acme.pk}/").content.decode()
    assert 'id="organization-edit"' not in html
    response = agent_client.post(
        f"/organizations/{acme.pk}/profile",
        {"notes": "changed", "sharing": "view_all", "domain_names": "acme.test"},
    )
    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.sharing == "own" and acme.notes == ""


def test_managers_edit_sharing_domains_and_notes_audited(client, acme):
    manager = AgentFactory(is_support_manager=True)
    client.force_login(manager)
    assert 'id="organization-edit"' in client.get(f"/organizations/{acme.pk}/").content.decode()
    response = client.post(
        f"/organizations/{acme.pk}/profile",
        {"notes": "VIP", "sharing": "view_all", "domain_names": "acme.test, Acme-Corp.test"},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.notes == "VIP" and acme.sharing == "view_all"
    assert sorted(acme.domain_names) == ["acme-corp.test", "acme.test"]
    fields = set(
        AccountAuditEvent.objects.filter(organization=acme, actor=manager).values_list(
            "field", flat=True
        )
    )
    assert fields == {"notes", "sharing", "domain_names"}


def test_bad_domain_or_sharing_is_422_and_writes_nothing(client, acme):
    other = OrganizationFactory(name="Globex")
    OrganizationDomain.objects.create(organization=other, domain="globex.test")
    admin = UserFactory(role="admin", is_superuser=True)
    client.force_login(admin)
    for data, message in [
        ({"sharing": "own", "domain_names": "https://bad/"}, "domain"),
        ({"sharing": "own", "domain_names": "globex.test"}, "already belongs to Globex"),
        ({"sharing": "everyone", "domain_names": "acme.test"}, "sharing"),
    ]:
        response = client.post(f"/organizations/{acme.pk}/profile", {"notes": "new", **data})
        assert response.status_code == 422, data
        assert message in response.content.decode()
    acme.refresh_from_db()
    assert acme.notes == "" and acme.domain_names == ["acme.test"]
    assert not AccountAuditEvent.objects.filter(actor=admin).exists()


# --- verify entitlement --------------------------------------------------------------------------


def test_agent_verifies_entitlement_from_the_organization_page(agent_client, agent, acme):
    gmail = UserFactory(email="dev@gmail.test", organization=None)
    response = agent_client.post(
        f"/organizations/{acme.pk}/verify", {"email": "DEV@gmail.test", "reason": "license"}
    )
    assert response.status_code == 302
    gmail.refresh_from_db()
    assert gmail.organization == acme and gmail.entitlement_verified_by == agent
    event = AccountAuditEvent.objects.get(user=gmail, field="organization_id")
    assert event.actor == agent and event.reason == "license"


def test_agent_verifies_entitlement_from_the_user_page(agent_client, agent, acme):
    gmail = UserFactory(email="dev@gmail.test", organization=None)
    html = agent_client.get(f"/users/{gmail.pk}/").content.decode()
    assert 'id="verify-entitlement"' in html
    response = agent_client.post(f"/users/{gmail.pk}/verify", {"organization": "acme"})
    assert response.status_code == 302
    gmail.refresh_from_db()
    assert gmail.organization == acme and gmail.entitlement_verified_at is not None


def test_verify_refuses_unknowns_and_moving_members_without_a_manager(agent_client, customer):
    globex = OrganizationFactory(name="Globex")
    response = agent_client.post(f"/organizations/{globex.pk}/verify", {"email": "no@x.test"})
    assert response.status_code == 422 and "no customer account" in response.content.decode()
    response = agent_client.post(f"/users/{customer.pk}/verify", {"organization": "Nope Inc"})
    assert response.status_code == 422
    response = agent_client.post(f"/organizations/{globex.pk}/verify", {"email": customer.email})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.organization.name == "Acme"
    assert not AccountAuditEvent.objects.filter(user=customer).exists()


# --- links ---------------------------------------------------------------------------------------


def test_search_links_people_and_organizations(agent_client, customer, acme):
    html = agent_client.get("/search?q=acme").content.decode()
    assert f'href="/organizations/{acme.pk}/"' in html
    html = agent_client.get("/search?q=carol").content.decode()
    assert f'href="/users/{customer.pk}/"' in html


def test_ticket_page_and_views_link_requester_and_organization(agent_client, agent, customer, acme):
    ticket = create_ticket(actor=customer, requester=customer, subject="Linked", description="x")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'href="/users/{customer.pk}/"' in html
    assert f'href="/organizations/{acme.pk}/"' in html
    from switchboard.tickets.models import View

    view = View.objects.get(title="Unassigned tickets")
    html = agent_client.get(f"/views/{view.pk}/").content.decode()
    assert f'href="/users/{customer.pk}/"' in html
    assert f'href="/organizations/{acme.pk}/"' in html


# --- fixed query counts --------------------------------------------------------------------------


def _fill(customer, acme, agent, n):
    for i in range(n):
        create_ticket(
            actor=agent,
            requester=customer,
            subject=f"Bulk {i}",
            description="x",
            assignee=agent,
            ccs=[customer] if i % 2 else [],
        )
        UserFactory(organization=acme)


@pytest.mark.parametrize("path", ["user", "agent", "organization"])
def test_people_pages_make_a_fixed_number_of_queries(
    agent_client, agent, customer, acme, django_assert_max_num_queries, path
):
    """Adding tickets, CCs and members does not add queries (2 of them are the session and
    user lookups)."""
    acme.crm_account_id = "001000000000001AAA"
    acme.save()
    url = {
        "user": f"/users/{customer.pk}/",
        "agent": f"/users/{agent.pk}/",
        "organization": f"/organizations/{acme.pk}/",
    }[path]
    bound = {"user": 9, "agent": 11, "organization": 13}[path]
    _fill(customer, acme, agent, 3)
    with django_assert_max_num_queries(bound) as small:
        assert agent_client.get(url).status_code == 200
    _fill(customer, acme, agent, 30)
    with django_assert_max_num_queries(bound) as large:
        assert agent_client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Ticket.objects.count() == 33 and User.objects.filter(organization=acme).count() > 30
