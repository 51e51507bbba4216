"""Parser for the subset of the Zendesk search syntax that Switchboard supports.

This module is pure (standard library only, no Django) so it can be unit- and
property-tested in isolation.  It turns a query string into an immutable AST;
another module compiles that AST into Django ORM filters.

Grammar
=======

A query is a whitespace-separated list of terms (an empty query is valid and has
no terms).  Double quotes group text, including whitespace, into one token; an
unterminated quote is an error.  Every term is one of:

``word``
    Free text.  ``*`` inside or at the end of a word is a wildcard
    (``serv*``); a leading ``*`` is an error.
``"some phrase"``
    A phrase.  Runs of whitespace inside are collapsed to one space and ``*`` is
    literal.
``key:value``, ``key<value``, ``key>value``, ``key<=value``, ``key>=value``
    A field filter.  The comparisons may also be spelt ``key:<value``,
    ``key:>value``, ``key:<=value`` and ``key:>=value``.  Keys are
    case-insensitive; ``tag`` is an alias of ``tags``.  The value may be quoted
    (``organization:"Acme Corp"``); a quoted value is taken literally (``*`` is
    not a wildcard and ``none``/``me`` are not special).
``-term``
    Negates a word, phrase or field filter (not ``type:``).

A token that starts with something shaped like a key (an ASCII letter or ``_``
followed by letters, digits or ``_``) immediately followed by an operator is a
field filter, so an unknown key such as ``stauts:open`` is an error rather than
free text.  Quote it (``"http://example.com"``) to search for it as text.

Keys and values
===============

``type``
    ``ticket``, ``user`` or ``organization``: the kind of result wanted.  Stored
    in :attr:`ParsedQuery.result_type`, not as a field term.  Only ``:``; not
    negatable; repeating it with a different value is an error.
``status``
    ``new < open < pending < hold < solved < closed`` (:data:`STATUS_ORDER`).
``priority``
    ``low < normal < high < urgent`` (:data:`PRIORITY_ORDER`).
``ticket_type``
    ``question``, ``incident``, ``problem`` or ``task``.
``tags`` (alias ``tag``)
    Lower-cased tag; may carry a wildcard; may not contain whitespace.
``requester``, ``assignee``, ``organization``, ``group``
    A free-form reference (name, e-mail, id...) resolved by the compiler; may
    carry a wildcard.  Unquoted ``none`` (any case) is :attr:`Special.NONE` for
    ``assignee``, ``group`` and ``organization`` (unassigned / no organization);
    unquoted ``me`` is :attr:`Special.ME` for ``assignee`` and ``requester``
    (the current user, resolved later).  Elsewhere they are ordinary strings.
``created``, ``updated``, ``solved``
    ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or a time relative to now as Zendesk
    spells it: a whole number and a unit, ``1hour``, ``2days``, ``30minutes``, ``3weeks``,
    ``6months``, ``1year`` (singular or plural; :data:`RELATIVE_UNITS`).  The value stands for
    that moment in the past, so ``created>1day`` is "created after one day ago" (within the last
    day) and ``updated<2hours`` "last updated more than two hours ago".
``subject``, ``description``
    Text in the subject or in the first comment (case-insensitive); a word, a quoted phrase or a
    word with ``*``.
``via``
    The channel a ticket came in through (:data:`VIA_CHANNELS`: ``web``, ``email``, ``api``,
    ``mailing_list``, ``chat``, ``phone``, ``system``; ``mail`` and ``voice`` are accepted as
    Zendesk's spellings of ``email`` and ``phone``).
``order_by``, ``sort``
    The result order, as Zendesk's ``sort_by``/``sort_order``: ``order_by:created|updated|
    priority|status|ticket_type`` and ``sort:asc|desc``.  Stored in
    :attr:`ParsedQuery.order_by` / :attr:`ParsedQuery.sort`, not as field terms; only ``:``; not
    negatable; repeating one with a different value is an error.

A query that is nothing but a ticket number, ``201`` or ``#201``, asks for that ticket:
:attr:`ParsedQuery.ticket_id` (quote it, ``"201"``, to search for the number as text).

Comparisons (``<``, ``>``, ``<=``, ``>=``) are only allowed on ``status``,
``priority`` and the date keys; wildcards are only allowed on free text,
``tags``, ``subject``, ``description`` and the four reference keys.  Enumerated values are
case-insensitive and normalised to lower case.

AST
===

:class:`ParsedQuery` holds ``text_terms`` (:class:`TextTerm`), ``field_terms``
(:class:`FieldTerm`) and ``result_type``, in query order.  One token gives one
term.  ``FieldTerm.values`` is already typed and normalised:

* ``status`` / ``priority``: comparisons are expanded at parse time into the
  explicit tuple of matching values, and ``op`` is normalised to ``"="``
  (``status<solved`` gives ``values=("new", "open", "pending", "hold")``); so
  the compiler always emits ``field__in=values``.  ``status<new`` gives an
  empty tuple, which matches nothing (and, negated, everything).
* ``ticket_type`` / ``tags``: one lower-cased ``str``.
* reference keys: one ``str`` (original case) or one :class:`Special`.
* relative dates: ``op`` is kept and ``values`` is one :class:`RelativeDate` (amount, unit);
  :func:`date_range` turns it into a :class:`DateRange` for a given ``now``: ``>``/``>=``/``:``
  give ``[now - amount, -)`` and ``<``/``<=`` give ``[-, now - amount)``.  Months and years are
  calendar months (the day is clamped: one month before March 31 is February 28 or 29).
* ``subject`` / ``description``: one ``str`` (original case, whitespace collapsed).
* ``via``: one lower-cased channel name.
* dates: ``op`` is kept as written and ``values`` is one :class:`DateRange`, a
  half-open UTC interval ``start <= t < end`` (either bound may be ``None`` for
  unbounded) that already accounts for ``op``.  A date means the whole day and
  a timestamp means that whole second, so ``created:2024-05-01`` is
  ``[2024-05-01, 2024-05-02)``, ``created>2024-05-01`` is ``[2024-05-02, -)``,
  ``created>=2024-05-01`` is ``[2024-05-01, -)``, ``created<2024-05-01`` is
  ``[-, 2024-05-01)`` and ``created<=2024-05-01`` is ``[-, 2024-05-02)``.

Combining terms (what the compiler must do):

* text terms are ANDed (a negated one must not match);
* :meth:`ParsedQuery.field_groups` groups field terms by ``(key, op, negated)``;
  the terms inside a group are ORed, and the groups are ANDed.  A negated group
  excludes anything matching any of its terms (``-tags:a -tags:b``: neither).
  Because status/priority ops are normalised to ``"="``, all their terms fall
  into one group (``status:open status<open`` is status in (new, open)), while
  ``created>=2024-01-01 created<2024-02-01`` forms two groups, i.e. a range.

Errors
======

Any problem raises :class:`QuerySyntaxError` (a :class:`ValueError`) carrying
the message, the offending token and its 0-based position in the query.  No
other exception escapes :func:`parse_query` for any ``str`` input.  Queries
longer than :data:`MAX_QUERY_LENGTH` characters and control characters other
than whitespace (NUL would break PostgreSQL) are rejected.
"""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TypeAlias

