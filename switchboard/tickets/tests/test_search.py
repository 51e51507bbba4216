"""Search: the query language compiled over tickets, users and organizations, for each role."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.db import connection

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import (
    AgentFactory,
    OrganizationDomainFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)
from switchboard.core.errors import ValidationFailed
from switchboard.tickets import search as search_module
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.merge import merge_tickets
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.attachments import redact_comment
from switchboard.tickets.models import Ticket
from switchboard.tickets.search import MAX_PER_PAGE, search
from switchboard.tickets.search_query import QuerySyntaxError, TextTerm

AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class World:
    """Five tickets T1-T5 with distinct words, tags, statuses, people and dates."""

    def __init__(self) -> None:
        self.ada = AgentFactory(name="Ada Lovelace")
        self.bob = AgentFactory(name="Bob Marley")
        self.tier1 = SupportGroupFactory(name="Tier 1")
        self.acme = OrganizationFactory(name="Acme Corp")
        self.globex = OrganizationFactory(name="Globex")
        OrganizationDomainFactory(organization=self.acme, domain="acme.test")
        OrganizationDomainFactory(organization=self.globex, domain="globex.test")
        self.grace = UserFactory(
            name="Grace Hopper", email="grace@acme.test", organization=self.acme
        )
        self.hank = UserFactory(
            name="Hank Hill", email="hank@globex.test", organization=self.globex
        )
        self.ivy = UserFactory(name="Ivy Ingram", email="ivy@nowhere.test")
        self.ids: dict[str, int] = {}
        self.ticket(
            "T1",
            self.grace,
            "Printer jam on floor three",
            "The office printer shows error 42 after restart.",
            ["hardware", "office"],
            status="open",
            priority="high",
            ticket_type="incident",
            assignee=self.ada,
            created_at=at("2024-05-01T10:00:00"),
        )
        t2 = self.ticket(
            "T2",
            self.grace,
            "Runner stuck",
            "Kubernetes runner stuck in pending state.",
            ["ci"],
            comments=[
                ("Please send a flamegraph of the kubernetes runner.", True),
                ("Customer mentioned zebracorn licensing on the call.", False),
            ],
            status="pending",
            priority="urgent",
            channel="email",
            created_at=at("2024-05-02T09:00:00"),
        )
        assert t2
        self.ticket(
            "T3",
            self.hank,
            "Backup failed",
            "Nightly backup failed with timeout.",
            ["backup", "ci"],
            status="solved",
            assignee=self.bob,
            group=self.tier1,
            created_at=at("2024-06-15T08:00:00"),
            solved_at=at("2024-06-20T16:30:00"),
        )
        self.ticket(
            "T4",
            self.ivy,
            "Question about seats",
            "How do seats work for our subscription?",
            ["billing"],
            status="new",
            priority="low",
            channel="api",
            created_at=at("2024-07-01T12:00:00"),
        )
        self.ticket(
            "T5",
            self.hank,
            "Webhook deliveries delayed",
            "Webhooks arrive minutes late from the server.",
            [],
            comments=[("Serverless functions behave fine.", True)],
            status="closed",
            created_at=at("2024-04-10T07:00:00"),
            solved_at=at("2024-04-11T07:00:00"),
        )
        self.labels = {pk: label for label, pk in self.ids.items()}

    def ticket(self, label, requester, subject, description, tags, comments=(), **fields):
        ticket = create_ticket(
            actor=SYSTEM,  # tags are for agents to set: the arrangement opens it as the system
            requester=requester,
            subject=subject,
            description=description,
            tags=tags,
        )
        for body, public in comments:
            add_comment(ticket=ticket, author=self.ada, body=body, public=public)
        fields.setdefault("updated_at", fields["created_at"])
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
        self.ids[label] = ticket.pk
        return ticket

    def tickets(self, user, query: str) -> set[str]:
        results = search(user, query)
        return {self.labels[r.id] for r in results.page() if r.result_type == "ticket"}

    def everything(self, user, query: str) -> set[str]:
        names = {}
        for label, obj in (
            ("u:grace", self.grace),
            ("u:hank", self.hank),
            ("u:ivy", self.ivy),
            ("u:ada", self.ada),
            ("u:bob", self.bob),
        ):
            names[("user", obj.pk)] = label
        names[("organization", self.acme.pk)] = "o:acme"
        names[("organization", self.globex.pk)] = "o:globex"
        found = set()
        for r in search(user, query).page():
            if r.result_type == "ticket":
                found.add(self.labels[r.id])
            else:
                found.add(names.get((r.result_type, r.id), f"{r.result_type}:{r.id}"))
        return found


@pytest.fixture
def w(db) -> World:
    return World()


ALL = "T1 T2 T3 T4 T5"

# (query, tickets an agent finds) -- identical on SQLite and PostgreSQL.
TICKET_QUERIES = [
    ("printer", "T1"),
    ("PRINTER", "T1"),
    ("printer jam", "T1"),
    ("printer kubernetes", ""),
    ("printer -jam", ""),
    ("printer -kubernetes", "T1"),
    ('"runner stuck"', "T2"),
    ('"stuck runner"', ""),
    ('"error 42"', "T1"),
    ("kubernetes", "T2"),
    ("flamegraph", "T2"),  # only in a public comment
    ("zebracorn", "T2"),  # only in an internal note: agents find it
    ("type:ticket -printer", "T2 T3 T4 T5"),
    ('type:ticket -"runner stuck"', "T1 T3 T4 T5"),
    ("serv*", "T5"),  # server, serverless
    ("back*", "T3"),
    ("webhook", "T5"),
    ("type:ticket status<solved tags:ci", "T2"),
    ("tags:ci tags:billing", "T2 T3 T4"),
    ("tag:ci", "T2 T3"),
    ("tags:c*", "T2 T3"),
    ("tags:*ware", None),  # leading wildcard: a syntax error
    ("type:ticket -tags:ci -tags:billing", "T1 T5"),
    ("status:open status:new", "T1 T4"),
    ("status>=solved", "T3 T5"),
    ("status<open", "T4"),
    ("-status:closed type:ticket", "T1 T2 T3 T4"),
    ("priority>normal", "T1 T2"),
    ("priority:low priority:urgent", "T2 T4"),
    ("ticket_type:incident", "T1"),
    ("created<2024-05-01", "T5"),
    ("created:2024-05-01", "T1"),
    ("created>=2024-05-02 created<2024-07-01", "T2 T3"),
    ("created>2024-06-30", "T4"),
    ("updated<=2024-05-01", "T1 T5"),
    ("solved:2024-06-20", "T3"),
    ("solved>2024-06-20T16:30:00Z", ""),
    ("solved>=2024-06-20T16:30:00Z", "T3"),
    ("type:ticket -solved:2024-06-20", "T1 T2 T4 T5"),
    ("assignee:me", "T1"),
    ("assignee:none", "T2 T4 T5"),
    ("-assignee:none", "T1 T3"),
    ("assignee:bob*", "T3"),
    ('assignee:"Bob Marley"', "T3"),
    ("requester:grace@acme.test", "T1 T2"),
    ('requester:"grace hopper"', "T1 T2"),
    ("requester:grace*", "T1 T2"),
    ("requester:grace@acme.test requester:ivy@nowhere.test", "T1 T2 T4"),
    ("organization:globex", "T3 T5"),
    ('organization:"Acme Corp"', "T1 T2"),
    ("organization:none", "T4"),
    ("-organization:globex type:ticket", "T1 T2 T4"),
    ('group:"Tier 1"', "T3"),
    ("group:none type:ticket", "T1 T2 T4 T5"),
    ("type:ticket", ALL),
    ("printer status:closed", ""),
    # #16: organization name words, subject:, description:, via:, order_by:/sort:
    ("organization:acme", "T1 T2"),
    ("organization:ACME", "T1 T2"),
    ("organization:corp", "T1 T2"),
    ('organization:"acme corp"', "T1 T2"),
    ("organization:acm", ""),  # words, not prefixes (that is acm*)
    ("organization:acm*", "T1 T2"),
    ("organization:acme organization:globex", "T1 T2 T3 T5"),
    ("-organization:acme type:ticket", "T3 T4 T5"),
    ("subject:printer", "T1"),
    ('subject:"printer jam"', "T1"),
    ("subject:PRINT*", "T1"),
    ("subject:kubernetes", ""),  # in the description only
    ("description:kubernetes", "T2"),
    ("description:flamegraph", ""),  # a later comment, not the first
    ("-description:backup type:ticket", "T1 T2 T4 T5"),
    ("via:email", "T2"),
    ("via:mail", "T2"),
    ("via:api via:email", "T2 T4"),
    ("-via:web type:ticket", "T2 T4"),
    ("via:chat", ""),
    ("status<solved order_by:priority sort:asc", "T1 T2 T4"),
]


@pytest.mark.parametrize(("query", "expected"), TICKET_QUERIES)
def test_ticket_queries_find_exactly(w, query, expected):
    if expected is None:
        with pytest.raises(QuerySyntaxError):
            search(w.ada, query)
        return
    assert w.tickets(w.ada, query) == set(expected.split())


def test_users_and_organizations_for_agents(w):
    assert w.everything(w.ada, "grace") == {"u:grace"}
    assert w.everything(w.ada, "type:user hopper") == {"u:grace"}
    assert w.everything(w.ada, "type:organization acme") == {"o:acme"}
    assert w.everything(w.ada, "type:organization globex.test") == {"o:globex"}
    assert w.everything(w.ada, "acme") == {"u:grace", "o:acme"}
    assert w.everything(w.ada, "type:user lovelace") == {"u:ada"}
    assert w.everything(w.ada, "type:user hank -hill") == set()
    assert w.everything(w.ada, "type:user gra*") == {"u:grace"}
    # organization: applies to tickets and users; ticket-only keys leave users and orgs out.
    assert w.everything(w.ada, "organization:globex") == {"T3", "T5", "u:hank"}
    assert w.everything(w.ada, "status:open") == {"T1"}
    assert w.everything(w.ada, "type:organization created>2000-01-01") == {"o:acme", "o:globex"}


def test_results_carry_their_type(w):
    results = search(w.ada, "acme")
    assert [(r.result_type, r.id) for r in results.page()] == [
        ("user", w.grace.pk),
        ("organization", w.acme.pk),
    ]
    assert results.count == 2
    assert results.counts() == {"ticket": 0, "user": 1, "organization": 1}


def test_end_users_only_get_visible_tickets(w):
    """Grace (own tickets only) finds her tickets; never users, orgs or others' tickets."""
    assert w.everything(w.grace, "type:ticket") == {"T1", "T2"}
    assert w.everything(w.grace, "backup") == set()
    assert w.everything(w.hank, "backup") == {"T3"}
    assert w.everything(w.grace, "grace") == set()
    assert w.everything(w.grace, "type:user grace") == set()
    assert w.everything(w.grace, "type:organization acme") == set()
    assert w.everything(w.grace, "requester:me") == {"T1", "T2"}
    assert w.everything(w.grace, "flamegraph") == {"T2"}


