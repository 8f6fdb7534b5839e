"""``jamii roster …``: import the ministry's teachers; each gets a one-time activation code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.cli.database import check_database
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain import activation
from fedi.domain.roster import Activation, codes_csv, import_roster, parse_roster
from fedi.domain.site import Site
from fedi.errors import JamiiError


def _writer_engine(config: InstanceConfig) -> AsyncEngine:
    """An engine whose transactions take SQLite's write lock at BEGIN.

    An import reads (is the username taken?) and then writes, for many teachers in one
    transaction. With a deferred BEGIN, any write the running server commits meanwhile
    makes SQLite refuse the upgrade to a writer at once ("database is locked") instead of
    waiting. ``BEGIN IMMEDIATE`` waits for the lock up front, then holds it to the end.
    """
    engine = create_engine(config.database_url)
    if config.is_sqlite:

        def no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            # A command may wait longer than a request for the server to finish a write.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        def begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine.sync_engine, "connect", no_implicit_begin)
        event.listen(engine.sync_engine, "begin", begin_immediate)
    return engine


async def _import(config: InstanceConfig, text: str, days: int) -> list[Activation]:
    entries = parse_roster(text)
    engine = _writer_engine(config)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await import_roster(
                session, Site.from_config(config), entries, valid_for=timedelta(days=days)
            )
    finally:
        await engine.dispose()


async def _reissue(config: InstanceConfig, username: str, days: int) -> str:
    engine = _writer_engine(config)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await activation.reissue(session, username, valid_for=timedelta(days=days))
    finally:
        await engine.dispose()


@click.group()
def roster() -> None:
    """Create teachers' accounts from the ministry's list, with activation codes."""


days_option = click.option(
    "--expires-in",
    "days",
    type=click.IntRange(1, 365),
    default=60,
    show_default=True,
    metavar="DAYS",
    help="Days the activation codes stay valid.",
)


@roster.command(name="import")
@instance_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the codes CSV here instead of printing it.",
)
@days_option
def import_(instance_dir: str, csv_file: Path, output: Path | None, days: int) -> None:
    """Import CSV_FILE (header: username, display_name, email, school, subjects, languages;
    only username is required; lists separated by ';'). One account per teacher; prints
    (or writes) username, display_name, activation_code for the ministry to hand out.
    A bad row imports nothing and names its line."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    try:
        activations = asyncio.run(_import(config, csv_file.read_text(encoding="utf-8-sig"), days))
    except JamiiError as exc:
        fail(exc.message)
    except UnicodeDecodeError:
        fail(f"{csv_file} is not UTF-8 text; save it from the spreadsheet as CSV UTF-8")
    codes = codes_csv(config.base_url, activations)
    if output is None:
        click.echo(codes, nl=False)
    else:
        output.write_text(codes, encoding="utf-8")
        click.echo(f"imported {len(activations)} teachers; codes in {output}", err=True)


@roster.command()
@instance_option
@click.argument("username")
@days_option
def reissue(instance_dir: str, username: str, days: int) -> None:
    """A new activation code for USERNAME (the previous one stops working)."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    try:
        code = asyncio.run(_reissue(config, username, days))
    except JamiiError as exc:
        fail(exc.message)
    click.echo(f"{username}  {code}  {config.base_url}/activate")
