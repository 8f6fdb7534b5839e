"""Independent implementations as judges: httpsig for draft-cavage, http-message-signatures
for RFC 9421. What they sign we verify, and what we sign they verify.

Fatou on sn.example (RSA) and João on mz.example (Ed25519) deliver to Amina on ke.example.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier

from fedi.federation.signatures import (
    PrivateKey,
    PublicKey,
    SignatureClaim,
    SignatureError,
    SignedRequest,
    parse_signature,
    sign_cavage,
    sign_rfc9421,
    verify_signature,
)
from tests.federation.signers import FATOU_KEY, JOAO_KEY, KE, NOTE

INBOX_PATH = "/users/amina/inbox"
AMINA_INBOX = f"https://{KE}{INBOX_PATH}"
CAVAGE_POST = ["(request-target)", "host", "date", "digest"]


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def now_http() -> str:
    return datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def sha256_digest(body: bytes, label: str = "SHA-256") -> str:
    return f"{label}={base64.b64encode(hashlib.sha256(body).digest()).decode()}"


def accept(request: SignedRequest, key: PublicKey) -> SignatureClaim:
    claim = parse_signature(request)
    verify_signature(request, claim, key, canonical_host=KE)
    return claim


@dataclass
class Message:
    """The request shape http-message-signatures works on (method, url, mutable headers)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


# --- draft-cavage against httpsig --------------------------------------------------------


@pytest.mark.parametrize("digest_label", ["SHA-256", "sha-256"])
def test_what_httpsig_signs_we_verify(digest_label: str, fatou: rsa.RSAPrivateKey) -> None:
    # "sha-256" is bovine's spelling.
    signer = HeaderSigner(
        FATOU_KEY, private_pem(fatou), "rsa-sha256", CAVAGE_POST, sign_header="signature"
    )
    headers = {"Host": KE, "Date": now_http(), "Digest": sha256_digest(NOTE, digest_label)}
    signed = signer.sign(headers, method="POST", path=INBOX_PATH)
    claim = accept(SignedRequest("POST", AMINA_INBOX, dict(signed), NOTE), fatou.public_key())
    assert claim.components == tuple(CAVAGE_POST)


def test_a_get_httpsig_signs_we_verify(fatou: rsa.RSAPrivateKey) -> None:
    signer = HeaderSigner(
        FATOU_KEY,
        private_pem(fatou),
        "rsa-sha256",
        ["(request-target)", "host", "date"],
        sign_header="signature",
    )
    path = "/users/amina/outbox?page=true"
    signed = signer.sign({"Host": KE, "Date": now_http()}, method="GET", path=path)
    accept(SignedRequest("GET", f"https://{KE}{path}", dict(signed)), fatou.public_key())


@pytest.mark.parametrize("body", [NOTE, None])
def test_what_we_sign_httpsig_verifies(body: bytes | None, fatou: rsa.RSAPrivateKey) -> None:
    method = "POST" if body is not None else "GET"
    headers = sign_cavage(method, AMINA_INBOX, {}, body, key_id=FATOU_KEY, private_key=fatou)
    required = CAVAGE_POST if body is not None else CAVAGE_POST[:3]
    verifier = HeaderVerifier(
        headers,
        public_pem(fatou),
        required_headers=required,
        method=method,
        path=INBOX_PATH,
        sign_header="signature",
    )
    assert verifier.verify() is True
    # The judge is not blind: a different path fails for it too.
    verifier.path = "/users/amina/outbox"
    assert verifier.verify() is False


def test_an_hmac_forgery_with_the_public_key_fools_bare_httpsig_but_not_us(
    fatou: rsa.RSAPrivateKey,
) -> None:
    """The classic algorithm confusion: the public PEM used as an HMAC secret.

    httpsig's HeaderVerifier takes the algorithm from the header, so it accepts this forgery;
    this is why the inbox never uses it and derives the algorithm from the key instead.
    """
    forger = HeaderSigner(
        FATOU_KEY, public_pem(fatou), "hmac-sha256", CAVAGE_POST, sign_header="signature"
    )
    headers = {"Host": KE, "Date": now_http(), "Digest": sha256_digest(NOTE)}
    forged = dict(forger.sign(headers, method="POST", path=INBOX_PATH))
    httpsig_verdict = HeaderVerifier(
        forged, public_pem(fatou), method="POST", path=INBOX_PATH, sign_header="signature"
    ).verify()
    assert httpsig_verdict is True
    with pytest.raises(SignatureError, match="algorithm hmac-sha256 refused"):
        parse_signature(SignedRequest("POST", AMINA_INBOX, forged, NOTE))


