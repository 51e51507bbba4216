"""Search over tickets, users and organizations with the Zendesk query language.

`search_query.parse_query` turns the text into an AST; this module compiles it to ORM filters.
Tickets always come from `queries.visible_tickets(user)`; users and organizations are for agents
only. A malformed query raises `search_query.QuerySyntaxError` (a ValueError), which the API
answers with a 4xx.

Free text (words, "phrases", prefix wildcards) on PostgreSQL is full-text search with the
"english" configuration. For agents it is one lookup in Ticket.search_vector, the per-ticket
document (subject + description + every comment, kept up to date by `search_index`, GIN-indexed by
migration 0004). For end-users it is the ticket's subject or one of its *public* comments (a
ticket matches a term if either does) — what `tickets.projection` lets them see; the comment
expression is served by the GIN expression index of migration 0003_search_indexes and must stay
identical to it. On
SQLite it is case-insensitive substring matching (no stemming, stop words are not ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchVector,
    SearchVectorExact,
)
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.models import Organization, OrganizationDomain, SupportGroup, User
from switchboard.core.errors import ValidationFailed
from switchboard.tickets import projection
from switchboard.tickets.models import Comment, Ticket, TicketTag
from switchboard.tickets.queries import visible_tickets
from switchboard.tickets.search_query import (
    DateRange,
    FieldTerm,
    ParsedQuery,
    RelativeDate,
    Special,
    TextTerm,
    date_range,
    parse_query,
    wildcard_regex,
)

MAX_PER_PAGE = 100
MAX_RESULTS = 1000  # as Zendesk: only the first 1,000 results can be paged through
TICKET_COUNT_CAP = 10_000  # the ticket count stops there ("10,000 or more"): see docs/search.md
FTS_CONFIG = "english"

# Which result types a field key applies to. A query using a key leaves out the other types.
KEY_TYPES: dict[str, frozenset[str]] = {
    "status": frozenset({"ticket"}),
    "priority": frozenset({"ticket"}),
    "ticket_type": frozenset({"ticket"}),
    "tags": frozenset({"ticket"}),
    "requester": frozenset({"ticket"}),
    "assignee": frozenset({"ticket"}),
    "group": frozenset({"ticket"}),
    "solved": frozenset({"ticket"}),
    "subject": frozenset({"ticket"}),
    "description": frozenset({"ticket"}),
    "via": frozenset({"ticket"}),
    "organization": frozenset({"ticket", "user"}),
    "created": frozenset({"ticket", "user", "organization"}),
    "updated": frozenset({"ticket", "user", "organization"}),
}
TICKET_RELATED = ("requester", "assignee", "group", "organization")
TICKET_SORTS = {
    "updated_at": "updated_at",
    "created_at": "created_at",
    "priority": "priority",
    "status": "status",
    "ticket_type": "ticket_type",
}


# --- full-text expressions (comment_document must match migration 0003's comment index) ------


def subject_document() -> SearchVector:
    """to_tsvector('english', COALESCE(subject, '')): what an end-user may search of the ticket
    row itself. Not `description` — that is the first comment, which can be an internal note; a
    public first comment is found through the comments."""
    return SearchVector("subject", config=FTS_CONFIG)


def comment_document() -> SearchVector:
    """to_tsvector('english', COALESCE(body, ''))"""
    return SearchVector("body", config=FTS_CONFIG)


_WORD_RE = re.compile(r"[^\W_]+")


def _tsquery(term: TextTerm) -> SearchQuery:
    if term.phrase:
        return SearchQuery(term.text, config=FTS_CONFIG, search_type="phrase")
    if term.wildcard:
        # `serv*` is the prefix query serv:*; the words before the first `*` are ANDed, and an
        # inner wildcard (`se*er`) is narrowed by the index then checked with a regex.
        words = _WORD_RE.findall(term.text.split("*", 1)[0])
        raw = " & ".join([*words[:-1], f"{words[-1]}:*"]) if words else ""
        return SearchQuery(raw, config=FTS_CONFIG, search_type="raw")
    return SearchQuery(term.text, config=FTS_CONFIG, search_type="plain")


def _has_lexemes(terms: list[TextTerm], *, bigrams: bool = False) -> list[tuple[bool, list[str]]]:
    """For each term: whether its tsquery has any lexeme (stop words alone, like "the", have
    none), and, for a phrase when `bigrams`, its adjacent-word bigram lexemes (`licens_user`, from
    the same switchboard_bigrams() that builds the documents, migration 0005). One query."""
    if not terms:
        return []
    selects = []
    params: list[str] = []
    for term in terms:
        if term.phrase:
            selects.append("numnode(phraseto_tsquery(%s::regconfig, %s))")
            params += [FTS_CONFIG, term.text]
            if bigrams:
                selects.append(
                    "tsvector_to_array(switchboard_bigrams(to_tsvector(%s::regconfig, %s)))"
                )
                params += [FTS_CONFIG, term.text]
            else:
                selects.append("NULL")
        elif term.wildcard:
            words = _WORD_RE.findall(term.text.split("*", 1)[0])
            if not words:
                selects.append("0, NULL")
                continue
            selects.append("numnode(to_tsquery(%s::regconfig, %s)), NULL")
            params += [FTS_CONFIG, " & ".join([*words[:-1], f"{words[-1]}:*"])]
        else:
            selects.append("numnode(plainto_tsquery(%s::regconfig, %s)), NULL")
            params += [FTS_CONFIG, term.text]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return [(bool(n), sorted(pairs or [])) for n, pairs in zip(row[::2], row[1::2], strict=True)]


def _tsquery_literal(lexemes: list[str]) -> str:
    """`'a' & 'b'` in tsquery input syntax: each lexeme quoted, quotes and backslashes doubled
    (to_tsquery would re-parse and split `licens_user` at the underscore)."""
    quoted = ("'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes)
    return " & ".join(quoted)


class LexemeQuery(SearchQueryCombinable, Expression):
    """A tsquery of exact lexemes, `%s::tsquery` (no parsing or stemming): the bigram prefilter
    of a phrase. Combines with SearchQuery (`phrase & LexemeQuery(...)`)."""

    output_field = SearchQueryField()

    def __init__(self, lexemes: list[str]) -> None:
        super().__init__()
        self.lexemes = list(lexemes)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[str]]:
        return "%s::tsquery", [_tsquery_literal(self.lexemes)]


def _wildcard_regex(text: str, star: str = r"\w", *, whole: bool = False) -> str:
    """`se*er` as a regex body: `*` is any run of `star` (in free text, word characters).
    Atomic (non-backtracking) on SQLite, whose REGEXP is Python's `re`; see wildcard_regex."""
    return wildcard_regex(text, star=star, whole=whole, atomic=connection.vendor != "postgresql")


