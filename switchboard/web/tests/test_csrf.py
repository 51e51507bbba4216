"""Every form of the workspace is CSRF-protected: a POST without the token is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from switchboard.tickets.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_client(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


def test_posts_without_token_are_refused(strict_client, make_ticket):
    ticket = make_ticket()
    before = Comment.objects.count()
    for url, data in [
        (f"/tickets/{ticket.pk}/reply", {"body": "hi", "visibility": "public"}),
        (f"/tickets/{ticket.pk}/properties", {"priority": "high"}),
        (f"/tickets/{ticket.pk}/merge", {"target": "1"}),
        (f"/tickets/{ticket.pk}/redact", {"comment": "1"}),
        ("/logout/", {}),
    ]:
        assert strict_client.post(url, data).status_code == 403, url
    assert Comment.objects.count() == before


def test_post_with_the_pages_token_works(strict_client, make_ticket):
    ticket = make_ticket()
    strict_client.get(f"/tickets/{ticket.pk}/")
    token = strict_client.cookies["csrftoken"].value
    response = strict_client.post(
        f"/tickets/{ticket.pk}/reply",
        {"body": "hi", "visibility": "public", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_login_form_needs_the_token(agent):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": agent.email, "password": "pw-for-tests-123"})
    assert response.status_code == 403
