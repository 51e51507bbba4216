"""The Zendesk satisfaction API, read with the real, unmodified zenpy client against a live
server on 127.0.0.1 (every score filter, time window, cursor pages, rating as the requester), and
the rest (by id, count, reasons, the ticket JSON, who may see what) with the JSON test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
import time_machine

from switchboard.accounts.actions import issue_api_token
from switchboard.accounts.tests.factories import AdminFactory, AgentFactory, UserFactory
from switchboard.api.tests.conftest import client_for
from switchboard.csat import actions
from switchboard.csat.models import SatisfactionRating
from switchboard.csat.queries import SCORE_FILTERS
from switchboard.csat.tests.conftest import solved_ticket, survey_emails, survey_token
from switchboard.csat.tests.test_offer import DAY, sweep

zenpy = pytest.importorskip("zenpy")
from zenpy.lib.api_objects import SatisfactionRating as ZRating  # noqa: E402

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

# ticket subject → (score, comment) given; None = offered and not answered
ANSWERS = {
    "good+comment": ("good", "Thanks!"),
    "good": ("good", ""),
    "bad+comment": ("bad", "Too slow"),
    "bad": ("bad", ""),
    "unanswered": None,
}


def build(customer, agent):
    """Five offered surveys answered as ANSWERS says, plus one not offered yet."""
    for i, (subject, answer) in enumerate(ANSWERS.items()):
        with time_machine.travel(T0 + timedelta(hours=i), tick=False):
            solved_ticket(customer, agent, subject=subject)
        sweep(T0 + timedelta(hours=i) + DAY)
        if answer is not None:
            token = survey_token(survey_emails()[-1])
            actions.rate_with_token(
                token=token,
                score=answer[0],
                comment=answer[1],
                reason=1003 if answer[0] == "bad" else None,
                now=T0 + timedelta(hours=i) + DAY + timedelta(minutes=5),
            )
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        solved_ticket(customer, agent, subject="not yet offered")


def expected_ids(name):
    return sorted(
        SatisfactionRating.objects.filter(SCORE_FILTERS[name]).values_list("pk", flat=True)
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_zenpy_reads_ratings_with_each_score_filter_and_rates_as_requester(
    live_server, monkeypatch, customer, agent
):
    build(customer, agent)
    manager = AdminFactory(name="Zen Manager")
    netloc = urlparse(live_server.url).netloc
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    token, _ = issue_api_token(user=manager, name="zenpy")
    zd = zenpy.Zenpy(subdomain="x", email=manager.email, token=token)

    everything = list(zd.satisfaction_ratings())
    assert sorted(r.id for r in everything) == sorted(
        SatisfactionRating.objects.values_list("pk", flat=True)
    )
    assert len(everything) == 6
    for name in SCORE_FILTERS:
        got = sorted(r.id for r in zd.satisfaction_ratings(score=name))
        assert got == expected_ids(name), name
    assert len(expected_ids("received")) == 4
    assert len(expected_ids("bad_with_comment")) == 1
    assert len(expected_ids("unoffered")) == 1
    bad = next(iter(zd.satisfaction_ratings(score="bad_with_comment")))
    assert (bad.score, bad.comment, bad.reason_code) == ("bad", "Too slow", 1003)
    assert bad.assignee_id == agent.pk

    # a time window (on updated_at) and small cursor pages
    start = T0 + DAY + timedelta(hours=1, minutes=1)
    end = T0 + DAY + timedelta(hours=3, minutes=6)
    window = sorted(r.id for r in zd.satisfaction_ratings(start_time=start, end_time=end))
    assert window == sorted(
        SatisfactionRating.objects.filter(updated_at__gte=start, updated_at__lt=end).values_list(
            "pk", flat=True
        )
    )
    assert len(window) == 3  # ratings 2, 3 and 4, rated at +1:05, +2:05, +3:05
    paged = [r.id for r in zd.satisfaction_ratings(cursor_pagination=2)]
    assert paged == sorted(SatisfactionRating.objects.values_list("pk", flat=True))

    # the requester rates their own ticket through zenpy
    requester_token, _ = issue_api_token(user=customer, name="zenpy")
    zc = zenpy.Zenpy(subdomain="x", email=customer.email, token=requester_token)
    unanswered = SatisfactionRating.objects.get(score="offered")
    with time_machine.travel(unanswered.offered_at + timedelta(hours=1), tick=True):
        result = zc.satisfaction_ratings.create(
            unanswered.ticket_id, ZRating(score="good", comment="Fixed after all")
        )
    unanswered.refresh_from_db()
    assert (unanswered.score, unanswered.comment) == ("good", "Fixed after all")
    assert result.score == "good" and result.id == unanswered.pk


@pytest.mark.django_db
def test_by_id_count_reasons_and_permissions(customer, agent, org):
    build(customer, agent)
    manager = AgentFactory(is_support_manager=True)
    api = client_for(manager)
    rating = SatisfactionRating.objects.filter(score="bad").exclude(comment="").get()
    body = api.get(f"satisfaction_ratings/{rating.pk}.json").json()["satisfaction_rating"]
    assert (body["id"], body["score"], body["comment"], body["ticket_id"]) == (
        rating.pk,
        "bad",
        "Too slow",
        rating.ticket_id,
    )
    assert body["reason"] == "My issue was not resolved"
    count = api.get("satisfaction_ratings/count.json", score="received").json()["count"]
    assert count["value"] == 4
    assert api.get("satisfaction_ratings.json", score="meh").status_code == 422
    assert api.get("satisfaction_ratings.json", start_time="x").status_code in (400, 422)
    reasons = api.get("satisfaction_reasons.json").json()["reasons"]
    assert {r["reason_code"] for r in reasons} == {0, 1000, 1001, 1002, 1003, 1004}
    assert api.get("satisfaction_reasons/1001.json").json()["reason"]["value"] == (
        "The product doesn't meet my needs"
    )
    assert api.get("satisfaction_reasons/5.json").status_code == 404

    # an ordinary agent and an end-user may not list ratings
    assert client_for(AgentFactory()).get("satisfaction_ratings.json").status_code == 403
    assert client_for(customer).get("satisfaction_ratings.json").status_code == 403
    # the org's CSM/TAM sees the org's ratings only
    csm = AgentFactory()
    org.account_manager = csm
    org.save()
    assert len(client_for(csm).get("satisfaction_ratings.json").json()["satisfaction_ratings"]) == 6

    # the ticket JSON carries the rating for agents and the requester, not for a colleague
    path = f"tickets/{rating.ticket_id}.json"
    assert client_for(agent).get(path).json()["ticket"]["satisfaction_rating"]["score"] == "bad"
    assert client_for(customer).get(path).json()["ticket"]["satisfaction_rating"]["id"] == rating.pk
    org.sharing = "view_all"
    org.save()
    colleague = UserFactory(email="col@acme.test", organization=org)
    seen = client_for(colleague).get(path)
    assert seen.status_code == 200 and seen.json()["ticket"]["satisfaction_rating"] is None

    # only the requester rates; agents cannot
    post = {"satisfaction_rating": {"score": "good"}}
    assert (
        client_for(agent)
        .post(f"tickets/{rating.ticket_id}/satisfaction_rating.json", post)
        .status_code
        == 403
    )
    assert (
        client_for(colleague)
        .post(f"tickets/{rating.ticket_id}/satisfaction_rating.json", post)
        .status_code
        == 403
    )
    bad_score = {"satisfaction_rating": {"score": "meh"}}
    assert (
        client_for(customer)
        .post(f"tickets/{rating.ticket_id}/satisfaction_rating.json", bad_score)
        .status_code
        == 422
    )
