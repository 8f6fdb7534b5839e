"""``jamii instance …``: inspect an instance's configuration."""

from __future__ import annotations

import click

from fedi.cli.common import instance_option
from fedi.config import check_config


@click.group()
def instance() -> None:
    """Inspect the instance's configuration."""


@instance.command()
@instance_option
def check(instance_dir: str) -> None:
    """Report every problem in instance.toml and JAMII_* overrides as file:key: problem."""
    problems = check_config(instance_dir)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise SystemExit(2)
    click.echo(f"{instance_dir}: configuration is valid")