def _word_start() -> str:
    # PostgreSQL's regex dialect spells "start of a word" \m; SQLite's REGEXP is Python's re.
    return r"\m" if connection.vendor == "postgresql" else r"\b"


def _sqlite_text_q(term: TextTerm, comments: QuerySet[Comment], with_description: bool) -> Q:
    if term.wildcard:
        pattern = _word_start() + _wildcard_regex(term.text)
        ticket_q = Q(subject__iregex=pattern)
        if with_description:
            ticket_q |= Q(description__iregex=pattern)
        comment_ids = comments.filter(body__iregex=pattern).values("ticket_id")
    else:
        ticket_q = Q(subject__icontains=term.text)
        if with_description:
            ticket_q |= Q(description__icontains=term.text)
        comment_ids = comments.filter(body__icontains=term.text).values("ticket_id")
    return ticket_q | Q(pk__in=comment_ids)


def _pg_text_q(term: TextTerm, comments: QuerySet[Comment]) -> Q:
    """End-users: the subject, or one of the ticket's public comments (never `description`,
    which is the first comment and can be internal)."""
    query = _tsquery(term)
    ticket_q = Q(SearchVectorExact(subject_document(), query))
    matching = comments.filter(ticket_id=OuterRef("pk"))
    matching = matching.alias(document=comment_document()).filter(document=query)
    if term.wildcard and "*" in term.text.rstrip("*"):
        pattern = _word_start() + _wildcard_regex(term.text)
        ticket_q &= Q(subject__iregex=pattern)
        matching = matching.filter(body__iregex=pattern)
    # Correlated: an end-user sees few tickets, each checked through its own comments.
    return ticket_q | Q(Exists(matching))


