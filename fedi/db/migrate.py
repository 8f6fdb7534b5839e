"""Schema migrations (Alembic), callable from the CLI, the demo and tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from fedi.db.base import ONLY_ON

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def include_for(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a ``dialect`` database: items declared for another
    database only are left out of autogenerate's comparison, as they are of its schema."""

    def include(item: Any, _name: str | None, _type: str, _reflected: bool, _to: Any) -> bool:
        only_on = getattr(item, "info", {}).get(ONLY_ON)
        return only_on is None or only_on == dialect

    return include


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is an INI file: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision`` (synchronous: runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
