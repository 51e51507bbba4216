"""POST /api/v2/tickets/{id}/merge and GET /api/v2/job_statuses/{id}: Zendesk's merge, with the
rule that another customer's conversation never becomes visible to a requester."""

from __future__ import annotations

import pytest

from switchboard.accounts.tests.factories import AgentFactory, OrganizationFactory, UserFactory
from switchboard.api.models import JobStatus
from switchboard.api.tests.conftest import client_for
from switchboard.tickets.actions.create import create_ticket
from switchboard.tickets.models import Comment, Ticket, TicketAudit

SECRET = "acme-private-build-token-7731"


@pytest.fixture
def acme_user(org):
    return UserFactory(email="ann@acme.test", name="Ann Acme", organization=org)


@pytest.fixture
def globex_user(db):
    globex = OrganizationFactory(name="Globex")
    return UserFactory(email="gil@globex.test", name="Gil Globex", organization=globex)


def _ticket(requester, subject: str, body: str) -> Ticket:
    return create_ticket(actor=requester, subject=subject, description=body)


def _merge(api, target, **body):
    return api.post(f"tickets/{target.pk}/merge", body)


def test_cross_org_merge_keeps_the_conversation_internal(agent_api, acme_user, globex_user):
    """Merging an Acme ticket into a Globex ticket answers a completed job status; Globex's
    requester never sees Acme's words (comments or attachments), and Acme's requester gains no
    access to the Globex ticket."""
    # given
    source = _ticket(acme_user, "Build broken", f"Our token {SECRET} stopped working")
    target = _ticket(globex_user, "Builds failing", "Since this morning")
    # when
    response = _merge(agent_api, target, ids=[source.pk])
    # then
    assert response.status_code == 200, response.content
    job = response.json()["job_status"]
    assert job["status"] == "completed" and job["total"] == 1 and job["progress"] == 1
    assert job["results"] == [
        {"id": source.pk, "action": "merge", "status": "Merged", "success": True}
    ]
    assert job["url"].endswith(f"/api/v2/job_statuses/{job['id']}.json")
    source.refresh_from_db()
    assert source.status == "closed" and source.merged_into_id == target.pk
    assert not source.merged_comments_public

    globex_api = client_for(globex_user)
    comments = globex_api.get(f"tickets/{target.pk}/comments").json()["comments"]
    assert SECRET not in str(comments)
    assert all(c["ticket_id"] == target.pk for c in comments)
    assert SECRET not in globex_api.get(f"tickets/{target.pk}").content.decode()

    acme_api = client_for(acme_user)
    assert acme_api.get(f"tickets/{target.pk}").status_code == 404
    assert acme_api.get(f"tickets/{target.pk}/comments").status_code == 404
    own = acme_api.get(f"tickets/{source.pk}/comments").json()["comments"]
    assert "Builds failing" not in str(own) and "Since this morning" not in str(own)
    assert all(not c["public"] or c["ticket_id"] == source.pk for c in own)

    # agents see the carried comments, marked internal on the target
    agent_view = agent_api.get(f"tickets/{target.pk}/comments").json()["comments"]
    carried = [c for c in agent_view if SECRET in c["body"]]
    assert len(carried) == 1 and carried[0]["public"] is False


def test_cross_org_merge_refuses_public_comments_and_writes_nothing(
    agent_api, acme_user, globex_user
):
    """Asking for public merge comments across organizations is a 422; nothing changes."""
    source = _ticket(acme_user, "Build broken", "details")
    target = _ticket(globex_user, "Builds failing", "details")
    comments, audits = Comment.objects.count(), TicketAudit.objects.count()
    for flag in ("target_comment_is_public", "source_comment_is_public"):
        response = _merge(agent_api, target, ids=[source.pk], **{flag: True})
        assert response.status_code == 422
        assert flag in response.json()["details"]
    source.refresh_from_db()
    assert source.status != "closed" and source.merged_into_id is None
    assert Comment.objects.count() == comments and TicketAudit.objects.count() == audits
    assert not JobStatus.objects.exists()


