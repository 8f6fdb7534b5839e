"""``jamii``: run, migrate and administer an instance. Every command has ``--help``."""

from __future__ import annotations

import click

from fedi import __version__
from fedi.cli.accounts import accounts
from fedi.cli.communities import communities_group
from fedi.cli.demo import demo
from fedi.cli.federation import federation
from fedi.cli.instance import instance
from fedi.cli.invites import invites
from fedi.cli.migrate import migrate
from fedi.cli.roster import roster
from fedi.cli.serve import serve
from fedi.cli.translation import translation
from fedi.cli.worker import worker
from fedi.logging import configure


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jamii")
def cli() -> None:
    """Jamii: a federated network for teachers' learning communities."""
    configure()


for command in (
    serve,
    worker,
    migrate,
    accounts,
    communities_group,
    invites,
    roster,
    instance,
    federation,
    demo,
    translation,
):
    cli.add_command(command)


def main() -> None:
    cli()
