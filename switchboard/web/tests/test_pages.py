"""The agent workspace pages: who may open them, what they show, and that bad input is a 4xx."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest

from switchboard.tickets.models import Comment, Macro, Ticket, TicketStatus, View

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The response body with HTML entities decoded (messages quote values)."""
    return unescape(response.content.decode())


def test_anonymous_is_sent_to_sign_in_with_next(client):
    """Agent pages redirect an anonymous visitor to /login/?next=<the page>."""
    for url in ["/", "/views/1/", "/tickets/1/", "/search?q=x", "/dashboard"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_end_user_is_sent_to_the_portal(client, customer, make_ticket):
    """An end-user who opens an agent page (even their own ticket's) lands in the portal."""
    ticket = make_ticket()
    client.force_login(customer)
    for url in ["/", f"/tickets/{ticket.pk}/", "/dashboard", "/search?q=runners"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/portal/"


def test_sign_in_form_sends_agents_home_and_end_users_to_the_portal(client, agent, customer):
    """POST /login/ with email + password: agents to /, end-users to /portal/."""
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post("/login/", {"username": agent.email, "password": "pw-for-tests-123"})
    assert response.status_code == 302 and response["Location"] == "/"
    client.post("/logout/")
    response = client.post(
        "/login/", {"username": customer.email, "password": "pw-for-tests-123", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_wrong_password_shows_a_message(client, agent):
    """A failed sign-in re-renders the form with Django's message, not a 500."""
    response = client.post("/login/", {"username": agent.email, "password": "wrong"})
    assert response.status_code == 200
    assert b"correct email and password" in response.content


def test_sign_out_is_post_only(agent_client):
    """GET /logout/ does not sign out (405); POST does and goes to /login/."""
    assert agent_client.get("/logout/").status_code == 405
    response = agent_client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert agent_client.get("/").status_code == 302


def test_home_lists_the_views_with_counts(agent_client, make_ticket):
    """Home shows every shipped view with its live count; the partial refreshes by HTMX."""
    make_ticket()  # new, unassigned
    response = agent_client.get("/")
    assert response.status_code == 200
    html = text(response)
    unassigned = View.objects.get(title="Unassigned tickets")
    assert "Unassigned tickets" in html and f"/views/{unassigned.pk}/" in html
    assert 'hx-trigger="every 30s"' in html
    partial = text(agent_client.get("/views/counts", HTTP_HX_REQUEST="true"))
    assert "<html" not in partial and 'data-count="1"' in partial


def test_view_list_filters_sorts_and_pages(agent_client, make_ticket, agent):
    """A view's list: filter by status/priority/assignee/text, sort by priority, 50 per page."""
    view = View.objects.get(title="Unassigned tickets")
    make_ticket(subject="Disk full", priority="urgent")
    make_ticket(subject="Login loop", priority="low")
    html = text(agent_client.get(f"/views/{view.pk}/?sort=priority&order=desc"))
    assert html.index("Disk full") < html.index("Login loop")
    html = text(agent_client.get(f"/views/{view.pk}/?sort=priority&order=asc"))
    assert html.index("Login loop") < html.index("Disk full")
    html = text(agent_client.get(f"/views/{view.pk}/?priority=urgent"))
    assert "Disk full" in html and "Login loop" not in html
    html = text(agent_client.get(f"/views/{view.pk}/?q=login"))
    assert "Login loop" in html and "Disk full" not in html
    html = text(agent_client.get(f"/views/{view.pk}/?assignee=me"))
    assert "No tickets in this view match the filters" in html
    full = text(agent_client.get(f"/views/{view.pk}/"))
    assert "Priority" in full and "Acme" in full and "EMEA" in full  # org, level, region


def test_view_list_columns_and_sla_badge(agent_client, make_ticket):
    """Columns: priority, subject link, status, requester, org + support level + region,
    assignee and an SLA badge with the time left."""
    ticket = make_ticket(subject="Geo lag", priority="urgent")
    view = View.objects.get(title="Unassigned tickets")
    html = text(agent_client.get(f"/views/{view.pk}/"))
    assert f'href="/tickets/{ticket.pk}/?view={view.pk}"' in html  # "Next in view" follows
    assert "Carol Customer" in html and "Priority</span>" in html
    assert 'data-sla="' in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("sort=bogus", "sort: 'bogus' is not one of"),
        ("status=weird", "status: 'weird' is not one of"),
        ("assignee=x1", "assignee: expected an id"),
    ],
)
def test_view_list_bad_query_is_a_422_with_message(agent_client, query, message):
    view = View.objects.get(title="Unassigned tickets")
    response = agent_client.get(f"/views/{view.pk}/?{query}")
    assert response.status_code == 422
    assert message in text(response)


def test_unknown_view_and_ticket_are_404_with_message(agent_client):
    for url in ["/views/999999/", "/tickets/999999/", "/tickets/999999/history"]:
        response = agent_client.get(url)
        assert response.status_code == 404
        assert "Not found" in text(response)


def test_ticket_page_shows_conversation_side_panel_and_clocks(agent_client, make_ticket, agent):
    """Public replies and internal notes look different; the side panel has the requester,
    the organization's support level, region and notes, and the SLA clocks."""
    ticket = make_ticket(subject="SAML loop", priority="high")
    ticket.organization.notes = "Key account: call before any restart."
    ticket.organization.crm_account_id = "CRM-42"
    ticket.organization.save()
    from switchboard.tickets.actions.comments import add_comment

    add_comment(ticket=ticket, author=agent, body="Checking the IdP logs.", public=False)
    html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert 'class="comment internal"' in html and 'class="comment public"' in html
    assert "Checking the IdP logs." in html
    assert "Key account: call before any restart." in html and "CRM-42" in html
    assert "First reply time" in html
    assert "carol@acme.test" in html


def test_reply_posts_a_public_comment_and_redirects(agent_client, make_ticket, agent):
    """POST reply → one comment through add_comment, PRG redirect to the ticket page."""
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply",
        {"body": "We are on it.", "visibility": "public", "status": "pending"},
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    comment = Comment.objects.filter(ticket=ticket, author=agent).get()
    assert comment.public and comment.body == "We are on it."
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert ticket.first_agent_reply_at is not None


def test_internal_note(agent_client, make_ticket, agent):
    ticket = make_ticket()
    agent_client.post(f"/tickets/{ticket.pk}/reply", {"body": "Note", "visibility": "internal"})
    assert not Comment.objects.get(ticket=ticket, author=agent).public


def test_blank_reply_is_a_422_and_writes_nothing(agent_client, make_ticket):
    ticket = make_ticket()
    before = Comment.objects.count()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "  ", "visibility": "public"}
    )
    assert response.status_code == 422
    assert "Write a reply, pick a macro or choose a status." in text(response)
    assert Comment.objects.count() == before


