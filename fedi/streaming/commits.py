"""Signals leave a session only when its transaction commits.

Every session made by the runtime's factory carries the process's sink in ``session.info``.
On SQLite (one process: the web server runs the worker in-process) the sink hands the
signals to the fan-out right after COMMIT. On PostgreSQL, web and worker processes are
separate, so the signals travel as a ``NOTIFY`` sent inside the transaction itself:
PostgreSQL delivers a notification only if its transaction commits, to every process that
listens (``fedi.streaming.listener``), this one included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import structlog
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from fedi.domain import streams

log = structlog.get_logger(__name__)

SINK = "jamii.streams.sink"
CHANNEL = "jamii_streams"
# PostgreSQL refuses a notification over 8000 bytes, and the refusal would fail the
# transaction itself: signals are packed into payloads below this size.
MAX_PAYLOAD = 7000

Sink = Callable[[list[streams.Signal]], None]


def attach(sessions: async_sessionmaker[AsyncSession], sink: Sink) -> None:
    """Send the signals of every session ``sessions`` makes to ``sink`` once committed."""
    sessions.configure(info={SINK: sink})


def _notify_in_transaction(session: Session) -> None:
    pending = session.info.get(streams.PENDING)
    if not pending or SINK not in session.info:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    for payload in payloads(streams.take(session.info)):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


def payloads(signals: list[streams.Signal]) -> list[str]:
    """JSON arrays of signals, each under MAX_PAYLOAD bytes. A single signal too big on its
    own (a deletion naming hundreds of mentioned accounts) is left out: streams miss it,
    but the post's own transaction must never fail for a stream's sake."""
    found: list[str] = []
    batch: list[bytes] = []
    size = 2
    for signal in signals:
        encoded = orjson.dumps(signal)
        if len(encoded) + 2 > MAX_PAYLOAD:
            log.warning("stream_signal_too_large", kind=signal.get("kind"), size=len(encoded))
            continue
        if batch and size + len(encoded) + 1 > MAX_PAYLOAD:
            found.append("[" + ",".join(b.decode() for b in batch) + "]")
            batch, size = [], 2
        batch.append(encoded)
        size += len(encoded) + 1
    if batch:
        found.append("[" + ",".join(b.decode() for b in batch) + "]")
    return found


def _after_commit(session: Session) -> None:
    signals = streams.take(session.info)
    sink: Sink | None = session.info.get(SINK)
    if signals and sink is not None:
        sink(signals)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # A rolled-back savepoint keeps the outer transaction's signals; a real rollback
    # forgets them all, so nothing that did not happen is ever streamed.
    if not previous.nested:
        streams.take(session.info)


def _install() -> None:
    hooks: list[tuple[str, Callable[..., Any]]] = [
        ("before_commit", _notify_in_transaction),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ]
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


_install()


class Relay:
    """The sink attached to a process's sessions; the web process points it at its fan-out
    (a worker-only process has no streams: on SQLite it drops signals, on PostgreSQL they
    leave as NOTIFY before reaching it)."""

    def __init__(self) -> None:
        self.target: Sink | None = None

    def __call__(self, signals: list[streams.Signal]) -> None:
        if self.target is not None:
            self.target(signals)