def test_internal_notes_never_make_a_ticket_findable_for_end_users(w):
    assert w.everything(w.ada, "zebracorn") == {"T2"}
    assert w.everything(w.grace, "zebracorn") == set()
    assert w.everything(w.grace, "-zebracorn type:ticket") == {"T1", "T2"}


@pytest.mark.parametrize(
    "query", ["stauts:open", '"unterminated', "*foo", "status:opened", "created:yesterday"]
)
def test_malformed_query_raises_query_syntax_error(w, query):
    with pytest.raises(QuerySyntaxError) as error:
        search(w.ada, query)
    assert isinstance(error.value, ValueError)
    assert str(error.value)


def test_empty_query_finds_nothing(w):
    results = search(w.ada, "   ")
    assert results.count == 0
    assert results.page() == []


def test_paging_and_limits(w):
    results = search(w.ada, "type:ticket")
    assert results.count == 5
    first = [r.id for r in results.page(1, per_page=2)]
    second = [r.id for r in results.page(2, per_page=2)]
    third = [r.id for r in results.page(3, per_page=2)]
    assert len(first) == 2 and len(second) == 2 and len(third) == 1
    assert set(first + second + third) == set(w.ids.values())
    # default order: most recently updated first
    assert first[0] == w.ids["T4"]
    mixed = search(w.ada, "acme")
    assert [r.result_type for r in mixed.page(1, per_page=1)] == ["user"]
    assert [r.result_type for r in mixed.page(2, per_page=1)] == ["organization"]
    assert mixed.page(3, per_page=1) == []
    assert len(list(search(w.ada, "type:ticket"))) == 5
    with pytest.raises(ValidationFailed):
        results.page(1, per_page=MAX_PER_PAGE + 1)
    with pytest.raises(ValidationFailed):
        results.page(11, per_page=100)  # beyond the first 1,000 results
    with pytest.raises(ValidationFailed):
        results.page(0)


