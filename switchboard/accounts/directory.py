"""Groups, agents and organizations by name, for pickers (the rule row editors): one query per
list per request (`core.rule_editor.request_cache`), whatever the number of pickers."""

from __future__ import annotations

from typing import Any

from switchboard.accounts.models import Organization, Role, SupportGroup, User
from switchboard.core.rule_editor import Choices, request_cache

# Organizations offered by name in a picker; past this many (a very large directory) the first
# ones by name are offered and any other stays editable as JSON.
ORGANIZATION_CHOICES_LIMIT = 5000


def groups(request: Any) -> list[tuple[int, str]]:
    return request_cache(
        request,
        "groups",
        lambda: list(SupportGroup.objects.order_by("name").values_list("pk", "name")),
    )


def agents(request: Any) -> list[tuple[int, str, str]]:
    return request_cache(
        request,
        "agents",
        lambda: list(
            User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
            .order_by("name", "email")
            .values_list("pk", "name", "email")
        ),
    )


def organizations(request: Any) -> list[tuple[int, str]]:
    return request_cache(
        request,
        "organizations",
        lambda: list(
            Organization.objects.order_by("name").values_list("pk", "name")[
                :ORGANIZATION_CHOICES_LIMIT
            ]
        ),
    )


def group_names(request: Any) -> Choices:
    """Groups as the rule language names them: by name."""
    return [[name, name] for _, name in groups(request)]


def agent_emails(request: Any) -> Choices:
    """Agents as the rule language names them: by email, labelled with their name."""
    return [[email, f"{name} <{email}>" if name else email] for _, name, email in agents(request)]
