"""Declarative base shared by every model.

Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL
and let a later migration drop or alter a constraint by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fedi.ids import new_id

# ``info`` key of a schema item that exists on one database only (declared with
# ``.ddl_if(dialect=…)`` too), such as PostgreSQL's trigram indexes: Alembic's comparison
# leaves it out elsewhere (``fedi.db.migrate.include_for``).
ONLY_ON = "only_on"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware.

    SQLite has no time zones and hands back naive datetimes; normalising here means no
    caller ever compares a naive time with an aware one.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        zone = value.tzinfo
        if zone is None:
            return value.replace(tzinfo=UTC)
        # asyncpg answers in UTC already: no conversion (a few per row of every timeline).
        return value if zone is UTC else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), int: BigInteger()}  # noqa: RUF012


class IdMixin:
    """A time-sortable 64-bit primary key, minted in Python so callers know it before flush."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
