"""Accounts from a Mastodon client: Amina fills in her teacher profile, colleagues find and
follow her, a locked teacher approves requests, blocks end follows — through Mastodon.py,
with raw HTTP for Link headers and refusals."""

from __future__ import annotations

import re

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from fedi.db.models import TeacherProfile
from tests.api.client_api import call, close_clients, headers, local_teacher, mastodon
from tests.api.oauth_flow import ke
from tests.factories import remote_teacher
from tests.servers import Instance

__all__ = ["close_clients", "ke"]

# https://docs.joinmastodon.org/entities/Account/ and Relationship/.
ACCOUNT_KEYS = {
    "id",
    "username",
    "acct",
    "url",
    "uri",
    "display_name",
    "note",
    "avatar",
    "avatar_static",
    "header",
    "header_static",
    "locked",
    "fields",
    "emojis",
    "bot",
    "group",
    "discoverable",
    "created_at",
    "last_status_at",
    "statuses_count",
    "followers_count",
    "following_count",
}
# Mastodon's, plus Jamii's reading_languages (docs/client-api.md).
SOURCE_KEYS = {
    "note",
    "fields",
    "privacy",
    "sensitive",
    "language",
    "follow_requests_count",
    "reading_languages",
}
RELATIONSHIP_KEYS = {
    "id",
    "following",
    "showing_reblogs",
    "notifying",
    "languages",
    "followed_by",
    "blocking",
    "blocked_by",
    "muting",
    "muting_notifications",
    "requested",
    "requested_by",
    "domain_blocking",
    "endorsed",
    "note",
}
_LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(header)}


async def test_amina_fills_in_her_teacher_profile(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    updated = await call(
        amina.account_update_credentials,
        display_name="Amina Odhiambo",
        note="Maths teacher in <Kisumu>",
        locked=True,
        fields=[
            ("School", "Kisumu Girls"),
            ("Subjects", "Maths, Physics"),
            ("Grades", "Form 2; Form 3"),
            ("Languages", "en, sw"),
            ("Blog", "https://amina.example"),
        ],
        default_privacy="unlisted",
        default_sensitive=True,
        default_language="sw",
    )
    assert updated["display_name"] == "Amina Odhiambo"
    assert updated["locked"] is True
    assert "&lt;Kisumu&gt;" in updated["note"]
    shown = [(f["name"], f["value"]) for f in updated["fields"]]
    assert shown == [
        ("Blog", "https://amina.example"),
        ("School", "Kisumu Girls"),
        ("Subjects", "Maths, Physics"),
        ("Grades", "Form 2, Form 3"),
        ("Languages", "en, sw"),
    ]
    source = updated["source"]
    assert source["note"] == "Maths teacher in <Kisumu>"
    assert (source["privacy"], source["sensitive"], source["language"]) == ("unlisted", True, "sw")

    async with ke.state.sessions() as session:
        profile = await session.get(TeacherProfile, int(updated["id"]))
    assert profile is not None
    assert profile.subjects == ["Maths", "Physics"]
    assert profile.grade_levels == ["Form 2", "Form 3"]
    assert profile.languages == ["en", "sw"]

    public = await ke.client.get(f"/api/v1/accounts/{updated['id']}")
    assert public.json()["fields"][1] == {
        "name": "School",
        "value": "Kisumu Girls",
        "verified_at": None,
    }
    preferences = await call(amina.preferences)
    assert preferences["posting:default:visibility"] == "unlisted"
    assert preferences["posting:default:language"] == "sw"
    posted = await call(amina.status_post, "Habari za asubuhi")  # sends sensitive=0
    assert (posted["visibility"], posted["sensitive"], posted["language"]) == (
        "unlisted",
        False,
        "sw",
    )
    raw = await ke.client.post(
        "/api/v1/statuses", json={"status": "Habari"}, headers=await headers(ke, "amina")
    )
    assert (raw.json()["visibility"], raw.json()["sensitive"]) == ("unlisted", True)

    # Fields replace the list: a teacher field left out is cleared, as Mastodon clears one.
    again = await call(amina.account_update_credentials, fields=[("School", "Maseno School")])
    assert [(f["name"], f["value"]) for f in again["fields"]] == [("School", "Maseno School")]


async def test_verify_credentials_has_mastodons_shape(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.get("/api/v1/accounts/verify_credentials", headers=auth)
    body = response.json()
    assert set(body) == ACCOUNT_KEYS | {"source"}
    assert set(body["source"]) == SOURCE_KEYS
    assert body["id"].isdigit()
    assert body["created_at"].endswith("Z")
    profile_only = await headers(ke, "amina", "profile")
    assert (
        await ke.client.get("/api/v1/accounts/verify_credentials", headers=profile_only)
    ).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fields_attributes": [{"name": f"F{i}", "value": "x"} for i in range(5)]}, "fields"),
        ({"fields_attributes": [{"name": "Languages", "value": "English"}]}, "language code"),
        ({"source": {"privacy": "direct"}}, "privacy"),
        ({"source": {"language": "kiswahili"}}, "language"),
        ({"locked": "perhaps"}, "locked"),
        ({"display_name": "x" * 101}, "Display name"),
    ],
)
async def test_invalid_profile_changes_are_refused_and_nothing_changes(
    ke: Instance, body: dict[str, object], field: str
) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": "Changed", **body},
        headers=auth,
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]
    me = await ke.client.get("/api/v1/accounts/verify_credentials", headers=auth)
    assert me.json()["display_name"] == "Amina"


