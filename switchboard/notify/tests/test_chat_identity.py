"""The support bot answers as the person asking: linked chat users only, each with their own
access; linking through a signed one-time page; real signed HTTP requests to a live server."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from slack_sdk.signature import SignatureVerifier

from switchboard.accounts.tests.factories import AdminFactory, AgentFactory, UserFactory
from switchboard.notify.chat.actions import ChatUser, link_chat_user
from switchboard.notify.models import ChatIdentity
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import View

SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
TEAM = "T0001"


@pytest.fixture(autouse=True)
def _chat(settings):
    settings.SWITCHBOARD_CHAT_SIGNING_SECRET = SECRET
    settings.SWITCHBOARD_BASE_URL = "https://desk.example.test"


def form(text: str, user_id: str, user_name: str = "someone", team_id: str = TEAM) -> bytes:
    return urlencode(
        {
            "team_id": team_id,
            "user_id": user_id,
            "user_name": user_name,
            "command": "/switchboard",
            "text": text,
            "response_url": "https://hooks.slack.test/commands/1/2",
        }
    ).encode()


def signed_headers(body: bytes, *, timestamp: int | None = None, secret: str = SECRET):
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def ask(client, text: str, user_id: str, user_name: str = "someone") -> str:
    body = form(text, user_id, user_name)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed_headers(body).items()}
    response = client.post(
        "/chat/commands", data=body, content_type="application/x-www-form-urlencoded", **extra
    )
    assert response.status_code == 200, response.content
    return response.json()["text"]


def link(user, chat_user_id: str, name: str = "someone") -> None:
    link_chat_user(user=user, chat_user=ChatUser(TEAM, chat_user_id, name))


def counts(text: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r"^• (.+): \*(\d+)\*$", text, re.M)}


# --- who is asking ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["views", "ticket 1", "oncall"])
def test_unknown_chat_user_is_refused_with_how_to_link(client, text):
    """A chat user with no link gets no data, only how to link (it used to read as an admin)."""
    AdminFactory()
    customer = UserFactory()
    ticket = create_ticket(
        actor=customer, requester=customer, subject="Secret merger", description="x"
    )
    answer = ask(client, text.replace("1", str(ticket.pk)), "U_STRANGER", "mallory")
    assert "not linked to a Switchboard account" in answer
    assert "/switchboard link" in answer
    assert "Secret merger" not in answer and "Status" not in answer


@pytest.mark.django_db
def test_each_chat_user_gets_their_own_views_and_counts(client):
    """Two agents asking `views` see their own personal views and their own "My" counts."""
    ann, bob = AgentFactory(name="Ann"), AgentFactory(name="Bob")
    link(ann, "U_ANN")
    link(bob, "U_BOB")
    mine = {"all": [{"field": "assignee", "operator": "is", "value": "current_user"}]}
    View.objects.create(title="Ann's corner", owner=ann, conditions={})
    View.objects.create(title="Bob's corner", owner=bob, conditions={})
    View.objects.create(title="Assigned to me", conditions=mine)
    customer = UserFactory()
    for assignee in (ann, ann, bob):
        create_ticket(
            actor=ann, requester=customer, subject="s", description="d", assignee=assignee
        )
    as_ann, as_bob = counts(ask(client, "views", "U_ANN")), counts(ask(client, "views", "U_BOB"))
    assert "Ann's corner" in as_ann and "Bob's corner" not in as_ann
    assert "Bob's corner" in as_bob and "Ann's corner" not in as_bob
    assert as_ann["Assigned to me"] == 2
    assert as_bob["Assigned to me"] == 1


@pytest.mark.django_db
def test_views_answer_costs_the_same_queries_for_many_views(client):
    """One aggregate counts every view: 3 views and 30 views cost the same number of queries."""
    agent = AgentFactory()
    link(agent, "U_Q")
    View.objects.all().delete()

    def measure(n: int) -> int:
        View.objects.all().delete()
        for i in range(n):
            View.objects.create(
                title=f"v{i}",
                conditions={"all": [{"field": "status", "operator": "is", "value": "open"}]},
            )
        with CaptureQueriesContext(connection) as ctx:
            assert len(counts(ask(client, "views", "U_Q"))) == n
        return len(ctx.captured_queries)

    assert measure(3) == measure(30)


@pytest.mark.django_db
def test_deactivated_or_demoted_user_is_refused(client):
    agent = AgentFactory()
    link(agent, "U_GONE")
    View.objects.create(title="Mine", owner=agent, conditions={})
    assert "Your views" in ask(client, "views", "U_GONE")
    agent.role = "end_user"
    agent.save()
    assert "not an active agent" in ask(client, "views", "U_GONE")
    agent.role, agent.is_active = "agent", False
    agent.save()
    assert "not an active agent" in ask(client, "views", "U_GONE")


@pytest.mark.django_db
def test_unlink_removes_the_link(client):
    agent = AgentFactory()
    link(agent, "U_OUT")
    assert ask(client, "unlink", "U_OUT").startswith("Unlinked.")
    assert not ChatIdentity.objects.exists()
    assert "not linked" in ask(client, "views", "U_OUT")
    assert ask(client, "unlink", "U_OUT") == "Your chat account was not linked."


# --- linking ----------------------------------------------------------------------------------


def link_path(text: str) -> str:
    url = re.search(r"<(https://desk\.example\.test[^|>]+)\|", text).group(1)
    return urlsplit(url).path


@pytest.mark.django_db
def test_link_flow_confirms_then_links_the_signed_in_agent(client):
    """`link` gives a one-time page; the signed-in agent confirms; the bot then answers as them."""
    agent = AgentFactory(email="kim@switchboard.test")
    path = link_path(ask(client, "link", "U_KIM", "kim"))
    # Not signed in: sent to sign in first, nothing linked.
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(agent)
    page = client.get(path)
    assert page.status_code == 200
    assert b"@kim" in page.content and b"kim@switchboard.test" in page.content
    assert not ChatIdentity.objects.exists()  # a GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and b"Linked." in done.content
    identity = ChatIdentity.objects.get()
    assert (identity.team_id, identity.chat_user_id, identity.user) == (TEAM, "U_KIM", agent)
    View.objects.create(title="Kim's queue", owner=agent, conditions={})
    assert "Kim's queue" in ask(client, "views", "U_KIM")
    assert "Now linked to kim@switchboard.test" in ask(client, "link", "U_KIM", "kim")


@pytest.mark.django_db
def test_link_page_refuses_expired_forged_and_non_agents(client):
    agent = AgentFactory()
    customer = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(minutes=16)):
        old = link_path(ask(client, "link", "U_OLD"))
    client.force_login(agent)
    expired = client.post(old)
    assert expired.status_code == 400 and b"expired" in expired.content
    fresh = link_path(ask(client, "link", "U_NEW"))
    forged = client.post(fresh.rstrip("/") + "x/")
    assert forged.status_code == 400 and b"not valid" in forged.content
    client.force_login(customer)
    assert client.post(fresh).status_code == 403
    assert not ChatIdentity.objects.exists()


# --- real signed HTTP requests ----------------------------------------------------------------


def http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.django_db(transaction=True)
def test_signed_requests_over_http(live_server):
    """Over a real socket: a request signed by slack_sdk is answered as the linked agent;
    a wrong secret, a changed body, a replayed old timestamp or missing headers get 401."""
    agent = AgentFactory(name="Lee")
    link(agent, "U_LEE")
    View.objects.create(title="Lee's queue", owner=agent, conditions={})
    url = f"{live_server.url}/chat/commands"
    body = form("views", "U_LEE")

    status, content = http_post(url, body, signed_headers(body))
    assert status == 200, content
    text = json.loads(content)["text"]
    assert text.startswith("*Your views*") and "• Lee's queue: *0*" in text

    assert http_post(url, body, signed_headers(body, secret="wrong"))[0] == 401
    # The signature of one chat user's request does not carry over to another user id.
    other = form("views", "U_ADMIN")
    assert http_post(url, other, signed_headers(body))[0] == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 301)
    status, content = http_post(url, body, stale)
    assert (status, content) == (401, b"Unauthorized: stale timestamp.\n")
    assert http_post(url, body, {})[0] == 401
    assert (
        http_post(url, body, {**signed_headers(body), "X-Slack-Request-Timestamp": "1e9"})[0] == 401
    )
