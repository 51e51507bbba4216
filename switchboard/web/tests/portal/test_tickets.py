"""Portal ticket pages: lists, the best-practice form, the ticket page, replies, downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from switchboard.tickets.actions.lifecycle import close_if_still_solved
from switchboard.tickets.actions.update import change_status
from switchboard.tickets.models import Attachment, Comment, Ticket
from switchboard.web.tests.portal.conftest import agent_note, member, open_ticket

pytestmark = pytest.mark.django_db

AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def form_data(**overrides):
    data = {
        "subject": "Pipelines stuck in pending",
        "problem_started": "Since Monday 09:00 CET, every pipeline",
        "business_impact": "No deployments for 40 developers",
        "steps_to_reproduce": "1. Push a commit\n2. Watch the pipeline",
        "current_behavior": "Jobs stay pending forever",
        "expected_behavior": "Jobs start within a minute",
        "recent_changes": "Upgraded runners on Sunday",
        "version": "16.4.1",
        "install_type": "Docker",
        "priority": "high",
        "preferred_region": "emea",
    }
    data.update(overrides)
    return data


# --- sign-in required ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/portal/", "/portal/tickets/new", "/portal/tickets/1/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    """Every portal page but registration and password reset needs a signed-in user."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


# --- lists ---------------------------------------------------------------------------------------


def test_home_lists_my_tickets_and_not_colleagues_under_own(client_for, alice, bob):
    """Under `own` the page shows my tickets only, and no organization list."""
    open_ticket(alice, "Alice's problem")
    open_ticket(bob, "Bob's problem")
    page = client_for(alice).get("/portal/").content.decode()
    assert "Alice&#x27;s problem" in page
    assert "Bob&#x27;s problem" not in page
    assert "My organization's tickets" not in page


def test_home_shows_cc_tickets_under_my_tickets(client_for, alice, bob):
    """A ticket I'm copied on is one of mine."""
    ticket = open_ticket(bob, "Bob copied Alice")
    ticket.ccs.add(alice)
    assert "Bob copied Alice" in client_for(alice).get("/portal/").content.decode()


def test_status_filter_narrows_both_lists(client_for, org, alice, bob, agent):
    """?status=solved shows only solved tickets."""
    org.sharing = "view_all"
    org.save()
    open_ticket(alice, "Still open one")
    solved = open_ticket(bob, "Solved one")
    change_status(ticket=solved, actor=agent, status="solved")
    page = client_for(alice).get("/portal/?status=solved").content.decode()
    assert "Solved one" in page and "Still open one" not in page
    page = client_for(alice).get("/portal/?status=active").content.decode()
    assert "Still open one" in page and "Solved one" not in page


def test_unknown_status_filter_is_ignored(client_for, alice):
    open_ticket(alice, "Visible anyway")
    response = client_for(alice).get("/portal/?status=<script>")
    assert response.status_code == 200
    assert "Visible anyway" in response.content.decode()


def test_lists_paginate(client_for, alice):
    """25 per page; page 2 holds the rest."""
    for i in range(27):
        open_ticket(alice, f"Ticket number {i:02d}")
    c = client_for(alice)
    first = c.get("/portal/").content.decode()
    assert "Page 1 of 2" in first
    second = c.get("/portal/?page=2").content.decode()
    assert "Ticket number 00" in second and "Ticket number 26" not in second


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_runs_a_fixed_number_of_queries(client_for, org, alice, bob):
    """The list page costs the same number of queries for 3 and for 25 tickets per list."""
    org.sharing = "view_all"
    org.save()
    c = client_for(alice)
    for i in range(3):
        open_ticket(alice, f"mine {i}")
        open_ticket(bob, f"theirs {i}")
    small = _queries(c, "/portal/")
    for i in range(22):
        open_ticket(alice, f"mine more {i}")
        open_ticket(bob, f"theirs more {i}")
    large = _queries(c, "/portal/")
    assert small == large
    assert large <= 10


def test_ticket_page_runs_a_fixed_number_of_queries(client_for, alice, agent):
    """The ticket page costs the same for 2 and for 30 comments with attachments."""
    ticket = open_ticket(alice)
    from switchboard.tickets.actions.comments import add_comment
    from switchboard.tickets.attachments import store_attachment

    def add(n):
        for i in range(n):
            comment = add_comment(ticket=ticket, author=agent, body=f"reply {i}")
            store_attachment(
                ticket=ticket,
                uploaded_by=agent,
                filename=f"log{i}.txt",
                content=b"x",
                comment=comment,
            )
            agent_note(ticket, agent, f"note {i}")

    c = client_for(alice)
    add(2)
    small = _queries(c, f"/portal/tickets/{ticket.pk}/")
    add(28)
    large = _queries(c, f"/portal/tickets/{ticket.pk}/")
    assert small == large
    assert large <= 12


# --- the submission form ---------------------------------------------------------------------


