"""draft-cavage-http-signatures-12: the ``Signature`` header Mastodon, Lemmy, GoToSocial,
Akkoma and Misskey send and require.

    Signature: keyId="https://sn.example/users/fatou#main-key",algorithm="rsa-sha256",
               headers="(request-target) host date digest",signature="<base64>"

The signing string is one ``name: value`` line per listed header, joined by ``\\n``;
``(request-target)`` is ``<method in lower case> <path>?<query>``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from fedi.federation.signatures.digest import digest_header
from fedi.federation.signatures.errors import SignatureError, shown
from fedi.federation.signatures.keys import (
    KeyKind,
    PrivateKey,
    check_key_id,
    kind_of,
    sign_bytes,
)

# The declared algorithm only has to be compatible with the key: ``hs2019`` (or no
# algorithm) means "whatever the key is"; the rest name the one key type they fit.
KEY_KINDS: dict[str, KeyKind | None] = {"hs2019": None, "rsa-sha256": "rsa", "ed25519": "ed25519"}
PSEUDO_HEADERS = frozenset({"(request-target)", "(created)", "(expires)"})
MAX_HEADER_LENGTH = 8192
MAX_SIGNED_HEADERS = 32
MAX_SIGNATURE_BYTES = 1024

_PARAM = re.compile(
    r'[ \t]*([A-Za-z]+)[ \t]*=[ \t]*(?:"([^"\\]*)"|([A-Za-z0-9._-]+))[ \t]*(?:,|\Z)'
)
_SECONDS = re.compile(r"(?:0|[1-9][0-9]{0,11})\Z")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class CavageParams(NamedTuple):
    """The parameters of a draft-cavage ``Signature`` header, checked but not verified."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None
    expires: int | None


def parse_signature_header(value: str, *, method: str, has_body: bool) -> CavageParams:
    """Parse ``Signature`` and refuse it early: bad syntax, a refused algorithm, or missing
    coverage of ``(request-target)``, ``host``, ``date`` (or ``(created)``), and ``digest``
    on POST or whenever there is a body."""
    params = _params(value)
    key_id = params.get("keyid")
    signature = params.get("signature")
    if key_id is None or signature is None:
        raise SignatureError("signature malformed")
    check_key_id(key_id)
    algorithm = params.get("algorithm")
    if algorithm is not None:
        algorithm = algorithm.lower()
        if algorithm not in KEY_KINDS:
            raise SignatureError(f"algorithm {shown(algorithm)} refused")
    headers = _signed_headers(params.get("headers"))
    created = _seconds(params.get("created"))
    expires = _seconds(params.get("expires"))
    if ("(created)" in headers and created is None) or ("(expires)" in headers and expires is None):
        raise SignatureError("signature malformed")
    required = ["(request-target)", "host"]
    if "(created)" not in headers:
        required.append("date")
    if method.upper() == "POST" or has_body:
        required.append("digest")
    for name in required:
        if name not in headers:
            raise SignatureError(f"{name} not signed")
    return CavageParams(key_id, algorithm, headers, _signature_bytes(signature), created, expires)


