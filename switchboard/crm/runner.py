"""Running a Salesforce sync: the lease, the watermarks, the pages, the run record.

- **Incremental** (every minute from the worker, or ``crm_sync``): SOQL on
  ``SystemModstamp >= watermark − overlap ORDER BY SystemModstamp, Id``, paged with
  ``nextRecordsUrl``; each page is committed, then the watermark moves to the page's last stamp.
  A crash or a rate limit therefore loses nothing and doubles nothing: the next run starts from
  the last committed page and the upserts are idempotent. Deleted accounts come from
  ``sobjects/Account/deleted``. Contacts changed since their own watermark follow, plus every
  contact of an account that just became an organization.
- **Full** (``crm_sync --full``, or the first run): every account and contact through Bulk API
  2.0 query jobs (CSV pages by ``Sforce-Locator``); watermarks are set from the highest stamps seen.

Only one sync runs at a time: the lease on the ``SyncState`` row is taken with one conditional
UPDATE and renewed after every page.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_salesforce import format_soql

from switchboard.crm import mapping as mapping_rules
from switchboard.crm.connector import Connector, RateLimited
from switchboard.crm.ids import InvalidSalesforceId, normalize_id
from switchboard.crm.models import RunKind, RunStatus, SyncRun, SyncState
from switchboard.crm.sync import Engine, Plan, current_mapping

logger = logging.getLogger("switchboard.crm")

STATE = "salesforce"
LEASE_SECONDS = 300
DELETED_LOOKBACK = timedelta(days=29)  # the replication API answers at most 30 days back
IN_CHUNK = 200


class SyncBusy(Exception):
    pass


def state() -> SyncState:
    row, _ = SyncState.objects.get_or_create(name=STATE)
    return row


def take_lease(owner: str, seconds: float = LEASE_SECONDS) -> bool:
    state()
    now = timezone.now()
    return bool(
        SyncState.objects.filter(name=STATE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
    )


def release_lease(owner: str) -> None:
    SyncState.objects.filter(name=STATE, lease_owner=owner).update(lease_owner="", lease_until=None)


def overlap() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "SWITCHBOARD_CRM_SYNC_OVERLAP", 120)))


@dataclass
class SyncResult:
    run: SyncRun | None
    plan: Plan
    full: bool
    timings: dict[str, float] = field(default_factory=dict)


def _soql(fields: list[str], sobject: str, where: str = "", *params: Any) -> str:
    # Field and object names come from the validated mapping; values go through format_soql.
    text = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608
    if where:
        text += " WHERE " + format_soql(where, *params)
    return text


def run_sync(
    *,
    full: bool = False,
    dry_run: bool = False,
    connector: Connector | None = None,
    owner: str | None = None,
    trigger: str = "command",
) -> SyncResult:
    """One sync from Salesforce. Raises SyncBusy if another sync holds the lease."""
    owner = owner or f"{socket.gethostname()[:40]}:{os.getpid()}"
    connector = connector or Connector()  # NotConfigured before any lease is taken
    mapping = current_mapping()
    if not dry_run and not take_lease(owner):
        raise SyncBusy("Another CRM sync is running (the lease is held); try again shortly.")
    current = state()
    full = full or current.account_watermark is None
    now = timezone.now()
    engine = Engine(
        mapping=mapping,
        source=f"salesforce {'full' if full else 'incremental'} sync",
        dry_run=dry_run,
        now=now,
    )
    run = None
    if not dry_run:
        run = SyncRun.objects.create(
            kind=RunKind.FULL if full else RunKind.INCREMENTAL,
            source=f"{connector.config.url} ({trigger})",
            started_at=now,
        )
    try:
        if full:
            _full(connector, engine, mapping, owner)
        else:
            _incremental(connector, engine, mapping, owner, current)
    except RateLimited as exc:
        _finish(run, engine, RunStatus.RATE_LIMITED, str(exc), owner)
        raise
    except Exception as exc:
        _finish(run, engine, RunStatus.FAILED, f"{type(exc).__name__}: {exc}", owner)
        raise
    if not dry_run:
        updates: dict[str, Any] = {
            "failures": 0,
            "last_error": "",
            "last_success_at": timezone.now(),
        }
        if full:
            updates["last_full_sync_at"] = now
        SyncState.objects.filter(name=STATE).update(**updates)
        # The checks run right after every sync, as their own job: the sync's run time (and
        # its lease) does not wait for them.
        from switchboard.core.jobs import enqueue
        from switchboard.crm.tasks import integrity_checks

        with transaction.atomic():
            enqueue(integrity_checks, "after sync")
    _finish(run, engine, RunStatus.SUCCEEDED, "", owner)
    timings = {k: round(v, 3) for k, v in engine.timings.items()}
    logger.info("crm sync phases (s): %s", timings)
    return SyncResult(run, engine.plan, full, timings)


def _finish(run: SyncRun | None, engine: Engine, status: str, error: str, owner: str) -> None:
    if run is None:
        return
    run.status = status
    run.error = error[:4000]
    run.finished_at = timezone.now()
    run.counts = dict(engine.plan.counts)
    run.save(update_fields=["status", "error", "finished_at", "counts"])
    if status != RunStatus.SUCCEEDED:
        SyncState.objects.filter(name=STATE).update(last_error=error[:4000])
    release_lease(owner)


def _renew(engine: Engine, owner: str) -> None:
    if not engine.dry_run and not take_lease(owner):
        raise SyncBusy("The CRM sync lease was lost to another worker; stopping.")


def _timed(pages: Iterable[list[dict[str, Any]]], engine: Engine, name: str) -> Iterator[Any]:
    """The pages, with the time spent waiting for each (download and parse) added to `name`."""
    iterator = iter(pages)
    while True:
        clock = time.perf_counter()
        try:
            page = next(iterator)
        except StopIteration:
            return
        finally:
            engine.timings[name] += time.perf_counter() - clock
        yield page


def _full(connector: Connector, engine: Engine, mapping: dict[str, Any], owner: str) -> None:
    accounts = connector.bulk_query(
        "Account", _soql(mapping_rules.account_fields(mapping), "Account")
    )
    for page in _timed(accounts, engine, "fetch_accounts"):
        engine.accounts(page)
        _renew(engine, owner)
    contacts = connector.bulk_query(
        "Contact", _soql(mapping_rules.contact_fields(mapping), "Contact")
    )
    for page in _timed(contacts, engine, "fetch_contacts"):
        engine.contacts(page)
        _renew(engine, owner)
    if not engine.dry_run:
        SyncState.objects.filter(name=STATE).update(
            account_watermark=engine.max_account_stamp or engine.now,
            contact_watermark=engine.max_contact_stamp or engine.now,
            deleted_watermark=engine.now,
        )


def _pages_since(
    connector: Connector, fields: list[str], sobject: str, since: datetime
) -> Iterator[list[dict[str, Any]]]:
    soql = _soql(fields, sobject, "SystemModstamp >= {} ORDER BY SystemModstamp, Id", since)
    # format_soql quoted the ORDER BY text as part of the WHERE template; it has no parameters.
    yield from connector.query_pages(soql)


def _incremental(
    connector: Connector, engine: Engine, mapping: dict[str, Any], owner: str, current: SyncState
) -> None:
    assert current.account_watermark is not None
    since = current.account_watermark - overlap()
    for page in _pages_since(connector, mapping_rules.account_fields(mapping), "Account", since):
        engine.accounts(page)
        if not engine.dry_run and engine.max_account_stamp:
            SyncState.objects.filter(name=STATE).update(account_watermark=engine.max_account_stamp)
        _renew(engine, owner)

    deleted_since = max(
        (current.deleted_watermark or engine.now) - overlap(), engine.now - DELETED_LOOKBACK
    )
    # The replication API takes whole seconds: round the end up so "now" is inside the window.
    deleted_until = engine.now.replace(microsecond=0) + timedelta(seconds=1)
    answer = connector.changed("Account", "deleted", deleted_since, deleted_until)
    deleted_ids = []
    for item in answer.get("deletedRecords", []):
        try:
            deleted_ids.append(normalize_id(item.get("id", "")))
        except InvalidSalesforceId:
            continue
    if deleted_ids:
        engine.mark_deleted(deleted_ids)
    if not engine.dry_run:
        covered = _stamp(answer.get("latestDateCovered")) or engine.now
        SyncState.objects.filter(name=STATE).update(deleted_watermark=covered)

    contact_fields = mapping_rules.contact_fields(mapping)
    contact_since = (current.contact_watermark or current.account_watermark) - overlap()
    for page in _pages_since(connector, contact_fields, "Contact", contact_since):
        engine.contacts(page)
        if not engine.dry_run and engine.max_contact_stamp:
            SyncState.objects.filter(name=STATE).update(contact_watermark=engine.max_contact_stamp)
        _renew(engine, owner)
    # Accounts that just became organizations bring every contact they have, changed or not.
    new_ids = engine.created_account_ids
    account_field = mapping["contact"]["account"]
    for start in range(0, len(new_ids), IN_CHUNK):
        chunk = new_ids[start : start + IN_CHUNK]
        soql = _soql(contact_fields, "Contact", f"{account_field} IN {{}}", chunk)
        for page in connector.query_pages(soql):
            engine.contacts(page)


def _stamp(value: Any) -> datetime | None:
    from switchboard.crm.sync import parse_modstamp

    return parse_modstamp(value)


@transaction.atomic
def schedule_next(delay: float | None = None) -> None:
    every = float(getattr(settings, "SWITCHBOARD_CRM_SYNC_EVERY", 60))
    state()
    SyncState.objects.filter(name=STATE).update(
        next_run_at=timezone.now() + timedelta(seconds=every if delay is None else delay)
    )