from switchboard.tickets.vocab import PRIORITY_ORDER, STATUS_ORDER
from switchboard.tickets.vocab import TICKET_TYPE_VALUES as TICKET_TYPES

__all__ = [
    "COMPARISON_OPS",
    "DATE_KEYS",
    "KEY_ALIASES",
    "KNOWN_KEYS",
    "MAX_QUERY_LENGTH",
    "ORDER_BY_KEYS",
    "PRIORITY_ORDER",
    "RELATIVE_UNITS",
    "RESULT_TYPES",
    "STATUS_ORDER",
    "TICKET_TYPES",
    "VIA_CHANNELS",
    "DateRange",
    "FieldGroupKey",
    "FieldTerm",
    "FieldValue",
    "ParsedQuery",
    "QuerySyntaxError",
    "RelativeDate",
    "Special",
    "TextTerm",
    "date_range",
    "parse_query",
    "priorities_matching",
    "statuses_matching",
]

MAX_QUERY_LENGTH = 1000

RESULT_TYPES: tuple[str, ...] = ("ticket", "user", "organization")
#: The channels (tickets.models.Channel, which a test keeps equal) and Zendesk's other spellings.
VIA_CHANNELS: tuple[str, ...] = ("web", "email", "api", "mailing_list", "chat", "phone", "system")
VIA_ALIASES: dict[str, str] = {"mail": "email", "voice": "phone"}
#: ``order_by:`` values (Zendesk's names) -> the sort column they stand for.
ORDER_BY_KEYS: dict[str, str] = {
    "created": "created_at",
    "updated": "updated_at",
    "priority": "priority",
    "status": "status",
    "ticket_type": "ticket_type",
}
SORT_ORDERS: tuple[str, ...] = ("asc", "desc")
#: Relative-date units, singular spelling; the plural (``2days``) is accepted too.
RELATIVE_UNITS: tuple[str, ...] = ("minute", "hour", "day", "week", "month", "year")

