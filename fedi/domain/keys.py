"""Key pairs for local actors (RSA-2048, what every fediverse peer accepts)."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_key_pair() -> tuple[bytes, str]:
    """(private key PEM, public key PEM). CPU-bound (~50 ms): call through ``new_key_pair``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem.decode("ascii")


async def new_key_pair() -> tuple[bytes, str]:
    # Key generation would stall every other request on the event loop.
    return await asyncio.to_thread(generate_key_pair)
