"""The safe fetcher against real HTTP servers on loopback.

A ``Site`` is an aiohttp.web server whose answers each test scripts; a ``Tripwire`` is a bare
TCP listener that counts connections: every refusal is checked both ways, the error raised
and not one connection made. Behaviour tests use ``allow_private=True`` (the loopback demo's
setting); refusal tests use the production setting.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fedi.federation.fetcher import (
    ACTIVITY_ACCEPT,
    AddressRefused,
    BadContentType,
    BudgetExhausted,
    ConnectionFailed,
    FetchBudget,
    Fetcher,
    FetchLimits,
    FetchTimeout,
    IdMismatch,
    RedirectRefused,
    RemoteError,
    TooLarge,
    TooManyRedirects,
    UrlRefused,
)

AP = "application/activity+json"
FAST = FetchLimits(total_seconds=2.0, connect_seconds=1.0, read_seconds=1.0, max_bytes=50_000)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Site:
    """A scripted web server: ``routes`` maps a path to a handler; every request is recorded."""

    base: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    def document(self, path: str, doc: dict[str, Any], content_type: str = AP) -> None:
        body = orjson.dumps(doc)
        self.routes[path] = lambda _: _answer(body, content_type)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = lambda _: _answer(b"", "text/plain", status, {"Location": location})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(request.method, request.path_qs, request.headers, await request.read())
        )
        handler = self.routes.get(request.path)
        return web.Response(status=404) if handler is None else await handler(request)


async def _answer(
    body: bytes, content_type: str, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=body, status=status, headers={"Content-Type": content_type, **(headers or {})}
    )


@asynccontextmanager
async def serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Site]:
    site = Site()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", site.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await tcp.start()
    port = runner.addresses[0][1]
    site.base = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    try:
        yield site
    finally:
        site.release.set()
        await runner.cleanup()


class Tripwire:
    """A listener that must never be reached: it counts connections and closes them."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _accept(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


