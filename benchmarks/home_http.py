"""The home timeline over HTTP, as clients read it, beside a bare endpoint running the same SQL.

    python -m benchmarks.home_http [--accounts 10000] [--statuses 100000]
        [--follows-per-account 100] [--users 1000] [--requests 2000] [--concurrency 16]
        [--limits 20,40] [--time-cap 60] [--sqlite/--no-sqlite] [--postgres URL]
        [--show-sql] [--py-spy DIR] [--json PATH]

A real instance (``python -m fedi serve``: uvicorn, one process, pinned to one core) on the
seeded data set of ``benchmarks.seed`` (10k accounts, 1M follows, 100k statuses by default),
with ``--users`` of its accounts signed in (users and OAuth bearer tokens written directly
into the database, stored hashed as ``fedi.domain.oauth`` stores them). A load generator
process (``benchmarks.httpload``: aiohttp, 16 keep-alive connections) on the other core sends
``GET /api/v1/timelines/home?limit=N`` with the tokens in rotation. Measured: requests/s,
client latency p50/p99, server CPU per request.

Baseline, same run, same data, same requests: ``benchmarks.bare_home``, a bare Starlette
endpoint served the same way that replays the exact statements our layers send (captured
here with ``benchmarks.raw.recording``) through the raw driver and serialises the same
Mastodon JSON with orjson; before timing, its answers are checked equal to ours. Targets
(the client API issue): ours at ≥ 60 % of the baseline's requests/s, p50 < 15 ms,
p99 < 40 ms. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import backends, dataset, loadrun, raw, seed
from benchmarks.loadrun import Load, Requests, load_run
from benchmarks.loopback import (
    Child,
    Children,
    OtherLoad,
    flags,
    free_port,
    load_average_fact,
    log,
    pin,
    python,
    run,
    two_cores,
    wait_until_serving,
    write_instance,
)
from benchmarks.report import Report, Section, add_json_option, ms, verdict
from fedi.db.engine import create_engine, read_session_factory
from fedi.db.models import AccessToken, Account, Application, User
from fedi.domain.oauth import digest
from fedi.domain.pagination import Page
from fedi.domain.timelines import home

DOMAIN = "home.bench.test"
BASE_URL = f"http://{DOMAIN}"
PATH = "/api/v1/timelines/home"
RATIO_TARGET = 0.60
P50_TARGET_MS = 15.0
P99_TARGET_MS = 40.0
CLIENT_ID = "homebench"
OURS, BARE = "ours (jamii serve)", "bare Starlette, raw driver + orjson"
CHECKED = 10  # viewers whose answers must be equal on both servers, per limit


class Bench(loadrun.Bench):
    async def load(self, label: str, server: Child, port: int, limit: int, profile: str) -> Load:
        """One load run; ``profile`` names its py-spy recording (when ``--py-spy`` is on)."""
        args = self.args
        requests = Requests(
            self.requests_file, args.warmup, args.requests, args.concurrency, args.time_cap
        )

        async def profiler() -> Child | None:
            return await self._profile(server, profile) if args.py_spy and profile else None

        url = f"http://127.0.0.1:{port}{PATH}?limit={limit}"
        return await load_run(
            self.children, label, server, url, requests, cpu=self.load_cpu, meanwhile=profiler
        )

    async def _profile(self, server: Child, name: str) -> Child:
        """py-spy on the server for the timed part of the run (after the warm-up)."""
        args = self.args
        # Past the warm-up if the server answers ~800 requests/s; slower, the recording also
        # holds the end of the warm-up, which runs the same path.
        await asyncio.sleep(args.warmup / 800 + 0.5)
        folder: Path = args.py_spy
        spy = Path(os.environ.get("PY_SPY", "py-spy"))
        argv = [str(spy), "record", "-p", str(server.pid), "-d", str(args.py_spy_seconds)]
        argv += ["-r", "400", "-f", "raw", "-o", str(folder / f"{name}.txt")]
        return self.children.spawn(f"py-spy-{name}", argv, cpu=self.load_cpu)


# -- the data -------------------------------------------------------------------------------


async def sign_in(engine: AsyncEngine, users: int, limit: int) -> dict[str, int]:
    """``users`` accounts whose home timeline has at least ``limit`` posts, each with a user
    and a bearer token (plaintext -> account id). Earlier runs' ones are replaced."""
    factory = read_session_factory(engine)
    async with factory() as session:
        ids = list(await session.scalars(select(Account.id).order_by(Account.id)))
    rng = random.Random(7)
    rng.shuffle(ids)
    chosen: list[int] = []
    for account_id in ids:
        async with factory() as session:
            if len(await home(session, Account(id=account_id), Page(limit=limit))) == limit:
                chosen.append(account_id)
        if len(chosen) == users:
            break
    if len(chosen) < users:
        raise SystemExit(f"only {len(chosen)} accounts have {limit} posts at home: fewer --users")
    now = datetime.now(UTC)
    tokens = {f"homebench-{account_id}": account_id for account_id in chosen}
    async with engine.begin() as connection:
        await connection.execute(delete(Application).where(Application.client_id == CLIENT_ID))
        await connection.execute(delete(User).where(User.email_lower.like(f"%@{DOMAIN}")))
        app_id = (
            await connection.execute(
                insert(Application).returning(Application.id),
                {
                    "name": "home benchmark",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_ID,
                    "scopes": "read write follow",
                    "redirect_uris": [],
                },
            )
        ).scalar_one()
        user_ids: dict[int, int] = {}
        for account_id in chosen:
            email = f"u{account_id}@{DOMAIN}"
            user_ids[account_id] = (
                await connection.execute(
                    insert(User).returning(User.id),
                    {
                        "account_id": account_id,
                        "email": email,
                        "email_lower": email,
                        "password_hash": "-",  # never signs in with a password
                        "confirmed_at": now,
                    },
                )
            ).scalar_one()
        # Used just now: the steady state, where no request records its use (hourly).
        await connection.execute(
            insert(AccessToken),
            [
                {
                    "token_hash": digest(token),
                    "application_id": app_id,
                    "user_id": user_ids[account_id],
                    "scopes": "read write follow",
                    "last_used_at": now,
                }
                for token, account_id in tokens.items()
            ],
        )
    return tokens


