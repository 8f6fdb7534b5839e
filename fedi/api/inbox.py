"""POST to the shared inbox and to each actor's inbox (ActivityPub server-to-server)."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.responses import JSONResponse
from fedi.federation.inbox.intake import accept_delivery, signer_host
from fedi.federation.signatures import SignatureError, SignedRequest
from fedi.state import AppState

log = structlog.get_logger(__name__)

MAX_BODY = 1_000_000


class BodyTooLarge(Exception):
    pass


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def _answer(status: int, reason: str = "") -> Response:
    if status == 202:
        return Response(status_code=202)
    # Operators need to see why peers are refused; the reason is ours, never peer text.
    log.info("inbox_refused", status=status, reason=reason)
    return JSONResponse({"error": reason or "refused"}, status_code=status)


async def inbox(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    federation = state.federation
    if federation is None or not state.config.features.federation:
        return _answer(403, "federation is switched off on this instance")
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    # The URL as the signer saw it: our canonical base (not whatever Host a proxy passed on)
    # with the raw path and query.
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    url = state.config.base_url + path.decode("latin-1")
    if query:
        url += "?" + query.decode("latin-1")
    header_only = SignedRequest.from_pairs("POST", url, pairs)
    # A blocked server is refused on its keyId alone, before we read its body.
    await federation.policy.refresh()
    host = signer_host(header_only)
    if host is not None and not federation.policy.allows(host):
        return _answer(403, "this server does not federate with yours")
    try:
        body = await _read_capped(request, MAX_BODY)
    except BodyTooLarge:
        return _answer(413, "body too large")
    signed = SignedRequest.from_pairs("POST", url, pairs, body)
    try:
        outcome = await accept_delivery(federation, signed)
    except SignatureError as exc:
        return _answer(401, exc.message)
    if outcome.status == 202 and state.worker is not None:
        state.worker.wake()
    return _answer(outcome.status, outcome.reason)


routes = [
    Route("/inbox", inbox, methods=["POST"]),
    Route("/users/{username}/inbox", inbox, methods=["POST"]),
    Route("/actor/inbox", inbox, methods=["POST"]),
]