def test_new_ticket_form_carries_the_best_practice_guidance(client_for, alice):
    """Field help, severity definitions, the region note, attachment and call notes."""
    page = client_for(alice).get("/portal/tickets/new").content.decode()
    for text in (
        "When did it start, and how often does it happen?",
        "Business impact",
        "Steps to reproduce",
        "Current behaviour",
        "Expected behaviour",
        "Recent changes",
        "Install type",
        "Severity 1 — Urgent",
        "Severity 4 — Low",
        "no workaround",
        "the SLA will only be within those business hours",
        "avoid .doc and .pdf files",
        "Handling sensitive information",
        "the support engineer will invite your team to one",
        "Acme",
    ):
        assert text in page, text


def test_region_defaults_to_the_organizations(client_for, org, alice):
    org.preferred_region = "apac"
    org.save()
    page = client_for(alice).get("/portal/tickets/new").content.decode()
    assert '<option value="apac" selected>' in page


def test_submitting_creates_a_structured_ticket_with_attachments(client_for, alice):
    """One ticket, channel web, severity = priority, the region, every answer in the description,
    and the files on the first comment."""
    files = [
        SimpleUploadedFile("runner.log", b"level=error msg=timeout\n"),
        SimpleUploadedFile("screen.txt", b"screen text\n"),
    ]
    response = client_for(alice).post("/portal/tickets/new", {**form_data(), "attachments": files})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.priority, ticket.preferred_region) == ("web", "high", "emea")
    assert ticket.requester == alice and ticket.organization == alice.organization
    assert ticket.steps_to_reproduce.startswith("1. Push a commit")
    assert ticket.version == "16.4.1" and ticket.install_type == "Docker"
    for heading in ("## Business impact", "## Current behaviour", "## Version and install type"):
        assert heading in ticket.description
    first = Comment.objects.filter(ticket=ticket, public=True).get()
    assert sorted(a.filename for a in first.attachments.all()) == ["runner.log", "screen.txt"]


def test_pdf_attachment_is_accepted_with_a_warning(client_for, alice):
    """.doc/.pdf are discouraged: stored, and the requester is told after submitting."""
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n%%EOF\n")
    c = client_for(alice)
    response = c.post("/portal/tickets/new", {**form_data(), "attachments": [pdf]}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "report.pdf: We prefer plain-text logs and screenshots" in page
    assert Attachment.objects.get().warning


def test_secrets_in_the_text_are_flagged_after_submit(client_for, alice):
    response = client_for(alice).post(
        "/portal/tickets/new",
        form_data(current_behavior=f"aws_access_key_id={AWS_ID} fails"),
        follow=True,
    )
    assert "looks like it contains an AWS access key" in response.content.decode()


def test_check_endpoint_flags_secrets_before_submit(client_for, alice):
    """The HTMX partial scans what was typed; nothing is written."""
    c = client_for(alice)
    response = c.post(
        "/portal/tickets/new/check",
        {"steps_to_reproduce": "curl -H 'Authorization: Bearer abcdef0123456789abcdef'"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "This looks like sensitive information" in response.content.decode()
    assert "<html" not in response.content.decode()
    clean = c.post("/portal/tickets/new/check", {"steps_to_reproduce": "click save"})
    assert "No passwords, tokens or keys found" in clean.content.decode()
    assert Ticket.objects.count() == 0


def test_no_js_check_button_rerenders_the_form_with_warnings(client_for, alice):
    response = client_for(alice).post(
        "/portal/tickets/new", form_data(recent_changes=f"key {AWS_ID}", check="1")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This looks like sensitive information" in page
    assert "Pipelines stuck in pending" in page  # the answers are kept
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"subject": ""}, "This field is required."),
        ({"current_behavior": "  "}, "This field is required."),
        ({"priority": "critical"}, "Select a valid choice."),
        ({"preferred_region": "mars"}, "Select a valid choice."),
    ],
)
def test_bad_input_rerenders_with_a_message_and_writes_nothing(
    client_for, alice, overrides, message
):
    response = client_for(alice).post("/portal/tickets/new", form_data(**overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_refused_attachment_rolls_back_the_whole_ticket(client_for, alice, settings):
    """An attachment over the size limit: 422 with the limit named, no ticket, no file."""
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.log", b"x" * 100)
    response = client_for(alice).post("/portal/tickets/new", {**form_data(), "attachments": [big]})
    assert response.status_code == 422
    assert "attachments can be at most" in response.content.decode()
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0


def test_an_empty_attachment_is_refused(client_for, alice):
    empty = SimpleUploadedFile("empty.log", b"")
    response = client_for(alice).post(
        "/portal/tickets/new", {**form_data(), "attachments": [empty]}
    )
    assert response.status_code in (400, 422)
    assert Ticket.objects.count() == 0


def test_unverified_requester_is_told_and_tagged(client_for, db):
    """No matching domain: the form says so and the ticket is tagged entitlement_unverified."""
    from switchboard.accounts.tests.factories import UserFactory

    loner = UserFactory(email="sam@nowhere.test")
    c = client_for(loner)
    assert "your tickets are marked unverified" in c.get("/portal/tickets/new").content.decode()
    c.post("/portal/tickets/new", form_data())
    assert Ticket.objects.get().tag_names() == ["entitlement_unverified"]


# --- the ticket page -----------------------------------------------------------------------------


def test_ticket_page_shows_public_replies_and_never_internal_notes(client_for, alice, agent):
    ticket = open_ticket(alice)
    from switchboard.tickets.actions.comments import add_comment

    add_comment(ticket=ticket, author=agent, body="Public answer from support")
    agent_note(ticket, agent, "SECRET-NOTE: do not show")
    page = client_for(alice).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Public answer from support" in page
    assert "SECRET-NOTE" not in page
    assert "Organization notes" not in page


def test_missing_ticket_is_not_found(client_for, alice):
    response = client_for(alice).get("/portal/tickets/999999/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_reply_is_stored_as_public_web_comment(client_for, alice):
    ticket = open_ticket(alice)
    c = client_for(alice)
    response = c.post(
        f"/portal/tickets/{ticket.pk}/reply",
        {"body": "More detail", "attachments": [SimpleUploadedFile("more.log", b"trace\n")]},
    )
    assert response.status_code == 302
    comment = Comment.objects.filter(ticket=ticket).order_by("-pk").first()
    assert (comment.body, comment.public, comment.channel) == ("More detail", True, "web")
    assert [a.filename for a in comment.attachments.all()] == ["more.log"]


def test_blank_reply_is_refused_and_nothing_written(client_for, alice):
    ticket = open_ticket(alice)
    before = Comment.objects.count()
    response = client_for(alice).post(f"/portal/tickets/{ticket.pk}/reply", {"body": "   "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert Comment.objects.count() == before


def test_reply_on_solved_ticket_reopens_it(client_for, alice, agent):
    ticket = open_ticket(alice)
    change_status(ticket=ticket, actor=agent, status="solved")
    c = client_for(alice)
    assert "Replying reopens this ticket" in c.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    c.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "Still broken"})
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_reply_on_closed_ticket_creates_a_follow_up(client_for, alice, agent):
    from django.utils import timezone

    ticket = open_ticket(alice)
    change_status(ticket=ticket, actor=agent, status="solved")
    close_if_still_solved(ticket_id=ticket.pk, now=timezone.now() + timezone.timedelta(days=5))
    c = client_for(alice)
    page = c.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Your reply will open a follow-up ticket" in page
    response = c.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "It came back"}, follow=True)
    follow_up = Ticket.objects.get(follow_up_source=ticket)
    assert response.redirect_chain[-1][0] == f"/portal/tickets/{follow_up.pk}/"
    assert "your reply opened a follow-up" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_csrf_is_enforced_on_replies_and_new_tickets(alice):
    c = Client(enforce_csrf_checks=True)
    c.force_login(alice)
    ticket = open_ticket(alice)
    assert c.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "x"}).status_code == 403
    assert c.post("/portal/tickets/new", form_data()).status_code == 403
    assert Ticket.objects.count() == 1