def test_invalid_status_is_a_422(agent_client, make_ticket):
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "x", "visibility": "public", "status": "closed"}
    )
    assert response.status_code == 422
    assert "status:" in text(response)


def test_macro_preview_partial_and_apply(agent_client, make_ticket, agent):
    """The preview shows the macro's changes and text (and fills an empty reply box); sending
    with the macro chosen and an empty box applies it: its comment and its status."""
    ticket = make_ticket()
    macro = Macro.objects.get(title="General::Invite customer call")
    partial = text(
        agent_client.get(
            f"/tickets/{ticket.pk}/macro-preview?macro={macro.pk}&body=", HTTP_HX_REQUEST="true"
        )
    )
    assert "Preview: General::Invite customer call" in partial
    assert 'id="reply-body"' in partial and "hx-swap-oob" in partial
    assert "pending" in partial
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "", "macro": str(macro.pk), "visibility": "public"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    comment = Comment.objects.get(ticket=ticket, author=agent)
    assert comment.metadata == {"macro_id": macro.pk} and "Carol" in comment.body


def test_macro_with_edited_text_keeps_the_edit_and_the_macro_changes(
    agent_client, make_ticket, agent
):
    ticket = make_ticket()
    macro = Macro.objects.get(title="General::Invite customer call")
    agent_client.post(
        f"/tickets/{ticket.pk}/reply",
        {"body": "My own words.", "macro": str(macro.pk), "visibility": "public"},
    )
    ticket.refresh_from_db()
    comment = Comment.objects.get(ticket=ticket, author=agent)
    assert comment.body == "My own words." and ticket.status == TicketStatus.PENDING


