"""The SOQL subset the fake Salesforce understands (docs/crm.md lists it).

    SELECT field[, field...] FROM Object
    [WHERE condition [AND|OR condition ...]]     -- parentheses group conditions
    [ORDER BY field [ASC|DESC][, field ...]]
    [LIMIT n]

A field is a name (`Name`, `ARR__c`) or one relationship hop (`Owner.Name`). A condition is
`field op value` with op one of = != <> < <= > >=, `field IN (value, ...)`, `field NOT IN (...)`
or `field LIKE 'pattern'` (% and _). Values: 'strings' (backslash escapes), numbers, true,
false, null, dates (2026-01-31) and date-times (2026-01-31T12:00:00Z, with .sss or an offset).
Anything else is answered with Salesforce's MALFORMED_QUERY error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "ASC", "DESC", "LIMIT", "IN",
            "NOT", "LIKE", "TRUE", "FALSE", "NULL"}  # fmt: skip


class MalformedQuery(ValueError):
    pass


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Callable[[dict[str, Any]], bool] | None = None
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None
    where_fields: set[str] = field(default_factory=set)


def parse_datetime(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tokens(soql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    soql = soql.strip()
    while pos < len(soql):
        match = _TOKEN.match(soql, pos)
        if not match or match.end() == pos:
            raise MalformedQuery(f"unexpected token at: {soql[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "name" and text.upper() in KEYWORDS:
            kind, text = "kw", text.upper()
        out.append((kind, text))
        pos = match.end()
    return out


def get_value(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", value):
        try:
            return parse_datetime(value)
        except ValueError:
            return value
    return value


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.where_fields: set[str] = set()

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self, kind: str, text: str | None = None) -> str:
        tok_kind, tok_text = self.peek()
        if tok_kind != kind or (text is not None and tok_text != text):
            wanted = text or kind
            raise MalformedQuery(f"expecting {wanted!r}, found {tok_text or 'end of query'!r}")
        self.pos += 1
        return tok_text

    def accept(self, kind: str, text: str | None = None) -> bool:
        tok_kind, tok_text = self.peek()
        if tok_kind == kind and (text is None or tok_text == text):
            self.pos += 1
            return True
        return False

    def query(self) -> Query:
        self.take("kw", "SELECT")
        fields = [self.take("name")]
        while self.accept("punct", ","):
            fields.append(self.take("name"))
        self.take("kw", "FROM")
        sobject = self.take("name")
        query = Query(fields=fields, sobject=sobject)
        if self.accept("kw", "WHERE"):
            query.where = self.disjunction()
        if self.accept("kw", "ORDER"):
            self.take("kw", "BY")
            while True:
                name = self.take("name")
                descending = False
                if self.accept("kw", "DESC"):
                    descending = True
                else:
                    self.accept("kw", "ASC")
                query.order_by.append((name, descending))
                if not self.accept("punct", ","):
                    break
        if self.accept("kw", "LIMIT"):
            query.limit = int(self.take("number"))
        if self.peek()[0] != "eof":
            raise MalformedQuery(f"unexpected {self.peek()[1]!r}")
        query.where_fields = self.where_fields
        return query

    def disjunction(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self.conjunction()]
        while self.accept("kw", "OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self.condition()]
        while self.accept("kw", "AND"):
            parts.append(self.condition())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def value(self) -> Any:
        kind, text = self.peek()
        self.pos += 1
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "datetime":
            return parse_datetime(text)
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "kw" and text in ("TRUE", "FALSE"):
            return text == "TRUE"
        if kind == "kw" and text == "NULL":
            return None
        raise MalformedQuery(f"expecting a value, found {text or 'end of query'!r}")

    def condition(self) -> Callable[[dict[str, Any]], bool]:
        if self.accept("punct", "("):
            inner = self.disjunction()
            self.take("punct", ")")
            return inner
        name = self.take("name")
        self.where_fields.add(name)
        negate = self.accept("kw", "NOT")
        if self.accept("kw", "IN"):
            self.take("punct", "(")
            values = [self.value()]
            while self.accept("punct", ","):
                values.append(self.value())
            self.take("punct", ")")
            return lambda r: (get_value(r, name) in values) != negate
        if negate:
            raise MalformedQuery("NOT is only supported as NOT IN")
        if self.accept("kw", "LIKE"):
            pattern = self.value()
            if not isinstance(pattern, str):
                raise MalformedQuery("LIKE needs a string")
            regex = re.compile(
                "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern),
                re.IGNORECASE | re.DOTALL,
            )
            return lambda r: regex.fullmatch(str(get_value(r, name) or "")) is not None
        op = self.take("op")
        target = self.value()
        return _compare(name, op, target)


_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000")


def _compare(name: str, op: str, target: Any) -> Callable[[dict[str, Any]], bool]:
    if isinstance(target, datetime) and op in ("<", "<=", ">", ">="):
        # Stored stamps share one UTC format (…T18:00:00.000+0000), so they compare as text:
        # the fake's stand-in for Salesforce's index on SystemModstamp.
        utc = target.astimezone(UTC)
        text = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"
        slow = _compare_values(name, op, target)

        def check_stamp(record: dict[str, Any]) -> bool:
            value = get_value(record, name)
            if isinstance(value, str) and len(value) == 28 and _STAMP.fullmatch(value):
                if op == "<":
                    return value < text
                if op == "<=":
                    return value <= text
                if op == ">":
                    return value > text
                return value >= text
            return slow(record)

        return check_stamp
    return _compare_values(name, op, target)


def _compare_values(name: str, op: str, target: Any) -> Callable[[dict[str, Any]], bool]:
    def check(record: dict[str, Any]) -> bool:
        value = _comparable(get_value(record, name))
        if op in ("=", "!="):
            equal = (
                value.lower() == target.lower()
                if isinstance(value, str) and isinstance(target, str)
                else value == target
            )
            return equal if op == "=" else not equal
        if op == "<>":
            return value != target
        if value is None or target is None:
            return False
        try:
            if op == "<":
                return bool(value < target)
            if op == "<=":
                return bool(value <= target)
            if op == ">":
                return bool(value > target)
            return bool(value >= target)
        except TypeError:
            return False

    return check


def parse(soql: str) -> Query:
    """Parse `soql`; raises MalformedQuery with a message naming the problem."""
    return _Parser(_tokens(soql)).query()


def sort_key(order_by: list[tuple[str, bool]]) -> Callable[[dict[str, Any]], Any]:
    """Ascending key for the given ORDER BY (descending parts are applied by the caller)."""

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            (get_value(record, name) is None, str(get_value(record, name) or ""))
            for name, _ in order_by
        )

    return key
