"""Pieces every command shares: the ``--instance`` option and loading its configuration."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fedi.config import ConfigError, InstanceConfig, load_config

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_INSTANCE = "instances/ke"


def instance_option(func: F) -> F:
    """``--instance DIR`` (or ``JAMII_INSTANCE``): the folder holding ``instance.toml``."""
    return click.option(
        "--instance",
        "instance_dir",
        default=lambda: os.environ.get("JAMII_INSTANCE", DEFAULT_INSTANCE),
        show_default=DEFAULT_INSTANCE,
        metavar="DIR",
        help="Instance folder holding instance.toml (env JAMII_INSTANCE).",
    )(func)


def load_or_exit(instance_dir: str) -> InstanceConfig:
    """The instance's configuration, or every problem on stderr and exit status 2."""
    try:
        return load_config(instance_dir)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(2) from None


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error and exit: the CLI's answer to a known failure."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
