"""POST to the shared inbox and to each actor's inbox (ActivityPub server-to-server).

The inbox is the busiest endpoint of a federated server and its answers are tiny, so its
POSTs are served by ``InboxFastPath``, a pure ASGI middleware placed first in the stack:
it answers them itself, without routing, the general middlewares or request and response
objects. Those cost as much as the signature check (docs/benchmarks.md). Other methods
on the same paths (a GET, say) still go through the routes below and get their 405.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fedi.api.responses import error_response
from fedi.errors import Unavailable
from fedi.federation.actors import host_of
from fedi.federation.inbox.intake import accept_delivery
from fedi.federation.signatures import SignatureError, SignedRequest, parse_signature
from fedi.state import AppState
from fedi.web.headers import HEADERS as SECURITY_HEADERS

log = structlog.get_logger(__name__)

MAX_BODY = 1_000_000
INBOX_PATH = re.compile(r"/(?:inbox|actor/inbox|users/[^/]+/inbox)")
_ACCEPTED_HEADERS = [(b"content-length", b"0"), *SECURITY_HEADERS]
_JSON_HEADERS = [(b"content-type", b"application/json"), *SECURITY_HEADERS]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


async def _read_capped(scope: Scope, receive: Receive, limit: int) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise BodyTooLarge
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            return bytes(body)


async def handle(state: AppState, scope: Scope, receive: Receive) -> tuple[int, str]:
    """Accept (or refuse) one delivery: the answer's status and, when refused, why."""
    federation = state.federation
    if federation is None or not state.config.features.federation:
        return 403, "federation is switched off on this instance"
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    # The URL as the signer saw it: our canonical base (not whatever Host a proxy passed on)
    # with the raw path and query.
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = state.config.base_url + path.decode("latin-1")
    if query:
        url += "?" + query.decode("latin-1")
    header_only = SignedRequest.from_pairs("POST", url, pairs)
    # The signature is parsed once, from the headers, so that a blocked server is refused on
    # its keyId alone, before we read its body; a POST to an inbox must have a body, so its
    # digest must be covered.
    claim = None
    refusal = None
    try:
        claim = parse_signature(header_only, has_body=True)
    except SignatureError as exc:
        refusal = exc
    await federation.policy.refresh()
    if claim is not None and not federation.policy.allows(host_of(claim.key_id)):
        return 403, "this server does not federate with yours"
    try:
        body = await _read_capped(scope, receive, MAX_BODY)
    except BodyTooLarge:
        return 413, "body too large"
    if refusal is not None or claim is None:
        return 401, refusal.message if refusal is not None else "signature missing"
    signed = header_only.with_body(body)
    try:
        outcome = await accept_delivery(federation, signed, claim)
    except SignatureError as exc:
        return 401, exc.message
    if outcome.status == 202 and state.worker is not None:
        state.worker.wake()
    return outcome.status, outcome.reason


async def _answer(send: Send, status: int, reason: str) -> None:
    if status == 202:
        await send({"type": "http.response.start", "status": 202, "headers": _ACCEPTED_HEADERS})
        await send({"type": "http.response.body", "body": b""})
        return
    # Operators need to see why peers are refused; the reason is ours, never peer text.
    log.info("inbox_refused", status=status, reason=reason)
    body = orjson.dumps({"error": reason or "refused"})
    headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def quiet_accepted_deliveries() -> None:
    """Leave accepted inbox POSTs out of uvicorn's access log (``jamii serve`` calls it)."""
    access = logging.getLogger("uvicorn.access")
    if type(access) is logging.Logger:
        # The logger uvicorn configured keeps its handlers, level and format; only its
        # class changes, to one that drops these lines before a record is made.
        access.__class__ = _QuietAccessLogger


class _QuietAccessLogger(logging.Logger):
    """Drops uvicorn's access line of an accepted inbox POST: formatting and writing it cost
    about an eighth of the request (docs/benchmarks.md), on the busiest endpoint, for a
    line that says only "202". Dropped before ``Logger.info`` makes its record: even a
    filter that drops it measured 3% of the inbox's CPU (finding the caller, making the
    record). Refusals keep their line, beside our ``inbox_refused``."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        # uvicorn's access line: (client, method, path with query, HTTP version, status).
        if len(args) == 5 and args[4] == 202 and args[1] == "POST":
            path = str(args[2]).split("?", 1)[0]
            if INBOX_PATH.fullmatch(path) is not None:
                return
        super().info(msg, *args, **kwargs)


class InboxFastPath:
    """Serve inbox POSTs directly; everything else goes on to the application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not INBOX_PATH.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.jamii
        try:
            status, reason = await handle(state, scope, receive)
        except ClientGone:
            return
        except (OperationalError, DBAPIError, ConnectionError) as exc:
            # The peer retries a 503 later: nothing is lost, nothing half-stored.
            log.error("database_unavailable", error=type(exc).__name__, path=scope["path"])
            outage = error_response(Unavailable("The database is unavailable, try again shortly"))
            await outage(scope, receive, send)
            return
        await _answer(send, status, reason)


async def _not_served(request: Request) -> Response:
    raise RuntimeError("inbox POSTs are answered by InboxFastPath")


# Only for their 405 on other methods: POSTs never reach the router.
routes = [
    Route("/inbox", _not_served, methods=["POST"]),
    Route("/users/{username}/inbox", _not_served, methods=["POST"]),
    Route("/actor/inbox", _not_served, methods=["POST"]),
]
