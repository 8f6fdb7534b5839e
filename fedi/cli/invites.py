"""``jamii invites …``: sign-up codes for teachers (no e-mail round trip)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import click

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.cli.database import check_database
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain import invites as domain
from fedi.errors import JamiiError


async def _create(config: InstanceConfig, uses: int | None, days: int | None) -> str:
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            invite = await domain.create_invite(
                session,
                max_uses=uses,
                expires_in=timedelta(days=days) if days is not None else None,
            )
            return invite.code
    finally:
        await engine.dispose()


async def _list(config: InstanceConfig) -> list[str]:
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session:
            lines = []
            for invite in await domain.recent_invites(session):
                uses = f"{invite.uses}/{invite.max_uses or '∞'}"
                expires = (
                    invite.expires_at.isoformat(timespec="minutes")
                    if invite.expires_at
                    else "never"
                )
                state = "usable" if domain.is_usable(invite) else "expired-or-used-up"
                lines.append(f"{invite.code}  uses {uses}  expires {expires}  {state}")
            return lines
    finally:
        await engine.dispose()


@click.group()
def invites() -> None:
    """Make and list invite codes (sign-up links /invite/CODE)."""


@invites.command()
@instance_option
@click.option(
    "--uses", type=int, default=None, help="How many sign-ups it allows (default: no limit)."
)
@click.option(
    "--expires-in",
    "days",
    type=int,
    default=None,
    metavar="DAYS",
    help="Days it stays valid (default: never expires).",
)
def create(instance_dir: str, uses: int | None, days: int | None) -> None:
    """Create an invite; prints its code and link."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    try:
        code = asyncio.run(_create(config, uses, days))
    except JamiiError as exc:
        fail(exc.message)
    click.echo(f"{code}  {config.base_url}/invite/{code}")


@invites.command(name="list")
@instance_option
def list_(instance_dir: str) -> None:
    """List the latest invites with their uses and expiry."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    for line in asyncio.run(_list(config)):
        click.echo(line)
