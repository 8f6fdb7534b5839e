"""The inbox benchmark's HTTP baseline: a bare Starlette app that only verifies signatures.

    python -m benchmarks.bare_inbox --keys KEYS.json --domain HOST --port PORT

``POST /inbox`` reads the body, rebuilds the request, checks the signature's claim (host,
date window, digest) and verifies it with our own ``fedi.federation.signatures`` code and a
key from a dict loaded at start-up (keyId -> PEM), then answers 202: no database, no JSON
parsing, no queue. ``POST /noop`` reads the body and answers 202 (the ceiling of HTTP and the
load generator). Served exactly as ``jamii serve`` serves an instance: uvicorn with its
defaults (uvloop and httptools when installed, as ``uvicorn[standard]`` installs them), one
process, ``log_level="info"`` (access log on), Jamii's structlog configuration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.serving import serve_like_jamii
from fedi.federation.signatures import (
    PublicKey,
    SignatureError,
    SignedRequest,
    check_claim,
    load_public_key,
    parse_signature,
    verify_signature,
)


def build_app(keys: dict[str, PublicKey], domain: str) -> Starlette:
    base_url = f"http://{domain}"

    async def inbox(request: Request) -> Response:
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
        url = base_url + (request.scope.get("raw_path") or b"/inbox").decode("latin-1")
        body = await request.body()
        signed = SignedRequest.from_pairs("POST", url, pairs, body)
        try:
            claim = parse_signature(signed)
            check_claim(signed, claim, canonical_host=domain)
            key = keys.get(claim.key_id)
            if key is None:
                raise SignatureError("signing key unavailable")
            verify_signature(signed, claim, key, canonical_host=domain)
        except SignatureError:
            return Response(status_code=401)
        return Response(status_code=202)

    async def noop(request: Request) -> Response:
        await request.body()
        return Response(status_code=202)

    async def health(request: Request) -> Response:
        return Response(status_code=200)

    return Starlette(
        routes=[
            Route("/inbox", inbox, methods=["POST"]),
            Route("/noop", noop, methods=["POST"]),
            Route("/health", health),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_inbox")
    parser.add_argument("--keys", type=Path, required=True, help="JSON object keyId -> PEM")
    parser.add_argument("--domain", required=True, help="the host the requests were signed for")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    keys = {
        key_id: load_public_key(pem) for key_id, pem in json.loads(args.keys.read_text()).items()
    }
    serve_like_jamii(build_app(keys, args.domain), args.port)


if __name__ == "__main__":
    main()
