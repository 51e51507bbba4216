"""In a real browser (Debian's Chromium, headless): the customer follows the emailed Bad link,
confirms Bad with a reason and a comment; the manager sees it on /csat/ and this week's
reviewing manager sees the follow-up task."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from switchboard.csat.actions import reviewer_at
from switchboard.csat.models import ReviewTask, SatisfactionRating
from switchboard.csat.tests.conftest import links_in, solved_ticket, survey_emails
from switchboard.csat.tests.test_offer import DAY, sweep
from switchboard.web.tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_customer_rates_bad_manager_sees_it_and_reviewer_gets_the_task(
    page, customer, agent, managers, reviewing_schedule
):
    now = timezone.now()
    with time_machine.travel(now - DAY - timedelta(minutes=5), tick=False):
        ticket = solved_ticket(customer, agent, subject="Backup restore fails")
    sweep(timezone.now())
    (email,) = survey_emails()
    bad_link = next(link for link in links_in(email) if "score=bad" in link)
    path = "/" + bad_link.split("://", 1)[1].split("/", 1)[1]

    # the customer follows the link: Bad is preselected, nothing is recorded yet
    page.goto(path)
    assert page.is_checked("input[name=score][value=bad]")
    assert SatisfactionRating.objects.get().score == "offered"
    page.select_option("#reason_code", label="My issue was not resolved")
    page.fill("#comment", "The restore still fails on the second node.")
    page.click("button[type=submit]")
    page.locator("#csat-saved").wait_for()
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.reason_code) == ("bad", 1003)

    # the reviewing manager of this week (one of the three managers) sees it everywhere
    reviewer, _ = reviewer_at(timezone.now())
    assert reviewer in managers
    assert ReviewTask.objects.get().assignee == reviewer
    sign_in(page, reviewer.email)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/csat/")
    assert page.locator("#csat-total").inner_text() == "0.0 %"
    assert page.locator("#csat-n").inner_text() == "1"
    comments = page.locator("#csat-comments")
    assert "The restore still fails on the second node." in comments.inner_text()
    assert "My issue was not resolved" in comments.inner_text()

    page.click("nav >> text=CSAT")
    row = page.locator("#csat-tasks tr", has_text="Backup restore fails")
    row.wait_for()
    row.locator("a").click()
    page.wait_for_url(re.compile(r"/csat/tasks/\d+/$"))
    assert page.locator("#task-reason").inner_text() == "My issue was not resolved"
    assert "second node" in page.locator("#task-comment").inner_text()
    assert f"#{ticket.pk}" in page.locator("h1").inner_text()
