"""The HTTP load generator of the inbox benchmark, run as its own process on its own core.

    python -m benchmarks.httpload --requests FILE --url URL --warmup W --count N
        [--concurrency 64] [--time-cap 60] --out RESULT.json

``FILE`` is a JSON list of pre-built requests ``{"h": {header: value}, "b": "<body>"}`` (the
headers include ``Host``, which overrides the URL's), each a POST; a request without ``"b"``
(or with ``"b": null``) is a GET of the URL. The first ``W`` are sent untimed (they
open the keep-alive connections and warm the server's caches), then the next ``N`` are timed:
``--concurrency`` tasks share one aiohttp session with as many keep-alive connections, each
sending the next unsent request as soon as its previous answer is read, until all ``N`` are
sent or ``--time-cap`` seconds have passed. The result is JSON: wall time, answers by status,
transport errors, every request's latency (seconds), the generator's own CPU time, and
the warm-up's answers by status (so the caller can check every 202 against the database).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson

Request = tuple[dict[str, str], bytes | None]  # no body: a GET


async def phase(
    session: aiohttp.ClientSession,
    url: str,
    requests: list[Request],
    concurrency: int,
    time_cap: float,
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    position = 0
    clock = time.perf_counter
    started = clock()
    deadline = started + time_cap
    cpu = time.process_time()

    async def client() -> None:
        nonlocal position
        while position < len(requests) and clock() < deadline:
            headers, body = requests[position]
            position += 1
            sent = clock()
            try:
                sending = (
                    session.get(url, headers=headers)
                    if body is None
                    else session.post(url, data=body, headers=headers)
                )
                async with sending as answer:
                    await answer.read()
                    statuses[answer.status] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append(clock() - sent)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = clock() - started
    return {
        "wall": wall,
        "sent": position,
        "capped": position < len(requests),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "latencies": latencies,
        "cpu": time.process_time() - cpu,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    items = orjson.loads(args.requests.read_bytes())
    requests: list[Request] = [
        (item["h"], item["b"].encode() if item.get("b") is not None else None) for item in items
    ]
    warmup = requests[: args.warmup]
    measured = requests[args.warmup : args.warmup + args.count]
    connector = aiohttp.TCPConnector(
        limit=args.concurrency, limit_per_host=args.concurrency, keepalive_timeout=120
    )
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=30),
        skip_auto_headers=("User-Agent",),
    ) as session:
        warm: dict[str, Any] = {"statuses": {}, "errors": {}}
        if warmup:
            warm = await phase(session, args.url, warmup, args.concurrency, args.time_cap)
            del warm["latencies"]
        result = await phase(session, args.url, measured, args.concurrency, args.time_cap)
        return result | {"warmup": warm}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.httpload")
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--time-cap", type=float, default=60.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    args.out.write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