def test_sort_options(w):
    oldest_first = search(w.ada, "type:ticket", sort_by="created_at", sort_order="asc")
    assert [w.labels[r.id] for r in oldest_first.page()] == ["T5", "T1", "T2", "T3", "T4"]


def test_results_select_what_they_show(w, django_assert_max_num_queries):
    """Ids + total in one query, the page's rows in one more (PostgreSQL: + the stop-word check)."""
    with django_assert_max_num_queries(3):
        rows = [
            (
                r.object.requester.name,
                r.object.organization and r.object.organization.name,
                r.object.assignee and r.object.assignee.name,
                r.object.group and r.object.group.name,
            )
            for r in search(w.ada, "type:ticket -nothing").page()
            if r.result_type == "ticket"
        ]
    assert len(rows) == 5
    with django_assert_max_num_queries(3):
        users = [r.object.organization for r in search(w.ada, "type:user test").page()]
    assert len(users) == 5


# --- PostgreSQL full-text search --------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_full_text_stems_and_ignores_stop_words(w):
    assert w.tickets(w.ada, "printers") == {"T1"}
    assert w.tickets(w.ada, "restarting") == {"T1"}
    assert w.tickets(w.ada, "the printer") == {"T1"}
    assert w.tickets(w.ada, "webhooks") == {"T5"}
    assert w.tickets(w.ada, '"deliveries delayed"') == {"T5"}
    assert w.tickets(w.ada, "the") == set()  # only stop words: nothing to search for
    assert w.tickets(w.ada, "se*er") == {"T5"}  # inner wildcard: index, then a regex check


