"""Rating through the survey link: a GET never records (mail scanners), only the POST does; the
token is bound to the ticket, requester and solve cycle, stored hashed; agents cannot rate."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from switchboard.accounts.tests.factories import UserFactory
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.csat import actions
from switchboard.csat.models import Kind, Reason, SatisfactionRating, Score
from switchboard.csat.tests.conftest import links_in, solved_ticket, survey_emails, survey_token
from switchboard.csat.tests.test_offer import DAY, sweep

pytestmark = pytest.mark.django_db


def offered(customer, agent, n=1):
    start = timezone.now() - 2 * DAY
    with time_machine.travel(start, tick=False):
        tickets = [solved_ticket(customer, agent, subject=f"Problem {i}") for i in range(n)]
    sweep(timezone.now())
    return tickets


def test_a_scanner_opening_every_link_of_100_survey_emails_records_nothing(customer, agent):
    """GET (and HEAD) of every link in 100 survey emails, as a mail scanner does: 0 ratings."""
    offered(customer, agent, n=100)
    emails = survey_emails()
    assert len(emails) == 100
    scanner = Client()  # no cookies kept between links, like a scanner
    fetched = 0
    for email in emails:
        for link in links_in(email):
            path = link.split("://", 1)[1].split("/", 1)[1]
            for method in (scanner.get, scanner.head):
                response = method("/" + path)
                assert response.status_code in (200, 302), link
            fetched += 1
    assert fetched >= 300  # good, bad and the ticket link in each
    assert SatisfactionRating.objects.filter(score__in=["good", "bad"]).count() == 0
    assert SatisfactionRating.objects.filter(score=Score.OFFERED).count() == 100


def test_get_preselects_and_post_records_then_changes(customer, agent):
    """The Bad link shows Bad preselected; the POST records it; posting again changes it."""
    offered(customer, agent)
    token = survey_token(survey_emails()[0], "bad")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/csat/survey/{token}/?score=bad")
    assert page.status_code == 200
    assert b'value="bad" checked' in page.content
    assert SatisfactionRating.objects.get().score == Score.OFFERED

    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/csat/survey/{token}/",
        {
            "score": "bad",
            "reason_code": str(Reason.NOT_RESOLVED.value),
            "comment": "Still broken",
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.reason_code, rating.comment) == ("bad", 1003, "Still broken")

    browser.post(f"/csat/survey/{token}/", {"score": "good", "csrfmiddlewaretoken": csrf})
    rating.refresh_from_db()
    assert (rating.score, rating.reason_code) == ("good", 0)


def test_a_post_from_another_site_is_refused(customer, agent):
    """No CSRF cookie/token (a form on another site): 403, nothing recorded."""
    offered(customer, agent)
    token = survey_token(survey_emails()[0], "good")
    response = Client(enforce_csrf_checks=True).post(f"/csat/survey/{token}/", {"score": "good"})
    assert response.status_code == 403
    assert SatisfactionRating.objects.get().score == Score.OFFERED


def test_token_is_stored_hashed_and_long(customer, agent):
    """≥128 random bits; only the SHA-256 is in the database; an unknown token is a 404."""
    offered(customer, agent)
    token = survey_token(survey_emails()[0])
    assert len(token) >= 43  # 32 bytes of URL-safe base64
    rating = SatisfactionRating.objects.get()
    assert rating.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(SatisfactionRating.objects.values_list().get())
    assert Client().get(f"/csat/survey/{token[:-2]}xx/").status_code == 404


def test_link_expires_after_the_change_window(customer, agent, settings):
    """Rating and changing are allowed for SWITCHBOARD_CSAT_CHANGE_DAYS after the offer."""
    settings.SWITCHBOARD_CSAT_CHANGE_DAYS = 3
    offered(customer, agent)
    token = survey_token(survey_emails()[0])
    actions.rate_with_token(token=token, score="good")
    later = timezone.now() + timedelta(days=3, minutes=1)
    with pytest.raises(ValidationFailed, match="expired"):
        actions.rate_with_token(token=token, score="bad", now=later)
    assert SatisfactionRating.objects.get().score == Score.GOOD


def test_bad_input_is_refused_without_writing(customer, agent):
    offered(customer, agent)
    token = survey_token(survey_emails()[0])
    with pytest.raises(ValidationFailed, match="score"):
        actions.rate_with_token(token=token, score="meh")
    with pytest.raises(ValidationFailed, match="reason_code"):
        actions.rate_with_token(token=token, score="bad", reason="7x")
    with pytest.raises(ValidationFailed, match="comment"):
        actions.rate_with_token(token=token, score="bad", comment="x" * 5001)
    assert SatisfactionRating.objects.get().score == Score.OFFERED


def test_agents_and_other_users_cannot_rate(customer, agent, org):
    """Only the requester rates; an agent, or a colleague of the requester, cannot."""
    (ticket,) = offered(customer, agent)
    with pytest.raises(PermissionDenied):
        actions.rate_as_requester(ticket=ticket, user=agent, score="good")
    colleague = UserFactory(email="col@acme.test", organization=org)
    with pytest.raises(Exception):  # noqa: B017 - NotFound or PermissionDenied, both refuse
        actions.rate_as_requester(ticket=ticket, user=colleague, score="good")
    assert SatisfactionRating.objects.get().score == Score.OFFERED


def test_portal_how_are_we_doing_records_mid_ticket_feedback(customer, agent, client):
    """On an open ticket the portal's feedback page records feedback for the current cycle."""
    from switchboard.csat.tests.conftest import new_ticket

    ticket = new_ticket(customer)
    client.force_login(customer)
    page = client.get(f"/portal/tickets/{ticket.pk}/")
    assert f"/portal/tickets/{ticket.pk}/feedback".encode() in page.content
    assert client.get(f"/portal/tickets/{ticket.pk}/feedback").status_code == 200
    response = client.post(
        f"/portal/tickets/{ticket.pk}/feedback", {"score": "good", "comment": "Fast, thanks"}
    )
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.kind, rating.score, rating.comment) == (Kind.FEEDBACK, "good", "Fast, thanks")
    client.force_login(agent)
    assert client.get(f"/portal/tickets/{ticket.pk}/feedback").status_code in (302, 404)


def test_agent_reply_email_to_the_requester_carries_how_are_we_doing(customer, agent):
    """The requester's copy of an agent's reply has the feedback link; agents' emails do not."""
    from switchboard.csat.tests.conftest import new_ticket
    from switchboard.notify.models import Delivery
    from switchboard.tickets.actions.comments import add_comment

    ticket = new_ticket(customer)
    add_comment(ticket=ticket, author=agent, body="Try restarting.", public=True)
    mail = Delivery.objects.filter(recipient=customer.email, event="ticket.commented").get()
    link = f"/portal/tickets/{ticket.pk}/feedback"
    assert link in mail.payload["text"] and link in mail.payload["html"]
    others = Delivery.objects.exclude(recipient=customer.email).filter(channel="email")
    assert all(link not in d.payload["text"] for d in others)


def test_task_list_runs_a_fixed_number_of_queries(client, customer, agent, managers):
    """The reviewer's task list: same queries for 2 tasks as for 12."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        tickets = offered(customer, agent, n=n)
        for ticket in tickets:
            rating = SatisfactionRating.objects.get(ticket=ticket, kind="survey")
            actions._record(
                rating, score="bad", reason=1002, comment="slow", source="api", now=timezone.now()
            )

    client.force_login(managers[0])
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/csat/tasks/").status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/csat/tasks/")
    assert page.content.decode().count("slow") == 12
    assert len(more) == len(few)