def test_same_org_merge_is_internal_by_default_and_may_be_public(agent_api, org, acme_user):
    """Different requesters of one organization: internal unless the agent says public."""
    colleague = UserFactory(email="cy@acme.test", organization=org)
    first = _ticket(acme_user, "One", "first words")
    second = _ticket(colleague, "Two", "second words")
    target = _ticket(colleague, "Main", "main words")
    assert _merge(agent_api, target, ids=[first.pk]).status_code == 200
    first.refresh_from_db()
    assert not first.merged_comments_public
    note = Comment.objects.filter(ticket=first).order_by("pk").last()
    assert not note.public and "Main" not in note.body  # no target subject for another requester
    response = _merge(
        agent_api,
        target,
        ids=[second.pk],
        target_comment="Merged the duplicate.",
        target_comment_is_public=True,
        source_comment=f"Continued in #{target.pk}.",
        source_comment_is_public=True,
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.merged_comments_public
    bodies = [
        c["body"]
        for c in client_for(colleague).get(f"tickets/{target.pk}/comments").json()["comments"]
    ]
    assert "second words" in bodies and "Merged the duplicate." in bodies
    assert "first words" not in bodies
    assert Comment.objects.filter(
        ticket=second, body=f"Continued in #{target.pk}.", public=True
    ).exists()


def test_same_requester_merge_is_public_by_default(agent_api, acme_user):
    """One requester's own tickets: the carried conversation stays theirs to read."""
    source = _ticket(acme_user, "Dup", "duplicate words")
    target = _ticket(acme_user, "Main", "main words")
    assert _merge(agent_api, target, ids=[source.pk]).status_code == 200
    bodies = [
        c["body"]
        for c in client_for(acme_user).get(f"tickets/{target.pk}/comments").json()["comments"]
    ]
    assert "duplicate words" in bodies


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": [True]},
        {"ids": ["1"]},
        {"ids": [2**64]},
        {"ids": [1, 2, 3, 4, 5, 6]},
        {"ids": [1], "target_comment_is_public": "yes"},
        {"ids": [1], "source_comment": 5},
    ],
)
def test_merge_rejects_bad_input(agent_api, acme_user, body):
    """Malformed bodies are 4xx and write nothing."""
    target = _ticket(acme_user, "Main", "words")
    before = Comment.objects.count()
    response = _merge(agent_api, target, **body)
    assert 400 <= response.status_code < 500, response.content
    assert Comment.objects.count() == before and not JobStatus.objects.exists()


def test_merge_errors(agent_api, customer_api, acme_user):
    """Unknown ids and self-merges are 422, a missing target 404, end users 403."""
    source = _ticket(acme_user, "Dup", "words")
    target = _ticket(acme_user, "Main", "words")
    assert _merge(agent_api, target, ids=[999999]).status_code == 422
    assert _merge(agent_api, target, ids=[target.pk]).status_code == 422
    assert agent_api.post("tickets/999999/merge", {"ids": [source.pk]}).status_code == 404
    assert _merge(customer_api, target, ids=[source.pk]).status_code == 403
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_job_status_is_readable_by_its_owner_only(agent_api, admin_api, acme_user):
    """GET /job_statuses/{id} (with or without .json) shows the stored job to who started it."""
    source = _ticket(acme_user, "Dup", "words")
    target = _ticket(acme_user, "Main", "words")
    job = _merge(agent_api, target, ids=[source.pk]).json()["job_status"]
    for path in (f"job_statuses/{job['id']}", f"job_statuses/{job['id']}.json"):
        shown = agent_api.get(path)
        assert shown.status_code == 200 and shown.json()["job_status"] == job
    assert admin_api.get(f"job_statuses/{job['id']}").status_code == 200
    other = client_for(AgentFactory())
    assert other.get(f"job_statuses/{job['id']}").status_code == 404
    assert agent_api.get("job_statuses/0123456789abcdef0123456789abcdef").status_code == 404


def test_job_statuses_expire(agent_api, acme_user):
    """A job status is deleted by the sweeper a day after the merge; then it is a 404."""
    from datetime import timedelta

    from django.utils import timezone

    from switchboard.core.sweeps import run_all_sweeps

    source = _ticket(acme_user, "Dup", "words")
    target = _ticket(acme_user, "Main", "words")
    job = _merge(agent_api, target, ids=[source.pk]).json()["job_status"]
    run_all_sweeps(timezone.now() + timedelta(hours=23))
    assert agent_api.get(f"job_statuses/{job['id']}").status_code == 200
    run_all_sweeps(timezone.now() + timedelta(days=1, minutes=1))
    assert agent_api.get(f"job_statuses/{job['id']}").status_code == 404
