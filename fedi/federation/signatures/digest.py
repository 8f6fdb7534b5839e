"""Body digests: RFC 3230 ``Digest`` for draft-cavage, RFC 9530 ``Content-Digest`` for RFC 9421.

A signature covers the digest header, not the body, so the digest is what binds the body to
the signer: it is recomputed from the exact raw bytes received and compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import http_sf

from fedi.federation.signatures.errors import SignatureError

# Only these count. MD5 and SHA-1 ("md5", "sha") are ignored: too weak to prove anything,
# so a header carrying nothing else is refused.
_HASHES = {"sha-256": "sha256", "sha-512": "sha512"}


def digest_header(body: bytes) -> str:
    """The ``Digest`` value we send: ``SHA-256=<base64>`` (the spelling Mastodon expects)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """The ``Content-Digest`` value we send: ``sha-256=:<base64>:`` (RFC 9530)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_digest(value: str, body: bytes) -> None:
    """Refuse unless ``Digest`` holds a SHA-256 of ``body`` and every strong entry matches.

    Algorithm names are compared in any letter case (bovine sends ``sha-256=``); several
    comma-separated entries are allowed, as RFC 3230 permits.
    """
    saw_sha256 = False
    for entry in value.split(","):
        name, equals, encoded = entry.strip().partition("=")
        if not equals or not name:
            raise SignatureError("digest malformed")
        algorithm = name.strip().lower()
        hasher = _HASHES.get(algorithm)
        if hasher is None:
            continue
        try:
            claimed = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("digest malformed") from None
        _compare(claimed, hashlib.new(hasher, body).digest())
        saw_sha256 = saw_sha256 or algorithm == "sha-256"
    if not saw_sha256:
        raise SignatureError("digest without SHA-256 refused")


def check_content_digest(value: str, body: bytes) -> None:
    """Refuse unless ``Content-Digest`` holds a SHA-256 or SHA-512 of ``body``, all matching."""

    def refuse_duplicate(name: str, context: str) -> None:
        # Two "sha-256" members could disagree; which one we check would be a guess.
        raise SignatureError("content-digest malformed")

    try:
        members = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=refuse_duplicate
        )
    except (ValueError, UnicodeEncodeError):
        raise SignatureError("content-digest malformed") from None
    if not isinstance(members, dict):
        raise SignatureError("content-digest malformed")
    checked = False
    for name, member in members.items():
        hasher = _HASHES.get(name)
        if hasher is None:
            continue
        claimed = member[0] if isinstance(member, tuple) else None
        if not isinstance(claimed, bytes):
            raise SignatureError("content-digest malformed")
        _compare(claimed, hashlib.new(hasher, body).digest())
        checked = True
    if not checked:
        raise SignatureError("content-digest without SHA-256 or SHA-512 refused")


def _compare(claimed: bytes, actual: bytes) -> None:
    if not hmac.compare_digest(claimed, actual):
        raise SignatureError("digest mismatch")
