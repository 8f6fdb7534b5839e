"""RFC 9421 HTTP Message Signatures: what fedify sends first and Mastodon 4.5+ accepts.

    Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1750000000;
                     keyid="https://sn.example/users/fatou#main-key";alg="rsa-v1_5-sha256"
    Signature: sig1=:<base64>:

The signature base is one ``"<component>": <value>`` line per covered component, then
``"@signature-params": <the inner list above, re-serialised>``. Both fields are RFC 8941
structured fields, parsed with ``http_sf`` (the parser ``http-message-signatures`` uses).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import http_sf
from http_sf.types import BareItemType, ItemType

from fedi.federation.signatures.cavage import authority
from fedi.federation.signatures.digest import content_digest_header
from fedi.federation.signatures.errors import SignatureError, shown
from fedi.federation.signatures.keys import KeyKind, PrivateKey, check_key_id, kind_of, sign_bytes

# Algorithms we accept, with the key type each one requires. HMAC needs a shared secret
# (meaningless between servers), PSS and ECDSA keys are not used in the fediverse.
KEY_KINDS: dict[str, KeyKind] = {"rsa-v1_5-sha256": "rsa", "ed25519": "ed25519"}
ALGORITHM_IDS: dict[KeyKind, str] = {"rsa": "rsa-v1_5-sha256", "ed25519": "ed25519"}
DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
PARAMETERS = frozenset({"created", "expires", "keyid", "alg", "nonce", "tag"})
MAX_HEADER_LENGTH = 8192
MAX_LABELS = 8
MAX_COMPONENTS = 32
MAX_SIGNATURE_BYTES = 1024


class SignatureInput(NamedTuple):
    """One labelled RFC 9421 signature, checked but not verified."""

    label: str
    key_id: str
    algorithm: str | None
    components: tuple[str, ...]
    signature: bytes
    created: int
    expires: int | None
    params_line: str


def parse_signature_fields(
    signature_input: str, signature: str, *, method: str, url: str, has_body: bool
) -> SignatureInput:
    """Pick the first labelled signature that meets our rules, or refuse with the first
    label's reason.

    Rules: a ``keyid`` URL, a ``created`` time, an accepted ``alg`` if any, no component
    parameters, ``@method`` and the target (``@target-uri``, or ``@authority`` with
    ``@request-target`` or ``@path`` [+ ``@query``]), and ``content-digest`` on POST or
    whenever there is a body.
    """
    inputs = _dictionary(signature_input, "signature-input malformed")
    signatures = _dictionary(signature, "signature malformed")
    if not inputs or len(inputs) > MAX_LABELS:
        raise SignatureError("signature-input malformed")
    has_query = bool(urlsplit(url).query)
    needs_digest = method.upper() == "POST" or has_body
    first_error: SignatureError | None = None
    for label, member in inputs.items():
        try:
            return _one(label, member, signatures.get(label), has_query, needs_digest)
        except SignatureError as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


def signature_base(
    signed: SignatureInput, *, method: str, url: str, headers: Mapping[str, str]
) -> bytes:
    """The bytes the signer signed, rebuilt from the request (``headers`` keyed in lower case)."""
    derived = _derived(method, url)
    lines = []
    for name in signed.components:
        value = derived.get(name) if name.startswith("@") else headers.get(name)
        if value is None:
            raise SignatureError(f"signed header {shown(name)} missing")
        value = value.strip(" \t")
        if "\r" in value or "\n" in value:
            raise SignatureError(f"signed header {shown(name)} malformed")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {signed.params_line}')
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError("signature base not ASCII") from None


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign an outgoing request per RFC 9421, covering ``@method``, ``@target-uri`` and, when
    there is a body, ``content-digest``.

    Returns the headers to add: ``Content-Digest`` (with a body), ``Signature-Input`` and
    ``Signature``. ``headers`` must not already carry any of them.
    """
    clash = {name.lower() for name in headers} & {"content-digest", "signature-input", "signature"}
    if clash:
        raise ValueError(f"headers already carry {sorted(clash)}; the signer computes them")
    components = ["@method", "@target-uri"]
    added: dict[str, str] = {}
    if body is not None:
        added["Content-Digest"] = content_digest_header(body)
        components.append("content-digest")
    created = int((now or datetime.now(UTC)).timestamp())
    params: dict[str, BareItemType] = {
        "created": created,
        "keyid": key_id,
        "alg": ALGORITHM_IDS[kind_of(private_key)],
    }
    items: list[ItemType] = [(name, {}) for name in components]
    params_line = http_sf.ser({label: (items, params)}).removeprefix(f"{label}=")
    signed = SignatureInput(label, key_id, None, tuple(components), b"", created, None, params_line)
    lowered = {name.lower(): value for name, value in added.items()}
    base = signature_base(signed, method=method, url=url, headers=lowered)
    signature = base64.b64encode(sign_bytes(private_key, base)).decode("ascii")
    added["Signature-Input"] = f"{label}={params_line}"
    added["Signature"] = f"{label}=:{signature}:"
    return added