KNOWN_KEYS: tuple[str, ...] = (
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
)
KEY_ALIASES: dict[str, str] = {"tag": "tags"}
TEXT_KEYS: frozenset[str] = frozenset({"subject", "description"})
_ORDER_KEYS: frozenset[str] = frozenset({"order_by", "sort"})
DATE_KEYS: frozenset[str] = frozenset({"created", "updated", "solved"})
REFERENCE_KEYS: frozenset[str] = frozenset({"requester", "assignee", "organization", "group"})
_ORDERED_KEYS: frozenset[str] = frozenset({"status", "priority"}) | DATE_KEYS
_WILDCARD_KEYS: frozenset[str] = frozenset({"tags"}) | REFERENCE_KEYS | TEXT_KEYS
_NONE_KEYS: frozenset[str] = frozenset({"assignee", "group", "organization"})
_ME_KEYS: frozenset[str] = frozenset({"assignee", "requester"})

#: Operators as they appear in the AST.
COMPARISON_OPS: tuple[str, ...] = ("=", "<", ">", "<=", ">=")

# Spelling in the query -> normalised operator.  Longest spellings first so the
# regex alternation prefers them.
_OP_SPELLINGS: dict[str, str] = {
    ":<=": "<=",
    ":>=": ">=",
    ":<": "<",
    ":>": ">",
    "<=": "<=",
    ">=": ">=",
    ":": "=",
    "<": "<",
    ">": ">",
}
_FIELD_RE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)(" + "|".join(re.escape(s) for s in _OP_SPELLINGS) + r")(.*)",
    re.DOTALL,
)
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})[Zz]"
)
_WILDCARD_RUN_RE = re.compile(r"\*+")
_RELATIVE_RE = re.compile(r"([0-9]{1,6})(" + "|".join(RELATIVE_UNITS) + r")s?", re.IGNORECASE)
_TICKET_ID_RE = re.compile(r"#?([0-9]{1,18})")

# Wildcards are matched by regex after the index narrows the rows; these caps bound that work
# (see wildcard_regex for why each match is linear).
MAX_WILDCARDS_PER_TERM = 4
MAX_WILDCARD_TERMS = 5


class QuerySyntaxError(ValueError):
    """The query cannot be parsed.

    ``str(error)`` is a human-readable message naming the offending token;
    ``token`` is that token as written and ``position`` its 0-based offset.
    """

    def __init__(self, message: str, token: str, position: int) -> None:
        super().__init__(message, token, position)
        self.message = message
        self.token = token
        self.position = position

    def __str__(self) -> str:
        return self.message


class Special(enum.Enum):
    """Symbolic values of reference keys, resolved by the compiler."""

    NONE = "none"  # assignee:none, group:none, organization:none
    ME = "me"  # assignee:me, requester:me -- the user running the search


