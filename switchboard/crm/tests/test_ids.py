"""Salesforce ids: 15-character ids gain their checksum; a mangled 18-character id is refused."""

from __future__ import annotations

import pytest

from switchboard.crm.ids import InvalidSalesforceId, checksum, is_valid_id, normalize_id


def test_fifteen_character_id_gets_the_documented_checksum() -> None:
    """Salesforce's own example: 001A0000006Vm9r → 001A0000006Vm9rIAC."""
    assert checksum("001A0000006Vm9r") == "IAC"
    assert normalize_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_eighteen_character_id_is_kept_and_its_suffix_case_normalised() -> None:
    """The suffix is case-insensitive by design (it encodes the case of the first 15)."""
    assert normalize_id("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert normalize_id(" 001A0000006Vm9riac ") == "001A0000006Vm9rIAC"


@pytest.mark.parametrize(
    "value",
    [
        "001A0000006VM9RIAC",
        "001a0000006Vm9rIAC",
        "001A0000006Vm9rXXX",
        "",
        "001A0000006Vm9",
        "001A0000006Vm9r!AC",
    ],
)
def test_mangled_or_malformed_ids_are_refused(value: str) -> None:
    """An upper-cased 18-character id no longer matches its checksum: never guessed."""
    with pytest.raises(InvalidSalesforceId):
        normalize_id(value)
    assert not is_valid_id(value)
