"""Polls from Mastodon clients: Amina asks "Which reading method works in your class?",
colleagues vote through Mastodon.py, and every refusal answers 422 naming the field."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from mastodon import MastodonAPIError

from fedi.db.base import utcnow
from fedi.db.models import Poll
from fedi.domain.polls import end
from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]

QUESTION = "Which reading method works in your class?"
METHODS = ["Phonics", "Whole language", "Shared reading"]
POLL_KEYS = {
    "id",
    "expires_at",
    "expired",
    "multiple",
    "votes_count",
    "voters_count",
    "options",
    "emojis",
    "voted",
    "own_votes",
}


async def _ask(ke: Instance, **poll: Any) -> tuple[Any, Any]:
    amina = await mastodon(ke, "amina")
    made = await call(amina.make_poll, METHODS, expires_in=poll.pop("expires_in", 3600), **poll)
    status = await call(amina.status_post, QUESTION, poll=made)
    return amina, status


async def test_a_poll_is_asked_voted_on_and_counted(ke: Instance) -> None:
    amina, status = await _ask(ke)
    poll = status["poll"]
    assert set(poll) >= POLL_KEYS
    assert [o["title"] for o in poll["options"]] == METHODS
    assert poll["votes_count"] == 0
    assert not poll["expired"]
    assert not poll["multiple"]
    assert poll["voted"] is True
    assert poll["own_votes"] == []

    baraka = await mastodon(ke, "baraka")
    voted = await call(baraka.poll_vote, poll["id"], [1])
    assert voted["voted"] is True
    assert voted["own_votes"] == [1]
    assert [o["votes_count"] for o in voted["options"]] == [0, 1, 0]
    assert voted["voters_count"] == 1

    # Every reader sees the counts; the poll rides on the status in timelines too.
    again = await call(amina.poll, poll["id"])
    assert [o["votes_count"] for o in again["options"]] == [0, 1, 0]
    timeline = await call(baraka.timeline_public)
    assert timeline[0]["poll"]["own_votes"] == [1]
    anonymous = await ke.client.get(f"/api/v1/polls/{poll['id']}")
    assert anonymous.status_code == 200
    assert anonymous.json()["voted"] is False


async def test_multiple_choice_and_hidden_totals(ke: Instance) -> None:
    amina, status = await _ask(ke, multiple=True, hide_totals=True)
    poll = status["poll"]
    assert poll["multiple"] is True
    baraka = await mastodon(ke, "baraka")
    voted = await call(baraka.poll_vote, poll["id"], [0, 2])
    assert voted["own_votes"] == [0, 2]
    assert voted["votes_count"] == 2
    assert voted["voters_count"] == 1
    # Totals stay hidden from voters until the poll ends, not from its author.
    assert [o["votes_count"] for o in voted["options"]] == [None, None, None]
    mine = await call(amina.poll, poll["id"])
    assert [o["votes_count"] for o in mine["options"]] == [1, 0, 1]


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([5], "not an option"),
        ([0, 1], "single choice"),
        ([], "at least one"),
        (["x"], "choices"),
    ],
)
async def test_bad_votes_are_refused(ke: Instance, choices: list[Any], message: str) -> None:
    _, status = await _ask(ke)
    auth = await headers(ke, "baraka")
    response = await ke.client.post(
        f"/api/v1/polls/{status['poll']['id']}/votes", json={"choices": choices}, headers=auth
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]
    poll = (await ke.client.get(f"/api/v1/polls/{status['poll']['id']}")).json()
    assert poll["votes_count"] == 0  # nothing half-written


async def test_one_vote_each_and_none_on_ones_own_poll(ke: Instance) -> None:
    amina, status = await _ask(ke)
    poll_id = status["poll"]["id"]
    with pytest.raises(MastodonAPIError) as own:
        await call(amina.poll_vote, poll_id, [0])
    assert own.value.args[1] == 422
    assert "own poll" in str(own.value)
    baraka = await mastodon(ke, "baraka")
    await call(baraka.poll_vote, poll_id, [0])
    with pytest.raises(MastodonAPIError) as again:
        await call(baraka.poll_vote, poll_id, [1])
    assert again.value.args[1] == 422
    assert "already voted" in str(again.value)


async def test_an_ended_poll_takes_no_votes(ke: Instance) -> None:
    _, status = await _ask(ke)
    poll_id = int(status["poll"]["id"])
    async with ke.state.sessions() as session, session.begin():
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        poll.expires_at = utcnow() - timedelta(seconds=1)
    baraka = await mastodon(ke, "baraka")
    with pytest.raises(MastodonAPIError) as late:
        await call(baraka.poll_vote, poll_id, [0])
    assert late.value.args[1] == 422
    assert "ended" in str(late.value)
    assert (await call(baraka.poll, poll_id))["expired"] is True


@pytest.mark.parametrize(
    ("poll", "message"),
    [
        ({"options": ["Only one"], "expires_in": 3600}, "at least 2"),
        ({"options": ["a", "b", "c", "d", "e"], "expires_in": 3600}, "at most 4"),
        ({"options": ["a", "x" * 51], "expires_in": 3600}, "50 characters"),
        ({"options": ["a", "a"], "expires_in": 3600}, "differ"),
        ({"options": ["a", "b"], "expires_in": 299}, "at least 300"),
        ({"options": ["a", "b"], "expires_in": 2_629_747}, "at most 2629746"),
        ({"options": ["a", "b"]}, "expires_in"),
    ],
)
async def test_bad_polls_are_refused(ke: Instance, poll: dict[str, Any], message: str) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.post(
        "/api/v1/statuses", json={"status": QUESTION, "poll": poll}, headers=auth
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]
    assert (await ke.client.get("/api/v1/timelines/home", headers=auth)).json() == []


async def test_a_poll_and_media_together_are_refused(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.post(
        "/api/v1/statuses",
        json={
            "status": QUESTION,
            "media_ids": ["1"],
            "poll": {"options": ["a", "b"], "expires_in": 3600},
        },
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["error"]


async def test_form_bodies_carry_polls_too(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    response = await ke.client.post(
        "/api/v1/statuses",
        data={
            "status": QUESTION,
            "poll[options][]": ["Phonics", "Shared reading"],
            "poll[expires_in]": "600",
            "poll[multiple]": "true",
        },
        headers=auth,
    )
    assert response.status_code == 200, response.text
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["Phonics", "Shared reading"]
    assert poll["multiple"] is True


async def test_editing_the_options_resets_the_votes(ke: Instance) -> None:
    amina, status = await _ask(ke)
    baraka = await mastodon(ke, "baraka")
    await call(baraka.poll_vote, status["poll"]["id"], [0])
    # The same options keep the votes…
    same = await call(
        amina.status_update, status["id"], QUESTION, poll=await call(amina.make_poll, METHODS, 600)
    )
    assert same["poll"]["votes_count"] == 1
    # …new ones start afresh; the history lists each version's options.
    changed = await call(
        amina.status_update,
        status["id"],
        QUESTION,
        poll=await call(amina.make_poll, ["Phonics", "Guided reading"], 600),
    )
    assert changed["poll"]["votes_count"] == 0
    assert [o["title"] for o in changed["poll"]["options"]] == ["Phonics", "Guided reading"]
    assert (await call(baraka.poll, status["poll"]["id"]))["own_votes"] == []
    history = await call(amina.status_history, status["id"])
    assert [[o["title"] for o in h["poll"]["options"]] for h in history] == [
        METHODS,
        METHODS,
        ["Phonics", "Guided reading"],
    ]
    # An edit without a poll removes it, as in Mastodon.
    removed = await call(amina.status_update, status["id"], "No poll after all")
    assert removed["poll"] is None


async def test_the_instance_publishes_the_poll_limits(ke: Instance) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        limits = (await ke.client.get(path)).json()["configuration"]["polls"]
        assert limits == {
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2_629_746,
        }


async def test_the_post_is_a_question_for_other_servers(ke: Instance) -> None:
    _, status = await _ask(ke, multiple=True)
    baraka = await mastodon(ke, "baraka")
    await call(baraka.poll_vote, status["poll"]["id"], [0, 2])
    path = status["uri"].split("://", 1)[1].split("/", 1)[1]
    response = await ke.client.get(f"/{path}", headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    question = response.json()
    assert question["type"] == "Question"
    assert "oneOf" not in question
    assert question["anyOf"] == [
        {"type": "Note", "name": title, "replies": {"type": "Collection", "totalItems": votes}}
        for title, votes in zip(METHODS, [1, 0, 1], strict=True)
    ]
    assert question["votersCount"] == 1
    assert question["endTime"].endswith("Z")
    assert "closed" not in question
    assert {"votersCount": "toot:votersCount"}.items() <= question["@context"][2].items()


async def test_voters_and_the_author_hear_when_a_poll_ends(ke: Instance) -> None:
    amina, status = await _ask(ke)
    baraka = await mastodon(ke, "baraka")
    await call(baraka.poll_vote, status["poll"]["id"], [1])
    async with ke.state.sessions() as session, session.begin():
        poll = await session.get(Poll, int(status["poll"]["id"]))
        assert poll is not None
        assert poll.expires_at is not None
        ends = poll.expires_at.isoformat()
        # The poll.ended job, run as the worker would at expires_at.
        await end(session, poll.id, ends)
    for reader in (amina, baraka):
        [ended] = await call(reader.notifications, types=["poll"])
        assert ended["type"] == "poll"
        assert ended["status"]["id"] == status["id"]
        assert ended["account"]["username"] == "amina"


async def test_the_web_page_shows_the_poll(ke: Instance) -> None:
    _, status = await _ask(ke)
    baraka = await mastodon(ke, "baraka")
    await call(baraka.poll_vote, status["poll"]["id"], [2])
    path = status["url"].split("://", 1)[1].split("/", 1)[1]
    page = await ke.client.get(f"/{path}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert '<ul class="poll">' in page.text
    assert "Shared reading — 1" in page.text
    assert "Phonics — 0" in page.text


async def test_votes_at_the_same_moment_are_all_counted(ke: Instance) -> None:
    _, status = await _ask(ke, multiple=True)
    poll_id = status["poll"]["id"]
    voters = [await mastodon(ke, name) for name in ("baraka", "wanjiru", "otieno", "akinyi")]
    await asyncio.gather(*(call(voter.poll_vote, poll_id, [0, 1]) for voter in voters))
    poll = (await ke.client.get(f"/api/v1/polls/{poll_id}")).json()
    assert [o["votes_count"] for o in poll["options"]] == [4, 4, 0]
    assert poll["votes_count"] == 8
    assert poll["voters_count"] == 4
