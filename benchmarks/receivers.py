"""The fan-out benchmark's receiving side: many lightweight shared inboxes in one process.

    python -m benchmarks.receivers --count 50 --ready FILE

Serves ``--count`` aiohttp sites on distinct loopback ports (one per receiving "instance"),
each answering ``POST /inbox`` with 202 after reading the body, and counting. Anything else
(a GET: the sender fetching something) is counted too and answered 404, so a benchmark can
show that nothing was fetched during a fan-out. A control site answers ``GET /stats`` with
the counters and ``POST /reset`` clears them. Once every port listens, ``{"ports": [...],
"control": port}`` is written to ``--ready``. Runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections import Counter
from pathlib import Path

import orjson
from aiohttp import web


class Counters:
    def __init__(self) -> None:
        self.posts: Counter[int] = Counter()
        self.signed = 0
        self.other = 0
        self.first = 0.0
        self.last = 0.0

    def reset(self) -> None:
        self.posts.clear()
        self.signed = self.other = 0
        self.first = self.last = 0.0

    def snapshot(self) -> dict[str, object]:
        return {
            "posts": sum(self.posts.values()),
            "hosts": len(self.posts),
            "signed": self.signed,
            "other": self.other,
            "first": self.first,  # time.monotonic() of the first and last POST answered
            "last": self.last,
        }


async def serve(count: int, ready: Path) -> None:
    counters = Counters()

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        port = request.transport.get_extra_info("sockname")[1] if request.transport else 0
        counters.posts[port] += 1
        if "Signature" in request.headers:
            counters.signed += 1
        now = time.monotonic()
        counters.first = counters.first or now
        counters.last = now
        return web.Response(status=202)

    async def other(request: web.Request) -> web.Response:
        counters.other += 1
        return web.Response(status=404)

    async def stats(request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(counters.snapshot()), content_type="application/json")

    async def reset(request: web.Request) -> web.Response:
        counters.reset()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    app.router.add_route("*", "/{tail:.*}", other)
    control = web.Application()
    control.router.add_get("/stats", stats)
    control.router.add_post("/reset", reset)

    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    control_runner = web.AppRunner(control, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await control_runner.setup()
    try:
        sites = [web.TCPSite(runner, "127.0.0.1", 0) for _ in range(count)]
        for site in sites:
            await site.start()
        control_site = web.TCPSite(control_runner, "127.0.0.1", 0)
        await control_site.start()
        ports = [address[1] for address in runner.addresses]
        control_port = control_runner.addresses[0][1]
        ready_text = orjson.dumps({"ports": ports, "control": control_port})
        await asyncio.to_thread(ready.write_bytes, ready_text)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await control_runner.cleanup()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.receivers")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--ready", type=Path, required=True)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.count, args.ready))
    else:
        uvloop.run(serve(args.count, args.ready))


if __name__ == "__main__":
    main()
