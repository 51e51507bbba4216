"""Tests for the pure Zendesk search-syntax parser (no database, no Django)."""

from __future__ import annotations

import dataclasses
import itertools
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.tickets.search_query import (
    COMPARISON_OPS,
    DATE_KEYS,
    KNOWN_KEYS,
    MAX_QUERY_LENGTH,
    MAX_WILDCARD_TERMS,
    ORDER_BY_KEYS,
    PRIORITY_ORDER,
    RELATIVE_UNITS,
    RESULT_TYPES,
    STATUS_ORDER,
    TICKET_TYPES,
    VIA_CHANNELS,
    DateRange,
    FieldGroupKey,
    FieldTerm,
    FieldValue,
    ParsedQuery,
    QuerySyntaxError,
    RelativeDate,
    Special,
    TextTerm,
    date_range,
    parse_query,
    priorities_matching,
    statuses_matching,
)

# Hypothesis must not write an example database into the source tree.
HYPOTHESIS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- helpers


def T(
    text: str, *, phrase: bool = False, negated: bool = False, wildcard: bool = False
) -> TextTerm:
    return TextTerm(text, phrase=phrase, negated=negated, wildcard=wildcard)


def F(
    key: str, *values: FieldValue, op: str = "=", negated: bool = False, wildcard: bool = False
) -> FieldTerm:
    return FieldTerm(key, op, tuple(values), negated=negated, wildcard=wildcard)


def Q(*terms: TextTerm | FieldTerm, type: str | None = None) -> ParsedQuery:
    return ParsedQuery(
        text_terms=tuple(t for t in terms if isinstance(t, TextTerm)),
        field_terms=tuple(t for t in terms if isinstance(t, FieldTerm)),
        result_type=type,
    )


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def R(start: datetime | None, end: datetime | None) -> DateRange:
    return DateRange(start, end)


OPEN_BEFORE_SOLVED = ("new", "open", "pending", "hold")


# --------------------------------------------------------------------------- valid queries

