"""File import for teams without API access: a Salesforce report or Data Loader export (CSV).

Columns are matched to the mapping's Salesforce fields by API name (Data Loader: ``Id``,
``NAME``, ``Owner.Name``, ``Support_Level__c``; case-insensitive) or by the report's column label
(``Account ID``, ``Account Name``, ``Account Owner``, ``Support Level`` for ``Support_Level__c``).
Reports export 15-character ids: they are normalised. Rows then go through the same engine as
the API sync — same mapping, same flags, same dry run, same audit — and the checks run after.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from switchboard.core.errors import ValidationFailed
from switchboard.crm import mapping as mapping_rules
from switchboard.crm.models import RunKind, RunStatus, SyncRun
from switchboard.crm.sync import Engine, Plan, current_mapping

PAGE = 2000
MAX_BYTES = 500 * 1024 * 1024

# Report column labels → API names (standard fields; custom fields match by their label).
ACCOUNT_LABELS = {
    "account id": "Id",
    "account name": "Name",
    "account type": "Type",
    "type": "Type",
    "account owner": "Owner.Name",
    "last modified date": "SystemModstamp",
}
CONTACT_LABELS = {
    "contact id": "Id",
    "email": "Email",
    "first name": "FirstName",
    "last name": "LastName",
    "account id": "AccountId",
}


def _label_of(api_name: str) -> str:
    """Support_Level__c → "support level"; Owner.Name → "owner name"."""
    text = re.sub(r"__c$", "", api_name).replace(".", " ").replace("_", " ")
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return " ".join(text.lower().split())


def column_map(header: list[str], wanted: list[str], labels: dict[str, str]) -> dict[str, str]:
    """CSV column → API name, for every wanted field the header has."""
    by_key: dict[str, str] = {}
    for api in wanted:
        by_key[api.lower()] = api
        by_key.setdefault(_label_of(api), api)
    for label, api in labels.items():
        if api in wanted:
            by_key[label] = api
    found: dict[str, str] = {}
    for column in header:
        key = " ".join(column.strip().lower().split())
        api = by_key.get(key) or by_key.get(_label_of(column.strip()))
        if api is not None and api not in found.values():
            found[column] = api
    return found


@dataclass
class ImportResult:
    run: SyncRun | None
    plan: Plan
    rows: int


def _rows(
    path: Path, wanted: list[str], required: list[str], labels: dict[str, str]
) -> Iterator[list[dict[str, Any]]]:
    if path.stat().st_size > MAX_BYTES:
        raise ValidationFailed(
            f"{path.name}: larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValidationFailed(f"{path}: {exc.strerror}.", field="file") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationFailed(f"{path.name}: the file is empty.", field="file") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                f"{path.name}: not a UTF-8 CSV file ({exc}).", field="file"
            ) from None
        columns = column_map(header, wanted, labels)
        missing = [name for name in required if name not in columns.values()]
        if missing:
            raise ValidationFailed(
                f"{path.name}: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(header)}).",
                field="file",
            )
        index = [
            (position, columns[name]) for position, name in enumerate(header) if name in columns
        ]
        page: list[dict[str, Any]] = []
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                page.append(
                    {api: (row[i].strip() if i < len(row) else "") or None for i, api in index}
                )
                if len(page) >= PAGE:
                    yield page
                    page = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                f"{path.name}, line {reader.line_num}: unreadable ({exc}).", field="file"
            ) from None
        if page:
            yield page


def _check_readable(
    path: Path, wanted: list[str], required: list[str], labels: dict[str, str]
) -> None:
    """Read the whole file once before writing anything: a bad line fails the import up front."""
    for _ in _rows(path, wanted, required, labels):
        pass


def import_files(
    accounts: Path, contacts: Path | None = None, *, dry_run: bool = False
) -> ImportResult:
    mapping = current_mapping()
    account_fields = [f for f in mapping_rules.account_fields(mapping) if f != "IsDeleted"]
    contact_fields = mapping_rules.contact_fields(mapping)
    account_required = [
        "Id",
        "Type",
        next(r["source"] for r in mapping["account"] if r["target"] == "name"),
    ]
    contact_required = ["Id", mapping["contact"]["email"], mapping["contact"]["account"]]
    _check_readable(accounts, account_fields, account_required, ACCOUNT_LABELS)
    if contacts is not None:
        _check_readable(contacts, contact_fields, contact_required, CONTACT_LABELS)
    names = accounts.name + (f" + {contacts.name}" if contacts else "")
    engine = Engine(mapping=mapping, source=f"file import {names}", dry_run=dry_run)
    run = None
    if not dry_run:
        run = SyncRun.objects.create(
            kind=RunKind.FILE, source=names[:200], started_at=timezone.now()
        )
    rows = 0
    try:
        for page in _rows(accounts, account_fields, account_required, ACCOUNT_LABELS):
            rows += len(page)
            engine.accounts(page)
        if contacts is not None:
            for page in _rows(contacts, contact_fields, contact_required, CONTACT_LABELS):
                rows += len(page)
                engine.contacts(page)
    except Exception as exc:
        if run is not None:
            run.status, run.error, run.finished_at = (
                RunStatus.FAILED,
                str(exc)[:4000],
                timezone.now(),
            )
            run.counts = dict(engine.plan.counts)
            run.save()
        raise
    if run is not None:
        from switchboard.crm.checks import run_checks

        integrity = run_checks(trigger="after file import")
        engine.plan.counts["integrity_findings"] = sum(integrity.counts.values())
        run.status, run.finished_at, run.counts = (
            RunStatus.SUCCEEDED,
            timezone.now(),
            dict(engine.plan.counts),
        )
        run.save()
    return ImportResult(run, engine.plan, rows)