def _dictionary(value: str, reason: str) -> dict[str, object]:
    if len(value) > MAX_HEADER_LENGTH:
        raise SignatureError("signature header too long")

    def refuse_duplicate(name: str, context: str) -> None:
        raise SignatureError(reason)

    try:
        parsed = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=refuse_duplicate
        )
    except (ValueError, UnicodeEncodeError):
        raise SignatureError(reason) from None
    if not isinstance(parsed, dict):
        raise SignatureError(reason)
    return dict(parsed)


def _one(
    label: str, member: object, signed: object, has_query: bool, needs_digest: bool
) -> SignatureInput:
    if not (isinstance(member, tuple) and isinstance(member[0], list)):
        raise SignatureError("signature-input malformed")
    items, params = member[0], member[1]
    if not isinstance(params, dict):
        raise SignatureError("signature-input malformed")
    components = _components(items)
    for name in params:
        if name not in PARAMETERS:
            raise SignatureError(f"signature parameter {shown(name)} unsupported")
    algorithm = params.get("alg")
    if algorithm is not None and (not isinstance(algorithm, str) or algorithm not in KEY_KINDS):
        raise SignatureError(f"algorithm {shown(str(algorithm))} refused")
    key_id, created, expires = params.get("keyid"), params.get("created"), params.get("expires")
    if not isinstance(key_id, str):
        raise SignatureError("keyid missing")
    check_key_id(key_id)
    # bool is an int subclass, and "created=?1" is not a time.
    if type(created) is not int:
        raise SignatureError("created missing")
    if expires is not None and type(expires) is not int:
        raise SignatureError("signature-input malformed")
    _require_coverage(components, has_query, needs_digest)
    if not (isinstance(signed, tuple) and isinstance(signed[0], bytes)):
        raise SignatureError("signature malformed")
    if not signed[0] or len(signed[0]) > MAX_SIGNATURE_BYTES:
        raise SignatureError("signature malformed")
    params_line = http_sf.ser({label: member}).removeprefix(f"{label}=")
    return SignatureInput(
        label, key_id, algorithm, components, signed[0], created, expires, params_line
    )


def _components(items: list[object]) -> tuple[str, ...]:
    if len(items) > MAX_COMPONENTS:
        raise SignatureError("signature-input malformed")
    names: list[str] = []
    for item in items:
        if not (isinstance(item, tuple) and type(item[0]) is str):
            raise SignatureError("signature-input malformed")
        name, parameters = item
        if parameters:
            # ;sf ;key ;bs ;req change how a value is serialised; nobody in the fediverse
            # sends them, and each is one more way to get canonicalisation wrong.
            raise SignatureError(f"component parameters on {shown(name)} unsupported")
        if name != name.lower() or name in names:
            raise SignatureError("signature-input malformed")
        if name.startswith("@") and name not in DERIVED:
            raise SignatureError(f"component {shown(name)} unsupported")
        names.append(name)
    return tuple(names)


def _require_coverage(components: tuple[str, ...], has_query: bool, needs_digest: bool) -> None:
    covered = set(components)
    if "@method" not in covered:
        raise SignatureError("@method not signed")
    path_and_query = "@path" in covered and (not has_query or "@query" in covered)
    target = "@target-uri" in covered or (
        "@authority" in covered and ("@request-target" in covered or path_and_query)
    )
    if not target:
        raise SignatureError("@target-uri not signed")
    if needs_digest and "content-digest" not in covered:
        raise SignatureError("content-digest not signed")


def _derived(method: str, url: str) -> dict[str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = authority(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return {
        "@method": method.upper(),
        # Scheme and host normalised as every HTTP library does before signing, so that
        # "https://KE.example:443/x" and "https://ke.example/x" are the same target.
        "@target-uri": f"{scheme}://{host}{path}{query}",
        "@authority": host,
        "@scheme": scheme,
        "@request-target": f"{path}{query}",
        "@path": path,
        "@query": query or "?",
    }