VALID_CASES: list[tuple[str, ParsedQuery]] = [
    # Empty and whitespace-only queries.
    ("", Q()),
    ("   ", Q()),
    ("\t\n \r", Q()),
    # The example from the spec.
    (
        "type:ticket status<solved tags:x",
        Q(F("status", *OPEN_BEFORE_SOLVED), F("tags", "x"), type="ticket"),
    ),
    # Free text.
    ("printer", Q(T("printer"))),
    ("printer jam", Q(T("printer"), T("jam"))),
    ("  printer \t  jam  ", Q(T("printer"), T("jam"))),
    ("Printer", Q(T("Printer"))),  # text keeps its case
    ("10:30", Q(T("10:30"))),  # not key-shaped: starts with a digit
    ("status=open", Q(T("status=open"))),  # "=" is not an operator
    (":open", Q(T(":open"))),
    ("<5", Q(T("<5"))),
    ("foo-bar", Q(T("foo-bar"))),
    ("café:x", Q(T("café:x"))),  # key-shaped prefix is ASCII only
    ("-5", Q(T("5", negated=True))),
    ("-printer", Q(T("printer", negated=True))),
    ("printer -jam", Q(T("printer"), T("jam", negated=True))),
    # Wildcards in words.
    ("serv*", Q(T("serv*", wildcard=True))),
    ("se*v", Q(T("se*v", wildcard=True))),
    ("s**", Q(T("s*", wildcard=True))),  # runs collapse
    ("a**b***", Q(T("a*b*", wildcard=True))),
    ("-serv*", Q(T("serv*", negated=True, wildcard=True))),
    # Phrases.
    ('"printer jam"', Q(T("printer jam", phrase=True))),
    ('"  printer \t jam  "', Q(T("printer jam", phrase=True))),
    ('"printer"', Q(T("printer", phrase=True))),
    ('-"printer jam"', Q(T("printer jam", phrase=True, negated=True))),
    ('"serv*"', Q(T("serv*", phrase=True))),  # wildcard is literal in a phrase
    ('"status:open"', Q(T("status:open", phrase=True))),  # quoting makes it text
    ('"http://example.com"', Q(T("http://example.com", phrase=True))),
    ('"a" "b"', Q(T("a", phrase=True), T("b", phrase=True))),
    ('"-x"', Q(T("-x", phrase=True))),
    (
        'paper "printer jam" -toner',
        Q(T("paper"), T("printer jam", phrase=True), T("toner", negated=True)),
    ),
    # type:
    ("type:ticket", Q(type="ticket")),
    ("type:user", Q(type="user")),
    ("type:organization", Q(type="organization")),
    ("TYPE:Ticket", Q(type="ticket")),
    ('type:"user"', Q(type="user")),
    ("type:ticket type:ticket", Q(type="ticket")),
    ("type:user jane", Q(T("jane"), type="user")),
    # status: every value, case-insensitive.
    *[(f"status:{s}", Q(F("status", s))) for s in STATUS_ORDER],
    ("status:OPEN", Q(F("status", "open"))),
    ("Status:Open", Q(F("status", "open"))),
    ('status:"open"', Q(F("status", "open"))),
    ("status<solved", Q(F("status", *OPEN_BEFORE_SOLVED))),
    ("status:<solved", Q(F("status", *OPEN_BEFORE_SOLVED))),
    ("status<=solved", Q(F("status", *OPEN_BEFORE_SOLVED, "solved"))),
    ("status:<=solved", Q(F("status", *OPEN_BEFORE_SOLVED, "solved"))),
    ("status>pending", Q(F("status", "hold", "solved", "closed"))),
    ("status:>pending", Q(F("status", "hold", "solved", "closed"))),
    ("status>=pending", Q(F("status", "pending", "hold", "solved", "closed"))),
    ("status:>=pending", Q(F("status", "pending", "hold", "solved", "closed"))),
    ("status<new", Q(F("status"))),  # matches nothing
    ("status>closed", Q(F("status"))),
    ("status>=new", Q(F("status", *STATUS_ORDER))),
    ("-status<solved", Q(F("status", *OPEN_BEFORE_SOLVED, negated=True))),
    (
        "status:open status:pending",
        Q(F("status", "open"), F("status", "pending")),
    ),
    # priority.
    *[(f"priority:{p}", Q(F("priority", p))) for p in PRIORITY_ORDER],
    ("priority:URGENT", Q(F("priority", "urgent"))),
    ("priority>normal", Q(F("priority", "high", "urgent"))),
    ("priority>=normal", Q(F("priority", "normal", "high", "urgent"))),
    ("priority<high", Q(F("priority", "low", "normal"))),
    ("priority:<=high", Q(F("priority", "low", "normal", "high"))),
    ("priority<low", Q(F("priority"))),
    ("-priority:low", Q(F("priority", "low", negated=True))),
    # ticket_type.
    *[(f"ticket_type:{t}", Q(F("ticket_type", t))) for t in TICKET_TYPES],
    ("TICKET_TYPE:Incident", Q(F("ticket_type", "incident"))),
    ("-ticket_type:task", Q(F("ticket_type", "task", negated=True))),
    # tags (and the tag alias).
    ("tags:vip", Q(F("tags", "vip"))),
    ("tag:vip", Q(F("tags", "vip"))),
    ("TAG:VIP", Q(F("tags", "vip"))),  # tags are lower-cased
    ("tags:vip*", Q(F("tags", "vip*", wildcard=True))),
    ("tags:v*p", Q(F("tags", "v*p", wildcard=True))),
    ("tags:vip**", Q(F("tags", "vip*", wildcard=True))),
    ('tags:"vip*"', Q(F("tags", "vip*"))),  # quoted: literal star
    ("tags:a:b", Q(F("tags", "a:b"))),
    ("tags:none", Q(F("tags", "none"))),  # not special for tags
    ("-tags:a -tags:b", Q(F("tags", "a", negated=True), F("tags", "b", negated=True))),
    ("tags:a tag:b", Q(F("tags", "a"), F("tags", "b"))),
    # Reference keys.
    ("requester:jane@example.com", Q(F("requester", "jane@example.com"))),
    ("requester:Jane", Q(F("requester", "Jane"))),  # keeps its case
    ("requester:me", Q(F("requester", Special.ME))),
    ("requester:none", Q(F("requester", "none"))),  # requester is never empty
    ("assignee:none", Q(F("assignee", Special.NONE))),
    ("assignee:NONE", Q(F("assignee", Special.NONE))),
    ("assignee:me", Q(F("assignee", Special.ME))),
    ("assignee:Me", Q(F("assignee", Special.ME))),
    ('assignee:"me"', Q(F("assignee", "me"))),  # quoted: literal
    ('assignee:"none"', Q(F("assignee", "none"))),
    ("assignee:none*", Q(F("assignee", "none*", wildcard=True))),
    ("-assignee:none", Q(F("assignee", Special.NONE, negated=True))),
    ("assignee:jo*", Q(F("assignee", "jo*", wildcard=True))),
    ("assignee:42", Q(F("assignee", "42"))),
    ("group:none", Q(F("group", Special.NONE))),
    ("group:me", Q(F("group", "me"))),  # not special for groups
    ("group:Support", Q(F("group", "Support"))),
    ("organization:none", Q(F("organization", Special.NONE))),
    ("organization:me", Q(F("organization", "me"))),
    ("organization:acme", Q(F("organization", "acme"))),
    ('organization:"Acme Corp"', Q(F("organization", "Acme Corp"))),
    ('organization:"  Acme   Corp "', Q(F("organization", "Acme Corp"))),
    ('organization:"Acme*"', Q(F("organization", "Acme*"))),
    ('-organization:"Acme Corp"', Q(F("organization", "Acme Corp", negated=True))),
    ("organization:Acme*", Q(F("organization", "Acme*", wildcard=True))),
    (
        "assignee:none assignee:me",
        Q(F("assignee", Special.NONE), F("assignee", Special.ME)),
    ),
    # Everything together, in order.
    (
        'type:ticket printer "paper jam" -toner status<solved -tags:spam tags:vip* '
        'assignee:none organization:"Acme Corp" created>=2024-01-01 created<2024-02-01',
        Q(
            T("printer"),
            T("paper jam", phrase=True),
            T("toner", negated=True),
            F("status", *OPEN_BEFORE_SOLVED),
            F("tags", "spam", negated=True),
            F("tags", "vip*", wildcard=True),
            F("assignee", Special.NONE),
            F("organization", "Acme Corp"),
            F("created", R(at(2024, 1, 1), None), op=">="),
            F("created", R(None, at(2024, 2, 1)), op="<"),
            type="ticket",
        ),
    ),
]


@pytest.mark.parametrize(("query", "expected"), VALID_CASES, ids=[c[0] for c in VALID_CASES])
def test_valid_queries(query: str, expected: ParsedQuery) -> None:
    assert parse_query(query) == expected


# --------------------------------------------------------------------------- dates

