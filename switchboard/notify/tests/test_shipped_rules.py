"""The shipped rules, end to end through the outbox, the worker and real servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.core.sweeps import run_all_sweeps
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Endpoint
from switchboard.notify.outbox.signing import new_secret
from switchboard.notify.rules import shipped
from switchboard.notify.rules.models import TimeRule, Trigger
from switchboard.tickets.actions.create import create_ticket

# The inline worker closes stale connections, so these tests need real transactions; the
# flush between such tests drops migration data, so each test seeds the shipped rules itself.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _shipped_rules():
    from django.apps import apps

    from switchboard.sla.defaults import install_defaults

    install_defaults(apps)
    shipped.seed(environ={})


# Tue 2025-06-03 12:00 UTC: inside the All regions 24x5 business hours.
TUESDAY = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)


def endpoint(name, url, events=()):
    return Endpoint.objects.create(
        name=name, kind="chat", url=url, events=list(events), secret=new_secret()
    )


def test_shipped_rules_are_seeded_and_seeding_is_idempotent():
    """Seeding (migration 0004 runs it) creates every shipped rule once and keeps edits."""
    keys = set(Trigger.objects.exclude(shipped_key="").values_list("shipped_key", flat=True))
    assert keys == {t["shipped_key"] for t in shipped.TRIGGERS}
    assert TimeRule.objects.filter(shipped_key="close_solved", amount=None).exists()
    Trigger.objects.filter(shipped_key="tam_new_ticket").update(position=99)
    shipped.seed(environ={})
    assert Trigger.objects.filter(shipped_key__gt="").count() == len(shipped.TRIGGERS)
    assert Trigger.objects.get(shipped_key="tam_new_ticket").position == 99
    assert not Endpoint.objects.exists()  # no URL configured → no endpoint
    shipped.seed(environ={"SWITCHBOARD_SLA_CHAT_URL": "http://127.0.0.1:9/chat"})
    assert Endpoint.objects.get(name=shipped.SLA_CHAT).events == ["sla.warning", "sla.breach"]


@pytest.mark.slow
def test_tam_gets_the_new_ticket_email_over_smtp(smtp_server):
    """A new ticket from a TAM's account reaches the TAM by SMTP: subject, human link, account,
    contact name and email, date opened — and the requester gets their confirmation."""
    tam = AgentFactory(email="tara@switchboard.test", name="Tara TAM")
    org = OrganizationFactory(name="Globex Corp", support_level="priority", account_manager=tam)
    contact = UserFactory(email="hank@globex.test", name="Hank Scorpio", organization=org)
    with time_machine.travel(TUESDAY, tick=False):
        ticket = create_ticket(actor=contact, subject="Pipelines stuck", description="Since 10:00")
    run_pending_jobs()
    smtp_server.wait_for(2)
    by_rcpt = {
        e.rcpt_tos[0]: m for e, m in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    }
    message = by_rcpt["tara@switchboard.test"]
    assert message["Subject"] == f"[#{ticket.pk}] New ticket #{ticket.pk} from Globex Corp: " + (
        "Pipelines stuck"
    )
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/tickets/{ticket.pk}/" in body and "/portal/" not in body
    assert "/api/" not in body and ".json" not in body
    assert "Account: Globex Corp" in body
    assert "Contact: Hank Scorpio <hank@globex.test>" in body
    assert "Opened: 2025-06-03 12:00 UTC" in body
    confirmation = by_rcpt["hank@globex.test"].get_body(preferencelist=("plain",)).get_content()
    assert f"/portal/tickets/{ticket.pk}/" in confirmation


@pytest.mark.slow
def test_live_feeds_are_separate_per_product_line(http_receiver):
    """The self-managed feed shows only self-managed tickets, the SaaS feed only SaaS ones, each
    with the organization name and a human link."""
    endpoint(shipped.FEED_SELF_MANAGED, http_receiver.url_for("/self"), ["ticket.created"])
    endpoint(shipped.FEED_SAAS, http_receiver.url_for("/saas"), ["ticket.created"])
    sm = UserFactory(organization=OrganizationFactory(name="Initech", product_line="self_managed"))
    saas = UserFactory(organization=OrganizationFactory(name="Hooli", product_line="saas"))
    t1 = create_ticket(actor=sm, subject="Backup fails", description="x")
    t2 = create_ticket(actor=saas, subject="Login slow", description="y")
    run_pending_jobs()
    http_receiver.wait_for(2)
    by_path = {r.path: r.json()["text"] for r in http_receiver.requests}
    assert set(by_path) == {"/self", "/saas"}
    assert "Initech" in by_path["/self"] and f"/tickets/{t1.pk}/" in by_path["/self"]
    assert "Hooli" in by_path["/saas"] and f"/tickets/{t2.pk}/" in by_path["/saas"]
    assert "Hooli" not in by_path["/self"] and "Initech" not in by_path["/saas"]


@pytest.mark.slow
def test_premium_breach_warning_goes_to_chat_exactly_once(http_receiver):
    """High/urgent tickets of priority orgs: one chat message at the 120-minute warning; none for
    standard organizations or low priority; none again at the 30-minute warning."""
    endpoint(shipped.SLA_CHAT, http_receiver.url, ["sla.warning", "sla.breach"])
    premium = OrganizationFactory(name="Umbrella", support_level="priority")
    standard = OrganizationFactory(name="Soylent", support_level="standard")
    with time_machine.travel(TUESDAY, tick=False):
        hot = create_ticket(
            actor=UserFactory(organization=premium),
            subject="Down",
            description="x",
            priority="high",
        )
        create_ticket(
            actor=UserFactory(organization=premium),
            subject="Meh",
            description="x",
            priority="low",
        )
        create_ticket(
            actor=UserFactory(organization=standard),
            subject="Down too",
            description="x",
            priority="high",
        )
    hot.refresh_from_db()
    due = hot.sla_due_at
    assert due == TUESDAY + timedelta(hours=4)
    for moment in (
        due - timedelta(minutes=121),
        due - timedelta(minutes=119),
        due - timedelta(minutes=60),
        due - timedelta(minutes=29),
    ):
        with time_machine.travel(moment, tick=False):
            run_all_sweeps(moment)
    run_pending_jobs()
    http_receiver.wait_for(1)
    texts = [r.json()["text"] for r in http_receiver.requests]
    assert len(texts) == 1
    assert f"#{hot.pk}" in texts[0] and "Umbrella" in texts[0] and "breaches in 119 min" in texts[0]


def test_seeding_demo_data_notifies_nobody():
    """`seed_demo` loads 200 tickets of history: no requester receipt, no TAM email is queued;
    a ticket created afterwards notifies as usual."""
    from django.core.management import call_command

    from switchboard.accounts.models import User
    from switchboard.notify.models import Delivery

    call_command("seed_demo")
    assert Delivery.objects.count() == 0
    customer = User.objects.get(email="customer@acme.test")
    create_ticket(
        actor=customer, subject="After the demo", description="Live now", requester=customer
    )
    assert Delivery.objects.filter(event="ticket.created").exists()