async def test_form_bodies_carry_bracketed_fields(ke: Instance) -> None:
    response = await ke.client.patch(
        "/api/v1/accounts/update_credentials",
        data={
            "fields_attributes[0][name]": "School",
            "fields_attributes[0][value]": "Moi Forces Academy",
            "fields_attributes[1][name]": "Club",
            "fields_attributes[1][value]": "Chess",
            "source[privacy]": "private",
        },
        headers=await headers(ke, "amina"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [f["name"] for f in body["fields"]] == ["Club", "School"]
    assert body["source"]["privacy"] == "private"


async def test_colleagues_follow_with_options_and_see_relationships(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    chiku = await mastodon(ke, "chiku")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    chiku_id = (await call(chiku.account_verify_credentials))["id"]

    followed = await call(baraka.account_follow, amina_id, reblogs=False, notify=True)
    assert (followed["following"], followed["showing_reblogs"], followed["notifying"]) == (
        True,
        False,
        True,
    )
    both = await call(baraka.account_relationships, [amina_id, chiku_id])
    assert [(r["id"], r["following"]) for r in both] == [(amina_id, True), (chiku_id, False)]
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    seen_by_amina = (await call(amina.account_relationships, baraka_id))[0]
    assert seen_by_amina["followed_by"] is True

    raw = await ke.client.get(
        "/api/v1/accounts/relationships",
        params={"id[]": [amina_id]},
        headers=await headers(ke, "baraka"),
    )
    assert set(raw.json()[0]) == RELATIONSHIP_KEYS

    unfollowed = await call(baraka.account_unfollow, amina_id)
    assert unfollowed["following"] is False
    assert (await call(amina.account, amina_id))["followers_count"] == 0


async def test_a_locked_teacher_approves_and_refuses_requests(ke: Instance) -> None:
    await local_teacher(ke, "zawadi", locked=True)
    zawadi = await mastodon(ke, "zawadi")
    baraka = await mastodon(ke, "baraka")
    chiku = await mastodon(ke, "chiku")
    zawadi_id = (await call(zawadi.account_verify_credentials))["id"]

    asked = await call(baraka.account_follow, zawadi_id, reblogs=False)
    assert (asked["following"], asked["requested"]) == (False, True)
    await call(chiku.account_follow, zawadi_id)
    waiting = await call(zawadi.follow_requests)
    assert [a["acct"] for a in waiting] == ["chiku", "baraka"]
    assert (await call(zawadi.account_verify_credentials))["source"]["follow_requests_count"] == 2

    accepted = await call(zawadi.follow_request_authorize, waiting[1]["id"])
    assert accepted["followed_by"] is True
    refused = await call(zawadi.follow_request_reject, waiting[0]["id"])
    assert refused["followed_by"] is False
    now = (await call(baraka.account_relationships, zawadi_id))[0]
    assert (now["following"], now["showing_reblogs"]) == (True, False)  # the option held
    assert await call(zawadi.follow_requests) == []
    with pytest.raises(MastodonNotFoundError):
        await call(zawadi.follow_request_authorize, waiting[0]["id"])


async def test_blocking_ends_follows_both_ways(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    await call(baraka.account_follow, amina_id)
    blocked = await call(amina.account_block, baraka_id)
    assert (blocked["blocking"], blocked["followed_by"]) == (True, False)
    assert (await call(baraka.account_relationships, amina_id))[0]["blocked_by"] is True
    with pytest.raises(MastodonAPIError) as refused:
        await call(baraka.account_follow, amina_id)
    assert refused.value.args[1] == 403
    unblocked = await call(amina.account_unblock, baraka_id)
    assert unblocked["blocking"] is False


async def test_followers_page_with_link_headers_as_mastodon(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    names = [f"teacher{n}" for n in range(5)]
    for name in names:
        follower = await mastodon(ke, name)
        await call(follower.account_follow, amina_id)

    first = await ke.client.get(f"/api/v1/accounts/{amina_id}/followers", params={"limit": 2})
    assert [a["acct"] for a in first.json()] == ["teacher4", "teacher3"]
    found = links(first.headers["link"])
    assert found["next"].startswith(f"{ke.url}/api/v1/accounts/{amina_id}/followers?limit=2")
    assert "max_id=" in found["next"]
    assert "since_id=" in found["prev"]

    page = await call(amina.account_followers, amina_id, limit=2)
    seen = [a["acct"] for a in page]
    while (page := await call(amina.fetch_next, page)) is not None:
        seen += [a["acct"] for a in page]
    assert seen == list(reversed(names))
    following = await call(amina.account_following, await mastodon_id(ke, "teacher0"))
    assert [a["acct"] for a in following] == ["amina"]


async def mastodon_id(instance: Instance, username: str) -> str:
    client = await mastodon(instance, username)
    return str((await call(client.account_verify_credentials))["id"])


async def test_lookup_and_search_find_local_and_known_remote_teachers(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    await local_teacher(ke, "aminata")
    async with ke.state.sessions() as session, session.begin():
        fatou = await remote_teacher(session, "fatou", "sn.example")
        fatou.display_name = "Fatou Amina Diop"

    assert (await call(amina.account_lookup, "amina"))["acct"] == "amina"
    assert (await call(amina.account_lookup, f"@amina@{ke.config.domain}"))["acct"] == "amina"
    assert str((await call(amina.account_lookup, "fatou@sn.example"))["id"]) == str(fatou.id)
    with pytest.raises(MastodonNotFoundError):
        await call(amina.account_lookup, "nobody@sn.example")

    found = await call(amina.account_search, "amina")
    assert [a["acct"] for a in found] == ["amina", "aminata", "fatou@sn.example"]
    remote = await call(amina.account_search, "fatou@sn")
    assert [a["acct"] for a in remote] == ["fatou@sn.example"]
    assert await call(amina.account_search, "amina", following=True) == []
    missing = await ke.client.get("/api/v1/accounts/search", headers=await headers(ke, "amina"))
    assert missing.status_code == 422
    assert "q" in missing.json()["error"]


async def test_account_statuses_filters(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    question = await call(amina.status_post, "Who teaches #geometry?")
    answer = await call(baraka.status_post, "@amina I do", in_reply_to_id=question)
    own = await call(baraka.status_post, "Compasses needed #geometry")
    boost = await call(baraka.status_reblog, question)

    everything = await call(baraka.account_statuses, baraka_id)
    assert [s["id"] for s in everything] == [boost["id"], own["id"], answer["id"]]
    no_replies = await call(baraka.account_statuses, baraka_id, exclude_replies=True)
    assert [s["id"] for s in no_replies] == [boost["id"], own["id"]]
    no_boosts = await call(baraka.account_statuses, baraka_id, exclude_reblogs=True)
    assert [s["id"] for s in no_boosts] == [own["id"], answer["id"]]
    tagged = await call(baraka.account_statuses, baraka_id, tagged="geometry")
    assert [s["id"] for s in tagged] == [own["id"]]
    assert await call(baraka.account_statuses, baraka_id, only_media=True) == []
    assert await call(baraka.account_statuses, baraka_id, pinned=True) == []
    assert len(await call(amina.account_statuses, amina_id)) == 1

    response = await ke.client.get(f"/api/v1/accounts/{baraka_id}/statuses", params={"limit": 1})
    found = links(response.headers["link"])
    assert found["next"].endswith(f"limit=1&max_id={boost['id']}")
    assert found["prev"].endswith(f"limit=1&min_id={boost['id']}")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/12345",
        "/api/v1/accounts/abc",
        "/api/v1/accounts/12345/statuses",
        "/api/v1/accounts/12345/followers",
        "/api/v1/accounts/12345/following",
    ],
)
async def test_unknown_accounts_answer_404(ke: Instance, path: str) -> None:
    response = await ke.client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


async def test_following_an_unknown_account_answers_404(ke: Instance) -> None:
    response = await ke.client.post(
        "/api/v1/accounts/12345/follow", headers=await headers(ke, "amina")
    )
    assert response.status_code == 404
