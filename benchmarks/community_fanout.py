"""One post in a community of 10,000 members on 50 instances, beside a plain post to 10,000
followers on the same 50 instances, in the same run.

    python -m benchmarks.community_fanout [--members 10000] [--hosts 50] [--posts 5]
        [--concurrency 64] [--sqlite/--no-sqlite] [--postgres URL] [--json PATH]

The sender is a real instance in this process: its database is seeded with a community
(``maths``, a FEP-1b12 Group) whose ``--members`` remote members are spread over ``--hosts``
receiving instances, each member with the host's shared inbox, and a teacher (Amina)
followed by the same remote accounts. The real ``Worker`` runs the real ``federate`` and
``deliver`` handlers. Each round, in turn:

- **community**: Baraka (no followers of his own) posts a thread in ``maths``
  (``statuses.post`` with the community): the Group files it and relays it to its members'
  servers in two forms, ``Announce{Create}`` (FEP-1b12 peers) and ``Announce{Note}`` (the
  Group's boost, for Mastodon);
- **plain**: Amina posts to her followers (one ``Create``).

Measured: post → the last 2xx, post → every deliver job done. Checked on every round:
each instance receives each activity exactly once (one delivery per shared inbox), and
nothing else. The receivers (``benchmarks.receivers``) run in another process, on the
other core where there is one. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import backends
from benchmarks.loopback import Database, log, run
from benchmarks.report import Report, Stats, add_json_option, ms
from benchmarks.sending import Receivers, add_followers, run_sender, sender_config
from fedi.db.models import Account
from fedi.domain import communities
from fedi.domain.accounts import Registration, register
from fedi.domain.communities import Settings
from fedi.domain.events import FEDERATE
from fedi.domain.statuses import Draft, post
from fedi.federation.delivery.deliver import DELIVER
from fedi.gc_tuning import settle_after_start
from fedi.jobs import ClaimedJob, JobContext, Worker
from fedi.jobs.registry import job_handlers
from fedi.runtime import Runtime, open_runtime

DOMAIN = "community.bench.test"
TEXT = (
    "Fractions with paper strips: fold into halves, quarters and eighths, then compare "
    "them on the number line. What works in your classroom?"
)
COMMUNITY = "community post (Announce{Create} + Announce{Note})"
PLAIN = "plain post to followers (Create)"


@dataclass
class Round:
    """One fan-out: what each deliver job carried and when it was answered and done."""

    expected: int
    posted: float = 0.0
    acknowledged: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)  # (inbox, kind)
    statuses: list[int] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)


def kind_of(activity: Mapping[str, Any]) -> str:
    """``Create``, ``Announce{Create}``, ``Announce{Note}``: what a delivery carried."""
    inner = activity.get("object")
    if activity.get("type") == "Announce":
        if isinstance(inner, dict):
            return f"Announce{{{inner.get('type')}}}"
        return "Announce{Note}"  # a boost names the post by id
    return str(activity.get("type"))


class Recorder:
    """Thin wrappers around this process's deliver handler and queue (``fedi`` unchanged)."""

    def __init__(self, runtime: Runtime) -> None:
        self.round: Round | None = None
        handlers = job_handlers(runtime.federation)
        deliver = handlers[DELIVER]

        async def timed_deliver(payload: Mapping[str, Any], context: JobContext) -> None:
            await deliver(payload, context)
            current = self.round
            if current is not None:
                current.acknowledged.append(time.monotonic())
                current.kinds[(payload["inbox"], kind_of(payload["activity"]))] += 1

        self.handlers = {**handlers, DELIVER: timed_deliver}
        complete_many = runtime.queue.complete_many

        async def timed_complete(claimed: Collection[ClaimedJob]) -> set[int]:
            settled = await complete_many(claimed)
            current = self.round
            if current is not None:
                now = time.monotonic()
                current.done.extend(now for job in claimed if job.kind == DELIVER)
                if len(current.done) >= current.expected:
                    current.finished.set()
            return settled

        runtime.queue.complete_many = timed_complete  # type: ignore[method-assign]
        self.federate = handlers[FEDERATE]


@dataclass
class Sender:
    runtime: Runtime
    amina: Account  # followed by every remote account
    baraka: Account  # posts in the community; nobody follows him
    group: Account
    inboxes: list[str]


async def seed(runtime: Runtime, receivers: Receivers, members: int) -> Sender:
    """The community and its remote members, who also follow Amina."""
    async with runtime.sessions() as session, session.begin():
        people = []
        for name in ("amina", "baraka"):
            account, _ = await register(
                session,
                runtime.site,
                Registration(
                    username=name,
                    email=f"{name}@school.example",
                    password="correct horse battery",  # noqa: S106 - a throwaway account
                ),
            )
            people.append(account)
        amina, baraka = people
        group = (
            await communities.create(
                session,
                runtime.site,
                Settings(name="maths", posting_policy="anyone"),
                creator=amina,
            )
        ).account
        inboxes = await add_followers(session, receivers, members, "teacher{:05d}", [amina, group])
    return Sender(runtime, amina, baraka, group, inboxes)