async def capture(
    engine: AsyncEngine, viewer_id: int, limits: list[int], show: str | None
) -> dict[int, list[raw.Template]]:
    """The statements one home-timeline request of each size sends, as templates."""
    factory = read_session_factory(engine)
    queries: dict[int, list[raw.Template]] = {}
    for limit in limits:
        async with factory() as session:
            with raw.recording(engine) as seen:
                views = await home(session, Account(id=viewer_id), Page(limit=limit))
        ids = {view.id for view in views}
        queries[limit] = [raw.template(sql, p, viewer_id, ids) for sql, p in seen]
        if show:
            print(f"\n-- {show}: the {len(seen)} statements of one home timeline, limit {limit}")
            for query in queries[limit]:
                print(f"{query.sql};\n-- parameters: {query.slots}")
    return queries


def requests_file(path: Path, tokens: list[str], count: int) -> None:
    rng = random.Random(11)
    order = tokens[:]
    rng.shuffle(order)
    items = [
        {
            "h": {
                "Host": DOMAIN,
                "Authorization": f"Bearer {order[i % len(order)]}",
                # Both servers answer uncompressed: the baseline has no gzip.
                "Accept-Encoding": "identity",
            }
        }
        for i in range(count)
    ]
    path.write_bytes(orjson.dumps(items))


