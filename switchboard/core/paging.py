"""Page numbers from the query string, read the way people type them: `?page=abc`, `page=0` or
`page=-3` is the first page, and a page past the end (`?page=999`) is an empty page that links
back to the last one, never an error. One COUNT and at most one SELECT per page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

# Larger numbers are a typo or a probe; reading them as the first page keeps OFFSET in range.
MAX_PAGE = 1_000_000


def page_number(raw: Any) -> int:
    """The 1-based page `raw` asks for; 1 for anything that is not a positive whole number."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 7:
        return 1
    number = int(text)
    return number if 1 <= number <= MAX_PAGE else 1


class LenientPage(Page):
    """A page that may lie past the end: empty, with "previous" pointing at the last page."""

    def previous_page_number(self) -> int:
        return min(self.number - 1, self.paginator.num_pages)


class LenientPaginator(Paginator):
    def validate_number(self, number: Any) -> int:
        return page_number(number)

    def page(self, number: Any) -> LenientPage:
        number = self.validate_number(number)
        if number > self.num_pages:  # past the end: no SELECT at all
            return LenientPage([], number, self)
        return super().page(number)  # type: ignore[return-value]

    def _get_page(self, *args: Any, **kwargs: Any) -> LenientPage:
        return LenientPage(*args, **kwargs)


def paginate(object_list: Any, raw_page: Any, per_page: int) -> LenientPage:
    """The page of `object_list` that `raw_page` (the query string's value) asks for."""
    return LenientPaginator(object_list, per_page).page(raw_page)
