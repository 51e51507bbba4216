"""PagerDuty Events API v2 intake, driven by the real `pdpyras` client against a live server."""

from __future__ import annotations

import json
import warnings

import pytest
import requests

from switchboard.oncall.models import Incident, IncidentLogEntry, IncidentStatus, Notification

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pdpyras announces its deprecation on import
    import pdpyras

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def session(live_server, emergency):
    service, _ = emergency
    session = pdpyras.EventsAPISession(service.integration_key)
    session.url = live_server.url
    session.retry = {}
    session.max_http_attempts = 1
    return session


def test_pdpyras_triggers_dedups_acknowledges_and_resolves(session):
    """A trigger opens an incident, a repeat joins it, acknowledge and resolve close it."""
    key = session.trigger(
        "Disk full on db-1",
        "db-1",
        dedup_key="db-1-disk",
        severity="error",
        custom_details={"free": "0%"},
    )
    assert key == "db-1-disk"
    incident = Incident.objects.get()
    assert (incident.summary, incident.severity, incident.source, incident.status) == (
        "Disk full on db-1",
        "error",
        "db-1",
        IncidentStatus.TRIGGERED,
    )
    assert incident.custom_details == {"free": "0%"}
    assert Notification.objects.count() == 3

    assert session.trigger("Disk full on db-1 again", "db-1", dedup_key="db-1-disk") == "db-1-disk"
    assert Incident.objects.count() == 1 and Notification.objects.count() == 3

    assert session.acknowledge("db-1-disk") == "db-1-disk"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    assert session.resolve("db-1-disk") == "db-1-disk"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.next_escalation_at is None


def test_trigger_without_dedup_key_gets_one_back(session):
    key = session.trigger("Something broke", "probe")
    assert key and Incident.objects.get().dedup_key == key


def post(live_server, body) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        live_server.url + "/v2/enqueue",
        data=data,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            {
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "critical"},
            },
            "'routing_key' is missing or blank",
        ),
        (
            {"event_action": "explode", "dedup_key": "k"},
            "'event_action' must be one of trigger, acknowledge, resolve",
        ),
        (
            {"event_action": "trigger", "payload": {"source": "x", "severity": "critical"}},
            "'payload.summary' is missing or blank",
        ),
        (
            {
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "catastrophic"},
            },
            "'payload.severity' must be one of critical, error, warning, info",
        ),
        (
            {
                "event_action": "trigger",
                "payload": {
                    "summary": "s",
                    "source": "x",
                    "severity": "info",
                    "timestamp": "yesterday",
                },
            },
            "'payload.timestamp' must be an ISO 8601 date-time",
        ),
        ({"event_action": "resolve"}, "'dedup_key' is required for event_action 'resolve'"),
    ],
)
def test_malformed_event_is_rejected_with_the_reason_and_creates_nothing(
    live_server, emergency, event, reason
):
    service, _ = emergency
    if "routing_key" not in str(reason):
        event = {"routing_key": service.integration_key, **event}
    response = post(live_server, event)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert reason in body["errors"]
    assert not Incident.objects.exists() and not IncidentLogEntry.objects.exists()


def test_unknown_routing_key_and_bad_json_are_rejected(live_server, emergency):
    response = post(
        live_server,
        {
            "routing_key": "nope",
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "x", "severity": "info"},
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["Invalid routing key: no service has this integration key"]
    response = post(live_server, b"{not json")
    assert response.status_code == 400 and response.json()["errors"] == ["Body is not valid JSON"]
    assert not Incident.objects.exists()


def test_pdpyras_reports_the_400_as_an_error(live_server, emergency):
    session = pdpyras.EventsAPISession("not-a-key")
    session.url = live_server.url
    session.retry = {}
    with pytest.raises(pdpyras.PDClientError):
        session.trigger("s", "x")
    assert not Incident.objects.exists()
