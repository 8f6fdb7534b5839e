"""The fan-out benchmarks' arrangement: this process is the sending instance, pinned to one
core with Jamii's logging in a file, and ``benchmarks.receivers`` receives on loopback, in a
child process on the other core.

Shared by ``benchmarks.fanout`` and ``benchmarks.community_fanout``: each seeds the sender
with remote accounts spread over the receivers (``Receivers.host``) and measures its posts.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks.loopback import (
    LOOPBACK,
    Children,
    Database,
    each_database,
    jamii_logging,
    load_average_fact,
    pin,
    python,
    two_cores,
    write_instance,
)
from benchmarks.report import Report
from fedi.config import InstanceConfig, load_config
from fedi.db.base import utcnow
from fedi.db.models import Account, Follow
from fedi.ids import new_id


@dataclass(frozen=True)
class Receivers:
    """A running ``benchmarks.receivers``: one shared inbox per port, and its control port."""

    ports: list[int]
    control: int

    def host(self, k: int) -> str:
        """The host of the ``k``-th remote account: they are dealt round the receivers."""
        return f"{LOOPBACK}:{self.ports[k % len(self.ports)]}"

    def inboxes(self, accounts: int) -> list[str]:
        """The shared inboxes that ``accounts`` remote accounts are spread over."""
        return sorted({f"http://{self.host(k)}/inbox" for k in range(accounts)})

    async def stats(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        async with session.get(f"http://{LOOPBACK}:{self.control}/stats") as answer:
            stats: dict[str, Any] = await answer.json()
            return stats

    async def reset(self, session: aiohttp.ClientSession) -> None:
        async with session.post(f"http://{LOOPBACK}:{self.control}/reset"):
            pass


async def start_receivers(children: Children, count: int, cpu: int | None) -> Receivers:
    """``count`` receiving instances in a child process on ``cpu``, once they all listen."""
    ready_file = children.folder / "receivers.json"
    argv = python("-m", "benchmarks.receivers", "--count", str(count), "--ready", str(ready_file))
    receivers = children.spawn("receivers", argv, cpu=cpu)
    deadline = time.monotonic() + 30
    while not ready_file.exists():
        if not receivers.running() or time.monotonic() > deadline:
            raise RuntimeError(f"the receivers did not start:\n{receivers.tail()}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)  # the file is written in one call; let it land
    ready = orjson.loads(ready_file.read_bytes())
    return Receivers(ready["ports"], ready["control"])


SenderRun = Callable[[Database, Path, Receivers], Awaitable[None]]


async def run_sender(
    report: Report,
    args: argparse.Namespace,
    what: str,
    run: SenderRun,
    *,
    one_core: str = "one core: nothing pinned (figures are not comparable)",
) -> None:
    """``run`` (database, temporary folder, receivers) on each backend the options ask for,
    with ``--hosts`` receivers started first; ``one_core`` is the placement said when there
    is no second core to put them on."""
    sender_cpu, receivers_cpu = two_cores()
    report.fact(
        "placement",
        f"sender (this process) on core {sender_cpu}, receivers on core {receivers_cpu}"
        if sender_cpu is not None
        else one_core,
    )
    load_average_fact(report)
    with (
        tempfile.TemporaryDirectory(prefix=f"jamii-bench-{what}-") as tmp,
        Children(Path(tmp)) as children,
    ):
        folder = Path(tmp)
        receivers = await start_receivers(children, args.hosts, receivers_cpu)
        pin(sender_cpu)
        with jamii_logging(folder / "sender.log"):

            async def measure(database: Database) -> None:
                await run(database, folder, receivers)

            await each_database(report, args, folder, what, measure)


def sender_config(folder: Path, database: Database, domain: str) -> InstanceConfig:
    """The sending instance on ``database``: never served (only its outbound side runs), its
    jobs left to the benchmark's own ``Worker`` in this process."""
    instance = write_instance(
        folder / f"sender-{database.backend.lower()}",
        domain=domain,
        port=8000,
        database_url=database.url,
        extra="[jobs]\nin_process_worker = false\n",
    )
    return load_config(instance, environ={})


async def add_followers(
    session: AsyncSession, receivers: Receivers, count: int, name: str, followed: list[Account]
) -> list[str]:
    """``count`` remote accounts (``name.format(k)``) dealt round the receivers, each
    following every account of ``followed``; returns the shared inboxes they are on."""
    accounts: list[dict[str, Any]] = []
    follows: list[dict[str, Any]] = []
    now = utcnow()
    for k in range(count):
        account = _remote_account(receivers.host(k), name.format(k), len(followed), now)
        accounts.append(account)
        for target in followed:
            follows.append(
                {
                    "id": new_id(),
                    "account_id": account["id"],
                    "target_account_id": target.id,
                    "uri": f"{account['uri']}#follows/{target.id}",
                }
            )
    # Rows written directly, three statements in all: seeding is not what is measured.
    await session.execute(insert(Account.__table__), accounts)  # type: ignore[arg-type]
    await session.execute(insert(Follow.__table__), follows)  # type: ignore[arg-type]
    await session.execute(
        update(Account.__table__)  # type: ignore[arg-type]
        .where(Account.__table__.c.id.in_([target.id for target in followed]))
        .values(followers_count=count)
    )
    return receivers.inboxes(count)


def _remote_account(host: str, username: str, following: int, now: datetime) -> dict[str, Any]:
    """The row of an account on ``host`` that the sender already knows, with the host's
    shared inbox (where every delivery to it goes)."""
    uri = f"http://{host}/users/{username}"
    return {
        "id": new_id(),
        "username": username,
        "username_lower": username,
        "domain": host,
        "uri": uri,
        "url": f"http://{host}/@{username}",
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": f"http://{host}/inbox",
        "followers_url": f"{uri}/followers",
        "public_key_id": f"{uri}#main-key",
        "fields": [],
        "also_known_as": [],
        "following_count": following,
        "fetched_at": now,
    }
