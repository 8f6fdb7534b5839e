"""SECURITY.md's inbound rules, each sent as a bad request to a real instance's inbox.

Mallory runs a server of her own on loopback (a ``RemoteServer``): it publishes her actor
document and key, counts every request Kenya's instance makes to it, and lets each test
sign what she sends. Every refusal is checked twice: the status the inbox answers, and
that nothing changed behind it — no received activity recorded, no job queued, no post
stored, and, wherever the answer needs no key, not one fetch from her server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import orjson
import pytest

from fedi.db.models import Account, Job, ReceivedActivity, Status
from fedi.federation.inbox.writer import PROCESS
from fedi.federation.policy import set_rule
from fedi.federation.signatures.cavage import CavageParams, signing_string
from fedi.federation.signatures.keys import sign_bytes
from tests.federation.remote import (
    AP,
    Outgoing,
    RemoteActor,
    RemoteServer,
    count,
    deliver,
    home,
    ke,
    local_teacher,
    one,
    post,
    private_key,
    public_pem,
    remote,
    remote_server,
    settle,
    sign,
    with_signature_param,
)
from tests.servers import Instance

__all__ = ["ke", "remote"]


@pytest.fixture
def mallory(remote: RemoteServer) -> RemoteActor:
    return remote.actor("mallory")


async def untouched(ke: Instance) -> None:
    """Nothing recorded, queued or stored for any delivery."""
    assert await count(ke, ReceivedActivity) == 0
    assert await count(ke, Job, Job.kind == PROCESS) == 0
    assert await count(ke, Status) == 0


async def test_a_signed_create_is_accepted_once_and_processed(
    ke: Instance, mallory: RemoteActor
) -> None:
    """The baseline every refusal below differs from by one thing."""
    await local_teacher(ke, "amina")
    create = mallory.create(mallory.note("Hello from Mallory"))
    answer = await deliver(ke, create, signer=mallory, path="/users/amina/inbox")
    assert answer.status_code == 202
    await settle(ke)
    assert await count(ke, ReceivedActivity, ReceivedActivity.uri == create["id"]) == 1
    stored = await one(ke, Status, Status.uri == create["object"]["id"])
    assert stored is not None
    assert "Hello from Mallory" in stored.content


# -- the signature itself ---------------------------------------------------------------------


async def test_no_signature_is_401_before_any_fetch(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    create = mallory.create(mallory.note("unsigned"))
    answer = await ke.client.post(
        "/inbox", content=orjson.dumps(create), headers={"Content-Type": AP}
    )
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


async def test_an_hmac_algorithm_is_refused_before_any_fetch(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    # An HMAC "signature" keyed with the public key is the classic httpsig forgery.
    create = mallory.create(mallory.note("hmac"))
    answer = await deliver(
        ke, create, signer=mallory, tamper=with_signature_param("algorithm", "hmac-sha256")
    )
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


@pytest.mark.parametrize(
    ("kind", "declared"),
    [("ed25519", "rsa-sha256"), ("rsa", "ed25519")],
    ids=["ed-as-rsa", "rsa-as-ed"],
)
async def test_the_declared_algorithm_must_fit_the_published_key(
    ke: Instance, remote: RemoteServer, kind: str, declared: str
) -> None:
    signer = remote.actor(f"mallory-{kind}", kind=kind)
    create = signer.create(signer.note("mismatched algorithm"))
    answer = await deliver(
        ke, create, signer=signer, tamper=with_signature_param("algorithm", declared)
    )
    assert answer.status_code == 401
    await untouched(ke)


async def test_an_ed25519_key_signs_with_hs2019(ke: Instance, remote: RemoteServer) -> None:
    """The counterpart of the refusal above: the same key, honestly declared, is accepted."""
    joao = remote.actor("joao", kind="ed25519")
    create = joao.create(joao.note("Olá"))
    assert (await deliver(ke, create, signer=joao)).status_code == 202
    await settle(ke)
    assert await count(ke, Status) == 1


async def test_a_request_signed_for_another_host_is_refused_before_any_fetch(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    # A delivery captured on its way to another server, replayed to us unchanged.
    create = mallory.create(mallory.note("meant for someone else"))
    answer = await deliver(ke, create, signer=mallory, signed_for="http://sn.example")
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


@pytest.mark.parametrize("hours", [-2, 2], ids=["two-hours-old", "two-hours-ahead"])
async def test_a_date_outside_the_window_is_refused_before_any_fetch(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor, hours: int
) -> None:
    create = mallory.create(mallory.note("stale"))
    when = datetime.now(UTC) + timedelta(hours=hours)
    answer = await deliver(ke, create, signer=mallory, now=when)
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


async def test_a_body_changed_after_signing_is_refused_before_any_fetch(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    note = mallory.note("the original")
    create = mallory.create(note)

    def swap_body(outgoing: Outgoing) -> None:
        note["content"] = "<p>something else entirely</p>"
        outgoing.body = orjson.dumps(create)

    answer = await deliver(ke, create, signer=mallory, tamper=swap_body)
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


async def test_a_post_whose_signature_leaves_out_the_digest_is_refused(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    create = mallory.create(mallory.note("no digest"))
    answer = await deliver(ke, create, signer=mallory, body_in_signature=False)
    assert answer.status_code == 401
    assert remote.gets() == 0
    await untouched(ke)


async def test_a_lower_case_digest_is_accepted(ke: Instance, mallory: RemoteActor) -> None:
    """DESIGN.md's interop baseline: bovine sends ``Digest: sha-256=…``."""
    create = mallory.create(mallory.note("from bovine"))
    body = orjson.dumps(create)
    headers = {
        "host": ke.config.domain,
        "date": format_datetime(datetime.now(UTC), usegmt=True),
        "digest": "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    names = ("(request-target)", "host", "date", "digest")
    params = CavageParams(mallory.key_id, None, names, b"", None, None)
    message = signing_string(params, method="POST", url=ke.url + "/inbox", headers=headers)
    signature = base64.b64encode(sign_bytes(mallory.key, message)).decode()
    headers["signature"] = (
        f'keyId="{mallory.key_id}",algorithm="hs2019",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    answer = await post(ke, Outgoing("/inbox", {"Content-Type": AP, **headers}, body))
    assert answer.status_code == 202


async def test_forged_signature_bytes_are_refused(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    create = mallory.create(mallory.note("forged"))
    forged = base64.b64encode(bytes(range(256))).decode()
    answer = await deliver(
        ke, create, signer=mallory, tamper=with_signature_param("signature", forged)
    )
    assert answer.status_code == 401
    await untouched(ke)


# -- whose key it is ---------------------------------------------------------------------------


async def test_a_key_whose_document_names_an_owner_on_another_host_is_refused(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    async with remote_server() as elsewhere:
        # Host A publishes a key and claims it belongs to an actor on host B.
        victim = elsewhere.actor("victim")
        key_id = remote.url("/keys/victim")
        remote.publish(
            {
                "id": key_id,
                "type": "CryptographicKey",
                "owner": victim.uri,
                "publicKeyPem": victim.document()["publicKey"]["publicKeyPem"],
            }
        )
        create = victim.create(victim.note("I am the victim, honest"))
        answer = await deliver(ke, create, signer=victim, key_id=key_id)
        assert answer.status_code == 401
        assert elsewhere.gets() == 0  # B's actor was never even fetched
    await untouched(ke)
    assert await count(ke, Account, Account.uri == victim.uri) == 0


async def test_a_key_its_owner_does_not_publish_is_refused(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    # A second key on Mallory's own server names her as owner; her actor publishes another.
    other = private_key("mallory-other")
    key_id = remote.url("/keys/other")
    remote.publish(
        {"id": key_id, "type": "Key", "owner": mallory.uri, "publicKeyPem": public_pem(other)}
    )
    create = mallory.create(mallory.note("signed with a key she never published"))
    answer = await deliver(ke, create, signer=mallory, key_id=key_id, key=other)
    assert answer.status_code == 401
    await untouched(ke)


# -- who sent it, and from where ---------------------------------------------------------------


async def test_an_activity_whose_actor_is_not_the_signer_is_refused(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    eve = remote.actor("eve")
    create = eve.create(eve.note("Eve never wrote this"))
    answer = await deliver(ke, create, signer=mallory)
    assert answer.status_code == 401
    await untouched(ke)


async def test_an_activity_id_on_another_host_is_refused(
    ke: Instance, mallory: RemoteActor
) -> None:
    create = mallory.create(mallory.note("from nowhere"))
    create["id"] = "http://sn.example/activities/1"
    answer = await deliver(ke, create, signer=mallory)
    assert answer.status_code == 400
    await untouched(ke)


async def test_an_activity_id_too_long_to_record_is_400_and_spoils_no_other_delivery(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    """Deliveries are stored together, many to a commit: an id the database cannot hold
    must be refused alone, not fail the commit (a 503) of every peer's delivery with it."""
    alice = remote.actor("alice")
    long_create = mallory.create(mallory.note("an id as long as a page"))
    long_create["id"] = f"{mallory.uri}/activities/{'x' * 2100}"
    fine = [alice.create(alice.note(f"fine {n}")) for n in range(4)]
    answers = await asyncio.gather(
        deliver(ke, long_create, signer=mallory), *(deliver(ke, c, signer=alice) for c in fine)
    )
    assert [a.status_code for a in answers] == [400, 202, 202, 202, 202]
    assert await count(ke, ReceivedActivity, ReceivedActivity.uri == long_create["id"]) == 0
    assert await count(ke, ReceivedActivity) == 4
    assert await count(ke, Job, Job.kind == PROCESS) == 4


# -- the body ----------------------------------------------------------------------------------


def _nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    "body",
    [b'{"type": "Create", "actor": ', b"[1, 2, 3]", _nested(100)],
    ids=["malformed", "not-an-object", "nested-100-deep"],
)
async def test_a_signed_body_that_is_not_an_activity_is_400(
    ke: Instance, mallory: RemoteActor, body: bytes
) -> None:
    answer = await deliver(ke, body, signer=mallory)
    assert answer.status_code == 400
    await untouched(ke)


async def test_an_activity_whose_other_fields_do_not_validate_is_accepted_then_dropped(
    ke: Instance, mallory: RemoteActor
) -> None:
    """The inbox checks an activity's envelope (id, type, actor) before its 202; the rest
    is validated when it is processed, where a malformed activity is dropped, not retried."""
    create = mallory.create(mallory.note("published is not a date"))
    create["published"] = 20261126
    assert (await deliver(ke, create, signer=mallory)).status_code == 202
    await settle(ke)
    job = await one(ke, Job, Job.kind == PROCESS)
    assert (job.state, job.last_error) == ("done", None)
    assert await count(ke, Status) == 0


async def _raw_status(ke: Instance, head: bytes, parts: list[bytes]) -> int:
    """Send ``head`` and ``parts`` on a bare connection; the status of whatever answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", ke.config.server.port)
    try:
        writer.write(head)
        for part in parts:
            writer.write(part)
            await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return int(status_line.split()[1])


def _head(ke: Instance, signed: Outgoing, framing: str) -> bytes:
    lines = [f"POST {signed.path} HTTP/1.1", framing]
    lines += [f"{name}: {value}" for name, value in signed.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def test_a_body_declared_too_large_is_refused_before_it_is_read(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    big = orjson.dumps(mallory.create(mallory.note("x" * 2_000_000)))
    signed = sign(ke, big, mallory)
    # Only the first kilobyte is ever sent: the answer comes from Content-Length alone.
    status = await _raw_status(ke, _head(ke, signed, f"Content-Length: {len(big)}"), [big[:1024]])
    assert status == 413
    assert remote.gets() == 0
    await untouched(ke)


async def test_a_chunked_body_is_cut_off_at_the_cap(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    big = orjson.dumps(mallory.create(mallory.note("x" * 2_000_000)))
    signed = sign(ke, big, mallory)
    # 16 chunks of 64 KiB pass the 1 MB cap; the rest of the 2 MB (and the last chunk) never
    # comes, so an answer proves the inbox stopped reading at the cap.
    chunk = 65_536
    parts = [b"%x\r\n%s\r\n" % (chunk, big[i : i + chunk]) for i in range(0, 16 * chunk, chunk)]
    status = await _raw_status(ke, _head(ke, signed, "Transfer-Encoding: chunked"), parts)
    assert status == 413
    assert remote.gets() == 0
    await untouched(ke)


# -- policy ------------------------------------------------------------------------------------


async def test_a_blocked_server_is_refused_before_its_body_or_key(
    ke: Instance, remote: RemoteServer, mallory: RemoteActor
) -> None:
    async with ke.state.sessions() as session, session.begin():
        await set_rule(session, remote.host, "block", reason="spam")
    federation = ke.state.federation
    assert federation is not None
    await federation.policy.refresh(force=True)

    create = mallory.create(mallory.note("let me in"))
    assert (await deliver(ke, create, signer=mallory)).status_code == 403
    # Declared but never sent: the answer cannot have waited for the body.
    signed = sign(ke, create, mallory)
    status = await _raw_status(ke, _head(ke, signed, f"Content-Length: {len(signed.body)}"), [])
    assert status == 403
    assert remote.gets() == 0
    await untouched(ke)
    assert await count(ke, Account, Account.uri == mallory.uri) == 0


async def test_with_federation_switched_off_every_delivery_is_403(
    database_url: str, tmp_path: Path, remote: RemoteServer, mallory: RemoteActor
) -> None:
    async with home(tmp_path, database_url, extra="[features]\nfederation = false\n") as ke:
        create = mallory.create(mallory.note("anyone home?"))
        assert (await deliver(ke, create, signer=mallory)).status_code == 403
        assert remote.gets() == 0
        await untouched(ke)


# -- what is kept ------------------------------------------------------------------------------


async def test_an_unknown_activity_type_is_acknowledged_and_dropped(
    ke: Instance, mallory: RemoteActor
) -> None:
    # 202, not 4xx: a peer must not retry what we will never use.
    react = mallory.wrap("EmojiReact", mallory.note("nice")["id"], content="🍎")
    assert (await deliver(ke, react, signer=mallory)).status_code == 202
    await untouched(ke)


async def test_the_same_create_delivered_twice_in_a_row_is_kept_once(
    ke: Instance, mallory: RemoteActor
) -> None:
    create = mallory.create(mallory.note("once only"))
    for _ in range(2):
        assert (await deliver(ke, create, signer=mallory)).status_code == 202
    await settle(ke)
    assert await count(ke, ReceivedActivity) == 1
    assert await count(ke, Job, Job.kind == PROCESS) == 1
    assert await count(ke, Status) == 1


async def test_the_same_create_delivered_concurrently_is_kept_once(
    ke: Instance, mallory: RemoteActor
) -> None:
    # A server sending to the shared inbox and to a personal inbox at the same moment.
    await local_teacher(ke, "amina")
    create = mallory.create(mallory.note("at the same time"))
    answers = await asyncio.gather(
        *(
            deliver(ke, create, signer=mallory, path=path)
            for path in ("/inbox", "/users/amina/inbox", "/inbox", "/users/amina/inbox")
        )
    )
    assert [a.status_code for a in answers] == [202] * 4
    await settle(ke)
    assert await count(ke, ReceivedActivity) == 1
    assert await count(ke, Job, Job.kind == PROCESS) == 1
    assert await count(ke, Status) == 1
    assert await count(ke, Account, Account.uri == mallory.uri) == 1


async def test_an_rfc9421_signed_delivery_is_accepted(ke: Instance, mallory: RemoteActor) -> None:
    create = mallory.create(mallory.note("signed the fedify way"))
    answer = await deliver(ke, create, signer=mallory, scheme="rfc9421")
    assert answer.status_code == 202
    await settle(ke)
    assert await count(ke, Status, Status.uri == create["object"]["id"]) == 1


async def test_inbox_answers_carry_the_security_headers_and_other_methods_get_405(
    ke: Instance, mallory: RemoteActor
) -> None:
    """Inbox POSTs are answered before the middleware stack: the answers must not differ."""
    await local_teacher(ke, "amina")
    accepted = await deliver(ke, mallory.create(mallory.note("Hi")), signer=mallory)
    assert accepted.status_code == 202
    refused = await ke.client.post("/inbox", content=b"{}")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/json"
    assert set(refused.json()) == {"error"}
    for answer in (accepted, refused):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    for path in ("/inbox", "/users/amina/inbox", "/actor/inbox"):
        assert (await ke.client.get(path)).status_code == 405
    # A path that only looks like an inbox is routed as usual.
    assert (await ke.client.post("/users/amina/inbox/extra", content=b"{}")).status_code in (
        404,
        405,
    )
