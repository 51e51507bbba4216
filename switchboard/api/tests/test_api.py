"""The Zendesk-compatible REST API through Django's test client: auth, error shapes, tickets,
people, pagination, query counts and rate limits."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import AccountAuditEvent, Organization, OrgSharing, User
from switchboard.accounts.tests.factories import AgentFactory, UserFactory
from switchboard.api.tests.conftest import ApiClient, client_for
from switchboard.api.zendesk.render import iso
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment, Ticket, TicketField

pytestmark = pytest.mark.django_db


def make_ticket(requester, actor=None, **kw):
    kw.setdefault("subject", "Runner stuck")
    kw.setdefault("description", "Pipelines hang.")
    if actor is None:
        # Tags and the like are for agents to set: such tickets are opened by the system.
        agent_only = {"tags", "ticket_type", "external_id", "ccs"} & set(kw)
        actor = SYSTEM if agent_only else requester
    return create_ticket(actor=actor, requester=requester, **kw)


def basic(user_or_email, secret):
    email = getattr(user_or_email, "email", user_or_email)
    return "Basic " + base64.b64encode(f"{email}{secret}".encode()).decode()


# --- auth --------------------------------------------------------------------------------------


def test_token_in_basic_and_bearer_authenticate(agent_user):
    """email/token:TOKEN over Basic and the bare token over Bearer both identify the agent."""
    from switchboard.accounts.actions import issue_api_token

    token, _ = issue_api_token(user=agent_user)
    for header in (basic(agent_user, f"/token:{token}"), f"Bearer {token}"):
        response = ApiClient(Authorization=header).get("users/me.json")
        assert response.status_code == 200
        assert response.json()["user"]["id"] == agent_user.pk


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer nope",
        "Basic !!!notbase64",
        "Token abc",
        "WRONG-EMAIL",
        "PASSWORD",
    ],
)
def test_wrong_credentials_answer_401(agent_user, header):
    """Missing, unknown or mismatched credentials are 401 with Zendesk's message."""
    from switchboard.accounts.actions import issue_api_token

    token, _ = issue_api_token(user=agent_user)
    if header == "WRONG-EMAIL":
        header = basic("someone@else.test", f"/token:{token}")
    elif header == "PASSWORD":
        header = basic(agent_user, ":pw-for-tests-123")
    client = ApiClient(**({"Authorization": header} if header else {}))
    response = client.get("tickets.json")
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_password_auth_only_when_enabled_and_only_for_agents(settings, agent_user, customer):
    """Basic email:password works for agents once SWITCHBOARD_API_PASSWORD_AUTH is on."""
    settings.SWITCHBOARD_API_PASSWORD_AUTH = True
    ok = ApiClient(Authorization=basic(agent_user, ":pw-for-tests-123")).get("users/me")
    assert ok.status_code == 200
    bad = ApiClient(Authorization=basic(agent_user, ":wrong")).get("users/me")
    assert bad.status_code == 401
    end_user = ApiClient(Authorization=basic(customer, ":pw-for-tests-123")).get("users/me")
    assert end_user.status_code == 401


def test_revoked_token_and_deactivated_user_are_refused(agent_user):
    from switchboard.accounts.actions import issue_api_token

    token, record = issue_api_token(user=agent_user)
    record.revoked_at = record.created_at
    record.save()
    assert ApiClient(Authorization=f"Bearer {token}").get("users/me").status_code == 401


# --- error shapes and paths --------------------------------------------------------------------


def test_missing_and_forbidden_tickets_look_the_same(customer_api, org, agent_user):
    """Another customer's ticket and a ticket that does not exist are both RecordNotFound."""
    other = UserFactory(email="olga@other.test")
    hidden = make_ticket(other)
    for ticket_id in (hidden.pk, 999_999):
        response = customer_api.get(f"tickets/{ticket_id}.json")
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_forbidden_shape_for_end_user_on_agent_endpoint(customer_api):
    response = customer_api.get("users.json")
    assert response.status_code == 403
    body = response.json()
    assert set(body["error"]) == {"title", "message"}


def test_every_path_with_and_without_json_and_no_slash_redirects(agent_api, customer):
    ticket = make_ticket(customer)
    for path in (
        "tickets",
        f"tickets/{ticket.pk}",
        f"tickets/{ticket.pk}/comments",
        "users/me",
        "views",
        "macros",
        "ticket_fields",
        "tags",
        "organizations",
        "slas/policies",
    ):
        plain = agent_api.get(path)
        suffixed = agent_api.get(path + ".json")
        assert plain.status_code == suffixed.status_code == 200, path
    slashed = agent_api.get("tickets/")
    assert slashed.status_code == 404 and slashed.json()["error"] == "InvalidEndpoint"


