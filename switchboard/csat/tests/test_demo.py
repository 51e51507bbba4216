"""The demo data: seed_demo leaves a few ratings, their review tasks and no emails."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from switchboard.accounts.models import User
from switchboard.csat.models import ReviewTask, SatisfactionRating
from switchboard.notify.models import Delivery

pytestmark = pytest.mark.django_db


def test_seed_demo_has_ratings_and_a_reviewer_task(client):
    call_command("seed_demo")
    assert SatisfactionRating.objects.filter(score__in=["good", "bad"]).count() >= 5
    task = ReviewTask.objects.select_related("assignee").first()
    assert task is not None and task.assignee.email.endswith(".manager@switchboard.test")
    assert not Delivery.objects.exists()
    client.force_login(User.objects.get(email="morgan.manager@switchboard.test"))
    page = client.get("/csat/")
    assert page.status_code == 200 and b"csat-total" in page.content
    assert b"No surveys or ratings in this window" not in page.content
