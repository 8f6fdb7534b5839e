"""One post to 1,000 followers on 50 receiving instances: the whole path, beside plain aiohttp.

    python -m benchmarks.fanout [--followers 1000] [--hosts 50] [--posts 30]
        [--concurrency 64] [--default-posts 10] [--sqlite/--no-sqlite] [--postgres URL]
        [--json PATH]

The sender is a real instance in this process (pinned to one core): its database (seeded with
a local teacher followed by ``--followers`` remote accounts, ``followers / hosts`` on each
receiving host, each with the host's shared inbox), its runtime (``fedi.runtime``: engine,
Fetcher, keys) and the real ``Worker`` running the real ``federate`` and ``deliver``
handlers, as the in-process worker does. Each post goes through ``statuses.post`` + commit,
the worker is woken (as the demo does after posting), the ``federate`` job builds the Create
and queues one ``deliver`` job per shared inbox, and each ``deliver`` job POSTs it, signed,
through the Fetcher. The receivers (``benchmarks.receivers``: ``--hosts`` aiohttp sites on
loopback, 202 and a counter) run in another process on the other core.

Baselines, same run, same bodies, same receivers, interleaved with ours: the same POSTs
sent by a plain aiohttp loop with one shared ClientSession, each signed with the same cached
key by the same ``sign_cavage``; and again without signatures, to show what signing costs.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import backends
from benchmarks.loopback import Database, OtherLoad, log, run
from benchmarks.report import Report, Stats, add_json_option, ms, verdict
from benchmarks.sending import Receivers, add_followers, run_sender, sender_config
from fedi.config import JobSettings
from fedi.db.models import Account
from fedi.domain.accounts import Registration, register
from fedi.domain.events import FEDERATE
from fedi.domain.statuses import Draft, post
from fedi.federation.context import Federation
from fedi.federation.delivery.deliver import DELIVER
from fedi.federation.fetcher.documents import ACTIVITY_ACCEPT
from fedi.gc_tuning import settle_after_start
from fedi.jobs import ClaimedJob, JobContext, Worker
from fedi.jobs.registry import job_handlers
from fedi.runtime import Runtime, open_runtime

# What [jobs] concurrency defaults to, read from the schema rather than restated.
DEFAULT_CONCURRENCY = JobSettings().concurrency


DOMAIN = "fanout.bench.test"
AP = "application/activity+json"
TARGET_MS = 50.0  # federate job start to the last 2xx
TEXT = (
    "Sharing the fractions worksheet my grade 5 class enjoyed today: strips of paper, "
    "folded into halves, quarters and eighths, then compared on the number line. "
    "Feedback and your own variations welcome! #maths #primary"
)


# -- what happened during one fan-out --------------------------------------------------------


@dataclass
class Moments:
    """One delivery (time.monotonic): handler start, POST start, 2xx read, handler end, done."""

    start: float = 0.0
    sent: float = 0.0
    acknowledged: float = 0.0
    end: float = 0.0
    done: float = 0.0


@dataclass
class Trace:
    """Moments of one fan-out, recorded by thin wrappers around our code."""

    expected: int
    posted: float = 0.0
    committed: float = 0.0
    federate_start: float = 0.0
    federate_end: float = 0.0
    deliveries: dict[str, Moments] = field(default_factory=dict)  # by inbox
    statuses: list[int] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)  # inbox -> the body POSTed
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def moments(self, inbox: str) -> Moments:
        return self.deliveries.setdefault(inbox, Moments())


class Recorder:
    """Wraps the federate and deliver handlers, the Fetcher's POST and the queue's completion.

    Only this process's objects are wrapped (nothing in ``fedi`` is changed): the wrappers
    note the time and call through.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.trace: Trace | None = None
        federation = runtime.federation
        handlers = job_handlers(federation)
        federate, deliver = handlers[FEDERATE], handlers[DELIVER]

        async def timed_federate(payload: Mapping[str, Any], context: JobContext) -> None:
            trace = self.trace
            if trace is not None:
                trace.federate_start = time.monotonic()
            await federate(payload, context)
            if trace is not None:
                trace.federate_end = time.monotonic()

        async def timed_deliver(payload: Mapping[str, Any], context: JobContext) -> None:
            trace = self.trace
            if trace is not None:
                trace.moments(payload["inbox"]).start = time.monotonic()
            await deliver(payload, context)
            if trace is not None:
                trace.moments(payload["inbox"]).end = time.monotonic()

        self.handlers = {**handlers, FEDERATE: timed_federate, DELIVER: timed_deliver}
        fetcher_post = federation.fetcher.post

        async def timed_post(url: str, body: bytes, **kwargs: Any) -> Any:
            trace = self.trace
            if trace is not None:
                trace.moments(url).sent = time.monotonic()
            response = await fetcher_post(url, body, **kwargs)
            if trace is not None:
                trace.moments(url).acknowledged = time.monotonic()
                trace.statuses.append(response.status)
                trace.bodies[url] = body
            return response

        federation.fetcher.post = timed_post  # type: ignore[method-assign]
        complete_many = runtime.queue.complete_many

        async def timed_complete(claimed: Collection[ClaimedJob]) -> set[int]:
            settled = await complete_many(claimed)
            trace = self.trace
            if trace is not None:
                now = time.monotonic()
                for job in claimed:
                    if job.kind == DELIVER:
                        trace.moments(job.payload["inbox"]).done = now
                if sum(1 for m in trace.deliveries.values() if m.done) >= trace.expected:
                    trace.done.set()
            return settled

        runtime.queue.complete_many = timed_complete  # type: ignore[method-assign]