class StaticResolver(AbstractResolver):
    """DNS as the test says: ``answers[name]`` is a list of answers, one per lookup."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"unknown host {host}")
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with serve() as running:
        yield running


@pytest.fixture
async def tripwire() -> AsyncIterator[Tripwire]:
    wire = Tripwire()
    await wire.start()
    yield wire
    await wire.stop()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private=True, allow_http=True, limits=FAST) as dev:
        yield dev


@pytest.fixture
async def strict() -> AsyncIterator[Fetcher]:
    """The production setting: https only, public addresses only."""
    async with Fetcher(limits=FAST) as production:
        yield production


@dataclass
class Recorder:
    """A signer that signs each URL it is given, so the server can tell which hop it saw."""

    calls: list[tuple[str, str, dict[str, str], bytes | None]] = field(default_factory=list)

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Mapping[str, str]:
        self.calls.append((method, url, dict(headers), body))
        return {"Signature": f'keyId="https://sn.example/actor#main-key",url="{url}"'}


# --- ActivityPub documents ---------------------------------------------------------------


async def test_a_document_is_fetched_with_activitypub_headers(site: Site, fetcher: Fetcher) -> None:
    site.document("/users/amina", {"id": site.url("/users/amina"), "type": "Person"})

    ident, doc = await fetcher.get_activity_json(site.url("/users/amina"))

    assert ident == site.url("/users/amina")
    assert doc["type"] == "Person"
    (request,) = site.seen
    assert request.headers["Accept"] == ACTIVITY_ACCEPT
    assert request.headers["User-Agent"].startswith("Jamii/")
    assert "Cookie" not in request.headers


@pytest.mark.parametrize(
    "content_type",
    ['application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "application/ld+json"],
)
async def test_json_ld_content_types_are_accepted(
    site: Site, fetcher: Fetcher, content_type: str
) -> None:
    site.document("/notes/1", {"id": site.url("/notes/1")}, content_type)
    assert (await fetcher.get_activity_json(site.url("/notes/1")))[0] == site.url("/notes/1")


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "text/plain"])
async def test_other_content_types_are_refused(
    site: Site, fetcher: Fetcher, content_type: str
) -> None:
    """An uploaded file or an API answer on the same host must not pass for an actor."""
    site.document("/media/actor.json", {"id": site.url("/media/actor.json")}, content_type)
    with pytest.raises(BadContentType):
        await fetcher.get_activity_json(site.url("/media/actor.json"))


async def test_an_id_on_another_server_is_refused(site: Site, fetcher: Fetcher) -> None:
    async with serve() as victim:
        victim.document("/users/joao", {"id": victim.url("/users/joao")})
        site.document("/users/joao", {"id": victim.url("/users/joao"), "type": "Person"})

        with pytest.raises(IdMismatch):
            await fetcher.get_activity_json(site.url("/users/joao"))

        assert victim.seen == []  # no refetch on the claimed server either


async def test_an_id_elsewhere_on_the_same_server_is_refetched_once(
    site: Site, fetcher: Fetcher
) -> None:
    site.document("/@amina", {"id": site.url("/users/amina"), "name": "stale copy"})
    site.document("/users/amina", {"id": site.url("/users/amina"), "name": "Amina"})

    ident, doc = await fetcher.get_activity_json(site.url("/@amina"))

    assert (ident, doc["name"]) == (site.url("/users/amina"), "Amina")
    assert site.paths == ["/@amina", "/users/amina"]


async def test_a_refetched_id_must_then_match(site: Site, fetcher: Fetcher) -> None:
    site.document("/a", {"id": site.url("/b")})
    site.document("/b", {"id": site.url("/c")})
    with pytest.raises(IdMismatch):
        await fetcher.get_activity_json(site.url("/a"))
    assert site.paths == ["/a", "/b"]


async def test_a_key_id_fragment_fetches_the_actor(site: Site, fetcher: Fetcher) -> None:
    site.document("/users/amina", {"id": site.url("/users/amina"), "publicKey": {}})
    ident, _ = await fetcher.get_activity_json(site.url("/users/amina#main-key"))
    assert ident == site.url("/users/amina")
    assert site.paths == ["/users/amina"]


async def test_the_budget_caps_fetches_per_activity(site: Site, fetcher: Fetcher) -> None:
    site.document("/notes/1", {"id": site.url("/notes/1")})
    budget = FetchBudget(remaining=2)
    await fetcher.get_activity_json(site.url("/notes/1"), budget=budget)
    await fetcher.request("GET", site.url("/notes/1"), budget=budget)
    with pytest.raises(BudgetExhausted):
        await fetcher.get_activity_json(site.url("/notes/1"), budget=budget)
    assert len(site.seen) == 2


# --- Redirects -----------------------------------------------------------------------------


async def test_redirects_within_the_limit_are_followed_and_each_hop_signed(
    site: Site, fetcher: Fetcher
) -> None:
    site.redirect("/r1", site.url("/hops/r2"), 301)
    site.redirect("/hops/r2", "r3", 307)  # relative to the current URL
    site.redirect("/hops/r3", "/notes/1", 308)
    site.document("/notes/1", {"id": site.url("/notes/1")})
    signer = Recorder()

    ident, _ = await fetcher.get_activity_json(site.url("/r1"), signer=signer)

    hops = [site.url(path) for path in ("/r1", "/hops/r2", "/hops/r3", "/notes/1")]
    assert ident == hops[-1]
    assert [url for _, url, _, _ in signer.calls] == hops
    assert [request.headers["Signature"].split("url=")[1] for request in site.seen] == [
        f'"{url}"' for url in hops
    ]
    # Each hop is signed afresh: the signer never sees the previous hop's signature.
    assert all(headers == {"Accept": ACTIVITY_ACCEPT} for _, _, headers, _ in signer.calls)


async def test_too_many_redirects_are_refused(site: Site, fetcher: Fetcher) -> None:
    for hop in range(1, 5):
        site.redirect(f"/r{hop}", f"/r{hop + 1}")
    site.document("/r5", {"id": site.url("/r5")})
    with pytest.raises(TooManyRedirects):
        await fetcher.get_activity_json(site.url("/r1"))
    assert site.paths == ["/r1", "/r2", "/r3", "/r4"]


@pytest.mark.parametrize(
    "location",
    [
        "http://2130706433:{port}/",  # loopback spelled as a number
        "http://169.254.169.254:{port}/latest/meta-data/",  # refused even in development
        "http://metadata.test:{port}/latest/meta-data/",  # a name DNS points at it
        "ftp://127.0.0.1:{port}/",
        "http://user:pass@127.0.0.1:{port}/",
    ],
)
async def test_each_redirect_hop_is_vetted_like_a_first_url(
    site: Site, tripwire: Tripwire, location: str
) -> None:
    dns = StaticResolver({"metadata.test": [["169.254.169.254"]]})
    site.redirect("/go", location.format(port=tripwire.port))
    async with Fetcher(allow_private=True, limits=FAST, resolver=dns) as f:
        with pytest.raises((AddressRefused, UrlRefused)):
            await f.request("GET", site.url("/go"))
    assert site.paths == ["/go"]
    assert tripwire.connections == 0


@pytest.mark.parametrize("allow_http", [True, False])
async def test_https_never_redirects_down_to_http(
    tls: TlsFiles, tripwire: Tripwire, allow_http: bool
) -> None:
    async with (
        serve(tls.server) as secure,
        Fetcher(
            allow_private=True, allow_http=allow_http, limits=FAST, ssl_context=tls.client
        ) as f,
    ):
        secure.redirect("/actor", f"http://127.0.0.1:{tripwire.port}/actor")
        with pytest.raises(RedirectRefused):
            await f.get_activity_json(secure.url("/actor"))
        assert secure.paths == ["/actor"]
    assert tripwire.connections == 0


async def test_https_works_with_a_trusted_certificate(tls: TlsFiles) -> None:
    async with (
        serve(tls.server) as secure,
        Fetcher(allow_private=True, allow_http=False, limits=FAST, ssl_context=tls.client) as f,
    ):
        secure.document("/actor", {"id": secure.url("/actor")})
        assert (await f.get_activity_json(secure.url("/actor")))[0] == secure.url("/actor")


# --- Size and time -------------------------------------------------------------------------


async def test_a_declared_oversized_body_is_refused_before_reading(site: Site) -> None:
    """Content-Length says too much: refused at once, not after waiting for the bytes."""

    async def promises(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AP})
        response.content_length = 10 * FAST.max_bytes
        await response.prepare(request)
        await response.write(b'{"id": ')
        await site.release.wait()  # the rest never comes: only the header can refuse it
        return response

    site.routes["/big"] = promises
    limits = FetchLimits(read_seconds=5, max_bytes=FAST.max_bytes)
    async with Fetcher(allow_private=True, limits=limits) as f:
        with pytest.raises(TooLarge):
            await asyncio.wait_for(f.get_activity_json(site.url("/big")), timeout=2)


async def test_a_streamed_body_is_cut_off_at_the_cap(site: Site, fetcher: Fetcher) -> None:
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse(headers={"Content-Type": AP})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            while not site.release.is_set() and sent < 100 * FAST.max_bytes:
                await response.write(b" " * 8192)
                sent += 8192
        except (ConnectionError, RuntimeError):
            pass
        return response

    site.routes["/stream"] = endless
    with pytest.raises(TooLarge):
        await fetcher.request("GET", site.url("/stream"))
    assert sent < 100 * FAST.max_bytes  # we hung up; the server did not get to finish


async def test_a_small_gzip_body_that_inflates_past_the_cap_is_refused(
    site: Site, fetcher: Fetcher
) -> None:
    bomb = gzip.compress(b'{"id": "x", "pad": "' + b"a" * (40 * FAST.max_bytes) + b'"}')
    assert len(bomb) < FAST.max_bytes // 10
    headers = {"Content-Encoding": "gzip"}
    site.routes["/bomb"] = lambda _: _answer(bomb, AP, headers=headers)
    small = gzip.compress(orjson.dumps({"id": site.url("/small")}))
    site.routes["/small"] = lambda _: _answer(small, AP, headers=headers)

    with pytest.raises(TooLarge):
        await fetcher.get_activity_json(site.url("/bomb"))
    assert (await fetcher.get_activity_json(site.url("/small")))[0] == site.url("/small")


async def test_a_silent_server_times_out(site: Site) -> None:
    async def silent(request: web.Request) -> web.StreamResponse:
        await site.release.wait()
        return web.Response()

    site.routes["/silent"] = silent
    limits = FetchLimits(total_seconds=5, read_seconds=0.3)
    async with Fetcher(allow_private=True, limits=limits) as f:
        started = asyncio.get_running_loop().time()
        with pytest.raises(FetchTimeout):
            await f.request("GET", site.url("/silent"))
    assert asyncio.get_running_loop().time() - started < 2


async def test_a_trickling_server_hits_the_total_timeout(site: Site) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AP})
        await response.prepare(request)
        try:
            while not site.release.is_set():
                await response.write(b" ")
                await asyncio.sleep(0.05)
        except (ConnectionError, RuntimeError):
            pass
        return response

    site.routes["/trickle"] = trickle
    limits = FetchLimits(total_seconds=0.5, read_seconds=5)
    async with Fetcher(allow_private=True, limits=limits) as f:
        started = asyncio.get_running_loop().time()
        with pytest.raises(FetchTimeout):
            await f.get_activity_json(site.url("/trickle"))
    assert asyncio.get_running_loop().time() - started < 2


# --- Deliveries and plain requests ---------------------------------------------------------


@pytest.mark.parametrize("status", [202, 400, 401, 410, 429, 500, 503])
async def test_post_returns_the_status_for_the_caller_to_judge(
    site: Site, fetcher: Fetcher, status: int
) -> None:
    site.routes["/inbox"] = lambda _: _answer(b"no thanks", "text/plain", status)
    signer = Recorder()

    response = await fetcher.post(site.url("/inbox"), b'{"type": "Create"}', signer=signer)

    assert response.status == status
    (request,) = site.seen
    assert (request.method, request.body) == ("POST", b'{"type": "Create"}')
    assert request.headers["Content-Type"] == AP
    assert request.headers["Signature"].endswith(f'url="{site.url("/inbox")}"')
    assert signer.calls == [("POST", site.url("/inbox"), signer.calls[0][2], b'{"type": "Create"}')]
    assert signer.calls[0][2]["Content-Type"] == AP


async def test_post_does_not_follow_redirects(site: Site, fetcher: Fetcher) -> None:
    site.redirect("/inbox", site.url("/elsewhere"), 307)
    response = await fetcher.post(site.url("/inbox"), b"{}", signer=Recorder())
    assert response.status == 307
    assert site.paths == ["/inbox"]


async def test_post_keeps_only_the_start_of_a_long_answer(site: Site, fetcher: Fetcher) -> None:
    site.routes["/inbox"] = lambda _: _answer(b"x" * 200_000, "text/html", 202)
    response = await fetcher.post(site.url("/inbox"), b"{}", signer=Recorder())
    assert (response.status, len(response.body)) == (202, 64 * 1024)


async def test_request_raises_for_unaccepted_statuses(site: Site, fetcher: Fetcher) -> None:
    with pytest.raises(RemoteError) as refused:
        await fetcher.request("GET", site.url("/missing"))
    assert refused.value.remote_status == 404
    assert "404" in refused.value.message
    response = await fetcher.request("GET", site.url("/missing"), accept_statuses={404})
    assert response.status == 404
    assert response.headers["CONTENT-LENGTH"] == response.headers["content-length"] == "0"


async def test_cookies_are_not_kept(site: Site) -> None:
    # A name, not an IP: cookie jars ignore cookies set by IP hosts anyway.
    dns = StaticResolver({"site.test": [["127.0.0.1"]]})
    url = site.url("/set").replace("127.0.0.1", "site.test")
    site.routes["/set"] = lambda _: _answer(b"{}", AP, headers={"Set-Cookie": "s=1; Path=/"})
    async with Fetcher(allow_private=True, limits=FAST, resolver=dns) as f:
        await f.request("GET", url)
        await f.request("GET", url)
    assert len(site.seen) == 2
    assert all("Cookie" not in request.headers for request in site.seen)


async def test_proxies_from_the_environment_are_ignored(
    site: Site, fetcher: Fetcher, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{tripwire.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    site.document("/notes/1", {"id": site.url("/notes/1")})
    await fetcher.get_activity_json(site.url("/notes/1"))
    assert tripwire.connections == 0


# --- Refusals: nothing is contacted --------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "017700000001",
        "127.1",
        "localhost",
        "LOCALHOST.",
    ],
)
async def test_loopback_in_any_spelling_is_refused(
    strict: Fetcher, tripwire: Tripwire, host: str
) -> None:
    with pytest.raises(AddressRefused):
        await strict.get_activity_json(f"https://{host}:{tripwire.port}/users/amina")
    with pytest.raises(AddressRefused):
        await strict.post(f"https://{host}:{tripwire.port}/inbox", b"{}", signer=Recorder())
    assert tripwire.connections == 0


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["64:ff9b::7f00:1"],
        ["::ffff:127.0.0.1"],
        ["93.184.216.34", "127.0.0.1"],  # one bad answer spoils the lot
    ],
)
async def test_names_resolving_to_forbidden_addresses_are_refused(
    tripwire: Tripwire, answer: list[str]
) -> None:
    dns = StaticResolver({"evil.test": [answer]})
    async with Fetcher(limits=FAST, resolver=dns) as f:
        with pytest.raises(AddressRefused):
            await f.get_activity_json(f"https://evil.test:{tripwire.port}/users/x")
    assert dns.asked == ["evil.test"]  # the refusal came from vetting DNS's answer
    assert tripwire.connections == 0


async def test_the_address_vetted_is_the_address_connected(site: Site) -> None:
    """DNS rebinding: a second lookup would answer 127.0.0.2, where nothing listens."""
    dns = StaticResolver({"site.test": [["127.0.0.1"], ["127.0.0.2"]]})
    site.document("/notes/1", {"id": site.url("/notes/1").replace("127.0.0.1", "site.test")})
    async with Fetcher(allow_private=True, limits=FAST, resolver=dns) as f:
        ident, _ = await f.get_activity_json(site.url("/notes/1").replace("127.0.0.1", "site.test"))
    assert ident.startswith("http://site.test:")
    assert dns.asked == ["site.test"]


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/a\r\nX-Injected: 1",
        "http://127.0.0.1:{port}/a b",
        "http://127.0.0.1:{port}/\x00",
        "http://user:pass@127.0.0.1:{port}/",
        "http://@127.0.0.1:{port}/",
        "ftp://127.0.0.1:{port}/",
        "http://127.0.0.1:0/",
        "http:///users/x",
    ],
)
async def test_malformed_urls_are_refused_before_connecting(
    fetcher: Fetcher, tripwire: Tripwire, template: str
) -> None:
    with pytest.raises(UrlRefused):
        await fetcher.request("GET", template.format(port=tripwire.port))
    assert tripwire.connections == 0


async def test_http_is_refused_unless_allowed(tripwire: Tripwire) -> None:
    async with Fetcher(allow_private=True, allow_http=False, limits=FAST) as f:
        with pytest.raises(UrlRefused):
            await f.request("GET", f"http://127.0.0.1:{tripwire.port}/")
    assert tripwire.connections == 0


async def test_an_unknown_name_is_a_connection_failure(strict: Fetcher) -> None:
    dns = StaticResolver({})
    async with Fetcher(limits=FAST, resolver=dns) as f:
        with pytest.raises(ConnectionFailed):
            await f.request("GET", "https://nowhere.test/")


# --- TLS material for the https tests ------------------------------------------------------


@dataclass
class TlsFiles:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls(tls_files: tuple[Path, Path]) -> TlsFiles:
    cert_path, key_path = tls_files
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return TlsFiles(server=server, client=client)