DATE_CASES: list[tuple[str, FieldTerm]] = [
    # Whole days: [start, end) half-open ranges in UTC.
    ("created:2024-05-01", F("created", R(at(2024, 5, 1), at(2024, 5, 2)))),
    ("created>2024-05-01", F("created", R(at(2024, 5, 2), None), op=">")),
    ("created:>2024-05-01", F("created", R(at(2024, 5, 2), None), op=">")),
    ("created>=2024-05-01", F("created", R(at(2024, 5, 1), None), op=">=")),
    ("created:>=2024-05-01", F("created", R(at(2024, 5, 1), None), op=">=")),
    ("created<2024-05-01", F("created", R(None, at(2024, 5, 1)), op="<")),
    ("created:<2024-05-01", F("created", R(None, at(2024, 5, 1)), op="<")),
    ("created<=2024-05-01", F("created", R(None, at(2024, 5, 2)), op="<=")),
    ("created:<=2024-05-01", F("created", R(None, at(2024, 5, 2)), op="<=")),
    ("updated:2024-12-31", F("updated", R(at(2024, 12, 31), at(2025, 1, 1)))),
    ("solved:2024-02-29", F("solved", R(at(2024, 2, 29), at(2024, 3, 1)))),  # leap day
    ('created:"2024-05-01"', F("created", R(at(2024, 5, 1), at(2024, 5, 2)))),
    ("CREATED:2024-05-01", F("created", R(at(2024, 5, 1), at(2024, 5, 2)))),
    ("-created:2024-05-01", F("created", R(at(2024, 5, 1), at(2024, 5, 2)), negated=True)),
    ("created:0001-01-01", F("created", R(at(1, 1, 1), at(1, 1, 2)))),
    ("created<9999-12-31", F("created", R(None, at(9999, 12, 31)), op="<")),
    ("created>=9999-12-31", F("created", R(at(9999, 12, 31), None), op=">=")),
    # Timestamps: the whole second.
    (
        "created:2024-05-01T10:20:30Z",
        F("created", R(at(2024, 5, 1, 10, 20, 30), at(2024, 5, 1, 10, 20, 31))),
    ),
    (
        "created>2024-05-01T10:20:30Z",
        F("created", R(at(2024, 5, 1, 10, 20, 31), None), op=">"),
    ),
    (
        "created>=2024-05-01T10:20:30Z",
        F("created", R(at(2024, 5, 1, 10, 20, 30), None), op=">="),
    ),
    (
        "created<2024-05-01T10:20:30Z",
        F("created", R(None, at(2024, 5, 1, 10, 20, 30)), op="<"),
    ),
    (
        "created<=2024-05-01T10:20:30Z",
        F("created", R(None, at(2024, 5, 1, 10, 20, 31)), op="<="),
    ),
    (
        "updated:2024-12-31T23:59:59Z",
        F("updated", R(at(2024, 12, 31, 23, 59, 59), at(2025, 1, 1))),
    ),
    ("solved:2024-05-01t00:00:00z", F("solved", R(at(2024, 5, 1), at(2024, 5, 1, 0, 0, 1)))),
]


@pytest.mark.parametrize(("query", "expected"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_date_terms(query: str, expected: FieldTerm) -> None:
    assert parse_query(query) == Q(expected)


@pytest.mark.parametrize("key", sorted(DATE_KEYS))
def test_date_ranges_are_utc_aware(key: str) -> None:
    term = parse_query(f"{key}:2024-05-01T10:20:30Z").field_terms[0]
    (value,) = term.values
    assert isinstance(value, DateRange)
    assert value.start is not None and value.end is not None
    assert value.start.tzinfo is UTC and value.end.tzinfo is UTC
    assert value.end - value.start == timedelta(seconds=1)


# --------------------------------------------------------------------------- operator spellings

OP_SPELLINGS = [
    (":", "="),
    ("<", "<"),
    (":<", "<"),
    (">", ">"),
    (":>", ">"),
    ("<=", "<="),
    (":<=", "<="),
    (">=", ">="),
    (":>=", ">="),
]


@pytest.mark.parametrize(("spelling", "op"), OP_SPELLINGS)
def test_operator_spellings_on_status(spelling: str, op: str) -> None:
    for status in STATUS_ORDER:
        term = parse_query(f"status{spelling}{status}").field_terms[0]
        assert term == F("status", *statuses_matching(op, status))


@pytest.mark.parametrize(("spelling", "op"), OP_SPELLINGS)
def test_operator_spellings_on_dates(spelling: str, op: str) -> None:
    for key in sorted(DATE_KEYS):
        (term,) = parse_query(f"{key}{spelling}2024-01-01").field_terms
        assert (term.key, term.op, term.negated, term.wildcard) == (key, op, False, False)


@pytest.mark.parametrize(
    "key", [k for k in KNOWN_KEYS if k not in {"status", "priority", *DATE_KEYS}]
)
@pytest.mark.parametrize(("spelling", "op"), [s for s in OP_SPELLINGS if s[1] != "="])
def test_comparisons_rejected_on_unordered_keys(key: str, spelling: str, op: str) -> None:
    query = f"{key}{spelling}x"
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert str(info.value).startswith(f'"{op}" is not allowed for "{key}" in "{query}"')
    assert (info.value.token, info.value.position) == (query, 0)


@pytest.mark.parametrize("key", [*KNOWN_KEYS, "tag"])
def test_keys_are_case_insensitive(key: str) -> None:
    value = {
        "type": "ticket",
        "status": "open",
        "priority": "low",
        "ticket_type": "task",
        "created": "2024-01-01",
        "updated": "2024-01-01",
        "solved": "2024-01-01",
        "via": "email",
        "order_by": "created",
        "sort": "asc",
    }.get(key, "x")
    expected = parse_query(f"{key}:{value}")
    assert parse_query(f"{key.upper()}:{value}") == expected
    assert parse_query(f"{key.title()}:{value}") == expected
    assert parse_query(f"{key.swapcase()}:{value.upper()}") == expected or key in {
        "subject",
        "description",
        "tags",
        "tag",
        "requester",
        "assignee",
        "organization",
        "group",
    }


# --------------------------------------------------------------------------- ordering helpers


@pytest.mark.parametrize(
    ("helper", "order"),
    [(statuses_matching, STATUS_ORDER), (priorities_matching, PRIORITY_ORDER)],
)
def test_ordered_helpers_exhaustive(helper: object, order: tuple[str, ...]) -> None:
    compare = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    assert callable(helper)
    for op, value in itertools.product(COMPARISON_OPS, order):
        expected = tuple(v for v in order if compare[op](order.index(v), order.index(value)))
        assert helper(op, value) == expected, (op, value)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("<", "solved", ("new", "open", "pending", "hold")),
        ("<=", "solved", ("new", "open", "pending", "hold", "solved")),
        (">", "solved", ("closed",)),
        (">=", "hold", ("hold", "solved", "closed")),
        ("=", "pending", ("pending",)),
        ("<", "new", ()),
        (">", "closed", ()),
    ],
)
def test_statuses_matching_examples(op: str, value: str, expected: tuple[str, ...]) -> None:
    assert statuses_matching(op, value) == expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("<", "high", ("low", "normal")),
        (">", "normal", ("high", "urgent")),
        ("<=", "low", ("low",)),
        (">=", "urgent", ("urgent",)),
        ("=", "normal", ("normal",)),
    ],
)
def test_priorities_matching_examples(op: str, value: str, expected: tuple[str, ...]) -> None:
    assert priorities_matching(op, value) == expected


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: statuses_matching("=", "opn"), "Unknown status 'opn'"),
        (lambda: statuses_matching("!=", "open"), "Unknown operator '!='"),
        (lambda: priorities_matching("<", "hgh"), "Unknown priority 'hgh'"),
        (lambda: priorities_matching(":", "low"), "Unknown operator ':'"),
    ],
)
def test_ordered_helpers_reject_bad_input(call: object, match: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=match):
        call()


