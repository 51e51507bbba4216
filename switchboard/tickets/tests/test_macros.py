"""Macros: the shipped handbook macros, safe template rendering, preview and apply."""

from __future__ import annotations

import re

import pytest

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.tickets import macros
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.macros import apply_macro
from switchboard.tickets.models import AuditEvent, Comment, Macro, Ticket, TicketAudit, TicketTag

BASE = "https://support.example.test"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.SWITCHBOARD_BASE_URL = BASE


@pytest.fixture
def ada(db):
    return AgentFactory(name="Ada Lovelace", email="ada@switchboard.test")


@pytest.fixture
def grace(db):
    org = OrganizationFactory(name="Acme Corp")
    return UserFactory(name="Grace Hopper", email="grace@acme.test", organization=org)


@pytest.fixture
def ticket(grace):
    return create_ticket(
        actor=SYSTEM,  # tags are for agents to set: the arrangement opens it as the system
        requester=grace,
        subject="Runner stuck in pending",
        description="Our CI runner has been stuck since the upgrade.",
        tags=["ci"],
    )


def shipped(title: str) -> Macro:
    return Macro.objects.get(title=title)


def expected(text: str, ticket: Ticket) -> str:
    return text.replace("{ID}", str(ticket.pk))


INVITE = """Hi Grace,

I think a call is the quickest way to move ticket #{ID} ("Runner stuck in pending") forward. \
Please pick a time that suits you with this single-use link:

{{current_user.booking_link}}

The call is 60 minutes long, and we start wrapping up at 45 minutes so that we can agree on next \
steps together. To make the most of it, please:

- invite the people who know the affected systems and can make changes to them;
- have access to the relevant servers, logs and admin area ready to share;
- if the call is about an upgrade, finish a backup before the call starts.

If none of the offered times work for you, reply here and we will find another way.

Best regards,
Ada Lovelace"""

PRE = """Hi Grace,

Thank you for booking a call about ticket #{ID} ("Runner stuck in pending"). A few notes so \
that we make the best use of our time together:

Duration: the call is scheduled for 60 minutes. At 45 minutes we wrap up: we summarise what we \
learned and agree on next steps, whether or not the problem is solved by then.

Who should join: the people who can access and change the affected systems, and anyone who saw \
the problem happen.

Before the call:
- have access to the applicable systems (servers, admin area, logs) ready to share on screen;
- for an upgrade or installation call, finish a backup beforehand and let us know the \
installation type, the current version, the version you are moving to, and whether you use CI;
- if you would like the session recorded, please start and keep the recording on your side, so \
that anything sensitive shown on screen stays within your own security boundary.

If you can no longer make it, please rebook with the link from my earlier message. If nobody \
has joined after 10 minutes we will end the call and send you a fresh link.

Talk to you soon,
Ada Lovelace"""

POST = """Hi Grace,

Thank you for your time on the call today. Here is the summary of our call about ticket \
#{ID} ("Runner stuck in pending"), for your team and for anyone who works on this ticket.

Summary
- (what we looked at together and what was done during the call)

What we learned
- (findings, error messages, configuration details, what we ruled out)

Next steps for Ada Lovelace (Support)
- (what Support will do, and by when)

Next steps for you
- (what we agreed you will do or send us)

Next call recommendation
- (whether another call is needed; if so, its timing, goal and who should join)

If anything above does not match your notes, please reply here so we can correct it.

Best regards,
Ada Lovelace"""

ENTITLEMENT = """Hi Grace,

Thank you for contacting Support about "Runner stuck in pending" (ticket #{ID}).

We could not match grace@acme.test to an organization with a support subscription, \
so we cannot apply your plan's service levels to this ticket yet. Please help us verify your \
support entitlement by replying with one of the following:

- the name of your organization as it appears on the subscription, and your subscription or \
account ID;
- the invoice or order confirmation of the subscription (with payment details removed);
- the name and email address of your organization's sold-to contact, who can confirm that you \
may open tickets on the organization's behalf.

Once your entitlement is verified we will associate your account with your organization, so \
that your future tickets get the right service level straight away.

Best regards,
Ada Lovelace"""


@pytest.mark.parametrize(
    ("title", "text", "changes"),
    [
        ("General::Invite customer call", INVITE, {"status": "pending"}),
        ("General::Pre customer call", PRE, {}),
        ("General::Post customer call", POST, {}),
        (
            "Prove support entitlement",
            ENTITLEMENT,
            {"add_tags": ["entitlement_unverified"], "status": "pending"},
        ),
    ],
)
def test_shipped_macro_renders_exact_text(ticket, ada, title, text, changes):
    """Each handbook macro renders its text for the ticket and agent, with its field changes."""
    plan = macros.plan_macro(macro=shipped(title), ticket=ticket, actor=ada)
    assert plan.comment_body == expected(text, ticket)
    assert plan.comment_public is True
    assert plan.changes == changes


def test_shipped_macros_pass_validation(db):
    """The shipped macros are valid by the same rules as admin-created ones."""
    titles = set(Macro.objects.values_list("title", flat=True))
    assert {
        "General::Invite customer call",
        "General::Pre customer call",
        "General::Post customer call",
        "Prove support entitlement",
    } <= titles
    for macro in Macro.objects.all():
        macros.validate_macro_actions(macro.actions, title=macro.title)


def counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        TicketAudit.objects.count(),
        AuditEvent.objects.count(),
        TicketTag.objects.count(),
    )


def test_preview_writes_nothing_and_shows_the_changes(ticket, ada):
    """Preview lists before/after and the rendered comment; no row is written or changed."""
    # given
    before = counts()
    status_before = Ticket.objects.get(pk=ticket.pk).status
    # when
    preview = macros.preview_macro(
        macro=shipped("Prove support entitlement"), ticket=ticket, actor=ada
    )
    # then
    assert counts() == before
    assert Ticket.objects.get(pk=ticket.pk).status == status_before == "new"
    assert preview["changes"] == [
        {"field": "tags", "from": ["ci"], "to": ["ci", "entitlement_unverified"]},
        {"field": "status", "from": "new", "to": "pending"},
    ]
    assert preview["tags"] == {"before": ["ci"], "after": ["ci", "entitlement_unverified"]}
    assert preview["comment"] == {"body": expected(ENTITLEMENT, ticket), "public": True}


def test_preview_shows_implicit_open_and_solver_assignment(ticket, ada):
    """A comment-only macro opens a new ticket; solving an unassigned one assigns the agent."""
    note = Macro.objects.create(title="Note", actions=[{"field": "comment_value", "value": "x"}])
    solve = Macro.objects.create(title="Solve", actions=[{"field": "status", "value": "solved"}])
    assert macros.preview_macro(macro=note, ticket=ticket, actor=ada)["changes"] == [
        {"field": "status", "from": "new", "to": "open"}
    ]
    assert macros.preview_macro(macro=solve, ticket=ticket, actor=ada)["changes"] == [
        {"field": "status", "from": "new", "to": "solved"},
        {"field": "assignee", "from": None, "to": {"id": ada.pk, "name": "Ada Lovelace"}},
    ]


def test_apply_changes_status_and_tags_and_adds_an_audited_comment(ticket, ada):
    """Applying a shipped macro through actions.apply_macro: fields, tags, comment, audit."""
    macro = shipped("Prove support entitlement")
    # when
    updated = apply_macro(ticket=ticket, macro=macro, actor=ada)
    # then
    assert updated.status == "pending"
    assert updated.tag_names() == ["ci", "entitlement_unverified"]
    comment = Comment.objects.filter(ticket=ticket).order_by("pk").last()
    assert comment.body == expected(ENTITLEMENT, ticket)
    assert comment.public is True
    assert comment.author == ada
    assert comment.metadata == {"macro_id": macro.pk}
    audit = TicketAudit.objects.filter(ticket=ticket).order_by("pk").last()
    assert audit.actor == ada
    events = {(e.kind, e.field): e for e in audit.events.all()}
    assert events[("Change", "status")].from_value == "new"
    assert events[("Change", "status")].to_value == "pending"
    assert events[("Change", "tags")].to_value == ["ci", "entitlement_unverified"]
    assert events[("Comment", "")].comment == comment


def test_apply_internal_note_and_field_changes(ticket, ada):
    """Assignee current_user, group, priority, type, set/remove tags and a private note."""
    group = SupportGroupFactory(name="Tier 2")
    macro = Macro.objects.create(
        title="Escalate",
        actions=[
            {"field": "assignee_id", "value": "current_user"},
            {"field": "group_id", "value": group.pk},
            {"field": "priority", "value": "high"},
            {"field": "type", "value": "incident"},
            {"field": "set_tags", "value": "escalated tier2"},
            {"field": "remove_tags", "value": "tier2"},
            {"field": "comment_value", "value": "Escalated by {{ current_user.first_name }}."},
            {"field": "comment_mode_is_public", "value": "false"},
        ],
    )
    updated = apply_macro(ticket=ticket, macro=macro, actor=ada)
    assert (updated.assignee, updated.group, updated.priority, updated.ticket_type) == (
        ada,
        group,
        "high",
        "incident",
    )
    assert updated.tag_names() == ["escalated"]
    assert updated.status == "open"  # an agent's first action opens a new ticket
    note = Comment.objects.filter(ticket=ticket).order_by("pk").last()
    assert (note.body, note.public) == ("Escalated by Ada.", False)


def test_end_user_cannot_apply_a_macro(ticket, grace):
    with pytest.raises(PermissionDenied):
        apply_macro(ticket=ticket, macro=shipped("General::Pre customer call"), actor=grace)


