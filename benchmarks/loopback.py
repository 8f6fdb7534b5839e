"""Real processes on loopback for the HTTP benchmarks: pinned to a core, logged, stopped.

Shared by ``benchmarks.inbox``, ``benchmarks.home_http`` and, through ``benchmarks.sending``,
the fan-out benchmarks. Every child is started by ``spawn`` and stopped by ``Child.stop``
(SIGTERM to its own pid, then SIGKILL after a grace period); ``Children`` stops whatever is
still running when a benchmark leaves its block, so an exception or Ctrl-C leaves no process
behind. Databases made here are temporary: SQLite files in the run's temporary folder,
PostgreSQL databases ``jamii_bench_<what>_<pid>`` dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.backends import UNREACHABLE, postgres_version, say_skipped
from benchmarks.report import Report
from benchmarks.seed import plain_url, sqlalchemy_url
from fedi.db import migrate
from fedi.logging import configure

LOOPBACK = "127.0.0.1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a benchmark on uvloop (what uvicorn[standard] runs on); SIGINT or SIGTERM cancel it.

    Cancelling unwinds the benchmark, so every ``Children`` block stops its processes and
    temporary folders and databases are removed; then the process exits 130.
    """

    async def guarded() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        await coroutine

    try:
        import uvloop
    except ImportError:
        runner: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(guarded())
    except (asyncio.CancelledError, KeyboardInterrupt):
        log("interrupted: stopped every process this benchmark started")
        sys.exit(130)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def usable_cpus() -> list[int]:
    """The cores this process may run on (all of them unless started under taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def pin(cpu: int | None) -> bool:
    """Pin the calling process to one core; False where that is not possible."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return False
    return True


def two_cores() -> tuple[int | None, int | None]:
    """The first two usable cores: the measured side's and its counterpart's (the load
    generator's or the receivers'); (None, None) on one core, where nothing is pinned."""
    cpus = usable_cpus()
    return (cpus[0], cpus[1]) if len(cpus) > 1 else (None, None)


def load_average_fact(report: Report) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report.fact("load average at start", f"{load:.2f}")


@contextlib.contextmanager
def jamii_logging(path: Path) -> Iterator[None]:
    """Jamii's logging in this process, as ``jamii serve`` configures it, into ``path``
    rather than the terminal (where the figures go), for as long as the block runs."""
    saved = sys.stderr
    with path.open("w") as log_file:
        sys.stderr = log_file  # configure() binds its handler to the stderr of the moment
        try:
            configure(json=True)
        finally:
            sys.stderr = saved
        yield


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat), or None."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class OtherLoad:
    """How busy the machine was with processes that are not this benchmark's, meanwhile.

    Everything the benchmark ran itself (this process and the children it has stopped) is
    subtracted from the machine's busy time; what is left is other processes, and also the
    PostgreSQL server when a PostgreSQL backend ran. Linux only (None elsewhere).
    """

    def __init__(self) -> None:
        self._start = (time.monotonic(), _busy_seconds(), _own_seconds())

    def cores(self) -> float | None:
        started, busy, own = self._start
        now = _busy_seconds()
        if busy is None or now is None:
            return None
        other = (now - busy) - (_own_seconds() - own)
        return max(0.0, other) / max(time.monotonic() - started, 1e-9)

    def fact(self, report: Report) -> None:
        """The report's last fact: how busy the machine was meanwhile (where it can tell)."""
        busy = self.cores()
        if busy is not None:
            print()
            report.fact(
                "other processes meanwhile",
                f"{busy:.2f} cores busy on average (PostgreSQL's server included when it ran)",
            )


