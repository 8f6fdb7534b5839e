"""Load ``<instance_dir>/instance.toml``, apply environment overrides, report every problem.

``jamii instance check`` prints what ``check_config`` returns; everything else calls
``load_config`` once at start-up and passes the ``InstanceConfig`` down. Problems are
collected rather than raised one by one, so an operator fixes a file in one pass.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fedi.config.environment import apply_overrides
from fedi.config.problems import ConfigError, Problem, problems_from
from fedi.config.schema import InstanceConfig

__all__ = ["CONFIG_FILE", "ConfigError", "Problem", "check_config", "load_config"]

CONFIG_FILE = "instance.toml"


def load_config(
    instance_dir: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> InstanceConfig:
    """Load the instance in ``instance_dir`` (e.g. ``"instances/ke"``).

    ``environ`` defaults to ``os.environ``; its ``JAMII_<SECTION>_<KEY>`` variables override
    the file. Raises ``ConfigError`` listing every problem found.
    """
    config, problems = _load(instance_dir, os.environ if environ is None else environ)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def check_config(
    instance_dir: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> list[Problem]:
    """Return every problem with the instance in ``instance_dir``; empty when it loads."""
    return _load(instance_dir, os.environ if environ is None else environ)[1]


def _load(
    instance_dir: str | os.PathLike[str], environ: Mapping[str, str]
) -> tuple[InstanceConfig | None, list[Problem]]:
    folder = Path(instance_dir)
    # Problems name the file as the operator typed the folder, not an absolute path.
    source = str(folder / CONFIG_FILE)
    data, problems = _read(folder, source)
    if data is None:
        return None, problems
    if "instance_dir" in data:
        # A schema field, but the folder itself decides it; the file may not.
        del data["instance_dir"]
        problems.append(Problem(source, "instance_dir", "unknown key"))
    origins, env_problems = apply_overrides(data, environ)
    problems.extend(env_problems)
    resolved = folder.resolve()
    try:
        config = InstanceConfig.model_validate(
            {**data, "instance_dir": resolved}, context={"instance_dir": resolved}
        )
    except ValidationError as error:
        return None, [*problems, *problems_from(error, source, origins)]
    return config, problems


def _read(folder: Path, source: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "instance folder not found"
        return None, [Problem(str(folder), "", reason)]
    try:
        with open(folder / CONFIG_FILE, "rb") as file:
            return tomllib.load(file), []
    except FileNotFoundError:
        return None, [Problem(source, "", "file not found")]
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line L, column C)", which is what the reader needs.
        return None, [Problem(source, "", f"invalid TOML: {error}")]
    except UnicodeDecodeError as error:
        return None, [Problem(source, "", f"not UTF-8 text: {error.reason} at byte {error.start}")]
    except OSError as error:
        return None, [Problem(source, "", f"cannot be read: {error.strerror or error}")]