def test_validation_error_shape(agent_api, customer):
    response = agent_api.post(
        "tickets.json",
        {"ticket": {"subject": "", "comment": {"body": "x"}, "requester_id": customer.pk}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "subject": [{"description": "subject: cannot be blank.", "error": "BlankValue"}]
        },
    }


# --- tickets -----------------------------------------------------------------------------------


def test_create_ticket_returns_201_location_and_audit_from_the_database(
    agent_api, customer, agent_user
):
    field = TicketField.objects.create(title="Version", key="version_cf", field_type="text")
    response = agent_api.post(
        "tickets.json",
        {
            "ticket": {
                "subject": "Runner stuck",
                "comment": {"body": "Pipelines hang at pending."},
                "requester_id": customer.pk,
                "priority": "high",
                "type": "incident",
                "tags": ["runner", "ci"],
                "assignee_id": agent_user.pk,
                "custom_fields": [{"id": field.pk, "value": "17.1"}],
            }
        },
    )
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(pk=body["ticket"]["id"])
    assert response["Location"] == f"http://testserver/api/v2/tickets/{ticket.pk}.json"
    t = body["ticket"]
    assert t["url"] == response["Location"]
    assert (t["subject"], t["priority"], t["type"], t["status"]) == (
        ticket.subject,
        ticket.priority,
        ticket.ticket_type,
        ticket.status,
    )
    assert t["requester_id"] == customer.pk and t["submitter_id"] == agent_user.pk
    assert t["assignee_id"] == agent_user.pk and t["organization_id"] == customer.organization_id
    assert t["tags"] == ticket.tag_names() == ["ci", "runner"]
    assert t["via"]["channel"] == "api" == ticket.channel
    assert t["created_at"] == iso(ticket.created_at) and t["created_at"].endswith("Z")
    assert {"id": field.pk, "value": "17.1"} in t["custom_fields"]
    audit = ticket.audits.get()
    assert body["audit"]["id"] == audit.pk
    events = body["audit"]["events"]
    assert [e["id"] for e in events] == list(
        audit.events.order_by("pk").values_list("pk", flat=True)
    )
    assert {"type": "Create", "field_name": "priority", "value": "high"} in [
        {k: e[k] for k in ("type", "field_name", "value")} for e in events if e["type"] == "Create"
    ]
    assert events[-1]["type"] == "Comment" and events[-1]["body"] == "Pipelines hang at pending."


def test_update_is_partial_and_adds_public_and_private_comments(agent_api, customer, agent_user):
    ticket = make_ticket(customer, priority="low", tags=["keep"])
    r1 = agent_api.put(
        f"tickets/{ticket.pk}.json",
        {"ticket": {"priority": "urgent", "comment": {"body": "On it.", "public": True}}},
    )
    r2 = agent_api.put(
        f"tickets/{ticket.pk}",
        {"ticket": {"status": "pending", "comment": {"body": "Internal.", "public": False}}},
    )
    assert r1.status_code == r2.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.subject) == ("urgent", "pending", "Runner stuck")
    assert ticket.tag_names() == ["keep"]
    changes = {
        (e["field_name"], e.get("previous_value"), e["value"])
        for e in r2.json()["audit"]["events"]
        if e["type"] == "Change"
    }
    assert ("status", "open", "pending") in changes
    comments = list(
        Comment.objects.filter(ticket=ticket).order_by("pk").values_list("body", "public")
    )
    assert comments[-2:] == [("On it.", True), ("Internal.", False)]


def test_comments_hide_internal_notes_from_end_users(agent_api, customer_api, customer, agent_user):
    ticket = make_ticket(customer)
    add_comment(ticket=ticket, author=agent_user, body="secret note", public=False)
    add_comment(ticket=ticket, author=agent_user, body="public reply", public=True)
    agent_bodies = [
        c["body"] for c in agent_api.get(f"tickets/{ticket.pk}/comments.json").json()["comments"]
    ]
    customer_bodies = [
        c["body"] for c in customer_api.get(f"tickets/{ticket.pk}/comments").json()["comments"]
    ]
    assert "secret note" in agent_bodies and "secret note" not in customer_bodies
    assert customer_bodies == ["Pipelines hang.", "public reply"]


