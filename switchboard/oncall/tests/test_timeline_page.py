"""The agent page `GET /oncall/`: who is on call now and a 7-day timeline per schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from switchboard.accounts import demo as accounts_demo
from switchboard.accounts.models import User
from switchboard.accounts.tests.factories import UserFactory
from switchboard.oncall import actions
from switchboard.oncall import demo as oncall_demo
from switchboard.oncall.tests.conftest import EPOCH, make_schedule

pytestmark = pytest.mark.django_db

URL = "/oncall/"
# A Wednesday, 8 whole weeks after the demo's Monday 07:00 UTC hand-off (turn k = 8).
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)

SHIFT = re.compile(r'<div class="shift( override)?" style="[^"]*" title="([^"]*)">([^<]*)</div>')


def _now_cells(html: str) -> dict[str, str]:
    """Schedule name -> the "on call now" cell text."""
    rows = re.findall(
        r'<tr class="schedule-now">\s*<td>([^<]*)</td>\s*<td class="oncall-now[^"]*">([^<]*)</td>',
        html,
    )
    return dict(rows)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{settings.LOGIN_URL}?next=/oncall/"


def test_end_users_get_404(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_follow_the_sun_demo_shows_who_is_on_call_now(client):
    accounts_demo.seed()
    oncall_demo.seed()
    client.force_login(User.objects.get(email="agent@switchboard.test"))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    # Turn 8 since the hand-off: users[8 % n]. At 12:00 UTC only the EMEA 07:00-15:00 daily
    # windows are open; AMER (15:00-23:00) and APAC (23:00-07:00) have nobody.
    assert _now_cells(html) == {
        "Customer Emergency AMER": "Nobody",
        "Customer Emergency APAC": "Nobody",
        "Customer Emergency EMEA": "Emil Novak",  # 8 % 4 = 0
        "EMEA Escalation": "Nadia Petrova",  # 8 % 2 = 0
        "FRT Hawk": "Isabel Tan",  # 8 % 6 = 2
        "SLA Hawk": "Kiri Walker",  # 8 % 6 = 2
        "SSAT Reviewing Manager": "Oscar Reyes",  # 8 % 3 = 2
        "Support Manager AMER": "Nobody",
        "Support Manager APAC": "Nobody",
        "Support Manager EMEA": "Nadia Petrova",
        "US Federal On-call": "Brooke Chen",  # 8 % 2 = 0
    }
    # The workspace's app header, like every agent page.
    assert '<header class="topnav">' in html
    # Since/until in the viewer's zone (Alex Agent: America/Los_Angeles, PST), UTC on hover.
    assert (
        '<td><time datetime="2026-03-04T07:00:00+00:00" title="2026-03-04 07:00 UTC">'
        "Tue 03 Mar 23:00</time></td>\n"
        '        <td><time datetime="2026-03-04T15:00:00+00:00" title="2026-03-04 15:00 UTC">'
        "Wed 04 Mar 07:00</time></td>"
    ) in html


@time_machine.travel(NOW, tick=False)
def test_a_daily_rotation_draws_one_block_per_day_in_order(client, person):
    ann, bob, cat = person("ann"), person("bob"), person("cat")
    make_schedule("Daily", [ann, bob, cat], turn=timedelta(days=1))
    client.force_login(ann)  # America/New_York
    html = client.get(URL).content.decode()

    blocks = SHIFT.findall(html)
    # Turn k = 58 starts Wed 4 Mar 07:00 UTC (58 days after Mon 5 Jan) and is users[58 % 3]:
    # the window [Wed 12:00, next Wed 12:00) holds the clipped turn 58, turns 59..64 and the
    # start of turn 65.
    assert [name for _, _, name in blocks] == [
        "Bob",
        "Cat",
        "Ann",
        "Bob",
        "Cat",
        "Ann",
        "Bob",
        "Cat",
    ]
    assert not any(override for override, _, _ in blocks)
    assert blocks[1][1] == (
        "Cat: Thu 05 Mar 02:00 – Fri 06 Mar 02:00 (America/New_York) · "
        "2026-03-05 07:00 UTC – 2026-03-06 07:00 UTC"
    )
    # Positions: the first block starts at 0%, the second at 19h / 168h.
    assert 'style="left: 0.000%; width: 11.310%"' in html
    assert 'style="left: 11.310%; width: 14.286%"' in html
    # A marker at each New York midnight from Thu 5 to Wed 11 March (DST starts on the 8th).
    assert html.count('<div class="day" style="left:') == 7 * 2
    assert "<span>Sun 08 Mar</span>" in html
    assert _now_cells(html) == {"Daily": "Bob"}


@time_machine.travel(NOW, tick=False)
def test_overrides_are_drawn_apart_and_names_are_escaped(client, person):
    ann = person("ann")
    eve = UserFactory(name='<b>Eve & "Co"</b>', role="agent")
    schedule = make_schedule("Weekly <i>", [ann])
    actions.add_override(
        schedule=schedule, user=eve, start=NOW + timedelta(days=1), end=NOW + timedelta(days=2)
    )
    client.force_login(ann)
    html = client.get(URL).content.decode()
    blocks = SHIFT.findall(html)
    assert [(bool(o), name) for o, _, name in blocks] == [
        (False, "Ann"),
        (True, "&lt;b&gt;Eve &amp; &quot;Co&quot;&lt;/b&gt;"),
        (False, "Ann"),
    ]
    assert "<b>Eve" not in html
    assert "Weekly &lt;i&gt;" in html and "Weekly <i>" not in html


def _schedules(person, n: int) -> None:
    people = [person(f"p{i}") for i in range(3)]
    for i in range(n):
        schedule = make_schedule(
            f"S{i}",
            people,
            turn=timedelta(hours=8),
            restrictions=[{"kind": "daily", "start_time": "08:00", "duration_minutes": 600}],
        )
        actions.add_layer(
            schedule=schedule,
            users=[people[i % 3].pk],
            rotation_virtual_start=EPOCH,
            turn_length=timedelta(days=2),
            restrictions=[{"kind": "daily", "start_time": "20:00", "duration_minutes": 60}],
        )
        actions.add_override(
            schedule=schedule,
            user=people[0],
            start=NOW + timedelta(hours=30),
            end=NOW + timedelta(hours=33),
        )


@pytest.mark.parametrize("count", [2, 6])
@time_machine.travel(NOW, tick=False)
def test_query_count_does_not_grow_with_schedules_or_shifts(
    client, person, django_assert_max_num_queries, count
):
    _schedules(person, count)
    viewer = person("viewer")
    client.force_login(viewer)
    # session + user, then schedules, layers, overrides, people: a fixed number overall.
    with django_assert_max_num_queries(6):
        html = client.get(URL).content.decode()
    assert len(SHIFT.findall(html)) > 10 * count