def signing_string(
    params: CavageParams, *, method: str, url: str, headers: Mapping[str, str]
) -> bytes:
    """The bytes the signer signed, rebuilt from the request (``headers`` keyed in lower case).

    Header values are ASGI's latin-1 decoding of the raw bytes, so encoding back to latin-1
    restores exactly what the peer signed.
    """
    lines = []
    for name in params.headers:
        if name == "(request-target)":
            value = f"{method.lower()} {request_target(url)}"
        elif name == "(created)":
            value = str(params.created)
        elif name == "(expires)":
            value = str(params.expires)
        else:
            found = headers.get(name)
            if found is None:
                raise SignatureError(f"signed header {shown(name)} missing")
            value = found.strip(" \t")
        if "\r" in value or "\n" in value:
            raise SignatureError(f"signed header {shown(name)} malformed")
        lines.append(f"{name}: {value}")
    try:
        return "\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise SignatureError("signed header not latin-1") from None


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign an outgoing request the way Mastodon, GoToSocial and Lemmy verify it.

    Returns the headers to add: ``Host``, ``Date``, ``Digest`` (when there is a body, so
    always for POST) and ``Signature`` over ``(request-target) host date [digest]``. GETs
    are signed too (``body=None``): authorized-fetch Mastodon, GoToSocial and bovine refuse
    unsigned fetches. ``headers`` are the request's other headers; they must not already
    carry the ones we compute.
    """
    _refuse_preset(headers, ("host", "date", "digest", "signature"))
    if '"' in key_id or not key_id.isprintable():
        raise ValueError("keyId must be printable and contain no double quote")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    added = {"Host": authority(url), "Date": format_datetime(moment, usegmt=True)}
    names = ["(request-target)", "host", "date"]
    if body is not None:
        added["Digest"] = digest_header(body)
        names.append("digest")
    params = CavageParams(key_id, None, tuple(names), b"", None, None)
    lowered = {name.lower(): value for name, value in added.items()}
    message = signing_string(params, method=method, url=url, headers=lowered)
    signature = base64.b64encode(sign_bytes(private_key, message)).decode("ascii")
    # Older peers (Pleroma, Misskey) only know "rsa-sha256" for RSA; "hs2019" is the
    # draft's advice for everything else.
    algorithm = "rsa-sha256" if kind_of(private_key) == "rsa" else "hs2019"
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    return added


def request_target(url: str) -> str:
    """``/path?query`` of ``url`` as the request line carries it (no decoding)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def authority(url: str) -> str:
    """``host[:port]`` of ``url`` as a Host header or ``@authority`` carries it."""
    parts = urlsplit(url)
    return normalise_authority(parts.netloc.rpartition("@")[2], parts.scheme)


def normalise_authority(value: str, scheme: str) -> str:
    """Lower case, no trailing dot, no default port: the form two hosts are compared in."""
    text = value.strip().lower()
    host, port = text, ""
    if not text.startswith("[") or "]:" in text:
        head, colon, tail = text.rpartition(":")
        if colon and tail.isdigit():
            host, port = head, tail
    host = host.rstrip(".") if not host.startswith("[") else host
    if not port or port == _DEFAULT_PORTS.get(scheme.lower()):
        return host
    return f"{host}:{port}"


def _params(value: str) -> dict[str, str]:
    if len(value) > MAX_HEADER_LENGTH:
        raise SignatureError("signature header too long")
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None or match.end() == position:
            raise SignatureError("signature malformed")
        name = match.group(1).lower()
        if name in params:
            # Two keyIds or two signatures: which one a verifier picks is exactly the kind of
            # ambiguity that lets a forged request through somewhere.
            raise SignatureError("signature malformed")
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    return params


def _signed_headers(value: str | None) -> tuple[str, ...]:
    if value is None:
        # The draft's default is "(created)" alone (older drafts: "date"): never enough.
        raise SignatureError("(request-target) not signed")
    names = tuple(name.lower() for name in value.split())
    if not names or len(names) > MAX_SIGNED_HEADERS or len(set(names)) != len(names):
        raise SignatureError("signature malformed")
    for name in names:
        if name.startswith("(") and name not in PSEUDO_HEADERS:
            raise SignatureError(f"pseudo-header {shown(name)} unsupported")
    return names


def _seconds(value: str | None) -> int | None:
    if value is None:
        return None
    if not _SECONDS.match(value):
        raise SignatureError("signature malformed")
    return int(value)


def _signature_bytes(value: str) -> bytes:
    try:
        signature = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature malformed") from None
    if not signature or len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureError("signature malformed")
    return signature


def _refuse_preset(headers: Mapping[str, str], computed: tuple[str, ...]) -> None:
    present = {name.lower() for name in headers}
    clash = present.intersection(computed)
    if clash:
        raise ValueError(f"headers already carry {sorted(clash)}; the signer computes them")