async def fan_out(sender: Sender, worker: Worker, recorder: Recorder, *, community: bool) -> Round:
    """One post through the real path; waits until every deliver job is done, then checks
    that each inbox got each activity exactly once."""
    kinds = ("Announce{Create}", "Announce{Note}") if community else ("Create",)
    current = Round(expected=len(sender.inboxes) * len(kinds))
    recorder.round = current
    runtime = sender.runtime
    current.posted = time.monotonic()
    async with runtime.sessions() as session:
        if community:
            draft = Draft(text=TEXT, language="en", community_id=sender.group.id, title="Strips")
            await post(session, runtime.site, sender.baraka, draft)
        else:
            await post(session, runtime.site, sender.amina, Draft(text=TEXT, language="en"))
        await session.commit()
    worker.wake()
    try:
        async with asyncio.timeout(120):
            await current.finished.wait()
        # Anything beyond the expected deliveries would arrive now: give it a moment.
        await asyncio.sleep(0.2)
    except TimeoutError:
        raise RuntimeError(
            f"fan-out incomplete after 120 s: {len(current.done)} of {current.expected} "
            "deliveries done"
        ) from None
    finally:
        recorder.round = None
    wanted = Counter({(inbox, kind): 1 for inbox in sender.inboxes for kind in kinds})
    if current.kinds != wanted:
        extra = current.kinds - wanted
        missing = wanted - current.kinds
        raise AssertionError(f"deliveries differ: extra {dict(extra)}, missing {dict(missing)}")
    return current


async def backend_run(
    report: Report,
    args: argparse.Namespace,
    database: Database,
    folder: Path,
    receivers: Receivers,
) -> None:
    ports = receivers.ports
    config = sender_config(folder, database, DOMAIN)
    async with open_runtime(config) as runtime, aiohttp.ClientSession() as plain:
        started = time.monotonic()
        sender = await seed(runtime, receivers, args.members)
        seeded = time.monotonic() - started
        recorder = Recorder(runtime)
        await database.analyze()  # statistics, as autovacuum keeps them on a running server
        # What `jamii serve` and `jamii worker` do once started (fedi.gc_tuning).
        settle_after_start()
        await receivers.reset(plain)
        worker = Worker(runtime.queue, recorder.handlers, concurrency=args.concurrency)
        running = asyncio.create_task(worker.run())
        to_2xx: dict[str, list[float]] = {COMMUNITY: [], PLAIN: []}
        to_done: dict[str, list[float]] = {COMMUNITY: [], PLAIN: []}
        deliveries: dict[str, int] = {}
        try:
            await fan_out(sender, worker, recorder, community=True)  # warm-up
            await fan_out(sender, worker, recorder, community=False)
            for _ in range(args.posts):
                for label, community in ((COMMUNITY, True), (PLAIN, False)):
                    current = await fan_out(sender, worker, recorder, community=community)
                    to_2xx[label].append(max(current.acknowledged) - current.posted)
                    to_done[label].append(max(current.done) - current.posted)
                    deliveries[label] = len(current.done)
        finally:
            worker.stop()
            await running
        received = await receivers.stats(plain)

    hosts = len(sender.inboxes)
    section = report.section(
        f"{database.backend} · one post to {args.members:,} members (community) and to "
        f"{args.members:,} followers (plain) on {len(ports)} instances ({hosts} shared "
        f"inboxes), {args.posts} posts each, Worker(concurrency={args.concurrency})"
    )
    section.rows = [
        Stats(f"{COMMUNITY}: post → last 2xx", tuple(to_2xx[COMMUNITY])),
        Stats(f"{COMMUNITY}: post → all deliver jobs done", tuple(to_done[COMMUNITY])),
        Stats(f"{PLAIN}: post → last 2xx", tuple(to_2xx[PLAIN])),
        Stats(f"{PLAIN}: post → all deliver jobs done", tuple(to_done[PLAIN])),
    ]
    section.lines.append(
        f"deliveries per post: community {deliveries[COMMUNITY]} "
        f"(= {hosts} instances × 2 activities: each instance got Announce{{Create}} once and "
        f"Announce{{Note}} once), plain {deliveries[PLAIN]} (= {hosts} instances × 1 Create); "
        "checked on every round"
    )
    per_activity = (sum(to_done[COMMUNITY]) / len(to_done[COMMUNITY])) / 2
    section.lines.append(
        f"community, per activity relayed: ~{ms(per_activity)} for {hosts} deliveries "
        f"(seeding {args.members:,} members took {seeded:.1f} s)"
    )
    section.lines.append(
        f"receivers: {received['posts']} POSTs on {received['hosts']} hosts, "
        f"{received['signed']} signed, {received['other']} other requests (fetches)"
    )
    section.checks.append(
        {
            "deliveries_per_post": deliveries,
            "instances": hosts,
            "one_delivery_per_instance_per_activity": True,
        }
    )
    section.print()


async def main(args: argparse.Namespace) -> None:
    report = Report("Jamii community fan-out benchmark")
    report.machine(event_loop="uvloop")
    await run_sender(
        report,
        args,
        "community",
        functools.partial(backend_run, report, args),
        one_core="one core: nothing pinned",
    )
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.community_fanout", description=__doc__
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=50, help="receiving instances")
    parser.add_argument("--posts", type=int, default=5, help="timed posts per path")
    parser.add_argument("--concurrency", type=int, default=64, help="Worker concurrency")
    backends.add_options(parser, "; a temporary database is created there and dropped")
    add_json_option(parser)
    return backends.parse(parser, argv)


if __name__ == "__main__":
    log("community fan-out benchmark starting")
    run(main(parse()))
