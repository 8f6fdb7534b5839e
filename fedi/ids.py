"""Time-sortable 64-bit ids, shaped like Mastodon's Snowflakes.

Mastodon clients sort and paginate by id and expect numeric strings; an id made of the
creation time in milliseconds (upper 48 bits) and a 16-bit sequence sorts by time across
processes, and ``id_at(t)`` turns a timestamp into a pagination bound.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1


class _Generator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        # A random start per process keeps two processes minting in the same millisecond
        # from colliding on their first ids.
        self._sequence = int.from_bytes(os.urandom(2), "big")

    def next_id(self) -> int:
        with self._lock:
            now_ms = int(time.time() * 1000)
            if now_ms <= self._last_ms:
                self._sequence = (self._sequence + 1) & _SEQUENCE_MASK
                if self._sequence == 0:
                    # Sequence exhausted within this millisecond: borrow the next one.
                    self._last_ms += 1
                now_ms = self._last_ms
            else:
                self._sequence = int.from_bytes(os.urandom(2), "big") & 0x7FFF
                self._last_ms = now_ms
            return (now_ms << _SEQUENCE_BITS) | self._sequence


_generator = _Generator()


def new_id() -> int:
    """A fresh id, unique within this process and sorted by creation time."""
    return _generator.next_id()


def id_at(moment: datetime) -> int:
    """The smallest id that could have been minted at ``moment`` (for time-based bounds)."""
    return int(moment.timestamp() * 1000) << _SEQUENCE_BITS


def id_time(value: int) -> datetime:
    """When an id was minted."""
    return datetime.fromtimestamp((value >> _SEQUENCE_BITS) / 1000, tz=UTC)