@pytest.mark.postgres
def test_postgres_free_text_uses_the_gin_indexes(w):
    """An agent's free text is a lookup in the GIN index on tickets_ticket.search_vector
    (migration 0004), in the page query SearchResults really runs, not a join over comments."""
    for query in ("printer", 'type:ticket "runner stuck" kube*', "printer -jam"):
        results = search(w.ada, query)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = results.ticket_page_query(results.tickets, 0, 100).explain()
        assert "tickets_ticket_search_vector_idx" in plan, plan
        assert "tickets_comment" not in plan, plan


def test_a_word_only_in_a_later_comment_is_found(w):
    t4 = w.ids["T4"]
    ticket = Ticket.objects.get(pk=t4)
    add_comment(ticket=ticket, author=w.ada, body="Have you tried the quokka dashboard?")
    add_comment(ticket=ticket, author=w.ada, body="Escalated to the wombat team.", public=False)
    assert w.tickets(w.ada, "quokka") == {"T4"}
    assert w.tickets(w.ivy, "quokka") == {"T4"}
    # An internal note: agents find the ticket by its words, the requester never does.
    assert w.tickets(w.ada, "wombat") == {"T4"}
    assert w.tickets(w.ivy, "wombat") == set()
    assert w.tickets(w.ivy, "-wombat type:ticket") == {"T4"}
    assert w.tickets(w.ada, "quokka wombat seats") == {"T4"}


def test_subject_changes_are_searchable(w):
    ticket = Ticket.objects.get(pk=w.ids["T3"])
    update_ticket(ticket=ticket, actor=w.ada, subject="Snapshot restore broken")
    assert w.tickets(w.ada, "snapshot") == {"T3"}
    assert w.tickets(w.ada, "nightly") == {"T3"}  # the description and comments stay
    add_comment(
        ticket=ticket, author=w.ada, body="Looked at it.", changes={"subject": "Restore help"}
    )
    assert w.tickets(w.ada, "snapshot") == set()
    assert w.tickets(w.ada, "restore looked") == {"T3"}


def test_merge_target_is_found_by_a_source_comment(w):
    source = Ticket.objects.get(pk=w.ids["T1"])
    add_comment(ticket=source, author=w.ada, body="The axolotl firmware is at fault.")
    target = Ticket.objects.get(pk=w.ids["T4"])
    merge_tickets(actor=w.ada, sources=[source], target=target)
    found = w.tickets(w.ada, "axolotl")
    assert "T1" in found
    if connection.vendor == "postgresql":  # the per-ticket document holds the merged comments
        assert found == {"T1", "T4"}
        assert w.tickets(w.ada, "axolotl subscription") == {"T4"}


