"""`/pd-support-manager <what for>` from chat: an incident on the support managers' service,
opened as the linked agent; unlinked chat users are refused and nothing is opened."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.notify.chat import auth as chat_auth
from switchboard.notify.chat.actions import ChatUser, link_chat_user
from switchboard.oncall.models import EscalationLevel, EscalationPolicy, Incident, Service

pytestmark = pytest.mark.django_db

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM, STEVE = "T0001", "U2147483697"


@pytest.fixture
def managers(settings, person):
    settings.SWITCHBOARD_CHAT_SIGNING_SECRET = SECRET
    settings.SWITCHBOARD_BASE_URL = "https://desk.example.test"
    morgan = person("morgan")
    policy = EscalationPolicy.objects.create(name="Support Managers")
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=15)
    level.users.set([morgan])
    return Service.objects.create(name="Support Managers", escalation_policy=policy), morgan


def slash(client, text: str, command: str = "/pd-support-manager") -> str:
    body = urlencode(
        {"team_id": TEAM, "user_id": STEVE, "user_name": "steve", "command": command, "text": text}
    ).encode()
    timestamp = str(int(time.time()))
    response = client.post(
        "/chat/commands",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=timestamp,
        HTTP_X_SLACK_SIGNATURE=chat_auth.sign(SECRET, timestamp, body),
    )
    assert response.status_code == 200
    return response.json()["text"]


def test_pd_support_manager_pages_the_managers_as_the_linked_agent(client, managers):
    service, morgan = managers
    steve = AgentFactory(name="Steve Agent", email="steve@switchboard.test")
    link_chat_user(user=steve, chat_user=ChatUser(TEAM, STEVE, "steve"))
    text = slash(client, "Acme wants a manager on the call <now>")
    incident = Incident.objects.get()
    assert incident.service == service and incident.origin == "chat"
    assert incident.summary == "Acme wants a manager on the call <now>"
    assert incident.source == "chat: steve@switchboard.test"
    assert incident.notifications.filter(user=morgan).exists()  # the manager is paged
    url = f"https://desk.example.test/oncall/incidents/{incident.pk}/"
    assert text.startswith(f"Paged *Support Managers*: <{url}|incident #{incident.pk}>")
    assert "&lt;now&gt;" in text  # chat markup escaped
    # no text: usage, nothing opened
    assert slash(client, "  ").startswith("Usage: `/pd-support-manager")
    assert Incident.objects.count() == 1


def test_pd_support_manager_refuses_unlinked_chat_users(client, managers):
    text = slash(client, "Need a manager")
    assert "is not linked to a Switchboard account" in text
    assert not Incident.objects.exists()


def test_pd_support_manager_without_the_service_says_so(client, managers, settings):
    settings.SWITCHBOARD_ONCALL_SUPPORT_MANAGER_SERVICE = "Nope"
    steve = AgentFactory()
    link_chat_user(user=steve, chat_user=ChatUser(TEAM, STEVE, "steve"))
    assert "no on-call service named “Nope”" in slash(client, "Need a manager")
    assert not Incident.objects.exists()


def test_the_support_bot_command_is_unchanged(client, managers):
    steve = AgentFactory()
    link_chat_user(user=steve, chat_user=ChatUser(TEAM, STEVE, "steve"))
    assert "Switchboard support bot" in slash(client, "help", command="/switchboard")
    assert not Incident.objects.exists()
