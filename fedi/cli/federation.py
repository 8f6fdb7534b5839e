"""``jamii federation …``: which servers this instance talks to."""

from __future__ import annotations

import asyncio

import click

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.cli.database import check_database
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.federation.policy import list_rules as domain_rules
from fedi.federation.policy import set_rule


async def _set(config: InstanceConfig, domain: str, policy: str | None, reason: str) -> None:
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await set_rule(session, domain, policy, reason)
    finally:
        await engine.dispose()


async def _rules(config: InstanceConfig) -> list[tuple[str, str, str]]:
    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session:
            return [(r.domain, r.policy, r.reason) for r in await domain_rules(session)]
    finally:
        await engine.dispose()


def _change(instance_dir: str, domain: str, policy: str | None, reason: str) -> InstanceConfig:
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    try:
        asyncio.run(_set(config, domain, policy, reason))
    except ValueError as exc:
        fail(str(exc), code=2)
    return config


@click.group()
def federation() -> None:
    """Block, allow and list remote servers (adds to instance.toml's federation policy).

    Running servers pick changes up within 30 seconds. A blocked server gets 403 before any
    work and receives no deliveries; under an allowlist policy only allowed servers federate.
    """


@federation.command()
@instance_option
@click.argument("domain")
@click.option("--reason", default="", help="A note for other moderators.")
def block(instance_dir: str, domain: str, reason: str) -> None:
    """Refuse everything from DOMAIN (and its subdomains) and deliver nothing to it."""
    _change(instance_dir, domain, "block", reason)
    click.echo(f"blocked {domain}")


@federation.command()
@instance_option
@click.argument("domain")
def unblock(instance_dir: str, domain: str) -> None:
    """Remove the rule for DOMAIN (a block or an allow)."""
    _change(instance_dir, domain, None, "")
    click.echo(f"removed the rule for {domain}")


@federation.command()
@instance_option
@click.argument("domain")
@click.option("--reason", default="", help="A note for other moderators.")
def allow(instance_dir: str, domain: str, reason: str) -> None:
    """Allow DOMAIN (what counts under the allowlist policy)."""
    _change(instance_dir, domain, "allow", reason)
    click.echo(f"allowed {domain}")


@federation.command(name="list")
@instance_option
def list_rules(instance_dir: str) -> None:
    """Show the policy, instance.toml's lists and the rules added with this command."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    policy = config.federation.policy if config.features.federation else "off"
    click.echo(f"policy: {policy}")
    for domain in config.federation.blocked_domains:
        click.echo(f"block  {domain}  (instance.toml)")
    for domain in config.federation.allowed_domains:
        click.echo(f"allow  {domain}  (instance.toml)")
    for domain, rule, reason in asyncio.run(_rules(config)):
        click.echo(f"{rule:<6} {domain}" + (f"  ({reason})" if reason else ""))