def _pg_agent_text_q(term: TextTerm, bigrams: list[str] | None = None) -> Q:
    """Agents: one lookup in the per-ticket document (GIN index of migration 0004).

    A phrase also ANDs its adjacent-word bigram lexemes (migration 0005): the GIN index then
    narrows to the tickets holding those word pairs instead of every ticket holding all the
    words, and phraseto_tsquery keeps the result exact on the few rechecked documents.
    """
    query: Any = _tsquery(term)
    if bigrams:
        query = query & LexemeQuery(bigrams)
    q = Q(search_vector=query)
    if term.wildcard and "*" in term.text.rstrip("*"):
        pattern = _word_start() + _wildcard_regex(term.text)
        comments = Comment.objects.filter(
            Q(ticket_id=OuterRef("pk")) | Q(ticket__merged_into_id=OuterRef("pk")),
            body__iregex=pattern,
        )
        q &= Q(subject__iregex=pattern) | Q(description__iregex=pattern) | Q(Exists(comments))
    return q


def _ticket_text_q(terms: tuple[TextTerm, ...], user: Any) -> Q:
    # Search over what the viewer may see (tickets.projection): for an end-user, internal notes
    # and an internal first comment (the `description` column) never make a ticket findable.
    viewer = access.viewer_for(user)
    comments = Comment.objects.filter(projection.comments_q(viewer))
    with_description = projection.sees_internal(viewer)
    q = Q()
    terms_list = list(terms)
    if connection.vendor == "postgresql":
        agent = access.is_agent(user)
        info = _has_lexemes(terms_list, bigrams=agent)
        if terms_list and not any(usable for usable, _pairs in info):
            return Q(pk__in=[])  # only stop words ("the"): nothing to search for
        for term, (usable, pairs) in zip(terms_list, info, strict=True):
            if usable:  # a stop-word term next to real ones is ignored, as in a search engine
                term_q = _pg_agent_text_q(term, pairs) if agent else _pg_text_q(term, comments)
                q &= ~term_q if term.negated else term_q
        return q
    for term in terms_list:
        term_q = _sqlite_text_q(term, comments, with_description)
        q &= ~term_q if term.negated else term_q
    return q


def _plain_term_q(term: TextTerm, column: str) -> Q:
    if term.wildcard:
        return Q(**{f"{column}__iregex": _word_start() + _wildcard_regex(term.text)})
    return Q(**{f"{column}__icontains": term.text})


def _user_text_q(terms: tuple[TextTerm, ...]) -> Q:
    """Users: each term in the name or e-mail address (case-insensitive substring)."""
    q = Q()
    for term in terms:
        term_q = _plain_term_q(term, "name") | _plain_term_q(term, "email")
        q &= ~term_q if term.negated else term_q
    return q


def _org_text_q(terms: tuple[TextTerm, ...]) -> Q:
    """Organizations: each term in the name or one of the e-mail domains."""
    q = Q()
    for term in terms:
        domains = OrganizationDomain.objects.filter(organization_id=OuterRef("pk"))
        term_q = _plain_term_q(term, "name") | Q(
            Exists(domains.filter(_plain_term_q(term, "domain")))
        )
        q &= ~term_q if term.negated else term_q
    return q


# --- field terms -----------------------------------------------------------------------------


def _date_q(column: str, term: FieldTerm, now: datetime) -> Q:
    value = term.values[0]
    assert isinstance(value, DateRange | RelativeDate)
    return _range_q(column, date_range(term.op, value, now))


def _range_q(column: str, value: DateRange) -> Q:
    q = Q()
    if value.start is not None:
        q &= Q(**{f"{column}__gte": value.start})
    if value.end is not None:
        q &= Q(**{f"{column}__lt": value.end})
    return q


def _text_match(column: str, value: str, wildcard: bool) -> Q:
    if wildcard:
        # In a name, address or tag `*` is anything: requester:"grace*" finds "Grace Hopper".
        return Q(**{f"{column}__iregex": _wildcard_regex(value, ".", whole=True)})
    return Q(**{f"{column}__iexact": value})


