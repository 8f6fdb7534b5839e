"""``jamii migrate``: bring the database schema up to date."""

from __future__ import annotations

import click

from fedi.cli.common import instance_option, load_or_exit
from fedi.cli.database import run_migrations
from fedi.db import migrate as migrations


@click.command()
@instance_option
def migrate(instance_dir: str) -> None:
    """Create or upgrade the instance's database schema (safe to run again)."""
    config = load_or_exit(instance_dir)
    run_migrations(config)
    click.echo(f"database is at revision {migrations.head_revision()}")
