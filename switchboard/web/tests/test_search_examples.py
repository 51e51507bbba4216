"""Every search example the UI shows (search page help, home page hint, placeholders) and the
examples table of docs/search.md returns the tickets it promises, through the web search page and
the API (#16: "a test runs every example the UI shows")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.api.tests.conftest import client_for
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket
from switchboard.tickets.search import search

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[3] / "docs" / "search.md"
TICKET_201 = 201

PEOPLE = {"u:alex", "u:grace", "u:hank", "u:ivy"}
# example -> the labels it finds (tickets "T1"..., people "u:...", organizations "o:...").
EXPECTED: dict[str, set[str]] = {
    'status<solved priority:urgent "disk full"': {"T2"},
    "#201": {"T201"},
    # organization: applies to tickets and people; created: to all three types
    "organization:acme": {"T1", "T2", "u:grace"},
    'organization:"Acme Corp"': {"T1", "T2", "u:grace"},
    "created>1day": {"T1", *PEOPLE, "o:acme", "o:globex"},
    "updated<2hours status<solved": {"T2", "T3", "T201"},
    "solved>=2026-11-01": {"T4"},
    "subject:printer": {"T1"},
    'description:"error 42"': {"T1"},
    "via:email": {"T2"},
    "assignee:me status<solved order_by:priority sort:desc": {"T2", "T1"},
    "tags:vip -status:closed": {"T3", "T4"},
    "requester:grace*": {"T1", "T2"},
    "type:user grace": {"u:grace"},
    "type:ticket status:open": {"T1", "T3"},
    "tags:entitlement_unverified": {"T201"},
    "type:user alex": {"u:alex"},
}
# Examples whose order is part of what they show.
ORDERED = {"assignee:me status<solved order_by:priority sort:desc": ["T2", "T1"]}


class Desk:
    def __init__(self) -> None:
        now = timezone.now()
        self.me = AgentFactory(name="Alex Agent")
        acme = OrganizationFactory(name="Acme Corp")
        globex = OrganizationFactory(name="Globex")
        self.grace = UserFactory(name="Grace Hopper", email="grace@acme.test", organization=acme)
        hank = UserFactory(name="Hank Hill", email="hank@globex.test", organization=globex)
        ivy = UserFactory(name="Ivy Ingram", email="ivy@nowhere.test")  # no organization
        self.labels: dict[int, str] = {}
        self._number_next_ticket(TICKET_201, ivy, now)
        self.ticket(
            "T201",
            ivy,
            "Licence seats",
            "How many seats do we have?",
            status="new",
            created_at=now - timedelta(days=2),
            updated_at=now - timedelta(days=2),
        )
        assert self.labels[TICKET_201] == "T201"
        self.ticket(
            "T1",
            self.grace,
            "Printer offline",
            "The printer shows error 42.",
            status="open",
            priority="high",
            assignee=self.me,
            created_at=now - timedelta(hours=3),
            updated_at=now - timedelta(minutes=5),
        )
        self.ticket(
            "T2",
            self.grace,
            "Disk full on runner",
            "The disk full alarm fires.",
            status="pending",
            priority="urgent",
            assignee=self.me,
            channel="email",
            created_at=now - timedelta(days=3),
            updated_at=now - timedelta(hours=5),
        )
        self.ticket(
            "T3",
            hank,
            "Backups slow",
            "Nightly backups take hours.",
            tags=["vip"],
            status="open",
            created_at=now - timedelta(days=4),
            updated_at=now - timedelta(days=1),
        )
        self.ticket(
            "T4",
            hank,
            "Renewal question",
            "When does our renewal start?",
            status="solved",
            tags=["vip"],
            created_at=now - timedelta(days=40),
            updated_at=now - timedelta(minutes=30),
            solved_at=datetime(2026, 11, 15, 9, tzinfo=UTC),
        )
        self.ticket(
            "T5",
            hank,
            "Old outage",
            "Everything was down.",
            status="closed",
            tags=["vip"],
            created_at=now - timedelta(days=90),
            updated_at=now - timedelta(days=80),
            solved_at=datetime(2026, 10, 1, 9, tzinfo=UTC),
        )
        self.names = {
            ("user", self.grace.pk): "u:grace",
            ("user", self.me.pk): "u:alex",
            ("user", hank.pk): "u:hank",
            ("user", ivy.pk): "u:ivy",
            ("organization", acme.pk): "o:acme",
            ("organization", globex.pk): "o:globex",
        }

    def _number_next_ticket(self, number: int, requester, now) -> None:
        """The examples name ticket 201: a closed placeholder row takes 200 and the id
        sequence (PostgreSQL) is moved past it, so the next ticket the actions open is 201."""
        Ticket.objects.create(
            id=number - 1,
            subject="Placeholder",
            requester=requester,
            status="closed",
            created_at=now - timedelta(days=400),
            updated_at=now - timedelta(days=400),
        )
        self.labels[number - 1] = "placeholder"
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
                cursor.execute(sql)

    def ticket(self, label, requester, subject, description, tags=(), **fields):
        ticket = create_ticket(
            actor=SYSTEM, requester=requester, subject=subject, description=description, tags=tags
        )
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
        self.labels[ticket.pk] = label

    def label(self, result_type: str, pk: int) -> str:
        if result_type == "ticket":
            return self.labels[pk]
        return self.names.get((result_type, pk), f"{result_type}:{pk}")


@pytest.fixture
def desk(db) -> Desk:
    return Desk()


def _codes(html: str) -> list[str]:
    """The <code> examples inside the `data-search-examples` blocks, and the placeholders of
    the search inputs."""
    found = []
    for block in re.findall(r"<[a-z]+[^>]*data-search-examples[^>]*>(.*?)</(?:p|ul)>", html, re.S):
        found += [unescape(code) for code in re.findall(r"<code>(.*?)</code>", block, re.S)]
    found += [
        unescape(p)
        for p in re.findall(r'type="search" name="q"[^>]*placeholder=\'([^\']*)\'', html)
    ]
    return found


def _docs_examples() -> list[str]:
    section = DOCS.read_text().split("## Examples", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def test_every_example_shown_has_an_expectation(desk, client):
    client.force_login(desk.me)
    shown = _codes(client.get("/").content.decode())
    shown += _codes(client.get("/search").content.decode())
    docs = _docs_examples()
    assert len(shown) >= 10 and len(docs) >= 10
    assert {"organization:acme", "#201", "created>1day"} <= set(shown)
    missing = sorted(set(shown + docs) - set(EXPECTED))
    assert not missing, f"examples without an expectation: {missing}"
    assert set(EXPECTED) == set(shown + docs)  # no stale expectations either


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_example_finds_the_promised_tickets(desk, client, query):
    found = [desk.label(r.result_type, r.id) for r in search(desk.me, query).page()]
    assert set(found) == EXPECTED[query]
    if query in ORDERED:
        assert found == ORDERED[query]

    client.force_login(desk.me)
    response = client.get("/search", {"q": query})
    if query == "#201":  # a ticket number opens the ticket
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{TICKET_201}/"
        return
    assert response.status_code == 200
    html = response.content.decode()
    shown = {desk.labels[int(pk)] for pk in re.findall(r'<tr data-href="/tickets/(\d+)/"', html)}
    assert shown == {label for label in EXPECTED[query] if label.startswith("T")}


@pytest.mark.parametrize("query", ["#201", "201", "organization:acme", "created>1day"])
def test_api_search_shares_the_syntax(desk, query):
    api = client_for(desk.me)
    response = api.get("/api/v2/search.json", query=query)
    assert response.status_code == 200, response.content
    ids = {row["id"] for row in response.json()["results"] if row["result_type"] == "ticket"}
    expected = {label for label in EXPECTED.get(query, {"T201"}) if label.startswith("T")}
    assert {desk.labels[i] for i in ids} == expected


def test_ticket_number_the_viewer_may_not_see_is_not_opened(desk, client):
    client.force_login(desk.me)
    response = client.get("/search", {"q": "#999999"})
    assert response.status_code == 200
    assert "0 results" in response.content.decode()
    # an end-user never reaches the agent search page at all
    client.force_login(desk.grace)
    assert client.get("/search", {"q": "#201"}).status_code in (302, 403, 404)
