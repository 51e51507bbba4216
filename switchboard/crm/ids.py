"""Salesforce record ids: the 15-character case-sensitive form and the 18-character form.

The 18-character id appends a 3-character checksum of the letter case of the first 15, so it
survives case-insensitive tools (spreadsheets, Data Loader exports). Switchboard stores the
18-character form; a 15-character id is accepted anywhere and normalised here.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID15 = re.compile(r"[A-Za-z0-9]{15}")


class InvalidSalesforceId(ValueError):
    pass


@lru_cache(maxsize=65536)
def _chunk_character(chunk: str) -> str:
    # Cached: a sync normalises hundreds of thousands of ids that share most 5-character chunks.
    return _ALPHABET[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]


def checksum(id15: str) -> str:
    """The three suffix characters Salesforce appends to a 15-character id."""
    return (
        _chunk_character(id15[0:5]) + _chunk_character(id15[5:10]) + _chunk_character(id15[10:15])
    )


def normalize_id(value: str) -> str:
    """The 18-character id for a 15- or 18-character Salesforce id; raises InvalidSalesforceId.

    An 18-character id whose suffix does not match its first 15 characters is rejected: it was
    retyped or mangled (e.g. upper-cased), and guessing would link the wrong account.
    """
    raw = (value or "").strip()
    if len(raw) == 15 and _ID15.fullmatch(raw):
        return raw + checksum(raw)
    if len(raw) == 18 and _ID15.fullmatch(raw[:15]):
        expected = checksum(raw[:15])
        if raw[15:].upper() != expected:
            raise InvalidSalesforceId(
                f"{raw!r} is not a valid Salesforce id (its last 3 characters should be "
                f"{expected!r})."
            )
        return raw[:15] + expected
    raise InvalidSalesforceId(f"{raw!r} is not a Salesforce id (15 or 18 letters and digits).")


def is_valid_id(value: str) -> bool:
    try:
        normalize_id(value)
    except InvalidSalesforceId:
        return False
    return True