@dataclass(frozen=True)
class DateRange:
    """Half-open UTC interval ``start <= t < end``; ``None`` means unbounded."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class RelativeDate:
    """``amount`` units before now (``2days``); see :func:`date_range`."""

    amount: int
    unit: str  # one of RELATIVE_UNITS


FieldValue: TypeAlias = str | Special | DateRange | RelativeDate


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    if year < 1:
        return datetime.min.replace(tzinfo=moment.tzinfo)
    next_month = datetime(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def relative_moment(value: RelativeDate, now: datetime) -> datetime:
    """The moment ``value`` stands for: ``now`` minus the amount (calendar months and years)."""
    if value.unit in ("month", "year"):
        return _months_before(now, value.amount * (12 if value.unit == "year" else 1))
    seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}[value.unit]
    try:
        return now - timedelta(seconds=seconds * value.amount)
    except OverflowError:
        return datetime.min.replace(tzinfo=now.tzinfo)


def date_range(op: str, value: DateRange | RelativeDate, now: datetime) -> DateRange:
    """The half-open interval a date term's value stands for (a DateRange is returned as is)."""
    if isinstance(value, DateRange):
        return value
    moment = relative_moment(value, now)
    if op in ("<", "<="):
        return DateRange(None, moment)
    return DateRange(moment, None)


@dataclass(frozen=True)
class TextTerm:
    """A free-text word (``wildcard`` if it contains ``*``) or a quoted phrase."""

    text: str
    phrase: bool = False
    negated: bool = False
    wildcard: bool = False


@dataclass(frozen=True)
class FieldTerm:
    """One ``key<op>value`` token; see the module docstring for ``values``."""

    key: str
    op: str
    values: tuple[FieldValue, ...]
    negated: bool = False
    wildcard: bool = False


class FieldGroupKey(NamedTuple):
    key: str
    op: str
    negated: bool


@dataclass(frozen=True)
class ParsedQuery:
    text_terms: tuple[TextTerm, ...] = ()
    field_terms: tuple[FieldTerm, ...] = ()
    result_type: str | None = None
    #: ``order_by:`` as a sort column (``created_at``...) and ``sort:`` (``asc``/``desc``).
    order_by: str | None = None
    sort: str | None = None
    #: The query was only a ticket number (``201`` or ``#201``).
    ticket_id: int | None = None

    @property
    def is_empty(self) -> bool:
        """True when the query filters nothing at all (not even by type); sorting alone is
        not a filter."""
        return (
            not self.text_terms
            and not self.field_terms
            and self.result_type is None
            and self.ticket_id is None
        )

    def field_groups(self) -> dict[FieldGroupKey, tuple[FieldTerm, ...]]:
        """Field terms grouped by ``(key, op, negated)``, in first-seen order.

        Terms within a group are ORed; groups are ANDed.
        """
        groups: dict[FieldGroupKey, list[FieldTerm]] = {}
        for term in self.field_terms:
            groups.setdefault(FieldGroupKey(term.key, term.op, term.negated), []).append(term)
        return {group: tuple(terms) for group, terms in groups.items()}


def _ordered_matching(order: tuple[str, ...], kind: str, op: str, value: str) -> tuple[str, ...]:
    if value not in order:
        raise ValueError(f"Unknown {kind} {value!r}; expected one of {', '.join(order)}")
    index = order.index(value)
    if op == "=":
        return (value,)
    if op == "<":
        return order[:index]
    if op == "<=":
        return order[: index + 1]
    if op == ">":
        return order[index + 1 :]
    if op == ">=":
        return order[index:]
    raise ValueError(f"Unknown operator {op!r}; expected one of {', '.join(COMPARISON_OPS)}")


def statuses_matching(op: str, value: str) -> tuple[str, ...]:
    """Statuses satisfying ``status <op> value`` in :data:`STATUS_ORDER` order.

    Raises :class:`ValueError` for an unknown operator or status.
    """
    return _ordered_matching(STATUS_ORDER, "status", op, value)