def test_end_user_sees_only_their_tickets_in_lists_and_show_many(customer_api, customer):
    mine = make_ticket(customer)
    other = make_ticket(UserFactory(email="zed@other.test"))
    listed = [t["id"] for t in customer_api.get("tickets.json").json()["tickets"]]
    assert listed == [mine.pk]
    many = customer_api.get("tickets/show_many.json", ids=f"{mine.pk},{other.pk}").json()
    assert [t["id"] for t in many["tickets"]] == [mine.pk]


def test_delete_ticket_is_for_admins(agent_api, admin_api, customer):
    ticket = make_ticket(customer)
    assert agent_api.delete(f"tickets/{ticket.pk}.json").status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    response = admin_api.delete(f"tickets/{ticket.pk}.json")
    assert response.status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert AccountAuditEvent.objects.filter(field="ticket_deleted").count() == 1


def test_ticket_tags_endpoints(agent_api, customer):
    ticket = make_ticket(customer, tags=["a"])
    assert agent_api.get(f"tickets/{ticket.pk}/tags").json() == {"tags": ["a"]}
    assert agent_api.put(f"tickets/{ticket.pk}/tags.json", {"tags": ["b"]}).json() == {
        "tags": ["a", "b"]
    }
    assert agent_api.post(f"tickets/{ticket.pk}/tags", {"tags": ["c", "d"]}).json() == {
        "tags": ["c", "d"]
    }
    assert agent_api.delete(f"tickets/{ticket.pk}/tags", {"tags": ["c"]}).json() == {"tags": ["d"]}
    assert Ticket.objects.get(pk=ticket.pk).tag_names() == ["d"]


# --- users and organizations -------------------------------------------------------------------


def test_user_crud(agent_api, admin_api, org):
    created = agent_api.post(
        "users.json",
        {"user": {"name": "Nina", "email": "Nina@Acme.test", "organization_id": org.pk}},
    )
    assert created.status_code == 201
    user = User.objects.get(email="nina@acme.test")
    assert created.json()["user"]["role"] == "end-user" and user.organization == org
    assert (
        agent_api.post(
            "users", {"user": {"name": "X", "email": "y@z.test", "role": "admin"}}
        ).status_code
        == 403
    )
    updated = agent_api.put(f"users/{user.pk}.json", {"user": {"name": "Nina N", "phone": "+31 6"}})
    assert updated.status_code == 200 and User.objects.get(pk=user.pk).name == "Nina N"
    assert admin_api.delete(f"users/{user.pk}.json").json()["user"]["active"] is False
    assert not User.objects.get(pk=user.pk).is_active


def test_end_user_sees_only_themselves(customer_api, customer, agent_user):
    assert customer_api.get(f"users/{customer.pk}").status_code == 200
    assert customer_api.get(f"users/{agent_user.pk}").status_code == 404


def test_organization_crud_maps_shared_flags(admin_api, agent_api):
    response = admin_api.post(
        "organizations.json",
        {
            "organization": {
                "name": "Globex",
                "domain_names": ["globex.test"],
                "shared_tickets": True,
                "shared_comments": False,
                "notes": "VIP",
                "details": "HQ in Springfield",
                "organization_fields": {"support_level": "priority", "preferred_region": "emea"},
            }
        },
    )
    assert response.status_code == 201
    org = Organization.objects.get(name="Globex")
    assert (org.sharing, org.support_level, org.preferred_region, org.notes) == (
        OrgSharing.VIEW_ALL,
        "priority",
        "emea",
        "VIP",
    )
    assert org.domain_names == ["globex.test"]
    body = response.json()["organization"]
    assert (body["shared_tickets"], body["shared_comments"]) == (True, False)
    assert (
        agent_api.put(f"organizations/{org.pk}", {"organization": {"notes": "x"}}).status_code
        == 403
    )
    upd = admin_api.put(f"organizations/{org.pk}.json", {"organization": {"shared_comments": True}})
    assert (
        upd.status_code == 200
        and Organization.objects.get(pk=org.pk).sharing == OrgSharing.VIEW_COMMENT_ALL
    )
    member = User.objects.create(email="homer@globex.test", organization=org)
    assert admin_api.delete(f"organizations/{org.pk}.json").status_code == 204
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert User.objects.get(pk=member.pk).organization_id is None
    assert AccountAuditEvent.objects.filter(user=member, field="organization_id").exists()
    assert AccountAuditEvent.objects.filter(field="organization_deleted").exists()


# --- pagination and query counts ---------------------------------------------------------------


