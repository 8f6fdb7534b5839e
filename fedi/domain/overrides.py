"""Instance settings an admin changes at runtime, over instance.toml.

instance.toml stays the source: a ministry's operator writes it, and `jamii instance
check` validates it. A few settings are also the ministry's everyday decisions (the
instance's name and description, its tagline and colour, who may sign up, whether the
public timeline is shown, whether posts are translated, who may create communities):
admins change those on ``/admin/settings`` without editing a file or restarting. Such a
change is an ``InstanceOverride`` row; the effective configuration is the file's with the
rows applied, each through the same validation as the file (``fedi.config.schema``).

A saved value equal to the file's removes the row, so the file speaks again.
Anything not in ``EDITABLE`` (domain, languages, federation, limits, database) is the
file's alone: those need a restart or concern how the server runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.config import InstanceConfig
from fedi.db.base import utcnow
from fedi.db.models import Account, InstanceOverride
from fedi.errors import ValidationFailed

# ``table.key`` → the kind of control that edits it.
EDITABLE: dict[str, str] = {
    "instance.name": "text",
    "instance.description": "text",
    "instance.contact_email": "text",
    "branding.tagline": "text",
    "branding.primary_color": "text",
    "registration.policy": "choice",
    "communities.creation": "choice",
    "features.open_registration": "switch",
    "features.public_timeline": "switch",
    "features.translation": "switch",
}
INVALID = "This value is not allowed here."


class SettingsRefused(ValidationFailed):
    """Every refused setting at once (``fields``); the first is the error's ``field``."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(INVALID, field=fields[0])
        self.fields = fields


def current(config: InstanceConfig, key: str) -> Any:
    table, name = key.split(".", 1)
    return getattr(getattr(config, table), name)


def choices(key: str) -> tuple[str, ...]:
    """The values a ``choice`` setting accepts, as the configuration's schema lists them."""
    table, name = key.split(".", 1)
    model = InstanceConfig.model_fields[table].annotation
    assert isinstance(model, type)
    assert issubclass(model, BaseModel)
    return tuple(str(value) for value in get_args(model.model_fields[name].annotation))


def apply(config: InstanceConfig, overrides: Mapping[str, Any]) -> InstanceConfig:
    """``config`` with ``overrides`` applied, each table validated as the file's is.

    Raises ``ValidationFailed`` naming the first bad key (its ``field``).
    """
    unknown = [key for key in overrides if key not in EDITABLE]
    if unknown:
        raise ValidationFailed(INVALID, field=unknown[0])
    tables: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        table, name = key.split(".", 1)
        tables.setdefault(table, {})[name] = value
    update: dict[str, BaseModel] = {}
    for table, values in tables.items():
        old: BaseModel = getattr(config, table)
        try:
            update[table] = type(old).model_validate(
                {**old.model_dump(), **values}, context={"instance_dir": config.instance_dir}
            )
        except ValidationError as exc:
            location = exc.errors()[0]["loc"]
            name = str(location[0]) if location else next(iter(values))
            raise ValidationFailed(INVALID, field=f"{table}.{name}") from None
    return config.model_copy(update=update)


async def load(session: AsyncSession) -> dict[str, Any]:
    rows = await session.scalars(select(InstanceOverride))
    return {row.key: row.value for row in rows if row.key in EDITABLE}


async def effective(session: AsyncSession, config: InstanceConfig) -> InstanceConfig:
    """The file's configuration with the stored overrides. A row the file's current rules
    refuse (the file changed since) is ignored rather than stopping the server."""
    stored = await load(session)
    try:
        return apply(config, stored)
    except ValidationFailed:
        good = {}
        for key, value in stored.items():
            try:
                apply(config, {key: value})
            except ValidationFailed:
                continue
            good[key] = value
        return apply(config, good)


async def save(
    session: AsyncSession,
    file_config: InstanceConfig,
    changes: Mapping[str, Any],
    *,
    by: Account | None = None,
) -> InstanceConfig:
    """Validate ``changes`` on top of the file and the other overrides, store them, and
    return the new effective configuration. Nothing is stored if any value is refused."""
    stored = await load(session)
    wanted = {**stored, **changes}
    # Validate first, each key alone (so every refused field is named), then together.
    refused = []
    for key, value in changes.items():
        try:
            apply(file_config, {key: value})
        except ValidationFailed:
            refused.append(key)
    if refused:
        raise SettingsRefused(refused)
    config = apply(file_config, wanted)
    for key in wanted:
        row = await session.get(InstanceOverride, key)
        normalised = current(config, key)
        if normalised == current(file_config, key):
            if row is not None:
                await session.delete(row)
            continue
        if row is None:
            session.add(
                InstanceOverride(
                    key=key, value=normalised, updated_by_id=by.id if by is not None else None
                )
            )
        elif row.value != normalised:
            row.value = normalised
            row.updated_at = utcnow()
            row.updated_by_id = by.id if by is not None else None
    await session.flush()
    return config
