"""The report's weekly summary, maintained by the csat actions, equals a recomputation from the
ratings after offers, exclusions, reopens, ratings, rating changes (Good → Bad, reason changes),
portal feedback and CSM-logged feedback; re-running an action that changes nothing changes
nothing; and the report read from it equals the report counted from the ratings, whatever the
window's alignment on weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.csat import actions, queries, summary
from switchboard.csat.models import Reason, WeeklySummary
from switchboard.csat.tests.conftest import solved_ticket, survey_emails, survey_token
from switchboard.csat.tests.test_offer import DAY, sweep
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket

pytestmark = pytest.mark.django_db

COLUMNS = ("week", "dimension", "item", *summary.COUNTS)


def state() -> set[tuple]:
    """The summary's non-empty buckets."""
    return set(WeeklySummary.objects.filter(ratings__gt=0).values_list(*COLUMNS))


def recomputed() -> set[tuple]:
    summary.recompute()
    return state()


def tup(t):
    return (t.eligible, t.offered, t.responded, t.good, t.bad)


def flat(report):
    by = {
        name: sorted((str(r.key), tup(r.tally)) for r in rows) for name, rows in report.by.items()
    }
    return tup(report.total), by, sorted(report.reasons)


@pytest.fixture
def history(customer, agent, group, managers, reviewing_schedule):
    """Three weeks of surveys and answers through the actions (Jan 2026; Jan 5 is a Monday)."""
    other_org = OrganizationFactory(name="Globex", support_level="standard")
    other = UserFactory(email="gus@globex.test", organization=other_org)
    staff = UserFactory(
        email="sam@staff.test",
        organization=OrganizationFactory(name="Switchboard Inc", is_internal=True),
    )
    second_agent = AgentFactory(email="blake@switchboard.test", name="Blake")
    csm = AgentFactory(email="tam@switchboard.test")
    other_org.account_manager = csm
    other_org.save()
    tokens = []
    for day, requester, who in [
        (date(2026, 1, 2), customer, agent),  # a Friday: the partial week before Jan 5
        (date(2026, 1, 6), customer, agent),
        (date(2026, 1, 7), other, second_agent),
        (date(2026, 1, 8), staff, agent),  # internal org: excluded, still eligible
        (date(2026, 1, 13), other, agent),
        (date(2026, 1, 14), customer, second_agent),
        (date(2026, 1, 21), other, agent),
    ]:
        solved_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        with time_machine.travel(solved_at, tick=False):
            ticket = solved_ticket(requester, who, group=group)
        before = len(survey_emails())
        sweep(solved_at + DAY + timedelta(minutes=1))
        emails = survey_emails()
        if len(emails) > before:
            tokens.append((ticket, solved_at + DAY, survey_token(emails[-1], "good")))
    # a reopen before the survey went out: cancelled, never counted
    with time_machine.travel(datetime(2026, 1, 15, 9, tzinfo=UTC), tick=False):
        reopened = solved_ticket(customer, agent)
    with time_machine.travel(datetime(2026, 1, 15, 11, tzinfo=UTC), tick=False):
        add_comment(ticket=reopened, author=customer, body="No.", public=True)
    sweep(datetime(2026, 1, 17, tzinfo=UTC))
    return tokens, csm, other