def test_constants() -> None:
    assert STATUS_ORDER == ("new", "open", "pending", "hold", "solved", "closed")
    assert PRIORITY_ORDER == ("low", "normal", "high", "urgent")
    assert TICKET_TYPES == ("question", "incident", "problem", "task")
    assert RESULT_TYPES == ("ticket", "user", "organization")
    assert COMPARISON_OPS == ("=", "<", ">", "<=", ">=")
    assert set(KNOWN_KEYS) == {
        "type",
        "status",
        "priority",
        "ticket_type",
        "tags",
        "requester",
        "assignee",
        "organization",
        "group",
        "created",
        "updated",
        "solved",
        "subject",
        "description",
        "via",
        "order_by",
        "sort",
    }
    assert MAX_QUERY_LENGTH == 1000


# --------------------------------------------------------------------------- field groups


def test_field_groups_example() -> None:
    parsed = parse_query("type:ticket status<solved tags:x")
    assert parsed.field_groups() == {
        ("status", "=", False): (F("status", *OPEN_BEFORE_SOLVED),),
        ("tags", "=", False): (F("tags", "x"),),
    }


def test_field_groups_or_repeats_and_separates_keys_ops_and_negation() -> None:
    parsed = parse_query(
        "status:open tags:a status<open -tags:b created>=2024-01-01 -tags:c "
        "created<2024-02-01 tags:d created>=2024-03-01 priority:high"
    )
    groups = parsed.field_groups()
    assert groups == {
        FieldGroupKey("status", "=", False): (F("status", "open"), F("status", "new")),
        FieldGroupKey("tags", "=", False): (F("tags", "a"), F("tags", "d")),
        FieldGroupKey("tags", "=", True): (
            F("tags", "b", negated=True),
            F("tags", "c", negated=True),
        ),
        FieldGroupKey("created", ">=", False): (
            F("created", R(at(2024, 1, 1), None), op=">="),
            F("created", R(at(2024, 3, 1), None), op=">="),
        ),
        FieldGroupKey("created", "<", False): (F("created", R(None, at(2024, 2, 1)), op="<"),),
        FieldGroupKey("priority", "=", False): (F("priority", "high"),),
    }
    # First-seen order.
    assert [g.key for g in groups] == ["status", "tags", "tags", "created", "created", "priority"]
    first = next(iter(groups))
    assert (first.key, first.op, first.negated) == ("status", "=", False)


def test_field_groups_empty() -> None:
    assert parse_query("").field_groups() == {}
    assert parse_query("printer type:user").field_groups() == {}


def test_is_empty() -> None:
    assert parse_query("").is_empty
    assert parse_query("   ").is_empty
    assert not parse_query("type:ticket").is_empty
    assert not parse_query("printer").is_empty
    assert not parse_query("status:open").is_empty


