"""Fixtures for the API tests: users with API tokens and a JSON client that sends them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from switchboard.accounts import actions as account_actions
from switchboard.accounts.tests.factories import (
    AdminFactory,
    AgentFactory,
    OrganizationFactory,
    UserFactory,
)


class ApiClient:
    """Django's test client speaking JSON to /api/v2/ with Basic email/token auth."""

    def __init__(self, user: Any = None, token: str | None = None, **headers: str) -> None:
        self.user = user
        self.token = token
        self.client = Client()
        self.headers = dict(headers)
        if user is not None and token is not None:
            raw = f"{user.email}/token:{token}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        raw: bytes | str | None = None,
        **params: Any,
    ):
        url = path if path.startswith("/") else f"/api/v2/{path}"
        kwargs: dict[str, Any] = {"headers": self.headers}
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        if params:
            kwargs["QUERY_STRING"] = "&".join(f"{k}={v}" for k, v in params.items())
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path: str, **params: Any):
        return self.request("GET", path, **params)

    def post(self, path: str, data: Any = None, **kw: Any):
        return self.request("POST", path, data, **kw)

    def put(self, path: str, data: Any = None, **kw: Any):
        return self.request("PUT", path, data, **kw)

    def delete(self, path: str, data: Any = None, **kw: Any):
        return self.request("DELETE", path, data, **kw)


def client_for(user: Any) -> ApiClient:
    token, _ = account_actions.issue_api_token(user=user, name="tests")
    return ApiClient(user, token)


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme", support_level="priority")


@pytest.fixture
def customer(org):
    return UserFactory(email="cara@acme.test", name="Cara Customer", organization=org)


@pytest.fixture
def agent_user(db):
    return AgentFactory(name="Alex Agent")


@pytest.fixture
def admin(db):
    return AdminFactory(name="Ada Admin")


@pytest.fixture
def agent_api(agent_user):
    return client_for(agent_user)


@pytest.fixture
def admin_api(admin):
    return client_for(admin)


@pytest.fixture
def customer_api(customer):
    return client_for(customer)


# Own rows rather than the shipped ones: a transactional test elsewhere in the session flushes
# the rows data migrations created.
@pytest.fixture
def macro(db):
    from switchboard.tickets.models import Macro

    return Macro.objects.create(
        title="API test: prove entitlement",
        actions=[
            {
                "field": "comment_value",
                "value": "Hi {{ticket.requester.name}}, please prove "
                "your support entitlement for #{{ticket.id}}.",
            },
            {"field": "comment_mode_is_public", "value": True},
            {"field": "status", "value": "pending"},
            {"field": "current_tags", "value": "entitlement_unverified"},
        ],
    )


@pytest.fixture
def new_tickets_view(db):
    from switchboard.tickets.models import View

    return View.objects.create(
        title="API test: new tickets",
        conditions={"all": [{"field": "status", "operator": "is", "value": "new"}]},
    )
