"""Accepting a delivery: everything that must happen before we answer 202.

The order is SECURITY.md's and each step refuses before the next costs anything: a blocked
server is refused from its keyId alone; the signature's syntax, host, date and digest are
checked before any key is fetched; the key is resolved, the signature verified, and only
then is the body parsed. What is stored for processing is the verified bytes, with the
signer, in the same transaction as the activity id that makes a replay a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from fedi.db.models.federation import ACTIVITY_ID_LENGTH
from fedi.errors import Forbidden
from fedi.federation.actors import host_of, key_for
from fedi.federation.context import Federation, SignerRef
from fedi.federation.fetcher import FetchBudget
from fedi.federation.signatures import (
    SignatureClaim,
    SignatureError,
    SignedRequest,
    check_claim,
    parse_signature,
    verify_signature,
)
from fedi.federation.wire import Envelope

log = structlog.get_logger(__name__)

MAX_JSON_DEPTH = 32
MAX_KNOWN_OWNERS = 50_000
# The activity types we act on; anything else is acknowledged and dropped (202, not 4xx:
# a peer must not retry what we will never use).
HANDLED_TYPES = frozenset(
    {
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Like",
        "Announce",
        "Block",
        "Flag",
        "Move",
        "Add",
        "Remove",
        "Lock",
    }
)


@dataclass(frozen=True)
class Outcome:
    status: int
    reason: str = ""


def _depth(value: Any, limit: int) -> bool:
    """True if ``value`` nests no deeper than ``limit`` (iterative: no recursion to exhaust).

    Only containers are visited: scalars cannot nest, and most of an activity is scalars.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


async def accept_delivery(
    federation: Federation, request: SignedRequest, claim: SignatureClaim | None = None
) -> Outcome:
    """Verify, de-duplicate and durably store one delivery; the answer's status and reason.

    ``claim`` is the request's parsed signature when the caller already parsed it (the
    inbox does, from the headers, to refuse a blocked server before reading the body).
    """
    await federation.policy.refresh()
    if claim is None:
        claim = parse_signature(request)
    if not federation.policy.allows(host_of(claim.key_id)):
        return Outcome(403, "this server does not federate with yours")
    canonical_host = federation.config.domain
    cached = federation.keys.get(claim.key_id)
    known = federation.key_owners.get(claim.key_id)
    signer: SignerRef
    if cached is not None and known is not None:
        # The steady state: a known peer's key and owner, no database round trip (and no
        # separate check_claim: verify_signature runs it first).
        try:
            verify_signature(request, claim, cached.key, canonical_host=canonical_host)
            signer = known
        except SignatureError:
            federation.key_owners.pop(claim.key_id, None)
            return await accept_delivery(federation, request, claim)
    else:
        # Host, time and digest are checked before a key may be fetched for this request.
        check_claim(request, claim, canonical_host=canonical_host)
        outcome = await _resolve_and_verify(federation, request, claim, canonical_host)
        if isinstance(outcome, Outcome):
            return outcome
        signer = outcome
    return await _store(federation, request, signer)


async def _resolve_and_verify(
    federation: Federation, request: SignedRequest, claim: Any, canonical_host: str
) -> SignerRef | Outcome:
    budget = FetchBudget(remaining=4)
    async with federation.sessions() as session:
        try:
            key, signer = await key_for(federation, session, claim.key_id, budget=budget)
            try:
                verify_signature(request, claim, key, canonical_host=canonical_host)
            except SignatureError:
                # A rotated key: refetch once (if not fetched moments ago) and try again.
                if not federation.keys.may_refetch(claim.key_id):
                    raise
                federation.keys.invalidate(claim.key_id)
                key, signer = await key_for(
                    federation, session, claim.key_id, budget=budget, refresh=True
                )
                verify_signature(request, claim, key, canonical_host=canonical_host)
        except Forbidden:
            return Outcome(403, "this server does not federate with yours")
        await session.commit()
    owner = SignerRef(signer.id, signer.uri)
    if len(federation.key_owners) >= MAX_KNOWN_OWNERS:
        # Bounded like the key cache beside it; the next delivery of each peer refills it.
        federation.key_owners.clear()
    federation.key_owners[claim.key_id] = owner
    return owner


async def _store(federation: Federation, request: SignedRequest, signer: SignerRef) -> Outcome:
    try:
        document = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return Outcome(400, "body is not JSON")
    if not isinstance(document, dict) or (
        # Nesting needs a bracket per level: most activities cannot reach the limit at all.
        request.body.count(b"{") + request.body.count(b"[") > MAX_JSON_DEPTH
        and not _depth(document, MAX_JSON_DEPTH)
    ):
        return Outcome(400, "body is not an activity")
    try:
        activity = Envelope.model_validate(document)
    except ValidationError:
        return Outcome(400, "body is not an activity")
    if activity.actor != signer.uri:
        return Outcome(401, "the activity's actor is not the signer")
    if host_of(activity.id) != host_of(signer.uri):
        return Outcome(400, "the activity's id is not on its actor's server")
    if len(activity.id) > ACTIVITY_ID_LENGTH:
        # Refused alone: stored, it would fail the commit of every delivery beside it.
        return Outcome(400, "the activity's id is too long")
    if activity.type not in HANDLED_TYPES:
        log.info("inbox_ignored", type=activity.type[:40], host=host_of(signer.uri))
        return Outcome(202)

    # The id and the job commit together: a replay finds the id and queues nothing.
    await federation.inbox_writer.store(activity.id, document, signer.id)
    return Outcome(202)
