"""Mastodon's streaming API: Server-Sent Events per stream, and one WebSocket for many.

- ``GET /api/v1/streaming/health`` answers ``OK``;
- ``GET /api/v1/streaming/user`` (…``/user/notification``, ``/public``, ``/public/local``,
  ``/public/remote``, ``/hashtag?tag=``, ``/hashtag/local?tag=``): ``text/event-stream`` of
  ``event: update`` / ``data: {…}`` pairs, with a ``:thump`` comment every 15 seconds;
- ``/api/v1/streaming`` (WebSocket): ``{"type": "subscribe", "stream": "user"}`` and
  ``unsubscribe`` messages (``"tag"`` for hashtags, ``?stream=`` to subscribe on connect);
  events arrive as ``{"stream": [...], "event": "update", "payload": "<JSON text>"}``.

The token comes from ``Authorization: Bearer``, the ``access_token`` query parameter or,
for WebSockets (browsers cannot set headers there), ``Sec-WebSocket-Protocol``. User streams
need a teacher's token (``read:statuses``; notifications ``read:notifications``); public and
hashtag streams are open to anonymous readers when the public timeline is
(``features.public_timeline``), as the REST timelines are. Refusals are 401, as Mastodon's
streaming server answers. Revoking the token closes its streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress

import orjson
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from fedi.api.auth import INVALID_TOKEN, Viewer, presented_token, viewer_for
from fedi.api.responses import JSONResponse
from fedi.errors import JamiiError
from fedi.state import AppState
from fedi.streaming.hub import Event, Stream, Subscriber

HEARTBEAT_SECONDS = 15.0
MISSING_TOKEN = "Missing access token"  # noqa: S105 (a message, not a secret)
MISSING_SCOPES = "Access token does not have the required scopes"
UNKNOWN_STREAM = "Unknown stream type"

USER_STREAMS = {"user": "read:statuses", "user:notification": "read:notifications"}
PUBLIC_STREAMS = frozenset(
    {
        "public",
        "public:media",
        "public:local",
        "public:local:media",
        "public:remote",
        "public:remote:media",
    }
)
HASHTAG_STREAMS = frozenset({"hashtag", "hashtag:local"})


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.jamii
    return state


def stream_of(name: str, tag: str | None) -> Stream:
    """The stream a client names (Mastodon's names), or Refused(400)."""
    if name in USER_STREAMS or name in PUBLIC_STREAMS:
        return (name,)
    if name in HASHTAG_STREAMS:
        cleaned = (tag or "").strip().lstrip("#").lower()
        if not cleaned or len(cleaned) > 256:
            raise Refused(400, "No tag for stream provided")
        return (name, cleaned)
    raise Refused(400, UNKNOWN_STREAM)


def check_access(state: AppState, viewer: Viewer | None, stream: Stream) -> None:
    """Who may open which stream; Refused(401) otherwise, as Mastodon's streaming server."""
    name = stream[0]
    if name in USER_STREAMS:
        if viewer is None:
            raise Refused(401, MISSING_TOKEN)
        if viewer.account is None:
            raise Refused(401, "This stream requires an authenticated user")
        if not viewer.allows(USER_STREAMS[name]):
            raise Refused(401, MISSING_SCOPES)
        return
    if viewer is None:
        if not state.config.features.public_timeline:
            raise Refused(401, MISSING_TOKEN)
        return
    if not viewer.allows("read:statuses"):
        raise Refused(401, MISSING_SCOPES)


async def _viewer(connection: HTTPConnection, token: str | None) -> Viewer | None:
    """The token's viewer; Refused(401) for a token that is unknown or revoked."""
    if token is None:
        return None
    try:
        async with _state(connection).readers() as session:
            return await viewer_for(connection, session, token, require_user=False)
    except JamiiError as exc:
        # A disabled login (403) included: streams answer 401 to any token they refuse.
        raise Refused(401, exc.message if exc.status == 403 else INVALID_TOKEN) from None


def _subscriber(viewer: Viewer | None) -> Subscriber:
    return Subscriber(
        token_id=viewer.token_id if viewer else None,
        account_id=viewer.account.id if viewer and viewer.account else None,
        scopes=viewer.scopes if viewer else frozenset(),
    )


# --- Server-Sent Events -------------------------------------------------------------------


async def _events(state: AppState, subscriber: Subscriber) -> AsyncIterator[str]:
    try:
        yield ":)\n"
        while not subscriber.closed.is_set():
            event = await subscriber.next(HEARTBEAT_SECONDS)
            if event is None:
                if not subscriber.closed.is_set():
                    yield ":thump\n"
                continue
            yield f"event: {event.name}\ndata: {event.payload}\n\n"
    finally:
        state.hub.leave(subscriber)


class EventStream(StreamingResponse):
    """An SSE response that always takes its subscriber out of the hub, even when the
    client is gone before the first byte (the body's own ``finally`` never runs then)."""

    def __init__(self, state: AppState, subscriber: Subscriber) -> None:
        super().__init__(
            _events(state, subscriber),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        self.state = state
        self.subscriber = subscriber

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.state.hub.leave(self.subscriber)


def sse(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state = _state(request)
        stream_name = name
        if name.startswith("public") and request.query_params.get("only_media") in (
            "1",
            "true",
            "True",
        ):
            stream_name = f"{name}:media"
        try:
            stream = stream_of(stream_name, request.query_params.get("tag"))
            viewer = await _viewer(request, await presented_token(request))
            check_access(state, viewer, stream)
        except Refused as refused:
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        subscriber = _subscriber(viewer)
        state.hub.join(subscriber)
        state.hub.subscribe(subscriber, stream)
        return EventStream(state, subscriber)

    endpoint.__name__ = f"stream_{name.replace(':', '_')}"
    return endpoint


async def health(request: Request) -> Response:
    """GET /api/v1/streaming/health"""
    return PlainTextResponse("OK")


# --- WebSocket ----------------------------------------------------------------------------


def _websocket_token(websocket: WebSocket) -> tuple[str | None, bool]:
    """The token and whether it came as the subprotocol (which must then be echoed)."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    if token := websocket.query_params.get("access_token"):
        return token, False
    if protocol := websocket.headers.get("sec-websocket-protocol", "").split(",")[0].strip():
        return protocol, True
    return None, False


async def _deny(websocket: WebSocket, status: int, message: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"error": message}, status_code=status))
    else:
        await websocket.close(code=1008, reason=message)


async def _send_error(websocket: WebSocket, status: int, message: str) -> None:
    await websocket.send_text(orjson.dumps({"error": message, "status": status}).decode())


async def _subscribe(
    websocket: WebSocket, state: AppState, viewer: Viewer | None, subscriber: Subscriber
) -> None:
    """Read subscribe/unsubscribe messages until the client goes away."""
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                message = orjson.loads(raw)
                if not isinstance(message, dict):
                    raise ValueError
                kind, name = message.get("type"), message.get("stream")
                if kind not in ("subscribe", "unsubscribe") or not isinstance(name, str):
                    raise Refused(400, "Unknown message type" if kind else "Malformed message")
                tag = message.get("tag")
                stream = stream_of(name, tag if isinstance(tag, str) else None)
                if kind == "subscribe":
                    check_access(state, viewer, stream)
                    state.hub.subscribe(subscriber, stream)
                else:
                    state.hub.unsubscribe(subscriber, stream)
            except Refused as refused:
                await _send_error(websocket, refused.status, refused.message)
            except ValueError:  # orjson.JSONDecodeError included
                await _send_error(websocket, 400, "Malformed message")
    except (WebSocketDisconnect, OSError):
        pass
    finally:
        # However reading ends, the connection is over: the sending loop stops too.
        subscriber.close("disconnected")


def _event_text(event: Event) -> str:
    return orjson.dumps(
        {"stream": list(event.stream), "event": event.name, "payload": event.payload}
    ).decode()


async def websocket(websocket: WebSocket) -> None:
    """/api/v1/streaming (WebSocket)"""
    state = _state(websocket)
    token, as_protocol = _websocket_token(websocket)
    try:
        viewer = await _viewer(websocket, token)
        if viewer is None and not state.config.features.public_timeline:
            raise Refused(401, MISSING_TOKEN)
        first = websocket.query_params.get("stream")
        stream = stream_of(first, websocket.query_params.get("tag")) if first else None
        if stream is not None:
            check_access(state, viewer, stream)
    except Refused as refused:
        await _deny(websocket, refused.status, refused.message)
        return
    await websocket.accept(subprotocol=token if as_protocol else None)
    subscriber = _subscriber(viewer)
    state.hub.join(subscriber)
    if stream is not None:
        state.hub.subscribe(subscriber, stream)
    reader = asyncio.create_task(_subscribe(websocket, state, viewer, subscriber))
    try:
        while not subscriber.closed.is_set():
            event = await subscriber.next(HEARTBEAT_SECONDS)
            if event is not None and not subscriber.closed.is_set():
                await websocket.send_text(_event_text(event))
        if subscriber.close_reason != "disconnected":
            with suppress(Exception):  # the client may be gone already
                await websocket.close(code=1008, reason=subscriber.close_reason[:120])
    except (WebSocketDisconnect, OSError):  # gone mid-send (uvicorn's ClientDisconnected)
        pass
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await reader
        state.hub.leave(subscriber)


routes: list[BaseRoute] = [
    Route("/api/v1/streaming/health", health),
    Route("/api/v1/streaming/user", sse("user")),
    Route("/api/v1/streaming/user/notification", sse("user:notification")),
    Route("/api/v1/streaming/public", sse("public")),
    Route("/api/v1/streaming/public/local", sse("public:local")),
    Route("/api/v1/streaming/public/remote", sse("public:remote")),
    Route("/api/v1/streaming/hashtag", sse("hashtag")),
    Route("/api/v1/streaming/hashtag/local", sse("hashtag:local")),
    WebSocketRoute("/api/v1/streaming", websocket),
    WebSocketRoute("/api/v1/streaming/", websocket),
]