def test_no_js_macro_preview_fills_the_reply_box(agent_client, make_ticket):
    """Without JS the Preview button posts the form: the page comes back with the preview and
    the macro's text in the reply box; nothing is written."""
    ticket = make_ticket()
    macro = Macro.objects.get(title="Prove support entitlement")
    before = Comment.objects.count()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply",
        {"body": "", "macro": str(macro.pk), "visibility": "public", "preview": "1"},
    )
    html = text(response)
    assert response.status_code == 200
    assert "Preview: Prove support entitlement" in html
    assert (
        "verify your support entitlement"
        in html.split('id="reply-body"')[1].split("</textarea>")[0]
    )
    assert Comment.objects.count() == before


def test_unknown_macro_is_a_422(agent_client, make_ticket):
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "", "macro": "999999", "visibility": "public"}
    )
    assert response.status_code == 422
    assert "macro: no such active macro." in text(response)


# The values a freshly rendered page sends back for a new, untagged ticket.
UNCHANGED = {
    "original_tags": "",
    "original_priority": "normal",
    "original_assignee": "",
    "original_group": "",
}


def test_properties_change_tags_assignee_priority(agent_client, make_ticket, agent):
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties",
        {"tags": "geo upgrade", "priority": "high", "assignee": str(agent.pk), "group": ""}
        | UNCHANGED,
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.priority == "high"
    assert ticket.tag_names() == ["geo", "upgrade"]


def test_properties_bad_assignee_is_422(agent_client, make_ticket, customer):
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties",
        {"tags": "", "priority": "normal", "assignee": str(customer.pk), "group": ""} | UNCHANGED,
    )
    assert response.status_code == 422
    assert "assignee: not an active agent." in text(response)


def test_bad_tag_is_422_with_message_and_nothing_written(agent_client, make_ticket):
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties",
        {"tags": "ok Bad<tag>", "priority": "normal", "assignee": "", "group": ""} | UNCHANGED,
    )
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert "ok" not in ticket.tag_names()


