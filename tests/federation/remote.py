"""Another fediverse server, faked on loopback, and deliveries signed by its actors.

A ``RemoteServer`` is an aiohttp.web server that publishes actor documents (with their
public keys), notes and whatever else a test puts on it; it records every request, so a
test can assert that a refusal cost us not one fetch, and it accepts deliveries to its
inboxes. ``deliver`` signs an activity with one of its actors' keys and POSTs it to a real
Jamii instance, optionally tampering with the signed request first; ``settle`` waits until
the instance's worker has processed every delivery it accepted.

The instances run with ``dev_insecure = true``, which is what lets them fetch plain http
from 127.0.0.1; two fake servers on two ports are two different hosts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx
import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import func, select

from fedi.db.models import Account, Job
from fedi.federation.inbox.writer import PROCESS
from fedi.federation.signatures import PrivateKey, sign_cavage, sign_rfc9421
from fedi.federation.wire import PUBLIC
from tests.factories import teacher
from tests.servers import Instance, free_port, serve, write_instance

AP = "application/activity+json"


# Key generation costs ~50 ms for RSA-2048: each named key is made once per test run.
@cache
def private_key(name: str, kind: str = "rsa") -> PrivateKey:
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@dataclass
class Seen:
    method: str
    path: str
    body: bytes


@dataclass
class RemoteActor:
    """An account on the fake server: its documents and the key it signs with."""

    server: RemoteServer
    username: str
    key: PrivateKey
    # "#main-key" as Mastodon, Lemmy and Misskey publish keys; "/main-key" as GoToSocial does.
    key_suffix: str = "#main-key"
    type: str = "Person"
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return self.server.url(f"/users/{self.username}")

    @property
    def key_id(self) -> str:
        return self.uri + self.key_suffix

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    @property
    def followers(self) -> str:
        return f"{self.uri}/followers"

    def document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": self.type,
            "preferredUsername": self.username,
            "name": self.name or self.username.title(),
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "followers": self.followers,
            "following": f"{self.uri}/following",
            "endpoints": {"sharedInbox": self.server.url("/inbox")},
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": public_pem(self.key),
            },
            **self.extra,
        }

    def activity_id(self, kind: str = "activity") -> str:
        return self.server.url(f"/activities/{kind}/{uuid.uuid4()}")

    def note(self, text: str, **fields: Any) -> dict[str, Any]:
        """A public Note by this actor, Mastodon-shaped, with a fresh id on its server."""
        note_id = self.server.url(f"/users/{self.username}/statuses/{uuid.uuid4().int % 10**18}")
        return {
            "id": note_id,
            "type": "Note",
            "attributedTo": self.uri,
            "content": f"<p>{text}</p>",
            "to": [PUBLIC],
            "cc": [self.followers],
            "published": "2024-05-06T07:08:09Z",
            **fields,
        }

    def create(self, note: dict[str, Any] | str, **fields: Any) -> dict[str, Any]:
        """A Create of ``note``, embedded (addressed as the note is) or given by its id."""
        if isinstance(note, str):
            return self.wrap("Create", note, to=[PUBLIC], cc=[self.followers], **fields)
        return self.wrap(
            "Create", note, to=note.get("to", [PUBLIC]), cc=note.get("cc", []), **fields
        )

    def wrap(self, kind: str, obj: Any, **fields: Any) -> dict[str, Any]:
        """An activity of ``kind`` by this actor about ``obj``."""
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.activity_id(kind.lower()),
            "type": kind,
            "actor": self.uri,
            "object": obj,
            **fields,
        }


@dataclass
class RemoteServer:
    """A scripted fediverse server: published documents, every request recorded."""

    base: str = ""
    documents: dict[str, bytes] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")

    def url(self, path: str) -> str:
        return self.base + path

    def actor(
        self,
        username: str,
        *,
        kind: str = "rsa",
        key_suffix: str = "#main-key",
        key_name: str | None = None,
        **extra: Any,
    ) -> RemoteActor:
        """Create and publish an actor (its key named ``key_name``, default its username)."""
        actor = RemoteActor(
            self, username, private_key(key_name or username, kind), key_suffix, extra=extra
        )
        self.publish_actor(actor)
        return actor

    def publish_actor(self, actor: RemoteActor) -> None:
        document = actor.document()
        self.publish(document)
        if actor.key_suffix == "/main-key":
            # GoToSocial serves a stub of the actor (id: the actor's) at the key's own URL.
            stub = {key: document[key] for key in ("@context", "id", "type", "publicKey")}
            self.publish(stub, path=f"/users/{actor.username}/main-key")

    def publish(self, document: dict[str, Any], *, path: str | None = None) -> None:
        """Serve ``document`` at ``path`` (default: the path of its own id)."""
        if path is None:
            ident = document["id"]
            assert ident.startswith(self.base + "/"), ident
            path = ident.removeprefix(self.base)
        self.documents[path] = orjson.dumps(document)

    def gets(self, path: str | None = None) -> int:
        """How many GETs we served (to ``path``, a path or a full URL on this server)."""
        if path is not None:
            path = path.removeprefix(self.base).split("#", 1)[0]
        return sum(1 for s in self.seen if s.method == "GET" and path in (None, s.path))

    def deliveries(self) -> list[dict[str, Any]]:
        """The activities POSTed to this server's inboxes."""
        return [orjson.loads(s.body) for s in self.seen if s.method == "POST"]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(request.method, request.path_qs, await request.read()))
        if request.method == "POST":
            return web.Response(status=202)
        body = self.documents.get(request.path_qs)
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, headers={"Content-Type": AP})


