"""Prepared statements (core/prepared.py): API requests and worker processes prepare their
repeated statements on PostgreSQL; page requests plan each statement with its values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from switchboard.core import prepared
from switchboard.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]


def prepared_here() -> int:
    """Statements prepared on this session (psycopg names them _pg3_N)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE '_pg3_%%'")
        return int(cursor.fetchone()[0])


@pytest.fixture
def api_mode(settings):
    settings.SWITCHBOARD_PG_PREPARED = "api"
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's own record of what it prepared
    yield
    connection.connection.prepare_threshold = None


def test_pages_plan_each_statement_and_api_requests_prepare(api_mode, agent_user, agent_api):
    ticket_id = agent_api.post(
        "tickets.json", {"ticket": {"subject": "S", "comment": {"body": "B"}}}
    ).json()["ticket"]["id"]
    assert connection.connection.prepare_threshold is None  # back to per-execution plans
    pages = Client()
    pages.force_login(agent_user)
    connection.connection._prepared.clear()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for _ in range(2 * prepared.THRESHOLD):
        assert pages.get(f"/tickets/{ticket_id}/").status_code == 200
    assert prepared_here() == 0

    for _ in range(2 * prepared.THRESHOLD):
        assert agent_api.get(f"tickets/{ticket_id}.json").status_code == 200
    assert prepared_here() > 0
    assert connection.connection.prepare_threshold is None


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_prepares_on_every_connection(api_mode):
    try:
        prepared.for_this_process()
        for _ in range(2 * prepared.THRESHOLD):
            Ticket.objects.filter(pk=0).exists()
        assert prepared_here() > 0
        connection.close()  # the next connection the process opens prepares too
        for _ in range(2 * prepared.THRESHOLD):
            Ticket.objects.filter(pk=0).exists()
        assert connection.connection.prepare_threshold == prepared.THRESHOLD
        assert prepared_here() > 0
    finally:
        prepared._whole_process = False


def test_off_prepares_nothing(api_mode, settings, agent_api):
    settings.SWITCHBOARD_PG_PREPARED = "off"
    for _ in range(2 * prepared.THRESHOLD):
        assert agent_api.get("tickets/show_many.json?ids=1").status_code == 200
    assert prepared_here() == 0
