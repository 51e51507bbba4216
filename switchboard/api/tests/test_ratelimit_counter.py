"""The rate counter: one increment per request, and its relaxed durability stays its own."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from switchboard.api import ratelimit

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_call_counts_once_within_a_window_and_restarts_in_the_next():
    counts = [ratelimit.count("k", limit=3, window_seconds=60, now=120.0) for _ in range(4)]
    assert [c.remaining for c in counts] == [2, 1, 0, 0]
    assert [c.allowed for c in counts] == [True, True, True, False]
    assert ratelimit.count("k", limit=3, window_seconds=60, now=181.0).remaining == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_a_callers_transaction_keeps_a_synchronous_commit():
    """Outside a transaction the counter commits asynchronously (its own); inside a caller's
    transaction it must not relax that transaction's commit."""
    with connection.cursor() as cursor:
        ratelimit.count("k", limit=5, window_seconds=60)
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # SET LOCAL ended with the counter's transaction
        with transaction.atomic():
            ratelimit.count("k", limit=5, window_seconds=60)
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_outside_a_transaction_the_counter_is_one_statement():
    """No BEGIN / SET LOCAL / COMMIT round trips: the asynchronous commit is asked for inside
    the one autocommitted statement."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert ratelimit.count("k", limit=5, window_seconds=60).remaining == 4
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    assert "set_config('synchronous_commit', 'off', true)" in captured.captured_queries[0]["sql"]