@asynccontextmanager
async def remote_server() -> AsyncIterator[RemoteServer]:
    server = RemoteServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def home(tmp_path: Path, database_url: str, *, extra: str = "") -> AsyncIterator[Instance]:
    """Our instance ("ke"), served on loopback with its in-process worker."""
    config = write_instance(
        tmp_path,
        code="ke",
        port=free_port(),
        database_url=database_url,
        extra="[jobs]\nin_process_worker = true\n" + extra,
    )
    async with serve(config) as instance:
        yield instance


@pytest.fixture
async def ke(database_url: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """``home`` on each backend, for a module that imports it (naming it in its ``__all__``)."""
    async with home(tmp_path, database_url) as instance:
        yield instance


@pytest.fixture
async def remote() -> AsyncIterator[RemoteServer]:
    """Someone else's server on loopback, for a module that imports it (naming it in its
    ``__all__``)."""
    async with remote_server() as server:
        yield server


async def local_teacher(instance: Instance, username: str) -> Account:
    async with instance.state.sessions() as session, session.begin():
        return await teacher(session, username, site=instance.state.site)


# -- signing and delivering ------------------------------------------------------------------


@dataclass
class Outgoing:
    """A signed request about to be sent: tamper with it to forge one."""

    path: str
    headers: dict[str, str]
    body: bytes


Tamper = Callable[[Outgoing], None]


class Signer(Protocol):
    """Whoever signs a delivery: a ``RemoteActor``, or a ``KeyHolder`` for a fixture actor."""

    @property
    def key_id(self) -> str: ...

    @property
    def key(self) -> PrivateKey: ...


@dataclass(frozen=True)
class KeyHolder:
    key_id: str
    key: PrivateKey


def sign(
    instance: Instance,
    activity: dict[str, Any] | bytes,
    signer: Signer,
    *,
    path: str = "/inbox",
    scheme: str = "cavage",
    key_id: str | None = None,
    key: PrivateKey | None = None,
    now: datetime | None = None,
    signed_for: str | None = None,
    body_in_signature: bool = True,
) -> Outgoing:
    """A POST of ``activity`` to ``path`` on ``instance``, signed as ``signer`` would.

    ``signed_for`` signs it for another base URL (a request meant for another server);
    ``body_in_signature=False`` leaves the digest out of the signature (and the headers).
    """
    body = activity if isinstance(activity, bytes) else orjson.dumps(activity)
    url = (signed_for or instance.url) + path
    signing = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
    added = signing(
        "POST",
        url,
        {"Content-Type": AP},
        body if body_in_signature else None,
        key_id=key_id or signer.key_id,
        private_key=key or signer.key,
        now=now,
    )
    headers = {"Content-Type": AP, **added}
    if scheme == "rfc9421":
        headers["Host"] = url.split("/", 3)[2]
    return Outgoing(path, headers, body)


async def post(instance: Instance, outgoing: Outgoing) -> httpx.Response:
    return await instance.client.post(
        outgoing.path, content=outgoing.body, headers=outgoing.headers
    )


async def deliver(
    instance: Instance,
    activity: dict[str, Any] | bytes,
    *,
    signer: Signer,
    tamper: Tamper | None = None,
    **signing: Any,
) -> httpx.Response:
    """Sign ``activity`` as ``signer`` (see ``sign``), let ``tamper`` alter it, POST it."""
    outgoing = sign(instance, activity, signer, **signing)
    if tamper is not None:
        tamper(outgoing)
    return await post(instance, outgoing)


def with_signature_param(name: str, value: str) -> Tamper:
    """Rewrite one parameter of a draft-cavage ``Signature`` header after signing."""

    def tamper(outgoing: Outgoing) -> None:
        params = outgoing.headers["Signature"].split(",")
        rewritten = [
            f'{name}="{value}"' if part.startswith(f"{name}=") else part for part in params
        ]
        outgoing.headers["Signature"] = ",".join(rewritten)

    return tamper


# -- reading back what the instance did ------------------------------------------------------


async def count(instance: Instance, model: type, *where: Any) -> int:
    async with instance.state.sessions() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(await session.scalar(query) or 0)


async def one(instance: Instance, model: type, *where: Any) -> Any:
    async with instance.state.sessions() as session:
        query = select(model)
        for condition in where:
            query = query.where(condition)
        return await session.scalar(query)


async def settle(instance: Instance, *, within: float = 10.0) -> None:
    """Wait until the worker has processed every accepted delivery (each job done).

    A job that failed and waits for a retry is a test failure: its error is shown.
    """
    worker = instance.state.worker
    assert worker is not None, "the instance runs no in-process worker"
    deadline = time.monotonic() + within
    while True:
        worker.wake()
        async with instance.state.sessions() as session:
            jobs = list(await session.scalars(select(Job).where(Job.kind == PROCESS)))
        failed = [j for j in jobs if j.last_error or j.state == "dead"]
        if failed:
            raise AssertionError(f"inbox job failed: {failed[0].last_error}")
        if all(j.state == "done" for j in jobs):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the inbox did not settle in time")
        await asyncio.sleep(0.02)


async def delivered(
    instance: Instance, server: RemoteServer, kind: str, *, within: float = 10.0
) -> dict[str, Any]:
    """The first activity of type ``kind`` the instance POSTed to ``server`` (waiting for it)."""
    worker = instance.state.worker
    assert worker is not None, "the instance runs no in-process worker"
    deadline = time.monotonic() + within
    while True:
        found = [a for a in server.deliveries() if a.get("type") == kind]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {kind} was delivered in time")
        worker.wake()
        await asyncio.sleep(0.02)