def test_ticket_count_is_capped(w, monkeypatch):
    monkeypatch.setattr(search_module, "TICKET_COUNT_CAP", 3)
    results = search(w.ada, "type:ticket")
    assert len(results.page()) == 5  # the page is not capped, only the count
    assert results.count == 3
    assert search(w.ada, "type:ticket").counts() == {"ticket": 3}


@pytest.mark.postgres
def test_redacted_secrets_stop_matching(w):
    ticket = Ticket.objects.get(pk=w.ids["T1"])
    comment = add_comment(
        ticket=ticket, author=w.grace, body=f"Our config: aws_access_key_id={AWS_ID} thanks"
    )
    assert w.tickets(w.ada, AWS_ID) == {"T1"}
    redact_comment(actor=w.ada, comment=comment)
    assert w.tickets(w.ada, AWS_ID) == set()
    assert w.tickets(w.grace, AWS_ID) == set()
    assert w.tickets(w.ada, "printer config") == {"T1"}


@pytest.mark.postgres
def test_search_vector_survives_saving_a_stale_copy(w):
    """Ticket.save() never writes back a search_vector loaded before a comment was added."""
    stale = Ticket.objects.get(pk=w.ids["T4"])
    add_comment(ticket=stale, author=w.ada, body="A narwhal sighting.")
    stale.priority = "high"
    stale.save()
    assert w.tickets(w.ada, "narwhal") == {"T4"}


@pytest.mark.postgres
def test_backfill_matches_what_the_actions_maintain(w):
    """Migration 0005's backfill rebuilds the same documents (with bigrams) the actions kept up
    to date, including comments appended after the ticket was created."""
    source = Ticket.objects.get(pk=w.ids["T1"])
    merge_tickets(actor=w.ada, sources=[source], target=Ticket.objects.get(pk=w.ids["T4"]))
    t2 = Ticket.objects.get(pk=w.ids["T2"])
    add_comment(ticket=t2, author=w.ada, body="Quarterly report attached.")
    before = dict(Ticket.objects.values_list("pk", "search_vector"))
    backfill = importlib.import_module("switchboard.tickets.migrations.0005_search_vector_bigrams")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_ticket SET search_vector = NULL")
        cursor.execute(backfill.BACKFILL)
    assert dict(Ticket.objects.values_list("pk", "search_vector")) == before


@pytest.mark.postgres
def test_phrase_finds_only_adjacent_words_with_the_bigram_prefilter(w):
    """A phrase finds exactly the tickets with its words adjacent (bigram lexemes, migration
    0005, narrow through the index; phraseto_tsquery keeps it exact), across later comments."""
    t3 = Ticket.objects.get(pk=w.ids["T3"])
    t4 = Ticket.objects.get(pk=w.ids["T4"])
    t1 = Ticket.objects.get(pk=w.ids["T1"])
    add_comment(ticket=t3, author=w.ada, body="The license renewal for each user seat is due.")
    add_comment(ticket=t4, author=w.ada, body="First a note.")
    add_comment(ticket=t4, author=w.ada, body="Licensed user seats: 40.", public=False)
    add_comment(ticket=t1, author=w.ada, body="Seat user licensing.")  # reversed
    add_comment(ticket=t1, author=w.ada, body="User count grows.")
    # T3 has "license renewal for each user seat": both words, not adjacent.
    assert w.tickets(w.ada, '"license user"') == {"T1", "T4"}  # T1: across two comments
    assert w.tickets(w.ada, '"licensed user seats"') == {"T4"}
    assert w.tickets(w.ada, '"user seat"') == {"T3", "T4"}
    assert w.tickets(w.ada, '"seat user"') == {"T1"}
    assert w.tickets(w.ada, '"user licensing"') == {"T1"}
    assert w.tickets(w.ada, "license user") == {"T1", "T3", "T4"}
    assert w.tickets(w.ada, 'type:ticket -"license user"') == {"T2", "T3", "T5"}
    # Across the boundary of two comments appended one after the other.
    assert w.tickets(w.ada, '"licensing user count"') == {"T1"}
    # A stop word inside a phrase: no bigram across the gap, phraseto_tsquery decides.
    assert w.tickets(w.ada, '"renewal for each user"') == {"T3"}
    assert w.tickets(w.ada, '"renewal user"') == set()
    # One lexeme: no bigram at all.
    assert w.tickets(w.ada, '"seats"') == {"T1", "T3", "T4"}
    # End-users keep their comment-level search (no bigrams there): the internal note is unseen.
    assert w.tickets(w.ivy, '"license user"') == set()


