"""Concurrency: real threads, each with its own connection, racing for the same link or the same
agent's time. Both databases: PostgreSQL (row locks + the exclusion constraint) and SQLite (a file
database; IMMEDIATE transactions serialize the writers). The constraint itself is PostgreSQL's."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.db import IntegrityError, connection, transaction

from switchboard.calls import actions
from switchboard.calls.models import Call, CallStatus
from switchboard.calls.tests.conftest import NOW

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TUESDAY_10 = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)


def race(jobs):
    """Run every job at once (a barrier), each in its own thread and connection."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            job()
            result = "booked"
        except actions.Conflict as exc:
            result = exc.code
        except Exception as exc:  # anything else is a bug: reported, then asserted on
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return Counter(outcomes)


def test_fifty_concurrent_bookings_of_one_link_make_exactly_one_call(host, ticket, support_call):
    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host, now=NOW
    )
    token = url.rsplit("/", 1)[1]
    starts = [TUESDAY_10 + timedelta(minutes=30 * (i % 8)) for i in range(50)]  # 8 free slots

    def job(start):
        return lambda: actions.book_call(
            token=token, start=start, name="P", email="p@initech.test", now=NOW
        )

    outcomes = race([job(s) for s in starts])
    assert outcomes == Counter({"booked": 1, "LinkUsed": 49}), outcomes
    assert Call.objects.count() == 1


def test_overlapping_event_types_for_one_agent_never_both_book(
    host, requester, support_call, discovery
):
    """60-minute Support calls and 15-minute Discovery calls aimed at overlapping times of one
    agent, each through its own link: whatever wins, no two calls' blocked times overlap."""
    from switchboard.tickets.actions.create import create_ticket

    jobs = []
    for i in range(24):
        ticket = create_ticket(
            actor=requester, requester=requester, subject=f"T{i}", description="x"
        )
        event_type = support_call if i % 2 else discovery
        _, url = actions.mint_booking_link(
            actor=host, ticket=ticket, event_type=event_type, agent=host, now=NOW
        )
        token = url.rsplit("/", 1)[1]
        # discovery at 10:00, 10:15, 10:30, 10:45; support at 10:00 and 10:30
        offset = (
            timedelta(minutes=15 * (i % 4)) if i % 2 == 0 else timedelta(minutes=30 * (i % 4 // 2))
        )
        start = TUESDAY_10 + offset

        def job(token=token, start=start):
            return actions.book_call(
                token=token, start=start, name="P", email="p@initech.test", now=NOW
            )

        jobs.append(job)
    outcomes = race(jobs)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes["SlotTaken"] >= 18, outcomes  # 24 attempts, at most 6 fit
    calls = list(Call.objects.filter(agent=host).order_by("blocked_start"))
    assert calls, outcomes
    for a, b in pairwise(calls):
        assert a.blocked_end <= b.blocked_start, (a.start, a.end, b.start)


@pytest.mark.postgres
def test_the_exclusion_constraint_refuses_overlaps_the_check_missed(host, ticket, support_call):
    """Even a write that skips the availability check cannot overlap (buffers included)."""

    def row(start, status=CallStatus.SCHEDULED, uid="a"):
        return Call(
            ticket=ticket,
            event_type=support_call,
            agent=host,
            start=start,
            end=start + timedelta(hours=1),
            blocked_start=start,
            blocked_end=start + timedelta(minutes=75),
            uid=uid,
            invitee_name="P",
            invitee_email="p@x.test",
            meeting_url="https://meet.example/x",
            meeting_provider="jitsi",
            status=status,
        )

    row(TUESDAY_10).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        row(TUESDAY_10 + timedelta(minutes=70), uid="b").save()  # inside the buffer
    row(TUESDAY_10 + timedelta(minutes=75), uid="c").save()  # touching is fine
    row(TUESDAY_10, status=CallStatus.CANCELED, uid="d").save()  # canceled calls free the time