def test_ast_is_frozen_and_hashable() -> None:
    query = 'type:ticket "a b" -c tags:d* created:2024-01-01 assignee:me'
    parsed = parse_query(query)
    assert hash(parsed) == hash(parse_query(query))
    assert len({parsed, parse_query(query)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.result_type = "user"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.text_terms[0].text = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.field_terms[0].values = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        R(None, None).start = at(2024, 1, 1)  # type: ignore[misc]


def test_parse_is_pure() -> None:
    query = 'type:ticket "a b" -c tags:d* created:2024-01-01 assignee:me'
    assert parse_query(query) == parse_query(query)
    assert pickle.loads(pickle.dumps(parse_query(query))) == parse_query(query)


# --------------------------------------------------------------------------- errors

KNOWN_KEYS_TEXT = (
    "Known keys: type, status, priority, ticket_type, tags, requester, assignee, "
    "organization, group, created, updated, solved, subject, description, via, order_by, sort."
)

# (query, message fragments, bad token, position)
ERROR_CASES: list[tuple[str, list[str], str | None, int]] = [
    # Unknown keys.
    (
        "stauts:open",
        [
            'Unknown search key "stauts" in "stauts:open" (position 0). ' + KNOWN_KEYS_TEXT,
            'Did you mean "status"?',
            "put it in double quotes",
        ],
        "stauts:open",
        0,
    ),
    (
        "printer Stauts:open",
        ['Unknown search key "Stauts" in "Stauts:open" (position 8)', 'Did you mean "status"?'],
        "Stauts:open",
        8,
    ),
    ("-stauts:open", ['Unknown search key "stauts" in "-stauts:open"'], "-stauts:open", 0),
    ("foo<bar", ['Unknown search key "foo" in "foo<bar"'], "foo<bar", 0),
    ("http://example.com", ['Unknown search key "http"'], "http://example.com", 0),
    ("tagz:", ['Unknown search key "tagz"', 'Did you mean "tags"?'], "tagz:", 0),
    ("x1:y", ['Unknown search key "x1"'], "x1:y", 0),
    ("_:y", ['Unknown search key "_"'], "_:y", 0),
    # Unknown enumerated values.
    (
        "status:opn",
        [
            'Unknown status "opn" in "status:opn" (position 0); '
            "expected one of new, open, pending, hold, solved, closed.",
            'Did you mean "open"?',
        ],
        "status:opn",
        0,
    ),
    ("status<slved", ['Unknown status "slved" in "status<slved"'], "status<slved", 0),
    ('status:"open pending"', ['Unknown status "open pending"'], 'status:"open pending"', 0),
    ("status:open,pending", ['Unknown status "open,pending"'], "status:open,pending", 0),
    ('status:"open*"', ['Unknown status "open*"'], 'status:"open*"', 0),
    (
        "priority:hgh",
        [
            'Unknown priority "hgh" in "priority:hgh" (position 0); '
            "expected one of low, normal, high, urgent.",
            'Did you mean "high"?',
        ],
        "priority:hgh",
        0,
    ),
    (
        "ticket_type:bug",
        [
            'Unknown ticket type "bug" in "ticket_type:bug" (position 0); '
            "expected one of question, incident, problem, task."
        ],
        "ticket_type:bug",
        0,
    ),
    (
        "type:tikcet",
        [
            'Unknown type "tikcet" in "type:tikcet" (position 0); '
            "expected one of ticket, user, organization.",
            'Did you mean "ticket"?',
        ],
        "type:tikcet",
        0,
    ),
    ("type:group", ['Unknown type "group"'], "type:group", 0),
    # Dates.
    (
        "created>2024-13-01",
        [
            'Invalid date "2024-13-01" in "created>2024-13-01" (position 0); expected YYYY-MM-DD,',
            "YYYY-MM-DDTHH:MM:SSZ or a time ago such as 2hours, 3days, 1week",
        ],
        "created>2024-13-01",
        0,
    ),
    ("created:2023-02-29", ['Invalid date "2023-02-29"'], "created:2023-02-29", 0),
    ("created:2024-04-31", ['Invalid date "2024-04-31"'], "created:2024-04-31", 0),
    ("created:0000-01-01", ['Invalid date "0000-01-01"'], "created:0000-01-01", 0),
    ("created:2024-1-1", ['Invalid date "2024-1-1"'], "created:2024-1-1", 0),
    ("created:24-01-01", ['Invalid date "24-01-01"'], "created:24-01-01", 0),
    ("created:2024/01/01", ['Invalid date "2024/01/01"'], "created:2024/01/01", 0),
    ("created:yesterday", ['Invalid date "yesterday"'], "created:yesterday", 0),
    ("created>4fortnights", ['Invalid date "4fortnights"'], "created>4fortnights", 0),
    ("created>hours", ['Invalid date "hours"'], "created>hours", 0),
    ("created>1.5hours", ['Invalid date "1.5hours"'], "created>1.5hours", 0),
    ("created>1234567days", ['Invalid date "1234567days"'], "created>1234567days", 0),
    # via, order_by, sort.
    ("via:fax", ['Unknown channel "fax"', "expected one of web, email, api"], "via:fax", 0),
    ("order_by:subject", ['Unknown order_by field "subject"'], "order_by:subject", 0),
    ("sort:up", ['Unknown sort order "up"', "expected one of asc, desc"], "sort:up", 0),
    ("-sort:asc", ['Negation is not allowed for "sort"'], "-sort:asc", 0),
    ("-order_by:created", ['Negation is not allowed for "order_by"'], "-order_by:created", 0),
    ("order_by>created", ['">" is not allowed for "order_by"'], "order_by>created", 0),
    ("sort:asc sort:desc", ['Conflicting sort values "asc" and "desc"'], "sort:desc", 9),
    ("subject<x", ['"<" is not allowed for "subject"'], "subject<x", 0),
    ("via:web*", ['Wildcard "*" is not allowed for "via"'], "via:web*", 0),
    ("updated:2024-01-01T25:00:00Z", ['Invalid date "2024-01-01T25:00:00Z"'], None, 0),
    ("updated:2024-01-01T10:00:00", ['Invalid date "2024-01-01T10:00:00"'], None, 0),
    ("updated:2024-01-01T10:00Z", ['Invalid date "2024-01-01T10:00Z"'], None, 0),
    ("updated:2024-01-01T10:00:00+02:00", ['Invalid date "2024-01-01T10:00:00+02:00"'], None, 0),
    ("solved:2024-01-01 T10:x", ['Unknown search key "T10"'], "T10:x", 18),
    ("solved:２０２４-01-01", ['Invalid date "２０２４-01-01"'], None, 0),  # non-ASCII digits
    ("created:2024-01-01x", ['Invalid date "2024-01-01x"'], None, 0),
    (
        "created:9999-12-31",
        ['Date "9999-12-31" is out of range in "created:9999-12-31" (position 0)'],
        "created:9999-12-31",
        0,
    ),
    ("created>9999-12-31", ['Date "9999-12-31" is out of range'], None, 0),
    ("created<=9999-12-31T23:59:59Z", ['Date "9999-12-31T23:59:59Z" is out of range'], None, 0),
    # Operators on keys that do not support them.
    (
        "tags<x",
        ['"<" is not allowed for "tags" in "tags<x" (position 0)', 'only ":"'],
        "tags<x",
        0,
    ),
    ("tag>=x", ['">=" is not allowed for "tags" in "tag>=x"'], "tag>=x", 0),
    ("type>ticket", ['">" is not allowed for "type"'], "type>ticket", 0),
    ("assignee:<me", ['"<" is not allowed for "assignee"'], "assignee:<me", 0),
    ("ticket_type<=task", ['"<=" is not allowed for "ticket_type"'], None, 0),
    ("tags<", ['"<" is not allowed for "tags"'], "tags<", 0),
    # Missing values.
    ("status:", ['Missing value after "status:" (position 0)'], "status:", 0),
    ("status:<", ['Missing value after "status:<"'], "status:<", 0),
    ("created>=", ['Missing value after "created>="'], "created>=", 0),
    ("-tags:", ['Missing value after "-tags:"'], "-tags:", 0),
    ('status:""', ['Missing value after "status:"'], 'status:""', 0),
    ('organization:"   "', ['Missing value after "organization:"'], None, 0),
    ("a type:", ['Missing value after "type:" (position 2)'], "type:", 2),
    # Quotes.
    ('"printer jam', ["Unterminated quote in '\"printer jam' (position 0)"], '"printer jam', 0),
    ('a "b', ["Unterminated quote in '\"b' (position 2)"], '"b', 2),
    ('organization:"Acme Corp', ["Unterminated quote"], 'organization:"Acme Corp', 0),
    ('a"b"c "d', ["Unterminated quote in '\"d'"], '"d', 6),  # tokenising comes first
    ('"', ["Unterminated quote"], '"', 0),
    ('foo"bar"', ["Unexpected quote in 'foo\"bar\"' (position 0)"], 'foo"bar"', 0),
    ('"a"b', ["Unexpected quote"], '"a"b', 0),
    ('"a""b"', ["Unexpected quote"], '"a""b"', 0),
    ('organization:Acme"Corp"', ["Unexpected quote"], 'organization:Acme"Corp"', 0),
    ('organization:"Acme"x', ["Unexpected quote"], 'organization:"Acme"x', 0),
    ('""', ["Empty quoted phrase in '\"\"' (position 0)"], '""', 0),
    ('"   "', ["Empty quoted phrase"], '"   "', 0),
    ('-""', ["Empty quoted phrase"], '-""', 0),
    # Negation.
    ("-", ['Missing term after "-" (position 0)'], "-", 0),
    ("a - b", ['Missing term after "-" (position 2)'], "-", 2),
    ("--a", ['Only one "-" is allowed in "--a"'], "--a", 0),
    ("--status:open", ['Only one "-" is allowed'], "--status:open", 0),
    ("-type:ticket", ['Negation is not allowed for "type" in "-type:ticket"'], "-type:ticket", 0),
    # Wildcards.
    (
        "*serv",
        ['Wildcard "*" must follow at least one character in "*serv" (position 0)'],
        "*serv",
        0,
    ),
    ("*", ['Wildcard "*" must follow at least one character'], "*", 0),
    ("-*a", ['Wildcard "*" must follow'], "-*a", 0),
    ("tags:*vip", ['Wildcard "*" must follow'], "tags:*vip", 0),
    ("assignee:*", ['Wildcard "*" must follow'], "assignee:*", 0),
    ("status:op*", ['Wildcard "*" is not allowed for "status" in "status:op*"'], None, 0),
    ("priority:h*", ['Wildcard "*" is not allowed for "priority"'], None, 0),
    ("ticket_type:t*", ['Wildcard "*" is not allowed for "ticket_type"'], None, 0),
    ("type:t*", ['Wildcard "*" is not allowed for "type"'], None, 0),
    ("created:2024*", ['Wildcard "*" is not allowed for "created"'], None, 0),
    ("updated>2024-01-*", ['Wildcard "*" is not allowed for "updated"'], None, 0),
    # Tags.
    ('tags:"a b"', ["Tags cannot contain whitespace in 'tags:\"a b\"' (position 0)"], None, 0),
    # type: conflicts.
    (
        "type:ticket type:user",
        ['Conflicting type filters "ticket" and "user" in "type:user" (position 12)'],
        "type:user",
        12,
    ),
    # Characters.
    ("a\x00b", ["Invalid character U+0000 at position 1"], "\x00", 1),
    ("status:open\x07", ["Invalid character U+0007 at position 11"], "\x07", 11),
    ("\x7f", ["Invalid character U+007F at position 0"], "\x7f", 0),
    ('"a\x1bb"', ["Invalid character U+001B"], "\x1b", 2),
    ("a\ud800", ["Invalid character U+D800 at position 1"], "\ud800", 1),
]


@pytest.mark.parametrize(
    ("query", "fragments", "token", "position"),
    ERROR_CASES,
    ids=[repr(c[0]) for c in ERROR_CASES],
)
def test_errors(query: str, fragments: list[str], token: str | None, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    error = info.value
    message = str(error)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert error.message == message
    if token is None:  # the whole query is the bad token
        token = query
    assert error.token == token
    assert error.position == position
    assert query[position:].startswith(token) or token == ""


def test_unknown_key_without_suggestion() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("zzz:1")
    assert "Did you mean" not in str(info.value)
    assert KNOWN_KEYS_TEXT in str(info.value)


def test_error_is_value_error_and_picklable() -> None:
    with pytest.raises(ValueError, match='Unknown status "opn"') as info:
        parse_query("status:opn")
    error = info.value
    assert isinstance(error, QuerySyntaxError)
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, QuerySyntaxError)
    assert (str(clone), clone.token, clone.position) == (str(error), error.token, error.position)
    assert error.args == (error.message, "status:opn", 0)


def test_length_limit() -> None:
    at_limit = ("ab " * MAX_QUERY_LENGTH)[:MAX_QUERY_LENGTH]
    assert len(parse_query(at_limit).text_terms) == 334
    too_long = "a" * (MAX_QUERY_LENGTH + 1)
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(too_long)
    assert str(info.value) == "Search query is too long (1001 characters); the limit is 1000"
    assert info.value.position == MAX_QUERY_LENGTH
    assert info.value.token == "a"
    # Length is checked before anything else.
    with pytest.raises(QuerySyntaxError, match="too long"):
        parse_query('"' + "\x00" * MAX_QUERY_LENGTH)


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="query must be a str"):
        parse_query(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_query(b"status:open")  # type: ignore[arg-type]


def test_unicode_whitespace_separates_terms() -> None:
    assert parse_query("a\u00a0b\u2003c\u3000d\x1ce") == Q(T("a"), T("b"), T("c"), T("d"), T("e"))


# --------------------------------------------------------------------------- properties


def _check_invariants(parsed: ParsedQuery) -> None:
    assert isinstance(parsed, ParsedQuery)
    hash(parsed)
    assert parsed.result_type in (None, *RESULT_TYPES)
    for text_term in parsed.text_terms:
        assert text_term.text
        assert text_term.text.strip() == text_term.text
        assert not text_term.text.startswith("*")
        assert text_term.wildcard == ("*" in text_term.text and not text_term.phrase)
    for term in parsed.field_terms:
        assert term.key in KNOWN_KEYS and term.key != "type"
        assert term.op in COMPARISON_OPS
        if term.key in DATE_KEYS:
            (value,) = term.values
            if isinstance(value, RelativeDate):
                assert value.unit in RELATIVE_UNITS and value.amount >= 0
                value = date_range(term.op, value, datetime(2026, 3, 31, tzinfo=UTC))
            assert isinstance(value, DateRange)
            assert value.start is not None or value.end is not None
        elif term.key == "via":
            assert term.values[0] in VIA_CHANNELS
        elif term.key == "status":
            assert term.op == "="
            assert set(term.values) <= set(STATUS_ORDER)
        elif term.key == "priority":
            assert term.op == "="
            assert set(term.values) <= set(PRIORITY_ORDER)
        else:
            assert term.op == "="
            assert len(term.values) == 1
        assert not term.wildcard or term.key in {
            "subject",
            "description",
            "tags",
            "requester",
            "assignee",
            "organization",
            "group",
        }
    assert parsed.order_by in (None, *ORDER_BY_KEYS.values())
    assert parsed.sort in (None, "asc", "desc")
    if parsed.ticket_id is not None:
        assert parsed == ParsedQuery(ticket_id=parsed.ticket_id)
    grouped = [t for terms in parsed.field_groups().values() for t in terms]
    assert sorted(map(repr, grouped)) == sorted(map(repr, parsed.field_terms))


@HYPOTHESIS
@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_syntax_error(query: str) -> None:
    try:
        parsed = parse_query(query)
    except QuerySyntaxError as error:
        assert str(error)
        assert 0 <= error.position <= len(query)
        assert isinstance(error.token, str)
    else:
        _check_invariants(parsed)


FRAGMENTS = st.sampled_from(
    [
        *KNOWN_KEYS,
        "tag",
        "stauts",
        "Status",
        ":",
        "<",
        ">",
        "<=",
        ">=",
        ":<",
        ":>=",
        "-",
        "--",
        "*",
        '"',
        " ",
        "\t",
        "\x00",
        *STATUS_ORDER,
        *PRIORITY_ORDER,
        *TICKET_TYPES,
        *RESULT_TYPES,
        "none",
        "me",
        "Acme Corp",
        "2024-05-01",
        "2024-13-01",
        "9999-12-31",
        "0001-01-01",
        "2024-05-01T10:20:30Z",
        "T",
        "Z",
        "printer",
        "é",
        "1day",
        "2hours",
        "12",
        "#",
        "months",
        *VIA_CHANNELS,
        *ORDER_BY_KEYS,
        "asc",
        "desc",
    ]
)


@HYPOTHESIS
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_syntax_soup_parses_or_raises_syntax_error(query: str) -> None:
    try:
        parsed = parse_query(query)
    except QuerySyntaxError as error:
        assert str(error)
        assert 0 <= error.position <= len(query)
    else:
        _check_invariants(parsed)


def _valid_field_token() -> st.SearchStrategy[str]:
    ordered = st.one_of(
        st.tuples(st.sampled_from(["status", "STATUS"]), st.sampled_from(STATUS_ORDER)),
        st.tuples(st.just("priority"), st.sampled_from(PRIORITY_ORDER)),
        st.tuples(
            st.sampled_from(sorted(DATE_KEYS)),
            st.dates(min_value=datetime(1, 1, 1).date(), max_value=datetime(9998, 1, 1).date()).map(
                lambda d: d.isoformat()
            ),
        ),
    )
    op_spellings = st.sampled_from([s for s, _ in OP_SPELLINGS])
    comparisons = st.tuples(ordered, op_spellings).map(lambda t: f"{t[0][0]}{t[1]}{t[0][1]}")
    word = st.text(alphabet="abcxyzABC0123456789_.@", min_size=1, max_size=8)
    tags = st.tuples(
        st.sampled_from(["tags", "tag", "TAGS"]),
        st.one_of(word, word.map(lambda w: w + "*"), word.map(lambda w: f'"{w}"')),
    )
    references = st.tuples(
        st.sampled_from(["requester", "assignee", "organization", "group"]),
        st.one_of(
            word,
            word.map(lambda w: w + "*"),
            word.map(lambda w: f'"{w} {w}"'),
            st.sampled_from(["none", "me", "NONE", "Me"]),
        ),
    )
    relative = st.tuples(
        st.sampled_from(sorted(DATE_KEYS)),
        st.tuples(
            st.integers(0, 999_999), st.sampled_from(RELATIVE_UNITS), st.sampled_from(["", "s"])
        ).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
    )
    relative_comparisons = st.tuples(relative, op_spellings).map(
        lambda t: f"{t[0][0]}{t[1]}{t[0][1]}"
    )
    ticket_types = st.tuples(st.just("ticket_type"), st.sampled_from(TICKET_TYPES))
    texts = st.tuples(
        st.sampled_from(["subject", "description", "Subject"]),
        st.one_of(word, word.map(lambda w: w + "*"), word.map(lambda w: f'"{w} {w}"')),
    )
    via = st.tuples(st.just("via"), st.sampled_from([*VIA_CHANNELS, "mail", "voice", "EMAIL"]))
    plain = st.one_of(tags, references, ticket_types, texts, via).map(lambda t: f"{t[0]}:{t[1]}")
    return st.one_of(comparisons, relative_comparisons, plain)


@HYPOTHESIS
@given(
    st.lists(
        st.tuples(st.booleans(), _valid_field_token()).map(lambda t: ("-" if t[0] else "") + t[1]),
        max_size=15,
    ),
    st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=6), max_size=5),
)
def test_valid_queries_always_parse(fields: list[str], words: list[str]) -> None:
    query = " ".join(fields + words)
    wildcard_terms = sum(1 for f in fields if "*" in f and '"' not in f.split(":", 1)[1])
    if wildcard_terms > MAX_WILDCARD_TERMS:
        # Well-formed, but over the cap on wildcard terms (#11: no backtracking searches).
        with pytest.raises(QuerySyntaxError, match="Too many wildcard terms"):
            parse_query(query)
        return
    parsed = parse_query(query)
    _check_invariants(parsed)
    assert len(parsed.field_terms) == len(fields)
    assert [t.negated for t in parsed.field_terms] == [f.startswith("-") for f in fields]
    assert parsed.text_terms == tuple(T(w) for w in words)