@dataclass
class Child:
    """A process we started; ``stop`` ends it (and only it) by its pid."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> int | None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


@dataclass
class Children:
    """Every child a benchmark started; leaving the block stops those still running."""

    folder: Path
    started: list[Child] = field(default_factory=list)

    def spawn(
        self, name: str, argv: Sequence[str], *, cpu: int | None, env: dict[str, str] | None = None
    ) -> Child:
        log_path = self.folder / f"{name}.log"
        out = log_path.open("ab")

        def pinned() -> None:  # runs in the child between fork and exec
            pin(cpu)

        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                preexec_fn=pinned,  # the benchmarks start children before any thread
                cwd=Path(__file__).resolve().parent.parent,
            )
        finally:
            out.close()
        child = Child(name, process, log_path)
        self.started.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.started):
            child.stop(grace=5.0)

    def __enter__(self) -> Children:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def flags(options: dict[str, object]) -> list[str]:
    """Command-line arguments from ``{"--option": value}``."""
    return [str(part) for pair in options.items() for part in pair]


async def wait_until_serving(
    url: str, child: Child, *, within: float = 30.0, host: str | None = None
) -> None:
    """Poll ``url`` (any HTTP answer will do) until the child serves, or fail with its log."""
    deadline = time.monotonic() + within
    headers = {"Host": host} if host else {}
    async with aiohttp.ClientSession() as session:
        while True:
            if not child.running():
                raise RuntimeError(f"{child.name} exited early:\n{child.tail()}")
            try:
                async with session.get(url, headers=headers) as answer:
                    await answer.read()
                    return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{child.name} did not start within {within:.0f} s")
            await asyncio.sleep(0.05)


def write_instance(
    folder: Path, *, domain: str, port: int, database_url: str, extra: str = ""
) -> Path:
    """An instance folder configured like the shipped examples, for ``jamii serve/worker``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(
        f'domain = "{domain}"\n'
        "dev_insecure = true\n"
        '[instance]\nname = "Benchmark"\ncountry = "KE"\n'
        '[languages]\nprimary = "en"\nbridged = ["sw"]\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[server]\nhost = "{LOOPBACK}"\nport = {port}\n' + extra,
        encoding="utf-8",
    )
    return folder


# -- databases --------------------------------------------------------------------------------


@dataclass
class Database:
    """A migrated, empty database of one backend, removed by ``drop``."""

    backend: str  # "SQLite" or "PostgreSQL"
    url: str  # sqlite+aiosqlite:// or postgresql+asyncpg://
    server_url: str | None = None
    name: str | None = None

    async def analyze(self) -> None:
        """Table statistics (and, on PostgreSQL, the visibility map) for freshly seeded rows,
        as a running server's autovacuum would have them: without, PostgreSQL planned the
        followers' inboxes of a post as if the tables were empty (2.5 ms instead of 1.1)."""
        if self.server_url is None or self.name is None:
            database = make_url(self.url).database
            if database:
                connection = sqlite3.connect(database)
                try:
                    connection.execute("ANALYZE")
                finally:
                    connection.close()
            return
        connection = await asyncpg.connect(plain_url(self.server_url, self.name))
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    async def drop(self) -> None:
        if self.server_url is None or self.name is None:
            return  # a SQLite file goes with the temporary folder
        admin = await asyncpg.connect(plain_url(self.server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await admin.close()


async def sqlite_database(path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    return Database("SQLite", url)


async def postgres_database(server_url: str, what: str) -> Database:
    name = f"jamii_bench_{what}_{os.getpid()}"
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    database = Database("PostgreSQL", sqlalchemy_url(server_url, name), server_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, database.url)
    except BaseException:
        await database.drop()
        raise
    return database


async def temporary_database(server_url: str | None, folder: Path, what: str) -> Database:
    """A migrated, empty database for ``what``: SQLite in ``folder`` (None), else PostgreSQL
    on ``server_url``."""
    if server_url is None:
        return await sqlite_database(folder / f"{what}.db")
    return await postgres_database(server_url, what)


async def each_database(
    report: Report,
    args: argparse.Namespace,
    folder: Path,
    what: str,
    run: Callable[[Database], Awaitable[None]],
) -> None:
    """``run`` on a temporary database of each backend the options ask for (``--sqlite``,
    ``--postgres``), one after the other, each dropped afterwards; PostgreSQL's version is
    reported once its database is made, or why it is skipped."""
    servers: list[str | None] = [None] if args.sqlite else []
    if args.postgres:
        servers.append(args.postgres)
    else:
        say_skipped()
    for server_url in servers:
        if server_url is None:
            database = await temporary_database(None, folder, what)
        else:
            try:
                database = await temporary_database(server_url, folder, what)
                report.fact("postgresql", await postgres_version(server_url))
            except UNREACHABLE as exc:
                say_skipped(exc)
                continue
        try:
            await run(database)
        finally:
            with contextlib.suppress(Exception):
                await database.drop()