def test_merge_into_another_ticket(agent_client, make_ticket):
    """Merging asks first (nothing changes), then the confirmed POST merges."""
    source, target = make_ticket(subject="dup"), make_ticket(subject="main")
    response = agent_client.get(f"/tickets/{source.pk}/merge", {"target": f"#{target.pk}"})
    assert response.status_code == 200 and "Merge and close" in text(response)
    response = agent_client.post(f"/tickets/{source.pk}/merge", {"target": f"#{target.pk}"})
    assert response.status_code == 200 and "Merge and close" in text(response)
    source.refresh_from_db()
    assert source.merged_into_id is None
    response = agent_client.post(
        f"/tickets/{source.pk}/merge", {"target": f"#{target.pk}", "confirm": "1"}
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{target.pk}/"
    source.refresh_from_db()
    assert source.status == TicketStatus.CLOSED and source.merged_into_id == target.pk
    html = text(agent_client.get(f"/tickets/{target.pk}/"))
    assert f"/tickets/{source.pk}/" in html  # "merged here" link


def test_merge_into_a_missing_ticket_is_a_422(agent_client, make_ticket):
    source = make_ticket()
    response = agent_client.post(f"/tickets/{source.pk}/merge", {"target": "999999"})
    assert response.status_code == 422
    assert "target: ticket #999999 was not found." in text(response)
    response = agent_client.post(f"/tickets/{source.pk}/merge", {"target": "abc"})
    assert response.status_code == 422


def test_closed_ticket_offers_a_follow_up(agent_client, make_ticket):
    source, target = make_ticket(subject="dup", tags=["geo"]), make_ticket(subject="main")
    agent_client.post(f"/tickets/{source.pk}/merge", {"target": str(target.pk), "confirm": "1"})
    html = text(agent_client.get(f"/tickets/{source.pk}/"))
    assert "Create follow-up" in html and 'id="reply-form"' not in html
    response = agent_client.post(f"/tickets/{source.pk}/follow-up", {"body": "Still broken."})
    follow_up = Ticket.objects.get(follow_up_source=source)
    assert response["Location"] == f"/tickets/{follow_up.pk}/"
    assert "geo" in follow_up.tag_names()


def test_reply_on_closed_ticket_is_a_422(agent_client, make_ticket):
    source, target = make_ticket(), make_ticket()
    agent_client.post(f"/tickets/{source.pk}/merge", {"target": str(target.pk), "confirm": "1"})
    response = agent_client.post(
        f"/tickets/{source.pk}/reply", {"body": "hi", "visibility": "public"}
    )
    assert response.status_code == 422
    assert "is closed" in text(response)


def test_secret_warning_and_redact(agent_client, make_ticket):
    """A comment with a secret shows a warning and a Redact button that replaces it."""
    token = "glpat-" + "A1b2C3d4E5f6G7h8I9j0"
    ticket = make_ticket(description=f"our token is {token} please help")
    html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert "Possible secret" in html and token not in html.split("Possible secret")[1][:200]
    comment = Comment.objects.filter(ticket=ticket).exclude(secret_findings=[]).get()
    response = agent_client.post(f"/tickets/{ticket.pk}/redact", {"comment": str(comment.pk)})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert token not in comment.body and "[REDACTED" in comment.body


def test_redact_needs_a_target(agent_client, make_ticket):
    ticket = make_ticket()
    response = agent_client.post(f"/tickets/{ticket.pk}/redact", {})
    assert response.status_code == 422


def test_history_on_demand(agent_client, make_ticket, agent):
    ticket = make_ticket()
    agent_client.post(
        f"/tickets/{ticket.pk}/reply", {"body": "x", "visibility": "public", "status": "pending"}
    )
    partial = text(agent_client.get(f"/tickets/{ticket.pk}/history", HTTP_HX_REQUEST="true"))
    assert "<html" not in partial and "status: New → Pending" in partial
    full = text(agent_client.get(f"/tickets/{ticket.pk}/history"))
    assert "<html" in full and "History" in full


def test_attachment_upload_and_download(agent_client, make_ticket, client, customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket()
    upload = SimpleUploadedFile("notes.txt", b"gitlab-ctl status output\n", "text/plain")
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply",
        {"body": "Logs attached.", "visibility": "public", "files": [upload]},
    )
    assert response.status_code == 302
    attachment = ticket.attachments.get()
    html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert f"/attachments/{attachment.pk}/" in html
    download = agent_client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"gitlab-ctl status output\n"
    assert agent_client.get("/attachments/999999/").status_code == 404


def test_legacy_agent_link_redirects(agent_client):
    response = agent_client.get("/agent/tickets/12")
    assert response.status_code == 301 and response["Location"] == "/tickets/12/"


def test_search_groups_results_by_type(agent_client, make_ticket):
    make_ticket(subject="Registry cleanup policy")
    html = text(agent_client.get("/search?q=registry"))
    assert 'id="results-ticket"' in html and "Registry cleanup policy" in html
    html = text(agent_client.get("/search?q=acme"))
    assert 'id="results-organization"' in html and "Acme" in html
    html = text(agent_client.get("/search?q=type:user carol"))
    assert 'id="results-user"' in html and "carol@acme.test" in html


def test_search_bad_query_is_a_400_with_message(agent_client):
    response = agent_client.get('/search?q="unclosed')
    assert response.status_code == 400
    assert "could not be read" in text(response)
    # A page number that is not one is the first page (tests/portal/test_portal_fixes.py).
    assert agent_client.get("/search?q=x&page=0").status_code == 200


def test_dashboard_draws_svg_charts(agent_client, make_ticket):
    make_ticket()
    html = text(agent_client.get("/dashboard"))
    assert html.count("<svg") == 4
    assert "Tickets created and solved per day" in html
    assert "SLA achievement per support level" in html and "Unsolved tickets by age" in html
    assert "<script" not in html.split("<main")[1]  # charts need no JavaScript


def test_nav_links_to_oncall(agent_client):
    assert 'href="/oncall/"' in text(agent_client.get("/"))


def test_home_lists_unanswered_breaches_first(agent_client, make_ticket):
    """ "Due soonest" shows a breached, unanswered ticket (red) before ones still running, even
    once the sweeper has moved its due time on to the next clock."""
    import time_machine
    from django.utils import timezone

    from switchboard.core.sweeps import run_all_sweeps
    from switchboard.sla.models import TicketClock

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        late = make_ticket(subject="Late one", priority="urgent")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        run_all_sweeps()
        assert TicketClock.objects.filter(ticket=late, state="breached").exists()
        fresh = make_ticket(subject="Fresh one", priority="urgent")
        page = text(agent_client.get("/"))
    assert page.index(f"#{late.pk} Late one") < page.index(f"#{fresh.pk} Fresh one")
    late_row = page.split(f"#{late.pk} Late one")[0].rsplit("<tr", 1)[1]
    assert 'data-sla="breached"' in late_row and "breached 30m ago" in late_row


def test_view_list_pages_by_fifty(agent_client, make_ticket):
    """51 tickets: page 1 has 50 rows and a Next link, page 2 the last one and a Previous link;
    the filters stay in the page links."""
    for i in range(51):
        make_ticket(subject=f"Bulk {i}")
    view = View.objects.get(title="Unassigned tickets")
    first = text(agent_client.get(f"/views/{view.pk}/?q=bulk"))
    assert first.count('class="ticket-row"') == 50
    assert 'href="?q=bulk&page=2" rel="next"' in first and "Page 1 of 2" in first
    second = text(agent_client.get(f"/views/{view.pk}/?q=bulk&page=2"))
    assert second.count('class="ticket-row"') == 1 and 'rel="prev"' in second


def test_due_soonest_orders_breaches_then_due_times(agent, make_ticket):
    """The index-driven "due soonest": the oldest running breaches first (a ticket with several
    breached clocks counts once), then the earliest due times; solved tickets never show."""
    from django.utils import timezone

    from switchboard.sla.models import TicketClock
    from switchboard.web import queries

    now = timezone.now()
    tickets = [make_ticket(subject=f"T{i}", priority="urgent") for i in range(14)]
    # 12 breached, oldest breach first; every clock of a ticket breached at once.
    assert TicketClock.objects.filter(ticket=tickets[0], stopped_at__isnull=True).count() > 1
    for i, ticket in enumerate(tickets[:12]):
        TicketClock.objects.filter(ticket=ticket).update(
            state="breached", breached_at=now - timedelta(minutes=100 - i * 5)
        )
    assert queries.due_soonest(agent, limit=10, now=now) == tickets[:10]
    # Unbreach all but three: those three first (oldest breach first), then by due time.
    for ticket in tickets[3:12]:
        TicketClock.objects.filter(ticket=ticket).update(state="running", breached_at=None)
    tickets[1].status = "solved"
    tickets[1].save(update_fields=["status"])
    shown = queries.due_soonest(agent, limit=5, now=now)
    assert shown[:2] == [tickets[0], tickets[2]]
    running = sorted(tickets[3:], key=lambda t: (t.sla_due_at, t.pk))
    assert shown[2:] == running[:3]
    assert all(hasattr(t, "badge") for t in shown)


def test_ticket_page_shows_one_clock_row_per_metric(agent_client, agent, customer, make_ticket):
    """After several rounds of replies a ticket has many next-reply clocks; the side panel shows
    one row per metric: the running clock, else the last one that stopped."""
    from switchboard.sla.models import TicketClock
    from switchboard.tickets.actions.comments import add_comment

    ticket = make_ticket(subject="Many rounds", priority="urgent")
    for round_ in range(3):
        add_comment(ticket=ticket, author=agent, body=f"Answer {round_}")
        add_comment(ticket=ticket, author=customer, body=f"Follow-up {round_}")
    metrics = set(TicketClock.objects.filter(ticket=ticket).values_list("metric", flat=True))
    assert TicketClock.objects.filter(ticket=ticket).count() > len(metrics)  # several per metric
    html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    panel = html.split('<ul class="clocks">')[1].split("</ul>")[0]
    assert panel.count('<li class="clock"') == len(metrics)
    assert panel.count("Next reply time") == 1
