"""The fake Salesforce speaks the documented wire format to the unmodified simple-salesforce
client, over verified HTTPS: token, query/queryMore, updated/deleted, upserts, Bulk 2.0, limits,
and Salesforce's error bodies."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from switchboard.crm.connector import Connector, CrmError, RateLimited
from switchboard.crm.tests.conftest import account
from switchboard.crm.tests.fake_salesforce import BATCH_SIZE, FakeSalesforce


def _client(fake: FakeSalesforce) -> Salesforce:
    token = requests.post(
        f"{fake.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "switchboard-test",
            "client_secret": "s3cret",
        },
        timeout=10,
    ).json()
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], version="62.0"
    )


def test_token_endpoint_refuses_wrong_client_secret(salesforce: FakeSalesforce) -> None:
    """OAuth errors come back as {"error", "error_description"} with 400."""
    answer = requests.post(
        f"{salesforce.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "switchboard-test",
            "client_secret": "nope",
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_tls_is_verified_against_the_configured_ca(salesforce: FakeSalesforce, monkeypatch) -> None:
    """Without REQUESTS_CA_BUNDLE the test CA is not trusted: the connection fails."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(CrmError, match="Could not reach"):
        Connector().authenticate()


def test_query_pages_by_2000_with_next_records_url(salesforce: FakeSalesforce) -> None:
    """4,500 records: three batches (2,000, 2,000, 500) linked by nextRecordsUrl."""
    salesforce.add_many("Account", (account(Name=f"A{n:05d}") for n in range(4500)))
    sf = _client(salesforce)
    first = sf.query("SELECT Id, Name, Owner.Name FROM Account ORDER BY Name")
    assert first["totalSize"] == 4500 and first["done"] is False
    assert len(first["records"]) == BATCH_SIZE
    assert first["records"][0]["Name"] == "A00000"
    assert first["records"][0]["Owner"]["Name"] == "Olivia Owner"
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert len(second["records"]) == BATCH_SIZE and len(third["records"]) == 500
    assert third["done"] is True and "nextRecordsUrl" not in third
    assert len(list(sf.query_all_iter("SELECT Id FROM Account"))) == 4500


def test_where_order_and_limit(salesforce: FakeSalesforce) -> None:
    salesforce.add("Account", **account(Name="Beta", Support_Level__c="Standard", ARR__c=10.0))
    salesforce.add("Account", **account(Name="Alpha", Support_Level__c="Priority", ARR__c=20.0))
    salesforce.add("Account", **account(Name="Gamma", Type="Prospect", ARR__c=30.0))
    sf = _client(salesforce)
    result = sf.query(
        "SELECT Name FROM Account WHERE Type = 'Customer' AND (ARR__c > 15 OR Name LIKE 'B%') "
        "ORDER BY Name DESC LIMIT 5"
    )
    assert [r["Name"] for r in result["records"]] == ["Beta", "Alpha"]
    result = sf.query("SELECT Name FROM Account WHERE Support_Level__c IN ('Standard') ")
    assert [r["Name"] for r in result["records"]] == ["Beta"]


def test_malformed_query_is_answered_like_salesforce(salesforce: FakeSalesforce) -> None:
    sf = _client(salesforce)
    salesforce.add("Account", **account())
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query("SELECT Id FROM Account WHERE")
    assert error.value.status == 400
    assert error.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query("SELECT Nope__c FROM Account")
    assert error.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_expired_session_and_rate_limit_errors(salesforce: FakeSalesforce) -> None:
    sf = _client(salesforce)
    salesforce.rate_limit(after_requests=0, requests=1)
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Account")
    assert refused.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    salesforce.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Account")
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_limits_and_the_sforce_limit_info_header(salesforce: FakeSalesforce) -> None:
    sf = _client(salesforce)
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == salesforce.daily_limit
    assert limits["DailyApiRequests"]["Remaining"] == salesforce.daily_limit - 2


def test_updated_and_deleted_replication_resources(salesforce: FakeSalesforce) -> None:
    kept = salesforce.add("Account", **account(Name="Kept"))
    gone = salesforce.add("Account", **account(Name="Gone"))
    salesforce.delete("Account", gone)
    sf = _client(salesforce)
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(minutes=1)
    updated = sf.Account.updated(start, end)
    assert updated["ids"] == [kept] and "latestDateCovered" in updated
    deleted = sf.Account.deleted(start, end)
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]


def test_upsert_by_external_id_and_composite_upsert(salesforce: FakeSalesforce) -> None:
    sf = _client(salesforce)
    assert sf.Case.upsert("Switchboard_Ticket_Id__c/42", {"Subject": "First"}) == 201
    assert sf.Case.upsert("Switchboard_Ticket_Id__c/42", {"Subject": "Again"}) == 200
    cases = salesforce.find("Case", Switchboard_Ticket_Id__c="42")
    assert len(cases) == 1 and cases[0]["Subject"] == "Again"
    results = sf.restful(
        "composite/sobjects/Case/Switchboard_Ticket_Id__c",
        method="PATCH",
        json={
            "allOrNone": True,
            "records": [
                {
                    "attributes": {"type": "Case"},
                    "Switchboard_Ticket_Id__c": "42",
                    "Subject": "Third",
                },
                {
                    "attributes": {"type": "Case"},
                    "Switchboard_Ticket_Id__c": "43",
                    "Subject": "New",
                },
            ],
        },
    )
    assert [(r["success"], r["created"]) for r in results] == [(True, False), (True, True)]
    assert results[0]["id"] == cases[0]["Id"]
    assert len(salesforce.records["Case"]) == 2


def test_bulk_2_query_job_pages_by_locator(salesforce: FakeSalesforce) -> None:
    salesforce.add_many("Account", (account(Name=f"B{n:04d}") for n in range(2500)))
    sf = _client(salesforce)
    pages = list(
        sf.bulk2.Account.query("SELECT Id, Name, Owner.Name FROM Account", max_records=1000, wait=0)
    )
    assert [len(list(csv.DictReader(io.StringIO(p)))) for p in pages] == [1000, 1000, 500]
    first = next(csv.DictReader(io.StringIO(pages[0])))
    assert set(first) == {"Id", "Name", "Owner.Name"} and first["Owner.Name"] == "Olivia Owner"


def test_connector_reauthenticates_once_and_maps_the_rate_limit(salesforce: FakeSalesforce) -> None:
    """A new token on INVALID_SESSION_ID; REQUEST_LIMIT_EXCEEDED becomes RateLimited."""
    connector = Connector()
    assert connector.limits()["DailyApiRequests"]["Max"] == salesforce.daily_limit
    salesforce.expire_sessions()
    assert connector.limits()
    assert connector.authentications == 2
    salesforce.rate_limit()
    with pytest.raises(RateLimited):
        connector.limits()


def test_bulk_csv_page_parsing() -> None:
    from switchboard.crm.connector import _csv_records

    text = 'Id,Name,Domain__c\n001A,"Acme, Inc.",\n\n001B,"Say ""hi""\nline two",b.example\n001C\n'
    assert _csv_records(text) == [
        {"Id": "001A", "Name": "Acme, Inc.", "Domain__c": None},
        {"Id": "001B", "Name": 'Say "hi"\nline two', "Domain__c": "b.example"},
        {"Id": "001C"},
    ]
    assert _csv_records("") == []
    assert _csv_records("Id,Name\n") == []
