"""The support bot: Slack v0 signatures (slack_sdk), who is asking (linked chat users only), and
the `views`, `ticket`, `oncall`, `link` and `unlink` answers."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.notify.chat import auth as chat_auth
from switchboard.notify.chat import bot
from switchboard.notify.chat.actions import ChatUser, link_chat_user
from switchboard.tickets.actions.create import create_ticket

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
URL = "/chat/commands"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TEAM = "T0001"
STEVE = "U2147483697"


@pytest.fixture(autouse=True)
def _chat(settings):
    settings.SWITCHBOARD_CHAT_SIGNING_SECRET = SECRET
    settings.SWITCHBOARD_BASE_URL = "https://desk.example.test"


def link(user, chat_user_id: str = STEVE, name: str = "steve") -> None:
    link_chat_user(user=user, chat_user=ChatUser(TEAM, chat_user_id, name))


def form(text: str, command: str = "/switchboard", user_id: str = STEVE) -> bytes:
    return urlencode(
        {
            "token": "deprecated",
            "team_id": TEAM,
            "channel_id": "C2147483705",
            "user_id": user_id,
            "user_name": "steve",
            "command": command,
            "text": text,
            "response_url": "https://hooks.slack.test/commands/1234/5678",
        }
    ).encode()


def post(
    client,
    body: bytes,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    secret: str = SECRET,
    headers: bool = True,
):
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    extra = {}
    if headers:
        extra = {
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
            "HTTP_X_SLACK_SIGNATURE": signature or chat_auth.sign(secret, timestamp, body),
        }
    return client.post(URL, data=body, content_type="application/x-www-form-urlencoded", **extra)


def command(client, text: str, user_id: str = STEVE) -> str:
    response = post(client, form(text, user_id=user_id))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["response_type"] == "ephemeral"
    assert data["blocks"][0]["text"]["type"] == "mrkdwn"
    assert data["blocks"][0]["text"]["text"] == data["text"]
    return data["text"]


# --- signatures ------------------------------------------------------------------------------


def test_sign_is_slacks_v0_scheme():
    body = b"token=x&team_id=T1&command=%2Fswitchboard&text=views"
    expected = hmac.new(SECRET.encode(), b"v0:1531420618:" + body, hashlib.sha256).hexdigest()
    assert chat_auth.sign(SECRET, "1531420618", body) == f"v0={expected}"
    good = f"v0={expected}"
    assert chat_auth.verify(SECRET, "1531420618", good, body, now=1531420618 + 10) is None
    assert chat_auth.verify(SECRET, "1531420618", good, body + b"x", now=1531420618) is not None
    assert chat_auth.verify(SECRET, "1531420618", good, body, now=1531420618 + 301) is not None
    assert chat_auth.verify(SECRET, "abc", good, body, now=1531420618) is not None
    assert chat_auth.verify("", "1531420618", good, body, now=1531420618) is not None


@pytest.mark.django_db
def test_valid_signature_is_accepted(client):
    AdminFactory()
    assert "Switchboard support bot" in command(client, "help")


@pytest.mark.django_db
def test_wrong_signature_is_rejected(client):
    response = post(client, form("views"), secret="not-the-secret")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_tampered_body_is_rejected(client):
    ts = str(int(time.time()))
    signature = chat_auth.sign(SECRET, ts, form("help"))
    response = post(client, form("views"), timestamp=ts, signature=signature)
    assert response.status_code == 401


@pytest.mark.django_db
def test_missing_headers_are_rejected(client):
    assert post(client, form("views"), headers=False).status_code == 401


@pytest.mark.django_db
def test_stale_timestamp_is_rejected(client):
    body = form("views")
    with time_machine.travel(NOW, tick=False):
        ts = str(int(time.time()))
        signature = chat_auth.sign(SECRET, ts, body)
    with time_machine.travel(NOW + timedelta(minutes=5, seconds=1), tick=False):
        response = post(client, body, timestamp=ts, signature=signature)
    assert response.status_code == 401
    assert b"stale" in response.content
    with time_machine.travel(NOW + timedelta(minutes=4, seconds=59), tick=False):
        link(AdminFactory())
        assert post(client, body, timestamp=ts, signature=signature).status_code == 200


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_disabled_without_a_secret(client, settings):
    settings.SWITCHBOARD_CHAT_SIGNING_SECRET = ""
    assert post(client, form("views")).status_code == 404
    assert client.get(URL).status_code == 404


# --- answers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_command_gives_usage(client):
    AdminFactory()
    for text in ["", "frobnicate", "ticket", "views please"]:
        assert command(client, text) == bot.USAGE


def view_counts(text: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r"^• (.+): \*(\d+)\*$", text, re.M)}


@pytest.mark.django_db
def test_views_counts(client):
    admin = AdminFactory()
    link(admin)
    bob = AgentFactory(name="Bob")
    acme = OrganizationFactory(name="Acme", product_line="self_managed")
    grace = UserFactory(name="Grace", organization=acme)
    for status, assignee in [("new", None), ("new", None), ("open", bob), ("pending", admin)]:
        create_ticket(
            actor=bob,
            subject="Help",
            description="It broke.",
            requester=grace,
            status=status,
            assignee=assignee,
        )
    create_ticket(actor=bob, subject="Old", description="x", requester=grace, status="solved")
    counts = view_counts(command(client, "views"))
    assert counts == {
        "My open tickets": 1,
        "Unassigned tickets": 2,
        "New awaiting first reply (FRT hawk)": 2,
        "Breaching within 2 h (SLA hawk)": 0,
        "Entitlement unverified": 0,
        "Self-managed open": 4,
        "SaaS open": 0,
        "Recently solved": 1,
    }


@pytest.mark.django_db
def test_ticket_answer(client):
    link(AdminFactory())
    bob = AgentFactory(name="Bob Builder")
    acme = OrganizationFactory(name="Acme & Sons", product_line="self_managed")
    grace = UserFactory(name="Grace", organization=acme)
    ticket = create_ticket(
        actor=bob,
        subject="Backups <fail>",
        description="Nightly backup fails.",
        requester=grace,
        status="open",
        priority="high",
        assignee=bob,
    )
    text = command(client, f"ticket {ticket.pk}")
    lines = text.splitlines()
    assert "Status: Open" in lines
    assert "Priority: High (severity 2)" in lines
    assert "Assignee: Bob Builder" in lines
    assert "Organization: Acme &amp; Sons" in lines
    assert "Backups &lt;fail&gt;" in lines[0]
    assert any(line.startswith("SLA: ") for line in lines)
    url = f"https://desk.example.test/tickets/{ticket.pk}/"
    assert url in lines
    assert "/api/" not in text
    assert command(client, f"ticket #{ticket.pk}") == text
    assert command(client, "ticket 999999") == "Ticket #999999 not found."


def test_format_duration():
    assert bot.format_duration(timedelta(minutes=5)) == "5m"
    assert bot.format_duration(timedelta(hours=2, minutes=3)) == "2h 3m"
    assert bot.format_duration(-timedelta(days=1, minutes=1)) == "1d 0h 1m"


# --- on-call ---------------------------------------------------------------------------------

# Wednesday of the third weekly turn since the demo hand-off (Mon 2026-0105 07:00 UTC), so every
# rotation is on index 2 (mod its length); 16:00 UTC is inside AMER hours (15:00-23:00) only.
ONCALL_AT = datetime(2026, 1, 21, 16, 0, tzinfo=UTC)


@pytest.fixture
def demo_oncall(db):
    from switchboard.accounts import demo as accounts_demo
    from switchboard.oncall import demo as oncall_demo

    with time_machine.travel(ONCALL_AT, tick=False):
        accounts_demo.seed()
        oncall_demo.seed()
    from switchboard.accounts.models import Role, User

    link(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first())


@pytest.mark.django_db
def test_oncall_now_for_every_schedule(client, demo_oncall):
    with time_machine.travel(ONCALL_AT, tick=False):
        text = command(client, "oncall")
    assert text.splitlines() == [
        "*On call now*",
        "• Customer Emergency AMER: Carlos Mendes",  # agent, brooke, [carlos], dana
        "• Customer Emergency APAC: _nobody_",  # 23:00-07:00 only
        "• Customer Emergency EMEA: _nobody_",  # 07:00-15:00 only
        "• EMEA Escalation: Nadia Petrova",  # [nadia], gareth (2 mod 2 = 0)
        "• FRT Hawk: Isabel Tan",  # agent, emil, [isabel], ...
        "• SLA Hawk: Kiri Walker",  # brooke, gareth, [kiri], ...
        "• SSAT Reviewing Manager: Oscar Reyes",  # morgan, nadia, [oscar]
        "• Support Manager AMER: Morgan Lee",
        "• Support Manager APAC: _nobody_",
        "• Support Manager EMEA: _nobody_",
        "• US Federal On-call: Brooke Chen",  # [brooke], dana
    ]


@pytest.mark.django_db
def test_oncall_one_schedule_with_next_handoff(client, demo_oncall):
    with time_machine.travel(ONCALL_AT, tick=False):
        amer = command(client, "oncall customer emergency AMER")
        emea = command(client, "oncall Customer Emergency EMEA")
        unknown = command(client, "oncall Nope")
    assert amer.splitlines() == [
        "*Customer Emergency AMER*",
        "On call now: Carlos Mendes (until Wed 2026-01-21 23:00 UTC)",
        "Next hand-off: Dana Whitfield from Mon 2026-01-26 15:00 UTC",
    ]
    assert emea.splitlines() == [
        "*Customer Emergency EMEA*",
        "On call now: _nobody_",
        "Next hand-off: Gareth Jones from Thu 2026-01-22 07:00 UTC",
    ]
    assert unknown.startswith("No on-call schedule named “Nope”. Schedules: ")
    assert "Customer Emergency AMER" in unknown and "US Federal On-call" in unknown