async def same_answers(ours: int, bare: int, tokens: list[str], limits: list[int]) -> str:
    """Both servers give the same JSON and Link header to the same viewers."""
    async with aiohttp.ClientSession() as http:
        for limit in limits:
            for token in tokens[:CHECKED]:
                bodies = []
                for port in (ours, bare):
                    async with http.get(
                        f"http://127.0.0.1:{port}{PATH}?limit={limit}",
                        headers={"Host": DOMAIN, "Authorization": f"Bearer {token}"},
                    ) as answer:
                        raw_body = await answer.read()
                        try:
                            body = orjson.loads(raw_body)
                        except orjson.JSONDecodeError:
                            raise SystemExit(
                                f"port {port} answered {answer.status} with non-JSON: "
                                f"{raw_body[:300]!r}"
                            ) from None
                        bodies.append((answer.status, body, answer.headers.get("link")))
                if bodies[0] != bodies[1]:
                    (s1, b1, l1), (s2, b2, l2) = bodies
                    detail = f"status {s1}/{s2}, link {l1 == l2}, items {len(b1)}/{len(b2)}"
                    if b1 and b2 and isinstance(b1, list) and isinstance(b2, list):
                        keys = [k for k in b1[0] if b1[0].get(k) != b2[0].get(k)]
                        detail += f", first item differs in {keys}"
                    raise SystemExit(f"the baseline's answer differs from ours: {detail}")
    return (
        f"answers checked equal (JSON and Link header) for {CHECKED} viewers × limits "
        f"{', '.join(map(str, limits))}"
    )


# -- one backend ----------------------------------------------------------------------------


async def backend_run(report: Report, bench: Bench, backend: str, url: str) -> None:
    args = bench.args
    limits: list[int] = args.limits
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        tokens = await sign_in(engine, args.users, max(limits))
        log(f"{backend}: {len(tokens)} users signed in in {time.perf_counter() - started:.1f} s")
        first = next(iter(tokens.values()))
        queries = await capture(engine, first, limits, backend if args.show_sql else None)
    finally:
        await engine.dispose()
    folder = bench.folder / backend.lower()
    folder.mkdir()
    requests_file(bench.requests_file, list(tokens), args.warmup + args.requests)
    (folder / "queries.pickle").write_bytes(pickle.dumps(queries))
    (folder / "tokens.json").write_bytes(orjson.dumps(tokens))

    ours_port, bare_port = free_port(), free_port()
    instance = write_instance(
        folder / "instance",
        domain=DOMAIN,
        port=ours_port,
        database_url=url,
        extra="[jobs]\nin_process_worker = false\n",
    )
    ours = bench.children.spawn(
        f"serve-{backend.lower()}",
        python("-m", "fedi", "serve", "--instance", str(instance)),
        cpu=bench.server_cpu,
    )
    bare_options = {
        "--database": url,
        "--queries": folder / "queries.pickle",
        "--tokens": folder / "tokens.json",
        "--base-url": BASE_URL,
        "--port": bare_port,
    }
    bare = bench.children.spawn(
        f"bare-{backend.lower()}",
        python("-m", "benchmarks.bare_home", *flags(bare_options)),
        cpu=bench.server_cpu,
    )
    try:
        await wait_until_serving(f"http://127.0.0.1:{ours_port}/health", ours, within=60)
        await wait_until_serving(f"http://127.0.0.1:{bare_port}/health", bare, within=60)
        checked = await same_answers(ours_port, bare_port, list(tokens), limits)
        for limit in limits:
            base = await bench.load(BARE, bare, bare_port, limit, "")
            mine = await bench.load(OURS, ours, ours_port, limit, f"ours-{backend.lower()}-{limit}")
            section = report.section(
                f"{backend} · GET {PATH}?limit={limit}, {args.requests} requests, "
                f"{args.concurrency} connections, {len(tokens)} viewers · ours: jamii serve · "
                f"baseline: bare Starlette, the same {len(queries[limit])} statements raw, orjson"
            )
            section.rows = [mine, base]
            lines(section, mine, base)
            section.lines.append(checked)
            section.print()
    finally:
        for child in (ours, bare):
            child.stop()