def test_offset_pagination_links_are_absolute(agent_api, customer):
    for i in range(5):
        make_ticket(customer, subject=f"T{i}")
    first = agent_api.get("tickets.json", per_page=2).json()
    assert first["count"] == 5 and len(first["tickets"]) == 2
    assert first["next_page"].startswith("http://testserver/api/v2/tickets.json?")
    assert first["previous_page"] is None
    second = agent_api.client.get(first["next_page"], headers=agent_api.headers).json()
    assert second["previous_page"].startswith("http://testserver/api/v2/tickets.json?")
    last = agent_api.client.get(second["next_page"], headers=agent_api.headers).json()
    assert len(last["tickets"]) == 1 and last["next_page"] is None


def test_cursor_pagination_walks_everything_once(agent_api, customer):
    ids = sorted(make_ticket(customer, subject=f"T{i}").pk for i in range(7))
    seen, url = [], "/api/v2/tickets.json?page%5Bsize%5D=3"
    while url:
        body = agent_api.client.get(url, headers=agent_api.headers).json()
        seen += [t["id"] for t in body["tickets"]]
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert seen == ids


def test_bad_cursor_is_400(agent_api):
    response = agent_api.get("tickets.json", **{"page[after]": "forged"})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


@pytest.mark.parametrize(
    "path", ["tickets.json", "users.json", "organizations.json", "search.json"]
)
def test_list_queries_do_not_grow_with_rows(agent_api, customer, path):
    """Listing 5 or 50 rows runs the same number of queries (no N+1)."""

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            params = {"query": "type:ticket"} if path == "search.json" else {}
            assert agent_api.get(path, **params).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for i in range(n):
            t = make_ticket(customer, subject=f"S{i}", tags=["a", "b"])
            t.ccs.add(customer)
            User.objects.create(  # not the factory: it hashes a password, slowly
                email=f"m{User.objects.count()}@acme.test", organization=customer.organization
            )
            Organization.objects.create(name=f"Org {path} {i} {Ticket.objects.count()}")

    add(5)
    count_queries()  # warm-up: the token's first use records last_used_at
    small = count_queries()
    add(45)
    assert count_queries() == small


# --- rate limits -------------------------------------------------------------------------------


def test_rate_limit_headers_and_429(settings, agent_user):
    settings.SWITCHBOARD_API_RATE_LIMIT = 3
    client = client_for(agent_user)
    remaining = []
    for _ in range(3):
        response = client.get("users/me.json")
        assert response.status_code == 200 and response["X-Rate-Limit"] == "3"
        remaining.append(int(response["X-Rate-Limit-Remaining"]))
    assert remaining == [2, 1, 0]
    limited = client.get("users/me.json")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    # another user has their own budget
    assert client_for(AgentFactory()).get("users/me").status_code == 200


def test_rate_limit_headers_on_refusals_too(agent_api):
    """401s and unknown endpoints carry the headers as well (counted per client address)."""
    for response in (ApiClient().get("tickets.json"), agent_api.get("no/such/thing")):
        assert response.status_code in (401, 404)
        assert response["X-Rate-Limit"] == "700" and "X-Rate-Limit-Remaining" in response


# --- schema and docs ---------------------------------------------------------------------------


def test_openapi_schema_and_docs_page(client):
    schema = client.get("/api/v2/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v2/tickets", "/api/v2/tickets/{ticket_id}", "/api/v2/search"} <= set(paths)
    schemes = schema.json()["components"]["securitySchemes"].values()
    assert {s["scheme"] for s in schemes} == {"basic", "bearer"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def test_anonymous_rate_limit_keys_on_the_client_behind_a_trusted_proxy(settings):
    """Behind a configured proxy each client has its own budget (not one bucket for everyone),
    and a client cannot pick a fresh bucket by forging X-Forwarded-For hops."""
    settings.SWITCHBOARD_API_RATE_LIMIT = 2
    settings.SWITCHBOARD_TRUSTED_PROXIES = ["10.0.0.0/8"]

    def anonymous(forwarded_for):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for).get(
            "/api/v2/tickets.json"
        )

    assert [anonymous("198.51.100.1").status_code for _ in range(2)] == [401, 401]
    assert anonymous("198.51.100.1").status_code == 429
    assert anonymous("7.7.7.7, 198.51.100.1").status_code == 429  # forged hop on the left
    assert anonymous("198.51.100.2").status_code == 401  # another client, its own budget


def test_without_trusted_proxies_forwarded_for_is_ignored(settings):
    settings.SWITCHBOARD_API_RATE_LIMIT = 1
    settings.SWITCHBOARD_TRUSTED_PROXIES = []
    first = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.1.1.1")
    second = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert first.get("/api/v2/tickets.json").status_code == 401
    assert second.get("/api/v2/tickets.json").status_code == 429