def priorities_matching(op: str, value: str) -> tuple[str, ...]:
    """Priorities satisfying ``priority <op> value`` in :data:`PRIORITY_ORDER` order.

    Raises :class:`ValueError` for an unknown operator or priority.
    """
    return _ordered_matching(PRIORITY_ORDER, "priority", op, value)


# --------------------------------------------------------------------------- parsing


def _q(text: str) -> str:
    """Quote ``text`` for a message, with single quotes if it contains a double quote."""
    return f"'{text}'" if '"' in text else f'"{text}"'


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    matches = difflib.get_close_matches(word, choices, n=1)
    return f' Did you mean "{matches[0]}"?' if matches else ""


@dataclass(frozen=True)
class _Token:
    text: str
    position: int

    def error(self, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, self.position)

    @property
    def where(self) -> str:
        return f"in {_q(self.text)} (position {self.position})"


def _check_characters(query: str) -> None:
    for position, char in enumerate(query):
        if char.isspace():
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise QuerySyntaxError(
                f"Invalid character U+{ord(char):04X} at position {position}",
                char,
                position,
            )


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, length = 0, len(query)
    while i < length:
        if query[i].isspace():
            i += 1
            continue
        start, in_quote = i, False
        while i < length and (in_quote or not query[i].isspace()):
            if query[i] == '"':
                in_quote = not in_quote
            i += 1
        token = _Token(query[start:i], start)
        if in_quote:
            raise token.error(f"Unterminated quote {token.where}; add a closing '\"'")
        tokens.append(token)
    return tokens


def _unquote(raw: str, token: _Token) -> tuple[str, bool]:
    """Return ``(text, was_quoted)``; a value is either wholly quoted or has no quotes."""
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2 and '"' not in raw[1:-1]:
        return " ".join(raw[1:-1].split()), True
    if '"' in raw:
        raise token.error(
            f"Unexpected quote {token.where}; quote a whole phrase or value, "
            'e.g. "printer jam" or organization:"Acme Corp"'
        )
    return raw, False


def _wildcard(text: str, token: _Token) -> tuple[str, bool]:
    if "*" not in text:
        return text, False
    if text.startswith("*"):
        raise token.error(
            f'Wildcard "*" must follow at least one character {token.where}; '
            "leading wildcards are not supported"
        )
    text = _WILDCARD_RUN_RE.sub("*", text)
    if text.count("*") > MAX_WILDCARDS_PER_TERM:
        raise token.error(
            f'Too many wildcards {token.where}; at most {MAX_WILDCARDS_PER_TERM} "*" in one term'
        )
    return text, True


def wildcard_regex(text: str, *, star: str, whole: bool, atomic: bool) -> str:
    """A wildcard term (``se*er``) as a regex body that cannot backtrack catastrophically.

    ``*`` stands for ``star`` (a character class with a quantifier-free body such as ``\\w`` or
    ``.``). ``whole`` anchors the pattern at both ends (tags, names), otherwise it matches a
    prefix of a word. The naive translation ``a\\w*a\\w*z`` backtracks through every split of
    the text between the stars: O(n^k) for k stars (``a*a*a*a*a*a*a*a*a*a*a*z`` took 6.6 s on one
    ticket). Matching each literal piece at its *earliest* place after the previous one is enough
    for a glob (a later place never helps the rest match), so with ``atomic`` each star and the
    piece after it are one atomic group, ``(?>\\w*?piece)``: found once, never retried, and a
    match costs O(n·k). Python's ``re`` (SQLite's REGEXP) supports atomic groups; PostgreSQL's
    regex engine does not, and needs none: it runs a DFA, not a backtracking search.
    """
    pieces = text.split("*")
    escaped = [re.escape(p) for p in pieces]
    if not atomic:
        body = f"{star}*".join(escaped)
        return f"^{body}$" if whole else body
    out = [escaped[0]]
    rest = escaped[1:]
    for index, piece in enumerate(rest):
        last = index == len(rest) - 1
        if last and whole:
            # The last piece must end the text: one greedy scan, then the anchor.
            out.append(f"(?>{star}*{piece})$")
        elif last and not piece:
            out.append(f"{star}*" if whole else "")
        else:
            out.append(f"(?>{star}*?{piece})")
    body = "".join(out)
    if whole and not rest:
        return f"^{body}$"
    return f"^{body}" if whole else body


