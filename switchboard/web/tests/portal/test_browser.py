"""The portal in a real browser (Playwright driving Debian's Chromium, headless)."""

from __future__ import annotations

import re

import pytest

from switchboard.tickets.models import Comment, Ticket
from switchboard.web.tests.portal.conftest import PASSWORD, member, open_ticket

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def sign_in(page, email: str) -> None:
    """Through the real /login/ form; end-users land in the portal."""
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/portal/$"))


def test_customer_signs_in_submits_a_ticket_with_an_attachment_and_sees_it(page, alice, tmp_path):
    # given
    log = tmp_path / "runner.log"
    log.write_text("level=error msg=timeout\n")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    sign_in(page, "alice@acme.test")

    # when: the form, with the warnings it gives before submitting
    page.get_by_role("link", name="Submit a ticket").click()
    page.get_by_label("Summary").fill("Pipelines stuck in pending")
    page.get_by_label("Current behaviour").fill("Jobs stay pending forever")
    page.get_by_label("Steps to reproduce").fill(f"export AWS_ACCESS_KEY_ID={AWS_ID}")
    page.get_by_label("Business impact").click()  # leaving the field sends it for a check
    page.get_by_text("This looks like sensitive information").wait_for()
    page.get_by_label("Steps to reproduce").fill("1. Push a commit")
    page.get_by_label("Business impact").fill("40 developers blocked")
    page.get_by_text("No passwords, tokens or keys found").wait_for()
    page.get_by_label("Severity 2 — High").check()
    page.get_by_label("Preferred region").select_option("emea")
    page.get_by_label("Attachments").set_input_files(str(pdf))
    page.get_by_text("report.pdf: We prefer plain-text logs").wait_for()
    page.get_by_label("Attachments").set_input_files(str(log))
    assert not page.locator(".file-warning").is_visible()
    page.get_by_role("button", name="Submit ticket").click()

    # then
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    assert page.get_by_text(f"Ticket #{ticket.pk} was created").is_visible()
    assert page.get_by_role("link", name="runner.log").is_visible()
    assert (ticket.priority, ticket.preferred_region, ticket.channel) == ("high", "emea", "web")
    assert ticket.attachments.get().filename == "runner.log"
    page.get_by_role("link", name="My tickets").first.click()
    page.get_by_role("link", name="Pipelines stuck in pending").wait_for()


def test_own_user_does_not_see_a_colleagues_ticket(page, org, alice, bob):
    # given: sharing "own"
    ticket = open_ticket(alice, "Alice private outage")
    open_ticket(bob, "Bob's own question")
    sign_in(page, "bob@acme.test")
    # then: not in any list, and "not found" on its URL
    assert page.get_by_role("link", name="Bob's own question").is_visible()
    assert page.get_by_text("Alice private outage").count() == 0
    assert page.get_by_text("My organization's tickets").count() == 0
    response = page.goto(f"/portal/tickets/{ticket.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert page.get_by_text("Alice private outage").count() == 0


def test_view_all_user_sees_a_colleagues_ticket_without_a_reply_box(page, org, alice, bob):
    org.sharing = "view_all"
    org.save()
    open_ticket(alice, "Alice shared outage")
    sign_in(page, "bob@acme.test")
    org_list = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile("My organization"))
    )
    org_list.get_by_role("link", name="Alice shared outage").click()
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    assert page.get_by_role("heading", name="Alice shared outage").is_visible()
    assert page.get_by_text("It broke.").is_visible()
    assert page.get_by_role("button", name="Send reply").count() == 0
    assert page.get_by_label("Your reply").count() == 0


def test_without_javascript_a_customer_reads_and_replies(nojs_page, org, alice, agent):
    from switchboard.tickets.actions.comments import add_comment

    page = nojs_page
    ticket = open_ticket(alice, "No-JS ticket")
    add_comment(ticket=ticket, author=agent, body="Could you send the runner logs?")
    add_comment(ticket=ticket, author=agent, body="INTERNAL ONLY note", public=False)
    sign_in(page, "alice@acme.test")
    page.get_by_role("link", name="No-JS ticket").click()
    assert page.get_by_text("Could you send the runner logs?").is_visible()
    assert page.get_by_text("INTERNAL ONLY note").count() == 0
    page.get_by_label("Your reply").fill("Here they are.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply was sent.").wait_for()
    assert page.get_by_text("Here they are.").is_visible()
    assert Comment.objects.filter(ticket=ticket, body="Here they are.", public=True).exists()


def test_without_javascript_the_check_button_scans_the_form(nojs_page, alice):
    page = nojs_page
    sign_in(page, "alice@acme.test")
    page.goto("/portal/tickets/new")
    page.get_by_label("Summary").fill("Token question")
    page.get_by_label("Recent changes").fill(f"rotated key {AWS_ID}")
    page.get_by_role("button", name="Check for sensitive information").click()
    page.get_by_text("This looks like sensitive information").wait_for()
    assert page.get_by_label("Summary").input_value() == "Token question"
    assert Ticket.objects.count() == 0


def test_new_member_registers_by_domain(page, org):
    """The registration page tells a new customer which plan their domain gives them."""
    member(org, "existing@acme.test")
    page.goto("/portal/register")
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Work email").fill("dana@acme.test")
    page.get_by_label("Password").fill("correct horse battery 42")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Your email domain matches Acme").wait_for()
