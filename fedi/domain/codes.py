"""Codes people read off paper or a phone screen and type back: invites and activations."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L: a code copied by hand from a printed list must survive the copying.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int = 12) -> str:
    """``ABCD-EFGH-JKMN``: 12 symbols of 31 (about 59 bits), grouped by four for reading."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def normalise(code: str) -> str:
    """What a person typed, in the form codes are issued: spaces and case forgiven."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()
