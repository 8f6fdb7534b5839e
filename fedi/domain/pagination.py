"""Mastodon's id-based pagination: max_id, since_id, min_id and limit.

``max_id`` pages backwards (older), ``since_id`` bounds from below while still returning the
newest first, and ``min_id`` pages forwards: the results just above it, oldest first in the
query but returned newest first, exactly as Mastodon answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from fedi.errors import ValidationFailed

T = TypeVar("T")
# Ids are signed 64-bit integers in the database; a larger number is no id of ours.
MAX_ID = 2**63 - 1
S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @classmethod
    def of(
        cls,
        *,
        max_id: int | str | None = None,
        since_id: int | str | None = None,
        min_id: int | str | None = None,
        limit: int | str | None = None,
        default_limit: int = 20,
        max_limit: int = 40,
    ) -> Page:
        """A page from request parameters; a limit above the maximum is clamped, as Mastodon
        does, while ids that are not numbers are refused naming the parameter."""
        return cls(
            max_id=_as_id(max_id, "max_id"),
            since_id=_as_id(since_id, "since_id"),
            min_id=_as_id(min_id, "min_id"),
            limit=_as_limit(limit, default_limit, max_limit),
        )

    def ordered(self, rows: list[T]) -> list[T]:
        """Rows fetched oldest-first for ``min_id`` are handed back newest-first."""
        return list(reversed(rows)) if self.min_id is not None else rows


def _as_id(value: int | str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a numeric id", field=name) from None
    if not 0 <= number <= MAX_ID:
        raise ValidationFailed(f"{name} is out of range", field=name)
    return number


def _as_limit(value: int | str | None, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("limit must be a number", field="limit") from None
    return max(1, min(limit, maximum))


def apply_page(query: S, column: InstrumentedAttribute[int], page: Page) -> S:
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.since_id is not None:
        query = query.where(column > page.since_id)
    if page.min_id is not None:
        return query.where(column > page.min_id).order_by(column.asc()).limit(page.limit)
    return query.order_by(column.desc()).limit(page.limit)
