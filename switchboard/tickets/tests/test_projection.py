"""tickets.projection on plain rows: what an end-user and an agent see of audits and comments."""

from __future__ import annotations

from types import SimpleNamespace

from switchboard.accounts.access import SYSTEM, Viewer, viewer_for
from switchboard.tickets.projection import (
    FieldInfo,
    comment_visible,
    project_audit_events,
    project_comments,
)

END_USER = Viewer(id=5, role="end_user", organization_id=1, personal="inherit", org_sharing="own")
AGENT = Viewer(id=6, role="agent", organization_id=None, personal="inherit", org_sharing=None)
FIELDS = [FieldInfo(id=1, visible_in_portal=True), FieldInfo(id=2, visible_in_portal=False)]


def _event(pk, kind, field="", old=None, new=None, comment=None):
    return SimpleNamespace(
        pk=pk, kind=kind, field=field, from_value=old, to_value=new, comment=comment
    )


EVENTS = [
    _event(1, "Change", "status", "new", "open"),
    _event(2, "Change", "tags", [], ["vip"]),
    _event(3, "Change", "custom_fields", {"1": "a"}, {"1": "b", "2": "secret"}),
    _event(4, "Change", "custom_fields", {}, {"2": "secret"}),
    _event(5, "Comment", comment=SimpleNamespace(public=False, body="note")),
    _event(6, "Comment", comment=SimpleNamespace(public=True, body="reply")),
    _event(7, "Change", "external_id", "", "crm-1"),
    _event(8, "Change", "comment_redacted", None, 3),
]


def test_end_users_see_customer_fields_and_public_comments_only():
    shown = project_audit_events(END_USER, EVENTS, FIELDS)
    assert [e.id for e in shown] == [1, 3, 6]
    assert shown[1].from_value == {"1": "a"} and shown[1].to_value == {"1": "b"}


def test_agents_and_the_system_see_every_event():
    assert [e.id for e in project_audit_events(AGENT, EVENTS, FIELDS)] == list(range(1, 9))
    assert len(project_audit_events(viewer_for(SYSTEM), EVENTS, FIELDS)) == 8


def test_comments_rule():
    note, reply = SimpleNamespace(public=False), SimpleNamespace(public=True)
    assert project_comments(END_USER, [note, reply]) == [reply]
    assert project_comments(AGENT, [note, reply]) == [note, reply]
    assert comment_visible(viewer_for(SYSTEM), note)
    anonymous = viewer_for(None)
    assert not comment_visible(anonymous, note)


def test_a_comment_carried_in_by_an_internal_merge_is_not_shown_to_end_users():
    """`shown_public` (annotated by queries.comments_for) wins over the comment's own flag."""
    carried = SimpleNamespace(public=True, shown_public=False)
    assert project_comments(END_USER, [carried]) == []
    assert project_comments(AGENT, [carried]) == [carried]