def _user_ref(value: str, wildcard: bool) -> QuerySet[User]:
    q = _text_match("email", value, wildcard) | _text_match("name", value, wildcard)
    if not wildcard and value.isdigit():
        q |= Q(pk=int(value))
    return User.objects.filter(q).values("pk")


def _words_q(column: str, value: str, wildcard: bool) -> Q:
    """`value` (a word or phrase) in `column`, case-insensitive; `*` is a run of word
    characters, as in free text."""
    if wildcard:
        return Q(**{f"{column}__iregex": _word_start() + _wildcard_regex(value)})
    return Q(**{f"{column}__icontains": value})


def _description_q(term: FieldTerm, user: Any) -> Q:
    """`description:` is the first comment. An end-user may only search it when that comment
    is public (tickets.projection): a public comment with the same body is the first comment
    as the requester sees it."""
    q = _words_q("description", str(term.values[0]), term.wildcard)
    if projection.sees_internal(access.viewer_for(user)):
        return q
    public_first = Comment.objects.filter(
        ticket_id=OuterRef("pk"), public=True, body=OuterRef("description")
    )
    return q & Q(Exists(public_first))


def _ticket_term_q(term: FieldTerm, user: Any, now: datetime) -> Q:
    key, value = term.key, term.values
    if key == "status":
        return Q(status__in=value)
    if key == "priority":
        return Q(priority__in=value)
    if key == "ticket_type":
        return Q(ticket_type=value[0])
    if key == "via":
        return Q(channel=value[0])
    if key == "subject":
        return _words_q("subject", str(value[0]), term.wildcard)
    if key == "description":
        return _description_q(term, user)
    if key in ("created", "updated", "solved"):
        column = {"created": "created_at", "updated": "updated_at", "solved": "solved_at"}[key]
        return _date_q(column, term, now)
    ref = value[0]
    if key == "tags":
        if not projection.sees_internal(access.viewer_for(user)):
            return Q(pk__in=[])  # end-users see no tags (tickets.projection), so find none by one
        tags = TicketTag.objects.filter(ticket_id=OuterRef("pk"))
        if term.wildcard:
            tags = tags.filter(name__regex=_wildcard_regex(str(ref), ".", whole=True))
        else:
            tags = tags.filter(name=ref)
        return Q(Exists(tags))
    if key in ("requester", "assignee"):
        column = f"{key}_id"
        if ref is Special.ME:
            return Q(**{column: getattr(user, "pk", None)})
        if ref is Special.NONE:
            return Q(**{f"{column}__isnull": True})
        return Q(**{f"{column}__in": _user_ref(str(ref), term.wildcard)})
    if key == "organization":
        if ref is Special.NONE:
            return Q(organization_id__isnull=True)
        return Q(organization_id__in=_org_ref(str(ref), term.wildcard))
    if key == "group":
        if ref is Special.NONE:
            return Q(group_id__isnull=True)
        group_q = _text_match("name", str(ref), term.wildcard)
        if not term.wildcard and str(ref).isdigit():
            group_q |= Q(pk=int(str(ref)))
        return Q(group_id__in=SupportGroup.objects.filter(group_q).values("pk"))
    raise AssertionError(f"unhandled search key {key}")  # pragma: no cover


def _name_words_regex(value: str) -> str:
    """`value` as whole words of a name: `acme` and `acme corp` match "Acme Corp", `acm` does
    not. `(^|\\W)`/`(\\W|$)` are word boundaries both PostgreSQL and Python (SQLite) read; the
    words are escaped one by one and joined by any run of non-word characters."""
    words = [re.escape(word) for word in _WORD_RE.findall(value)]
    return r"(^|\W)" + r"\W+".join(words) + r"(\W|$)" if words else ""


def _org_ref(value: str, wildcard: bool) -> QuerySet[Organization]:
    """An organization by whole name, by id, or, as Zendesk does, by the words of its name."""
    q = _text_match("name", value, wildcard)
    if not wildcard:
        if value.isdigit():
            q |= Q(pk=int(value))
        if pattern := _name_words_regex(value):
            q |= Q(name__iregex=pattern)
    return Organization.objects.filter(q).values("pk")


