"""draft-cavage HTTP signatures: what ke.example accepts from its peers, and what it refuses.

Fatou teaches on sn.example (an RSA key, like Mastodon's); João teaches on mz.example (an
Ed25519 key). Both deliver to Amina's inbox on ke.example. Each refusal is also checked to
happen before the inbox would have fetched a key, wherever no key is needed to decide.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fedi.federation.signatures import (
    PrivateKey,
    PublicKey,
    SignatureClaim,
    SignatureError,
    SignedRequest,
    check_claim,
    parse_signature,
    sign_cavage,
    verify_signature,
)
from fedi.federation.signatures.cavage import CavageParams, signing_string
from fedi.federation.signatures.keys import sign_bytes
from tests.federation.signers import AMINA_INBOX, FATOU_KEY, JOAO_KEY, KE, NOTE, NOW, KeyDirectory


@pytest.fixture(scope="module")
def impostor() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def receive(
    request: SignedRequest, directory: Callable[[str], PublicKey], now: datetime = NOW
) -> SignatureClaim:
    """The inbox's order: parse, key-free checks, key lookup, verification."""
    claim = parse_signature(request)
    check_claim(request, claim, canonical_host=KE, now=now)
    key = directory(claim.key_id)
    verify_signature(request, claim, key, canonical_host=KE, now=now)
    return claim


def refusal(request: SignedRequest, directory: KeyDirectory, now: datetime = NOW) -> str:
    with pytest.raises(SignatureError) as caught:
        receive(request, directory, now)
    assert caught.value.status == 401
    return caught.value.message