def test_summary_equals_a_recomputation_after_offers_ratings_and_changes(history, customer):
    tokens, csm, _ = history
    assert len(tokens) == 6
    (_, at1, k1), (_, at2, k2), (t3, at3, k3), (_, at4, k4), (t5, at5, _), _ = tokens
    actions.rate_with_token(token=k1, score="good", now=at1 + timedelta(hours=1))
    actions.rate_with_token(token=k2, score="good", comment="Quick", now=at2 + timedelta(hours=1))
    # Good → Bad, then the reason changes, then Bad → Good → Bad again
    actions.rate_with_token(
        token=k2, score="bad", reason=Reason.NOT_TIMELY, now=at2 + timedelta(hours=2)
    )
    actions.rate_with_token(
        token=k2, score="bad", reason=Reason.NOT_HELPFUL, now=at2 + timedelta(hours=3)
    )
    actions.rate_with_token(token=k3, score="bad", now=at3 + timedelta(hours=1))
    actions.rate_with_token(token=k3, score="good", now=at3 + timedelta(hours=2))
    actions.rate_with_token(
        token=k3, score="bad", reason=Reason.NOT_MEETING_NEEDS, now=at3 + timedelta(days=1)
    )
    actions.rate_with_token(token=k4, score="good", now=at4 + timedelta(days=6))
    actions.rate_as_requester(
        ticket=t5, user=t5.requester, score="bad", reason=Reason.NOT_RESOLVED, now=at5
    )
    # mid-ticket feedback on an open ticket, changed once; feedback logged by the CSM/TAM
    with time_machine.travel(datetime(2026, 1, 20, 9, tzinfo=UTC), tick=False):
        open_ticket = create_ticket(
            actor=customer, requester=customer, subject="Slow UI", description="Slow."
        )
        actions.rate_as_requester(ticket=open_ticket, user=customer, score="good")
    with time_machine.travel(datetime(2026, 1, 20, 10, tzinfo=UTC), tick=False):
        actions.rate_as_requester(ticket=open_ticket, user=customer, score="bad", comment="Slower")
    with time_machine.travel(datetime(2026, 1, 22, 10, tzinfo=UTC), tick=False):
        actions.log_feedback(
            ticket=t3, logged_by=csm, score="bad", reason=Reason.OTHER, comment="Per email"
        )

    maintained = state()
    assert maintained == recomputed()
    assert maintained == state()  # recomputing gives the same rows

    # spot checks: the week of Jan 5 counts the surveys of the Jan 6 solve (Good → Bad, reason
    # changed to NOT_HELPFUL), the Jan 7 solve (Bad → Good → Bad) and the Jan 8 internal solve
    # (excluded: eligible, not offered); ratings, eligible, offered, responded, good, bad
    week = {
        (d, i): rest
        for w, d, i, *rest in maintained
        if w == date(2026, 1, 5) and d in ("total", "reason")
    }
    assert week[("total", "")] == [3, 3, 2, 2, 0, 2]
    assert week[("reason", str(int(Reason.NOT_HELPFUL)))][-1] == 1
    assert (str(int(Reason.NOT_TIMELY))) not in {i for d, i in week if d == "reason"}


def test_actions_that_change_nothing_leave_the_summary_alone(history):
    tokens, _, _ = history
    _, at, token = tokens[1]
    actions.rate_with_token(token=token, score="bad", reason=Reason.NOT_TIMELY, now=at)
    before = state()
    actions.rate_with_token(token=token, score="bad", reason=Reason.NOT_TIMELY, now=at)
    sweep(datetime(2026, 2, 1, tzinfo=UTC))  # nothing due: nothing re-offered
    assert state() == before == recomputed()


WINDOWS = [
    ("2026-01-01", "2026-01-31"),  # partial weeks at both ends
    ("2026-01-05", "2026-01-18"),  # whole weeks only
    ("2026-01-06", "2026-01-11"),  # inside one week: no whole week
    ("2025-12-01", "2026-03-01"),  # everything
    ("2026-01-13", "2026-01-13"),  # one day
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_report_from_the_summary_equals_the_report_from_the_ratings(
    history, start, end, monkeypatch
):
    tokens, _, _ = history
    for i, (_, at, token) in enumerate(tokens):
        score = "bad" if i % 2 else "good"
        actions.rate_with_token(token=token, score=score, reason=Reason.NOT_TIMELY, now=at)
    manager = AgentFactory(email="boss@switchboard.test", is_support_manager=True)
    window = queries.Window.parse(start, end, today=date(2026, 3, 2))
    from_summary = queries.report(manager, window=window)
    monkeypatch.setattr(queries, "_full_weeks", lambda window: None)
    from_ratings = queries.report(manager, window=window)
    assert flat(from_summary) == flat(from_ratings)
    assert [c.pk for c in from_summary.comments] == [c.pk for c in from_ratings.comments]
