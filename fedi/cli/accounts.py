"""``jamii accounts …``: create and manage local accounts."""

from __future__ import annotations

import asyncio

import click

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.cli.database import check_database
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain.accounts import Registration, register
from fedi.domain.site import Site
from fedi.errors import JamiiError


async def _create(config: InstanceConfig, registration: Registration) -> int:
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            account, _ = await register(session, Site.from_config(config), registration)
            return account.id
    finally:
        await engine.dispose()


@click.group()
def accounts() -> None:
    """Create and manage local accounts."""


@accounts.command()
@instance_option
@click.argument("name")
@click.option("--email", required=True, help="The teacher's e-mail address (their log-in).")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
@click.option("--moderator", is_flag=True, help="Give the account the moderator role.")
@click.option("--display-name", default="", help="Name shown on posts.")
def create(
    instance_dir: str,
    name: str,
    email: str,
    password: str,
    admin: bool,
    moderator: bool,
    display_name: str,
) -> None:
    """Create a local account NAME, approved and confirmed, ready to log in."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    role = "admin" if admin else "moderator" if moderator else "user"
    registration = Registration(
        username=name,
        email=email,
        password=password,
        display_name=display_name,
        role=role,
        locale=config.languages.primary,
    )
    try:
        account_id = asyncio.run(_create(config, registration))
    except JamiiError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    click.echo(f"created {role} @{name}@{config.domain} (id {account_id})")
