"""The report's SQL gives the hand-written data set's expected values; the page, its exports and
who may see them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory
from switchboard.core.errors import PermissionDenied
from switchboard.csat import queries, summary
from switchboard.csat.models import Exclusion, SatisfactionRating
from switchboard.csat.tests import dataset as ds
from switchboard.csat.tests.conftest import new_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(customer):
    agents = {"A": AgentFactory(name="Agent A"), "B": AgentFactory(name="Agent B")}
    orgs = {"X": OrganizationFactory(name="Org X"), "Y": OrganizationFactory(name="Org Y")}
    ticket = new_ticket(customer)
    for i, (kind, score, excluded, a, o, week, sla, reason) in enumerate(ds.ROWS):
        at = datetime.fromisoformat(week).replace(tzinfo=UTC) + timedelta(days=1, hours=i)
        rating = SatisfactionRating.objects.create(
            ticket=ticket,
            requester=customer,
            kind=kind,
            solve_cycle=i + 1,
            score=score,
            reason_code=reason,
            comment=f"comment {i + 1}" if score in ("good", "bad") and i % 2 == 0 else "",
            excluded_reason=Exclusion.MERGED if excluded else "",
            offered_at=at if score != "unoffered" else None,
            rated_at=at if score in ("good", "bad") else None,
            counted_at=at,
            assignee=agents[a],
            organization=orgs[o],
            sla_breached=sla,
            created_at=at,
            updated_at=at,
        )
        # What the csat actions do with each rating write (written here directly).
        summary.changed(None, summary.snapshot(rating))
    return agents, orgs


@pytest.fixture
def manager(db):
    return AgentFactory(email="boss@switchboard.test", is_support_manager=True)


WINDOW = queries.Window.parse("2026-01-01", "2026-01-31", today=date(2026, 2, 1))


def tup(t):
    return (t.eligible, t.offered, t.responded, t.good, t.bad)


def test_report_sql_matches_the_hand_written_expectations(data, manager):
    report = queries.report(manager, window=WINDOW)
    assert tup(report.total) == ds.EXPECTED_TOTAL
    assert report.total.csat == pytest.approx(ds.EXPECTED_CSAT)
    assert report.total.csat_lower == pytest.approx(ds.EXPECTED_WILSON, abs=5e-5)
    by_agent = {r.label: tup(r.tally) for r in report.by["assignee"]}
    assert by_agent == {"Agent A": ds.EXPECTED_BY_AGENT["A"], "Agent B": ds.EXPECTED_BY_AGENT["B"]}
    by_week = {r.key.date().isoformat(): tup(r.tally) for r in report.by["week"]}
    assert by_week == ds.EXPECTED_BY_WEEK
    by_sla = {r.key: tup(r.tally) for r in report.by["sla"]}
    assert by_sla == ds.EXPECTED_BY_SLA
    assert {label: n for label, _, n in report.reasons} == {
        "The answer wasn't delivered in a timely manner": 2,
        "The product doesn't meet my needs": 1,
    }
    assert [c.comment for c in report.comments] == [
        "comment 13",
        "comment 11",
        "comment 7",
        "comment 3",
        "comment 1",
    ]


def test_report_page_shows_the_kpi_with_a_fixed_number_of_queries(client, data, manager):
    client.force_login(manager)
    url = "/csat/?start=2026-01-01&end=2026-01-31"
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="csat-total">66.7 %' in body and 'id="csat-n">9' in body
    assert "target 95 %" in body and "35.4 %" in body  # Wilson lower bound
    assert "70.0 %" in body and "83.3 %" in body  # response and offered rates
    # more ratings, same number of queries
    SatisfactionRating.objects.bulk_create(
        [
            SatisfactionRating(
                ticket=SatisfactionRating.objects.first().ticket,
                requester=SatisfactionRating.objects.first().requester,
                kind="logged",
                score="good",
                counted_at=datetime(2026, 1, 20, tzinfo=UTC),
                rated_at=datetime(2026, 1, 20, tzinfo=UTC),
                created_at=datetime(2026, 1, 20, tzinfo=UTC),
                updated_at=datetime(2026, 1, 20, tzinfo=UTC),
                assignee=AgentFactory(),
                organization=OrganizationFactory(),
                comment="more",
            )
            for _ in range(5)
        ]
    )
    summary.recompute()
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(few)


def test_exports_csv_and_jsonl(client, data, manager):
    client.force_login(manager)
    raw = b"".join(client.get("/csat/export.csv?start=2026-01-01&end=2026-01-31").streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert len(rows) == 9 and {r["score"] for r in rows} == {"good", "bad"}
    lines = b"".join(
        client.get("/csat/export.jsonl?start=2026-01-01&end=2026-01-31").streaming_content
    ).splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 9 and records[0]["reason"] in ("No reason provided",)


def test_only_managers_and_the_orgs_csm_see_the_report(client, data, customer):
    _, orgs = data
    agent = AgentFactory()
    with pytest.raises(PermissionDenied):
        queries.report(agent, window=WINDOW)
    client.force_login(agent)
    assert client.get("/csat/").status_code == 403
    # the CSM/TAM of Org X sees Org X only
    csm = AgentFactory()
    orgs["X"].account_manager = csm
    orgs["X"].save()
    report = queries.report(csm, window=WINDOW)
    assert tup(report.total) == (5, 4, 3, 2, 2)
    with pytest.raises(PermissionDenied):
        queries.report(csm, window=WINDOW, organization_id=orgs["Y"].pk)
    client.force_login(customer)
    assert client.get("/csat/").status_code == 302  # end-users go to the portal


def test_bad_window_is_a_4xx(client, manager):
    client.force_login(manager)
    assert client.get("/csat/?start=yesterday").status_code == 422
    assert client.get("/csat/?start=2026-02-01&end=2026-01-01").status_code == 422
    assert client.get("/csat/?organization=x").status_code == 422


def test_csv_cells_cannot_run_as_formulas(data, manager):
    from switchboard.csat.export import csv_lines

    rating = SatisfactionRating.objects.filter(score="bad").first()
    rating.comment = '=HYPERLINK("http://evil")'
    assert "'=HYPERLINK" in "".join(csv_lines([rating]))
