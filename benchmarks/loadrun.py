"""A load run: ``benchmarks.httpload`` in a child process on its own core, against a server
child, read back as figures (requests/s, latencies, the server's CPU per request).

Shared by ``benchmarks.inbox`` and ``benchmarks.home_http``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from benchmarks.loopback import Child, Children, cpu_seconds, flags, python
from benchmarks.report import Stats


@dataclass(frozen=True)
class Load(Stats):
    """Latencies of a load run; ``ops`` is the run's requests per second, not 1/mean."""

    rate: float = 0.0
    server_cpu_us: float = 0.0  # server CPU per request (warm-up included)
    generator_busy: float = 0.0  # share of its core the load generator used
    accepted: int = 0  # 202 answers, warm-up included
    answers: str = ""
    all_ok: bool = False  # every answer a 200, warm-up included

    @property
    def ops(self) -> float:
        return self.rate

    def line(self) -> str:
        """What was answered and what the run cost the server and the load generator."""
        return (
            f"{self.label}: {self.answers}; server CPU {self.server_cpu_us:.0f} µs/request; "
            f"load generator busy {self.generator_busy:.0%}"
        )


@dataclass
class Bench:
    """What a benchmark's load runs share: its options, its temporary folder and the children
    started there, the requests file, and the cores of the server and the load generator."""

    args: argparse.Namespace
    folder: Path
    children: Children
    requests_file: Path
    server_cpu: int | None
    load_cpu: int | None


@dataclass(frozen=True)
class Requests:
    """What a load run sends: ``warmup`` untimed requests from httpload's ``file``, then
    ``count`` timed ones, on ``concurrency`` connections, for ``time_cap`` seconds at most."""

    file: Path
    warmup: int
    count: int
    concurrency: int
    time_cap: float


async def load_run(
    children: Children,
    label: str,
    server: Child,
    url: str,
    requests: Requests,
    *,
    cpu: int | None,
    meanwhile: Callable[[], Awaitable[Child | None]] | None = None,
) -> Load:
    """``requests`` sent to ``url`` by a load generator pinned to ``cpu``. ``meanwhile``
    starts what runs beside it (a profiler of ``server``), waited for when the load is done."""
    out = children.folder / f"load-{len(children.started)}.json"
    before = cpu_seconds(server.pid)
    options = {
        "--requests": requests.file,
        "--url": url,
        "--warmup": requests.warmup,
        "--count": requests.count,
        "--concurrency": requests.concurrency,
        "--time-cap": requests.time_cap,
        "--out": out,
    }
    child = children.spawn(
        f"httpload-{len(children.started)}",
        python("-m", "benchmarks.httpload", *flags(options)),
        cpu=cpu,
    )
    beside = await meanwhile() if meanwhile is not None else None
    code = await asyncio.to_thread(child.process.wait, 2 * requests.time_cap + 60)
    if beside is not None:
        await asyncio.to_thread(beside.process.wait, 60)
    if code != 0 or not out.exists():
        raise RuntimeError(f"the load generator failed ({code}):\n{child.tail()}")
    used = cpu_seconds(server.pid) - before
    data = orjson.loads(out.read_bytes())
    warm = data["warmup"]
    total = data["sent"] + warm.get("sent", 0)
    answers = dict(warm["statuses"])
    for status, n in data["statuses"].items():
        answers[status] = answers.get(status, 0) + n
    errors = {**warm["errors"], **data["errors"]}
    shown = ", ".join(f"{n} × {s}" for s, n in sorted(answers.items()))
    if errors:
        shown += ", errors: " + ", ".join(f"{n} × {e}" for e, n in errors.items())
    if data["capped"]:
        shown += f" (time cap: {data['sent']} of {requests.count} sent)"
    return Load(
        label,
        tuple(data["latencies"]) or (0.0,),
        rate=len(data["latencies"]) / data["wall"],
        server_cpu_us=used / max(total, 1) * 1e6,
        generator_busy=data["cpu"] / data["wall"],
        accepted=answers.get("202", 0),
        answers=shown,
        all_ok=set(answers) == {"200"} and not errors,
    )
