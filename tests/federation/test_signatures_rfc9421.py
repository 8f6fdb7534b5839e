"""RFC 9421 message signatures, as fedify sends them first: accepted and refused on ke.example.

Fatou (sn.example, RSA) and João (mz.example, Ed25519) deliver to Amina's inbox on ke.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import timedelta

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_sf.types import BareItemType, ItemType

from fedi.federation.signatures import (
    PrivateKey,
    SignatureClaim,
    SignatureError,
    SignedRequest,
    check_claim,
    parse_signature,
    sign_rfc9421,
    verify_signature,
)
from fedi.federation.signatures.keys import sign_bytes
from fedi.federation.signatures.rfc9421 import SignatureInput, signature_base
from tests.federation.signers import AMINA_INBOX, FATOU_KEY, JOAO_KEY, KE, NOTE, NOW, KeyDirectory

CREATED = int(NOW.timestamp())
FULL = ["@method", "@target-uri", "content-digest"]


def receive(request: SignedRequest, directory: KeyDirectory) -> SignatureClaim:
    claim = parse_signature(request)
    check_claim(request, claim, canonical_host=KE, now=NOW)
    key = directory(claim.key_id)
    verify_signature(request, claim, key, canonical_host=KE, now=NOW)
    return claim


def refusal(request: SignedRequest, directory: KeyDirectory) -> str:
    with pytest.raises(SignatureError) as caught:
        receive(request, directory)
    assert caught.value.status == 401
    return caught.value.message


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    digest = hashlib.new(algorithm.replace("-", ""), body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode()}:"


def hand_signed(
    private_key: PrivateKey,
    components: list[str],
    params: dict[str, BareItemType],
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    url: str = AMINA_INBOX,
    label: str = "sig1",
) -> dict[str, str]:
    """A real signature over exactly these components and parameters."""
    fields = {"Content-Digest": content_digest(NOTE)} if headers is None else headers
    items: list[ItemType] = [(name, {}) for name in components]
    params_line = http_sf.ser({label: (items, params)}).removeprefix(f"{label}=")
    signed = SignatureInput(label, "", None, tuple(components), b"", 0, None, params_line)
    lowered = {name.lower(): value for name, value in fields.items()}
    base = signature_base(signed, method=method, url=url, headers=lowered)
    signature = base64.b64encode(sign_bytes(private_key, base)).decode()
    return {
        **fields,
        "Signature-Input": f"{label}={params_line}",
        "Signature": f"{label}=:{signature}:",
    }


def fatou_params(**changes: BareItemType) -> dict[str, BareItemType]:
    params: dict[str, BareItemType] = {
        "created": CREATED,
        "keyid": FATOU_KEY,
        "alg": "rsa-v1_5-sha256",
    }
    params.update(changes)
    return params


def post(headers: Mapping[str, str], body: bytes = NOTE, url: str = AMINA_INBOX) -> SignedRequest:
    return SignedRequest("POST", url, headers, body)


# --- what we accept ----------------------------------------------------------------------


@pytest.mark.parametrize(("signer", "key_id"), [("fatou", FATOU_KEY), ("joao", JOAO_KEY)])
def test_a_note_signed_per_rfc9421_is_accepted(
    signer: str, key_id: str, request: pytest.FixtureRequest, directory: KeyDirectory
) -> None:
    key = request.getfixturevalue(signer)
    headers = sign_rfc9421("POST", AMINA_INBOX, {}, NOTE, key_id=key_id, private_key=key, now=NOW)
    assert headers["Content-Digest"] == content_digest(NOTE)
    assert headers["Signature-Input"].startswith('sig1=("@method" "@target-uri" "content-digest")')
    claim = receive(post(headers), directory)
    assert claim.scheme == "rfc9421"
    assert claim.label == "sig1"
    assert claim.created == CREATED
    assert claim.key_id == key_id


def test_a_signed_get_carries_no_content_digest(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    url = "https://ke.example/users/amina/outbox?page=true"
    headers = sign_rfc9421("GET", url, {}, None, key_id=FATOU_KEY, private_key=fatou, now=NOW)
    assert "Content-Digest" not in headers
    receive(SignedRequest("GET", url, headers), directory)


def test_the_authority_and_path_form_is_accepted(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(
        fatou, ["@method", "@authority", "@path", "content-digest"], fatou_params()
    )
    receive(post(headers), directory)


def test_fedify_style_coverage_with_host_and_date_is_accepted(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    fields = {
        "Host": KE,
        "Date": "Mon, 02 Mar 2026 09:29:58 GMT",
        "Content-Digest": content_digest(NOTE),
    }
    components = ["@method", "@target-uri", "@authority", "host", "date", "content-digest"]
    receive(post(hand_signed(fatou, components, fatou_params(), headers=fields)), directory)


def test_sha512_content_digest_is_accepted(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    fields = {"Content-Digest": content_digest(NOTE, "sha-512")}
    receive(post(hand_signed(fatou, FULL, fatou_params(), headers=fields)), directory)


def test_the_first_acceptable_label_is_used(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    good = hand_signed(fatou, FULL, fatou_params(), label="good")
    headers = {
        "Content-Digest": good["Content-Digest"],
        "Signature-Input": 'bad=("@method");created=1;keyid="https://x.example/k";'
        'alg="hmac-sha256", ' + good["Signature-Input"],
        "Signature": "bad=:AAAA:, " + good["Signature"],
    }
    assert receive(post(headers), directory).label == "good"


# --- what we refuse ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-pss-sha512", "ecdsa-p256-sha256"])
def test_algorithms_outside_the_list_are_refused_before_any_key_lookup(
    algorithm: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(fatou, FULL, fatou_params(alg=algorithm))
    assert refusal(post(headers), directory) == f"algorithm {algorithm} refused"
    assert directory.lookups == []


def test_rsa_declared_with_an_ed25519_key_is_refused(
    joao: ed25519.Ed25519PrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(joao, FULL, fatou_params(keyid=JOAO_KEY, alg="rsa-v1_5-sha256"))
    assert refusal(post(headers), directory) == "algorithm rsa-v1_5-sha256 does not match the key"


def test_ed25519_declared_with_an_rsa_key_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(fatou, FULL, fatou_params(alg="ed25519"))
    assert refusal(post(headers), directory) == "algorithm ed25519 does not match the key"


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        (["@target-uri", "content-digest"], "@method not signed"),
        (["@method", "content-digest"], "@target-uri not signed"),
        (["@method", "@path", "content-digest"], "@target-uri not signed"),
        (["@method", "@authority", "content-digest"], "@target-uri not signed"),
        (["@method", "@target-uri"], "content-digest not signed"),
    ],
)
def test_a_signature_missing_a_required_component_is_refused(
    components: list[str], reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(fatou, components, fatou_params())
    assert refusal(post(headers), directory) == reason
    assert directory.lookups == []


def test_authority_and_path_without_query_is_refused_when_there_is_a_query(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    url = f"{AMINA_INBOX}?x=1"
    headers = hand_signed(
        fatou, ["@method", "@authority", "@path", "content-digest"], fatou_params(), url=url
    )
    assert refusal(post(headers, url=url), directory) == "@target-uri not signed"


def test_a_signature_without_created_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    params = fatou_params()
    del params["created"]
    assert refusal(post(hand_signed(fatou, FULL, params)), directory) == "created missing"


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(timedelta(hours=-2), "created too old"), (timedelta(hours=2), "created in the future")],
)
def test_created_outside_the_hour_window_is_refused(
    offset: timedelta, reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    created = int((NOW + offset).timestamp())
    headers = hand_signed(fatou, FULL, fatou_params(created=created))
    assert refusal(post(headers), directory) == reason
    assert directory.lookups == []


def test_an_expired_signature_is_refused(fatou: rsa.RSAPrivateKey, directory: KeyDirectory) -> None:
    headers = hand_signed(fatou, FULL, fatou_params(created=CREATED - 120, expires=CREATED - 60))
    assert refusal(post(headers), directory) == "signature expired"
    assert directory.lookups == []


def test_a_body_changed_after_signing_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = sign_rfc9421(
        "POST", AMINA_INBOX, {}, NOTE, key_id=FATOU_KEY, private_key=fatou, now=NOW
    )
    forged = NOTE.replace(b"Note", b"Question")
    assert refusal(post(headers, body=forged), directory) == "digest mismatch"
    assert directory.lookups == []


def test_a_content_digest_rewritten_to_match_a_new_body_breaks_the_signature(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = sign_rfc9421(
        "POST", AMINA_INBOX, {}, NOTE, key_id=FATOU_KEY, private_key=fatou, now=NOW
    )
    forged = NOTE.replace(b"Note", b"Question")
    headers["Content-Digest"] = content_digest(forged)
    assert refusal(post(headers, body=forged), directory) == "signature invalid"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (content_digest(NOTE, "md5"), "content-digest without SHA-256 or SHA-512 refused"),
        ("sha-256=AAAA", "content-digest malformed"),
        ("sha-256=:AAAA:, sha-256=:AAAA:", "content-digest malformed"),
        (content_digest(NOTE) + ", " + content_digest(b"x", "sha-512"), "digest mismatch"),
    ],
)
def test_weak_malformed_or_partly_wrong_content_digests_are_refused(
    value: str, reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(fatou, FULL, fatou_params(), headers={"Content-Digest": value})
    assert refusal(post(headers), directory) == reason


def test_tampered_signature_bytes_are_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(fatou, FULL, fatou_params())
    raw = bytearray(base64.b64decode(headers["Signature"][len("sig1=:") : -1]))
    raw[0] ^= 0x80
    headers["Signature"] = f"sig1=:{base64.b64encode(bytes(raw)).decode()}:"
    assert refusal(post(headers), directory) == "signature invalid"


def test_a_signature_by_another_key_is_refused(
    joao: ed25519.Ed25519PrivateKey, directory: KeyDirectory
) -> None:
    headers = hand_signed(joao, FULL, fatou_params(alg="ed25519", keyid=JOAO_KEY))
    directory.keys[JOAO_KEY] = ed25519.Ed25519PrivateKey.generate().public_key()
    assert refusal(post(headers), directory) == "signature invalid"


def test_a_tampered_query_string_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    url = "https://ke.example/users/amina/outbox?page=1"
    headers = sign_rfc9421("GET", url, {}, None, key_id=FATOU_KEY, private_key=fatou, now=NOW)
    request = SignedRequest("GET", url.replace("page=1", "page=2"), headers)
    assert refusal(request, directory) == "signature invalid"


def test_a_request_signed_for_another_host_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    elsewhere = "https://mz.example/users/amina/inbox"
    headers = sign_rfc9421(
        "POST", elsewhere, {}, NOTE, key_id=FATOU_KEY, private_key=fatou, now=NOW
    )
    # Replayed to ke: the target URI we rebuild is ours, so the signature cannot match.
    assert refusal(post(headers), directory) == "signature invalid"
    # A signed Host header naming another server is caught before any key lookup.
    fields = {"Host": "mz.example", "Content-Digest": content_digest(NOTE)}
    signed = hand_signed(fatou, [*FULL, "host"], fatou_params(), headers=fields)
    directory.lookups.clear()
    assert refusal(post(signed), directory) == "host mismatch"
    assert directory.lookups == []


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ('sig1=("@method" "@target-uri" "content-digest";sf);created=1;keyid="https://sn.example/k"',
         "sig1=:AAAA:", "component parameters on content-digest unsupported"),
        ('sig1=("@method" "@target-uri" "@status" "content-digest");created=1;'
         'keyid="https://sn.example/k"', "sig1=:AAAA:", "component @status unsupported"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://sn.example/k";'
         "foo=1", "sig1=:AAAA:", "signature parameter foo unsupported"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1', "sig1=:AAAA:",
         "keyid missing"),
        ('sig1=("@method" "@target-uri" "content-digest");created=?1;keyid="https://sn.example/k"',
         "sig1=:AAAA:", "created missing"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="ftp://sn.example/k"',
         "sig1=:AAAA:", "keyId malformed"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://sn.example/k";'
         "alg=hmac", "sig1=:AAAA:", "algorithm hmac refused"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://sn.example/k"',
         "other=:AAAA:", "signature malformed"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://sn.example/k"',
         'sig1="AAAA"', "signature malformed"),
        ('sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://sn.example/k", '
         'sig1=("@method");created=1', "sig1=:AAAA:", "signature-input malformed"),
        ('sig1="@method"', "sig1=:AAAA:", "signature-input malformed"),
        ("sig1=(", "sig1=:AAAA:", "signature-input malformed"),
        ("", "sig1=:AAAA:", "signature-input malformed"),
    ],
)  # fmt: skip
def test_malformed_signature_fields_are_refused_before_any_key_lookup(
    signature_input: str, signature: str, reason: str, directory: KeyDirectory
) -> None:
    headers = {
        "Content-Digest": content_digest(NOTE),
        "Signature-Input": signature_input,
        "Signature": signature,
    }
    assert refusal(post(headers), directory) == reason
    assert directory.lookups == []


def test_a_signature_without_its_signature_input_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = sign_rfc9421("POST", AMINA_INBOX, {}, NOTE, key_id=FATOU_KEY, private_key=fatou)
    del headers["Signature-Input"]
    assert refusal(post(headers), directory) == "signature malformed"


def test_sign_rfc9421_will_not_overwrite_headers_it_computes(fatou: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="content-digest"):
        sign_rfc9421(
            "POST",
            AMINA_INBOX,
            {"Content-Digest": "x"},
            NOTE,
            key_id=FATOU_KEY,
            private_key=fatou,
        )
