"""Real instances on loopback: uvicorn serving the real app on a free port, per test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from fedi.app import create_app
from fedi.config import InstanceConfig, load_config
from fedi.state import AppState


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_instance(
    folder: Path, *, code: str, port: int, database_url: str, extra: str = ""
) -> InstanceConfig:
    """An instance folder for a test, configured like the shipped examples."""
    folder = folder / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(
        f'domain = "127.0.0.1:{port}"\n'
        "dev_insecure = true\n"
        f'[instance]\nname = "Test {code}"\ncountry = "KE"\n'
        '[languages]\nprimary = "en"\nbridged = ["sw"]\n'
        f'[database]\nurl = "{database_url}"\n'
        f"[server]\nport = {port}\n" + extra,
        encoding="utf-8",
    )
    return load_config(folder, environ={})


@dataclass
class Instance:
    config: InstanceConfig
    url: str
    client: httpx.AsyncClient
    app: Starlette

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.jamii
        return state


@asynccontextmanager
async def serve(config: InstanceConfig) -> AsyncIterator[Instance]:
    """Serve ``config`` on its port until the block ends; the database must be migrated."""
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=config.server.port,
            log_level="warning",
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{config.server.port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield Instance(config=config, url=url, client=client, app=app)
    finally:
        server.should_exit = True
        # Longer than the in-process worker's drain grace (30 s): on a busy machine the jobs
        # a test left queued may take that long, and cutting them short fails the teardown.
        await asyncio.wait_for(task, timeout=45)
