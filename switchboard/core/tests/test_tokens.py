"""One way to make, store and present a secret token (API tokens, feeds, booking and survey
links)."""

from __future__ import annotations

import pytest

from switchboard.core.tokens import bearer_token, hash_token, new_token


def test_tokens_are_random_and_stored_as_their_sha256():
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43  # 256 bits, URL-safe base64
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert len(hash_token(first)) == 64


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("  BEARER   abc  ", "abc"),
        ("Bearer", ""),
        ("Basic YTpi", None),
        ("", None),
        ("Bearerabc", None),
    ],
)
def test_bearer_token_reads_only_the_bearer_scheme(header, token):
    assert bearer_token(header) == token


def test_api_tokens_are_stored_as_hash_token(agent):
    """An API token is looked up by hash_token of what the client presents."""
    from switchboard.accounts.actions import issue_api_token, user_for_token

    token, record = issue_api_token(user=agent)
    assert record.token_hash == hash_token(token)
    assert user_for_token(token) == agent


def test_feed_tokens_of_oncall_and_calls_share_rotate_and_lookup(agent, admin_client):
    """Both calendar-feed tables are core.models.FeedToken: a rotation replaces the stored hash
    (the old token stops working), a lookup finds the row; the admin shows, never adds or edits."""
    from switchboard.calls.models import CallFeedToken, FeedKind
    from switchboard.oncall.models import UserCalendarFeed

    for model, owner in ((UserCalendarFeed, {}), (CallFeedToken, {"kind": FeedKind.MINE})):
        old = model.rotate(user=agent, **owner)
        new = model.rotate(user=agent, **owner)
        row = model.objects.get(user=agent)
        assert row.token_hash == hash_token(new)
        assert model.by_token(new) == row
        assert model.by_token(old) is None
        assert model.by_token("") is None and model.by_token("x" * 201) is None
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(base).status_code == 200
        assert admin_client.get(base + "add/").status_code == 403
        page = admin_client.get(f"{base}{row.pk}/change/")
        assert page.status_code == 200 and row.token_hash not in page.content.decode()
