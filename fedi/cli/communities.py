"""``jamii communities …``: create, list and show this instance's communities."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.cli.database import check_database
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain import communities
from fedi.domain.accounts import local_account
from fedi.domain.communities import CommunityView, Settings
from fedi.domain.site import Site
from fedi.errors import JamiiError

T = TypeVar("T")


def _run(config: InstanceConfig, work: Callable[[AsyncSession, Site], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(config.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session, Site.from_config(config))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except JamiiError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
        raise  # unreachable: fail exits


def _describe(view: CommunityView, domain: str) -> list[str]:
    account, community = view.account, view.community
    lines = [
        f"@{account.username}@{domain}  {account.display_name}",
        f"  url: {account.url}",
        f"  visibility: {community.visibility}  posting: {community.posting_policy}",
        f"  members: {account.followers_count}",
    ]
    if community.subject:
        lines.append(f"  subject: {community.subject}")
    if community.grade_levels:
        lines.append(f"  grades: {', '.join(community.grade_levels)}")
    if community.languages:
        lines.append(f"  languages: {', '.join(community.languages)}")
    lines += [f"  rule {n}: {rule}" for n, rule in enumerate(community.rules, start=1)]
    return lines


@click.group(name="communities")
def communities_group() -> None:
    """Create and list communities of practice (FEP-1b12 groups)."""


@communities_group.command()
@instance_option
@click.argument("name")
@click.option("--display-name", default="", help="Shown name, e.g. 'Mathematics, secondary'.")
@click.option("--description", default="", help="What the community is for.")
@click.option("--subject", default="", help="The subject taught, e.g. mathematics.")
@click.option("--grade", "grades", multiple=True, help="A grade level (repeatable).")
@click.option("--language", "languages", multiple=True, help="A language code (repeatable).")
@click.option("--rule", "rules", multiple=True, help="A community rule (repeatable).")
@click.option("--private", is_flag=True, help="Join requests wait for a moderator.")
@click.option(
    "--posting",
    type=click.Choice(["members", "anyone", "moderators"]),
    default="members",
    show_default=True,
    help="Who may post.",
)
@click.option("--moderator", default=None, help="Username of a local teacher who moderates it.")
def create(
    instance_dir: str,
    name: str,
    display_name: str,
    description: str,
    subject: str,
    grades: tuple[str, ...],
    languages: tuple[str, ...],
    rules: tuple[str, ...],
    private: bool,
    posting: str,
    moderator: str | None,
) -> None:
    """Create a community NAME (its handle: @NAME@domain)."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    settings = Settings(
        name=name,
        display_name=display_name,
        description=description,
        subject=subject,
        grade_levels=list(grades),
        languages=list(languages),
        rules=list(rules),
        visibility="private" if private else "public",
        posting_policy=posting,
    )

    async def work(session: AsyncSession, site: Site) -> int:
        creator = None
        if moderator is not None:
            creator = await local_account(session, moderator)
            if creator is None or creator.actor_type != "Person":
                raise JamiiError(f"no local teacher named {moderator}", field="moderator")
        view = await communities.create(session, site, settings, creator=creator)
        return view.account.id

    account_id = _run(config, work)
    click.echo(f"created community @{name}@{config.domain} (id {account_id})")


@communities_group.command(name="list")
@instance_option
def list_(instance_dir: str) -> None:
    """List this instance's communities."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)

    async def work(session: AsyncSession, site: Site) -> list[CommunityView]:
        return await communities.local_list(session, limit=1000)

    views = _run(config, work)
    if not views:
        click.echo("no communities")
    for view in views:
        account = view.account
        click.echo(
            f"@{account.username}@{config.domain}\t{view.community.visibility}\t"
            f"{account.followers_count} members\t{account.display_name}"
        )


@communities_group.command()
@instance_option
@click.argument("name")
def show(instance_dir: str, name: str) -> None:
    """Show a community's settings and moderators."""
    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)

    async def work(session: AsyncSession, site: Site) -> list[str]:
        view = await communities.local(session, name)
        mods = await communities.moderators(session, view.account.id)
        lines = _describe(view, config.domain)
        lines.append("  moderators: " + (", ".join(f"@{m.acct()}" for m in mods) or "none"))
        return lines

    for line in _run(config, work):
        click.echo(line)
