"""File import: a Salesforce report (labels, 15-character ids) or a Data Loader export (API
names) goes through the sync's mapping, dry run, audit and checks; bad files write nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from switchboard.accounts.models import AccountAuditEvent, Organization, User
from switchboard.crm.ids import normalize_id
from switchboard.crm.models import IntegrityRun, RunKind, SyncRun

pytestmark = pytest.mark.django_db

HEADER = (
    "Account ID,Account Name,Type,Account Owner,ARR,Number of Seats,Support Level,Product Line,"
    "Domain,Technical Account Manager Email"
)
REPORT = (
    "\ufeff"
    + HEADER
    + """
001A0000006Vm9r,Acme Corp,Customer,Olivia Owner,"120,000.00",250,Priority,SaaS,acme.example,
001A0000006Vm9s,Globex,Customer,Olivia Owner,5000,10,Gold,Self-Managed,globex.example,
001A0000006Vm9t,Prospect Inc,Prospect,Olivia Owner,0,0,None,SaaS,prospect.example,
"""
)
DATALOADER_CONTACTS = """"ID","EMAIL","FIRSTNAME","LASTNAME","ACCOUNTID","IS_SOLD_TO__C"
"003A000000AbCdE","Pat@Acme.example","Pat","Buyer","001A0000006Vm9rIAC","true"
"003A000000AbCdF","dev@acme.example","Dana","Dev","001A0000006Vm9r","false"
"003A000000AbCdG","not-an-email","Bad","Row","001A0000006Vm9r","false"
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(REPORT, encoding="utf-8")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(DATALOADER_CONTACTS, encoding="utf-8")
    return accounts, contacts


def test_report_and_data_loader_exports_import_with_the_sync_mapping(files, capsys) -> None:
    call_command("crm_import", str(files[0]), str(files[1]))

    acme = Organization.objects.get(crm_account_id=normalize_id("001A0000006Vm9r"))
    assert acme.crm_account_id == "001A0000006Vm9rIAC"
    assert (acme.name, acme.support_level, acme.product_line) == ("Acme Corp", "priority", "saas")
    assert acme.crm_account_owner == "Olivia Owner" and acme.seats == 250
    assert acme.arr == Decimal("120000.00")
    assert acme.domain_names == ["acme.example"]
    globex = Organization.objects.get(name="Globex")
    assert globex.support_level == "none"  # "Gold" is unknown: flagged, not defaulted
    assert not Organization.objects.filter(name="Prospect Inc").exists()
    pat = User.objects.get(email="pat@acme.example")
    assert (pat.organization, pat.is_sold_to_contact) == (acme, True)
    assert User.objects.get(email="dev@acme.example").organization == acme
    assert not User.objects.filter(email="not-an-email").exists()
    out = capsys.readouterr().out
    assert "flag organization Globex" in out and "support level unknown" in out
    assert "skip user not-an-email" in out
    run = SyncRun.objects.get(kind=RunKind.FILE)
    assert run.source == "accounts.csv + contacts.csv" and run.status == "succeeded"
    audit = AccountAuditEvent.objects.get(organization=acme, field="created")
    assert audit.reason == "CRM: file import accounts.csv + contacts.csv"
    assert IntegrityRun.objects.get().counts["no_support_level"] == 1  # Globex


def test_dry_run_reads_everything_and_writes_nothing(files, capsys) -> None:
    call_command("crm_import", str(files[0]), str(files[1]), "--dry-run")
    out = capsys.readouterr().out
    assert "create organization Acme Corp [001A0000006Vm9rIAC]" in out
    assert "support_level: priority" in out
    assert "Dry run: 6 rows read, nothing was written." in out
    assert not Organization.objects.exists() and not User.objects.exists()
    assert not SyncRun.objects.exists()


def test_missing_columns_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "accounts.csv"
    bad.write_text("Account Name,Support Level\nAcme,Priority\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"missing column\(s\) Id, Type"):
        call_command("crm_import", str(bad))
    assert not Organization.objects.exists()


def test_unreadable_contacts_file_stops_before_any_account_is_written(
    files, tmp_path: Path
) -> None:
    broken = tmp_path / "contacts.csv"
    broken.write_bytes(b"ID,EMAIL,ACCOUNTID\n\xff\xfe,x,y\n")
    with pytest.raises(CommandError, match=r"not a UTF-8 CSV file|unreadable"):
        call_command("crm_import", str(files[0]), str(broken))
    assert not Organization.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("crm_import", str(tmp_path / "nope.csv"))