@pytest.mark.postgres
def test_phrase_bigram_prefilter_is_in_the_sql_and_uses_the_index(w):
    results = search(w.ada, '"license user seat"')
    page_query = results.ticket_page_query(results.tickets, 0, 100)
    sql = str(page_query.query)
    assert "::tsquery" in sql and "licens_user" in sql and "user_seat" in sql, sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page_query.explain()
    assert "tickets_ticket_search_vector_idx" in plan, plan
    assert "licens_user" in plan, plan
    # Stop words between the words: no bigram for that gap; a single word: none.
    assert search_module._has_lexemes(
        [TextTerm("renewal for each user seat", phrase=True), TextTerm("seats", phrase=True)],
        bigrams=True,
    ) == [(True, ["user_seat"]), (True, [])]


@pytest.mark.postgres
def test_bigram_lexemes_are_quoted_safely(w):
    odd = ["licens_user", "o'brien_x", "back\\slash_y", "a b"]
    literal = search_module._tsquery_literal(odd)
    with connection.cursor() as cursor:
        cursor.execute("SELECT querytree(%s::tsquery)", [literal])
        tree = cursor.fetchone()[0]
        cursor.execute(
            "SELECT array_to_tsvector(%s::text[]) @@ %s::tsquery, "
            "array_to_tsvector(%s::text[]) @@ %s::tsquery",
            [odd, literal, odd[:-1], literal],
        )
        assert cursor.fetchone() == (True, False), tree


def _labels(w, results) -> list[str]:
    return [w.labels[r.id] for r in results.page() if r.result_type == "ticket"]


def test_relative_dates_count_back_from_now(w):
    now = at("2024-07-02T12:00:00")
    assert w.tickets(w.ada, "created>1day") == set()  # uses the real now: nothing that recent

    def found(query: str) -> set[str]:
        return set(_labels(w, search(w.ada, query, now=now)))

    assert found("created>1day") == {"T4"}
    assert found("created>=3weeks") == {"T3", "T4"}
    assert found("updated<2months") == {"T1", "T2", "T5"}
    assert found("solved>1year") == {"T3", "T5"}
    assert found("created<30hours type:ticket") == {"T1", "T2", "T3", "T5"}
    assert search(w.ada, "type:user created>1minute", now=at("2000-01-01")).count == 5


def test_organization_by_id_and_for_users(w):
    assert w.tickets(w.ada, f"organization:{w.acme.pk}") == {"T1", "T2"}
    assert w.everything(w.ada, "type:user organization:acme") == {"u:grace"}


def test_a_ticket_number_alone_finds_that_ticket(w):
    t3 = w.ids["T3"]
    for query in (str(t3), f"#{t3}", f"  #{t3} "):
        assert w.everything(w.ada, query) == {"T3"}
    assert w.everything(w.ada, "#999999") == set()
    # an end-user finds only a ticket they may see
    assert w.everything(w.hank, f"#{t3}") == {"T3"}
    assert w.everything(w.grace, f"#{t3}") == set()
    assert w.everything(w.grace, f"{w.ids['T1']}") == {"T1"}


def test_order_by_and_sort_in_the_query_win_over_the_parameters(w):
    results = search(w.ada, "type:ticket order_by:created sort:asc", sort_order="desc")
    assert _labels(w, results) == ["T5", "T1", "T2", "T3", "T4"]
    results = search(w.ada, "type:ticket order_by:created")
    assert _labels(w, results) == ["T4", "T3", "T2", "T1", "T5"]
    results = search(w.ada, "type:ticket sort:asc", sort_by="created_at")
    assert _labels(w, results) == ["T5", "T1", "T2", "T3", "T4"]


def test_description_for_end_users_only_when_the_first_comment_is_public(w):
    """`description:` is the first comment; an internal one never makes a ticket findable for
    the requester (tickets.projection: subject and public comments only)."""
    internal = create_ticket(
        actor=w.ada,
        requester=w.grace,
        subject="Proactive notice",
        description="Internal: quokka migration risk",
        public=False,
    )
    w.labels[internal.pk] = "T6"
    assert w.tickets(w.ada, "description:quokka") == {"T6"}
    assert w.tickets(w.grace, "description:quokka") == set()
    assert w.tickets(w.grace, "description:printer") == {"T1"}
    assert w.tickets(w.grace, "-description:quokka type:ticket") == {"T1", "T2", "T6"}
