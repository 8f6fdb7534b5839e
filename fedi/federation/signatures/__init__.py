"""HTTP Signatures for ActivityPub: sign what we send, verify what we receive.

Two schemes: draft-cavage-http-signatures-12 (``cavage.py``: what Mastodon, Lemmy,
GoToSocial, Akkoma and Misskey require) and RFC 9421 (``rfc9421.py``: what fedify sends first
and Mastodon 4.5+ accepts). Plain data in, plain data out, so the inbox, the fetcher and
delivery share it. An inbox checks in this order, refusing at the first failure::

    request = SignedRequest.from_pairs("POST", url, header_pairs, body)
    claim = parse_signature(request)                 # syntax, algorithm, coverage
    check_claim(request, claim, canonical_host=host)  # host, time window, digest: no key yet
    key = ...                                         # the inbox resolves claim.key_id
    verify_signature(request, claim, key, canonical_host=host)

Every refusal is a ``SignatureError`` (401). Reference: ``docs/signatures.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from fedi.federation.signatures import cavage, rfc9421
from fedi.federation.signatures.cavage import (
    CavageParams,
    authority,
    normalise_authority,
    sign_cavage,
)
from fedi.federation.signatures.digest import (
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)
from fedi.federation.signatures.errors import SignatureError, shown
from fedi.federation.signatures.keys import (
    CachedKey,
    KeyCache,
    PrivateKey,
    PublicKey,
    check_public_key,
    kind_of,
    load_private_key,
    load_public_key,
    verify_bytes,
)
from fedi.federation.signatures.rfc9421 import SignatureInput, sign_rfc9421

__all__ = [
    "CachedKey",
    "KeyCache",
    "PrivateKey",
    "PublicKey",
    "SignatureClaim",
    "SignatureError",
    "SignedRequest",
    "check_claim",
    "content_digest_header",
    "digest_header",
    "load_private_key",
    "load_public_key",
    "parse_signature",
    "sign_cavage",
    "sign_rfc9421",
    "verify_signature",
]

DEFAULT_MAX_SKEW = timedelta(hours=1)


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs from an incoming request.

    ``url`` is the full URL with our canonical scheme and host and the raw path and query
    as received. ``headers`` may be any mapping; lookups are case-insensitive and repeated
    fields are joined with ``", "`` as HTTP does. Values are ASGI's latin-1 decoding.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    # Already joined ``fields``, when the caller has them (``from_pairs``): joining costs as
    # much as parsing the signature, and the inbox builds every request twice.
    _fields: InitVar[Mapping[str, str] | None] = None
    # The headers keyed by lower-case name, repeats joined: what signature strings are built from.
    fields: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self, _fields: Mapping[str, str] | None) -> None:
        joined = _fields if _fields is not None else _join_fields(self.headers.items())
        object.__setattr__(self, "fields", joined)

    @classmethod
    def from_pairs(
        cls, method: str, url: str, pairs: Iterable[tuple[str, str]], body: bytes = b""
    ) -> SignedRequest:
        """Build from raw header lines (e.g. ASGI's, decoded as latin-1), keeping repeats."""
        joined = _join_fields(pairs)
        return cls(method, url, joined, body, _fields=joined)

    def with_body(self, body: bytes) -> SignedRequest:
        """The same request with its body (read after its headers were checked)."""
        return SignedRequest(self.method, self.url, self.headers, body, _fields=self.fields)

    def header(self, name: str) -> str | None:
        """The field's value, case-insensitively; repeated fields joined with ``", "``."""
        return self.fields.get(name.lower())


@dataclass(frozen=True)
class SignatureClaim:
    """A parsed signature: who claims to have signed what. Not verified yet."""

    scheme: Literal["cavage", "rfc9421"]
    key_id: str
    algorithm: str | None  # as declared, lower case; None when absent
    components: tuple[str, ...]  # covered headers / components, in signed order
    created: int | None
    expires: int | None
    label: str | None  # RFC 9421 only
    signed: CavageParams | SignatureInput = field(repr=False)


def parse_signature(request: SignedRequest, *, has_body: bool | None = None) -> SignatureClaim:
    """Parse the request's signature and refuse what no key could make acceptable.

    Refused here, before any key lookup: no signature, malformed fields, an ``hmac-*`` or
    unknown algorithm, a keyId that is not an http(s) URL, and missing coverage of the
    request target, host, time or (on POST) the body digest. ``has_body`` lets an inbox
    parse from the headers alone, before it reads the body (it passes True: an inbox POST
    must carry one, so its digest must be covered).
    """
    signature = request.header("signature")
    if signature is None:
        raise SignatureError("signature missing")
    signature_input = request.header("signature-input")
    if has_body is None:
        has_body = bool(request.body)
    if signature_input is not None:
        labelled = rfc9421.parse_signature_fields(
            signature_input, signature, method=request.method, url=request.url, has_body=has_body
        )
        return SignatureClaim(
            "rfc9421",
            labelled.key_id,
            labelled.algorithm,
            labelled.components,
            labelled.created,
            labelled.expires,
            labelled.label,
            labelled,
        )
    params = cavage.parse_signature_header(signature, method=request.method, has_body=has_body)
    return SignatureClaim(
        "cavage",
        params.key_id,
        params.algorithm,
        params.headers,
        params.created,
        params.expires,
        None,
        params,
    )


def check_claim(
    request: SignedRequest,
    claim: SignatureClaim,
    *,
    canonical_host: str,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Run the checks that need no key: host, time window, expiry and body digest.

    The inbox calls this before resolving the key so that stale, misdirected or altered
    requests never cause a fetch. ``verify_signature`` runs it again; it is cheap.
    """
    scheme = urlsplit(request.url).scheme
    ours = normalise_authority(canonical_host, scheme)
    if authority(request.url) != ours:
        raise SignatureError("host mismatch")
    if "host" in claim.components:
        host = request.header("host")
        if host is None or normalise_authority(host, scheme) != ours:
            raise SignatureError("host mismatch")
    moment = _utc(now).timestamp()
    skew = max_skew.total_seconds()
    if "date" in claim.components:
        _check_window(_http_date(request.header("date")), moment, skew, "date")
    if claim.created is not None:
        _check_window(claim.created, moment, skew, "created")
    if claim.expires is not None and claim.expires < moment:
        raise SignatureError("signature expired")
    if claim.scheme == "cavage" and "digest" in claim.components:
        check_digest(_required(request, "digest"), request.body)
    if claim.scheme == "rfc9421" and "content-digest" in claim.components:
        check_content_digest(_required(request, "content-digest"), request.body)


def verify_signature(
    request: SignedRequest,
    claim: SignatureClaim,
    key: PublicKey,
    *,
    canonical_host: str,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Verify ``claim`` on ``request`` with the signer's key, or raise ``SignatureError``.

    The algorithm is the one ``key`` implies; a declared algorithm that names another key
    type is refused. ``key`` must be the key published for ``claim.key_id`` by its owner.
    """
    check_public_key(key)
    declared = claim.algorithm
    if declared is not None:
        table = cavage.KEY_KINDS if claim.scheme == "cavage" else rfc9421.KEY_KINDS
        required = table.get(declared)
        if required is not None and required != kind_of(key):
            raise SignatureError(f"algorithm {shown(declared)} does not match the key")
    check_claim(request, claim, canonical_host=canonical_host, now=now, max_skew=max_skew)
    headers = request.fields
    if isinstance(claim.signed, CavageParams):
        message = cavage.signing_string(
            claim.signed, method=request.method, url=request.url, headers=headers
        )
    else:
        message = rfc9421.signature_base(
            claim.signed, method=request.method, url=request.url, headers=headers
        )
    verify_bytes(key, claim.signed.signature, message)


def _join_fields(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _required(request: SignedRequest, name: str) -> str:
    value = request.header(name)
    if value is None:
        raise SignatureError(f"signed header {name} missing")
    return value


def _http_date(value: str | None) -> float:
    if value is None:
        raise SignatureError("signed header date missing")
    return _parse_http_date(value)


# Deliveries arriving in the same second carry the same Date: parse each once.
@lru_cache(maxsize=512)
def _parse_http_date(value: str) -> float:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("date malformed") from None
    return _utc(moment).timestamp()


def _check_window(moment: float, now: float, skew: float, what: str) -> None:
    if moment > now + skew:
        raise SignatureError(f"{what} in the future")
    if moment < now - skew:
        raise SignatureError(f"{what} too old")


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    # A naive time is taken as UTC (HTTP dates are GMT), never as the server's local zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
