"""Environment overrides: ``JAMII_<SECTION>_<KEY>`` replaces ``[section] key``.

Containers and CI set a database URL or a domain without editing the instance file. The
known names come from the schema, so a new key is overridable the day it is added; any other
``JAMII_*`` variable (``JAMII_TEST_POSTGRES_URL``, ``JAMII_INSTANCE``) is left alone.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from fedi.config.problems import Problem
from fedi.config.schema import InstanceConfig

PREFIX = "JAMII_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
# Keys the loader supplies itself, so no variable may set them.
_NOT_OVERRIDABLE = frozenset({"instance_dir"})


@dataclass(frozen=True)
class Override:
    """One environment variable naming a key of the schema."""

    variable: str
    path: tuple[str, ...]  # ("database", "url") or ("domain",)
    field: FieldInfo

    @property
    def key(self) -> str:
        return ".".join(self.path)


def known_overrides() -> dict[str, Override]:
    """Every variable name Jamii reads, e.g. ``JAMII_DATABASE_URL`` -> ``database.url``."""
    known: dict[str, Override] = {}
    for name, field in InstanceConfig.model_fields.items():
        if name in _NOT_OVERRIDABLE:
            continue
        table = field.annotation
        if isinstance(table, type) and issubclass(table, BaseModel):
            for key, inner in table.model_fields.items():
                variable = f"{PREFIX}{name.upper()}_{key.upper()}"
                known[variable] = Override(variable, (name, key), inner)
        else:
            known[f"{PREFIX}{name.upper()}"] = Override(f"{PREFIX}{name.upper()}", (name,), field)
    return known


def apply_overrides(
    data: dict[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """Write the overrides found in ``environ`` into ``data`` (parsed TOML), in place.

    Returns which dotted keys came from which variable, and the problems with values that
    could not be converted (those values are not applied).
    """
    origins: dict[str, str] = {}
    problems: list[Problem] = []
    for variable, override in known_overrides().items():
        if variable not in environ:
            continue
        try:
            value = _convert(environ[variable], override.field)
        except ValueError as error:
            problems.append(Problem(f"environment {variable}", override.key, str(error)))
            continue
        *tables, key = override.path
        target = data
        for table in tables:
            target = target.setdefault(table, {})
            if not isinstance(target, dict):
                break  # The file's own "[table]" is malformed; that problem is reported.
        else:
            target[key] = value
            origins[override.key] = variable
    return origins, problems


def _convert(raw: str, field: FieldInfo) -> object:
    """Give a variable's text the type the schema expects, where text cannot say it."""
    annotation = field.annotation
    args = get_args(annotation)
    optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    kind = next(arg for arg in args if arg is not type(None)) if optional else annotation
    if kind is bool:
        return _boolean(raw, optional=optional)
    if kind is int:
        try:
            return int(raw.strip())
        except ValueError:
            return raw  # Left as text so the schema reports it with the key's range.
    if get_origin(kind) is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _boolean(raw: str, *, optional: bool) -> bool | None:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    if optional and word in ("", "auto"):
        return None
    pairs = [word for pair in zip(_TRUE, _FALSE, strict=True) for word in pair]
    accepted = ", ".join([*pairs, *(["auto"] if optional else [])])
    raise ValueError(f"must be one of {accepted} (got {raw!r})")
