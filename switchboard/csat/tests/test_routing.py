"""Routing: a bad rating opens a follow-up task for whoever is on the SSAT Reviewing Manager
schedule at that moment; product-team reasons notify the product team; every answer goes to the
webhooks subscribed to satisfaction_rating.created; a CSM/TAM's logged feedback routes the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.csat import actions
from switchboard.csat.models import Kind, Reason, ReviewTask, SatisfactionRating, TaskStatus
from switchboard.csat.tests.conftest import solved_ticket, survey_emails, survey_token
from switchboard.csat.tests.test_offer import DAY, sweep
from switchboard.notify.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def offer_at(customer, agent, when):
    with time_machine.travel(when - 2 * DAY, tick=False):
        ticket = solved_ticket(customer, agent)
    sweep(when - DAY)
    return ticket, survey_token(survey_emails()[-1], "bad")


@pytest.mark.parametrize(
    ("when", "reviewer"),
    [
        (datetime(2026, 1, 7, 12, tzinfo=UTC), 0),  # week of Jan 5: Morgan
        (datetime(2026, 1, 14, 12, tzinfo=UTC), 1),  # week of Jan 12: Nadia
        (datetime(2026, 1, 19, 6, 59, tzinfo=UTC), 1),  # Monday before the 07:00 hand-off
        (datetime(2026, 1, 19, 7, 0, tzinfo=UTC), 2),  # after it: Oscar
        (datetime(2026, 1, 28, 9, tzinfo=UTC), 0),  # and round again
    ],
)
def test_bad_rating_lands_on_that_weeks_reviewing_manager(
    when, reviewer, customer, agent, managers, reviewing_schedule
):
    ticket, token = offer_at(customer, agent, when)
    actions.rate_with_token(
        token=token, score="bad", reason=Reason.NOT_TIMELY, comment="Took a week", now=when
    )
    task = ReviewTask.objects.get()
    assert task.assignee == managers[reviewer]
    assert task.ticket_id == ticket.pk
    assert task.due_at == when + timedelta(hours=72)
    assert task.schedule_name == "SSAT Reviewing Manager"
    (mail,) = Delivery.objects.filter(event="csat.review_task")
    assert mail.recipient == managers[reviewer].email
    assert "Took a week" in mail.payload["text"]
    assert "wasn't delivered in a timely manner" in mail.payload["text"]


def test_reviewer_sees_the_task_with_ticket_comment_and_reason(
    client, customer, agent, managers, reviewing_schedule
):
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    ticket, token = offer_at(customer, agent, now)
    actions.rate_with_token(
        token=token, score="bad", reason=Reason.NOT_HELPFUL, comment="Canned answer", now=now
    )
    client.force_login(managers[0])
    page = client.get("/csat/tasks/").content.decode()
    assert f"#{ticket.pk}" in page and "Canned answer" in page
    assert "The answer wasn&#x27;t helpful" in page
    task = ReviewTask.objects.get()
    detail = client.get(f"/csat/tasks/{task.pk}/").content.decode()
    assert "Canned answer" in detail
    # another agent does not see it
    client.force_login(AgentFactory())
    assert client.get(f"/csat/tasks/{task.pk}/").status_code == 404
    # the reviewer closes it
    client.force_login(managers[0])
    assert client.post(f"/csat/tasks/{task.pk}/", {"resolution": ""}).status_code == 422
    client.post(f"/csat/tasks/{task.pk}/", {"resolution": "Called the customer."})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_by == managers[0]


def test_one_task_per_rating_even_when_changed_back_and_forth(
    customer, agent, managers, reviewing_schedule
):
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    _, token = offer_at(customer, agent, now)
    actions.rate_with_token(token=token, score="bad", now=now)
    actions.rate_with_token(token=token, score="good", now=now + timedelta(hours=1))
    actions.rate_with_token(token=token, score="bad", now=now + timedelta(hours=2))
    assert ReviewTask.objects.count() == 1
    assert "changed the rating to good" in ReviewTask.objects.get().resolution


def test_no_schedule_leaves_the_task_unassigned_for_every_manager(customer, agent, managers):
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    _, token = offer_at(customer, agent, now)
    actions.rate_with_token(token=token, score="bad", now=now)
    task = ReviewTask.objects.get()
    assert task.assignee is None
    from switchboard.csat.queries import tasks_for

    assert list(tasks_for(managers[2])) == [task]


def test_product_team_reason_notifies_the_product_team(
    customer, agent, managers, reviewing_schedule, settings
):
    settings.SWITCHBOARD_CSAT_PRODUCT_TEAM_EMAIL = "product@switchboard.test"
    settings.SWITCHBOARD_CSAT_PRODUCT_TEAM_ENDPOINT = "Product feedback"
    Endpoint.objects.create(
        name="Product feedback",
        kind="chat",
        url="http://127.0.0.1:9/hook",
        secret="whsec_c2VjcmV0LXMtZm9yLXRlc3RzLTAwMDAwMDAwMDAwMA==",
    )
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    _, token = offer_at(customer, agent, now)
    actions.rate_with_token(
        token=token, score="bad", reason=Reason.NOT_MEETING_NEEDS, comment="No LDAP", now=now
    )
    (mail,) = Delivery.objects.filter(event="csat.product_feedback", channel="email")
    assert mail.recipient == "product@switchboard.test" and "No LDAP" in mail.payload["text"]
    (chat,) = Delivery.objects.filter(event="csat.product_feedback", channel="chat")
    assert "No LDAP" in json.dumps(chat.payload)
    # a support-manager reason does not go to the product team
    _, token2 = offer_at(customer, agent, now)
    actions.rate_with_token(token=token2, score="bad", reason=Reason.NOT_RESOLVED, now=now)
    assert Delivery.objects.filter(event="csat.product_feedback").count() == 2


def test_every_answer_goes_to_subscribed_webhooks(customer, agent):
    subscribed = Endpoint.objects.create(
        name="CSAT export",
        kind="webhook",
        url="http://127.0.0.1:9/csat",
        secret="whsec_c2VjcmV0LXMtZm9yLXRlc3RzLTAwMDAwMDAwMDAwMA==",
        events=["satisfaction_rating.created"],
    )
    Endpoint.objects.create(
        name="Other",
        kind="webhook",
        url="http://127.0.0.1:9/x",
        secret="whsec_c2VjcmV0LXQtZm9yLXRlc3RzLTAwMDAwMDAwMDAwMA==",
    )
    now = timezone.now()
    _, token = offer_at(customer, agent, now)
    actions.rate_with_token(token=token, score="good", comment="Great", now=now)
    _ = SatisfactionRating.objects.get().ticket
    (hook,) = Delivery.objects.filter(event="satisfaction_rating.created")
    assert hook.endpoint == subscribed
    assert hook.payload["event"] == "satisfaction_rating.created"
    record = hook.payload["data"]["satisfaction_rating"]
    assert (record["score"], record["comment"], record["ticket_id"]) == ("good", "Great", _.pk)


def test_csm_logs_emailed_feedback_and_it_reaches_the_reviewer(
    client, customer, agent, org, managers, reviewing_schedule
):
    csm = AgentFactory(email="tam@switchboard.test")
    org.account_manager = csm
    org.save()
    now = datetime(2026, 1, 14, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        ticket = solved_ticket(customer, agent)
        client.force_login(csm)
        response = client.post(
            f"/tickets/{ticket.pk}/csat-feedback",
            {"score": "bad", "reason_code": "1003", "comment": "Email to TAM: still failing"},
        )
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get(kind=Kind.LOGGED)
    assert rating.logged_by == csm and rating.organization == org
    assert ReviewTask.objects.get(rating=rating).assignee == managers[1]
    # another agent may not log feedback for this organization
    with pytest.raises(PermissionDenied):
        actions.log_feedback(ticket=ticket, logged_by=agent, score="good", comment="x")
    with pytest.raises(ValidationFailed):
        actions.log_feedback(ticket=ticket, logged_by=csm, score="good", comment="")
