"""The calls API: booking links, the public slots/book endpoints (201/409/422), calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.api.tests.conftest import ApiClient, client_for
from switchboard.calls.models import Call, CallStatus
from switchboard.calls.tests.conftest import NOW, UPGRADE_ANSWERS

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api(host):
    return client_for(host)


def mint(api, ticket, event_type="support-call", **extra):
    response = api.post(
        "calls/booking_links", {"ticket_id": ticket.pk, "event_type": event_type, **extra}
    )
    assert response.status_code == 201, response.content
    return urlsplit(response.json()["booking_url"]).path


def test_event_types_are_listed_for_agents_only(api, requester):
    response = api.get("calls/event_types")
    assert response.status_code == 200
    slugs = [e["slug"] for e in response.json()["event_types"]]
    assert slugs == ["support-call", "support-discovery-call", "upgrade-assistance"]
    assert client_for(requester).get("calls/event_types").status_code == 403


def test_booking_link_validation(api, ticket, host):
    bad = [
        ({"ticket_id": ticket.pk, "event_type": "nope", "agent_id": host.pk}, "event_type"),
        ({"ticket_id": 999999, "event_type": "support-call", "agent_id": host.pk}, "ticket_id"),
        ({"ticket_id": ticket.pk, "event_type": "support-call"}, "agent_id"),
        (
            {
                "ticket_id": ticket.pk,
                "event_type": "support-call",
                "agent_id": host.pk,
                "group_id": 1,
            },
            "group_id",
        ),
    ]
    for body, field in bad:
        response = api.post("calls/booking_links", body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["details"], response.json()


def test_slots_then_book_201_then_409(api, ticket, host):
    path = mint(api, ticket, agent_id=host.pk)
    anonymous = ApiClient()
    slots = anonymous.get(
        f"{path}/slots", start="2026-10-27", end="2026-10-28", tz="Australia/Brisbane"
    )
    assert slots.status_code == 200
    data = slots.json()
    assert data["time_zone"] == "Australia/Brisbane"
    # 27 Oct in Brisbane = 26 Oct 14:00Z .. 27 Oct 14:00Z: New York's Monday 10:00-16:00 slots
    assert data["slots"][0]["start"] == "2026-10-26T16:00:00+00:00"  # 4 h notice after 12:00Z
    assert data["slots"][0]["local"] == "2026-10-27T02:00:00+10:00"
    body = {
        "start": TUESDAY_10.isoformat(),
        "name": "Peter Gibbons",
        "email": "peter@initech.test",
        "tz": "Australia/Brisbane",
    }
    first = anonymous.post(path, body)
    assert first.status_code == 201, first.content
    call = first.json()["call"]
    assert call["start"] == "2026-10-27T14:00:00+00:00" and call["status"] == "scheduled"
    again = anonymous.post(path, {**body, "start": (TUESDAY_10 + timedelta(hours=1)).isoformat()})
    assert again.status_code == 409
    assert "already been used" in again.json()["description"]
    assert anonymous.get(f"{path}/slots").status_code == 409

    shown = api.get(f"calls/{call['id']}")
    assert (
        shown.status_code == 200
        and shown.json()["call"]["invitee"]["email"] == "peter@initech.test"
    )
    canceled = api.delete(f"calls/{call['id']}")
    assert canceled.status_code == 200 and canceled.json()["call"]["status"] == "canceled"
    assert api.delete(f"calls/{call['id']}").status_code == 409


def test_taken_slot_is_409_and_bad_input_422_without_consuming(api, ticket, host, requester):
    from switchboard.tickets.actions.create import create_ticket

    other = create_ticket(actor=requester, requester=requester, subject="B", description="b")
    first = mint(api, ticket, agent_id=host.pk)
    second = mint(api, other, agent_id=host.pk)
    anonymous = ApiClient()
    body = {"start": TUESDAY_10.isoformat(), "name": "P", "email": "p@initech.test"}
    assert anonymous.post(first, body).status_code == 201
    taken = anonymous.post(second, body)
    assert taken.status_code == 409 and taken.json()["error"] == "SlotTaken"
    for broken, field in [
        ({**body, "email": "not-an-email"}, "email"),
        ({**body, "start": "tomorrow"}, "start"),
        ({**body, "start": "2026-10-27T14:00:00"}, "start"),
        ({**body, "tz": "Mars/Olympus"}, "tz"),
        ({**body, "name": ""}, "name"),
        ({**body, "answers": {"x": 1}}, "answers"),
    ]:
        response = anonymous.post(second, broken)
        assert response.status_code == 422, (broken, response.content)
        assert response.json()["field"] == field
    assert anonymous.post(second, raw="[1,").status_code == 400
    assert anonymous.post("/book/unknown-token", body).status_code == 404
    ok = anonymous.post(second, {**body, "start": (TUESDAY_10 + timedelta(hours=2)).isoformat()})
    assert ok.status_code == 201


def test_upgrade_booking_stores_answers_in_the_api(api, ticket, host):
    path = mint(api, ticket, event_type="upgrade-assistance", agent_id=host.pk)
    anonymous = ApiClient()
    body = {
        "start": (TUESDAY_10 + timedelta(minutes=30)).isoformat(),
        "name": "Peter",
        "email": "peter@initech.test",
        "answers": UPGRADE_ANSWERS,
    }
    response = anonymous.post(path, body)
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert api.get(f"calls/{call.pk}").json()["call"]["answers"]["uses_ci"] is True


def test_end_users_cannot_read_calls_and_slots_query_count_is_bounded(api, ticket, host, requester):
    path = mint(api, ticket, agent_id=host.pk)
    ApiClient().post(path, {"start": TUESDAY_10.isoformat(), "name": "P", "email": "p@x.test"})
    call = Call.objects.get()
    assert client_for(requester).get(f"calls/{call.pk}").status_code == 403
    assert call.status == CallStatus.SCHEDULED
    path = mint(api, ticket, agent_id=host.pk)
    with CaptureQueriesContext(connection) as one_week:
        ApiClient().get(f"{path}/slots", start="2026-10-27", end="2026-11-03")
    with CaptureQueriesContext(connection) as four_weeks:
        ApiClient().get(f"{path}/slots", start="2026-10-27", end="2026-11-24")
    assert len(one_week) == len(four_weeks) <= 8


def test_worst_values_are_4xx_never_500(api, ticket, host):
    path = mint(api, ticket, agent_id=host.pk)
    anonymous = ApiClient()
    for params in (
        {"start": "9999-12-31"},
        {"start": "0001-01-01"},
        {"start": "2026-10-27", "end": "2027-10-27"},
        {"start": "2026-10-28", "end": "2026-10-27"},
        {"tz": "../../etc/passwd"},
    ):
        assert anonymous.get(f"{path}/slots", **params).status_code == 422, params
    for body in (
        {"start": "9999-12-31T00:00:00Z", "name": "P", "email": "p@x.test"},
        {"start": "2026-10-27T14:00:00Z", "name": ["P"], "email": "p@x.test"},
        {"start": "2026-10-27T14:00:00Z", "name": "P", "email": {"a": 1}},
        {"start": 12, "name": "P", "email": "p@x.test"},
        {"start": "2026-10-27T14:00:00Z", "name": "P", "email": "p@x.test", "answers": [1]},
    ):
        assert anonymous.post(path, body).status_code == 422, body
    page = anonymous.client.get(f"{path}?from=9999-12-30&tz=UTC")
    assert page.status_code == 200
    api.client.force_login(host)
    assert api.client.get("/calls/?date=9999-12-31").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_public_booking_over_real_http(live_server, host, ticket, support_call):
    """The JSON booking endpoints through a real HTTP server and client: 200, 201, then 409."""
    import json
    import urllib.error
    import urllib.request

    from switchboard.calls import actions

    _, url = actions.mint_booking_link(
        actor=host, ticket=ticket, event_type=support_call, agent=host, now=NOW
    )
    base = live_server.url + urlsplit(url).path

    def call(path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            base + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, slots = call("/slots?start=2026-10-27&tz=America/Chicago")
    assert status == 200 and slots["slots"][0]["local"].endswith("-05:00")
    body = {"start": TUESDAY_10.isoformat(), "name": "Peter", "email": "peter@initech.test"}
    assert call("", body)[0] == 201
    status, error = call("", body)
    assert status == 409 and error["error"] == "LinkUsed"
