"""Rule conditions and actions: every operator, all/any, validation messages (pure, no DB)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.notify.rules.conditions import (
    FIELDS,
    PRIORITIES,
    ConditionError,
    condition_holds,
    explain,
    matches,
    validate_condition,
    validate_conditions,
)
from switchboard.notify.rules.validation import validate_action, validate_actions

SNAP = {
    "status": "open",
    "priority": "high",
    "type": "incident",
    "channel": "email",
    "tags": ["vip", "upgrade"],
    "group": "Support EMEA",
    "assignee": None,
    "product_line": "saas",
    "subject": "Runner stuck after Upgrade",
    "description": "The runner hangs",
    "organization.support_level": "priority",
    "organization.has_tam": True,
    "organization.arr": 120000.0,
    "organization.seats": None,
    "requester.domain": "acme.test",
    "comment.public": True,
    "sla.minutes_left": 119.5,
    "sla.thresholds": [120],
    "_changes": {"status": ("new", "open"), "tags": (["vip"], ["vip", "upgrade"])},
}


def c(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (c("status", "is", "open"), True),
        (c("status", "is", "pending"), False),
        (c("status", "is_not", "pending"), True),
        (c("status", "in", ["new", "open"]), True),
        (c("status", "not_in", ["new", "open"]), False),
        (c("priority", "less_than", "urgent"), True),
        (c("priority", "less_than", "high"), False),
        (c("priority", "greater_than", "normal"), True),
        (c("priority", "greater_than", "high"), False),
        (c("status", "less_than", "solved"), True),
        (c("subject", "contains", "upgrade"), True),  # case-insensitive
        (c("subject", "not_contains", "upgrade"), False),
        (c("subject", "is", "runner stuck after upgrade"), True),
        (c("tags", "contains", "vip"), True),
        (c("tags", "contains", ["nope", "upgrade"]), True),
        (c("tags", "not_contains", "vip"), False),
        (c("tags", "present"), True),
        (c("tags", "not_present"), False),
        (c("assignee", "present"), False),
        (c("assignee", "not_present"), True),
        (c("group", "is", "support emea"), True),
        (c("status", "changed"), True),
        (c("priority", "changed"), False),
        (c("status", "changed_to", "open"), True),
        (c("status", "changed_to", "pending"), False),
        (c("status", "changed_from", "new"), True),
        (c("status", "changed_from", "open"), False),
        (c("tags", "changed_to", "upgrade"), True),  # added
        (c("tags", "changed_from", "upgrade"), False),  # not removed
        (c("organization.arr", "greater_than", 100000), True),
        (c("organization.arr", "less_than", 100000), False),
        (c("organization.seats", "less_than", 5), False),  # unknown never compares
        (c("organization.seats", "not_present"), True),
        (c("organization.has_tam", "is", True), True),
        (c("organization.has_tam", "is_not", True), False),
        (c("sla.minutes_left", "less_than", 120), True),
        (c("sla.thresholds", "contains", 120), True),
        (c("sla.thresholds", "contains", 30), False),
        (c("sla.thresholds", "not_contains", 30), True),
        (c("requester.domain", "is", "ACME.test"), True),
        (c("comment.public", "is", False), False),
        (c("organization", "not_present"), True),
    ],
)
def test_each_operator(condition, expected):
    """Each operator gives the documented answer on a known snapshot."""
    validate_condition(condition)
    assert condition_holds(condition, SNAP) is expected


def test_all_and_any():
    """All must hold; any needs one when present; an empty rule matches."""
    yes, no = c("status", "is", "open"), c("status", "is", "closed")
    assert matches([], [], SNAP)
    assert matches([yes], [], SNAP)
    assert not matches([yes, no], [], SNAP)
    assert matches([yes], [no, yes], SNAP)
    assert not matches([yes], [no], SNAP)
    assert [held for _, _, held in explain([yes], [no], SNAP)] == [True, False]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("status", "must be an object"),
        (c("nope", "is", "x"), "unknown field 'nope'"),
        (c("status", "equals", "open"), "unknown operator 'equals'"),
        (c("subject", "less_than", "a"), "does not apply to subject"),
        (c("status", "is", "opened"), "'opened' is not a status"),
        (c("priority", "in", []), "needs at least one value"),
        (c("organization.arr", "greater_than", "lots"), "needs a number"),
        (c("organization.has_tam", "is", "yes"), "needs true or false"),
        (c("tags", "contains", ""), "tags must be"),
        (c("channel", "changed"), "does not apply to channel"),
        ({"field": "status", "operator": "is"}, "needs a value"),
        ({"field": "status", "operator": "is", "value": "open", "x": 1}, "unknown key"),
    ],
)
def test_validation_names_the_problem(condition, message):
    """Bad conditions are refused with a message that says what is wrong."""
    with pytest.raises(ConditionError, match=message):
        validate_condition(condition)


def test_validate_conditions_names_the_index():
    with pytest.raises(ConditionError, match=r"conditions_all\[1\]"):
        validate_conditions([c("status", "is", "open"), c("x", "is", 1)], "conditions_all")
    with pytest.raises(ConditionError, match="must be a list"):
        validate_conditions({"status": "open"})


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"type": "explode"}, "unknown action type"),
        ({"type": "set_field", "field": "subject", "value": "x"}, "cannot set field"),
        ({"type": "set_field", "field": "priority", "value": "asap"}, "not a priority"),
        ({"type": "set_field", "field": "status", "value": "closed"}, "not a status"),
        ({"type": "add_tags", "value": []}, "needs a tag"),
        ({"type": "email_user", "value": "nobody"}, "not an email address"),
        ({"type": "email_group"}, "needs a group name"),
        ({"type": "email_tam", "template": "rules/../../x"}, "unknown email template"),
        ({"type": "notify_endpoint"}, "needs an endpoint name"),
        ({"type": "email_tam", "to": "x"}, "unknown key"),
    ],
)
def test_action_validation(action, message):
    with pytest.raises(ConditionError, match=message):
        validate_action(action)


def test_valid_actions_pass():
    validate_actions(
        [
            {"type": "set_field", "field": "priority", "value": "urgent"},
            {"type": "set_field", "field": "assignee", "value": None},
            {"type": "add_tags", "value": "a b"},
            {"type": "email_tam", "template": "rules/tam_new_ticket"},
            {"type": "notify_endpoint", "endpoint": "Chat", "message": "{{ ticket.id }}"},
        ]
    )
    with pytest.raises(ConditionError, match="non-empty list"):
        validate_actions([])


@given(
    current=st.sampled_from(PRIORITIES),
    wanted=st.sampled_from(PRIORITIES),
)
def test_priority_comparisons_partition(current, wanted):
    """Exactly one of less_than / is / greater_than holds for two priorities."""
    snap = {"priority": current}
    results = [
        condition_holds(c("priority", op, wanted), snap)
        for op in ("less_than", "is", "greater_than")
    ]
    assert results.count(True) == 1
    assert condition_holds(c("priority", "is_not", wanted), snap) is (current != wanted)


@given(
    tags=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True),
    wanted=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, unique=True),
)
def test_tag_contains_is_the_negation_of_not_contains(tags, wanted):
    snap = {"tags": tags}
    has = condition_holds(c("tags", "contains", wanted), snap)
    assert has is bool(set(tags) & set(wanted))
    assert condition_holds(c("tags", "not_contains", wanted), snap) is (not has)
    assert matches([], [c("tags", "contains", w) for w in wanted], snap) is has


@given(
    field=st.sampled_from(sorted(FIELDS)),
    value=st.one_of(st.none(), st.text(max_size=5), st.integers(), st.booleans()),
)
def test_present_and_not_present_are_opposites(field, value):
    snap = {field: value}
    assert condition_holds(c(field, "present"), snap) is not condition_holds(
        c(field, "not_present"), snap
    )
