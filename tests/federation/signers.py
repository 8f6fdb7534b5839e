"""Who signs in the signature tests: Fatou on sn.example (an RSA key, like Mastodon's) and
João on mz.example (an Ed25519 key), delivering to Amina's inbox on ke.example, and the
key directory that inbox resolves their keys in. tests/federation/conftest.py offers the
fixtures to the folder's modules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fedi.federation.signatures import PublicKey

KE = "ke.example"
AMINA_INBOX = "https://ke.example/users/amina/inbox"
FATOU_KEY = "https://sn.example/users/fatou#main-key"
JOAO_KEY = "https://mz.example/users/joao#ed25519-key"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOTE = b'{"type":"Create","actor":"https://sn.example/users/fatou","object":{"type":"Note"}}'


@pytest.fixture(scope="module")
def fatou() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def joao() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


class KeyDirectory:
    """Stands in for the inbox's key resolution, and remembers every lookup it was asked for."""

    def __init__(self, keys: Mapping[str, PublicKey]) -> None:
        self.keys = dict(keys)
        self.lookups: list[str] = []

    def __call__(self, key_id: str) -> PublicKey:
        self.lookups.append(key_id)
        return self.keys[key_id]


@pytest.fixture
def directory(fatou: rsa.RSAPrivateKey, joao: ed25519.Ed25519PrivateKey) -> KeyDirectory:
    return KeyDirectory({FATOU_KEY: fatou.public_key(), JOAO_KEY: joao.public_key()})
