"""The streaming API from real clients: Mastodon.py's SSE streams, a WebSocket client
(``websockets``) and raw SSE over httpx, against a served instance on loopback.

Every stream here ends by itself: reads wait at most ``WAIT`` seconds, and each test
closes what it opened before the instance stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
import websockets
from mastodon import Mastodon, StreamListener
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from fedi.api import streaming
from fedi.db.models import Account, Status
from fedi.domain import statuses
from fedi.domain.site import Site
from fedi.runtime import open_runtime
from tests.api.client_api import call, close_clients, mastodon
from tests.api.oauth_flow import amina, ke
from tests.api.scopes import PASSWORD, bearer, token_for
from tests.conftest import Database
from tests.federation.trio import Peer, eventually, federation
from tests.servers import Instance

__all__ = ["close_clients", "federation", "ke"]
WAIT = 10.0


async def listening(instance: Instance, count: int) -> None:
    """Wait until ``count`` streams are open on the instance (so nothing posted is missed)."""
    for _ in range(int(WAIT / 0.02)):
        if sum(1 for s in instance.state.hub.subscribers if s.streams) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} streams never opened")


class Enough(Exception):
    pass


class Collector(StreamListener):  # type: ignore[misc]
    """Mastodon.py listener keeping the first ``wanted`` events, then ending the stream."""

    def __init__(self, wanted: int, wait: float = WAIT) -> None:
        self.wanted = wanted
        self.events: list[tuple[str, Any]] = []
        # Heartbeats keep a read from ever timing out: past this moment the next one ends
        # the stream, so a missing event fails the test instead of hanging it.
        self.deadline = time.monotonic() + 2 * wait

    def handle_heartbeat(self) -> None:
        if time.monotonic() > self.deadline:
            raise Enough

    def _keep(self, kind: str, payload: Any) -> None:
        self.events.append((kind, payload))
        if len(self.events) >= self.wanted:
            raise Enough  # leaves Mastodon.py's read loop, which closes the connection

    def on_update(self, status: Any) -> None:
        self._keep("update", status)

    def on_notification(self, notification: Any) -> None:
        self._keep("notification", notification)

    def on_delete(self, status_id: Any) -> None:
        self._keep("delete", status_id)

    def on_status_update(self, status: Any) -> None:
        self._keep("status.update", status)


def streamed(
    start: Callable[..., Any], wanted: int, *args: Any, wait: float = WAIT, **kwargs: Any
) -> asyncio.Task[list[tuple[str, Any]]]:
    """A Mastodon.py stream (``stream_user``, ``stream_public``…) in a thread until it has
    ``wanted`` events; if they never come, its read times out after ``wait`` seconds."""
    collector = Collector(wanted, wait)

    def run() -> list[tuple[str, Any]]:
        with contextlib.suppress(Enough):
            start(*args, collector, timeout=wait, **kwargs)
        return collector.events

    return asyncio.create_task(asyncio.to_thread(run))


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream; comments (heartbeats) skipped."""
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if event:
                yield event["event"], event["data"]
            event = {}
            continue
        key, _, value = line.partition(": ")
        event[key] = value


