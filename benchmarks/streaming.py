"""One post to N teachers watching their home stream over WebSockets, beside raw broadcast.

    python -m benchmarks.streaming [--followers 100] [--posts 40] [--warmup 5]
        [--sqlite/--no-sqlite] [--postgres URL] [--json PATH]

A real instance (the app under uvicorn, in this process) with one author followed by
``--followers`` teachers, each holding a WebSocket on ``/api/v1/streaming`` subscribed to
``user`` (the ``websockets`` client, in this process too). Measured, per post:

- ``post, nobody streaming``: ``POST /api/v1/statuses`` with every stream closed (what the
  signals cost when nobody listens; compare with the timeline benchmark's post);
- ``post → N user streams``: the same POST, until every follower's socket has the event
  (commit, fan-out with the home rule and rendering per reader, N WebSocket sends);
- baseline ``raw broadcast``: a bare Starlette WebSocket endpoint on the same uvicorn
  sending a payload of the same size to N sockets on a POST — transport only.

Over PostgreSQL the fan-out runs through NOTIFY/LISTEN as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import httpx
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from benchmarks.loopback import (
    Database,
    free_port,
    log,
    postgres_database,
    run,
    sqlite_database,
    write_instance,
)
from benchmarks.report import Report, add_json_option, measure
from benchmarks.serving import served
from fedi.app import create_app
from fedi.config import load_config
from fedi.db.models import Account
from fedi.domain import follows, oauth
from fedi.domain.accounts import Registration, register
from fedi.domain.scopes import SCOPES
from fedi.state import AppState

PASSWORD = "benchmark password"  # noqa: S105 (a throwaway teacher's)


async def _seed(state: AppState, followers: int) -> tuple[str, list[str]]:
    """The author's token and each follower's token."""
    async with state.sessions() as session, session.begin():
        app = await oauth.register_app(
            session,
            name="bench",
            redirect_uris=[oauth.OOB],
            scopes=" ".join(SCOPES),
            website=None,
        )
        tokens: list[str] = []
        author: Account | None = None
        for n in range(followers + 1):
            account, user = await register(
                session,
                state.site,
                Registration(f"t{n}", f"t{n}@school.example", PASSWORD),
            )
            _, token = await oauth.issue_token(
                session, app=app, user=user, scopes=oauth.parse_scopes("read write")
            )
            if author is None:
                author = account
            else:
                await follows.follow(session, account, author)
            tokens.append(token)
    return tokens[0], tokens[1:]


class Broadcast:
    """The baseline: WebSockets that receive whatever is POSTed to /broadcast."""

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()

    async def socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.sockets.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except Exception:
            self.sockets.discard(websocket)

    async def post(self, request: Request) -> Response:
        payload = (await request.body()).decode()
        for websocket in list(self.sockets):
            await websocket.send_text(payload)
        return Response(status_code=200)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/broadcast", self.post, methods=["POST"]),
                WebSocketRoute("/ws", self.socket),
            ]
        )


async def _receive_all(sockets: list[websockets.ClientConnection]) -> None:
    await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in sockets))


async def bench(report: Report, args: argparse.Namespace, database: Database, folder: Path) -> None:
    port, bare_port = free_port(), free_port()
    write_instance(
        folder / "instance", domain=f"127.0.0.1:{port}", port=port, database_url=database.url
    )
    config = load_config(folder / "instance", environ={})
    app = create_app(config)
    broadcast = Broadcast()
    async with served(app, port), served(broadcast.app(), bare_port):
        state: AppState = app.state.jamii
        log(f"seeding {args.followers} followers on {database.backend}")
        author, tokens = await _seed(state, args.followers)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            auth = {"Authorization": f"Bearer {author}"}
            text = "A lesson on fractions with paper strips, for the whole department. " * 3

            async def post(i: int) -> None:
                answer = await client.post(
                    "/api/v1/statuses", data={"status": f"{text} {i}"}, headers=auth
                )
                answer.raise_for_status()

            quiet = (await measure({"post, nobody streaming": post}, args.posts, args.warmup))[0]

            sockets = [
                await websockets.connect(
                    f"ws://127.0.0.1:{port}/api/v1/streaming?stream=user&access_token={t}"
                )
                for t in tokens
            ]
            bare = [await websockets.connect(f"ws://127.0.0.1:{bare_port}/ws") for _ in tokens]
            # Polled: the hub has no "N joined" signal, and this runs once per benchmark.
            while len(state.hub) < len(tokens) or len(broadcast.sockets) < len(tokens):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            await post(10**6)  # one event, to give the baseline the same payload size
            payload = await _receive_all_text(sockets)

            async def streamed(i: int) -> None:
                await post(i)
                await _receive_all(sockets)

            async def raw(i: int) -> None:
                answer = await bare_client.post("/broadcast", content=payload)
                answer.raise_for_status()
                await _receive_all(bare)

            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_port}") as bare_client:
                rows = await measure(
                    {f"post → {len(tokens)} user streams": streamed, "raw broadcast": raw},
                    args.posts,
                    args.warmup,
                )
            for socket in [*sockets, *bare]:
                await socket.close()
    section = report.section(
        f"{database.backend}: one post, {args.followers} followers streaming "
        f"({len(payload)} B events)"
    )
    section.rows = [quiet, *rows]
    section.compare(rows[0], rows[1])
    section.compare(rows[0], quiet)
    section.print()


async def _receive_all_text(sockets: list[websockets.ClientConnection]) -> str:
    texts = await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in sockets))
    return str(texts[0])


async def main(args: argparse.Namespace) -> None:
    report = Report("Jamii streaming benchmark")
    report.machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.sqlite:
            database = await sqlite_database(folder / "bench.db")
            await bench(report, args, database, folder / "sqlite")
        if args.postgres:
            database = await postgres_database(args.postgres, "streaming")
            try:
                await bench(report, args, database, folder / "postgres")
            finally:
                await database.drop()
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streaming", description=__doc__)
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--posts", type=int, default=40, help="timed posts per row")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    add_json_option(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    run(main(parse()))
