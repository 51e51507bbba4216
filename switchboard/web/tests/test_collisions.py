"""Two agents on one ticket: the properties form writes only what this agent changed, a field
someone else changed meanwhile is a visible conflict (never an overwrite), and the page shows
who is replying and that someone else updated the ticket."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory, SupportGroupFactory
from switchboard.tickets.actions.update import add_tags, update_ticket
from switchboard.tickets.models import TicketAudit
from switchboard.web.models import TicketPresence
from switchboard.web.tests.test_pages import text


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(html: str) -> dict[str, str]:
    """The properties form's fields as the browser would send them untouched."""
    form = html.split('id="properties-form"', 1)[1].split("</form>", 1)[0]
    values = dict(re.findall(r'<input type="(?:hidden|text)" name="(\w+)" value="([^"]*)"', form))
    for name in ("priority", "assignee", "group"):
        select = form.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        chosen = re.search(r'<option value="([^"]*)" selected', select)
        values[name] = chosen.group(1) if chosen else ""
    values.pop("csrfmiddlewaretoken", None)
    return values


@pytest.fixture
def two_agents(agent):
    return agent, AgentFactory(name="Bea Busy")


def test_a_stale_form_does_not_revert_anothers_assignee_and_tags(two_agents, make_ticket):
    """A saves priority from a page loaded before B assigned the ticket and added a tag: B's
    assignee and tag stay, A's priority is saved."""
    a, b = two_agents
    ticket = make_ticket(tags=["geo"])
    stale = _form(text(_client(a).get(f"/tickets/{ticket.pk}/")))
    b_form = _form(text(_client(b).get(f"/tickets/{ticket.pk}/")))
    b_form.update(assignee=str(b.pk), tags="geo vip")
    assert _client(b).post(f"/tickets/{ticket.pk}/properties", b_form).status_code == 302

    stale.update(priority="high")
    response = _client(a).post(f"/tickets/{ticket.pk}/properties", stale)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.assignee == b
    assert ticket.tag_names() == ["geo", "vip"]


def test_tags_added_and_removed_by_two_agents_both_stick(two_agents, make_ticket):
    """Tags are sent as additions and removals: both agents' edits survive."""
    a, b = two_agents
    ticket = make_ticket(tags=["geo", "old"])
    stale = _form(text(_client(a).get(f"/tickets/{ticket.pk}/")))
    add_tags(ticket=ticket, actor=b, tags=["vip"])
    stale.update(tags="geo new")  # A removes "old", adds "new"
    assert _client(a).post(f"/tickets/{ticket.pk}/properties", stale).status_code == 302
    ticket.refresh_from_db()
    assert ticket.tag_names() == ["geo", "new", "vip"]


def test_changing_a_field_someone_else_changed_is_a_conflict(two_agents, make_ticket):
    """A and B both change the assignee: A's save is a 409 that shows both values and writes
    nothing (not even A's other changes); "apply mine" then saves A's values deliberately."""
    a, b = two_agents
    group = SupportGroupFactory(name="Tier 2")
    ticket = make_ticket()
    stale = _form(text(_client(a).get(f"/tickets/{ticket.pk}/")))
    update_ticket(ticket=ticket, actor=b, assignee=b)
    audits = TicketAudit.objects.filter(ticket=ticket).count()

    stale.update(assignee=str(a.pk), group=str(group.pk))
    response = _client(a).post(f"/tickets/{ticket.pk}/properties", stale)

    assert response.status_code == 409
    html = text(response)
    box = html.split('id="properties-conflict"', 1)[1].split("</table>", 1)[0]
    assert 'data-field="assignee"' in box
    assert f'class="mine">{a.name}<' in box and f'class="theirs">{b.name}<' in box
    ticket.refresh_from_db()
    assert ticket.assignee == b and ticket.group is None
    assert TicketAudit.objects.filter(ticket=ticket).count() == audits

    retry = html.split('id="properties-conflict"', 1)[1].split("</form>", 1)[0]
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', retry))
    values.pop("csrfmiddlewaretoken")
    assert _client(a).post(f"/tickets/{ticket.pk}/properties", values).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == a and ticket.group == group