def _fields_q(parsed: ParsedQuery, compile_term: Any, user: Any, now: datetime) -> Q:
    """Terms of a group are ORed, groups are ANDed, a negated group excludes any of its terms."""
    q = Q()
    for group, terms in parsed.field_groups().items():
        group_q = Q()
        for term in terms:
            group_q |= compile_term(term, user, now)
        if group.negated:
            q &= ~group_q
        else:
            q &= group_q
    return q


def _user_term_q(term: FieldTerm, user: Any, now: datetime) -> Q:
    if term.key in ("created", "updated"):
        return _date_q(f"{term.key}_at", term, now)
    if term.key == "organization":
        ref = term.values[0]
        if ref is Special.NONE:
            return Q(organization_id__isnull=True)
        return Q(organization_id__in=_org_ref(str(ref), term.wildcard))
    raise AssertionError(f"unhandled user key {term.key}")  # pragma: no cover


def _org_term_q(term: FieldTerm, user: Any, now: datetime) -> Q:
    return _date_q(f"{term.key}_at", term, now)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    result_type: str  # "ticket" | "user" | "organization"
    object: Any

    @property
    def id(self) -> int:
        return int(self.object.pk)


@dataclass
class SearchResults:
    """Tickets first, then users, then organizations; `count` is the total of all three."""

    query: ParsedQuery
    tickets: QuerySet[Ticket] | None
    users: QuerySet[User] | None
    organizations: QuerySet[Organization] | None

    def __post_init__(self) -> None:
        self._counts: dict[str, int] = {}

    def _parts(self) -> Iterator[tuple[str, QuerySet[Any]]]:
        for result_type, qs in (
            ("ticket", self.tickets),
            ("user", self.users),
            ("organization", self.organizations),
        ):
            if qs is not None:
                yield result_type, qs

    def counts(self) -> dict[str, int]:
        """{result type: count}, one COUNT query per included type, cached.

        Tickets are counted up to TICKET_COUNT_CAP: that number means "that many or more".
        """
        for result_type, qs in self._parts():
            if result_type not in self._counts:
                if result_type == "ticket":
                    self._counts[result_type] = qs.order_by()[:TICKET_COUNT_CAP].count()
                else:
                    self._counts[result_type] = qs.count()
        return dict(self._counts)

    @property
    def count(self) -> int:
        return sum(self.counts().values())

    def page(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> list[SearchResult]:
        """One page (1-based). Only the first MAX_RESULTS results can be reached."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValidationFailed(
                f"per_page: between 1 and {MAX_PER_PAGE}.",
                field="per_page",
                code="InvalidPagination",
            )
        if page < 1:
            raise ValidationFailed(
                "page: must be 1 or more.", field="page", code="InvalidPagination"
            )
        start = (page - 1) * per_page
        end = min(start + per_page, MAX_RESULTS)
        if start >= MAX_RESULTS:
            raise ValidationFailed(
                f"page: only the first {MAX_RESULTS} results can be paged through; "
                "narrow the query.",
                field="page",
                code="InvalidPagination",
            )
        results: list[SearchResult] = []
        offset = 0
        for result_type, qs in self._parts():
            if result_type == "ticket":  # always first: offset is 0
                if start < end and start < self._counts.get("ticket", end):
                    rows = self._ticket_page(qs, start, end)
                    results += [SearchResult("ticket", row) for row in rows]
                    start += len(rows)
                offset += self.counts()["ticket"]
                continue
            n = self.counts()[result_type]
            if start < end and start < offset + n:
                rows = list(qs[start - offset : min(end, offset + n) - offset])
                results += [SearchResult(result_type, row) for row in rows]
                start += len(rows)
            offset += n
        return results

    @staticmethod
    def ticket_page_query(qs: QuerySet[Ticket], lo: int, hi: int) -> QuerySet[Ticket]:
        """(id, total) of tickets [lo:hi]: the ids in the sort order with LIMIT, and the total
        (capped at TICKET_COUNT_CAP) as an uncorrelated subquery that runs once, in the same
        statement. Neither enumerates all the matches of a common word: the page can walk the
        sort index and stop after `hi` matches, the count stops at the cap.
        """
        capped = qs.order_by().values("pk")[:TICKET_COUNT_CAP]
        try:
            inner, params = capped.query.sql_with_params()
        except EmptyResultSet:  # a query that cannot match (only stop words): no SQL at all
            return qs.none().values_list("pk", "pk")
        total = RawSQL(f"SELECT COUNT(*) FROM ({inner}) capped", params)  # noqa: S608, S611
        return qs.annotate(search_total=total).values_list("pk", "search_total")[lo:hi]

    def _ticket_page(self, qs: QuerySet[Ticket], lo: int, hi: int) -> list[Ticket]:
        """Tickets [lo:hi] and the (capped) total in one query, then the page's rows in one more,
        joined to requester, organization, ... (without the large search_vector)."""
        pairs = list(self.ticket_page_query(qs, lo, hi))
        if pairs:
            self._counts["ticket"] = pairs[0][1]
        elif "ticket" not in self._counts:
            self._counts["ticket"] = qs.order_by()[:TICKET_COUNT_CAP].count()
        ids = [pk for pk, _total in pairs]
        by_id = Ticket.objects.select_related(*TICKET_RELATED).defer("search_vector").in_bulk(ids)
        return [by_id[pk] for pk in ids]

    def __iter__(self) -> Iterator[SearchResult]:
        """Every reachable result (up to MAX_RESULTS)."""
        page = 1
        while (page - 1) * MAX_PER_PAGE < MAX_RESULTS:
            rows = self.page(page)
            yield from rows
            if len(rows) < MAX_PER_PAGE:
                return
            page += 1


def search(
    user: Any,
    query_text: str,
    *,
    now: datetime | None = None,
    sort_by: str = "updated_at",
    sort_order: str = "desc",
) -> SearchResults:
    """Compile `query_text` for `user`. Raises QuerySyntaxError (a ValueError) if malformed.

    An empty query finds nothing. Relative dates (`created>2days`) count back from `now`
    (default: the current time). Tickets sort by `sort_by` (updated_at, created_at, priority,
    status, ticket_type), or by the query's own `order_by:`/`sort:`, which win; users and
    organizations by name. A query that is only a ticket number (`201`, `#201`) finds that
    ticket if the user may see it.
    """
    parsed = parse_query(query_text)
    now = now or timezone.now()
    if parsed.is_empty:
        return SearchResults(parsed, Ticket.objects.none(), None, None)
    if parsed.ticket_id is not None:
        found = visible_tickets(user).filter(pk=parsed.ticket_id).select_related(*TICKET_RELATED)
        return SearchResults(parsed, found, None, None)
    sort_by = parsed.order_by or sort_by
    sort_order = parsed.sort or sort_order
    wanted = {parsed.result_type} if parsed.result_type else {"ticket", "user", "organization"}
    if not access.is_agent(user):
        wanted &= {"ticket"}
    for term in parsed.field_terms:
        wanted &= KEY_TYPES[term.key]

    tickets = users = organizations = None
    if "ticket" in wanted:
        column = TICKET_SORTS.get(sort_by, "updated_at")
        descending = sort_order != "asc"
        tickets = (
            visible_tickets(user)
            .filter(_ticket_text_q(parsed.text_terms, user))
            .filter(_fields_q(parsed, _ticket_term_q, user, now))
            .select_related("requester", "assignee", "group", "organization")
            .order_by(
                F(column).desc() if descending else F(column).asc(), "-pk" if descending else "pk"
            )
        )
    if "user" in wanted:
        users = (
            User.objects.filter(is_active=True)
            .filter(_user_text_q(parsed.text_terms))
            .filter(_fields_q(parsed, _user_term_q, user, now))
            .select_related("organization")
            .order_by("name", "pk")
        )
    if "organization" in wanted:
        organizations = (
            Organization.objects.filter(_org_text_q(parsed.text_terms))
            .filter(_fields_q(parsed, _org_term_q, user, now))
            .prefetch_related("domains")
            .order_by("name", "pk")
        )
    return SearchResults(parsed, tickets, users, organizations)
