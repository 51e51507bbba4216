"""A fake Salesforce over HTTPS (trustme CA) with the connector's settings pointing at it.

    def test_sync(salesforce):
        account = salesforce.add("Account", Name="Acme", Type="Customer", ...)
        run_sync()
        salesforce.update("Account", account, Support_Level__c="Priority")
        salesforce.expire_sessions(after_requests=1)

The client is the unmodified simple-salesforce; REQUESTS_CA_BUNDLE points at the test CA, so
TLS is verified as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.crm.tests.fake_salesforce import FakeSalesforce


@pytest.fixture
def salesforce(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(client_id="switchboard-test", client_secret="s3cret").start(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
    settings.SALESFORCE_URL = fake.url
    settings.SALESFORCE_CLIENT_ID = "switchboard-test"
    settings.SALESFORCE_CLIENT_SECRET = "s3cret"
    settings.SALESFORCE_API_VERSION = "62.0"
    from switchboard.crm import casepush

    casepush._connector = None
    yield fake
    casepush._connector = None
    fake.stop()


def account(**fields: Any) -> dict[str, Any]:
    """A customer account with the default mapping's fields (override any)."""
    values: dict[str, Any] = {
        "Name": "Acme Corp",
        "Type": "Customer",
        "Owner": {"Name": "Olivia Owner"},
        "ARR__c": 120000.0,
        "Number_of_Seats__c": 250.0,
        "Market_Segment__c": "Mid-Market",
        "Support_Level__c": "Priority",
        "Technical_Account_Manager_Email__c": None,
        "Sales_Segmentation__c": "Commercial",
        "Product_Line__c": "Self-Managed",
        "Domain__c": "acme.example",
        "Collaboration_Project_URL__c": "https://gitlab.example/acme/collab",
    }
    values.update(fields)
    return values


def contact(account_id: str, email: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "Email": email,
        "FirstName": "Casey",
        "LastName": "Contact",
        "AccountId": account_id,
        "Is_Sold_To__c": False,
    }
    values.update(fields)
    return values