@HYPOTHESIS
@given(st.text(min_size=MAX_QUERY_LENGTH + 1, max_size=MAX_QUERY_LENGTH + 50))
def test_overlong_queries_are_rejected(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="too long"):
        parse_query(query)


@HYPOTHESIS
@given(
    st.sampled_from(COMPARISON_OPS),
    st.sampled_from(sorted(DATE_KEYS)),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
    ),
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
    ),
)
def test_date_range_semantics(op: str, key: str, value: datetime, moment: datetime) -> None:
    """A moment is in the DateRange exactly when it satisfies ``moment <op> value``."""
    value = value.replace(microsecond=0)
    token = f"{key}{':' if op == '=' else op}{value.isoformat().replace('+00:00', 'Z')}"
    (term,) = parse_query(token).field_terms
    (date_range,) = term.values
    assert isinstance(date_range, DateRange)
    inside = (date_range.start is None or date_range.start <= moment) and (
        date_range.end is None or moment < date_range.end
    )
    second = moment.replace(microsecond=0)  # timestamps have one-second granularity
    expected = {
        "=": second == value,
        "<": second < value,
        ">": second > value,
        "<=": second <= value,
        ">=": second >= value,
    }[op]
    assert inside == expected


# --------------------------------------------------------------------------- #16: Zendesk syntax