@pytest.mark.parametrize(
    "placeholder",
    [
        "{{ticket.secret}}",
        "{{ticket.requester.password}}",
        "{{ticket.__class__}}",
        "{{ticket.requester.__dict__}}",
        "{{current_user.password}}",
        "{{ticket.requester.organization.notes}}",
        "{{ settings.SECRET_KEY }}",
        "{{ticket.id|safe}}",
        "{{}}",
    ],
)
def test_unknown_placeholder_is_refused_by_name(ticket, ada, placeholder):
    """Anything outside the whitelist is a ValidationFailed naming it, never an attribute read."""
    name = placeholder[2:-2].strip()
    with pytest.raises(ValidationFailed, match=r"Unknown placeholder \{\{" + re.escape(name)):
        macros.validate_macro_actions([{"field": "comment_value", "value": f"Hi {placeholder}"}])
    macro = Macro.objects.create(
        title="Sneaky", actions=[{"field": "comment_value", "value": f"Hi {placeholder}"}]
    )
    with pytest.raises(ValidationFailed, match='macro "Sneaky"'):
        macros.plan_macro(macro=macro, ticket=ticket, actor=ada)
    with pytest.raises(ValidationFailed):
        apply_macro(ticket=ticket, macro=macro, actor=ada)
    assert Comment.objects.filter(ticket=ticket, body__startswith="Hi ").count() == 0


@pytest.mark.parametrize("template", ["Hi {{ticket.id", "Hi ticket.id}}", "{{ticket.id}} }}"])
def test_unbalanced_braces_are_refused(template):
    with pytest.raises(ValidationFailed, match="Unbalanced"):
        macros.check_template(template)


def test_rendering_is_a_single_pass(ada, grace):
    """A value that looks like a placeholder is printed, not rendered again."""
    tricky = create_ticket(
        actor=grace, requester=grace, subject="{{current_user.email}}", description="x"
    )
    out = macros.render_template(
        "{{ticket.title}} / {{ticket.url}} / {{ticket.organization.name}} / "
        "{{ticket.assignee.name}}/{{ticket.requester.email}}",
        ticket=tricky,
        actor=ada,
    )
    assert out == (
        f"{{{{current_user.email}}}} / {BASE}/tickets/{tricky.pk}/ / Acme Corp / /grace@acme.test"
    )


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([{"field": "priorty", "value": "high"}], "unknown field 'priorty'"),
        ([{"field": "status", "value": "closed"}], "'closed' is not one of open, pending"),
        ([{"field": "status", "value": "new"}], "'new' is not one of"),
        ([{"field": "priority", "value": "severe"}], "'severe' is not one of"),
        ([{"field": "type", "value": "bug"}], "'bug' is not one of"),
        ([{"field": "assignee_id", "value": "someone"}], "assignee_id"),
        ([{"field": "comment_mode_is_public", "value": "maybe"}], "true or false"),
        ([{"field": "current_tags", "value": "Bad Tag!"}], "not a valid tag"),
        ([{"field": "status"}], 'expected {"field": ..., "value": ...}'),
        ({"field": "status", "value": "open"}, "expected a list"),
        (
            [{"field": "status", "value": "open"}, {"field": "status", "value": "solved"}],
            "status appears twice",
        ),
        (
            [{"field": "current_tags", "value": "a"}, {"field": "remove_tags", "value": "a"}],
            "'a' is both added and removed",
        ),
    ],
)
def test_bad_actions_are_refused_with_a_clear_message(actions, message):
    with pytest.raises(ValidationFailed) as error:
        macros.validate_macro_actions(actions)
    assert message in str(error.value)


def test_create_macro_validates_and_is_for_admins(db, ada):
    admin = AdminFactory()
    with pytest.raises(PermissionDenied):
        macros.create_macro(actor=ada, title="X", actions=[])
    with pytest.raises(ValidationFailed, match=r"ticket\.nope"):
        macros.create_macro(
            actor=admin, title="X", actions=[{"field": "comment_value", "value": "{{ticket.nope}}"}]
        )
    macro = macros.create_macro(
        actor=admin, title="Pending", actions=[{"field": "status", "value": "pending"}]
    )
    assert Macro.objects.get(pk=macro.pk).actions == [{"field": "status", "value": "pending"}]
    with pytest.raises(ValidationFailed, match="exists"):
        macros.create_macro(actor=admin, title="Pending", actions=[])
    macros.update_macro(actor=admin, macro=macro, actions=[{"field": "status", "value": "hold"}])
    with pytest.raises(ValidationFailed, match="'closed'"):
        macros.update_macro(
            actor=admin, macro=macro, actions=[{"field": "status", "value": "closed"}]
        )


def test_missing_agent_or_group_and_restricted_macros(ticket, ada):
    gone = Macro.objects.create(title="Gone", actions=[{"field": "assignee_id", "value": 999999}])
    with pytest.raises(ValidationFailed, match="not an active agent"):
        macros.plan_macro(macro=gone, ticket=ticket, actor=ada)
    group = SupportGroupFactory()
    restricted = Macro.objects.create(
        title="Tier 3 only",
        actions=[{"field": "status", "value": "hold"}],
        restricted_to_group=group,
    )
    with pytest.raises(PermissionDenied):
        macros.plan_macro(macro=restricted, ticket=ticket, actor=ada)
    ada.support_groups.add(group)
    assert macros.plan_macro(macro=restricted, ticket=ticket, actor=ada).changes == {
        "status": "hold"
    }
    restricted.active = False
    with pytest.raises(ValidationFailed, match="inactive"):
        macros.plan_macro(macro=restricted, ticket=ticket, actor=ada)
