"""PostgreSQL prepared statements where they pay: API requests and worker processes.

The API and the worker run the same few statements thousands of times. Prepared (psycopg
prepares a statement from its `THRESHOLD`th run on a connection), PostgreSQL plans each one once
and reuses that generic plan: its CPU per API ticket creation falls by about half
(bench/bench_pg_cpu.py). The agent pages run filters whose best plan depends on the values (a
view's conditions, the due-soon window), and a generic plan made the agent home's view counts
slower, so a page request plans each statement with its values, as without preparation.

`SWITCHBOARD_PG_PREPARED` (config/settings.py) chooses:
- `api` (default): server-side parameters on every connection; statements are prepared during
  requests under `PREPARED_PATHS` (`Middleware`) and in worker processes (`for_this_process`);
- `all`: prepared everywhere (the connection's own `prepare_threshold`);
- `off`: client-side parameters, nothing prepared.
Behind a pooler in transaction mode, the pooler must track prepared statements (PgBouncer 1.21
or later with `max_prepared_statements`); docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

THRESHOLD = 5  # psycopg prepares a statement from its 5th execution on a connection
_whole_process = False


def mode() -> str:
    return str(getattr(settings, "SWITCHBOARD_PG_PREPARED", "off"))


def _scoped() -> bool:
    return mode() == "api" and connection.vendor == "postgresql"


@contextmanager
def scope() -> Iterator[None]:
    """Prepare repeated statements on this connection inside the block (mode `api`)."""
    if not _scoped() or _whole_process:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = THRESHOLD
    try:
        yield
    finally:
        # A connection closed and reopened inside the block starts without preparation.
        if connection.connection is raw and not raw.closed:
            raw.prepare_threshold = None


def for_this_process() -> None:
    """Prepare repeated statements on every connection this process opens (the worker)."""
    global _whole_process
    if not _scoped():
        return
    _whole_process = True
    connection_created.connect(_on_connection_created, dispatch_uid="prepared.for_this_process")
    if connection.connection is not None:
        connection.connection.prepare_threshold = THRESHOLD


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _whole_process and connection.vendor == "postgresql":
        connection.connection.prepare_threshold = THRESHOLD


class Middleware:
    """Requests under settings.SWITCHBOARD_PG_PREPARED_PATHS run in `scope()`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "SWITCHBOARD_PG_PREPARED_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.prefixes):
            return self.get_response(request)
        with scope():
            return self.get_response(request)
