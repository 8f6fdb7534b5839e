"""The shape every activity builder shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account
from fedi.federation.context import Federation

# The activity and the inboxes it goes to; None when there is nothing (left) to send.
Built = tuple[dict[str, Any], list[str]] | None
Builder = Callable[[Federation, AsyncSession, Account, Mapping[str, Any]], Awaitable[Built]]
