"""The ticket history reads as people read it: names instead of ids, public reply vs internal
note, and the channel each change really came through."""

from __future__ import annotations

from switchboard.accounts.tests.factories import AgentFactory, SupportGroupFactory
from switchboard.api.tests.conftest import client_for
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Channel
from switchboard.web.tests.test_pages import text


def test_history_names_people_kinds_of_comment_and_channels(agent_client, agent, make_ticket):
    bea = AgentFactory(name="Bea Busy")
    group = SupportGroupFactory(name="Tier 2")
    ticket = make_ticket(subject="Runner stuck")
    update_ticket(ticket=ticket, actor=agent, assignee=bea, group=group)
    add_comment(ticket=ticket, author=agent, body="checked logs", public=False)
    add_comment(ticket=ticket, author=ticket.requester, body="any news?", channel=Channel.EMAIL)
    api = client_for(bea)
    assert api.put(f"tickets/{ticket.pk}/tags", {"tags": ["vip"]}).status_code == 200

    html = text(agent_client.get(f"/tickets/{ticket.pk}/history"))

    assert f"assignee: — → {bea.name}" in html and "group: — → Tier 2" in html
    assert "added an internal note" in html and "added a public reply" in html
    assert "requester: Carol Customer" in html and "organization: Acme" in html
    assert "tags: added vip" in html
    assert "Web form" not in html
    for via in ("via agent workspace", "via portal", "via email", "via API"):
        assert via in html, via
    api_entry = html.split("via API", 1)[0].rsplit("<b>", 1)[1]
    assert api_entry.startswith(bea.name)
    page = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    assert "Web form" not in page and "via portal" in page and "via email" in page


def test_history_of_an_api_merge_says_api(agent_client, agent, make_ticket):
    """Merges through the API are recorded as API, not web."""
    source, target = make_ticket(subject="dup"), make_ticket(subject="main")
    api = client_for(agent)
    assert api.post(f"tickets/{target.pk}/merge", {"ids": [source.pk]}).status_code == 200
    html = text(agent_client.get(f"/tickets/{source.pk}/history"))
    assert f"merged into: — → #{target.pk}" in html and "via API" in html
    html = text(agent_client.get(f"/tickets/{target.pk}/history"))
    assert f"merged here: — → #{source.pk}" in html
