"""The survey offer: at solved + 24 h from the stored due time, once per solve cycle, tagged, with
attribution frozen, and never for the handbook's exclusions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.core.sweeps import registered_sweeps, run_sweep
from switchboard.csat.models import Exclusion, SatisfactionRating, Score
from switchboard.csat.sweeps import SWEEP_NAME
from switchboard.csat.tests.conftest import new_ticket, solved_ticket, survey_emails
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.lifecycle import close_if_still_solved
from switchboard.tickets.actions.merge import merge_tickets
from switchboard.tickets.actions.update import solve_ticket, update_ticket
from switchboard.tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

DAY = timedelta(hours=24)


def sweep(now):
    (found,) = [s for s in registered_sweeps() if s.name == SWEEP_NAME]
    return run_sweep(found, now)


def test_survey_goes_out_at_solved_plus_24_hours(customer, agent, group, org):
    """Nothing before solved + 24 h; at that time one email, the tag, frozen attribution."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        ticket = solved_ticket(customer, agent, group)
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert rating.due_at == ticket.solved_at + DAY
    assert rating.score == Score.UNOFFERED

    sweep(start + DAY - timedelta(seconds=1))
    assert survey_emails() == []
    assert "csat_survey_sent" not in Ticket.objects.get(pk=ticket.pk).tag_names()

    with time_machine.travel(start + DAY + timedelta(seconds=5), tick=False):
        assert sweep(timezone.now()) == 1
    rating.refresh_from_db()
    (email,) = survey_emails()
    assert email.recipient == customer.email
    assert rating.score == Score.OFFERED and rating.due_at is None
    assert rating.offered_at - (ticket.solved_at + DAY) < timedelta(minutes=1)
    assert "csat_survey_sent" in Ticket.objects.get(pk=ticket.pk).tag_names()
    assert (rating.assignee_id, rating.group_id, rating.organization_id) == (
        agent.pk,
        group.pk,
        org.pk,
    )
    assert (rating.support_level, rating.region, rating.channel) == ("priority", "emea", "web")
    assert rating.sla_breached is False

    # once: a second sweep finds nothing due, and reassigning later does not move the rating
    assert sweep(start + 3 * DAY) == 0
    other = AgentFactory()
    update_ticket(ticket=Ticket.objects.get(pk=ticket.pk), actor=other, assignee=other)
    rating.refresh_from_db()
    assert rating.assignee_id == agent.pk
    assert len(survey_emails()) == 1


def test_reopened_before_send_gets_no_survey_then_the_next_solve_does(customer, agent):
    """A reopen cancels the pending survey; the second solve is a new cycle with its own."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = solved_ticket(customer, agent)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        add_comment(ticket=ticket, author=customer, body="Still broken.", public=True)
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    first = SatisfactionRating.objects.get(ticket=ticket)
    assert first.due_at is None and first.excluded_reason == Exclusion.REOPENED
    sweep(start + 2 * DAY)
    assert survey_emails() == []

    with time_machine.travel(start + 3 * DAY, tick=False):
        solve_ticket(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent)
    sweep(start + 4 * DAY)
    second = SatisfactionRating.objects.get(ticket=ticket, solve_cycle=2)
    assert second.score == Score.OFFERED
    assert len(survey_emails()) == 1


@pytest.mark.parametrize("exclusion", ["merged", "internal_org", "agent_requester"])
def test_exclusions_get_no_survey(exclusion, customer, agent):
    """Merged (close_by_merge), internal-org requesters and agents as requesters: no survey."""
    requester = customer
    if exclusion == "internal_org":
        staff_org = OrganizationFactory(name="Switchboard Inc", is_internal=True)
        requester = UserFactory(email="sam@staff.test", organization=staff_org)
    if exclusion == "agent_requester":
        requester = AgentFactory(email="ag@switchboard.test")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = solved_ticket(requester, agent)
        if exclusion == "merged":
            target = new_ticket(customer, subject="Same problem")
            merge_tickets(actor=agent, sources=[ticket], target=target)
    sweep(start + 2 * DAY)
    rating = SatisfactionRating.objects.get(ticket=ticket)
    expected = {
        "merged": Exclusion.MERGED,
        "internal_org": Exclusion.INTERNAL_ORG,
        "agent_requester": Exclusion.AGENT_REQUESTER,
    }[exclusion]
    assert (rating.score, rating.excluded_reason) == (Score.UNOFFERED, expected)
    assert rating.counted_at is not None  # an eligible solve, not offered
    assert survey_emails() == []
    assert "csat_survey_sent" not in Ticket.objects.get(pk=ticket.pk).tag_names()


def test_mailing_list_tickets_get_no_survey(customer):
    """Mailing-list mail is closed on arrival: no solve cycle, no survey."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = new_ticket(customer, channel=Channel.MAILING_LIST)
    assert ticket.status == "closed"
    sweep(start + 2 * DAY)
    assert not SatisfactionRating.objects.filter(ticket=ticket).exists()
    assert survey_emails() == []


def test_mailing_list_channel_is_an_exclusion_if_ever_solved(customer, agent):
    """The exclusion itself: a solved ticket whose channel is the mailing list is not surveyed."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = solved_ticket(customer, agent)
    Ticket.objects.filter(pk=ticket.pk).update(channel=Channel.MAILING_LIST)
    sweep(start + 2 * DAY)
    assert SatisfactionRating.objects.get(ticket=ticket).excluded_reason == Exclusion.MAILING_LIST
    assert survey_emails() == []


def test_closed_after_solve_still_gets_its_survey(customer, agent, settings):
    """Solved → closed by the 4-day rule before a long survey delay: the survey still goes."""
    settings.SWITCHBOARD_CSAT_DELAY_HOURS = 24 * 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = solved_ticket(customer, agent)
    with time_machine.travel(start + 4 * DAY + timedelta(minutes=1), tick=False):
        close_if_still_solved(ticket_id=ticket.pk, now=timezone.now())
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    sweep(start + 5 * DAY)
    assert len(survey_emails()) == 1
