"""Offset pagination (page, per_page) and cursor pagination (page[size], page[after]) as Zendesk
answers them, with absolute links. Cursors are signed, so a client cannot forge or edit one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest

from switchboard.core.errors import SwitchboardError

MAX_PER_PAGE = 100
_SALT = "switchboard.api.cursor"


class BadPagination(SwitchboardError):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidPaginationParameter")


_MAX_ID = 2**63 - 1


def parse_ids(text: str, *, what: str, limit: int) -> list[int]:
    """`ids=1,2,3` → [1, 2, 3]: decimal database ids (1 to 2^63-1), at most `limit` of them.

    Counts before converting, so `ids=` with a million parts is refused without parsing them."""
    parts = [part.strip() for part in text.split(",", limit + 1) if part.strip()]
    if len(parts) > limit:
        raise BadPagination(f"ids: at most {limit} {what} ids at once.")
    wanted: list[int] = []
    for part in parts:
        if (
            not (part.isascii() and part.isdigit())
            or len(part) > 19
            or not 1 <= int(part) <= _MAX_ID
        ):
            raise BadPagination(
                f"ids: {part[:40]!r} is not a {what} id (a whole number from 1 to {_MAX_ID})."
            )
        wanted.append(int(part))
    return wanted


def page_url(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    query = urlencode(sorted(params.lists()), doseq=True)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def encode_cursor(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=_SALT, compress=False)


def decode_cursor(value: str, name: str = "page[after]") -> dict[str, Any]:
    try:
        data = signing.loads(value, salt=_SALT)
    except signing.BadSignature:
        raise BadPagination(f"{name}: not a cursor this API issued.") from None
    if not isinstance(data, dict):
        raise BadPagination(f"{name}: not a cursor this API issued.")
    return data


def _check_size(value: int | None, name: str, default: int = MAX_PER_PAGE) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_PER_PAGE:
        raise BadPagination(f"{name}: must be between 1 and {MAX_PER_PAGE}.")
    return value


def paginate(
    request: HttpRequest,
    qs: QuerySet[Any],
    key: str,
    render: Callable[[list[Any]], list[dict[str, Any]]],
    *,
    keyset: bool = True,
) -> dict[str, Any]:
    """One page of `qs` in the style the request asks for: cursor if it sends page[size] or
    page[after], offset otherwise. With `keyset`, `qs` must be ordered by ascending pk."""
    get = request.GET
    if "page[size]" in get or "page[after]" in get:
        return _cursor_page(request, qs, key, render, keyset=keyset)
    page = _int(get.get("page"), "page", 1)
    if page < 1:
        raise BadPagination("page: must be 1 or more.")
    per_page = _check_size(_int(get.get("per_page"), "per_page", MAX_PER_PAGE), "per_page")
    count = qs.count()
    start = (page - 1) * per_page
    rows = list(qs[start : start + per_page]) if start < count else []
    return {
        key: render(rows),
        "next_page": page_url(request, page=page + 1) if start + per_page < count else None,
        "previous_page": page_url(request, page=page - 1) if page > 1 else None,
        "count": count,
    }


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadPagination(f"{name}: {value!r} is not a whole number.") from None


def _cursor_page(
    request: HttpRequest,
    qs: QuerySet[Any],
    key: str,
    render: Callable[[list[Any]], list[dict[str, Any]]],
    *,
    keyset: bool,
) -> dict[str, Any]:
    get = request.GET
    size = _check_size(_int(get.get("page[size]"), "page[size]", MAX_PER_PAGE), "page[size]")
    after = get.get("page[after]")
    offset = 0
    if after:
        data = decode_cursor(after)
        if keyset:
            if not isinstance(data.get("id"), int):
                raise BadPagination("page[after]: not a cursor this API issued.")
            qs = qs.filter(pk__gt=data["id"])
        else:
            if not isinstance(data.get("o"), int) or data["o"] < 0:
                raise BadPagination("page[after]: not a cursor this API issued.")
            offset = data["o"]
    rows = list(qs[offset : offset + size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    after_cursor = before_cursor = None
    if rows:
        if keyset:
            after_cursor = encode_cursor({"id": rows[-1].pk})
            before_cursor = encode_cursor({"id": rows[0].pk, "b": True})
        else:
            after_cursor = encode_cursor({"o": offset + len(rows)})
            before_cursor = encode_cursor({"o": offset, "b": True})
    return {
        key: render(rows),
        "meta": {
            "has_more": has_more,
            "after_cursor": after_cursor,
            "before_cursor": before_cursor,
        },
        "links": {
            "next": page_url(request, **{"page[after]": after_cursor}) if has_more else None,
            "prev": None,
        },
    }
