"""The field mapping is data: validated with messages naming the problem, editable by admins,
and previewed (dry run) in the admin before anything is written."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from switchboard.accounts.models import Organization
from switchboard.accounts.tests.factories import AdminFactory, AgentFactory
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.crm.actions import update_mapping
from switchboard.crm.mapping import DEFAULT_MAPPING, InvalidMapping, map_account, validate
from switchboard.crm.runner import run_sync
from switchboard.crm.tests.conftest import account
from switchboard.crm.tests.fake_salesforce import FakeSalesforce


def _with(change) -> dict:
    mapping = copy.deepcopy(DEFAULT_MAPPING)
    change(mapping)
    return mapping


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("customer_type"), "customer_type"),
        (
            lambda m: m["account"].append({"source": "Other__c", "target": "arr"}),
            "arr is mapped twice",
        ),
        (
            lambda m: m["account"].append({"source": "X__c", "target": "nope"}),
            "unknown target 'nope'",
        ),
        (
            lambda m: m["account"].__setitem__(0, {"source": "1bad", "target": "name"}),
            "not a Salesforce field",
        ),
        (
            lambda m: m["account"][6]["values"].__setitem__("Gold", "platinum"),
            "'Gold' maps to 'platinum'",
        ),
        (lambda m: m["account"][6].pop("values"), "support_level needs a values map"),
        (lambda m: m["account"].pop(0), "must map a field to name"),
        (lambda m: m["contact"].pop("sold_to"), '"contact" must map exactly'),
        (lambda m: m["case"].__setitem__("object", "Case; DROP"), "not a Salesforce name"),
    ],
)
def test_invalid_mappings_are_refused_with_the_reason(change, message) -> None:
    with pytest.raises(InvalidMapping, match=message.replace("(", r"\(")):
        validate(_with(change))


def test_the_default_mapping_is_valid_and_maps_a_record() -> None:
    mapped = map_account(
        {
            "Id": "001A0000006Vm9r",
            "Type": "Customer",
            "Name": " Acme ",
            "Owner.Name": "Olivia",
            "ARR__c": 1200.5,
            "Number_of_Seats__c": 10.0,
            "Support_Level__c": "priority",
            "Product_Line__c": "saas",
            "Domain__c": "Acme.example; acme.test",
        },
        validate(copy.deepcopy(DEFAULT_MAPPING)),
    )
    assert mapped.sf_id == "001A0000006Vm9rIAC" and mapped.is_customer
    assert mapped.values["name"] == "Acme" and mapped.values["arr"] == Decimal("1200.50")
    assert mapped.values["seats"] == 10 and mapped.values["support_level"] == "priority"
    assert mapped.values["domain_names"] == ["acme.example", "acme.test"]
    assert mapped.flags == []


@pytest.mark.django_db
def test_mapping_edits_are_admin_only_and_validated() -> None:
    with pytest.raises(PermissionDenied):
        update_mapping(actor=AgentFactory(), mapping=copy.deepcopy(DEFAULT_MAPPING))
    with pytest.raises(ValidationFailed, match="must map a field to name"):
        update_mapping(actor=AdminFactory(), mapping=_with(lambda m: m["account"].pop(0)))


@pytest.mark.django_db
def test_an_edited_mapping_changes_what_the_sync_writes(salesforce: FakeSalesforce) -> None:
    """A team whose Salesforce says "Gold" for priority adds it to the values map."""
    mapping = copy.deepcopy(DEFAULT_MAPPING)
    mapping["account"][6]["values"]["Gold"] = "priority"
    mapping["account"].append({"source": "Plan__c", "target": "plan"})
    update_mapping(actor=AdminFactory(), mapping=mapping)
    salesforce.add("Account", **account(Support_Level__c="Gold", Plan__c="Ultimate"))
    run_sync(full=True)
    org = Organization.objects.get()
    assert (org.support_level, org.plan) == ("priority", "Ultimate")


@pytest.mark.django_db
def test_admin_sync_preview_shows_the_diff_field_by_field(
    salesforce: FakeSalesforce, client
) -> None:
    sf_id = salesforce.add("Account", **account())
    run_sync(full=True)
    salesforce.update("Account", sf_id, Support_Level__c="Standard")
    client.force_login(AdminFactory())

    page = client.post("/admin/crm/crmsettings/preview/", {"kind": "incremental"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "update organization" in html and "support_level" in html
    assert "<td>priority</td><td>standard</td>" in html
    assert Organization.objects.get().support_level == "priority"  # nothing written
    settings_page = client.get("/admin/crm/crmsettings/1/change/")
    assert settings_page.status_code == 200
