"""Notifications from a Mastodon client: Baraka follows, mentions, favourites and boosts
Amina; she reads, filters, pages, dismisses and clears what she was told."""

from __future__ import annotations

import re

import pytest
from mastodon import Mastodon, MastodonNotFoundError

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]
_LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')
NOTIFICATION_KEYS = {"id", "type", "group_key", "created_at", "account", "status"}


async def _story(ke: Instance) -> tuple[Mastodon, Mastodon, dict[str, str]]:
    """Baraka follows Amina, answers her question, favourites and boosts it."""
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    await call(baraka.account_follow, amina_id)
    question = await call(amina.status_post, "Who has spare chalk?")
    await call(baraka.status_post, "@amina I do", in_reply_to_id=question)
    await call(baraka.status_favourite, question)
    await call(baraka.status_reblog, question)
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    return amina, baraka, {"question": str(question["id"]), "baraka": str(baraka_id)}


async def test_amina_hears_of_follows_mentions_favourites_and_boosts(ke: Instance) -> None:
    amina, _, ids = await _story(ke)
    found = await call(amina.notifications)
    assert [n["type"] for n in found] == ["reblog", "favourite", "mention", "follow"]
    assert all(n["account"]["acct"] == "baraka" for n in found)
    assert str(found[0]["status"]["id"]) == ids["question"]
    assert found[3]["status"] is None

    raw = await ke.client.get("/api/v1/notifications", headers=await headers(ke, "amina"))
    for notification in raw.json():
        assert set(notification) == NOTIFICATION_KEYS
        assert notification["id"].isdigit()
        assert notification["group_key"] == f"ungrouped-{notification['id']}"
    one = await call(amina.notifications, id=found[2]["id"])
    assert one["type"] == "mention"


async def test_filters_by_type_and_account(ke: Instance) -> None:
    amina, _, ids = await _story(ke)
    mentions = await call(amina.notifications, types=["mention"])
    assert [n["type"] for n in mentions] == ["mention"]
    no_likes = await call(amina.notifications, exclude_types=["favourite", "reblog", "poll"])
    assert [n["type"] for n in no_likes] == ["mention", "follow"]
    from_baraka = await call(amina.notifications, account_id=ids["baraka"])
    assert len(from_baraka) == 4
    never_sent = await call(amina.notifications, types=["admin.sign_up"])
    assert never_sent == []  # a type Mastodon has and Jamii never sends: nothing, no error
    refused = await ke.client.get(
        "/api/v1/notifications",
        params={"types[]": "poke"},
        headers=await headers(ke, "amina"),
    )
    assert refused.status_code == 422
    assert "poke" in refused.json()["error"]


async def test_notifications_page_with_links_that_keep_the_filters(ke: Instance) -> None:
    amina, _, _ = await _story(ke)
    auth = await headers(ke, "amina")
    first = await ke.client.get(
        "/api/v1/notifications",
        params={"limit": 1, "exclude_types[]": ["follow"]},
        headers=auth,
    )
    [only] = first.json()
    found = {rel: url for url, rel in _LINK.findall(first.headers["link"])}
    assert found["next"] == (
        f"{ke.url}/api/v1/notifications?limit=1&exclude_types%5B%5D=follow&max_id={only['id']}"
    )
    assert found["prev"].endswith(f"&min_id={only['id']}")
    page = await call(amina.notifications, limit=1, exclude_types=["follow"])
    seen = [n["type"] for n in page]
    while (page := await call(amina.fetch_next, page)) is not None:
        seen += [n["type"] for n in page]
    assert seen == ["reblog", "favourite", "mention"]


async def test_dismiss_and_clear(ke: Instance) -> None:
    amina, baraka, _ = await _story(ke)
    found = await call(amina.notifications)
    await call(amina.notifications_dismiss, found[0]["id"])
    assert len(await call(amina.notifications)) == 3
    with pytest.raises(MastodonNotFoundError):
        await call(amina.notifications, id=found[0]["id"])
    # Someone else's notification is as unknown as a missing one.
    with pytest.raises(MastodonNotFoundError):
        await call(baraka.notifications_dismiss, found[1]["id"])
    await call(amina.notifications_clear)
    assert await call(amina.notifications) == []
