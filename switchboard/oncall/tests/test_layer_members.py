"""On-call layer members and escalation targets are picked by name and validated; a layer row
that still names an unknown user never shows that user on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.core.errors import ValidationFailed
from switchboard.oncall import actions
from switchboard.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    OnCallSchedule,
    ScheduleLayer,
)
from switchboard.oncall.tests.conftest import EPOCH

pytestmark = pytest.mark.django_db

LAYER_ADD = "/admin/oncall/schedulelayer/add/"
LEVEL_ADD = "/admin/oncall/escalationlevel/add/"
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)  # turn 8 of a weekly rotation from EPOCH


@pytest.fixture
def people(db):
    return (
        AgentFactory(name="Ann Agent", email="ann@switchboard.test"),
        AgentFactory(name="Bob Agent", email="bob@switchboard.test"),
        UserFactory(name="Carol Customer", email="carol@acme.test"),
    )


def _layer_post(schedule, members) -> dict:
    return {
        "schedule": schedule.pk,
        "position": "0",
        "name": "Weekly rotation",
        "users": [str(m) for m in members],
        "rotation_virtual_start_0": "2026-01-05",
        "rotation_virtual_start_1": "07:00:00",
        "turn_length": "7 00:00:00",
        "start_0": "2026-01-05",
        "start_1": "07:00:00",
    }


def test_layer_form_picks_members_by_name_in_turn_order(admin_client, people):
    ann, bob, _carol = people
    schedule = OnCallSchedule.objects.create(name="EMEA")
    page = admin_client.get(LAYER_ADD).content.decode()
    assert '<select name="users"' in page and "Ann Agent (ann@switchboard.test)" in page
    assert "Carol Customer" not in page  # only agents are offered
    response = admin_client.post(LAYER_ADD, _layer_post(schedule, [bob.pk, ann.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ScheduleLayer.objects.get().users == [bob.pk, ann.pk]
    layer = ScheduleLayer.objects.get()
    change = admin_client.get(f"/admin/oncall/schedulelayer/{layer.pk}/change/").content.decode()
    # one select per member (in order, selected) and an empty one to add a person
    assert change.count('<select name="users"') == 3
    assert change.index(f'value="{bob.pk}" selected') < change.index(f'value="{ann.pk}" selected')


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("customer", "Carol Customer (carol@acme.test) is not an active agent or admin"),
        ("missing", "user #9999 does not exist"),
        ("inactive", "Ann Agent (ann@switchboard.test) is not an active agent or admin"),
        ("text", "is not a person"),
    ],
)
def test_layer_form_refuses_people_who_cannot_be_on_call(admin_client, people, who, message):
    ann, bob, carol = people
    schedule = OnCallSchedule.objects.create(name="EMEA")
    if who == "inactive":
        ann.is_active = False
        ann.save()
    member = {"customer": carol.pk, "missing": 9999, "inactive": ann.pk, "text": "ann"}[who]
    response = admin_client.post(LAYER_ADD, _layer_post(schedule, [bob.pk, member]))
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not ScheduleLayer.objects.exists()


def test_layer_actions_refuse_non_agents(people):
    _ann, bob, carol = people
    schedule = OnCallSchedule.objects.create(name="EMEA")
    for users, words in (([bob.pk, carol.pk], "not active agents"), ([9999], "unknown user")):
        with pytest.raises(ValidationFailed, match=words):
            actions.add_layer(
                schedule=schedule,
                users=users,
                rotation_virtual_start=EPOCH,
                turn_length=timedelta(days=7),
            )
    assert not ScheduleLayer.objects.exists()


def test_escalation_targets_are_agents_picked_by_name(admin_client, people):
    ann, _bob, carol = people
    policy = EscalationPolicy.objects.create(name="Support Managers")
    page = admin_client.get(LEVEL_ADD).content.decode()
    assert "Ann Agent (ann@switchboard.test)" in page and "Carol Customer" not in page
    data = {"policy": policy.pk, "position": "0", "delay_minutes": "15", "users": [carol.pk]}
    response = admin_client.post(LEVEL_ADD, data)
    assert response.status_code == 200
    assert "Only active agents and admins can be escalation targets" in response.content.decode()
    assert not EscalationLevel.objects.exists()
    data["users"] = [ann.pk]
    assert admin_client.post(LEVEL_ADD, data).status_code == 302
    assert list(EscalationLevel.objects.get().users.all()) == [ann]


@time_machine.travel(NOW, tick=False)
def test_a_stored_unknown_member_is_never_shown_on_call(admin_client, client, people):
    """A row saved before validation, `[9999, bob]`: turn 8 (now) is 9999's. The page says
    nobody is on call and why, the API has no user, and the admin shows the unknown member."""
    _ann, bob, _carol = people
    schedule = OnCallSchedule.objects.create(name="EMEA")
    layer = ScheduleLayer.objects.create(
        schedule=schedule,
        users=[9999, bob.pk],
        rotation_virtual_start=EPOCH,
        turn_length=timedelta(days=7),
        start=EPOCH,
    )
    client.force_login(bob)
    html = client.get("/oncall/").content.decode()
    assert "User #9999" not in html
    assert "Nobody — the layer names user #9999, who is not an active agent" in html
    assert 'class="shift unknown"' in html and "Bob Agent" in html  # next week is Bob's
    oncall = client.get("/api/oncall").json()["oncalls"][0]
    assert oncall["user"] is None
    change = admin_client.get(f"/admin/oncall/schedulelayer/{layer.pk}/change/").content.decode()
    assert "Unknown user #9999" in change
    # saving it unchanged is refused with the reason; removing the unknown member saves
    post = _layer_post(schedule, [9999, bob.pk])
    response = admin_client.post(f"/admin/oncall/schedulelayer/{layer.pk}/change/", post)
    assert "user #9999 does not exist" in response.content.decode()
    post["users"] = [str(bob.pk)]
    response = admin_client.post(f"/admin/oncall/schedulelayer/{layer.pk}/change/", post)
    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.users == [bob.pk]


def test_schedule_page_edits_layer_members_by_name_inline(admin_client, people):
    ann, _bob, _carol = people
    schedule = OnCallSchedule.objects.create(name="EMEA")
    actions.add_layer(
        schedule=schedule, users=[ann.pk], rotation_virtual_start=EPOCH, turn_length=timedelta(7)
    )
    url = f"/admin/oncall/oncallschedule/{schedule.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert '<select name="layers-0-users"' in page and "Bob Agent (bob@switchboard.test)" in page
    assert "Carol Customer" not in page