def lines(section: Section, ours: Load, bare: Load) -> None:
    for row in (ours, bare):
        section.lines.append(row.line())
    ratio = ours.rate / bare.rate
    cpu_ratio = ours.server_cpu_us / max(bare.server_cpu_us, 1e-9)
    section.lines.append(
        f"{ours.label}  {ours.rate:,.0f} req/s | {bare.label} {bare.rate:,.0f} req/s | "
        f"{ratio:.0%} (target ≥ {RATIO_TARGET:.0%}) {verdict(ratio >= RATIO_TARGET)}; "
        f"server CPU per request {cpu_ratio:.2f}× the baseline's"
    )
    p50_ok = ours.p50 * 1000 < P50_TARGET_MS
    p99_ok = ours.p99 * 1000 < P99_TARGET_MS
    section.lines.append(
        f"{ours.label}  p50 {ms(ours.p50)} (target < {P50_TARGET_MS:g} ms) {verdict(p50_ok)}, "
        f"p99 {ms(ours.p99)} (target < {P99_TARGET_MS:g} ms) {verdict(p99_ok)}"
    )
    section.checks.append(
        {
            "measured": ours.label,
            "baseline": bare.label,
            "throughput": round(ours.rate, 1),
            "baseline_throughput": round(bare.rate, 1),
            "throughput_ratio": round(ratio, 3),
            "server_cpu_us": round(ours.server_cpu_us, 1),
            "baseline_server_cpu_us": round(bare.server_cpu_us, 1),
            "all_200": ours.all_ok and bare.all_ok,
            "meets": {"ratio": ratio >= RATIO_TARGET, "p50": p50_ok, "p99": p99_ok},
        }
    )


# -- main -----------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    other = OtherLoad()
    sizes = dataset.Sizes(args.accounts, args.statuses, args.follows_per_account)
    report = Report(f"Jamii home timeline over HTTP — {sizes.key}")
    report.machine(event_loop="uvloop", http="httptools (uvicorn defaults with uvicorn[standard])")
    server_cpu, load_cpu = two_cores()
    report.fact(
        "placement",
        f"both servers on core {server_cpu} (one at a time under load), load generator on "
        f"core {load_cpu}"
        if server_cpu is not None
        else "one core: nothing pinned (figures are not comparable)",
    )
    load_average_fact(report)
    databases: list[tuple[str, str]] = []
    if args.sqlite:
        path = await asyncio.to_thread(seed.sqlite_database, sizes)
        databases.append(("SQLite", f"sqlite+aiosqlite:///{path}"))
    url = await backends.postgres(
        report, args, lambda server: seed.postgres_database(server, sizes)
    )
    if url is not None:
        databases.append(("PostgreSQL", url))
    pin(load_cpu)  # this process only waits from here on
    with (
        tempfile.TemporaryDirectory(prefix="jamii-bench-home-") as tmp,
        Children(Path(tmp)) as children,
    ):
        folder = Path(tmp)
        bench = Bench(args, folder, children, folder / "requests.json", server_cpu, load_cpu)
        for backend, database_url in databases:
            await backend_run(report, bench, backend, database_url)
    other.fact(report)
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.home_http", description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--statuses", type=int, default=100_000)
    parser.add_argument("--follows-per-account", type=int, default=100)
    parser.add_argument("--users", type=int, default=1000, help="signed-in viewers (tokens)")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per run")
    parser.add_argument(
        "--warmup", type=int, help="untimed requests first (default: one per viewer)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--limits", default="20,40", help="page sizes, comma-separated")
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds per load run")
    backends.add_options(parser, "; a database jamii_bench_<sizes> is created there and reused")
    parser.add_argument("--show-sql", action="store_true", help="print the captured statements")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile ours with py-spy during each timed run (raw format, into DIR)",
    )
    parser.add_argument("--py-spy-seconds", type=int, default=8)
    add_json_option(parser)
    args = backends.parse(parser, argv)
    if args.py_spy:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    args.limits = [int(v) for v in args.limits.split(",")]
    if args.warmup is None:
        args.warmup = args.users
    return args


if __name__ == "__main__":
    run(main(parse()))
