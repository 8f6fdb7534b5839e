"""Who signed a GET: what a peer proves when it fetches a members-only document.

A private community's posts are served only to servers that have a member (see
docs/communities.md): the fetch must carry a valid signature, verified exactly as an
inbox delivery's (key resolved from the keyId, owner checked, time window, host). A
missing or invalid signature is no signer at all: the caller answers the same 404 as for
anything hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from fedi.errors import JamiiError
from fedi.federation.actors import host_of, key_for
from fedi.federation.context import Federation, SignerRef
from fedi.federation.fetcher import FetchBudget
from fedi.federation.signatures import (
    SignatureError,
    SignedRequest,
    check_claim,
    parse_signature,
    verify_signature,
)


async def get_signer(
    federation: Federation, url: str, pairs: Iterable[tuple[str, str]]
) -> SignerRef | None:
    """The verified signer of a GET of ``url`` (as the signer saw it), or None."""
    request = SignedRequest.from_pairs("GET", url, list(pairs))
    try:
        claim = parse_signature(request, has_body=False)
        await federation.policy.refresh()
        if not federation.policy.allows(host_of(claim.key_id)):
            return None
        canonical_host = federation.config.domain
        check_claim(request, claim, canonical_host=canonical_host)
        async with federation.sessions() as session:
            key, signer = await key_for(
                federation, session, claim.key_id, budget=FetchBudget(remaining=4)
            )
            verify_signature(request, claim, key, canonical_host=canonical_host)
            await session.commit()
    except (SignatureError, JamiiError):
        return None
    return SignerRef(signer.id, signer.uri)
