"""The ticket page reads each thing once (web.queries.ticket_page): the people it names come from
one query, the linked tickets from another, and the page still shows every one of them."""

from __future__ import annotations

from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Comment, Ticket
from switchboard.web.queries import pick_lists
from switchboard.web.tests.test_pages import text


def test_the_page_names_every_author_and_the_account_manager(
    agent_client, agent, customer, make_ticket, django_assert_max_num_queries
):
    """A deactivated agent, a CC who replied, a system note and an account manager who is no
    longer an agent are all named, in the page's usual number of queries."""
    # given
    former = AgentFactory(name="Fay Former", email="fay@switchboard.test")
    cc = UserFactory(name="Cody Copied", email="cody@acme.test", organization=customer.organization)
    manager = UserFactory(name="Mona Manager", email="mona@switchboard.test", is_active=False)
    ticket = make_ticket(subject="Geo lag")
    update_ticket(ticket=ticket, actor=agent, ccs=[cc])
    add_comment(ticket=ticket, author=former, body="Looking at it.", public=False)
    add_comment(ticket=ticket, author=cc, body="Same here.")
    Comment.objects.create(ticket=ticket, author=None, body="Auto-note.", created_at=timezone.now())
    former.is_active = False
    former.save()
    ticket.organization.account_manager = manager
    ticket.organization.save()
    pick_lists()  # cached, as in a running process (test_pick_lists_cache)
    # when
    with django_assert_max_num_queries(12):
        html = text(agent_client.get(f"/tickets/{ticket.pk}/"))
    # then
    for name in ("Fay Former", "Cody Copied", "System", "Carol Customer"):
        assert f"<b>{name}</b>" in html
    assert "<dt>TAM / CSM</dt><dd>Mona Manager</dd>" in html
    assert 'data-cc="cody@acme.test"' in html
    assert "via portal" in html  # the customer's own reply and the CC's, by their role
    assert "Fay Former</option>" not in html  # a deactivated agent is no assignee choice


def test_merged_and_follow_up_tickets_link_both_ways(agent_client, agent, make_ticket):
    """The merged ticket says where it went; the target lists it and carries its comments
    ("from #N"); a follow-up says whose it is and its source lists it."""
    # given
    source, target = make_ticket(subject="dup"), make_ticket(subject="main")
    add_comment(ticket=source, author=agent, body="Said on the duplicate.")
    agent_client.post(f"/tickets/{source.pk}/merge", {"target": str(target.pk), "confirm": "1"})
    agent_client.post(f"/tickets/{source.pk}/follow-up", {"body": "Still broken."})
    follow_up = Ticket.objects.get(follow_up_source=source)
    # when
    on_source = text(agent_client.get(f"/tickets/{source.pk}/"))
    on_target = text(agent_client.get(f"/tickets/{target.pk}/"))
    on_follow_up = text(agent_client.get(f"/tickets/{follow_up.pk}/"))
    # then
    assert (
        f'Closed by merge into <a href="/tickets/{target.pk}/">#{target.pk} main</a>' in on_source
    )
    assert f'Follow-ups: <a href="/tickets/{follow_up.pk}/">#{follow_up.pk}</a>' in on_source
    assert f'Merged here: <a href="/tickets/{source.pk}/">#{source.pk}</a>' in on_target
    assert f'<span class="chip">from #{source.pk}</span>' in on_target
    assert "Said on the duplicate." in on_target
    assert f'Follow-up of <a href="/tickets/{source.pk}/">#{source.pk} dup</a>' in on_follow_up
