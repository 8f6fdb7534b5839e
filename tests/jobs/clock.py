"""A clock the job tests move by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from fedi.db.base import utcnow


class Clock:
    """A clock tests move by hand; it starts just after real time so fresh jobs are due."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
