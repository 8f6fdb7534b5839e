"""Delivery: what each answer of a remote inbox means, per SECURITY.md's retry rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from fedi.db.base import utcnow
from fedi.db.models import Peer
from fedi.federation.delivery import peers
from fedi.federation.delivery.deliver import DELIVER, deliverer
from fedi.federation.policy import set_rule
from fedi.jobs import JobContext, PermanentFailure, RetryLater
from tests.conftest import Database
from tests.federation.remote import home, local_teacher
from tests.servers import Instance


@dataclass
class ScriptedInbox:
    """An inbox that answers what the test says, and remembers which scheme signed."""

    base: str = ""
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    only_rfc9421: bool = False
    schemes: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        scheme = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        self.schemes.append(scheme)
        if self.only_rfc9421 and scheme == "cavage":
            return web.Response(status=401)
        status, headers = self.answers.pop(0) if self.answers else (202, {})
        return web.Response(status=status, headers=headers)


@pytest.fixture
async def inbox() -> AsyncIterator[ScriptedInbox]:
    scripted = ScriptedInbox()
    app = web.Application()
    app.router.add_post("/inbox", scripted.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    scripted.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield scripted
    await runner.cleanup()


@pytest.fixture
async def ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    async with home(tmp_path, database.url) as instance:
        yield instance


async def _deliver(ke: Instance, inbox: ScriptedInbox, actor_id: int, attempt: int = 1) -> None:
    federation = ke.state.federation
    assert federation is not None
    payload: dict[str, Any] = {
        "inbox": f"{inbox.base}/inbox",
        "activity": {"id": f"{ke.url}/x/{attempt}", "type": "Like", "actor": "a", "object": "b"},
        "actor_id": actor_id,
    }
    context = JobContext(job_id=1, kind=DELIVER, attempt=attempt, sessions=ke.state.sessions)
    await deliverer(federation)(payload, context)


def _forget(ke: Instance, inbox: ScriptedInbox) -> None:
    """The row was changed behind the peer book's back (as another process would)."""
    federation = ke.state.federation
    assert federation is not None
    federation.peers.forget(inbox.base.removeprefix("http://"))


async def _peer(ke: Instance, inbox: ScriptedInbox) -> Peer:
    async with ke.state.sessions() as session:
        found = await session.get(Peer, inbox.base.removeprefix("http://"))
        assert found is not None
        return found


async def test_a_2xx_is_done_and_the_peer_is_healthy(ke: Instance, inbox: ScriptedInbox) -> None:
    amina = await local_teacher(ke, "amina")
    await _deliver(ke, inbox, amina.id)
    assert inbox.schemes == ["cavage"]
    peer = await _peer(ke, inbox)
    assert peer.first_failure_at is None
    assert peer.unavailable_since is None
    # After a failure, the next success is recorded (a healthy host costs no writes).
    inbox.answers.append((503, {}))
    with pytest.raises(RetryLater):
        await _deliver(ke, inbox, amina.id)
    assert (await _peer(ke, inbox)).first_failure_at is not None
    await _deliver(ke, inbox, amina.id)
    recovered = await _peer(ke, inbox)
    assert recovered.first_failure_at is None
    assert recovered.last_success_at is not None


async def test_a_peer_that_wants_rfc9421_gets_it_after_one_401_and_keeps_it(
    ke: Instance, inbox: ScriptedInbox
) -> None:
    amina = await local_teacher(ke, "amina")
    inbox.only_rfc9421 = True
    with pytest.raises(RetryLater) as retry:
        await _deliver(ke, inbox, amina.id, attempt=1)
    assert retry.value.after == 1.0
    await _deliver(ke, inbox, amina.id, attempt=2)
    await _deliver(ke, inbox, amina.id, attempt=1)  # the next activity starts with RFC 9421
    assert inbox.schemes == ["cavage", "rfc9421", "rfc9421"]
    assert (await _peer(ke, inbox)).signature_scheme == "rfc9421"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_server_errors_and_throttling_are_retried_honouring_retry_after(
    ke: Instance, inbox: ScriptedInbox, status: int
) -> None:
    amina = await local_teacher(ke, "amina")
    inbox.answers.append((status, {"Retry-After": "120"}))
    with pytest.raises(RetryLater) as retry:
        await _deliver(ke, inbox, amina.id)
    assert retry.value.after == 120.0
    assert (await _peer(ke, inbox)).first_failure_at is not None


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
async def test_refusals_are_never_retried(ke: Instance, inbox: ScriptedInbox, status: int) -> None:
    amina = await local_teacher(ke, "amina")
    inbox.answers.append((status, {}))
    with pytest.raises(PermanentFailure):
        await _deliver(ke, inbox, amina.id)


async def test_an_unreachable_inbox_is_retried(ke: Instance, inbox: ScriptedInbox) -> None:
    amina = await local_teacher(ke, "amina")
    inbox.base = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(RetryLater):
        await _deliver(ke, inbox, amina.id)


async def test_a_host_failing_for_days_is_parked_until_it_speaks_again(
    ke: Instance, inbox: ScriptedInbox
) -> None:
    amina = await local_teacher(ke, "amina")
    inbox.answers.append((503, {}))
    with pytest.raises(RetryLater):
        await _deliver(ke, inbox, amina.id)
    async with ke.state.sessions() as session, session.begin():
        peer = await session.get(Peer, inbox.base.removeprefix("http://"))
        assert peer is not None
        peer.first_failure_at = utcnow() - timedelta(days=4)
    _forget(ke, inbox)
    inbox.answers.append((503, {}))
    with pytest.raises(RetryLater):
        await _deliver(ke, inbox, amina.id)
    assert (await _peer(ke, inbox)).unavailable_since is not None

    tried = len(inbox.schemes)
    with pytest.raises(PermanentFailure):
        await _deliver(ke, inbox, amina.id)
    assert len(inbox.schemes) == tried  # parked: not even tried

    async with ke.state.sessions() as session, session.begin():
        await peers.heard_from(session, inbox.base.removeprefix("http://"))
    _forget(ke, inbox)
    await _deliver(ke, inbox, amina.id)
    assert (await _peer(ke, inbox)).unavailable_since is None


async def test_a_blocked_server_gets_no_delivery(ke: Instance, inbox: ScriptedInbox) -> None:
    amina = await local_teacher(ke, "amina")
    async with ke.state.sessions() as session, session.begin():
        await set_rule(session, inbox.base.removeprefix("http://"), "block")
    federation = ke.state.federation
    assert federation is not None
    await federation.policy.refresh(force=True)
    await _deliver(ke, inbox, amina.id)
    assert inbox.schemes == []