async def ws_message(socket: websockets.ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(await asyncio.wait_for(socket.recv(), WAIT))
    return message


def ws_url(instance: Instance, query: str = "") -> str:
    return instance.url.replace("http://", "ws://") + "/api/v1/streaming" + query


async def test_health_answers_ok(ke: Instance) -> None:
    response = await ke.client.get("/api/v1/streaming/health")
    assert (response.status_code, response.text) == (200, "OK")


async def test_the_instance_points_clients_at_the_streaming_server(ke: Instance) -> None:
    v2 = (await ke.client.get("/api/v2/instance")).json()
    v1 = (await ke.client.get("/api/v1/instance")).json()
    expected = ke.url.replace("http://", "ws://")
    assert v2["configuration"]["urls"]["streaming"] == expected
    assert v1["urls"]["streaming_api"] == expected


async def test_the_user_stream_carries_home_posts_and_notifications(ke: Instance) -> None:
    amina_api = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    await call(amina_api.account_follow, baraka_id)
    stream = streamed(amina_api.stream_user, 5)
    await listening(ke, 1)
    posted = await call(baraka.status_post, "Fractions with paper strips")
    mine = await call(amina_api.status_post, "My own lesson plan")
    await call(baraka.status_favourite, mine["id"])
    await call(baraka.status_update, posted["id"], "Fractions with paper strips (v2)")
    await call(baraka.status_delete, posted["id"])
    events = await stream

    assert [kind for kind, _ in events] == [
        "update",
        "update",
        "notification",
        "status.update",
        "delete",
    ]
    status = events[0][1]
    assert (status["id"], status["content"]) == (posted["id"], "<p>Fractions with paper strips</p>")
    assert status["account"]["acct"] == "baraka"
    assert events[1][1]["id"] == mine["id"]  # one's own posts too
    notification = events[2][1]
    assert (notification["type"], notification["account"]["acct"]) == ("favourite", "baraka")
    assert notification["status"]["id"] == mine["id"]
    assert events[3][1]["id"] == posted["id"]
    assert events[3][1]["edited_at"] is not None
    assert str(events[4][1]) == str(posted["id"])


async def test_the_user_stream_renders_for_its_reader(ke: Instance) -> None:
    amina_api = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    await call(amina_api.account_follow, (await call(baraka.account_verify_credentials))["id"])
    posted = await call(baraka.status_post, "Field trip photos")
    await call(amina_api.status_favourite, posted["id"])
    stream = streamed(amina_api.stream_user, 1)
    await listening(ke, 1)
    await call(baraka.status_update, posted["id"], "Field trip photos (all of them)")
    [(kind, edited)] = await stream
    assert (kind, edited["favourited"], edited["favourites_count"]) == ("status.update", True, 1)


async def test_a_followers_only_post_reaches_followers_only(ke: Instance) -> None:
    amina_api = await mastodon(ke, "amina")
    chidi = await mastodon(ke, "chidi")
    baraka = await mastodon(ke, "baraka")
    await call(amina_api.account_follow, (await call(baraka.account_verify_credentials))["id"])
    follower = streamed(amina_api.stream_user, 2)
    stranger = streamed(chidi.stream_user, 1)
    public = streamed(chidi.stream_public, 1)
    await listening(ke, 3)
    private = await call(baraka.status_post, "Staff room only", visibility="private")
    open_post = await call(baraka.status_post, "Open to all")
    own = await call(chidi.status_post, "Chidi's own note", visibility="unlisted")
    assert [s["id"] for _, s in await follower] == [private["id"], open_post["id"]]
    # Signals fan out in commit order: had the followers-only post (or Baraka's public
    # one, Chidi not following him) reached Chidi's home stream, it would come first.
    assert [s["id"] for _, s in await stranger] == [own["id"]]
    assert [s["id"] for _, s in await public] == [open_post["id"]]


async def test_a_post_that_rolls_back_is_never_streamed(ke: Instance) -> None:
    author = await amina(ke)
    stream = streamed(Mastodon(api_base_url=ke.url).stream_public, 1)
    await listening(ke, 1)
    site = Site.from_config(ke.config)

    async def post_then_fail() -> None:
        async with ke.state.sessions() as session, session.begin():
            await statuses.post(session, site, author, statuses.Draft(text="Never happened"))
            raise RuntimeError("the request failed after posting")

    with pytest.raises(RuntimeError):
        await post_then_fail()
    async with ke.state.sessions() as session, session.begin():
        kept = await statuses.post(session, site, author, statuses.Draft(text="Happened"))
    assert [int(s["id"]) for _, s in await stream] == [kept.id]


async def test_posts_committed_by_another_process_reach_the_streams(
    ke: Instance, database: Database
) -> None:
    """On PostgreSQL a ``jamii worker`` process commits inbox posts; its own runtime (here,
    a second one: another engine, pool and hub) must still reach this server's streams."""
    if database.backend != "postgresql":
        pytest.skip("one process per instance on SQLite: streams are fed in-process")
    author = await amina(ke)
    stream = streamed(Mastodon(api_base_url=ke.url).stream_public, 1)
    await listening(ke, 1)
    async with open_runtime(ke.config) as worker, worker.sessions() as session, session.begin():
        posted = await statuses.post(
            session,
            worker.site,
            await session.get_one(Account, author.id),
            statuses.Draft(text="From the worker"),
        )
    assert [int(s["id"]) for _, s in await stream] == [posted.id]


async def test_public_and_hashtag_streams_carry_public_posts_only(ke: Instance) -> None:
    reader = await mastodon(ke, "reader")
    author = await mastodon(ke, "author")
    public = streamed(reader.stream_public, 2)
    local = streamed(reader.stream_public, 2, local=True)
    maths = streamed(reader.stream_hashtag, 1, "Maths")
    await listening(ke, 3)
    await call(author.status_post, "Unlisted #maths", visibility="unlisted")
    await call(author.status_post, "Followers #maths", visibility="private")
    tagged = await call(author.status_post, "Geometry walk #maths")
    plain = await call(author.status_post, "Reading circle")
    assert [s["id"] for _, s in await public] == [tagged["id"], plain["id"]]
    assert [s["id"] for _, s in await local] == [tagged["id"], plain["id"]]
    [(kind, status)] = await maths
    assert (kind, status["id"]) == ("update", tagged["id"])
    assert [t["name"] for t in status["tags"]] == ["maths"]


async def test_public_streams_skip_authors_the_reader_blocks(ke: Instance) -> None:
    reader = await mastodon(ke, "reader")
    troll = await mastodon(ke, "troll")
    author = await mastodon(ke, "author")
    await call(reader.account_block, (await call(troll.account_verify_credentials))["id"])
    public = streamed(reader.stream_public, 1)
    tagged = streamed(reader.stream_hashtag, 1, "science")
    await listening(ke, 2)
    await call(troll.status_post, "Noise #science")
    kept = await call(author.status_post, "Signal #science")
    assert [s["id"] for _, s in await public] == [kept["id"]]
    assert [s["id"] for _, s in await tagged] == [kept["id"]]


async def test_posts_arriving_through_the_inbox_are_streamed(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await mastodon(ke.instance, "amina")
    fatou = await mastodon(sn.instance, "fatou")
    amina_uri = (await call(amina.account_verify_credentials))["uri"]
    found = await sn.account(amina_uri)
    await call(fatou.account_follow, found.id)

    async def following() -> bool:
        relation = (await call(fatou.account_relationships, found.id))[0]
        return bool(relation["following"])

    await eventually(following, wake=[ke, sn])
    home = streamed(fatou.stream_user, 2, wait=3 * WAIT)
    remote = streamed(fatou.stream_public, 1, remote=True, wait=3 * WAIT)
    await listening(sn.instance, 2)
    posted = await call(amina.status_post, "Karibu! Lesson study #maths", language="sw")

    async def arrived() -> bool:
        async with sn.instance.state.sessions() as session:
            found = await session.scalar(select(Status.id).where(Status.uri == posted["uri"]))
        return found is not None

    # Edited only once sn holds the post: deliveries run concurrently, and an Update that
    # overtakes its Create is stored as the post itself (one event, not two).
    await eventually(arrived, wake=[ke, sn])
    await call(amina.status_update, posted["id"], "Karibu! Lesson study, part 2 #maths")
    [(created, first), (edited, second)] = await home
    assert (created, first["uri"]) == ("update", posted["uri"])
    assert first["account"]["acct"] == f"amina@{ke.instance.config.domain}"
    assert (edited, second["uri"]) == ("status.update", posted["uri"])
    assert "part 2" in second["content"]
    [(_, seen)] = await remote
    assert seen["uri"] == posted["uri"]


async def test_anonymous_readers_get_public_streams_but_not_user_streams(ke: Instance) -> None:
    author = await mastodon(ke, "author")
    user = await ke.client.get("/api/v1/streaming/user")
    assert (user.status_code, user.json()) == (401, {"error": "Missing access token"})
    bad = await ke.client.get("/api/v1/streaming/user", headers=bearer("not-a-token"))
    assert (bad.status_code, bad.json()) == (401, {"error": "The access token is invalid"})
    no_tag = await ke.client.get("/api/v1/streaming/hashtag")
    assert no_tag.status_code == 400
    async with ke.client.stream("GET", "/api/v1/streaming/public") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        await listening(ke, 1)
        posted = await call(author.status_post, "Open lesson")
        event, data = await asyncio.wait_for(anext(events), WAIT)
        assert event == "update"
        assert orjson.loads(data)["id"] == posted["id"]


async def test_idle_streams_send_heartbeats(ke: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "HEARTBEAT_SECONDS", 0.05)  # Mastodon's 15 s, shortened
    async with ke.client.stream("GET", "/api/v1/streaming/public") as response:
        lines = response.aiter_lines()
        first = [await asyncio.wait_for(anext(lines), WAIT) for _ in range(3)]
    assert first == [":)", ":thump", ":thump"]


async def test_anonymous_websockets_read_public_streams_only(ke: Instance) -> None:
    author = await mastodon(ke, "author")
    async with websockets.connect(ws_url(ke)) as socket:
        await socket.send('{"type": "subscribe", "stream": "user"}')
        assert await ws_message(socket) == {"error": "Missing access token", "status": 401}
        await socket.send('{"type": "subscribe", "stream": "public:local"}')
        await socket.send("not json")
        assert await ws_message(socket) == {"error": "Malformed message", "status": 400}
        posted = await call(author.status_post, "For everyone")
        message = await ws_message(socket)
        assert (message["stream"], message["event"]) == (["public:local"], "update")
        assert orjson.loads(message["payload"])["id"] == posted["id"]


async def test_scopes_decide_which_streams_open(ke: Instance) -> None:
    notifications_only = await token_for(ke, "amina", "read:notifications")
    refused = await ke.client.get(
        "/api/v1/streaming/user", params={"access_token": notifications_only}
    )
    assert refused.status_code == 401
    assert refused.json() == {"error": "Access token does not have the required scopes"}
    async with ke.client.stream(
        "GET", "/api/v1/streaming/user/notification", headers=bearer(notifications_only)
    ) as response:
        assert response.status_code == 200


async def test_websocket_subscribe_and_unsubscribe(ke: Instance) -> None:
    amina_api = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    await call(amina_api.account_follow, (await call(baraka.account_verify_credentials))["id"])
    token = await token_for(ke, "amina", "read")
    async with websockets.connect(ws_url(ke, f"?access_token={token}")) as socket:
        await socket.send('{"type": "subscribe", "stream": "user"}')
        await socket.send('{"type": "subscribe", "stream": "hashtag", "tag": "science"}')
        await socket.send('{"type": "subscribe", "stream": "nonsense"}')
        assert await ws_message(socket) == {"error": "Unknown stream type", "status": 400}
        await listening(ke, 1)
        first = await call(baraka.status_post, "Volcano model #science")
        received = [await ws_message(socket) for _ in range(2)]
        assert sorted(tuple(m["stream"]) for m in received) == [("hashtag", "science"), ("user",)]
        for message in received:
            assert message["event"] == "update"
            assert isinstance(message["payload"], str)
            assert orjson.loads(message["payload"])["id"] == first["id"]

        await socket.send('{"type": "unsubscribe", "stream": "hashtag", "tag": "science"}')
        await socket.send('{"type": "subscribe", "stream": "user:notification"}')
        await socket.send('{"type": "subscribe", "stream": "hashtag"}')
        # Messages are read in order: this refusal means both changes above are in place.
        assert await ws_message(socket) == {"error": "No tag for stream provided", "status": 400}
        second = await call(baraka.status_post, "Rain gauge #science")
        mine = await call(amina_api.status_post, "Thanks!")
        await call(baraka.status_favourite, mine["id"])
        got = [await ws_message(socket) for _ in range(4)]
        assert [(m["stream"], m["event"]) for m in got] == [
            (["user"], "update"),
            (["user"], "update"),
            (["user"], "notification"),
            (["user:notification"], "notification"),
        ]
        assert orjson.loads(got[0]["payload"])["id"] == second["id"]


async def test_websocket_token_as_protocol_and_refusals(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read")
    async with websockets.connect(ws_url(ke, "?stream=user"), subprotocols=[token]) as socket:
        assert socket.subprotocol == token  # echoed, as browsers require
        await listening(ke, 1)
        author = await mastodon(ke, "amina")
        posted = await call(author.status_post, "Via the protocol header")
        message = await ws_message(socket)
        assert (message["stream"], orjson.loads(message["payload"])["id"]) == (
            ["user"],
            posted["id"],
        )
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(ws_url(ke, "?access_token=wrong")):
            pass
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as anonymous:
        async with websockets.connect(ws_url(ke, "?stream=user")):
            pass
    assert anonymous.value.response.status_code == 401


async def test_revoking_a_token_closes_its_streams(ke: Instance) -> None:
    await amina(ke)
    client_id, client_secret = await call(
        Mastodon.create_app, "Planner", scopes=["read"], api_base_url=ke.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=ke.url)
    token = await call(
        api.log_in,
        username="amina@school.example",
        password=PASSWORD,
        scopes=["read"],
        allow_http=True,
    )
    async with (
        websockets.connect(ws_url(ke, f"?stream=user&access_token={token}")) as socket,
        ke.client.stream("GET", "/api/v1/streaming/user", headers=bearer(token)) as response,
    ):
        assert response.status_code == 200
        await listening(ke, 2)
        await call(api.revoke_access_token, allow_http=True)
        # Both end promptly: the SSE body finishes, the WebSocket is closed by the server.
        rest = [line async for line in _lines_within(response)]
        assert rest == [":)"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), WAIT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
    assert len(ke.state.hub) == 0


async def _lines_within(response: httpx.Response) -> AsyncIterator[str]:
    async with asyncio.timeout(WAIT):
        async for line in response.aiter_lines():
            if line:
                yield line
