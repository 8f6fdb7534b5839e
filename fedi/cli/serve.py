"""``jamii serve``: serve one instance over HTTP."""

from __future__ import annotations

import click
import uvicorn

from fedi.app import create_app
from fedi.cli.common import instance_option, load_or_exit
from fedi.cli.database import check_database


@click.command()
@instance_option
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [server] port).")
def serve(instance_dir: str, host: str | None, port: int | None) -> None:
    """Serve the instance (web pages, APIs and, on SQLite, the in-process worker)."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    uvicorn.run(
        create_app(config, own_process=True),
        host=host or config.server.host,
        port=port or config.server.port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        # Streaming connections never finish on their own: without a bound, a restart
        # would wait for every client to hang up.
        timeout_graceful_shutdown=10,
    )