NOW = datetime(2026, 3, 31, 12, 0, 0, tzinfo=UTC)

RELATIVE_CASES: list[tuple[str, DateRange]] = [
    ("created>1day", R(NOW - timedelta(days=1), None)),
    ("created>=1day", R(NOW - timedelta(days=1), None)),
    ("created:1day", R(NOW - timedelta(days=1), None)),
    ("updated<2hours", R(None, NOW - timedelta(hours=2))),
    ("updated<=2hours", R(None, NOW - timedelta(hours=2))),
    ("updated:<2HOURS", R(None, NOW - timedelta(hours=2))),
    ("created>30minutes", R(NOW - timedelta(minutes=30), None)),
    ("created>1minute", R(NOW - timedelta(minutes=1), None)),
    ("created>1hour", R(NOW - timedelta(hours=1), None)),
    ("solved>3weeks", R(NOW - timedelta(weeks=3), None)),
    ("solved>1week", R(NOW - timedelta(weeks=1), None)),
    # Calendar months: the day is clamped (one month before March 31 is February 28).
    ("created>1month", R(at(2026, 2, 28, 12), None)),
    ("created>13months", R(at(2025, 2, 28, 12), None)),
    ("created<2years", R(None, at(2024, 3, 31, 12))),
    ("created>0days", R(NOW, None)),
]