def delivered(
    private_key: PrivateKey,
    *,
    body: bytes | None = NOTE,
    url: str = AMINA_INBOX,
    key_id: str = FATOU_KEY,
    signed_at: datetime = NOW,
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    added = sign_cavage(
        "POST" if body is not None else "GET",
        url,
        headers,
        body,
        key_id=key_id,
        private_key=private_key,
        now=signed_at,
    )
    return {**headers, **added}


def hand_signed(
    private_key: PrivateKey,
    names: list[str],
    headers: dict[str, str],
    *,
    method: str = "POST",
    url: str = AMINA_INBOX,
    algorithm: str = "hs2019",
    created: int | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    """A real signature over exactly ``names``: for inputs sign_cavage would never produce."""
    params = CavageParams(FATOU_KEY, None, tuple(names), b"", created, expires)
    lowered = {name.lower(): value for name, value in headers.items()}
    message = signing_string(params, method=method, url=url, headers=lowered)
    signature = base64.b64encode(sign_bytes(private_key, message)).decode()
    extra = "" if created is None else f",created={created}"
    extra += "" if expires is None else f",expires={expires}"
    value = (
        f'keyId="{FATOU_KEY}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{signature}"{extra}'
    )
    return {**headers, "Signature": value}


def base_headers(body: bytes = NOTE, signed_at: datetime = NOW) -> dict[str, str]:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return {
        "Host": KE,
        "Date": signed_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Digest": f"SHA-256={digest}",
    }


def post(headers: Mapping[str, str], body: bytes = NOTE, url: str = AMINA_INBOX) -> SignedRequest:
    return SignedRequest("POST", url, headers, body)


# --- what we accept ----------------------------------------------------------------------


def test_fatou_delivers_a_note_signed_with_her_rsa_key(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    assert headers["Digest"].startswith("SHA-256=")
    assert headers["Host"] == KE
    assert headers["Date"] == "Mon, 02 Mar 2026 09:30:00 GMT"
    claim = receive(post(headers), directory)
    assert claim.scheme == "cavage"
    assert claim.key_id == FATOU_KEY
    assert claim.algorithm == "rsa-sha256"
    assert claim.components == ("(request-target)", "host", "date", "digest")


def test_joao_delivers_with_an_ed25519_key(
    joao: ed25519.Ed25519PrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(joao, key_id=JOAO_KEY)
    claim = receive(post(headers), directory)
    assert claim.algorithm == "hs2019"
    assert directory.lookups == [JOAO_KEY]


def test_a_signed_get_carries_no_digest_and_verifies(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    url = "https://ke.example/users/amina/outbox?page=true"
    headers = delivered(fatou, body=None, url=url)
    assert "Digest" not in headers
    assert 'headers="(request-target) host date"' in headers["Signature"]
    claim = receive(SignedRequest("GET", url, headers), directory)
    assert "digest" not in claim.components


@pytest.mark.parametrize("algorithm", ["hs2019", None])
@pytest.mark.parametrize("signer", ["fatou", "joao"])
def test_hs2019_or_no_algorithm_means_the_keys_own_algorithm(
    algorithm: str | None, signer: str, request: pytest.FixtureRequest, directory: KeyDirectory
) -> None:
    key = request.getfixturevalue(signer)
    headers = hand_signed(key, ["(request-target)", "host", "date", "digest"], base_headers())
    if algorithm is None:
        headers["Signature"] = headers["Signature"].replace('algorithm="hs2019",', "")
    directory.keys[FATOU_KEY] = key.public_key()
    assert receive(post(headers), directory).algorithm == algorithm


def test_created_may_stand_in_for_date(fatou: rsa.RSAPrivateKey, directory: KeyDirectory) -> None:
    headers = base_headers()
    del headers["Date"]
    names = ["(request-target)", "host", "(created)", "digest"]
    signed = hand_signed(fatou, names, headers, created=int(NOW.timestamp()) - 30)
    assert receive(post(signed), directory).created == int(NOW.timestamp()) - 30


def test_bovine_style_lower_case_digest_is_accepted(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = base_headers()
    headers["Digest"] = headers["Digest"].replace("SHA-256=", "sha-256=")
    signed = hand_signed(fatou, ["(request-target)", "host", "date", "digest"], headers)
    receive(post(signed), directory)


def test_a_digest_listing_md5_beside_sha256_is_accepted(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = base_headers()
    md5 = base64.b64encode(hashlib.md5(NOTE).digest()).decode()  # noqa: S324 -- what peers send
    headers["Digest"] = f"MD5={md5}, {headers['Digest']}"
    signed = hand_signed(fatou, ["(request-target)", "host", "date", "digest"], headers)
    receive(post(signed), directory)


def test_host_is_compared_in_normal_form(fatou: rsa.RSAPrivateKey, directory: KeyDirectory) -> None:
    headers = base_headers()
    headers["Host"] = "KE.Example."
    signed = hand_signed(fatou, ["(request-target)", "host", "date", "digest"], headers)
    receive(post(signed), directory)


def test_a_host_with_a_port_round_trips(fatou: rsa.RSAPrivateKey) -> None:
    url = "https://ke.example:8443/users/amina/inbox"
    headers = delivered(fatou, url=url)
    assert headers["Host"] == "ke.example:8443"
    request = post(headers, url=url)
    claim = parse_signature(request)
    verify_signature(request, claim, fatou.public_key(), canonical_host="ke.example:8443", now=NOW)
    with pytest.raises(SignatureError, match="host mismatch"):
        verify_signature(request, claim, fatou.public_key(), canonical_host=KE, now=NOW)


def test_repeated_header_lines_are_joined_and_lookups_ignore_case() -> None:
    request = SignedRequest.from_pairs(
        "POST", AMINA_INBOX, [("Accept", "a/b"), ("accept", "c/d"), ("HOST", KE)], NOTE
    )
    assert request.header("ACCEPT") == "a/b, c/d"
    assert request.header("host") == KE
    assert SignedRequest("GET", AMINA_INBOX, {"Date": "x", "date": "y"}).header("DATE") == "x, y"


# --- what we refuse ----------------------------------------------------------------------


def test_no_signature_header_is_refused(directory: KeyDirectory) -> None:
    assert refusal(post(base_headers()), directory) == "signature missing"
    assert directory.lookups == []


def test_a_signature_in_authorization_only_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert refusal(post(headers), directory) == "signature missing"


@pytest.mark.parametrize(
    "algorithm", ["hmac-sha256", "HMAC-SHA512", "rsa-sha1", "rsa-sha512", "ecdsa-sha256", "none"]
)
def test_algorithms_outside_the_list_are_refused_before_any_key_lookup(
    algorithm: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", algorithm)
    assert refusal(post(headers), directory) == f"algorithm {algorithm.lower()} refused"
    assert directory.lookups == []


def test_rsa_sha256_declared_with_an_ed25519_key_is_refused(
    joao: ed25519.Ed25519PrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(joao, key_id=JOAO_KEY)
    headers["Signature"] = headers["Signature"].replace("hs2019", "rsa-sha256")
    assert refusal(post(headers), directory) == "algorithm rsa-sha256 does not match the key"


def test_ed25519_declared_with_an_rsa_key_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "ed25519")
    assert refusal(post(headers), directory) == "algorithm ed25519 does not match the key"


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (["host", "date", "digest"], "(request-target) not signed"),
        (["(request-target)", "date", "digest"], "host not signed"),
        (["(request-target)", "host", "digest"], "date not signed"),
        (["(request-target)", "host", "date"], "digest not signed"),
        (["(request-target)", "host", "date", "content-type"], "digest not signed"),
    ],
)
def test_a_signature_missing_a_required_header_is_refused(
    names: list[str], reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = {**base_headers(), "Content-Type": "application/activity+json"}
    signed = hand_signed(fatou, names, headers)
    assert refusal(post(signed), directory) == reason
    assert directory.lookups == []


def test_a_get_signature_replayed_as_a_post_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou, body=None)
    assert refusal(post(headers), directory) == "digest not signed"


def test_a_request_signed_for_another_host_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou, url="https://mz.example/users/amina/inbox")
    assert refusal(post(headers), directory) == "host mismatch"
    assert directory.lookups == []
    # Rewriting Host to ours breaks the signature instead.
    headers["Host"] = KE
    assert refusal(post(headers), directory) == "signature invalid"


def test_a_request_whose_url_is_not_on_our_host_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    url = "https://mz.example/users/amina/inbox"
    headers = delivered(fatou, url=url)
    assert refusal(post(headers, url=url), directory) == "host mismatch"


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(timedelta(hours=-2), "date too old"), (timedelta(hours=2), "date in the future")],
)
def test_a_date_outside_the_hour_window_is_refused(
    offset: timedelta, reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou, signed_at=NOW + offset)
    assert refusal(post(headers), directory) == reason
    assert directory.lookups == []


def test_the_window_is_configurable(fatou: rsa.RSAPrivateKey) -> None:
    request = post(delivered(fatou, signed_at=NOW - timedelta(minutes=10)))
    claim = parse_signature(request)
    check_claim(request, claim, canonical_host=KE, now=NOW)
    with pytest.raises(SignatureError, match="date too old"):
        check_claim(request, claim, canonical_host=KE, now=NOW, max_skew=timedelta(minutes=5))


def test_a_malformed_date_is_refused(fatou: rsa.RSAPrivateKey, directory: KeyDirectory) -> None:
    headers = base_headers()
    headers["Date"] = "yesterday"
    signed = hand_signed(fatou, ["(request-target)", "host", "date", "digest"], headers)
    assert refusal(post(signed), directory) == "date malformed"


def test_created_two_hours_old_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    names = ["(request-target)", "host", "(created)", "digest"]
    created = int((NOW - timedelta(hours=2)).timestamp())
    signed = hand_signed(fatou, names, base_headers(), created=created)
    assert refusal(post(signed), directory) == "created too old"


def test_an_expired_signature_is_refused(fatou: rsa.RSAPrivateKey, directory: KeyDirectory) -> None:
    names = ["(request-target)", "host", "(created)", "(expires)", "digest"]
    created = int(NOW.timestamp()) - 120
    signed = hand_signed(fatou, names, base_headers(), created=created, expires=created + 60)
    assert refusal(post(signed), directory) == "signature expired"
    assert directory.lookups == []


def test_a_body_changed_after_signing_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    forged = NOTE.replace(b"Note", b"Question")
    assert refusal(post(headers, body=forged), directory) == "digest mismatch"
    assert directory.lookups == []


def test_a_digest_rewritten_to_match_a_new_body_breaks_the_signature(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    forged = NOTE.replace(b"Note", b"Question")
    headers["Digest"] = base_headers(forged)["Digest"]
    assert refusal(post(headers, body=forged), directory) == "signature invalid"


@pytest.mark.parametrize(
    ("digest", "reason"),
    [
        ("SHA=" + base64.b64encode(hashlib.sha1(NOTE).digest()).decode(), "without SHA-256"),  # noqa: S324
        ("MD5=" + base64.b64encode(hashlib.md5(NOTE).digest()).decode(), "without SHA-256"),  # noqa: S324
        ("SHA-256=not base64!", "digest malformed"),
        ("SHA-256", "digest malformed"),
        (
            base_headers()["Digest"]
            + ", SHA-512="
            + base64.b64encode(hashlib.sha512(b"other").digest()).decode(),
            "digest mismatch",
        ),
    ],
)
def test_weak_malformed_or_partly_wrong_digests_are_refused(
    digest: str, reason: str, fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = {**base_headers(), "Digest": digest}
    signed = hand_signed(fatou, ["(request-target)", "host", "date", "digest"], headers)
    assert reason in refusal(post(signed), directory)
    assert directory.lookups == []


def test_tampered_signature_bytes_are_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(fatou)
    value = headers["Signature"]
    start = value.index('signature="') + len('signature="')
    raw = bytearray(base64.b64decode(value[start:-1]))
    raw[10] ^= 0x01
    headers["Signature"] = value[:start] + base64.b64encode(bytes(raw)).decode() + '"'
    assert refusal(post(headers), directory) == "signature invalid"


def test_a_signature_by_another_key_is_refused(
    impostor: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    headers = delivered(impostor, key_id=FATOU_KEY)
    assert refusal(post(headers), directory) == "signature invalid"


def test_a_tampered_query_string_is_refused(
    fatou: rsa.RSAPrivateKey, directory: KeyDirectory
) -> None:
    signed_url = "https://ke.example/users/amina/outbox?page=1"
    headers = delivered(fatou, body=None, url=signed_url)
    request = SignedRequest("GET", signed_url.replace("page=1", "page=2"), headers)
    assert refusal(request, directory) == "signature invalid"


_COVERS = 'headers="(request-target) host date digest"'
_CREATED = 'headers="(request-target) host (created) digest"'


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("garbage", "signature malformed"),
        (f'keyId="https://sn.example/k",{_COVERS}', "signature malformed"),
        (
            f'keyId="https://sn.example/k",keyId="https://evil.example/k",{_COVERS},'
            'signature="AAAA"',
            "signature malformed",
        ),
        (f'keyId="https://sn.example/k",{_COVERS},signature="@@"', "signature malformed"),
        (f'keyId="acct:fatou@sn.example",{_COVERS},signature="AAAA"', "keyId malformed"),
        (f'keyId="javascript:alert(1)",{_COVERS},signature="AAAA"', "keyId malformed"),
        # Without "headers" the draft's default is "(created)" alone.
        ('keyId="https://sn.example/k",signature="AAAA"', "(request-target) not signed"),
        (
            'keyId="https://sn.example/k",headers="(request-target) (foo) host date digest",'
            'signature="AAAA"',
            "pseudo-header (foo) unsupported",
        ),
        (
            'keyId="https://sn.example/k",headers="(request-target) host date date digest",'
            'signature="AAAA"',
            "signature malformed",
        ),
        (f'keyId="https://sn.example/k",{_CREATED},signature="AAAA"', "signature malformed"),
        (
            f'keyId="https://sn.example/k",{_CREATED},signature="AAAA",created=1.5',
            "signature malformed",
        ),
        ("keyId=" + "x" * 9000, "signature header too long"),
    ],
)
def test_malformed_signature_headers_are_refused_before_any_key_lookup(
    signature: str, reason: str, directory: KeyDirectory
) -> None:
    headers = {**base_headers(), "Signature": signature}
    assert refusal(post(headers), directory) == reason
    assert directory.lookups == []


def test_refusal_reasons_never_echo_peer_text(directory: KeyDirectory) -> None:
    headers = {**base_headers(), "Signature": 'keyId="https://sn.example/k",algorithm="<script>"'}
    assert "<script>" not in refusal(post(headers), directory)


def test_sign_cavage_will_not_overwrite_headers_it_computes(fatou: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="date"):
        sign_cavage("POST", AMINA_INBOX, {"Date": "x"}, NOTE, key_id=FATOU_KEY, private_key=fatou)
    with pytest.raises(ValueError, match="double quote"):
        sign_cavage("POST", AMINA_INBOX, {}, NOTE, key_id='https://x/"k', private_key=fatou)
