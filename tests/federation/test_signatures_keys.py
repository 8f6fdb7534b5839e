"""Keys and digests on their own: PEM loading and its caches, the remote key cache, digests."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from fedi.federation.signatures import (
    KeyCache,
    SignatureError,
    content_digest_header,
    digest_header,
    load_private_key,
    load_public_key,
)
from fedi.federation.signatures.digest import check_content_digest, check_digest
from fedi.federation.signatures.keys import check_key_id, sign_bytes, verify_bytes
from tests.federation.signers import FATOU_KEY

NOTE = b'{"type":"Note"}'


def public_pem(
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey,
) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- loading ------------------------------------------------------------------------------


def test_a_public_pem_is_parsed_once(fatou: rsa.RSAPrivateKey) -> None:
    pem = public_pem(fatou)
    first = load_public_key(pem)
    assert load_public_key(pem) is first
    assert isinstance(first, rsa.RSAPublicKey)


def test_pkcs1_rsa_public_keys_are_read_too(fatou: rsa.RSAPrivateKey) -> None:
    pem = (
        fatou.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert "BEGIN RSA PUBLIC KEY" in pem
    assert isinstance(load_public_key(pem), rsa.RSAPublicKey)


def test_an_ed25519_public_key_is_accepted() -> None:
    key = load_public_key(public_pem(ed25519.Ed25519PrivateKey.generate()))
    assert isinstance(key, ed25519.Ed25519PublicKey)


@pytest.mark.parametrize(
    ("pem", "reason"),
    [
        ("not a key", "public key unreadable"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "public key unreadable"),
        ("ключ", "public key unreadable"),
    ],
)
def test_unreadable_public_keys_are_refused(pem: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        load_public_key(pem)


def test_ec_and_short_rsa_keys_are_refused() -> None:
    with pytest.raises(SignatureError, match="public key type refused"):
        load_public_key(public_pem(ec.generate_private_key(ec.SECP256R1())))
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 -- the point
    with pytest.raises(SignatureError, match="RSA key size refused"):
        load_public_key(public_pem(short))


def test_a_private_pem_is_parsed_once_and_signs(fatou: rsa.RSAPrivateKey) -> None:
    pem = fatou.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    key = load_private_key(pem)
    assert load_private_key(pem) is key
    verify_bytes(fatou.public_key(), sign_bytes(key, b"hello"), b"hello")
    with pytest.raises(SignatureError, match="signature invalid"):
        verify_bytes(fatou.public_key(), sign_bytes(key, b"hello"), b"hellO")


def test_a_private_ec_key_is_a_configuration_error() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="RSA or Ed25519"):
        load_private_key(pem)


@pytest.mark.parametrize(
    "key_id",
    [
        "",
        "acct:fatou@sn.example",
        "https://",
        "https://sn.example/users/fatou main-key",
        "https://sn.example/\r\nX-Injected: 1",
        "file:///etc/passwd",
        "https://sn.example/" + "k" * 3000,
    ],
)
def test_key_ids_that_are_not_plain_http_urls_are_refused(key_id: str) -> None:
    with pytest.raises(SignatureError, match="keyId malformed"):
        check_key_id(key_id)


# --- the remote key cache -----------------------------------------------------------------


def test_a_cached_key_expires_after_its_ttl(fatou: rsa.RSAPrivateKey) -> None:
    clock = Clock()
    cache = KeyCache(ttl=timedelta(hours=1), clock=clock)
    entry = cache.put(FATOU_KEY, fatou.public_key(), "https://sn.example/users/fatou")
    assert cache.get(FATOU_KEY) == entry
    assert entry.owner == "https://sn.example/users/fatou"
    clock.now += 3599
    assert cache.get(FATOU_KEY) is entry
    clock.now += 1
    assert cache.get(FATOU_KEY) is None
    assert len(cache) == 0


def test_invalidate_and_refetch_only_once_the_key_is_not_fresh(fatou: rsa.RSAPrivateKey) -> None:
    clock = Clock()
    cache = KeyCache(refetch_after=timedelta(minutes=1), clock=clock)
    assert cache.may_refetch(FATOU_KEY)
    cache.put(FATOU_KEY, fatou.public_key(), "https://sn.example/users/fatou")
    # A forged request failing against a key fetched seconds ago must not trigger a fetch.
    assert not cache.may_refetch(FATOU_KEY)
    clock.now += 60
    assert cache.may_refetch(FATOU_KEY)
    cache.invalidate(FATOU_KEY)
    assert cache.get(FATOU_KEY) is None


def test_failed_fetches_are_remembered_briefly(fatou: rsa.RSAPrivateKey) -> None:
    clock = Clock()
    cache = KeyCache(failure_ttl=timedelta(minutes=5), clock=clock)
    assert not cache.failed_recently(FATOU_KEY)
    cache.note_failure(FATOU_KEY)
    clock.now += 299
    assert cache.failed_recently(FATOU_KEY)
    clock.now += 1
    assert not cache.failed_recently(FATOU_KEY)
    cache.note_failure(FATOU_KEY)
    cache.put(FATOU_KEY, fatou.public_key(), "https://sn.example/users/fatou")
    assert not cache.failed_recently(FATOU_KEY)


def test_the_least_recently_used_keys_are_evicted_first(fatou: rsa.RSAPrivateKey) -> None:
    cache = KeyCache(max_entries=2, clock=Clock())
    key = fatou.public_key()
    cache.put("https://a.example/k", key, "https://a.example/u")
    cache.put("https://b.example/k", key, "https://b.example/u")
    assert cache.get("https://a.example/k") is not None  # a is now the most recent
    cache.put("https://c.example/k", key, "https://c.example/u")
    assert cache.get("https://b.example/k") is None
    assert cache.get("https://a.example/k") is not None
    assert len(cache) == 2


# --- digests ------------------------------------------------------------------------------


def test_outgoing_digests_have_the_expected_spelling() -> None:
    encoded = base64.b64encode(hashlib.sha256(NOTE).digest()).decode()
    assert digest_header(NOTE) == f"SHA-256={encoded}"
    assert content_digest_header(NOTE) == f"sha-256=:{encoded}:"
    check_digest(digest_header(NOTE), NOTE)
    check_content_digest(content_digest_header(NOTE), NOTE)


@pytest.mark.parametrize("spelling", ["SHA-256", "sha-256", "Sha-256"])
def test_the_digest_algorithm_name_is_case_insensitive(spelling: str) -> None:
    check_digest(digest_header(NOTE).replace("SHA-256", spelling), NOTE)


def test_an_empty_body_has_a_digest_too() -> None:
    check_digest(digest_header(b""), b"")
    with pytest.raises(SignatureError, match="digest mismatch"):
        check_digest(digest_header(b""), b" ")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "digest malformed"),
        ("=abc", "digest malformed"),
        ("SHA-256=" + base64.b64encode(b"short").decode(), "digest mismatch"),
        ("SHA-512=" + base64.b64encode(hashlib.sha512(NOTE).digest()).decode(), "without SHA-256"),
    ],
)
def test_bad_digests_are_refused(value: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        check_digest(value, NOTE)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sha-256=:" + base64.b64encode(b"short").decode() + ":", "digest mismatch"),
        ("sha-256=:AAAA:, sha-256=:AAAA:", "content-digest malformed"),
        ("sha-256=\u00e9", "content-digest malformed"),
        ("unixsum=:AAAA:", "without SHA-256 or SHA-512"),
    ],
)
def test_bad_content_digests_are_refused(value: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        check_content_digest(value, NOTE)