def _parse_text(body: str, negated: bool, token: _Token) -> TextTerm:
    text, quoted = _unquote(body, token)
    if quoted:
        if not text:
            raise token.error(f"Empty quoted phrase {token.where}")
        return TextTerm(text, phrase=True, negated=negated)
    text, wildcard = _wildcard(text, token)
    return TextTerm(text, negated=negated, wildcard=wildcard)


def _enum_value(kind: str, value: str, choices: tuple[str, ...], token: _Token) -> str:
    normalised = value.lower()
    if normalised not in choices:
        raise token.error(
            f"Unknown {kind} {_q(value)} {token.where}; expected one of {', '.join(choices)}."
            + _suggest(normalised, choices)
        )
    return normalised


def _parse_datetime(value: str, token: _Token) -> tuple[datetime, timedelta]:
    """Return the start of the value and its granularity (a day or a second)."""
    match = _DATETIME_RE.fullmatch(value) or _DATE_RE.fullmatch(value)
    if match is not None:
        parts = [int(part) for part in match.groups()]
        year, month, day = parts[:3]
        hour, minute, second = parts[3:] or (0, 0, 0)
        try:
            start = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            pass
        else:
            step = timedelta(seconds=1) if len(parts) == 6 else timedelta(days=1)
            return start, step
    raise token.error(
        f"Invalid date {_q(value)} {token.where}; expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ "
        "or a time ago such as 2hours, 3days, 1week"
    )


def _date_range(op: str, value: str, token: _Token) -> DateRange | RelativeDate:
    relative = _RELATIVE_RE.fullmatch(value)
    if relative is not None:
        return RelativeDate(int(relative.group(1)), relative.group(2).lower())
    start, step = _parse_datetime(value, token)
    if op == ">=":
        return DateRange(start, None)
    if op == "<":
        return DateRange(None, start)
    try:
        end = start + step
    except OverflowError:
        raise token.error(f"Date {_q(value)} is out of range {token.where}") from None
    if op == ">":
        return DateRange(end, None)
    if op == "<=":
        return DateRange(None, end)
    return DateRange(start, end)


