"""Views: each condition and operator, the shipped views, counts in one query, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import (
    AgentFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)
from switchboard.core.errors import ValidationFailed
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Ticket, TicketTag, View
from switchboard.tickets.saved_views import (
    count_view,
    count_views,
    tickets_in_view,
    validate_view_conditions,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


class World:
    """Six tickets A-F, two agents, a group, two organizations and three requesters."""

    def __init__(self) -> None:
        self.ada = AgentFactory(name="Ada")
        self.bob = AgentFactory(name="Bob")
        self.g1 = SupportGroupFactory(name="Tier 1")
        self.acme = OrganizationFactory(
            name="Acme", product_line="self_managed", preferred_region="emea"
        )
        self.globex = OrganizationFactory(name="Globex", product_line="saas")
        self.grace = UserFactory(name="Grace", organization=self.acme)
        self.hank = UserFactory(name="Hank", organization=self.globex)
        self.ivy = UserFactory(name="Ivy")  # no organization: entitlement unverified
        spec = {
            # label: requester, status, priority, assignee, created/updated hours ago, extra
            "A": (
                self.grace,
                "new",
                "low",
                None,
                1,
                1,
                {"sla_due_at": NOW + 30 * timedelta(minutes=1)},
            ),
            "B": (
                self.grace,
                "open",
                "high",
                self.ada,
                30,
                2,
                {"sla_due_at": NOW + 3 * H, "group": self.g1, "ticket_type": "incident"},
            ),
            "C": (
                self.hank,
                "pending",
                "urgent",
                self.bob,
                5,
                3,
                {"sla_due_at": NOW - 10 * timedelta(minutes=1)},
            ),
            "D": (self.ivy, "hold", "normal", None, 50, 4, {}),
            "E": (self.hank, "solved", "normal", self.ada, 100, 2, {"solved_at": NOW - 2 * H}),
            "F": (self.grace, "closed", "normal", None, 300, 240, {"solved_at": NOW - 240 * H}),
        }
        self.ids: dict[str, int] = {}
        for label, (requester, status, priority, assignee, created, updated, extra) in spec.items():
            ticket = create_ticket(
                actor=SYSTEM,  # tags are for agents to set: the arrangement opens it as the system
                requester=requester,
                subject=f"Ticket {label}",
                description=f"About {label}",
                tags=["vip"] if label == "C" else [],
            )
            fields = {
                "status": status,
                "priority": priority,
                "assignee": assignee,
                "created_at": NOW - created * H,
                "updated_at": NOW - updated * H,
                "sla_due_at": None,
                **extra,
            }
            Ticket.objects.filter(pk=ticket.pk).update(**fields)
            self.ids[label] = ticket.pk
        self.labels = {pk: label for label, pk in self.ids.items()}

    def of(self, qs) -> set[str]:
        return {self.labels[t.pk] for t in qs}


@pytest.fixture
def w(db) -> World:
    return World()


def view(conditions, **kwargs) -> View:
    return View.objects.create(title="t", conditions=conditions, **kwargs)


def cond(field, operator, value) -> dict:
    return {"field": field, "operator": operator, "value": value}


CASES = [
    (cond("status", "is", "open"), "B"),
    (cond("status", "is_not", "open"), "ACDEF"),
    (cond("status", "less_than", "solved"), "ABCD"),
    (cond("status", "greater_than", "pending"), "DEF"),
    (cond("status", "is", ["new", "hold"]), "AD"),
    (cond("priority", "is", "urgent"), "C"),
    (cond("priority", "less_than", "high"), "ADEF"),
    (cond("priority", "greater_than", "normal"), "BC"),
    (cond("assignee", "is", "current_user"), "BE"),
    (cond("assignee", "is_not", "current_user"), "ACDF"),
    (cond("assignee", "is", None), "ADF"),
    (cond("assignee", "is_not", None), "BCE"),
    (cond("ticket_type", "is", "incident"), "B"),
    (cond("ticket_type", "is_not", "incident"), "ACDEF"),
    (cond("product_line", "is", "saas"), "CE"),
    (cond("product_line", "is", ""), "D"),
    (cond("product_line", "is_not", "self_managed"), "CDE"),
    (cond("preferred_region", "is", "emea"), "ABF"),
    (cond("preferred_region", "is_not", "emea"), "CDE"),
    (cond("tags", "includes", "vip"), "C"),
    (cond("tags", "includes", "vip entitlement_unverified"), "CD"),
    (cond("tags", "includes", ["vip", "entitlement_unverified"]), "CD"),
    (cond("tags", "not_includes", "vip"), "ABDEF"),
    (cond("tags", "not_includes", "vip entitlement_unverified"), "ABEF"),
    (cond("entitlement", "is", "unverified"), "D"),
    (cond("entitlement", "is", "verified"), "ABCEF"),
    (cond("entitlement", "is_not", "unverified"), "ABCEF"),
    (cond("sla_due_within_minutes", "is", 60), "A"),
    (cond("sla_due_within_minutes", "is", 240), "AB"),
    (cond("sla_due_within_minutes", "is", 0), ""),
    (cond("sla_breached", "is", True), "C"),
    (cond("sla_breached", "is", False), "ABDEF"),
    (cond("sla_breached", "is_not", True), "ABDEF"),
    (cond("hours_since_created", "less_than", 24), "AC"),
    (cond("hours_since_created", "greater_than", 48), "DEF"),
    (cond("hours_since_updated", "less_than", 3), "ABE"),
    (cond("hours_since_updated", "greater_than", 3), "DF"),
    (cond("hours_since_solved", "less_than", 24), "E"),
    (cond("hours_since_solved", "greater_than", 24), "F"),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_condition_selects_exactly(w, condition, expected):
    """Each field/operator selects exactly the expected tickets (viewer: agent Ada)."""
    v = view({"all": [condition]})
    assert w.of(tickets_in_view(v, w.ada, now=NOW)) == set(expected)
    assert count_view(v, w.ada, now=NOW) == len(expected)


def test_reference_conditions_by_id(w):
    cases = [
        (cond("assignee", "is", w.bob.pk), "C"),
        (cond("assignee", "is_not", w.bob.pk), "ABDEF"),
        (cond("group", "is", w.g1.pk), "B"),
        (cond("group", "is", None), "ACDEF"),
        (cond("group", "is_not", w.g1.pk), "ACDEF"),
        (cond("organization", "is", w.acme.pk), "ABF"),
        (cond("organization", "is", None), "D"),
        (cond("organization", "is_not", w.acme.pk), "CDE"),
        (cond("requester", "is", w.hank.pk), "CE"),
        (cond("requester", "is", str(w.ivy.pk)), "D"),
        (cond("requester", "is_not", w.hank.pk), "ABDF"),
    ]
    for condition, expected in cases:
        v = view({"all": [condition]})
        assert w.of(tickets_in_view(v, w.ada, now=NOW)) == set(expected), condition


def test_all_and_any_combine_like_zendesk(w):
    """Every "all" condition holds, and at least one "any" condition when there are some."""
    any_only = view({"any": [cond("status", "is", "new"), cond("priority", "is", "urgent")]})
    both = view(
        {
            "all": [cond("status", "less_than", "solved")],
            "any": [cond("assignee", "is", None), cond("tags", "includes", "vip")],
        }
    )
    empty = view({})
    assert w.of(tickets_in_view(any_only, w.ada, now=NOW)) == set("AC")
    assert w.of(tickets_in_view(both, w.ada, now=NOW)) == set("ACD")
    assert w.of(tickets_in_view(empty, w.ada, now=NOW)) == set("ABCDEF")


def test_shipped_views_exist_and_count(w):
    """The shipped views, counted for Ada at NOW."""
    expected = {
        "My open tickets": "B",
        "Unassigned tickets": "AD",
        "New awaiting first reply (FRT hawk)": "A",
        "Breaching within 2 h (SLA hawk)": "A",
        "Entitlement unverified": "D",
        "Self-managed open": "AB",
        "SaaS open": "C",
        "Recently solved": "E",
    }
    shipped = {v.title: v for v in View.objects.filter(title__in=expected, owner__isnull=True)}
    assert set(shipped) == set(expected)
    for title, labels in expected.items():
        assert w.of(tickets_in_view(shipped[title], w.ada, now=NOW)) == set(labels), title
    counts = count_views(shipped.values(), w.ada, now=NOW)
    assert {title: counts[v.pk] for title, v in shipped.items()} == {
        title: len(labels) for title, labels in expected.items()
    }
    # Bob's own open ticket shows in his "My open tickets".
    assert w.of(tickets_in_view(shipped["My open tickets"], w.bob, now=NOW)) == {"C"}


def test_count_views_is_one_query_whatever_the_number_of_views(w, django_assert_num_queries):
    few = [view({"all": [cond("status", "is", "new")]})]
    many = [view({"all": [c]}) for c, _ in CASES] + list(View.objects.filter(owner__isnull=True))
    with django_assert_num_queries(1):
        few_counts = count_views(few, w.ada, now=NOW)
    with django_assert_num_queries(1):
        many_counts = count_views(many, w.ada, now=NOW)
    assert few_counts == {few[0].pk: 1}
    for v in many:
        assert many_counts[v.pk] == count_view(v, w.ada, now=NOW), v.conditions
    assert count_views([], w.ada) == {}


def test_a_view_without_conditions_counts_everything_in_one_query(w):
    views = [view({}), view({"all": [cond("status", "is", "new")]})]
    assert count_views(views, w.ada, now=NOW) == {views[0].pk: 6, views[1].pk: 1}


def test_visibility_is_anded_for_end_users(w):
    """An end-user sees only the tickets access allows (Grace: her own), in views and counts."""
    open_view = view({"all": [cond("status", "less_than", "solved")]})
    mine = view({"all": [cond("requester", "is", "current_user")]})
    assert w.of(tickets_in_view(open_view, w.grace, now=NOW)) == set("AB")
    assert w.of(tickets_in_view(mine, w.grace, now=NOW)) == set("ABF")
    assert count_views([open_view, mine], w.grace, now=NOW) == {open_view.pk: 2, mine.pk: 3}
    inactive = UserFactory(is_active=False)
    assert count_views([open_view], inactive, now=NOW) == {open_view.pk: 0}


def test_sorting_uses_a_whitelist(w):
    by_priority = view({}, sort_by="priority", sort_order="desc")
    labels = [w.labels[t.pk] for t in tickets_in_view(by_priority, w.ada, now=NOW)]
    assert labels[:2] == ["C", "B"] and labels[-1] == "A"  # urgent, high, ..., low
    by_due = view({}, sort_by="sla_due_at", sort_order="asc")
    labels = [w.labels[t.pk] for t in tickets_in_view(by_due, w.ada, now=NOW)]
    assert labels[:3] == ["C", "A", "B"]  # no due time last
    by_status = view({}, sort_by="status", sort_order="asc")
    labels = [w.labels[t.pk] for t in tickets_in_view(by_status, w.ada, now=NOW)]
    assert labels == list("ABCDEF")
    hostile = view({}, sort_by="requester__password", sort_order="asc")
    assert len(list(tickets_in_view(hostile, w.ada, now=NOW))) == 6  # falls back to updated_at


def test_tickets_in_view_selects_what_it_shows(w, django_assert_num_queries):
    v = view({})
    with django_assert_num_queries(1):
        rows = [
            (t.requester.name, t.assignee and t.assignee.name, t.group, t.organization)
            for t in tickets_in_view(v, w.ada, now=NOW)
        ]
    assert len(rows) == 6


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([], 'expected {"all": [...], "any": [...]}'),
        ({"none": []}, "unknown key 'none'"),
        ({"all": {}}, "conditions.all: expected a list"),
        ({"all": [{"field": "status", "value": "open"}]}, "conditions.all[0]: expected"),
        ({"all": [cond("stauts", "is", "open")]}, "unknown field 'stauts'"),
        ({"any": [cond("tags", "is", "vip")]}, "operator 'is' does not apply to tags"),
        ({"all": [cond("status", "is", "opened")]}, "'opened' is not one of"),
        ({"all": [cond("priority", "less_than", ["low", "high"])]}, "takes a single value"),
        ({"all": [cond("assignee", "is", "someone")]}, 'expected an id or "current_user"'),
        ({"all": [cond("group", "is", "current_user")]}, "expected an id or null"),
        ({"all": [cond("requester", "is", None)]}, 'expected an id or "current_user"'),
        ({"all": [cond("sla_due_within_minutes", "is", "soon")]}, "whole number"),
        ({"all": [cond("sla_due_within_minutes", "is", -5)]}, "out of range"),
        ({"all": [cond("sla_breached", "is", "yes")]}, "true or false"),
        ({"all": [cond("tags", "includes", "Bad Tag!")]}, "not a valid tag"),
        ({"all": [cond("tags", "includes", "")]}, "at least one tag"),
        ({"all": [cond("hours_since_created", "is", 3)]}, "operator 'is' does not apply"),
    ],
)
def test_invalid_conditions_are_refused_with_a_clear_message(conditions, message):
    with pytest.raises(ValidationFailed) as error:
        validate_view_conditions(conditions)
    assert message in str(error.value)


def test_tag_condition_ignores_other_tickets_tags(w):
    """Tags are matched per ticket (a subquery), so counts never multiply by joined rows."""
    TicketTag.objects.create(ticket_id=w.ids["A"], name="vip")
    TicketTag.objects.create(ticket_id=w.ids["A"], name="extra")
    v = view({"all": [cond("tags", "includes", "vip extra")]})
    assert count_views([v], w.ada, now=NOW) == {v.pk: 2}


@pytest.mark.django_db
def test_breached_view_keeps_a_ticket_after_the_sweeper_marks_it():
    """A swept breach (sla_due_at moved on to the next clock) still counts as breached."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
    from switchboard.core.sweeps import run_all_sweeps
    from switchboard.tickets.actions.create import create_ticket
    from switchboard.tickets.models import Ticket, View
    from switchboard.tickets.saved_views import tickets_in_view

    org = OrganizationFactory(support_level="priority")
    customer = UserFactory(organization=org)
    agent = AgentFactory()
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        ticket = create_ticket(
            actor=customer,
            requester=customer,
            subject="Down",
            description="All down",
            priority="urgent",
        )
    view = View.objects.create(
        title="Breached",
        conditions={"all": [{"field": "sla_breached", "operator": "is", "value": True}]},
    )
    later = start + timedelta(minutes=31)
    run_all_sweeps(later)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.sla_due_at is None or ticket.sla_due_at > later  # the breached clock left it
    assert list(tickets_in_view(view, agent, now=later)) == [ticket]