def test_untouched_form_writes_nothing(agent, make_ticket):
    """Saving without changing anything records no audit."""
    ticket = make_ticket()
    client = _client(agent)
    form = _form(text(client.get(f"/tickets/{ticket.pk}/")))
    before = TicketAudit.objects.filter(ticket=ticket).count()
    assert client.post(f"/tickets/{ticket.pk}/properties", form).status_code == 302
    assert TicketAudit.objects.filter(ticket=ticket).count() == before


def test_a_form_without_originals_is_refused(agent_client, make_ticket):
    """A post that does not say what it was based on cannot be a compare-and-set: 422."""
    ticket = make_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties",
        {"tags": "", "priority": "high", "assignee": "", "group": ""},
    )
    assert response.status_code == 422 and "reload the ticket" in text(response)
    ticket.refresh_from_db()
    assert ticket.priority != "high"


def test_activity_shows_who_is_replying_and_that_someone_else_updated(two_agents, make_ticket):
    """B types a reply: A's poll says "Bea Busy is replying"; B changes the ticket: A's poll
    (with the stamp A's page was rendered with) says someone else updated it. A's own changes
    do not count, and presence expires."""
    a, b = two_agents
    ticket = make_ticket()
    page = text(_client(a).get(f"/tickets/{ticket.pk}/"))
    url = re.search(r'hx-get="(/tickets/\d+/activity\?since=[^"]+)"', page).group(1)
    url = url.replace("&amp;", "&")
    assert "is replying" not in text(_client(a).get(url))

    assert (
        _client(b).post(f"/tickets/{ticket.pk}/presence", {"activity": "replying"}).status_code
        == 204
    )
    shown = text(_client(a).get(url))
    assert "Bea Busy is replying" in shown and "Someone else updated" not in shown
    assert "is replying" not in text(_client(b).get(url))  # not about yourself

    update_ticket(ticket=ticket, actor=a, priority="high")
    assert "Someone else updated" not in text(_client(a).get(url))
    update_ticket(ticket=ticket, actor=b, priority="low")
    shown = text(_client(a).get(url))
    assert "Someone else updated this ticket (Bea Busy)" in shown

    TicketPresence.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "is replying" not in text(_client(a).get(url))


def test_sending_the_reply_clears_presence_and_bad_input_is_422(two_agents, make_ticket):
    """Sending the reply ends "is replying"; malformed presence and activity input is a 422."""
    _a, b = two_agents
    ticket = make_ticket()
    client = _client(b)
    client.post(f"/tickets/{ticket.pk}/presence", {"activity": "replying"})
    client.post(f"/tickets/{ticket.pk}/reply", {"body": "On it.", "visibility": "public"})
    assert not TicketPresence.objects.exists()
    assert client.post(f"/tickets/{ticket.pk}/presence", {"activity": "x"}).status_code == 422
    assert client.get(f"/tickets/{ticket.pk}/activity?since=yesterday").status_code == 422
    assert client.get(f"/tickets/{ticket.pk}/activity?since=2024-01-01T00:00:00").status_code == 422


def test_the_sweeper_deletes_expired_presence(two_agents, make_ticket):
    """A reply abandoned without sending leaves no row behind once the sweeper runs."""
    from switchboard.core.sweeps import run_all_sweeps

    _a, b = two_agents
    ticket = make_ticket()
    _client(b).post(f"/tickets/{ticket.pk}/presence", {"activity": "replying"})
    run_all_sweeps(timezone.now())
    assert TicketPresence.objects.count() == 1
    run_all_sweeps(timezone.now() + timedelta(minutes=1))
    assert not TicketPresence.objects.exists()


@pytest.mark.parametrize("agents", [1, 8])
def test_activity_poll_queries_are_bounded(
    agent, make_ticket, django_assert_max_num_queries, agents
):
    """The 10-second poll costs the same few queries however many agents are on the ticket."""
    ticket = make_ticket()
    since = timezone.now().isoformat()
    for _ in range(agents):
        other = AgentFactory()
        _client(other).post(f"/tickets/{ticket.pk}/presence", {"activity": "replying"})
        update_ticket(ticket=ticket, actor=other, priority="high" if _ % 2 else "low")
    client = _client(agent)
    # session, user, ticket, its CCs (the access check), presence, audits
    with django_assert_max_num_queries(6):
        response = client.get(f"/tickets/{ticket.pk}/activity", {"since": since})
    assert text(response).count("is replying") == agents