def _parse_field(match: re.Match[str], negated: bool, token: _Token) -> FieldTerm:
    """Parse one field token; ``type:`` gives a ``FieldTerm("type", "=", (type,))``."""
    key_raw, op_raw, value_raw = match.groups()
    key = key_raw.lower()
    key = KEY_ALIASES.get(key, key)
    if key not in KNOWN_KEYS:
        raise token.error(
            f"Unknown search key {_q(key_raw)} {token.where}. "
            f"Known keys: {', '.join(KNOWN_KEYS)}."
            + _suggest(key, KNOWN_KEYS)
            + " To search for it as text, put it in double quotes."
        )
    op = _OP_SPELLINGS[op_raw]
    if op != "=" and key not in _ORDERED_KEYS:
        raise token.error(
            f'"{op}" is not allowed for "{key}" {token.where}; '
            'only ":" (comparisons work on status, priority and dates)'
        )
    if negated and key in ("type", *_ORDER_KEYS):
        raise token.error(f'Negation is not allowed for "{key}" {token.where}')

    value, quoted = _unquote(value_raw, token)
    if not value:
        prefix = token.text[: len(token.text) - len(value_raw)]
        raise token.error(f"Missing value after {_q(prefix)} (position {token.position})")
    if not quoted and "*" in value and key not in _WILDCARD_KEYS:
        raise token.error(f'Wildcard "*" is not allowed for "{key}" {token.where}')

    if key == "type":
        return FieldTerm(key, "=", (_enum_value("type", value, RESULT_TYPES, token),))
    if key == "order_by":
        order_by = _enum_value("order_by field", value, tuple(ORDER_BY_KEYS), token)
        return FieldTerm(key, "=", (ORDER_BY_KEYS[order_by],))
    if key == "sort":
        return FieldTerm(key, "=", (_enum_value("sort order", value, SORT_ORDERS, token),))
    if key == "via":
        channel = VIA_ALIASES.get(value.lower(), value)
        return FieldTerm(key, "=", (_enum_value("channel", channel, VIA_CHANNELS, token),), negated)
    if key == "status":
        values: tuple[FieldValue, ...] = statuses_matching(
            op, _enum_value("status", value, STATUS_ORDER, token)
        )
        return FieldTerm(key, "=", values, negated)
    if key == "priority":
        values = priorities_matching(op, _enum_value("priority", value, PRIORITY_ORDER, token))
        return FieldTerm(key, "=", values, negated)
    if key == "ticket_type":
        ticket_type = _enum_value("ticket type", value, TICKET_TYPES, token)
        return FieldTerm(key, "=", (ticket_type,), negated)
    if key in DATE_KEYS:
        return FieldTerm(key, op, (_date_range(op, value, token),), negated)

    wildcard = False
    if not quoted:
        value, wildcard = _wildcard(value, token)
    if key in TEXT_KEYS:
        return FieldTerm(key, "=", (value,), negated, wildcard)
    if key == "tags":
        if any(char.isspace() for char in value):
            raise token.error(f"Tags cannot contain whitespace {token.where}")
        return FieldTerm(key, "=", (value.lower(),), negated, wildcard)

    # Reference keys: requester, assignee, organization, group.
    reference: FieldValue = value
    if not quoted and not wildcard:
        lowered = value.lower()
        if lowered == "none" and key in _NONE_KEYS:
            reference = Special.NONE
        elif lowered == "me" and key in _ME_KEYS:
            reference = Special.ME
    return FieldTerm(key, "=", (reference,), negated, wildcard)


def parse_query(query: str) -> ParsedQuery:
    """Parse a search query; raises :class:`QuerySyntaxError` on any problem."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"Search query is too long ({len(query)} characters); the limit is {MAX_QUERY_LENGTH}",
            query[MAX_QUERY_LENGTH:],
            MAX_QUERY_LENGTH,
        )
    _check_characters(query)

    tokens = _tokenize(query)
    if len(tokens) == 1 and (number := _TICKET_ID_RE.fullmatch(tokens[0].text)):
        return ParsedQuery(ticket_id=int(number.group(1)))
    text_terms: list[TextTerm] = []
    field_terms: list[FieldTerm] = []
    singles: dict[str, str | None] = {"type": None, "order_by": None, "sort": None}
    for token in tokens:
        body, negated = token.text, False
        if body.startswith("-"):
            body, negated = body[1:], True
            if not body:
                raise token.error(f'Missing term after "-" (position {token.position})')
            if body.startswith("-"):
                raise token.error(f'Only one "-" is allowed {token.where}')
        match = _FIELD_RE.fullmatch(body)
        if match is None:
            text_terms.append(_parse_text(body, negated, token))
            continue
        term = _parse_field(match, negated, token)
        if term.key not in singles:
            field_terms.append(term)
            continue
        wanted, before = str(term.values[0]), singles[term.key]
        if before is not None and before != wanted:
            raise token.error(
                f"Conflicting {'type filters' if term.key == 'type' else term.key + ' values'} "
                f'"{before}" and "{wanted}" {token.where}; '
                f"use a single {term.key}:"
            )
        singles[term.key] = wanted
    wildcards = sum(1 for t in text_terms if t.wildcard) + sum(1 for t in field_terms if t.wildcard)
    if wildcards > MAX_WILDCARD_TERMS:
        raise QuerySyntaxError(
            f"Too many wildcard terms ({wildcards}); at most {MAX_WILDCARD_TERMS} in one query",
            query,
            0,
        )
    return ParsedQuery(
        tuple(text_terms),
        tuple(field_terms),
        singles["type"],
        order_by=singles["order_by"],
        sort=singles["sort"],
    )