# -- the sender's database -------------------------------------------------------------------


@dataclass
class Sender:
    runtime: Runtime
    author: Account
    inboxes: list[str]


async def seed(runtime: Runtime, receivers: Receivers, followers: int) -> Sender:
    """A local teacher followed by ``followers`` remote accounts spread over the receivers."""
    async with runtime.sessions() as session, session.begin():
        author, _ = await register(
            session,
            runtime.site,
            Registration(
                username="amina",
                email="amina@school.example",
                password="correct horse battery",  # noqa: S106 - a throwaway account
            ),
        )
        inboxes = await add_followers(session, receivers, followers, "follower{:04d}", [author])
    return Sender(runtime, author, inboxes)


# -- the measured paths ----------------------------------------------------------------------


@dataclass
class Samples:
    """Per-fan-out figures, seconds, one list per label (in print order)."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, label: str, value: float) -> None:
        self.values.setdefault(label, []).append(value)

    def stats(self, *labels: str) -> list[Stats]:
        return [Stats(label, tuple(self.values[label])) for label in labels]


FEDERATE_TO_2XX = "federate job start → last 2xx"
POST_TO_2XX = "post → last 2xx"
POST_TO_DONE = "post → all deliver jobs done"
POSTING = "statuses.post + commit"
CLAIM = "commit → federate job start (wake, claim)"
FEDERATING = "federate job (build, queue the deliver jobs)"
FIRST_DELIVER = "federate job end → first deliver start"
D_QUEUED = "federate end → deliver job start (claim, wait for a slot)"
D_BEFORE = "deliver: start → POST (peer record transaction)"
D_POST = "deliver: Fetcher.post, signing + POST → 2xx"
D_AFTER = "deliver: 2xx → handler end (peer success transaction)"
D_SETTLE = "deliver: handler end → job marked done"
SIGNED = "plain aiohttp, signed"
UNSIGNED = "plain aiohttp, unsigned"


async def ours_once(
    sender: Sender, worker: Worker, recorder: Recorder, samples: Samples | None, prefix: str
) -> Trace:
    """One post through the real path; waits until every deliver job is done."""
    trace = Trace(expected=len(sender.inboxes))
    recorder.trace = trace
    cpu = time.process_time()
    trace.posted = time.monotonic()
    runtime = sender.runtime
    async with runtime.sessions() as session:
        await post(session, runtime.site, sender.author, Draft(text=TEXT, language="en"))
        await session.commit()
    trace.committed = time.monotonic()
    worker.wake()  # what the demo does after posting; the API will have to do the same
    try:
        async with asyncio.timeout(30):
            await trace.done.wait()
    except TimeoutError:
        raise RuntimeError(
            f"fan-out incomplete after 30 s: "
            f"{sum(1 for m in trace.deliveries.values() if m.done)} of {trace.expected} "
            f"deliveries done, answers {sorted(set(trace.statuses))}"
        ) from None
    finally:
        recorder.trace = None
    used = time.process_time() - cpu
    if samples is not None:
        moments = list(trace.deliveries.values())
        last = max(m.acknowledged for m in moments)
        samples.add(f"{prefix}{FEDERATE_TO_2XX}", last - trace.federate_start)
        samples.add(f"{prefix}{POST_TO_2XX}", last - trace.posted)
        samples.add(f"{prefix}{POST_TO_DONE}", max(m.done for m in moments) - trace.posted)
        samples.add(f"{prefix}{POSTING}", trace.committed - trace.posted)
        samples.add(f"{prefix}{CLAIM}", trace.federate_start - trace.committed)
        samples.add(f"{prefix}{FEDERATING}", trace.federate_end - trace.federate_start)
        first = min(m.start for m in moments)
        samples.add(f"{prefix}{FIRST_DELIVER}", first - trace.federate_end)
        for m in moments:
            samples.add(f"{prefix}{D_QUEUED}", m.start - trace.federate_end)
            samples.add(f"{prefix}{D_BEFORE}", m.sent - m.start)
            samples.add(f"{prefix}{D_POST}", m.acknowledged - m.sent)
            samples.add(f"{prefix}{D_AFTER}", m.end - m.acknowledged)
            samples.add(f"{prefix}{D_SETTLE}", m.done - m.end)
        samples.add(f"{prefix}cpu", used / trace.expected)
    return trace


def plain_sender(
    session: aiohttp.ClientSession,
    federation: Federation,
    sender: Sender,
    trace: Trace,
    signed: bool,
) -> Callable[[], Awaitable[tuple[float, float]]]:
    """The POSTs of ``trace`` again from a plain aiohttp loop: (seconds to the last 2xx, CPU)."""
    bodies = trace.bodies

    async def send() -> tuple[float, float]:
        key = await federation.local_key(sender.author.id)  # cached: what deliver uses
        sign = federation.signer(key)
        cpu = time.process_time()
        started = time.monotonic()

        async def one(inbox: str, body: bytes) -> None:
            headers = {"Content-Type": AP, "Accept": ACTIVITY_ACCEPT}
            if signed:
                headers |= sign("POST", inbox, headers, body)
            async with session.post(inbox, data=body, headers=headers) as answer:
                await answer.read()
                if not 200 <= answer.status < 300:
                    raise RuntimeError(f"{inbox} answered {answer.status}")

        await asyncio.gather(*(one(inbox, body) for inbox, body in bodies.items()))
        return time.monotonic() - started, time.process_time() - cpu

    return send


async def backend_run(
    report: Report,
    args: argparse.Namespace,
    database: Database,
    folder: Path,
    receivers: Receivers,
) -> None:
    ports = receivers.ports
    async with (
        open_runtime(sender_config(folder, database, DOMAIN)) as runtime,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit_per_host=8), timeout=aiohttp.ClientTimeout(30)
        ) as plain,
    ):
        sender = await seed(runtime, receivers, args.followers)
        recorder = Recorder(runtime)
        await database.analyze()  # statistics, as autovacuum keeps them on a running server
        # What `jamii serve` and `jamii worker` do once started (fedi.gc_tuning).
        settle_after_start()
        fanout_size = len(sender.inboxes)
        await receivers.stats(plain)  # they answer: ready
        await receivers.reset(plain)

        async def measure_config(concurrency: int, posts: int, prefix: str) -> Samples:
            worker = Worker(runtime.queue, recorder.handlers, concurrency=concurrency)
            running = asyncio.create_task(worker.run())
            samples = Samples()
            try:
                for _ in range(3):  # warm-up: keys loaded, connections open, caches filled
                    trace = await ours_once(sender, worker, recorder, None, prefix)
                    for signing in (True, False):
                        await plain_sender(plain, runtime.federation, sender, trace, signing)()
                for _ in range(posts):  # interleaved: ours, signed, unsigned, ours, …
                    trace = await ours_once(sender, worker, recorder, samples, prefix)
                    for label, signing in ((SIGNED, True), (UNSIGNED, False)):
                        send = plain_sender(plain, runtime.federation, sender, trace, signing)
                        seconds, cpu = await send()
                        samples.add(f"{prefix}{label}", seconds)
                        samples.add(f"{prefix}{label} cpu", cpu / fanout_size)
            finally:
                worker.stop()
                await running
            return samples

        tuned = await measure_config(args.concurrency, args.posts, "")
        default = await measure_config(DEFAULT_CONCURRENCY, args.default_posts, "default: ")
        received = await receivers.stats(plain)

    rounds = 3 + args.posts + 3 + args.default_posts  # ours, including warm-ups
    plain_rounds = 2 * (3 + args.posts) + 2 * (3 + args.default_posts)
    expected_posts = fanout_size * (rounds + plain_rounds)
    title = (
        f"{database.backend} · one post to {args.followers} followers on {len(ports)} "
        f"instances ({fanout_size} shared inboxes), {args.posts} posts · ours: statuses.post → "
        f"Worker(concurrency={args.concurrency}) → federate → deliver · baseline: the same "
        "POSTs from a plain aiohttp loop"
    )
    section = report.section(title)
    section.rows = tuned.stats(
        FEDERATE_TO_2XX,
        POST_TO_2XX,
        POST_TO_DONE,
        POSTING,
        CLAIM,
        FEDERATING,
        FIRST_DELIVER,
        SIGNED,
        UNSIGNED,
    )
    ours, _, _, _, _, _, _, signed, unsigned = section.rows
    section.compare(ours, signed)
    section.compare(signed, unsigned)
    section.under(ours, TARGET_MS)
    p99_ok = ours.p99 * 1000 < TARGET_MS
    section.lines.append(
        f"{ours.label}  p99 {ms(ours.p99)} (target < {TARGET_MS:g} ms) {verdict(p99_ok)}"
    )
    section.checks.append({"measured": ours.label, "target_p99_ms": TARGET_MS, "meets": p99_ok})
    cpu = {
        label: 1000 * sum(tuned.values[key]) / len(tuned.values[key])
        for label, key in (
            ("ours", "cpu"),
            (SIGNED, f"{SIGNED} cpu"),
            (UNSIGNED, f"{UNSIGNED} cpu"),
        )
    }
    section.lines.append(
        "sender CPU per delivery (this process: worker, handlers, SQLite threads; not the "
        f"PostgreSQL server): ours {cpu['ours']:.2f} ms | {SIGNED} {cpu[SIGNED]:.2f} ms | "
        f"{UNSIGNED} {cpu[UNSIGNED]:.2f} ms"
    )
    section.checks.append({"cpu_ms_per_delivery": {k: round(v, 3) for k, v in cpu.items()}})
    section.lines.append(
        f"receivers: {received['posts']} POSTs (expected {expected_posts}) on {received['hosts']} "
        f"hosts, {received['signed']} signed, {received['other']} other requests (fetches)"
    )
    section.print()

    section = report.section(
        f"{database.backend} · where a delivery's time goes, per delivery, "
        f"Worker(concurrency={args.concurrency}), {args.posts} × {fanout_size} deliveries"
    )
    section.rows = tuned.stats(D_QUEUED, D_BEFORE, D_POST, D_AFTER, D_SETTLE)
    section.print()

    section = report.section(
        f"{database.backend} · the same, default configuration: "
        f"Worker(concurrency={DEFAULT_CONCURRENCY}) "
        f"([jobs] concurrency default), {args.default_posts} posts"
    )
    section.rows = default.stats(
        *(f"default: {label}" for label in (FEDERATE_TO_2XX, POST_TO_2XX, POST_TO_DONE, SIGNED))
    )
    section.compare(section.rows[0], section.rows[3])
    section.under(section.rows[0], TARGET_MS)
    ours_cpu = 1000 * sum(default.values["default: cpu"]) / len(default.values["default: cpu"])
    section.lines.append(f"sender CPU per delivery: ours {ours_cpu:.2f} ms")
    section.print()


async def main(args: argparse.Namespace) -> None:
    other = OtherLoad()
    report = Report("Jamii fan-out benchmark")
    report.machine(event_loop="uvloop")
    await run_sender(report, args, "fanout", functools.partial(backend_run, report, args))
    other.fact(report)
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fanout", description=__doc__)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50, help="receiving instances")
    parser.add_argument("--posts", type=int, default=30, help="timed fan-outs per path")
    parser.add_argument(
        "--concurrency", type=int, default=64, help="Worker concurrency (≥ the inboxes)"
    )
    parser.add_argument(
        "--default-posts",
        type=int,
        default=10,
        help="timed fan-outs with [jobs] concurrency's default",
    )
    backends.add_options(
        parser,
        "; a temporary database jamii_bench_fanout_<pid> is created there and dropped",
    )
    add_json_option(parser)
    return backends.parse(parser, argv)


if __name__ == "__main__":
    log("fan-out benchmark starting")
    run(main(parse()))
