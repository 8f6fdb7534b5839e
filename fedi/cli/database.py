"""Opening an instance's database from the CLI, with one-line causes for failures."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url

from fedi.cli.common import fail
from fedi.config import InstanceConfig
from fedi.db import migrate as migrations
from fedi.db.engine import DatabaseUnavailable, create_engine, describe_connection_error


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def ensure_data_dir(config: InstanceConfig) -> None:
    if config.is_sqlite:
        config.data_dir.mkdir(parents=True, exist_ok=True)


async def _probe(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return await migrations.current_revision(engine)
    finally:
        await engine.dispose()


def check_database(config: InstanceConfig, *, require_migrated: bool) -> None:
    """Connect once; exit 1 with the cause on a wrong or unreachable database."""
    ensure_data_dir(config)
    try:
        revision = asyncio.run(_probe(config.database_url))
    except DatabaseUnavailable as exc:
        fail(exc.message)
    except Exception as exc:
        cause = describe_connection_error(exc)
        fail(f"cannot use database {_redacted(config.database_url)}: {cause}")
    else:
        if require_migrated and revision != migrations.head_revision():
            fail(
                f"database {_redacted(config.database_url)} is at revision {revision or 'none'}, "
                f"not {migrations.head_revision()}: "
                f"run `jamii migrate --instance {config.instance_dir}`"
            )


def run_migrations(config: InstanceConfig) -> None:
    check_database(config, require_migrated=False)
    migrations.upgrade(config.database_url)
