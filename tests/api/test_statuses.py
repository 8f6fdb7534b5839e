"""Posting from a Mastodon client: Amina posts, edits, deletes; Baraka replies, favourites,
boosts and bookmarks — all through Mastodon.py against a served instance, with raw HTTP for
the refusals and headers a client library hides."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]

# https://docs.joinmastodon.org/entities/Status/ — the attributes every status carries.
STATUS_KEYS = {
    "id",
    "uri",
    "url",
    "created_at",
    "edited_at",
    "account",
    "content",
    "visibility",
    "sensitive",
    "spoiler_text",
    "media_attachments",
    "application",
    "mentions",
    "tags",
    "emojis",
    "reblogs_count",
    "favourites_count",
    "replies_count",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "reblog",
    "poll",
    "card",
    "language",
    "text",
    "favourited",
    "reblogged",
    "muted",
    "bookmarked",
    "pinned",
    "filtered",
}
STATUS_EDIT_KEYS = {
    "content",
    "spoiler_text",
    "sensitive",
    "created_at",
    "account",
    "poll",
    "media_attachments",
    "emojis",
}


async def test_amina_posts_edits_and_deletes_a_lesson_idea(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    posted = await call(
        amina.status_post,
        "Fractions with paper strips #maths",
        language="en",
        spoiler_text="Lesson plan",
    )
    assert posted["language"] == "en"
    assert posted["spoiler_text"] == "Lesson plan"
    assert posted["sensitive"] is True  # a content warning hides the post, as in Mastodon
    assert posted["tags"][0]["name"] == "maths"
    assert posted["account"]["acct"] == "amina"

    edited = await call(amina.status_update, posted["id"], "Fractions with paper strips, v2")
    assert "v2" in edited["content"]
    assert edited["edited_at"] is not None
    assert edited["spoiler_text"] == "Lesson plan"  # left out of the edit, so kept

    history = await call(amina.status_history, posted["id"])
    assert ["v2" in version["content"] for version in history] == [False, True]
    source = await call(amina.status_source, posted["id"])
    assert source["text"] == "Fractions with paper strips, v2"
    assert source["spoiler_text"] == "Lesson plan"

    deleted = await call(amina.status_delete, posted["id"])
    assert deleted["text"] == "Fractions with paper strips, v2"  # for delete-and-redraft
    with pytest.raises(MastodonNotFoundError):
        await call(amina.status, posted["id"])


async def test_an_idempotency_key_posts_once_per_teacher(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    first = await call(amina.status_post, "Field trip on Friday", idempotency_key="trip-1")
    again = await call(amina.status_post, "Field trip on Friday", idempotency_key="trip-1")
    other = await call(baraka.status_post, "Field trip on Friday", idempotency_key="trip-1")
    assert again["id"] == first["id"]
    assert other["id"] != first["id"]
    me = await call(amina.account_verify_credentials)
    assert me["statuses_count"] == 1


async def test_baraka_replies_favourites_boosts_and_bookmarks(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    question = await call(amina.status_post, "How do you teach fractions?")
    reply = await call(baraka.status_post, "@amina With paper strips", in_reply_to_id=question)
    assert reply["in_reply_to_id"] == question["id"]
    assert reply["mentions"][0]["acct"] == "amina"
    context = await call(amina.status_context, question["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]

    liked = await call(baraka.status_favourite, question["id"])
    assert liked["favourited"] is True
    assert liked["favourites_count"] == 1
    boost = await call(baraka.status_reblog, question["id"])
    assert boost["reblog"]["id"] == question["id"]
    assert boost["reblog"]["reblogged"] is True
    marked = await call(baraka.status_bookmark, question["id"])
    assert marked["bookmarked"] is True

    fans = await call(amina.status_favourited_by, question["id"])
    boosters = await call(amina.status_reblogged_by, question["id"])
    assert [a["acct"] for a in fans] == ["baraka"]
    assert [a["acct"] for a in boosters] == ["baraka"]
    seen = await call(baraka.status, question["id"])
    assert (seen["favourited"], seen["reblogged"], seen["bookmarked"]) == (True, True, True)

    await call(baraka.status_unfavourite, question["id"])
    await call(baraka.status_unreblog, question["id"])
    unmarked = await call(baraka.status_unbookmark, question["id"])
    assert (unmarked["favourited"], unmarked["reblogged"], unmarked["bookmarked"]) == (
        False,
        False,
        False,
    )
    assert await call(amina.status_favourited_by, question["id"]) == []


async def test_followers_only_posts_show_to_followers_and_404_to_everyone_else(
    ke: Instance,
) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    await mastodon(ke, "chiku")
    me = await call(amina.account_verify_credentials)
    await call(baraka.account_follow, me["id"])
    private = await call(amina.status_post, "Staff meeting moved", visibility="private")

    seen = await call(baraka.status, private["id"])
    assert seen["visibility"] == "private"
    stranger = await ke.client.get(
        f"/api/v1/statuses/{private['id']}", headers=await headers(ke, "chiku")
    )
    anonymous = await ke.client.get(f"/api/v1/statuses/{private['id']}")
    unknown = await ke.client.get("/api/v1/statuses/12345")
    assert stranger.status_code == anonymous.status_code == unknown.status_code == 404
    assert stranger.json() == anonymous.json() == unknown.json() == {"error": "Record not found"}


async def test_someone_elses_post_cannot_be_edited_or_deleted(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    posted = await call(amina.status_post, "Mine")
    auth = await headers(ke, "baraka")
    edit = await ke.client.put(
        f"/api/v1/statuses/{posted['id']}", json={"status": "Theirs"}, headers=auth
    )
    delete = await ke.client.delete(f"/api/v1/statuses/{posted['id']}", headers=auth)
    assert edit.status_code == delete.status_code == 404
    assert (await call(amina.status, posted["id"]))["content"] == "<p>Mine</p>"


async def test_json_and_form_bodies_post_alike(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    as_json = await ke.client.post(
        "/api/v1/statuses",
        json={"status": "JSON", "visibility": "unlisted", "sensitive": "1", "language": "sw"},
        headers=auth,
    )
    as_form = await ke.client.post(
        "/api/v1/statuses",
        data={"status": "Form", "visibility": "unlisted", "sensitive": "true", "language": "sw"},
        headers=auth,
    )
    for response in (as_json, as_form):
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == STATUS_KEYS
        assert (body["visibility"], body["sensitive"], body["language"]) == (
            "unlisted",
            True,
            "sw",
        )
        assert body["id"].isdigit()
        assert body["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "Hi", "visibility": "everyone"}, "isibility"),
        ({"status": "Hi", "sensitive": "maybe"}, "sensitive"),
        ({"status": "Hi", "media_ids": ["abc"]}, "media_ids"),
        ({"status": "Hi", "media_ids": ["123"]}, "Media"),
        ({"status": "Hi", "in_reply_to_id": "x"}, "in_reply_to_id"),
        ({"status": "Hi", "language": "english"}, "anguage"),
        ({"status": "x" * 6000}, "longer"),
        ({"status": ""}, "blank"),
        ({"status": "Hi", "poll": {"options": ["a", "b"], "expires_in": 60}}, "300 seconds"),
    ],
)
async def test_invalid_posts_are_refused_naming_the_field(
    ke: Instance, body: dict[str, object], field: str
) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.post("/api/v1/statuses", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]
    home = await ke.client.get("/api/v1/timelines/home", headers=auth)
    assert home.json() == []  # nothing half-written


async def test_malformed_json_and_unknown_reply_targets(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    broken = await ke.client.post(
        "/api/v1/statuses",
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    reply = await ke.client.post(
        "/api/v1/statuses", json={"status": "Hi", "in_reply_to_id": "12345"}, headers=auth
    )
    assert reply.status_code == 404


async def test_history_and_edit_entities_have_mastodons_shape(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    posted = await call(amina.status_post, "First draft")
    unedited = await ke.client.get(f"/api/v1/statuses/{posted['id']}/history")
    assert len(unedited.json()) == 1
    await call(amina.status_update, posted["id"], "Second draft", sensitive=True)
    history = (await ke.client.get(f"/api/v1/statuses/{posted['id']}/history")).json()
    assert [set(version) for version in history] == [STATUS_EDIT_KEYS, STATUS_EDIT_KEYS]
    assert [version["sensitive"] for version in history] == [False, True]
    source = await ke.client.get(
        f"/api/v1/statuses/{posted['id']}/source", headers=await headers(ke, "amina")
    )
    assert set(source.json()) == {"id", "text", "spoiler_text"}


async def test_mastodon_py_reports_refusals(ke: Instance) -> None:
    amina: Mastodon = await mastodon(ke, "amina")
    with pytest.raises(MastodonAPIError) as refused:
        await call(amina.status_post, "Hi", language="english")
    assert refused.value.args[1] == 422
    assert "ISO 639" in refused.value.args[3]
