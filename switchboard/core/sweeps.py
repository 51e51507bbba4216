"""The sweeper: claims rows whose stored due time has passed and hands each to its handler.

Apps register a sweep for any model with an indexed due-time column (SLA clocks, escalation
steps, timers). Each batch runs in one transaction with the rows locked
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers with IMMEDIATE
transactions), so several workers can sweep at once and no due row is handled twice. A handler
must move the row's due time (clear it or set the next one) — that is what marks it done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

RETRY_FAILED_ROW_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Sweep:
    name: str
    model: type[models.Model]
    due_field: str
    handler: Callable[[Any, datetime], None]
    batch_size: int = 200
    extra_filter: models.Q | None = None
    # Called (in a fresh savepoint) when the handler raised; default: look again in a minute.
    on_error: Callable[[Any, datetime, Exception], None] | None = None

    def due_rows(self, now: datetime) -> models.QuerySet[Any]:
        qs = self.model._default_manager.filter(**{f"{self.due_field}__lte": now})
        if self.extra_filter is not None:
            qs = qs.filter(self.extra_filter)
        return qs.order_by(self.due_field, "pk")


_SWEEPS: dict[str, Sweep] = {}


def register_sweep(
    name: str,
    *,
    model: type[models.Model],
    due_field: str,
    handler: Callable[[Any, datetime], None],
    batch_size: int = 200,
    extra_filter: models.Q | None = None,
    on_error: Callable[[Any, datetime, Exception], None] | None = None,
) -> Sweep:
    sweep = Sweep(name, model, due_field, handler, batch_size, extra_filter, on_error)
    _SWEEPS[name] = sweep
    return sweep


def registered_sweeps() -> list[Sweep]:
    return list(_SWEEPS.values())


def run_sweep(
    sweep: Sweep,
    now: datetime | None = None,
    max_batches: int = 50,
    between: Callable[[], object] | None = None,
) -> int:
    """Handle every row of `sweep` due at `now`; returns how many rows were handled.

    `between` is called after each batch, outside its transaction (the worker runs its urgent
    jobs there, so a long sweep does not hold them back)."""
    now = now or timezone.now()
    handled = 0
    for _ in range(max_batches):
        with transaction.atomic():
            rows = list(sweep.due_rows(now).select_for_update(skip_locked=True)[: sweep.batch_size])
            for row in rows:
                try:
                    with transaction.atomic():
                        sweep.handler(row, now)
                except Exception as exc:
                    # One bad row must not block the others: log it and look again later.
                    logger.exception("sweep %s failed on %s pk=%s", sweep.name, sweep.model, row.pk)
                    with transaction.atomic():
                        if sweep.on_error is not None:
                            sweep.on_error(row, now, exc)
                        else:
                            sweep.model._default_manager.filter(pk=row.pk).update(
                                **{sweep.due_field: now + RETRY_FAILED_ROW_AFTER}
                            )
                handled += 1
        if between is not None:
            between()
        if len(rows) < sweep.batch_size:
            break
    return handled


def run_all_sweeps(
    now: datetime | None = None, between: Callable[[], object] | None = None
) -> dict[str, int]:
    return {sweep.name: run_sweep(sweep, now, between=between) for sweep in registered_sweeps()}