@pytest.mark.parametrize(("query", "expected"), RELATIVE_CASES, ids=[c[0] for c in RELATIVE_CASES])
def test_relative_dates(query: str, expected: DateRange) -> None:
    (term,) = parse_query(query).field_terms
    (value,) = term.values
    assert isinstance(value, RelativeDate)
    assert date_range(term.op, value, NOW) == expected


def test_relative_date_is_kept_unresolved_so_parsing_stays_pure() -> None:
    assert parse_query("created>2days") == Q(F("created", RelativeDate(2, "day"), op=">"))
    assert parse_query("created>2days") == parse_query("created>2days")


def test_absolute_date_range_passes_through() -> None:
    (term,) = parse_query("solved>=2026-11-01").field_terms
    assert date_range(term.op, term.values[0], NOW) == R(at(2026, 11, 1), None)  # type: ignore[arg-type]


def test_relative_date_far_in_the_past_does_not_overflow() -> None:
    (term,) = parse_query("created>999999years").field_terms
    assert date_range(term.op, term.values[0], NOW).start.year == 1  # type: ignore[arg-type,union-attr]
    (term,) = parse_query("created>999999weeks").field_terms
    assert date_range(term.op, term.values[0], NOW).start.year == 1  # type: ignore[arg-type,union-attr]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("201", ParsedQuery(ticket_id=201)),
        ("#201", ParsedQuery(ticket_id=201)),
        ("  #7 ", ParsedQuery(ticket_id=7)),
        ('"201"', Q(T("201", phrase=True))),
        ("201 printer", Q(T("201"), T("printer"))),
        ("#201 printer", Q(T("#201"), T("printer"))),
        ("-201", Q(T("201", negated=True))),
        ("#", Q(T("#"))),
    ],
)
def test_ticket_number_alone(query: str, expected: ParsedQuery) -> None:
    parsed = parse_query(query)
    assert parsed == expected
    assert not parsed.is_empty


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject:printer", Q(F("subject", "printer"))),
        ('subject:"Printer  jam"', Q(F("subject", "Printer jam"))),
        ("subject:print*", Q(F("subject", "print*", wildcard=True))),
        ("-description:refund", Q(F("description", "refund", negated=True))),
        ("via:email", Q(F("via", "email"))),
        ("via:MAIL", Q(F("via", "email"))),
        ("via:voice", Q(F("via", "phone"))),
        ("via:mailing_list via:chat", Q(F("via", "mailing_list"), F("via", "chat"))),
        ("-via:api", Q(F("via", "api", negated=True))),
    ],
)
def test_text_and_channel_keys(query: str, expected: ParsedQuery) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "order_by", "sort"),
    [
        ("order_by:created", "created_at", None),
        ("order_by:updated sort:asc", "updated_at", "asc"),
        ("sort:desc", None, "desc"),
        ("order_by:priority order_by:priority", "priority", None),
        ("ORDER_BY:Status SORT:ASC", "status", "asc"),
        ("order_by:ticket_type", "ticket_type", None),
    ],
)
def test_order_by_and_sort(query: str, order_by: str | None, sort: str | None) -> None:
    parsed = parse_query(f"{query} printer")
    assert (parsed.order_by, parsed.sort) == (order_by, sort)
    assert parsed.field_terms == ()
    assert parsed.text_terms == (T("printer"),)


def test_sort_alone_is_empty() -> None:
    assert parse_query("order_by:created sort:asc").is_empty


def test_via_channels_are_the_ticket_channels() -> None:
    from switchboard.tickets.models import Channel

    assert set(VIA_CHANNELS) == set(Channel.values)


@HYPOTHESIS
@given(
    st.sampled_from(["<", ">", "<=", ">=", ":"]),
    st.integers(0, 5000),
    st.sampled_from(RELATIVE_UNITS),
    st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
    ),
)
def test_relative_range_is_one_side_of_a_past_moment(
    op: str, amount: int, unit: str, now: datetime
) -> None:
    """The relative moment is never after now, grows older with the amount, and the range lies
    on the side of it the operator names."""
    (term,) = parse_query(f"created{op}{amount}{unit}s").field_terms
    value = term.values[0]
    assert isinstance(value, RelativeDate)
    rng = date_range(term.op, value, now)
    moment = rng.start if rng.start is not None else rng.end
    assert moment is not None and moment <= now
    older = date_range(term.op, RelativeDate(amount + 1, unit), now)
    assert (older.start or older.end) <= moment  # type: ignore[operator]
    assert (rng.end is None) == (op in (">", ">=", ":"))
