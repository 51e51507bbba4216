"""The portal's new-ticket form and custom ticket fields: fields "visible in portal" are shown
and stored; hidden (or inactive) ones are neither shown nor accepted; a fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchboard.tickets.models import Ticket, TicketField
from switchboard.web.tests.portal.test_tickets import form_data

pytestmark = pytest.mark.django_db
NEW = "/portal/tickets/new"


@pytest.fixture
def fields(db):
    shown = TicketField.objects.create(
        title="Affected environment",
        key="environment",
        field_type=TicketField.FieldType.DROPDOWN,
        options=[
            {"name": "Production", "value": "production"},
            {"name": "Staging", "value": "staging"},
        ],
    )
    seats = TicketField.objects.create(
        title="Users affected", key="users_affected", field_type=TicketField.FieldType.INTEGER
    )
    hidden = TicketField.objects.create(
        title="Escalation score", key="escalation_score", visible_in_portal=False
    )
    retired = TicketField.objects.create(title="Old field", key="old_field", active=False)
    return shown, seats, hidden, retired


def test_only_fields_visible_in_the_portal_are_shown(client_for, alice, fields):
    page = client_for(alice).get(NEW).content.decode()
    assert "Affected environment" in page and 'name="cf_environment"' in page
    assert '<option value="production">Production</option>' in page
    assert 'name="cf_users_affected"' in page
    assert "Escalation score" not in page and "cf_escalation_score" not in page
    assert "cf_old_field" not in page


def test_visible_fields_are_stored_on_the_ticket(client_for, alice, fields):
    shown, seats, _, _ = fields
    response = client_for(alice).post(
        NEW, form_data(cf_environment="production", cf_users_affected="40")
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.custom_fields == {str(shown.pk): "production", str(seats.pk): 40}


def test_a_bad_value_is_refused_next_to_its_field(client_for, alice, fields):
    response = client_for(alice).post(NEW, form_data(cf_environment="mars", cf_users_affected="x"))
    assert response.status_code == 422
    assert not Ticket.objects.exists()
    page = response.content.decode()
    assert "Select a valid choice" in page and "Enter a whole number" in page


@pytest.mark.parametrize("name", ["cf_escalation_score", "cf_old_field", "cf_nonexistent"])
def test_hidden_fields_are_refused_not_silently_dropped(client_for, alice, fields, name):
    response = client_for(alice).post(NEW, form_data(**{name: "99"}))
    assert response.status_code == 422
    assert f"{name}: this field cannot be set from the portal." in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_form_runs_a_fixed_number_of_queries(client_for, alice, fields):
    client = client_for(alice)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(NEW).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(8):
        TicketField.objects.create(title=f"Extra {n}", key=f"extra_{n}")
    assert count() == few
