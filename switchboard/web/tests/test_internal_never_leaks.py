"""Internal text never reaches an end-user, on any output path (issue #11, item 1).

A unique secret is planted in every internal-only place — an internal note as the first comment
(the ticket's `description`), a later internal note, a custom field hidden from the portal, a tag
(tags are not shown to end-users), the organization's notes (copied onto the ticket as an
internal note), `external_id`, and internal audit values (a hidden field's change, tag changes
made by a trigger in the same request) — and every output path is walked as end-users of the
same organization under all five sharing settings and as an end-user of another organization:
the API (tickets, show_many, search, comments, tags, organizations, users/me, views, exports,
the audit of an update), the portal pages, trigger emails to the requester, CCs and named users,
and a customer-facing webhook.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from switchboard.accounts.models import OrgSharing, PersonalAccess
from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)
from switchboard.api.tests.conftest import client_for
from switchboard.notify.models import Delivery
from switchboard.notify.outbox.endpoints import create_endpoint
from switchboard.notify.rules.models import Trigger
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import TicketField

pytestmark = pytest.mark.django_db

SECRET = "zebrasecret"  # every planted secret starts with this
PUBLIC_REPLY = "Please restart the print spooler"


def _plant(sharing: str) -> dict:
    """An Acme ticket with a secret in every internal-only place, and the people who look."""
    org = OrganizationFactory(name="Acme", sharing=sharing, notes=f"{SECRET}orgnote VIP account")
    other_org = OrganizationFactory(name="Globex", sharing=OrgSharing.VIEW_COMMENT_ALL)
    requester = UserFactory(email="req@acme.test", organization=org)
    colleague = UserFactory(email="col@acme.test", organization=org)
    selected = UserFactory(
        email="sel@acme.test", organization=org, ticket_access=PersonalAccess.VIEW_COMMENT_ALL
    )
    cc = UserFactory(email="cc@globex.test", organization=other_org)
    stranger = UserFactory(
        email="eve@globex.test",
        organization=other_org,
        ticket_access=PersonalAccess.VIEW_COMMENT_ALL,
    )
    agent = AgentFactory()
    hidden = TicketField.objects.create(
        title="Churn risk", key="churn_risk", visible_in_portal=False
    )
    shown = TicketField.objects.create(title="Version", key="version_seen", visible_in_portal=True)
    endpoint = create_endpoint(
        actor=AdminFactory(),
        name="Customer status feed",
        kind="webhook",
        url="https://hooks.acme.test/switchboard",
    )
    people = [requester, colleague, selected, cc, stranger]
    Trigger.objects.create(
        title="Tag and tell everyone",
        events=["ticket.commented", "ticket.updated"],
        actions=[
            {"type": "add_tags", "value": [f"{SECRET}tag2"]},
            *[
                {
                    "type": t,
                    "template": "rules/requester_reply",
                    "subject": "{{ ticket.subject }}: {{ ticket.description }} {{ comment.body }}",
                }
                for t in ("email_requester", "email_ccs")
            ],
            *[
                {
                    "type": "email_user",
                    "value": p.email,
                    "template": "rules/agent_notice",
                    "subject": "{{ ticket.description }} {{ comment.body }}",
                }
                for p in people
            ],
            {
                "type": "notify_endpoint",
                "endpoint": endpoint.name,
                "audience": "requester",
                "message": "{{ ticket.description }} | {{ comment.body }} | {{ comment.author }}",
            },
        ],
    )
    ticket = create_ticket(
        actor=agent,
        requester=requester,
        subject="Printer jam",
        description=f"{SECRET}desc: customer is about to churn, do not tell them",
        public=False,
        tags=[f"{SECRET}tag1"],
        ccs=[cc],
        custom_fields={str(hidden.pk): f"{SECRET}field", str(shown.pk): "16.4"},
        external_id=f"{SECRET}ext",
    )
    add_comment(ticket=ticket, author=agent, body=PUBLIC_REPLY, public=True)
    add_comment(ticket=ticket, author=agent, body=f"{SECRET}note: refund?", public=False)
    update_ticket(ticket=ticket, actor=agent, custom_fields={str(hidden.pk): f"{SECRET}audit"})
    return {
        "org": org,
        "ticket": ticket,
        "endpoint": endpoint,
        "viewers": {
            "requester": requester,
            "colleague": colleague,
            "selected": selected,
            "cc": cc,
            "other_org": stranger,
        },
        "shown": shown,
    }


def _walk(world: dict, user) -> dict[str, str]:
    """Every output this end-user can ask for or receive: path → text."""
    ticket, org = world["ticket"], world["org"]
    api = client_for(user)
    out: dict[str, str] = {}
    gets = [
        f"tickets/{ticket.pk}.json",
        "tickets.json",
        f"tickets/show_many.json?ids={ticket.pk}",
        f"tickets/{ticket.pk}/comments.json",
        f"tickets/{ticket.pk}/tags.json",
        f"tickets/{ticket.pk}/audits.json",
        "organizations.json",
        f"organizations/{org.pk}.json",
        "users/me.json",
        "views.json",
        "ticket_fields.json",
        "incremental/tickets.json?start_time=0",
        "incremental/tickets/cursor.json?start_time=0",
    ]
    for word in ("desc", "note", "field", "tag1", "tag2", "orgnote", "audit", "ext"):
        gets.append(f"search.json?query={SECRET}{word}")
    gets += ["search.json?query=printer", "search.json?query=type:ticket"]
    for path in gets:
        out[path] = api.get(path).content.decode()
    # An update the viewer is allowed to make: its audit comes back in the response, including
    # what a trigger did in the same request.
    reply = api.put(f"tickets/{ticket.pk}.json", {"ticket": {"comment": {"body": "Any news?"}}})
    out["PUT tickets"] = reply.content.decode()
    web = Client()
    web.force_login(user)
    out["portal home"] = web.get("/portal/").content.decode()
    out["portal ticket"] = web.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    mails = Delivery.objects.filter(recipient__iexact=user.email)
    out["emails"] = json.dumps([d.payload for d in mails])
    return out


VIEWERS = ("requester", "colleague", "selected", "cc", "other_org")
SEES = {  # which viewers may open the ticket at all, per sharing setting (the positive control)
    OrgSharing.OWN: {"requester", "selected", "cc"},
    OrgSharing.VIEW_ALL: {"requester", "colleague", "selected", "cc"},
    OrgSharing.VIEW_COMMENT_ALL: {"requester", "colleague", "selected", "cc"},
    OrgSharing.SELECTED_VIEW: {"requester", "selected", "cc"},
    OrgSharing.SELECTED_VIEW_COMMENT: {"requester", "selected", "cc"},
}


@pytest.mark.parametrize("sharing", list(OrgSharing.values))
def test_no_internal_secret_reaches_any_end_user_on_any_path(sharing):
    """Under every sharing setting, no end-user — requester, colleague, selected user, CC from
    another organization, stranger from another organization — gets a planted secret through
    any API endpoint, portal page, email or customer-facing webhook; those who may see the
    ticket do get its public reply and its portal-visible field."""
    world = _plant(sharing)
    for name in VIEWERS:
        user = world["viewers"][name]
        outputs = _walk(world, user)
        for path, text in outputs.items():
            assert SECRET not in text.lower(), f"{name} under {sharing} got a secret via {path}"
        if name in SEES[sharing]:
            assert PUBLIC_REPLY in outputs[f"tickets/{world['ticket'].pk}/comments.json"]
            assert PUBLIC_REPLY in outputs["portal ticket"]
            shown = json.loads(outputs[f"tickets/{world['ticket'].pk}.json"])["ticket"]
            assert {"id": world["shown"].pk, "value": "16.4"} in shown["custom_fields"]
            assert shown["description"] == PUBLIC_REPLY  # the first *public* comment
        else:
            assert '"error"' in outputs[f"tickets/{world['ticket'].pk}.json"]
    webhook = Delivery.objects.filter(endpoint=world["endpoint"])
    assert webhook.exists()
    for delivery in webhook:
        assert SECRET not in json.dumps(delivery.payload).lower()
    # The requester's emails exist and carry the public reply (so the check above is not empty).
    requester_mail = Delivery.objects.filter(recipient=world["viewers"]["requester"].email)
    assert any(PUBLIC_REPLY in json.dumps(d.payload) for d in requester_mail)
    assert Delivery.objects.filter(recipient=world["viewers"]["cc"].email).exists()
