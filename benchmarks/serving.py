"""An ASGI app served on loopback by uvicorn: in a process of its own as ``jamii serve``
serves Jamii (``serve_like_jamii``, for the bare baselines, so that only the app differs), or
in this process for the length of a block (``served``).

Kept apart from ``benchmarks.loopback`` so that a bare baseline's process imports no more
than it serves with.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from fedi.logging import configure

LOOPBACK = "127.0.0.1"


def serve_like_jamii(app: ASGIApp, port: int) -> None:
    """Serve ``app`` until SIGTERM with ``jamii serve``'s logging and uvicorn options."""
    configure()  # what the jamii CLI does before `jamii serve`
    uvicorn.run(
        app,
        host=LOOPBACK,
        port=port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )


@asynccontextmanager
async def served(app: ASGIApp, port: int) -> AsyncIterator[None]:
    """``app`` served in this process (its lifespan run) while the block runs."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