# --- attachment downloads ------------------------------------------------------------------------


def test_requester_downloads_an_attachment_of_a_public_comment(client_for, alice):
    c = client_for(alice)
    c.post(
        "/portal/tickets/new",
        {**form_data(), "attachments": [SimpleUploadedFile("a.log", b"hello log\n")]},
    )
    attachment = Attachment.objects.get()
    response = c.get(f"/portal/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello log\n"
    assert 'filename="a.log"' in response["Content-Disposition"]


def test_attachments_of_internal_notes_and_other_peoples_tickets_are_not_found(
    client_for, alice, bob, agent
):
    from switchboard.tickets.attachments import store_attachment

    mine = open_ticket(alice)
    note = Comment.objects.create(
        ticket=mine, author=agent, body="note", public=False, created_at=mine.created_at
    )
    on_note = store_attachment(
        ticket=mine, uploaded_by=agent, filename="internal.log", content=b"x", comment=note
    )
    theirs = open_ticket(bob)
    first = theirs.comments.get(public=True)
    on_theirs = store_attachment(
        ticket=theirs, uploaded_by=bob, filename="bob.log", content=b"y", comment=first
    )
    c = client_for(alice)
    for attachment in (on_note, on_theirs):
        assert c.get(f"/portal/attachments/{attachment.pk}/").status_code == 404
    assert c.get("/portal/attachments/987654/").status_code == 404
    assert "internal.log" not in c.get(f"/portal/tickets/{mine.pk}/").content.decode()


def test_agent_can_use_the_portal_pages(client_for, agent, alice):
    """Agents see everything (the access function says so); the pages don't break for them."""
    ticket = open_ticket(alice)
    c = client_for(agent)
    assert c.get("/portal/").status_code == 200
    assert c.get(f"/portal/tickets/{ticket.pk}/").status_code == 200


def test_deactivated_member_sees_nothing(client_for, alice):
    ticket = open_ticket(alice)
    other = member(alice.organization, "gone@acme.test")
    c = client_for(other)
    other.is_active = False
    other.save()
    response = c.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code in (302, 404)
