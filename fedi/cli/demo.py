"""``jamii demo``: the local demo federation — several instances on loopback, seeded."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import click
import uvicorn
from sqlalchemy.engine import make_url

from fedi.app import create_app
from fedi.cli.common import fail, load_or_exit
from fedi.cli.database import run_migrations
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine
from fedi.demo.connect import connect, converse
from fedi.demo.data import DEMO_PASSWORD
from fedi.demo.seed import login_email, seed, seed_for
from fedi.domain.translator import MODELS_MISSING, models_installed
from fedi.state import AppState

DEFAULT_INSTANCES = ("ke", "sn", "mz", "tz")


async def _seed_all(configs: list[InstanceConfig]) -> None:
    for config in configs:
        engine = create_engine(config.database_url)
        try:
            await seed(engine, config)
        finally:
            await engine.dispose()


async def _serve_all(configs: list[InstanceConfig]) -> None:
    apps = {config.code: create_app(config) for config in configs}
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                apps[config.code],
                host=config.server.host,
                port=config.server.port,
                log_level="warning",
                server_header=False,
            )
        )
        for config in configs
    ]

    async def follow_across_borders() -> None:
        # uvicorn exposes only a flag for "listening"; a server that failed ends its task.
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                return
            await asyncio.sleep(0.05)
        states = {code: app.state.jamii for code, app in apps.items()}
        try:
            await _connect_and_converse(states)
        except Exception as exc:
            # The instances keep serving; the demo's cross-border seed is a convenience.
            click.echo(f"could not connect the demo instances ({type(exc).__name__}): {exc}")

    async def _connect_and_converse(states: dict[str, AppState]) -> None:
        made = await connect(states)
        if made:
            click.echo(f"teachers followed {made} colleagues across borders")
            # Give the Follow/Accept round trips a moment, so the thread reaches everyone.
            await asyncio.sleep(2)
        if await converse(states):
            click.echo("a conversation in English, French and Portuguese is under way")

    tasks = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.gather(*tasks, follow_across_borders())


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _delete_sqlite(url: str) -> None:
    # Only the database files: a data dir may hold an operator's other files.
    database = make_url(url).database
    if database:
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)


def _banner(configs: list[InstanceConfig]) -> None:
    click.echo("\nJamii demo federation is running (Ctrl-C stops it):\n")
    for config in configs:
        click.echo(f"  {config.instance.name}")
        click.echo(f"    {config.base_url}/")
        data = seed_for(config)
        if data:
            first = data.teachers[0].username
            click.echo(f"    log-in: {login_email(config, first)} / {DEMO_PASSWORD}")
    click.echo(_translation_notice(configs))


def _translation_notice(configs: list[InstanceConfig]) -> str:
    """Whether the demo translates, and how to make it when it cannot (works offline)."""
    if not any(config.features.translation for config in configs):
        return "\nMachine translation is turned off ([features] translation = false).\n"
    if any(models_installed(config) for config in configs):
        folder = configs[0].translation_models_dir
        return f"\nMachine translation: on (models in {folder}).\n"
    where = configs[0].instance_dir
    return (
        f"\n{MODELS_MISSING} --instance {where}\n"
        "  (posts show in the language they were written in until then; Kiswahili: "
        "docs/translation.md)\n"
    )


@click.command()
@click.option(
    "--instances-dir",
    default="instances",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder holding one folder per instance.",
)
@click.option(
    "--only",
    default=",".join(DEFAULT_INSTANCES),
    show_default=True,
    help="Comma-separated instance codes to start.",
)
@click.option("--reset", is_flag=True, help="Delete the demo instances' data first.")
@click.option("--no-serve", is_flag=True, help="Migrate and seed, then exit.")
def demo(instances_dir: str, only: str, reset: bool, no_serve: bool) -> None:
    """Migrate, seed and serve the demo instances on loopback (what `make run` does)."""
    codes = [code.strip() for code in only.split(",") if code.strip()]
    configs = [load_or_exit(str(Path(instances_dir) / code)) for code in codes]
    for config in configs:
        if reset and config.is_sqlite:
            _delete_sqlite(config.database_url)
        run_migrations(config)
    asyncio.run(_seed_all(configs))
    if no_serve:
        click.echo(f"seeded {', '.join(codes)}")
        click.echo(_translation_notice(configs))
        return
    for config in configs:
        if not _port_free(config.server.host, config.server.port):
            fail(
                f"{config.server.host}:{config.server.port} ({config.code}) is already in use: "
                "is another demo or server running? Stop it, or change [server] port."
            )
    _banner(configs)
    asyncio.run(_serve_all(configs))
