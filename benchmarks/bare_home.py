"""The home-timeline benchmark's HTTP baseline: the same SQL through the raw driver, orjson out.

    python -m benchmarks.bare_home --database URL --queries QUERIES.pickle --tokens TOKENS.json
        --base-url URL --port PORT

``GET /api/v1/timelines/home?limit=20|40`` finds the viewer with a dict lookup of the bearer
token (401 when unknown), replays the statements ``jamii serve`` sends for that page (captured
from our own layers by ``benchmarks.home_http`` with ``benchmarks.raw.recording``: the page's
rows with authors and the viewer's flags, then media, mentions and hashtags) through the raw
driver, and builds Mastodon-shaped statuses as plain dicts (the same keys and values our
presenter gives, checked by the benchmark against our answers) serialised with orjson, with
the same ``Link`` header. No middleware, no sessions, no pydantic.

Connections: a fixed pool of 5 aiosqlite connections or an asyncpg pool of 10, opened once
and never closed while serving (on SQLite, 20 measured slower for this baseline: more
threads contending); asyncpg keeps each statement prepared per connection. Served exactly as
``jamii serve`` serves an instance: uvicorn with its defaults (uvloop and httptools), one
process, ``log_level="info"`` (access log on), Jamii's structlog configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pickle
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.raw import Template
from benchmarks.serving import serve_like_jamii
from fedi.db.repositories.statuses import N_ACCOUNT_COLUMNS, N_STATUS_COLUMNS

SQLITE_POOL = 5  # what SQLAlchemy keeps for a SQLite file by default (no overflow here)
PG_POOL = 10  # asyncpg queues beyond it and never reconnects


def _iso_sqlite(value: str) -> str:
    # SQLAlchemy stores DateTime on SQLite as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
    return f"{value[:10]}T{value[11:19]}.{value[20:23]}Z"


def _iso_pg(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class Fetcher:
    """Rows from the raw driver, one pooled connection per request."""

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteFetcher(Fetcher):
    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self.all = connections
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)

    @classmethod
    async def open(cls, path: str) -> SqliteFetcher:
        connections = []
        for _ in range(SQLITE_POOL):
            connection = await aiosqlite.connect(path)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                await connection.execute(f"PRAGMA {pragma}")
            await connection.execute("PRAGMA busy_timeout=5000")
            connections.append(connection)
        return cls(connections)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.idle.get()
        try:
            yield connection
        finally:
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self.all:
            await connection.close()


class PostgresFetcher(Fetcher):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def close(self) -> None:
        await self.pool.close()


class Baseline:
    def __init__(
        self,
        fetcher: SqliteFetcher | PostgresFetcher,
        queries: dict[int, list[Template]],
        tokens: dict[str, int],
        base_url: str,
    ) -> None:
        self.fetcher = fetcher
        self.queries = queries
        self.tokens = tokens
        self.base_url = base_url
        self.avatar = f"{base_url}/static/avatar.png"
        self.header = f"{base_url}/static/header.png"
        self.sqlite = isinstance(fetcher, SqliteFetcher)
        self.iso = _iso_sqlite if self.sqlite else _iso_pg

    async def page(self, viewer_id: int, limit: int) -> tuple[list[Any], list[Any]]:
        first, *rest = self.queries[limit]
        if isinstance(self.fetcher, SqliteFetcher):
            async with self.fetcher.connection() as connection:
                rows = list(
                    await connection.execute_fetchall(first.sql, first.params(viewer_id, []))
                )
                ids = [row[0] for row in rows]
                extras: list[Any] = []
                for query in rest:
                    extras += await connection.execute_fetchall(
                        query.sql, query.params(viewer_id, ids)
                    )
            return rows, extras
        async with self.fetcher.pool.acquire() as connection:
            rows = await connection.fetch(first.sql, *first.params(viewer_id, []))
            ids = [row[0] for row in rows]
            extras = []
            for query in rest:
                extras += await connection.fetch(query.sql, *query.params(viewer_id, ids))
        return rows, extras

    def account(self, r: Sequence[Any]) -> dict[str, Any]:
        # r: the 18 author columns of fedi.db.repositories.statuses._ACCOUNT_COLUMNS.
        fields = r[12]
        if isinstance(fields, str):
            fields = orjson.loads(fields)
        last = r[14]
        return {
            "id": str(r[0]),
            "username": r[1],
            "acct": r[1] if r[2] is None else f"{r[1]}@{r[2]}",
            "display_name": r[3],
            "locked": bool(r[8]),
            "bot": bool(r[9]),
            "discoverable": True,
            "group": r[7] == "Group",
            "created_at": self.iso(r[13]),
            "note": r[4],
            "url": r[6] or r[5],
            "uri": r[5],
            "avatar": r[10] or self.avatar,
            "avatar_static": r[10] or self.avatar,
            "header": r[11] or self.header,
            "header_static": r[11] or self.header,
            "followers_count": r[16],
            "following_count": r[17],
            "statuses_count": r[15],
            "last_status_at": None
            if last is None
            else (last[:10] if isinstance(last, str) else last.date().isoformat()),
            "emojis": [],
            "fields": [
                {"name": f["name"], "value": f["value"], "verified_at": None} for f in fields
            ],
        }

    def statuses(self, rows: list[Any], extras: list[Any]) -> list[dict[str, Any]]:
        media: dict[int, list[Any]] = defaultdict(list)
        mentions: dict[int, list[Any]] = defaultdict(list)
        tags: dict[int, list[Any]] = defaultdict(list)
        for e in sorted(extras, key=lambda e: (e[1], e[2])):
            if e[1] == "a":
                url = f"{self.base_url}/media/{e[6]}" if e[6] else e[7] or ""
                meta = e[10] if not isinstance(e[10], str) else orjson.loads(e[10])
                media[e[0]].append(
                    {
                        "id": str(e[3]),
                        "type": e[4],
                        "url": url,
                        "preview_url": url if e[4] == "image" else None,
                        "remote_url": e[7],
                        "meta": meta or {},
                        "description": e[8] or None,
                        "blurhash": e[9],
                    }
                )
            elif e[1] == "m":
                acct = e[4] if e[5] is None else f"{e[4]}@{e[5]}"
                mentions[e[0]].append(
                    {"id": str(e[3]), "username": e[4], "url": e[6] or e[7], "acct": acct}
                )
            else:
                name = e[4].lower()
                tags[e[0]].append({"name": name, "url": f"{self.base_url}/tags/{name}"})
        out = []
        for r in rows:
            # r: the status columns (fedi.db.repositories.statuses), the author's, 4 flags.
            sid = r[0]
            flags = r[N_STATUS_COLUMNS + N_ACCOUNT_COLUMNS :]
            out.append(
                {
                    "id": str(sid),
                    "uri": r[1],
                    "url": r[2],
                    "created_at": self.iso(r[14]),
                    "edited_at": self.iso(r[15]) if r[15] is not None else None,
                    "account": self.account(
                        r[N_STATUS_COLUMNS : N_STATUS_COLUMNS + N_ACCOUNT_COLUMNS]
                    ),
                    "content": r[7],
                    "visibility": r[12],
                    "sensitive": bool(r[10]),
                    "spoiler_text": r[9],
                    "media_attachments": media.get(sid, []),
                    "application": None,
                    "mentions": mentions.get(sid, []),
                    "tags": tags.get(sid, []),
                    "emojis": [],
                    "reblogs_count": r[17],
                    "favourites_count": r[18],
                    "replies_count": r[16],
                    "in_reply_to_id": str(r[4]) if r[4] else None,
                    "in_reply_to_account_id": str(r[5]) if r[5] else None,
                    "reblog": None,  # the data set has no boosts
                    "poll": None,
                    "card": None,
                    "language": r[11],
                    "text": None,
                    "favourited": bool(flags[0]),
                    "reblogged": bool(flags[1]),
                    "muted": False,
                    "bookmarked": bool(flags[2]),
                    "pinned": bool(flags[3]),
                    "filtered": [],
                }
            )
        return out

    async def home(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        viewer_id = self.tokens.get(header[7:]) if header[:7].lower() == "bearer " else None
        if viewer_id is None:
            return Response(b'{"error":"The access token is invalid"}', 401)
        limit = int(request.query_params.get("limit", "20"))
        rows, extras = await self.page(viewer_id, limit)
        headers = {}
        if rows:
            path = f"{self.base_url}/api/v1/timelines/home"
            headers["link"] = (
                f'<{path}?limit={limit}&max_id={rows[-1][0]}>; rel="next", '
                f'<{path}?limit={limit}&min_id={rows[0][0]}>; rel="prev"'
            )
        return Response(
            orjson.dumps(self.statuses(rows, extras)),
            media_type="application/json",
            headers=headers,
        )


def build_app(args: argparse.Namespace) -> Starlette:
    queries: dict[int, list[Template]] = pickle.loads(args.queries.read_bytes())  # noqa: S301 (our own file)
    tokens: dict[str, int] = orjson.loads(args.tokens.read_bytes())
    baseline: Baseline | None = None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal baseline
        url = make_url(args.database)
        fetcher: SqliteFetcher | PostgresFetcher
        if url.drivername.startswith("sqlite"):
            fetcher = await SqliteFetcher.open(str(url.database))
        else:
            plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
            fetcher = PostgresFetcher(
                await asyncpg.create_pool(plain, min_size=1, max_size=PG_POOL)
            )
        baseline = Baseline(fetcher, queries, tokens, args.base_url)
        try:
            yield
        finally:
            await fetcher.close()

    async def home(request: Request) -> Response:
        assert baseline is not None
        return await baseline.home(request)

    async def health(request: Request) -> Response:
        return Response(status_code=200)

    return Starlette(
        routes=[Route("/api/v1/timelines/home", home), Route("/health", health)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_home")
    parser.add_argument("--database", required=True, help="the SQLAlchemy URL ours uses")
    parser.add_argument("--queries", type=Path, required=True, help="pickled {limit: [Template]}")
    parser.add_argument(
        "--tokens", type=Path, required=True, help="JSON object token -> account id"
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve_like_jamii(build_app(args), args.port)


if __name__ == "__main__":
    main()