def test_httpsig_checks_no_date_but_we_do(fatou: rsa.RSAPrivateKey) -> None:
    stale = datetime.now(UTC) - timedelta(days=3)
    headers = sign_cavage(
        "POST", AMINA_INBOX, {}, NOTE, key_id=FATOU_KEY, private_key=fatou, now=stale
    )
    verifier = HeaderVerifier(
        headers, public_pem(fatou), method="POST", path=INBOX_PATH, sign_header="signature"
    )
    assert verifier.verify() is True
    with pytest.raises(SignatureError, match="date too old"):
        accept(SignedRequest("POST", AMINA_INBOX, headers, NOTE), fatou.public_key())


# --- RFC 9421 against http-message-signatures --------------------------------------------

LIBRARY_ALGORITHMS = {"fatou": algorithms.RSA_V1_5_SHA256, "joao": algorithms.ED25519}
KEY_IDS = {"fatou": FATOU_KEY, "joao": JOAO_KEY}


@pytest.mark.parametrize("signer_name", ["fatou", "joao"])
@pytest.mark.parametrize(
    "components",
    [("@method", "@target-uri"), ("@method", "@authority", "@target-uri")],
)
def test_what_http_message_signatures_signs_we_verify(
    signer_name: str, components: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    key: PrivateKey = request.getfixturevalue(signer_name)
    key_id = KEY_IDS[signer_name]
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: key})
    signer = HTTPMessageSigner(
        signature_algorithm=LIBRARY_ALGORITHMS[signer_name], key_resolver=resolver
    )
    message = Message("POST", AMINA_INBOX)
    signer.sign(message, key_id=key_id, label="sig1", covered_component_ids=components, body=NOTE)
    assert "content-digest" in message.headers["Signature-Input"]
    claim = accept(SignedRequest("POST", AMINA_INBOX, message.headers, NOTE), key.public_key())
    assert claim.key_id == key_id


@pytest.mark.parametrize("signer_name", ["fatou", "joao"])
@pytest.mark.parametrize("body", [NOTE, None])
def test_what_we_sign_http_message_signatures_verifies(
    signer_name: str, body: bytes | None, request: pytest.FixtureRequest
) -> None:
    key: PrivateKey = request.getfixturevalue(signer_name)
    key_id = KEY_IDS[signer_name]
    method = "POST" if body is not None else "GET"
    message = Message(method, AMINA_INBOX)
    message.headers.update(
        sign_rfc9421(method, AMINA_INBOX, {}, body, key_id=key_id, private_key=key)
    )
    resolver = MappingKeyResolver(public_keys={key_id: key.public_key()}, private_keys={})
    verifier = HTTPMessageVerifier(
        signature_algorithm=LIBRARY_ALGORITHMS[signer_name], key_resolver=resolver
    )
    required = ("@method", "@target-uri", "content-digest") if body else ("@method", "@target-uri")
    results = verifier.verify(message, require_components=required, body=body)
    assert [result.parameters["keyid"] for result in results] == [key_id]
    assert results[0].body == body
    # And it refuses once the body is swapped, as we do.
    with pytest.raises(InvalidSignature, match=r"(?i)digest"):
        verifier.verify(message, body=b"{}")


@pytest.mark.parametrize(
    ("algorithm", "key_material"),
    [
        (algorithms.HMAC_SHA256, "shared"),
        (algorithms.RSA_PSS_SHA512, "fatou"),
    ],
)
def test_library_signatures_in_refused_algorithms_are_refused(
    algorithm: type[algorithms.HTTPSignatureAlgorithm],
    key_material: str,
    fatou: rsa.RSAPrivateKey,
) -> None:
    secret: bytes | rsa.RSAPrivateKey = (
        hmac.digest(b"k", b"v", "sha256") if key_material == "shared" else fatou
    )
    resolver = MappingKeyResolver(public_keys={}, private_keys={FATOU_KEY: secret})
    message = Message("POST", AMINA_INBOX)
    HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver).sign(
        message, key_id=FATOU_KEY, label="sig1", body=NOTE
    )
    with pytest.raises(SignatureError, match=f"algorithm {algorithm.algorithm_id} refused"):
        parse_signature(SignedRequest("POST", AMINA_INBOX, message.headers, NOTE))


def test_a_library_signature_past_its_expiry_is_refused(fatou: rsa.RSAPrivateKey) -> None:
    resolver = MappingKeyResolver(public_keys={}, private_keys={FATOU_KEY: fatou})
    message = Message("POST", AMINA_INBOX)
    now = datetime.now(UTC)
    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver).sign(
        message,
        key_id=FATOU_KEY,
        label="sig1",
        created=now - timedelta(minutes=5),
        expires=now - timedelta(minutes=1),
        body=NOTE,
    )
    with pytest.raises(SignatureError, match="signature expired"):
        accept(SignedRequest("POST", AMINA_INBOX, message.headers, NOTE), fatou.public_key())
