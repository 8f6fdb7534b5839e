"""Keys: loading PEMs once, signing and verifying bytes, and a cache of remote keys by keyId.

The signature algorithm always follows from the key object (RSA → RSASSA-PKCS1-v1_5 with
SHA-256, Ed25519 → Ed25519), never from what a peer wrote in a header. Parsing a PEM is
expensive (a private RSA key costs ~35 ms to load and validate), so both loaders are cached
by the PEM text and nothing here should be called with a fresh PEM per request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Literal, TypeAlias, TypeVar, cast
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from fedi.federation.signatures.errors import SignatureError

PublicKey: TypeAlias = RSAPublicKey | Ed25519PublicKey
PrivateKey: TypeAlias = RSAPrivateKey | Ed25519PrivateKey
KeyKind: TypeAlias = Literal["rsa", "ed25519"]

# Below 2048 bits RSA is breakable in practice; above 8192 every verify gets slow enough to
# be a cheap way for a peer to burn our CPU. Every fediverse server uses 2048 or 4096.
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
MAX_KEY_ID_LENGTH = 2048

_V = TypeVar("_V")


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKey:
    """Parse a remote actor's ``publicKeyPem`` (cached by the PEM text).

    Raises ``SignatureError`` for anything but an RSA key of 2048–8192 bits or Ed25519.
    """
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise SignatureError("public key unreadable") from None
    if not isinstance(key, RSAPublicKey | Ed25519PublicKey):
        raise SignatureError("public key type refused")
    check_public_key(key)
    return key


def check_public_key(key: PublicKey) -> None:
    """Refuse keys of another type (EC, DSA) and RSA keys outside 2048–8192 bits."""
    kind = _public_kind(type(key))
    if kind == "rsa":
        if not MIN_RSA_BITS <= cast(RSAPublicKey, key).key_size <= MAX_RSA_BITS:
            raise SignatureError("RSA key size refused")
    elif kind is None:
        raise SignatureError("public key type refused")


# isinstance against cryptography's abstract key classes goes through ABCMeta each time;
# every verification asks, and the answer depends only on the concrete class.
@lru_cache(maxsize=16)
def _public_kind(cls: type) -> KeyKind | None:
    if issubclass(cls, RSAPublicKey):
        return "rsa"
    if issubclass(cls, Ed25519PublicKey):
        return "ed25519"
    return None


@lru_cache(maxsize=1024)
def load_private_key(pem: bytes) -> PrivateKey:
    """Parse one of our own actors' private keys (cached by the PEM bytes).

    Raises ``ValueError``: a bad private key is our misconfiguration, not a peer's fault.
    """
    key = serialization.load_pem_private_key(pem, password=None)
    if isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        return key
    raise ValueError("private key must be RSA or Ed25519")


def kind_of(key: PublicKey | PrivateKey) -> KeyKind:
    """``"rsa"`` or ``"ed25519"``: the only fact that decides the signature algorithm."""
    return "rsa" if isinstance(key, RSAPublicKey | RSAPrivateKey) else "ed25519"


def sign_bytes(private_key: PrivateKey, message: bytes) -> bytes:
    """Sign ``message`` with the algorithm the key implies."""
    if isinstance(private_key, RSAPrivateKey):
        return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return private_key.sign(message)


def verify_bytes(public_key: PublicKey, signature: bytes, message: bytes) -> None:
    """Raise ``SignatureError("signature invalid")`` unless ``signature`` signs ``message``."""
    try:
        if _public_kind(type(public_key)) == "rsa":
            cast(RSAPublicKey, public_key).verify(
                signature, message, padding.PKCS1v15(), hashes.SHA256()
            )
        else:
            cast(Ed25519PublicKey, public_key).verify(signature, message)
    except InvalidSignature:
        raise SignatureError("signature invalid") from None


def check_key_id(key_id: str) -> None:
    """Refuse a keyId that is not a plain absolute http(s) URL.

    This is only a syntax check; the fetcher still vets the address before any request.
    """
    # isprintable() already rules out control characters and every space but " ".
    if not key_id or len(key_id) > MAX_KEY_ID_LENGTH or not key_id.isprintable() or " " in key_id:
        raise SignatureError("keyId malformed")
    try:
        parts = urlsplit(key_id)
    except ValueError:
        raise SignatureError("keyId malformed") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SignatureError("keyId malformed")


@dataclass(frozen=True)
class CachedKey:
    """A verified remote key: the key, the actor that owns it, and when we fetched it."""

    key: PublicKey
    owner: str
    fetched_at: float


class KeyCache:
    """Remote public keys by keyId, with a TTL, plus a short memory of failed fetches.

    No network code lives here: the inbox fetches (keyId document → owner actor → matching
    key) and stores the result. Times come from ``clock`` (monotonic seconds by default).
    """

    def __init__(
        self,
        *,
        ttl: timedelta = timedelta(hours=12),
        failure_ttl: timedelta = timedelta(minutes=5),
        refetch_after: timedelta = timedelta(minutes=1),
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl.total_seconds()
        self._failure_ttl = failure_ttl.total_seconds()
        self._refetch_after = refetch_after.total_seconds()
        self._max_entries = max_entries
        self._clock = clock
        self._keys: OrderedDict[str, CachedKey] = OrderedDict()
        self._failures: OrderedDict[str, float] = OrderedDict()

    def get(self, key_id: str) -> CachedKey | None:
        """The cached key, or ``None`` if absent or older than the TTL."""
        entry = self._keys.get(key_id)
        if entry is None:
            return None
        if self._clock() - entry.fetched_at >= self._ttl:
            del self._keys[key_id]
            return None
        self._keys.move_to_end(key_id)
        return entry

    def put(self, key_id: str, key: PublicKey, owner: str) -> CachedKey:
        """Remember a key the inbox has fetched and checked; clears any recorded failure."""
        entry = CachedKey(key, owner, self._clock())
        self._keys[key_id] = entry
        self._keys.move_to_end(key_id)
        self._failures.pop(key_id, None)
        _trim(self._keys, self._max_entries)
        return entry

    def invalidate(self, key_id: str) -> None:
        """Forget a key, e.g. before refetching it after a verification failure."""
        self._keys.pop(key_id, None)

    def may_refetch(self, key_id: str) -> bool:
        """Whether a failed verification justifies fetching this key again.

        A key fetched moments ago is not stale: refetching it on every bad signature would let
        anyone make us hammer the key's server with forged requests.
        """
        entry = self._keys.get(key_id)
        return entry is None or self._clock() - entry.fetched_at >= self._refetch_after

    def note_failure(self, key_id: str) -> None:
        """Record that fetching this key failed, so requests naming it fail fast for a while."""
        self._failures[key_id] = self._clock()
        self._failures.move_to_end(key_id)
        _trim(self._failures, self._max_entries)

    def failed_recently(self, key_id: str) -> bool:
        """Whether a fetch of this key failed within ``failure_ttl``."""
        failed_at = self._failures.get(key_id)
        if failed_at is None:
            return False
        if self._clock() - failed_at >= self._failure_ttl:
            del self._failures[key_id]
            return False
        return True

    def __len__(self) -> int:
        return len(self._keys)


def _trim(entries: OrderedDict[str, _V], limit: int) -> None:
    # Least recently used first: a flood of keyIds evicts itself before our regular peers.
    while len(entries) > limit:
        entries.popitem(last=False)
