"""Self-service API tokens (/settings/api-tokens): create with a name, shown once, stored hashed,
listed with last use, revoked; agents only; CSRF; audited; a fixed query count."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client

from switchboard.accounts.actions import user_for_token
from switchboard.accounts.models import AccountAuditEvent, ApiToken
from switchboard.accounts.tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/settings/api-tokens"


def _token_in(content: bytes) -> str:
    match = re.search(rb'<code id="new-token-value">(sb_[^<]+)</code>', content)
    assert match, "the new token is shown"
    return match.group(1).decode()


def test_agent_creates_a_token_shown_once_and_stored_hashed(agent_client, agent):
    response = agent_client.post(URL, {"name": "nightly export"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = _token_in(response.content)
    record = ApiToken.objects.get(user=agent)
    assert record.name == "nightly export"
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(record.__dict__)  # only the hash and a prefix are kept
    assert user_for_token(token) == agent  # and it works for the API

    page = agent_client.get(URL)
    assert token.encode() not in page.content  # never shown again
    assert b"nightly export" in page.content and record.prefix.encode() in page.content
    assert b"never" not in page.content  # user_for_token just used it
    audit = AccountAuditEvent.objects.get(user=agent, field="api_token")
    assert audit.actor == agent and audit.reason == "API token created"


def test_a_token_needs_a_name(agent_client, agent):
    response = agent_client.post(URL, {"name": "  "})
    assert response.status_code == 422
    assert b"Name the token" in response.content
    assert not ApiToken.objects.filter(user=agent).exists()


def test_revoke_own_token_only(agent_client, agent):
    agent_client.post(URL, {"name": "ci"})
    mine = ApiToken.objects.get(user=agent)
    other = ApiToken.objects.create(
        user=AgentFactory(), name="x", prefix="sb_x", token_hash="0" * 64
    )

    assert agent_client.post(f"{URL}/{other.pk}/revoke").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None

    response = agent_client.post(f"{URL}/{mine.pk}/revoke")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert AccountAuditEvent.objects.filter(
        user=agent, field="api_token", reason="API token revoked"
    ).exists()
    assert b"revoked" in agent_client.get(URL).content


def test_end_users_get_no_tokens_page_and_no_token(client):
    customer = UserFactory()
    client.force_login(customer)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"name": "mine"}).status_code == 404
    assert not ApiToken.objects.filter(user=customer).exists()
    assert Client().get(URL).status_code == 302  # anonymous: sign in first


def test_posts_need_the_csrf_token(agent):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(URL, {"name": "ci"}).status_code == 403
    assert not ApiToken.objects.filter(user=agent).exists()


def test_the_page_keeps_a_fixed_query_count(agent_client, agent, django_assert_max_num_queries):
    agent_client.post(URL, {"name": "one"})
    with django_assert_max_num_queries(8) as few:
        agent_client.get(URL)
    bound = len(few.captured_queries)  # read now: the next request clears the query log
    for n in range(10):
        agent_client.post(URL, {"name": f"token {n}"})
    with django_assert_max_num_queries(bound):
        assert agent_client.get(URL).status_code == 200
