"""schemathesis over /api/v2/openapi.json, in-process through WSGI: no 5xx, and every answer
matches the schema (status code, content type, body)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application  # noqa: E402


@pytest.fixture
def keep_connection(db):
    """Requests go through WSGI directly (not Django's test client), so keep the end of each
    request from closing the test's database connection, as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _load_schema():
    """The schema /api/v2/openapi.json serves (built in-process: no request, no database)."""
    from switchboard.api.zendesk.urls import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = application
    return loaded


schema = _load_schema()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def auth_header(keep_connection, settings):
    """An admin with a ticket to look at, and rate limits off for the run."""
    from switchboard.accounts.actions import issue_api_token
    from switchboard.accounts.tests.factories import AdminFactory, UserFactory
    from switchboard.tickets.actions.create import create_ticket

    settings.SWITCHBOARD_API_RATE_LIMIT = 0
    admin = AdminFactory()
    customer = UserFactory()
    create_ticket(actor=customer, requester=customer, subject="One", description="Body")
    token, _ = issue_api_token(user=admin)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, auth_header):
    case.call_and_validate(headers=auth_header, checks=CHECKS)
